#!/usr/bin/env bash
# Retention run cost: an account of 1,000,000 small messages, generated
# straight into its database, of which 1% are older than its rule (12
# months) and 1% of those linked to an invoice under legal hold. Wall time
# of erphost's mail.maintenance.run: dry run, real run, then a run with
# nothing to do; SQLite through ODBC and PostgreSQL.
#   tests/bench/retention.sh            full: 1,000,000 messages
#   tests/bench/retention.sh --smoke    20,000 messages, for CI
set -euo pipefail
source "$(dirname "$0")/common.sh"
total=1000000
[ "${1:-}" = "--smoke" ] && total=20000
erphost=$build/bin/erphost
[ -x "$erphost" ] || { echo "build first: $erphost is missing" >&2; exit 1; }
day=86400000
now=$(($(date +%s) * 1000))
old=$((now - 400 * day))

# Invoices 10000, 20000, ...: under hold.
python3 - "$work/documents.json" "$total" <<'PY'
import json, sys
json.dump({"invoice": {str(i): {"legal_hold": True} for i in range(10000, int(sys.argv[2]) + 1, 10000)}},
          open(sys.argv[1], "w"))
PY

ini() {
  cat > "$work/erphost.ini" <<INI
[host]
plugin_dir = $build/plugins
data_dir = $work/data-$1
log_level = error
documents = $work/documents.json
[plugin.erpmail]
modules = *
[database.main]
connection = $2
system = yes
[user.clerk]
name = Clerk
[grants]
mail.use = *
INI
}

call() { "$erphost" --config "$work/erphost.ini" call "$@"; }

timed() { # label, params: prints the wall time and the counts of the run
  local start end out
  start=$(date +%s.%N)
  out=$(call mail.maintenance.run --as clerk --json "$2")
  end=$(date +%s.%N)
  python3 - "$1" "$start" "$end" "$out" <<'PY'
import json, sys
label, start, end, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), json.loads(sys.argv[4])
a = out["accounts"][0]
rule = a["rules"]["old_messages"]
print(f"  {label:8} {end - start:7.3f} s  {a['outcome']:8} deleted {rule['messages']:>7}  held {rule['held']:>4}"
      f"  (plugin's own time {out['duration_ms'] / 1000:.3f} s)")
PY
}

bench() { # dialect, connection string, generator
  local dialect=$1
  ini "$dialect" "$2"
  account=$(call mail.account.create --as clerk --json '{"label":"Bench","retention":{"delete_messages_after_months":12}}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  local started=$(date +%s.%N)
  "$3" "$account"
  echo "$total messages, $((total / 100)) expired, $((total / 10000)) of them held; $dialect (generated in" \
    "$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)") s)"
  timed "dry run" "{\"account\":\"$account\",\"dry_run\":true}"
  timed "real run" "{\"account\":\"$account\"}"
  timed "no-op" "{\"account\":\"$account\"}"
}

# Every 100th message is old; every 10,000th links to invoice i.
rows_sql() {
  cat <<SQL
SELECT '$1', 'in', 'archived', '', 'Message ' || i,
       CASE WHEN i % 100 = 0 THEN $old ELSE $now - CAST(i % 300 AS BIGINT) * $day END, 'Body of message ' || i,
       $2, 60,
       CASE WHEN i % 10000 = 0 THEN '[{"doctype":"invoice","id":"' || i || '"}]' ELSE '[]' END
SQL
}
columns="account_id, direction, state, folder, subject, received_at_ms, body_text, raw, raw_size, document_links"

sqlite_rows() {
  sqlite3 "$work/data-sqlite/bench.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $total)
    INSERT INTO messages ($columns) $(rows_sql "$1" "CAST('Subject: Message ' || i || char(13, 10, 13, 10) || 'Body' AS BLOB)") FROM n;"
}

pg_name=retention_bench_$$
pg_rows() {
  PGPASSWORD=erpmail-Db-6 psql -q -h 127.0.0.1 -p "$(get PG_PORT)" -U erpmail -d "$pg_name" -v ON_ERROR_STOP=1 -c \
    "INSERT INTO messages ($columns) $(rows_sql "$1" "convert_to('Subject: Message ' || i || E'\r\n\r\nBody', 'UTF8')")
     FROM generate_series(1, $total) i; ANALYZE messages;"
}

mkdir -p "$work/data-sqlite"
bench sqlite "Driver=SQLite3;Database=$work/data-sqlite/bench.db" sqlite_rows
"$root/tests/fixtures/pgcluster" createdb "$(get PG_SOCKET_DIR)" "$(get PG_PORT)" "$pg_name"
bench postgresql "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=$(get PG_PORT);Database=$pg_name;UID=erpmail;PWD=erpmail-Db-6;ByteaAsLongVarBinary=1;MaxVarcharSize=65535" pg_rows
