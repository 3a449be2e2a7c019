#!/usr/bin/env bash
# IMAP sync into SQLite through ODBC: erpmail's mail.fetch (whole process:
# UID FETCH pipelined, parse with GMime, store raw, headers, bodies,
# attachments, addresses) against mbsync pulling the same folder into a
# Maildir, in one run; then each one's resync with nothing new.
# The mailbox: mails of about 20 KB, every tenth with a PDF attachment,
# delivered to the test bed's Dovecot over LMTP.
#   tests/bench/imap.sh           10,000 mails, three rounds (medians)
#   tests/bench/imap.sh --smoke   300 mails, one round, as CI runs it
# Uses the test bed named by $ERPMAIL_TESTBED_ENV, or starts its own. As root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
count=10000 rounds=3
[ "${1:-}" = "--smoke" ] && count=300 rounds=1
# shellcheck source=tests/bench/common.sh
. "$here/common.sh"
port=$(get IMAPS_PORT); ca=$(get TB_CA); user=$(get USER_BENCH); pass=$(get PASS_BENCH); lmtp=$(get LMTP_PORT)
folder="Bench$(date +%s)"

python3 - "$lmtp" "$user" "$count" "$port" "$ca" "$pass" "$folder" <<'PY'
import imaplib, random, smtplib, ssl, sys
from email.message import EmailMessage
lmtp, user, count, port, ca, password, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:]
i = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ssl.create_default_context(cafile=ca))
i.login(user, password)
i.select("INBOX")  # start from an empty INBOX: other runs may have left mail
i.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
i.expunge()
i.logout()
rng = random.Random(1)
words = "Rechnung Offerte Mahnung Lieferung Müller Söhne Zürich Grüsse Betrag fällig Kunde Auftrag".split()
with smtplib.LMTP("127.0.0.1", int(lmtp)) as l:
    for i in range(count):
        m = EmailMessage()
        m["From"] = f"Kunde {i % 97} <kunde{i % 97}@kunde.example>"
        m["To"] = f"{user}"
        m["Subject"] = f"{rng.choice(words)} {i} für {rng.choice(words)}"
        m.set_content(" ".join(rng.choice(words) for _ in range(2600 if i % 10 else 300)) + "\n")
        if i % 10 == 0:
            m.add_attachment(rng.randbytes(14000), maintype="application", subtype="pdf", filename=f"Beleg {i}.pdf")
        # user+folder: Dovecot's LMTP puts the mail straight into that folder
        l.send_message(m, to_addrs=[user])
i = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ssl.create_default_context(cafile=ca))
i.login(user, password)
i.create(folder)
i.select("INBOX")
i.uid("MOVE", "1:*", folder)
i.logout()
PY

mbsync_config "$folder"
bench_ini
erphost() { "$build/bin/erphost" --config "$work/erphost.ini" "$@"; }
# Each side syncs the folder first into an empty store (a Maildir, a fresh
# database), then again with nothing new. Rounds alternate which side goes
# first (odd rounds mbsync, even rounds erpmail); setup is outside the clocks.
run_mbsync() {
  rm -rf "$work/maildir"; mkdir -p "$work/maildir"
  timed "$work/mbsync1.$round" mbsync -q -c "$work/mbsyncrc" bench
  maildir_settle
  timed "$work/mbsync2.$round" mbsync -q -c "$work/mbsyncrc" bench
  stored=$(find "$work/maildir" -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)
  [ "$stored" = "$count" ] || { echo "mbsync stored $stored of $count" >&2; exit 1; }
}
run_ours() {
  rm -rf "$work/data"
  account=$(erphost call mail.account.create --as clerk --json "{\"label\":\"Bench\",\"incoming\":{\"protocol\":\"imaps\",
    \"host\":\"localhost\",\"port\":$port,\"folder\":\"$folder\",\"user\":\"$user\",\"password\":\"$pass\",
    \"ca\":$(ca_json "$ca"),\"leave_on_server\":{\"mode\":\"forever\"}}}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for run in 1 2; do
    timed "$work/ours$run.$round" "$build/bin/erphost" --config "$work/erphost.ini" call mail.fetch \
      --as clerk --json "{\"account\":\"$account\"}" > "$work/ours$run.json"
  done
  fetched=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fetched"])' "$work/ours1.json")
  [ "$fetched" = "$count" ] || { echo "erpmail fetched $fetched of $count" >&2; exit 1; }
}
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then run_mbsync; run_ours; else run_ours; run_mbsync; fi
done
# The folder is removed again so that benchmark mailboxes do not pile up.
python3 -c "
import imaplib, ssl
i = imaplib.IMAP4_SSL('localhost', $port, ssl_context=ssl.create_default_context(cafile='$ca'))
i.login('$user', '$pass'); i.delete('$folder'); i.logout()"

python3 - "$count" "$work" "$rounds" <<'PY'
import statistics, sys
count, work, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def median(name):
    runs = [[float(x) for x in open(f"{work}/{name}.{r}").read().split()] for r in range(1, rounds + 1)]
    return statistics.median(s for s, _ in runs), max(kb for _, kb in runs), " ".join(f"{s:.2f}" for s, _ in runs)
o1, o2, m1, m2 = median("ours1"), median("ours2"), median("mbsync1"), median("mbsync2")
print(f"IMAPS sync of {count} mails (every tenth with a PDF) from Dovecot, median of {rounds} alternating rounds")
print(f"  first sync   erpmail {o1[0]:6.2f} s (peak RSS {o1[1] / 1024:.1f} MB, into SQLite via ODBC, parsed; runs {o1[2]})   "
      f"mbsync {m1[0]:6.2f} s (peak RSS {m1[1] / 1024:.1f} MB, into Maildir; runs {m1[2]})   "
      f"ratio {o1[0] / m1[0]:.2f}x (target at most 0.5x)")
print(f"  no-change    erpmail {o2[0]:6.3f} s   mbsync {m2[0]:6.3f} s   ratio {o2[0] / m2[0]:.2f}x (target at most 0.9x)")
PY
