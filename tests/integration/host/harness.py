"""Runs erphost as a user would: writes an INI file, calls the CLI, parses
its JSON with Python's own parser."""
import json
import os
import shutil
import subprocess
import time
import tempfile

BUILD = os.environ.get("ERPMAIL_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../../build"))
ERPHOST = os.path.join(BUILD, "bin", "erphost")
PLUGIN_DIR = os.path.join(BUILD, "plugins")


def testbed():
    env = {}
    path = os.environ.get("ERPMAIL_TESTBED_ENV")
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    env[k] = v
    return env


def testbed_ca():
    """The test bed CA's certificate as PEM text, for an account's or a probe's "ca"."""
    path = testbed().get("TB_CA")
    if not path:
        return ""
    with open(path, encoding="ascii") as f:
        return f.read()


class Host:
    """An erphost installation in a temporary folder."""

    def __init__(self, modules="*", databases=None, users=None, grants=None, plugin_dir=PLUGIN_DIR, extra="",
                 document_readers=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="erphost-test.")
        self.env = dict(os.environ, **env) if env else None  # extra variables for erphost
        self.data = os.path.join(self.dir, "data")
        self.config = os.path.join(self.dir, "erphost.ini")
        if databases is None:
            databases = {"main": ("Driver=SQLite3;Database={dir}/main.db", True)}
        if users is None:
            users = {
                "anna": ("Anna Muster", "sales", False),
                "ben": ("Ben Buchhalter", "accounting", False),
                "root": ("Administrator", "", True),
                "guest": ("Gast", "visitors", False),
            }
        if grants is None:
            grants = {"mail.use": "sales, accounting"}
        lines = ["[host]", f"plugin_dir = {plugin_dir}", f"data_dir = {self.data}", "log_level = warning",
                 f"event_log = {self.dir}/events.jsonl", f"documents = {self.dir}/documents.json", "",
                 "[plugin.erpmail]", f"modules = {modules}", "", "[plugin.probe_good]", "modules = *", ""]
        for db_id, (conn, system) in databases.items():
            conn = conn.replace("{dir}", self.dir)
            lines += [f"[database.{db_id}]", f"connection = {conn}", f"system = {'yes' if system else 'no'}", ""]
        for user, (name, groups, admin) in users.items():
            lines += [f"[user.{user}]", f"name = {name}", f"groups = {groups}", f"admin = {'yes' if admin else 'no'}", ""]
        lines += ["[grants]"] + [f"{p} = {g}" for p, g in grants.items()] + [""]
        # document_readers: {doctype: "group, group"}, erphost's [documents]
        lines += ["[documents]"] + [f"{t} = {g}" for t, g in (document_readers or {}).items()] + ["", extra]
        with open(self.config, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))

    def write_documents(self, documents):
        with open(os.path.join(self.dir, "documents.json"), "w", encoding="utf-8") as f:
            json.dump(documents, f, ensure_ascii=False)

    def run(self, *args, stdin=None):
        proc = subprocess.run([ERPHOST, "--config", self.config, *args], capture_output=True, text=True,
                              input=stdin, timeout=300, env=self.env)
        return proc.returncode, proc.stdout, proc.stderr

    def call(self, op, user, params=None):
        """Returns (exit status, parsed JSON, stderr)."""
        code, out, err = self.run("call", op, "--as", user, "--json", json.dumps(params or {}, ensure_ascii=False))
        try:
            parsed = json.loads(out)
        except json.JSONDecodeError as e:
            raise AssertionError(f"erphost printed no JSON (exit {code}): {out!r} {err!r}") from e
        return code, parsed, err

    def modules(self):
        """{module id: (enabled, state, details)} from `erphost modules`."""
        code, out, err = self.run("modules")
        table = {}
        for line in out.splitlines()[1:]:
            parts = line.split(None, 4)
            if len(parts) >= 4:
                table[parts[1]] = (parts[2], parts[3], parts[4] if len(parts) > 4 else "")
        return code, table, err

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def imap_session(user, password):
    """An imaplib session on the test bed's Dovecot, logged in."""
    import imaplib
    import ssl
    tb = testbed()
    i = imaplib.IMAP4_SSL("localhost", int(tb["IMAPS_PORT"]), ssl_context=ssl.create_default_context(cafile=tb["TB_CA"]))
    i.login(user, password)
    return i


