#!/usr/bin/env python3
"""The peer of StoreBench.cpp: the same rows through pyodbc and the same ODBC
driver, into the same table, read back and checked the same way."""
import json
import resource
import sys
import time

import pyodbc


def payload(n, seed):
    # The same xorshift stream as StoreBench.cpp, so both move identical bytes.
    x = (seed * 2654435761 & 0xFFFFFFFF) | 1
    out = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return bytes(out)


connection, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# Generating the bytes in Python is slow; it is done before the clock starts.
data = [payload(size, j) for j in range(count)]
db = pyodbc.connect(connection, autocommit=False)
cur = db.cursor()
cur.execute("DELETE FROM messages WHERE account_id = 'bench'")
db.commit()

started = time.perf_counter()
for i in range(0, count, 100):
    for j in range(i, min(count, i + 100)):
        cur.execute("INSERT INTO messages (account_id, direction, state, received_at_ms, subject, raw, raw_size)"
                    " VALUES ('bench', 'in', 'pending', ?, ?, ?, ?)",
                    j, f"Rechnung Nr. {j} für Müller & Söhne", data[j], size)
    db.commit()
write_s = time.perf_counter() - started

started = time.perf_counter()
cur.execute("SELECT received_at_ms, subject, raw FROM messages WHERE account_id = 'bench' ORDER BY received_at_ms")
rows = 0
total = 0
for j, subject, raw in cur:
    if bytes(raw) != data[j]:
        sys.exit(f"row {j} came back different")
    total += len(raw)
    rows += 1
read_s = time.perf_counter() - started
if rows != count:
    sys.exit(f"read {rows} rows, wrote {count}")
print(json.dumps({"impl": "pyodbc", "count": count, "size": size, "write_s": round(write_s, 3),
                  "read_s": round(read_s, 3), "mb": round(total / 1048576, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
