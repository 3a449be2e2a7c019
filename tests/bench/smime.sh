#!/usr/bin/env bash
# S/MIME on the send path: receipts with a 100 KB PDF each, filled from a
# text block, queued by one mail.send.bulk call and delivered by
# mail.outbox.process through the test bed's Postfix into Dovecot, three
# ways in one run on the same database and servers: unsigned, signed, and
# signed and encrypted (AES-256-CBC, to the recipient and the sender).
# Then receiving: mail.fetch of as many signed mails (each verified when
# stored) and of the same mails unsigned, from two IMAP folders of Dovecot.
# Rounds alternate which way goes first. Certificates, documents, mailboxes
# and accounts are made outside the clocks.
# The limit the added cost per signed mail is held to is OpenSSL's own:
# one RSA-2048 signature (`openssl speed rsa2048`) plus SHA-256 over the
# mail (`openssl speed sha256`), measured in the same run; for a verified
# mail, one RSA-2048 verification plus the same SHA-256.
#   tests/bench/smime.sh            1,000 receipts each way, 2 rounds
#   tests/bench/smime.sh --smoke    20 receipts each way, 1 round, for CI
#   SMIME_PARTS=receive tests/bench/smime.sh   only the receiving half
set -euo pipefail
source "$(dirname "$0")/common.sh"
count=${SMIME_COUNT:-1000} rounds=${SMIME_ROUNDS:-2}
[ "${1:-}" = "--smoke" ] && count=20 rounds=1
erphost=$build/bin/erphost
[ -x "$erphost" ] || { echo "build first: $erphost is missing" >&2; exit 1; }
sender=$(get USER_ALICE) to=$(get USER_BENCH)
bench_ini "[user.root]
name = Admin
admin = yes"

