# Shared by the benchmarks: sourced, not run. Sets root, build, work (a
# fresh folder) and env_file (the test bed named by $ERPMAIL_TESTBED_ENV, or
# one started here and stopped on exit), and get KEY reads the test bed's
# settings. A benchmark that needs no mail servers sets bench_testbed=no
# before sourcing: then no test bed is started.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${ERPMAIL_BUILD_DIR:-$root/build}
work=$(mktemp -d "/tmp/erpmail-bench-$(basename "$0" .sh).XXXXXX")
chmod 755 "$work"
own_testbed=0
env_file=${ERPMAIL_TESTBED_ENV:-}
if [ "${bench_testbed:-yes}" = yes ] && { [ -z "$env_file" ] || [ ! -f "$env_file" ]; }; then
  env_file=$work/testbed.env
  "$root/tests/fixtures/testbed" start "$env_file" >/dev/null 2>&1
  own_testbed=1
fi
bench_cleanup() { [ "$own_testbed" = 1 ] && "$root/tests/fixtures/testbed" stop "$env_file"; rm -rf "$work"; }
trap bench_cleanup EXIT
get() { sed -n "s/^$1=//p" "$env_file"; }
# Writes $work/erphost.ini: the built plugin, SQLite in $work/data, one
# user "clerk" who may use mail; extra lines (a [config] section) are appended.
bench_ini() {
  cat > "$work/erphost.ini" <<INI
[host]
plugin_dir = $build/plugins
data_dir = $work/data
log_level = error
documents = $work/documents.json
[plugin.erpmail]
modules = *
[database.main]
connection = Driver=SQLite3;Database=$work/data/bench.db
system = yes
[user.clerk]
name = Clerk
[grants]
mail.use = *
$*
INI
}
# The PEM text of CA file $1 as a JSON string, for an account's "ca".
ca_json() { python3 -c 'import json, sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
# Writes $work/mbsyncrc: mbsync pulls IMAPS folder $1 of the bench user
# into the Maildir $work/maildir/ (needs port, user, pass and ca set). Its
# sync state lives in that Maildir (not in ~/.mbsync), so an emptied
# Maildir means a first sync again.
mbsync_config() {
  cat > "$work/mbsyncrc" <<RC
IMAPAccount bench
Host localhost
Port $port
User $user
Pass $pass
SSLType IMAPS
CertificateFile $ca

IMAPStore remote
Account bench

MaildirStore local
Path $work/maildir/
Inbox $work/maildir/INBOX

Channel bench
Far :remote:$1
Near :local:$1
Sync Pull
Create Near
SyncState *
RC
}
# mbsync sleeps one second before it reads a local Maildir folder that
# changed within the current second (the Maildir mtime race: a file added
# later in that second would go unseen). A resync comes long after the sync
# before it, so the benchmarks let that second pass, outside both clocks.
maildir_settle() {
  python3 - "$work/maildir" <<'PY'
import os, sys, time
newest = max((os.stat(os.path.join(d, sub)).st_mtime for d, subs, _ in os.walk(sys.argv[1]) for sub in subs),
             default=0)
time.sleep(max(0.0, int(newest) + 1.05 - time.time()))
PY
}
# timed FILE CMD...: runs CMD and writes "seconds peak-RSS-KB" to FILE, the
# time to a tenth of a millisecond (GNU time's %e has ten).
timed() {
  python3 -c '
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
elapsed = time.perf_counter() - started
with open(sys.argv[1], "w") as f:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    f.write(f"{elapsed:.4f} {usage.ru_maxrss}\n")
with open(sys.argv[1] + ".cpu", "w") as f:
    f.write(f"{usage.ru_utime + usage.ru_stime:.4f}\n")
sys.exit(code)' "$@"
}
# empty_inbox USER PASS: expunges every mail of the test bed user's INBOX.
empty_inbox() {
  python3 - "$(get IMAPS_PORT)" "$(get TB_CA)" "$1" "$2" <<'PY'
import imaplib, ssl, sys
port, ca, user, password = sys.argv[1:5]
i = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ssl.create_default_context(cafile=ca))
i.login(user, password)
i.select("INBOX")
i.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
i.expunge()
i.logout()
PY
}
