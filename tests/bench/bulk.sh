#!/usr/bin/env bash
# Text-block reminders: 300 reminders, each filled from its host document
# with a PDF attached, rendered and queued by one mail.send.bulk call, and
# the same 300 by 300 single mail.send calls (one erphost process each, as
# a host form would call it), in one run on the same database, alternating
# which goes first. The outbox is not sent: this measures filling and
# queuing. Rates in mails per second.
#   tests/bench/bulk.sh            300 reminders, 3 rounds
#   tests/bench/bulk.sh --smoke    20 reminders, 1 round, for CI
set -euo pipefail
source "$(dirname "$0")/common.sh"
count=${BULK_COUNT:-300} rounds=${BULK_ROUNDS:-3}
[ "${1:-}" = "--smoke" ] && count=20 rounds=1
erphost=$build/bin/erphost
[ -x "$erphost" ] || { echo "build first: $erphost is missing" >&2; exit 1; }
bench_ini "[config]
erpmail.locale = de-CH"
python3 - "$work" "$count" <<'PY'
import json, sys
work, count = sys.argv[1], int(sys.argv[2])
with open(f"{work}/mahnung.pdf", "wb") as f:
    f.write(b"%PDF-1.4\n" + b"0" * 100_000 + b"\n%%EOF\n")
catalogue = [{"name": n, "type": t, "example": e} for n, t, e in [
    ("document.number", "text", "M-1"), ("customer.name", "text", "Muster AG"),
    ("invoice.total", "amount", "1.00"), ("invoice.due_date", "date", "2026-11-26")]]
docs = {f"M-{i:04}": {"file": "mahnung.pdf", "file_name": f"Mahnung {i}.pdf", "variables": {
    "document.number": f"M-{i:04}", "customer.name": f"Kunde {i} Zürich", "invoice.total": f"{1000 + i}.5",
    "invoice.due_date": "2026-11-26"}} for i in range(count)}
json.dump({"_variables": {"reminder": catalogue}, "reminder": docs}, open(f"{work}/documents.json", "w"))
PY
call() { "$erphost" --config "$work/erphost.ini" call "$@"; }
mkdir -p "$work/data"
account=$(call mail.account.create --as clerk --json "{\"label\":\"Debitoren\",\"sender_email\":\"$(get USER_ALICE)\",
  \"smtp\":{\"host\":\"localhost\",\"port\":$(get SUBMISSION_PORT),\"user\":\"$(get USER_ALICE)\",
  \"password\":\"$(get PASS_ALICE)\",\"ca\":$(ca_json "$(get TB_CA)")}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
call mail.textblock.create --as clerk --json "{\"account\":\"$account\",\"name\":\"Mahnung\",\"doctypes\":[\"reminder\"],
  \"subject\":\"Zahlungserinnerung {{ document.number }}\",
  \"text\":\"Guten Tag {{ customer.name }}\\n\\n{{ invoice.total | amount:\\\"CHF\\\" }} waren am {{ invoice.due_date | date }} fällig.\"}" >/dev/null
to=$(get USER_BENCH)

bulk() {
  python3 - "$count" "$to" "$account" > "$work/bulk.json" <<'PY'
import json, sys
n, to, account = int(sys.argv[1]), sys.argv[2], sys.argv[3]
print(json.dumps({"account": account, "textblock": "Mahnung", "attach_documents": True,
                  "items": [{"doctype": "reminder", "id": f"M-{i:04}", "to": [to]} for i in range(n)]}))
PY
  timed "$work/t.bulk" "$erphost" --config "$work/erphost.ini" call mail.send.bulk --as clerk \
    --json "$(cat "$work/bulk.json")" > "$work/bulk.out" || { cat "$work/bulk.out"; exit 1; }
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["queued_count"] == int(sys.argv[2]), r' \
    "$work/bulk.out" "$count"
}
single() {
  local started i
  started=$(date +%s.%N)
  for ((i = 0; i < count; i++)); do
    printf -v id 'M-%04d' "$i"
    call mail.send --as clerk --json "{\"account\":\"$account\",\"to\":[\"$to\"],\"textblock\":\"Mahnung\",
      \"documents\":[{\"doctype\":\"reminder\",\"id\":\"$id\"}],\"attachments\":[{\"document\":{\"doctype\":\"reminder\",\"id\":\"$id\"}}]}" >/dev/null
  done
  python3 -c 'import sys,time; print(f"{time.time() - float(sys.argv[1]):.4f} 0")' "$started" > "$work/t.single"
}
report() { awk -v n="$count" -v label="$1" '{printf "  %-28s %7.3f s  %8.1f mails/s\n", label, $1, n / $1}' "$2"; }

echo "bulk.sh: $count reminders with a 100 KB PDF each, filled from their documents and queued"
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then bulk; single; else single; bulk; fi
  echo "round $r:"
  report "one mail.send.bulk call" "$work/t.bulk"
  report "$count mail.send calls" "$work/t.single"
done
