#!/usr/bin/env bash
# The web console under load: one account of 100,000 messages in SQLite
# through ODBC, served by `erphost serve --http`.
#  1. mail.message.list as the console's inbox asks for it (POST
#     /api/invoke/mail.message.list, session cookie and CSRF token, the
#     newest 200 pending messages without their total) from 20 concurrent
#     clients (wrk over keep-alive connections, each answer checked for
#     200): p50, p95, p99 and requests per second.
#  2. The inbox screen in headless Chromium, signed in already: from the
#     start of the navigation to the frame that paints the message table's
#     rows, a fresh browser context (nothing cached) per run.
# The messages are written straight into the account's database before
# anything is timed.
#   tests/bench/console.sh            100,000 messages, 30 s of load, 9 page loads
#   tests/bench/console.sh --smoke    2,000 messages, 2 s, 2 page loads, for CI
# Needs wrk, node with ui/node_modules and Debian's Chromium; no mail servers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
count=100000 seconds=30 warmup=2 runs=9 clients=20
[ "${1:-}" = "--smoke" ] && count=2000 seconds=2 warmup=1 runs=2
bench_testbed=no
# shellcheck source=tests/bench/common.sh
source "$here/common.sh"
erphost=$build/bin/erphost
[ -x "$erphost" ] || { echo "build first: $erphost is missing" >&2; exit 1; }
for tool in wrk node sqlite3 /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/install-deps" >&2; exit 1; }
done
[ -d "$root/ui/node_modules/playwright-core" ] || { echo "ui/node_modules is missing: run scripts/install-deps" >&2; exit 1; }

