#!/usr/bin/env bash
# Sending throughput through the local Postfix submission port (STARTTLS and
# AUTH), each mail with its copy in the sender's IMAP Sent folder: erpmail
# (outbox delivery, 4 connections) against Python's smtplib + imaplib over
# one connection pair, and against 4 such processes sharing the receipts, on
# the same receipts, rounds alternating who goes first; msmtp (one process
# per mail, no Sent copy) on a tenth of them. Each receipt carries a 100 KB
# PDF. After each run the Sent copies are counted (all there, all \Seen) and
# removed, so every run starts from the same Sent folder.
#   tests/bench/send.sh              1,000 receipts, 2 rounds, empty Sent folder
#   tests/bench/send.sh --sent 20000 the same into a Sent folder of 20,000 mails
#   tests/bench/send.sh --smoke      30 receipts, 1 round, as CI runs it
# Uses the test bed named by $ERPMAIL_TESTBED_ENV, or starts its own. As root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
count=1000; msmtp_count=100; rounds=2; prefill=0
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) count=30; msmtp_count=5; rounds=1 ;;
    --sent) prefill=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--sent N]" >&2; exit 2 ;;
  esac
  shift
done
# shellcheck source=tests/bench/common.sh
. "$here/common.sh"
port=$(get SUBMISSION_PORT); imap_port=$(get IMAPS_PORT); ca=$(get TB_CA)
user=$(get USER_BENCH); pass=$(get PASS_BENCH); rcpt=$(get USER_BOB)
tag=$(date +%s%N)
sent_folder() { python3 "$here/sent_folder.py" "$1" localhost "$imap_port" "$user" "$pass" "$ca" "${@:2}"; }

head -c 102400 /dev/urandom > "$work/receipt.pdf"
cat > "$work/documents.json" <<JSON
{"invoice": {"bench": {"file": "$work/receipt.pdf", "file_name": "Rechnung Müller.pdf"}}}
JSON
bench_ini "$(printf '[config]\nerpmail.smtp.connections = 4\nerpmail.outbox.batch = 100000')"
erphost() { "$build/bin/erphost" --config "$work/erphost.ini" "$@"; }
account=$(erphost call mail.account.create --as clerk --json "{\"label\":\"Bench\",\"sender_name\":\"Anna Äbi\",
  \"sender_email\":\"$user\",\"incoming\":{\"protocol\":\"imaps\",\"host\":\"localhost\",\"port\":$imap_port,
  \"user\":\"$user\",\"password\":\"$pass\",\"ca\":$(ca_json "$ca")},
  \"smtp\":{\"host\":\"localhost\",\"port\":$port,\"ca\":$(ca_json "$ca")}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

if [ "$prefill" -gt 0 ]; then
  python3 "$here/sent_folder.py" fill "$(get TB_DIR)/mail/erpmail.test/bench" "$prefill"
fi
read -r _ held < <(sent_folder mark) # Dovecot indexes the folder here, outside the clocks
echo "Sent folder holds $held mails before each run" >&2

# Takes the Sent copies of the run that started at UIDNEXT $1 ($2 names
# the side): all $count must be there and \Seen.
check_sent() {
  local copies seen
  read -r copies seen < <(sent_folder take "$1")
  [ "$copies" = "$count" ] && [ "$seen" = "$count" ] ||
    { echo "$2: $copies Sent copies ($seen \\Seen) of $count" >&2; exit 1; }
}
# The receipts each run hands to Postfix reach Dovecot over LMTP for
# minutes after the run (1,000 of 100 KB): dropped after each run, so that
# the next one, or the next benchmark, does not run beside them.
drop_backlog() { postsuper -c "$(get TB_DIR)/postfix" -d ALL >/dev/null 2>&1 || true; }
run_ours() {
  # Queueing is what a clerk's form does (composition included); the clock times delivery.
  seq 1 "$count" | xargs -P 2 -I{} "$build/bin/erphost" --config "$work/erphost.ini" call mail.send --as clerk \
    --json "{\"account\":\"$account\",\"to\":[\"$rcpt\"],\"subject\":\"Rechnung {} für Müller & Söhne $tag-$1\",
    \"text\":\"Grüezi\\nAnbei Rechnung Nr. {}.\\n\",\"attachments\":[{\"document\":{\"doctype\":\"invoice\",\"id\":\"bench\"}}]}" \
    >/dev/null
  local mark sent
  read -r mark _ < <(sent_folder mark)
  timed "$work/time" "$build/bin/erphost" --config "$work/erphost.ini" call mail.outbox.process \
    --as clerk --json "{\"account\":\"$account\"}" > "$work/ours.json"
  sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$work/ours.json")
  [ "$sent" = "$count" ] || { echo "erpmail sent $sent of $count" >&2; cat "$work/ours.json" >&2; exit 1; }
  check_sent "$mark" erpmail
  drop_backlog
  cat "$work/time" >> "$work/ours.times"
}
run_peer() {
  local mark
  read -r mark _ < <(sent_folder mark)
  python3 "$here/send_peer.py" localhost "$port" "$imap_port" "$user" "$pass" "$ca" "$rcpt" "$count" \
    "$work/receipt.pdf" "$tag-$2" "$1" >> "$work/peer$1.json"
  check_sent "$mark" "smtplib x$1"
  drop_backlog
}
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) = 1 ]; then run_ours "$round"; run_peer 1 "$round"; run_peer 4 "$round"
  else run_peer 4 "$round"; run_peer 1 "$round"; run_ours "$round"; fi