# A test CA, the sender's certificate with its key, the recipient's.
(
  cd "$work"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=Bench CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
  for who in sender:"$sender" recipient:"$to"; do
    name=${who%%:*} mail=${who#*:}
    printf 'subjectAltName=email:%s\nextendedKeyUsage=emailProtection\nkeyUsage=digitalSignature,keyEncipherment\n' \
      "$mail" > "$name.ext"
    openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$name" 2>/dev/null
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" -days 30 \
      -extfile "$name.ext" 2>/dev/null
  done
  openssl pkcs12 -export -in sender.pem -inkey sender.key -certfile ca.pem -passout pass:bench -out sender.p12
)
python3 - "$work" "$count" <<'PY'
import json, sys
work, count = sys.argv[1], int(sys.argv[2])
with open(f"{work}/rechnung.pdf", "wb") as f:
    f.write(b"%PDF-1.4\n" + bytes(range(256)) * 400 + b"\n%%EOF\n")  # 100 KB, binary
catalogue = [{"name": "document.number", "type": "text", "example": "R-1"},
             {"name": "customer.name", "type": "text", "example": "Muster AG"}]
docs = {f"R-{i:04}": {"file": "rechnung.pdf", "file_name": f"Rechnung {i}.pdf", "variables": {
    "document.number": f"R-{i:04}", "customer.name": f"Kunde {i} Zürich"}} for i in range(count)}
json.dump({"_variables": {"invoice": catalogue}, "invoice": docs}, open(f"{work}/documents.json", "w"))
PY
call() { "$erphost" --config "$work/erphost.ini" call "$@"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
mkdir -p "$work/data"
account=$(call mail.account.create --as clerk --json "{\"label\":\"Verkauf\",\"sender_email\":\"$sender\",
  \"smtp\":{\"host\":\"localhost\",\"port\":$(get SUBMISSION_PORT),\"user\":\"$sender\",
  \"password\":\"$(get PASS_ALICE)\",\"ca\":$(ca_json "$(get TB_CA)")}}" | field id)
mine=$(call mail.certificate.import --as clerk --json "{\"data_base64\":\"$(base64 -w0 "$work/sender.p12")\",
  \"password\":\"bench\"}" | field id)
call mail.certificate.import --as root --json "{\"store\":\"plugin\",\"pem\":$(ca_json "$work/recipient.pem")}" >/dev/null
call mail.certificate.select --as clerk --json "{\"account\":\"$account\",\"signing\":\"$mine\",\"encryption\":\"$mine\"}" >/dev/null
call mail.textblock.create --as clerk --json "{\"account\":\"$account\",\"name\":\"Rechnung\",\"doctypes\":[\"invoice\"],
  \"subject\":\"Rechnung {{ document.number }}\",\"text\":\"Guten Tag {{ customer.name }}\\n\\nAnbei Ihre Rechnung.\"}" >/dev/null

# One way: queue all by one bulk call, then deliver them all; $1 names it, $2 the options.
way() {
  python3 - "$count" "$to" "$account" "$2" > "$work/bulk.json" <<'PY'
import json, sys
n, to, account, options = int(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
print(json.dumps(dict({"account": account, "textblock": "Rechnung", "attach_documents": True,
                       "items": [{"doctype": "invoice", "id": f"R-{i:04}", "to": [to]} for i in range(n)]}, **options)))
PY
  timed "$work/t.$1.queue" "$erphost" --config "$work/erphost.ini" call mail.send.bulk --as clerk \
    --json "@$work/bulk.json" > "$work/bulk.out" || { cat "$work/bulk.out"; exit 1; }
  [ "$(field queued_count < "$work/bulk.out")" = "$count" ] || { cat "$work/bulk.out"; exit 1; }
  # One call delivers a pass (erpmail.outbox.batch per connection): as many calls as it takes.
  local sent=0 pass=0 now
  : > "$work/t.$1.passes"; : > "$work/t.$1.passes.cpu"
  while ((sent < count)); do
    timed "$work/t.pass" "$erphost" --config "$work/erphost.ini" call mail.outbox.process --as clerk \
      --json "{\"account\":\"$account\"}" > "$work/process.out" || { cat "$work/process.out"; exit 1; }
    cat "$work/t.pass" >> "$work/t.$1.passes"
    cat "$work/t.pass.cpu" >> "$work/t.$1.passes.cpu"
    now=$(field sent < "$work/process.out")
    ((now > 0 && ++pass < 100)) || { cat "$work/process.out"; exit 1; }
    sent=$((sent + now))
  done
  awk '{s += $1; if ($2 > m) m = $2} END {printf "%.4f %d\n", s, m}' "$work/t.$1.passes" > "$work/t.$1.deliver"
  awk '{c += $1} END {printf "%.4f\n", c}' "$work/t.$1.passes.cpu" > "$work/t.$1.deliver.cpu"
  empty_inbox "$to" "$(get PASS_BENCH)"
}
seconds() { awk '{print $1}' "$work/t.$1.queue" "$work/t.$1.deliver" | paste -sd+ | bc -l; }
rss() { awk '{print $2}' "$work/t.$1.queue" "$work/t.$1.deliver" | sort -n | tail -1; }
cpu() { cat "$work/t.$1.queue.cpu" "$work/t.$1.deliver.cpu" | paste -sd+ | bc -l; }
# The median of a column of numbers.
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# OpenSSL's own costs on this machine: one RSA-2048 signature, SHA-256 per byte.
sign_per_s=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}')
sha_kb_per_s=$(openssl speed -seconds 2 -bytes 16384 sha256 2>/dev/null | awk '/^sha256/ {sub("k","",$NF); print $NF}')
mail_bytes=$(( 100 * 1024 * 4 / 3 + 4000 ))  # the PDF in base64, headers and text
limit_ms=$(echo "1000 / $sign_per_s + $mail_bytes / 1024 / $sha_kb_per_s * 1000" | bc -l)

if [ "${SMIME_PARTS:-all}" != receive ]; then
empty_inbox "$to" "$(get PASS_BENCH)"
echo "smime.sh: $count receipts with a 100 KB PDF each way, queued by mail.send.bulk and delivered through Postfix"
printf '  OpenSSL here: %.0f RSA-2048 signatures/s, SHA-256 %.0f MB/s: limit per signed mail %.3f ms, twice that %.3f ms\n' \
  "$sign_per_s" "$(echo "$sha_kb_per_s / 1000" | bc -l)" "$limit_ms" "$(echo "2 * $limit_ms" | bc -l)"
ways=(plain signed sealed)
declare -A options=([plain]='{"sign":false,"encrypt":false}' [signed]='{"sign":true,"encrypt":false}'
                    [sealed]='{"sign":true,"encrypt":true}')
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then order=(plain signed sealed); else order=(sealed signed plain); fi
  for w in "${order[@]}"; do way "$w" "${options[$w]}"; done
  echo "round $r (order ${order[*]}):"
  plain=$(seconds plain) plain_cpu=$(cpu plain)
  for w in "${ways[@]}"; do
    s=$(seconds "$w") c=$(cpu "$w")
    printf '  %-7s queue %7.3f s + deliver %7.3f s = %7.3f s  %7.1f mails/s  %.2fx plain rate  +%.3f ms/mail, CPU +%.3f ms/mail  peak RSS %d MB\n' \
      "$w" "$(awk '{print $1}' "$work/t.$w.queue")" "$(awk '{print $1}' "$work/t.$w.deliver")" "$s" \
      "$(echo "$count / $s" | bc -l)" "$(echo "$plain / $s" | bc -l)" "$(echo "($s - $plain) * 1000 / $count" | bc -l)" \
      "$(echo "($c - $plain_cpu) * 1000 / $count" | bc -l)" "$(( $(rss "$w") / 1024 ))"
    if [ "$w" = signed ]; then echo "$(echo "($s - $plain) * 1000 / $count" | bc -l) $(echo "($c - $plain_cpu) * 1000 / $count" | bc -l) $(echo "$plain / $s" | bc -l)" >> "$work/signed.deltas"; fi
  done
done
# Delivery through Postfix moves by a second between ways: the medians.
printf '  signed, median of %d rounds: %.2fx the plain rate, +%.3f ms/mail in time, +%.3f ms/mail in CPU (limit twice %.3f = %.3f ms)\n' \
  "$rounds" "$(awk '{print $3}' "$work/signed.deltas" | median)" "$(awk '{print $1}' "$work/signed.deltas" | median)" \
  "$(awk '{print $2}' "$work/signed.deltas" | median)" "$limit_ms" "$(echo "2 * $limit_ms" | bc -l)"
fi

# Receiving: the sender's signed receipts and the same receipts unsigned, in
# two folders of the bench mailbox; the test CA is trusted in the plugin's store.
call mail.certificate.import --as root --json "{\"store\":\"plugin\",\"pem\":$(ca_json "$work/ca.pem")}" >/dev/null
folders=$(python3 - "$work" "$count" "$(get IMAPS_PORT)" "$(get TB_CA)" "$to" "$(get PASS_BENCH)" "$sender" <<'PY'
import base64, imaplib, ssl, subprocess, sys, time
work, count, port, ca, user, password, sender = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
pdf = base64.encodebytes(open(f"{work}/rechnung.pdf", "rb").read()).replace(b"\n", b"\r\n")
entity = (b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n'
          b'Content-Transfer-Encoding: quoted-printable\r\n\r\nGuten Tag, anbei die Rechnung. Gr=C3=BCsse\r\n--b1\r\n'
          b'Content-Type: application/pdf; name="Rechnung.pdf"\r\nContent-Disposition: attachment; '
          b'filename="Rechnung.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + pdf + b'--b1--\r\n')
signed = subprocess.run(["openssl", "cms", "-sign", "-signer", f"{work}/sender.pem", "-inkey", f"{work}/sender.key"],
                        input=entity, capture_output=True, check=True).stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
plain = b"MIME-Version: 1.0\r\n" + entity
stamp = int(time.time())
i = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ssl.create_default_context(cafile=ca))
i.login(user, password)
names = []
for kind, body in (("signed", signed), ("plain", plain)):
    folder = f"Smime{kind.title()}{stamp}"
    i.create(folder)
    for n in range(count):
        head = (f"From: Lieferant <{sender}>\r\nTo: {user}\r\nSubject: Rechnung {n}\r\n"
                f"Message-ID: <{kind}-{n}-{stamp}@bench.example>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n").encode()
        assert i.append(folder, None, None, head + body)[0] == "OK"
    names.append(folder)
i.logout()
print(" ".join(names))
PY
)
read -r signed_folder plain_folder <<< "$folders"
fetch() {
  local folder=$1 name=$2 id
  id=$(call mail.account.create --as clerk --json "{\"label\":\"Eingang $name $r\",\"incoming\":{\"protocol\":\"imaps\",
    \"host\":\"localhost\",\"port\":$(get IMAPS_PORT),\"folder\":\"$folder\",\"user\":\"$to\",\"password\":\"$(get PASS_BENCH)\",
    \"ca\":$(ca_json "$(get TB_CA)"),\"leave_on_server\":{\"mode\":\"forever\"}}}" | field id)
  timed "$work/t.$name.fetch" "$erphost" --config "$work/erphost.ini" call mail.fetch --as clerk \
    --json "{\"account\":\"$id\"}" > "$work/fetch.out" || { cat "$work/fetch.out"; exit 1; }
  [ "$(field fetched < "$work/fetch.out")" = "$count" ] || { cat "$work/fetch.out"; exit 1; }
}
verify_per_s=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $7}')
verify_limit_ms=$(echo "1000 / $verify_per_s + $mail_bytes / 1024 / $sha_kb_per_s * 1000" | bc -l)
echo "receiving $count signed mails (verified when stored) and the same unsigned, by mail.fetch over IMAPS"
printf '  OpenSSL here: %.0f RSA-2048 verifications/s: limit per verified mail %.3f ms, twice that %.3f ms\n' \
  "$verify_per_s" "$verify_limit_ms" "$(echo "2 * $verify_limit_ms" | bc -l)"
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then fetch "$plain_folder" plain; fetch "$signed_folder" signed
  else fetch "$signed_folder" signed; fetch "$plain_folder" plain; fi
  p=$(awk '{print $1}' "$work/t.plain.fetch") s=$(awk '{print $1}' "$work/t.signed.fetch")
  pc=$(cat "$work/t.plain.fetch.cpu") sc=$(cat "$work/t.signed.fetch.cpu")
  echo "$(echo "($s - $p) * 1000 / $count" | bc -l) $(echo "($sc - $pc) * 1000 / $count" | bc -l)" >> "$work/deltas"
  printf '  round %d: unsigned %7.3f s, signed %7.3f s: %.2fx the unsigned rate, +%.3f ms/mail; CPU %.3f s and %.3f s: +%.3f ms/mail; peak RSS %d MB\n' \
    "$r" "$p" "$s" "$(echo "$p / $s" | bc -l)" "$(echo "($s - $p) * 1000 / $count" | bc -l)" \
    "$pc" "$sc" "$(echo "($sc - $pc) * 1000 / $count" | bc -l)" "$(( $(awk '{print $2}' "$work/t.signed.fetch") / 1024 ))"
done
# The fetch runs on several threads beside the network, so its time moves
# more than its cost: the median of the rounds, in time and in CPU.
printf '  median of %d rounds: +%.3f ms/mail in time, +%.3f ms/mail in CPU (limit twice %.3f = %.3f ms)\n' "$rounds" \
  "$(awk '{print $1}' "$work/deltas" | median)" "$(awk '{print $2}' "$work/deltas" | median)" \
  "$verify_limit_ms" "$(echo "2 * $verify_limit_ms" | bc -l)"
python3 - "$(get IMAPS_PORT)" "$(get TB_CA)" "$to" "$(get PASS_BENCH)" "$signed_folder" "$plain_folder" <<'PY'
import imaplib, ssl, sys
port, ca, user, password, *folders = sys.argv[1:]
i = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ssl.create_default_context(cafile=ca))
i.login(user, password)
for f in folders:
    i.delete(f)
i.logout()
PY