def folder_digests_of(user, password, folder="INBOX"):
    """uid -> sha256 of every mail in an IMAP folder, as the server sends it."""
    import hashlib
    i = imap_session(user, password)
    try:
        i.select(f'"{folder}"', readonly=True)
        uids = i.uid("SEARCH", None, "ALL")[1][0].split()
        out = {}
        for n in range(0, len(uids), 200):
            for part in i.uid("FETCH", b",".join(uids[n:n + 200]), "(UID BODY.PEEK[])")[1]:
                if isinstance(part, tuple):
                    out[part[0].split(b"UID ")[1].split()[0].decode()] = hashlib.sha256(part[1]).hexdigest()
        return out
    finally:
        i.logout()


def oauth_refresh_token(email):
    """A first refresh token for the user from the test bed's OAuth server,
    as an admin's consent would give one."""
    import ssl
    import urllib.request
    tb = testbed()
    request = urllib.request.Request(tb["OAUTH_SEED_URL"], data=json.dumps({"email": email}).encode(), method="POST")
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=tb["TB_CA"])) as answer:
        return json.load(answer)["refresh_token"]


def oauth_incoming(protocol, port, user, refresh_token):
    """The incoming settings of an account that signs in with OAuth 2.0 at the test bed."""
    tb = testbed()
    return {"protocol": protocol, "host": "localhost", "port": int(port), "user": user, "auth": "oauth2",
            "ca": testbed_ca(), "leave_on_server": {"mode": "never"},
            "oauth2": {"token_url": tb["OAUTH_TOKEN_URL"], "client_id": tb["OAUTH_CLIENT_ID"],
                       "refresh_token": refresh_token}}


def check_foreign_token_refused(test, host, protocol, port, user):
    """An account whose token was issued to someone else (bob): the server
    refuses it, and the fetch says so at once."""
    other = oauth_incoming(protocol, port, user, oauth_refresh_token(testbed()["USER_BOB"]))
    status, account, err = host.call("mail.account.create", "anna", {"label": "OAuth other", "incoming": other})
    test.assertEqual(status, 0, err)
    started = time.monotonic()
    status, result, _ = host.call("mail.fetch", "anna", {"account": account["id"]})
    test.assertEqual(status, 1, result)
    test.assertIn("refused", result["error"]["message"])
    test.assertLess(time.monotonic() - started, 10)


def tokens_in_clear(directory):
    """OAuth tokens of the test bed's server found unsealed in any file under directory."""
    import re
    found = []
    for root, _, files in os.walk(directory):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                found += re.findall(rb"(?:rt|at)-[A-Za-z0-9_-]{32}", f.read())
    return found


def sqlite_rows(path, sql, params=()):
    import sqlite3
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def kill_trials(test, host, trials, seed, new_trial, after_kill, after_completion):
    """The crash test: `trials` times, new_trial() puts the original mails on
    the server and returns a fresh account id; a mail.fetch of it is killed
    (kill -9) at a random moment within the time a whole fetch takes;
    after_kill(account) checks what is left; a second fetch completes, and
    after_completion(account) checks the result. Returns the number of
    fetches that were still running when killed."""
    import random
    import signal
    rng = random.Random(seed)
    # The shorter of two whole fetches: one slowed by a passing load on the
    # machine would put most kills after the fetch has ended.
    whole = None
    for _ in range(2):
        account = new_trial()
        started = time.monotonic()
        code, result, err = host.call("mail.fetch", "anna", {"account": account})
        took = time.monotonic() - started
        whole = took if whole is None else min(whole, took)
        test.assertEqual(code, 0, f"{result} {err}")
        after_completion(account)
    kills = 0
    for _ in range(trials):
        account = new_trial()
        fetch = subprocess.Popen([ERPHOST, "--config", host.config, "call", "mail.fetch", "--as", "anna", "--json",
                                  json.dumps({"account": account})], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, whole))
        if fetch.poll() is None:
            fetch.send_signal(signal.SIGKILL)
            kills += 1
        fetch.wait()
        after_kill(account)
        code, result, err = host.call("mail.fetch", "anna", {"account": account})
        test.assertEqual(code, 0, f"{result} {err}")
        after_completion(account)
    return kills


