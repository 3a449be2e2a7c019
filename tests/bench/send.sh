#!/usr/bin/env bash
# Sending throughput through the local Postfix submission port (STARTTLS and
# AUTH): erpmail (outbox delivery, parallel connections) against Python's
# smtplib over one connection on the same receipts, and msmtp (one process
# per mail) on a tenth of them, in one run. Each receipt carries a 100 KB PDF.
#   tests/bench/send.sh           1,000 receipts (msmtp: 100)
#   tests/bench/send.sh --smoke   30 receipts (msmtp: 5), as CI runs it
# Uses the test bed named by $ERPMAIL_TESTBED_ENV, or starts its own. As root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
count=1000; msmtp_count=100
[ "${1:-}" = "--smoke" ] && count=30 && msmtp_count=5
# shellcheck source=tests/bench/common.sh
. "$here/common.sh"
port=$(get SUBMISSION_PORT); ca=$(get TB_CA); user=$(get USER_BENCH); pass=$(get PASS_BENCH); rcpt=$(get USER_BOB)
tag=$(date +%s%N)

head -c 102400 /dev/urandom > "$work/receipt.pdf"
cat > "$work/documents.json" <<JSON
{"invoice": {"bench": {"file": "$work/receipt.pdf", "file_name": "Rechnung Müller.pdf"}}}
JSON
bench_ini "$(printf '[config]\nerpmail.smtp.connections = 4\nerpmail.outbox.batch = 100000')"
erphost() { "$build/bin/erphost" --config "$work/erphost.ini" "$@"; }
account=$(erphost call mail.account.create --as clerk --json "{\"label\":\"Bench\",\"sender_name\":\"Anna Äbi\",
  \"sender_email\":\"$user\",\"incoming\":{\"protocol\":\"imaps\",\"host\":\"localhost\",\"user\":\"$user\",
  \"password\":\"$pass\"},\"smtp\":{\"host\":\"localhost\",\"port\":$port,\"ca\":$(ca_json "$ca")}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# Queueing is what a clerk's form does; the benchmark times delivery.
seq 1 "$count" | xargs -P 2 -I{} "$build/bin/erphost" --config "$work/erphost.ini" call mail.send --as clerk --json \
  "{\"account\":\"$account\",\"to\":[\"$rcpt\"],\"subject\":\"Rechnung {} für Müller & Söhne $tag\",
    \"text\":\"Grüezi\\nAnbei Rechnung Nr. {}.\\n\",\"attachments\":[{\"document\":{\"doctype\":\"invoice\",\"id\":\"bench\"}}]}" >/dev/null

/usr/bin/time -f '%e %M' -o "$work/time" "$build/bin/erphost" --config "$work/erphost.ini" call mail.outbox.process \
  --as clerk --json "{\"account\":\"$account\"}" > "$work/ours.json"
read -r ours_s ours_rss_kb < "$work/time"
sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$work/ours.json")
[ "$sent" = "$count" ] || { echo "erpmail sent $sent of $count" >&2; cat "$work/ours.json" >&2; exit 1; }

peer=$(python3 "$here/send_peer.py" localhost "$port" "$user" "$pass" "$ca" "$rcpt" "$count" "$work/receipt.pdf" "$tag")

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

python3 - "$count" "$ours_s" "$ours_rss_kb" "$peer" "$msmtp_count" "$msmtp_s" <<'PY'
import json, sys
count, ours_s, rss_kb, peer, mcount, msmtp_s = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
ours_rate = count / ours_s
print(f"{count} receipts with a 100 KB PDF, submission with STARTTLS and AUTH, Postfix -> Dovecot")
print(f"  erpmail  {ours_s:7.2f} s  {ours_rate:7.1f} mails/s  peak RSS {rss_kb / 1024:.1f} MB  (4 connections, whole process)")
print(f"  smtplib  {peer['seconds']:7.2f} s  {peer['per_second']:7.1f} mails/s  peak RSS {peer['peak_rss_mb']} MB  (1 connection)")
print(f"  msmtp    {msmtp_s:7.2f} s  {mcount / msmtp_s:7.1f} mails/s  ({mcount} mails, one process each)")
print(f"  ratio erpmail / smtplib: {ours_rate / peer['per_second']:.2f}x   erpmail / msmtp: {ours_rate / (mcount / msmtp_s):.2f}x")
PY
