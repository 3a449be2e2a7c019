#!/usr/bin/env bash
# IMAP resync with nothing new, at growing folder sizes: erpmail's mail.fetch
# against mbsync, both after a first sync of the same folder, in one run.
# erpmail is timed twice: as a whole process (`erphost call`, which loads the
# plugin, opens the database, connects and logs in), and as the operation's
# own time in a running host (`erphost call --repeat 6`, the median of runs
# 2 to 6). The folders are written as Maildir files straight into Dovecot's
# folder (mails of about 2 KB; LMTP would take longer than the benchmark).
# mbsync's resync starts once its own Maildir is a second old (maildir_settle
# in common.sh): right after its first sync it would sleep that second first.
#   tests/bench/resync.sh            1,000, 10,000 and 100,000 mails
#   tests/bench/resync.sh --smoke    300 mails, as CI runs it
# Uses the test bed named by $ERPMAIL_TESTBED_ENV, or starts its own. As root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sizes=(1000 10000 100000)
[ "${1:-}" = "--smoke" ] && sizes=(300)
# shellcheck source=tests/bench/common.sh
. "$here/common.sh"
port=$(get IMAPS_PORT); ca=$(get TB_CA); user=$(get USER_BENCH); pass=$(get PASS_BENCH)
maildir="$(get TB_DIR)/mail/${user#*@}/${user%@*}"

bench_ini
erphost() { "$build/bin/erphost" --config "$work/erphost.ini" "$@"; }
imap() { # imap create|delete FOLDER
  python3 - "$port" "$ca" "$user" "$pass" "$@" <<'PY'
import imaplib, ssl, sys
port, ca, user, password, what, folder = sys.argv[1:7]
i = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ssl.create_default_context(cafile=ca))
i.login(user, password)
getattr(i, what)(folder)
if what == "create":
    i.select(folder, readonly=True)  # Dovecot indexes the folder now, before any clock runs
i.logout()
PY
}

results=()
for n in "${sizes[@]}"; do
  folder="Resync${n}x$(date +%s)"
  imap create "$folder" >/dev/null
  python3 - "$maildir/.$folder/cur" "$n" <<'PY'
import os, random, sys, time
where, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(n)
words = "Rechnung Offerte Mahnung Lieferung Müller Söhne Zürich Grüsse Betrag fällig Kunde Auftrag".split()
now = int(time.time())
for i in range(n):
    body = " ".join(rng.choice(words) for _ in range(250))
    text = (f"From: Kunde {i % 97} <kunde{i % 97}@kunde.example>\r\nTo: bench@erpmail.test\r\n"
            f"Subject: Resync {i}\r\nMessage-ID: <resync-{n}-{i}@kunde.example>\r\n"
            f"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n")
    with open(os.path.join(where, f"{now}.M{i}P1.bench:2,S"), "w", encoding="utf-8", newline="") as f:
        f.write(text)
PY
  chown -R mail:mail "$maildir/.$folder"
  python3 - "$port" "$ca" "$user" "$pass" "$folder" "$n" <<'PY'
import imaplib, ssl, sys
port, ca, user, password, folder, n = sys.argv[1:7]
i = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ssl.create_default_context(cafile=ca))
i.login(user, password)
typ, data = i.select(folder, readonly=True)
assert int(data[0]) == int(n), f"Dovecot sees {data[0]} mails in {folder}, not {n}"
i.logout()
PY

  mbsync_config "$folder"
  rm -rf "$work/maildir"; mkdir -p "$work/maildir"
  mbsync -q -c "$work/mbsyncrc" bench                       # first sync, not timed

  account=$(erphost call mail.account.create --as clerk --json "{\"label\":\"Resync $n\",\"incoming\":{
    \"protocol\":\"imaps\",\"host\":\"localhost\",\"port\":$port,\"folder\":\"$folder\",\"user\":\"$user\",
    \"password\":\"$pass\",\"ca\":$(ca_json "$ca"),\"leave_on_server\":{\"mode\":\"forever\"}}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  params="{\"account\":\"$account\"}"
  fetched=$(erphost call mail.fetch --as clerk --json "$params" | python3 -c 'import json,sys; print(json.load(sys.stdin)["fetched"])')
  [ "$fetched" = "$n" ] || { echo "erpmail fetched $fetched of $n" >&2; exit 1; }
  # Three alternating rounds of each side's resync; the medians count.
  for round in 1 2 3; do
    for side in $([ $((round % 2)) = 1 ] && echo "mbsync ours" || echo "ours mbsync"); do
      if [ "$side" = mbsync ]; then
        maildir_settle
        timed "$work/mbsync.$round" mbsync -q -c "$work/mbsyncrc" bench
      else
        timed "$work/ours.$round" "$build/bin/erphost" --config "$work/erphost.ini" call mail.fetch \
          --as clerk --json "$params" > "$work/ours.json"
        python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["fetched"] == 0, r' "$work/ours.json"
      fi
    done
  done
  median() { for r in 1 2 3; do cut -d' ' -f1 "$work/$1.$r"; done | sort -n | sed -n 2p; }
  erphost call mail.fetch --as clerk --json "$params" --repeat 6 2> "$work/runs" > /dev/null
  inhost=$(python3 -c '
import re, statistics, sys
runs = [float(m) for m in re.findall(r"took ([0-9.]+) ms", open(sys.argv[1]).read())]
print(statistics.median(runs[1:]))' "$work/runs")
  results+=("$n $(median ours) $inhost $(median mbsync)")
  imap delete "$folder" >/dev/null
done

python3 - "${results[@]}" <<'PY'
import sys
print("IMAPS resync with nothing new (Dovecot, mails of about 2 KB; both synced the folder before; medians of 3 alternating rounds)")
print(f"  {'mails':>7}  {'erpmail process':>15}  {'in a running host':>17}  {'mbsync':>8}  ratio (process / mbsync)")
for row in sys.argv[1:]:
    n, ours, inhost, mbsync = row.split()
    print(f"  {int(n):>7}  {float(ours):>13.3f} s  {float(inhost):>14.1f} ms  {float(mbsync):>6.3f} s  {float(ours) / float(mbsync):.2f}x")
PY
