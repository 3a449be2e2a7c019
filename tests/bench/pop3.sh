#!/usr/bin/env bash
# POP3 fetch into SQLite through ODBC: erpmail's mail.fetch (whole process:
# retrieve, parse with GMime, store raw, headers, bodies, attachments and
# addresses) against Python's poplib retrieving the same maildrop, in one run.
# The mailbox: mails of about 20 KB, every tenth with a PDF attachment,
# delivered to the test bed's Dovecot over LMTP.
#   tests/bench/pop3.sh           10,000 mails, three rounds each (medians)
#   tests/bench/pop3.sh --smoke   300 mails, one round, as CI runs it
#   tests/bench/pop3.sh --readers 10,000 mails: also how long a clerk's
#                                 mail.message.list takes while the fetch
#                                 writes, with the default rollback journal
#                                 and with JournalMode=WAL
# Uses the test bed named by $ERPMAIL_TESTBED_ENV, or starts its own. As root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
count=10000 rounds=3 readers=0
[ "${1:-}" = "--smoke" ] && count=300 rounds=1
[ "${1:-}" = "--readers" ] && readers=1
# shellcheck source=tests/bench/common.sh
. "$here/common.sh"
port=$(get POP3S_PORT); ca=$(get TB_CA); user=$(get USER_BENCH); pass=$(get PASS_BENCH); lmtp=$(get LMTP_PORT)

python3 - "$lmtp" "$user" "$count" "$port" "$ca" "$pass" <<'PY'
import poplib, random, smtplib, ssl, sys
from email.message import EmailMessage
lmtp, user, count, port, ca, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
p = poplib.POP3_SSL("localhost", int(port), context=ssl.create_default_context(cafile=ca))
p.user(user); p.pass_(password)
for i in range(1, len(p.list()[1]) + 1):
    p.dele(i)
p.quit()
rng = random.Random(1)
words = "Rechnung Offerte Mahnung Lieferung Müller Söhne Zürich Grüsse Betrag fällig Kunde Auftrag".split()
with smtplib.LMTP("127.0.0.1", int(lmtp)) as l:
    for i in range(count):
        m = EmailMessage()
        m["From"] = f"Kunde {i % 97} <kunde{i % 97}@kunde.example>"
        m["To"] = user
        m["Subject"] = f"{rng.choice(words)} {i} für {rng.choice(words)}"
        text = " ".join(rng.choice(words) for _ in range(2600 if i % 10 else 300)) + "\n"
        m.set_content(text)
        if i % 10 == 0:
            m.add_attachment(rng.randbytes(14000), maintype="application", subtype="pdf", filename=f"Beleg {i}.pdf")
        l.send_message(m, to_addrs=[user])
PY

bench_ini
erphost() { "$build/bin/erphost" --config "$work/erphost.ini" "$@"; }
# A POP3S account on the bench user's maildrop that leaves the mail there; prints its id.
bench_account() {
  erphost call mail.account.create --as clerk --json "{\"label\":\"Bench\",\"incoming\":{\"protocol\":\"pop3s\",
    \"host\":\"localhost\",\"port\":$port,\"user\":\"$user\",\"password\":\"$pass\",\"ca\":$(ca_json "$ca"),
    \"leave_on_server\":{\"mode\":\"forever\"}}}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
# Rounds alternate which side goes first (odd rounds poplib, even rounds
# erpmail), so that neither always meets a warm or a cold server; each of
# ours fetches everything into a fresh database, set up outside the clock.
peers=()
ours=()
run_peer() { peers+=("$(python3 "$here/pop3_peer.py" localhost "$port" "$user" "$pass" "$ca")"); }
run_ours() {
  timed "$work/time" "$build/bin/erphost" --config "$work/erphost.ini" call mail.fetch --as clerk \
    --json "{\"account\":\"$account\"}" > "$work/ours.json"
  fetched=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fetched"])' "$work/ours.json")
  [ "$fetched" = "$count" ] || { echo "erpmail fetched $fetched of $count" >&2; cat "$work/ours.json" >&2; exit 1; }
  ours+=("$(cat "$work/time")")
}
for round in $(seq "$rounds"); do
  rm -rf "$work/data"
  account=$(bench_account)
  if [ $((round % 2)) = 1 ]; then run_peer; run_ours; else run_ours; run_peer; fi
done

python3 - "$count" "$(printf '%s\n' "${ours[@]}")" "$(printf '%s\n' "${peers[@]}")" <<'PY'
import json, statistics, sys
count = int(sys.argv[1])
ours = [tuple(map(float, line.split())) for line in sys.argv[2].splitlines()]
peers = [json.loads(line) for line in sys.argv[3].splitlines()]
ours_s = statistics.median(s for s, _ in ours)
rss_kb = max(kb for _, kb in ours)
peer_s = statistics.median(p["seconds"] for p in peers)
def runs(values):
    return " ".join(f"{v:.2f}" for v in values)
print(f"POP3S fetch of {count} mails ({peers[0]['mb']} MB, every tenth with a PDF) from Dovecot, median of {len(ours)}")
print(f"  erpmail  {ours_s:7.2f} s  peak RSS {rss_kb / 1024:.1f} MB  (whole process: retrieve, parse, store in SQLite via ODBC; runs {runs(s for s, _ in ours)})")
print(f"  poplib   {peer_s:7.2f} s  peak RSS {peers[0]['peak_rss_mb']} MB  (RETR each, nothing stored; runs {runs(p['seconds'] for p in peers)})")
print(f"  ratio erpmail / poplib wall time: {ours_s / peer_s:.2f}x  (target at most 0.5x)")
PY

[ "$readers" = 1 ] || exit 0
# A clerk lists the inbox again and again (one erphost process each) while a
# fetch of everything writes into a fresh database.
echo "mail.message.list (50 mails, a process each) during a fetch of $count mails into a fresh database"
for mode in "" ";JournalMode=WAL"; do
  rm -rf "$work/data"
  sed -i "s|^connection = .*|connection = Driver=SQLite3;Database=$work/data/bench.db$mode|" "$work/erphost.ini"
  account=$(bench_account)
  python3 - "$build/bin/erphost" "$work/erphost.ini" "$account" "${mode:-rollback journal}" <<'PY'
import json, statistics, subprocess, sys, time
erphost, ini, account, mode = sys.argv[1:]
call = [erphost, "--config", ini, "call"]
start = time.monotonic()
fetch = subprocess.Popen(call + ["mail.fetch", "--as", "clerk", "--json", json.dumps({"account": account})],
                         stdout=subprocess.DEVNULL)
waits = []
while fetch.poll() is None:
    t = time.monotonic()
    r = subprocess.run(call + ["mail.message.list", "--as", "clerk", "--json",
                               json.dumps({"account": account, "page_size": 50})], capture_output=True)
    if r.returncode != 0:
        sys.exit(f"mail.message.list failed during the fetch: {r.stdout.decode()} {r.stderr.decode()}")
    waits.append(time.monotonic() - t)
fetch_s = time.monotonic() - start
if fetch.returncode != 0:
    sys.exit("the fetch failed")
ms = sorted(w * 1000 for w in waits) or [0.0]
print(f"  {mode.lstrip(';'):17} fetch {fetch_s:5.2f} s   {len(ms):3} lists meanwhile: median {statistics.median(ms):5.0f} ms, "
      f"90% {ms[int(len(ms) * 0.9)]:5.0f} ms, longest {ms[-1]:5.0f} ms")
PY
done