echo '{}' > "$work/documents.json"
bench_ini "[config]
erpmail.imap.idle = no
erpmail.fetch.interval_seconds = 86400"
mkdir -p "$work/data"
call() { "$erphost" --config "$work/erphost.ini" call "$@"; }
account=$(call mail.account.create --as clerk --json '{"label":"Debitoren"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
password=Bench-Console-$RANDOM$RANDOM
echo "$password" | "$erphost" --config "$work/erphost.ini" passwd clerk >"$work/passwd.log" 2>&1 ||
  { cat "$work/passwd.log" >&2; exit 1; }

# Pending mail a minute apart, every 10th with a PDF attached: what the
# inbox lists. Outside the clocks.
now=$(($(date +%s) * 1000))
started=$(date +%s.%N)
sqlite3 "$work/data/bench.db" "BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
INSERT INTO messages (account_id, direction, state, message_id, subject, from_address, to_addresses, date_ms,
                      received_at_ms, body_text, raw, raw_size)
SELECT '$account', 'in', 'pending', '<' || i || '.bench@mueller.example>', 'Rechnung Nr. ' || i || ' für Müller & Söhne',
       '\"Müller & Söhne AG\" <einkauf' || (i % 500) || '@mueller.example>', 'debitoren@erpmail.test',
       $now - i * 60000, $now - i * 60000 + 1500, 'Grüezi, anbei Rechnung Nr. ' || i,
       CAST('Subject: Rechnung Nr. ' || i || char(13, 10, 13, 10) || 'Grüezi' AS BLOB), 40 FROM n;
INSERT INTO attachments (message_id, ordinal, file_name, content_type, size, content)
SELECT id, 1, 'Rechnung ' || id || '.pdf', 'application/pdf', 1000, zeroblob(1000) FROM messages WHERE id % 10 = 0;
COMMIT;"
filled=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
: > "$work/serve.log"
"$erphost" --config "$work/erphost.ini" serve --http "127.0.0.1:$port" >> "$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; bench_cleanup' EXIT
for _ in $(seq 1 300); do
  grep -q "console on" "$work/serve.log" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
url=http://127.0.0.1:$port

# Signed in as the console signs in: the session cookie and the CSRF token it answers.
csrf=$(curl -sS --fail -c "$work/cookies" -H 'Content-Type: application/json' \
  -d "{\"user\":\"clerk\",\"password\":\"$password\"}" "$url/api/session" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf_token"])')
cookie=$(awk '$6 == "erphost_session" { print $7 }' "$work/cookies")
list_once() { curl -sS --fail -b "$work/cookies" -H 'Content-Type: application/json' -H "X-CSRF-Token: $csrf" \
  -d "{\"account\":\"$account\",\"state\":\"pending\",\"page_size\":200$1}" "$url/api/invoke/mail.message.list"; }
# The page the load asks for (no total) must be the page that a counted list answers.
list_once '' > "$work/counted.json"
list_once ',"total":false' > "$work/uncounted.json"
total=$(python3 -c 'import json, sys
counted, uncounted = (json.load(open(f)) for f in sys.argv[1:])
same = uncounted["total"] is None and uncounted["items"] == counted["items"]
print(counted["total"] if same and len(counted["items"]) == min(200, counted["total"]) else -1)' \
  "$work/counted.json" "$work/uncounted.json")
[ "$total" = "$count" ] || { echo "the list answered a total of $total, not $count, or another page without it" >&2; exit 1; }

load() { wrk -t 2 -c "$clients" -d "${1}s" --timeout 10s -s "$here/console_list.lua" "$url" -- \
  "$cookie" "$csrf" "$account" 200 | tail -n 1; }
load "$warmup" > /dev/null # warm-up: the server's threads, connections and caches
# The server's own CPU time (user and system, in clock ticks) over the load
# run: per request, it does not depend on what else runs on the machine.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)
cpu_before=$(cpu_ticks)
list=$(load "$seconds")
cpu_after=$(cpu_ticks)
load_after=$(cut -d ' ' -f 1-3 /proc/loadavg)
cpu_seconds=$(python3 -c "import os, sys; print(($cpu_after - $cpu_before) / os.sysconf('SC_CLK_TCK'))")
inbox=$(cd "$root" && node tests/bench/console_inbox.mjs "$url/plugins/erpmail/" clerk "$password" "$runs")

python3 - "$count" "$filled" "$clients" "$list" "$inbox" "$load_before" "$load_after" "$(nproc)" "$cpu_seconds" <<'PY'
import json, statistics, sys
count, filled, clients, cpu = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[9])
l, b = json.loads(sys.argv[4]), json.loads(sys.argv[5])
print(f"console: one account of {count} pending messages, SQLite via ODBC (written in {filled} s, outside the clocks); "
      f"{sys.argv[8]} cores, load average {sys.argv[6]} before the load run, {sys.argv[7]} after")
print(f"  mail.message.list, newest 200, {clients} clients for {l['seconds']:.0f} s: "
      f"p50 {l['p50_ms']:.1f} ms  p95 {l['p95_ms']:.1f} ms  p99 {l['p99_ms']:.1f} ms  max {l['max_ms']:.1f} ms  "
      f"{l['rps']:.1f} requests/s ({l['requests']} requests)")
print(f"    the server's CPU time: {1000 * cpu / max(l['requests'], 1):.2f} ms per request "
      f"({cpu:.1f} s over the run, {cpu / l['seconds']:.2f} of {sys.argv[8]} cores)")
runs = b["runs_ms"]
print(f"  inbox screen ready (navigation to painted rows): median {statistics.median(runs):.0f} ms  "
      f"worst {max(runs):.0f} ms  (runs " + " ".join(f"{r:.0f}" for r in runs) + f"; {b['rows'][0]} rows, "
      f"first \"{b['first_subject']}\")")
bad = []
if l["errors"] or l["non_200"]: bad.append(f"{l['errors']} socket errors and {l['non_200']} answers other than 200")
if any(r != min(200, count) for r in b["rows"]): bad.append(f"the inbox showed {b['rows']} rows")
if b["first_subject"] != "Rechnung Nr. 1 für Müller & Söhne": bad.append("the inbox's first row is not the newest mail")
if bad: sys.exit("; ".join(bad))
PY