def start_scripted_server(script, mode, host):
    """Starts a scripted hostile server of tests/fixtures (it answers with the
    test bed's valid certificate) and waits until it listens. Returns the
    process, its port and the file it logs what it received to."""
    import sys
    tb = testbed()
    port = free_port()
    log = os.path.join(host.dir, "hostile.log")
    server = subprocess.Popen([sys.executable, os.path.join(FIXTURES, script), mode, str(port), log,
                               os.path.join(tb["TB_CA_DIR"], "valid.pem"), os.path.join(tb["TB_CA_DIR"], "valid.key")],
                              stdout=subprocess.PIPE, text=True)
    if server.stdout.readline().strip() != "ready":
        server.kill()
        raise AssertionError(f"{script} {mode} did not start")
    return server, port, log


def fetch_from_scripted_server(script, mode, incoming, users):
    """Creates an account of user "anna" whose incoming server is a scripted one
    (tests/fixtures/SCRIPT in MODE; `incoming` gives the rest of its settings),
    fetches once and lists what was stored. Returns (exit code, fetch result,
    erphost's log of the fetch, the listing, the lines the server received)."""
    host = Host(users=users, grants={"mail.use": "*"})
    server, port, log = start_scripted_server(script, mode, host)
    try:
        _, account, _ = host.call("mail.account.create", "anna", {"label": mode, "incoming": dict(
            incoming, host="localhost", port=port)})
        code, result, fetch_log = host.call("mail.fetch", "anna", {"account": account["id"]})
        _, listing, _ = host.call("mail.message.list", "anna", {"account": account["id"]})
        with open(log, encoding="utf-8") as f:
            lines = f.read().splitlines()
        return code, result, fetch_log, listing, lines
    finally:
        server.kill()
        server.wait()
        server.stdout.close()
        host.cleanup()


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures")
PG_ODBC = ("Driver=PostgreSQL Unicode;Server=127.0.0.1;Port={port};Database={name};UID=erpmail;PWD=erpmail-Db-6;"
           "ByteaAsLongVarBinary=1;MaxVarcharSize=65535")


def pg_database(prefix):
    """A new, empty database on the test bed's PostgreSQL; its ODBC connection string."""
    tb = testbed()
    name = f"{prefix}_{os.getpid()}_{next(_counter)}"
    subprocess.run([os.path.join(FIXTURES, "pgcluster"), "createdb", tb["PG_SOCKET_DIR"], tb["PG_PORT"], name],
                   check=True, timeout=60)
    return PG_ODBC.format(port=tb["PG_PORT"], name=name)


def _count():
    n = 0
    while True:
        n += 1
        yield n


_counter = _count()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateCluster:
    """A PostgreSQL cluster of the test's own, which it may stop and start."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pgcluster.")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.start()
        self.odbc = PG_ODBC.format(port=self.port, name="erpmail_test")

    def start(self):
        subprocess.run([os.path.join(FIXTURES, "pgcluster"), "start", self.dir + "/pg", str(self.port)],
                       check=True, timeout=120)

    def stop(self):
        subprocess.run([os.path.join(FIXTURES, "pgcluster"), "stop", self.dir + "/pg"], check=True, timeout=60)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def call_until_crash_point(host, point, op, user, params=None):
    """Calls an operation with the test build's crash point `point` armed
    (ERPMAIL_TEST_CRASH_AFTER): the process kills itself there with SIGKILL.
    Returns erphost's exit status (-9 when it got there)."""
    env = dict(host.env or os.environ, ERPMAIL_TEST_CRASH_AFTER=point)
    proc = subprocess.run([ERPHOST, "--config", host.config, "call", op, "--as", user, "--json",
                           json.dumps(params or {}, ensure_ascii=False)], capture_output=True, text=True,
                          timeout=300, env=env)
    return proc.returncode


def host_events(host, kind=None):
    """The events erphost's event log holds, in the order it got them (of one type when `kind` is given)."""
    path = os.path.join(host.dir, "events.jsonl")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        events = [json.loads(line) for line in f]
    return [e for e in events if kind is None or e["type"] == kind]
