#!/usr/bin/env python3
"""The peer of the POP3 benchmark: Python's poplib, RETR of every message
over POP3S, nothing stored. Prints JSON."""
import json
import poplib
import resource
import ssl
import sys
import time

host, port, user, password, ca = sys.argv[1:6]
started = time.perf_counter()
p = poplib.POP3_SSL(host, int(port), context=ssl.create_default_context(cafile=ca))
p.user(user)
p.pass_(password)
count = len(p.list()[1])
total = 0
for i in range(1, count + 1):
    total += sum(len(line) + 2 for line in p.retr(i)[1])
p.quit()
elapsed = time.perf_counter() - started
print(json.dumps({"impl": "poplib", "count": count, "seconds": round(elapsed, 3), "mb": round(total / 1048576, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