done

cat > "$work/msmtprc" <<RC
account bench
host localhost
port $port
tls on
tls_starttls on
tls_trust_file $ca
auth on
user $user
password $pass
from $user
RC
chmod 600 "$work/msmtprc"
python3 - "$work" "$msmtp_count" "$work/receipt.pdf" "$user" "$rcpt" "$tag" <<'PY'
import sys
from email.message import EmailMessage
work, n, pdf, user, rcpt, tag = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read(), *sys.argv[4:]
for i in range(n):
    m = EmailMessage(); m["From"] = user; m["To"] = rcpt; m["Subject"] = f"msmtp {i} {tag}"
    m.set_content("Grüezi\n"); m.add_attachment(pdf, maintype="application", subtype="pdf", filename="r.pdf")
    open(f"{work}/msmtp-{i}.eml", "wb").write(bytes(m))
PY
start=$(date +%s.%N)
for i in $(seq 0 $((msmtp_count - 1))); do
  msmtp -C "$work/msmtprc" -a bench "$rcpt" < "$work/msmtp-$i.eml"
done
msmtp_s=$(python3 -c "import time; print(round($(date +%s.%N) - $start, 3))")
drop_backlog

python3 - "$count" "$held" "$work" "$msmtp_count" "$msmtp_s" <<'PY'
import json, statistics, sys
count, held, work, mcount, msmtp_s = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
ours = [tuple(map(float, line.split())) for line in open(f"{work}/ours.times")]
ours_s = statistics.median(t for t, _ in ours)
rss_mb = max(kb for _, kb in ours) / 1024
peers = {n: [json.loads(line) for line in open(f"{work}/peer{n}.json")] for n in (1, 4)}
peer_s = {n: statistics.median(p["seconds"] for p in runs) for n, runs in peers.items()}
rate = count / ours_s
print(f"{count} receipts with a 100 KB PDF and a Sent copy each, submission with STARTTLS and AUTH, "
      f"Postfix -> Dovecot; Sent folder of {held} mails; medians of {len(ours)} rounds")
runs = lambda seconds: "runs " + " ".join(f"{s:.2f}" for s in seconds)
print(f"  erpmail     {ours_s:7.2f} s  {rate:7.1f} mails/s  peak RSS {rss_mb:.1f} MB  (4 connections, whole process; "
      f"{runs(t for t, _ in ours)})")
for n in (1, 4):
    print(f"  smtplib x{n}  {peer_s[n]:7.2f} s  {count / peer_s[n]:7.1f} mails/s  "
          f"peak RSS {max(p['peak_rss_mb'] for p in peers[n])} MB  ({n} process{'es' if n > 1 else ''}; "
          f"{runs(p['seconds'] for p in peers[n])})")
print(f"  msmtp       {msmtp_s:7.2f} s  {mcount / msmtp_s:7.1f} mails/s  ({mcount} mails, one process each, no Sent copy)")
print(f"  ratio erpmail / smtplib x1: {peer_s[1] / ours_s:.2f}x   erpmail / smtplib x4: {peer_s[4] / ours_s:.2f}x   "
      f"erpmail / msmtp: {rate / (mcount / msmtp_s):.2f}x")
PY
