#!/usr/bin/env bash
# Store throughput: erpmail's ODBC path against pyodbc on the same SQLite ODBC
# driver and the same table, in one run; prints each and the ratio.
#   tests/bench/store.sh           full: 2,000 x 20 KB and 20 x 5 MB
#   tests/bench/store.sh --smoke   a small run that CI uses to keep it working
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${ERPMAIL_BUILD_DIR:-$here/../../build}
bench=$build/bin/erpmail_store_bench
[ -x "$bench" ] || { echo "build first: $bench is missing" >&2; exit 1; }
# Debian's interpreter: python3-pyodbc is installed for it, whatever else is on PATH.
py=/usr/bin/python3
"$py" -c 'import pyodbc' 2>/dev/null || { echo "python3-pyodbc is missing: run scripts/install-deps" >&2; exit 1; }

cases=("2000 20480" "20 5242880")
[ "${1:-}" = "--smoke" ] && cases=("200 20480" "3 1048576")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for c in "${cases[@]}"; do
  read -r count size <<<"$c"
  ours="Driver=SQLite3;Database=$work/ours-$count.db"
  peer="Driver=SQLite3;Database=$work/peer-$count.db"
  "$bench" "$peer" 0 0 >/dev/null   # the peer writes into the same migrated schema
  a=$("$bench" "$ours" "$count" "$size")
  b=$("$py" "$here/store_peer.py" "$peer" "$count" "$size")
  python3 - "$a" "$b" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{a['count']} x {a['size']} B ({a['mb']} MB), SQLite via ODBC")
for r in (a, b):
    print(f"  {r['impl']:8} write {r['write_s']:7.3f} s  read {r['read_s']:7.3f} s  peak RSS {r['peak_rss_mb']} MB")
print(f"  ratio (pyodbc time / erpmail time): write {b['write_s'] / max(a['write_s'], 1e-9):.2f}x, "
      f"read {b['read_s'] / max(a['read_s'], 1e-9):.2f}x")
PY
done
