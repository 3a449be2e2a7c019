#!/usr/bin/env bash
# Memory for one large mail: peak RSS of the whole erphost process that
# fetches one mail of 50 MB (a PDF of 36.5 MB, base64) over POP3S and over
# IMAPS, parses it and stores it in SQLite through ODBC; the limit is twice
# the mail's size plus 32 MiB. Checks that the stored raw message and the
# attachment are byte for byte what was delivered.
#   tests/bench/bigmail.sh            one mail of 50 MB
#   tests/bench/bigmail.sh --smoke    one mail of 9 MB, as CI runs it
# Uses the test bed named by $ERPMAIL_TESTBED_ENV, or starts its own. As root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pdf_bytes=$((36500 * 1024))
[ "${1:-}" = "--smoke" ] && pdf_bytes=$((6600 * 1024)) # over 8 MiB: the path of large mails
# shellcheck source=tests/bench/common.sh
. "$here/common.sh"
ca=$(get TB_CA); user=$(get USER_BENCH); pass=$(get PASS_BENCH)
maildir="$(get TB_DIR)/mail/${user#*@}/${user%@*}"

# The bench user's INBOX holds exactly this one mail, written as a Maildir file.
empty_inbox "$user" "$pass"
python3 - "$maildir/cur" "$pdf_bytes" "$work" <<'PY'
import base64, hashlib, os, random, sys, time
where, size, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pdf = random.Random(50).randbytes(size)
body = base64.encodebytes(pdf).replace(b"\n", b"\r\n")
raw = (b"From: Kunde <kunde@kunde.example>\r\nTo: bench@erpmail.test\r\nSubject: Grosser Plan\r\n"
       b"Message-ID: <bigmail@kunde.example>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n\r\nDer Plan im Anhang.\r\n--b1\r\n"
       b"Content-Type: application/pdf; name=\"Plan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
       b"Content-Disposition: attachment; filename=\"Plan.pdf\"\r\n\r\n" + body + b"--b1--\r\n")
with open(os.path.join(where, f"{int(time.time())}.Mbig.bench:2,S"), "wb") as f:
    f.write(raw)
with open(os.path.join(work, "expected"), "w") as f:
    f.write(f"{len(raw)} {hashlib.sha256(raw).hexdigest()} {hashlib.sha256(pdf).hexdigest()}\n")
PY
chown -R mail:mail "$maildir/cur"
read -r size raw_sha pdf_sha < "$work/expected"

rows=()
for protocol in pop3s imaps; do
  port=$(get "$([ $protocol = pop3s ] && echo POP3S_PORT || echo IMAPS_PORT)")
  rm -rf "$work/data"
  bench_ini
  account=$("$build/bin/erphost" --config "$work/erphost.ini" call mail.account.create --as clerk --json \
    "{\"label\":\"Big\",\"incoming\":{\"protocol\":\"$protocol\",\"host\":\"localhost\",\"port\":$port,
      \"user\":\"$user\",\"password\":\"$pass\",\"ca\":$(ca_json "$ca"),\"leave_on_server\":{\"mode\":\"forever\"}}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  timed "$work/time" "$build/bin/erphost" --config "$work/erphost.ini" call mail.fetch \
    --as clerk --json "{\"account\":\"$account\"}" > "$work/fetch.json"
  python3 - "$work/data/bench.db" "$raw_sha" "$pdf_sha" "$work/fetch.json" <<'PY'
import hashlib, json, sqlite3, sys
db, raw_sha, pdf_sha, report = sys.argv[1:5]
assert json.load(open(report))["fetched"] == 1, open(report).read()
c = sqlite3.connect(db)
raw, subject, text = c.execute("SELECT raw, subject, body_text FROM messages").fetchone()
assert (subject, text.strip()) == ("Grosser Plan", "Der Plan im Anhang."), (subject, text)
pdf, name = c.execute("SELECT content, file_name FROM attachments").fetchone()
assert hashlib.sha256(raw).hexdigest() == raw_sha, "the stored raw message differs"
assert hashlib.sha256(pdf).hexdigest() == pdf_sha and name == "Plan.pdf", "the stored attachment differs"
PY
  read -r seconds rss_kb < "$work/time"
  rows+=("$protocol $seconds $rss_kb")
done

python3 - "$size" "$pdf_bytes" "${rows[@]}" <<'PY'
import sys
size, pdf = int(sys.argv[1]), int(sys.argv[2])
limit = 2 * size + 32 * 1048576
print(f"One mail of {size / 1048576:.1f} MB (a {pdf / 1048576:.1f} MB PDF), fetched, parsed and stored in SQLite; "
      f"limit {limit / 1048576:.1f} MB (2x size + 32 MiB)")
for row in sys.argv[3:]:
    protocol, seconds, rss_kb = row.split()
    rss = int(rss_kb) * 1024
    print(f"  {protocol:6} {float(seconds):6.2f} s  peak RSS {rss / 1048576:6.1f} MB  "
          f"({rss / size:.2f}x the mail; {'within' if rss <= limit else 'OVER'} the limit)")
PY
