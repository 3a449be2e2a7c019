"""The web console of `erphost serve --http`: sign-in, sessions, CSRF, the
operations through POST /api/invoke (answered exactly as `erphost call`
answers), the catalogue, the event stream filtered by what the user may see,
and the plugins' screens, driven over real HTTP and TLS against the test bed."""
import http.client
import imaplib
import json
import os
import queue
import re
import signal
import ssl
import subprocess
import threading
import time
import unittest
import uuid
from email.message import EmailMessage

from harness import ERPHOST, Host, free_port, testbed, testbed_ca

TB = testbed()
CA = testbed_ca()
USERS = {
    "anna": ("Anna Aebi", "sales", False),
    "ben": ("Ben Buchhalter", "accounting", False),
    "root": ("Administrator", "", True),
    "guest": ("Gast", "visitors", False),
}
PASSWORDS = {user: f"Pw-{user}-{uuid.uuid4().hex[:10]}" for user in USERS}
# No background fetching: every mail.received of these tests comes from the fetch the test makes.
QUIET = "[config]\nerpmail.imap.idle = no\nerpmail.fetch.interval_seconds = 86400\n"


class Console:
    """An erphost installation whose users have console passwords, served by `erphost serve --http`."""

    def __init__(self, console_ini="", address="127.0.0.1"):
        self.host = Host(users=USERS, grants={"mail.use": "sales, accounting"},
                         extra=QUIET + "[console]\n" + console_ini)
        for user, password in PASSWORDS.items():
            code, out, err = self.host.run("passwd", user, stdin=password + "\n")
            assert code == 0, (code, out, err)
        self.tls = "tls_certificate" in console_ini
        self.port = free_port()
        self.log = open(os.path.join(self.host.dir, "serve.log"), "w+", encoding="utf-8")
        self.process = subprocess.Popen([ERPHOST, "--config", self.host.config, "serve", "--http",
                                         f"{address}:{self.port}"], stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 60
        while "console on" not in self.serve_log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"erphost serve did not start: {self.serve_log()}")
            time.sleep(0.1)

    def serve_log(self):
        with open(self.log.name, encoding="utf-8") as f:
            return f.read()

    def client(self, source="127.0.0.1"):
        return Client(self, source)

    def signed_in(self, user, source="127.0.0.1"):
        c = self.client(source)
        status, body, _ = c.sign_in(user)
        assert status == 200, (status, body)
        return c

    def close(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        finally:
            self.log.close()
            self.host.cleanup()


class Client:
    """One browser: its own connection, its own cookie and CSRF token."""

    def __init__(self, console, source="127.0.0.1"):
        self.console, self.source = console, source
        self.cookie = self.csrf = None

    def connection(self, timeout=60):
        if self.console.tls:
            context = ssl.create_default_context(cafile=TB["TB_CA"])
            return http.client.HTTPSConnection("localhost", self.console.port, context=context, timeout=timeout,
                                               source_address=(self.source, 0))
        return http.client.HTTPConnection("127.0.0.1", self.console.port, timeout=timeout,
                                          source_address=(self.source, 0))

    def request(self, method, path, body=None, headers=None, csrf=True):
        """(status, parsed JSON or bytes, the response's headers as a list of pairs)."""
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = f"erphost_session={self.cookie}"
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            headers["X-CSRF-Token"] = self.csrf
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        if data is not None:
            headers["Content-Type"] = "application/json"
        conn = self.connection()
        try:
            conn.request(method, path, body=data, headers=headers)
            answer = conn.getresponse()
            raw = answer.read()
            pairs = answer.getheaders()
        finally:
            conn.close()
        kind = dict((k.lower(), v) for k, v in pairs).get("content-type", "")
        return answer.status, json.loads(raw) if kind.startswith("application/json") else raw, pairs

    def sign_in(self, user, password=None):
        status, body, headers = self.request("POST", "/api/session",
                                             {"user": user, "password": password or PASSWORDS[user]})
        for name, value in headers:
            if name.lower() == "set-cookie" and value.startswith("erphost_session="):
                self.cookie = value.split(";")[0].split("=", 1)[1]
        if status == 200:
            self.csrf = body["csrf_token"]
        return status, body, headers

    def invoke(self, op, params=None, csrf=True):
        return self.request("POST", f"/api/invoke/{op}", params if params is not None else {}, csrf=csrf)[:2]


def set_cookie(headers):
    """The attributes of the session cookie set: {name: value} in lower case."""
    [value] = [v for k, v in headers if k.lower() == "set-cookie" and v.startswith("erphost_session=")]
    parts = [p.strip() for p in value.split(";")]
    attributes = {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else True) for p in parts[1:]}
    return parts[0].split("=", 1)[1], attributes


class EventStream:
    """GET /api/events of a signed-in client, read in a thread: (type, payload) pairs on a queue."""

    def __init__(self, client):
        self.events = queue.Queue()
        self.conn = client.connection(timeout=120)
        self.conn.request("GET", "/api/events", headers={"Cookie": f"erphost_session={client.cookie}"})
        self.answer = self.conn.getresponse()
        assert self.answer.status == 200, self.answer.status
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        kind, data = None, []
        try:
            while True:
                line = self.answer.readline()
                if not line:
                    return
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "" and kind:
                    self.events.put((kind, json.loads("\n".join(data))))
                    kind, data = None, []
        except (OSError, ValueError, AttributeError):  # AttributeError: closed under the reader
            return

    def next_of(self, kind, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} event within {timeout} s")
            event_kind, payload = self.events.get(timeout=left)
            if event_kind == kind:
                return payload

    def close(self):
        self.conn.close()


def imap():
    i = imaplib.IMAP4_SSL("localhost", int(TB["IMAPS_PORT"]), ssl_context=ssl.create_default_context(cafile=TB["TB_CA"]))
    i.login(TB["USER_ERIN"], TB["PASS_ERIN"])
    return i


def put_mail(folder, subject):
    m = EmailMessage()
    m["From"] = "Kunde <kunde@kunde.example>"
    m["To"] = TB["USER_ERIN"]
    m["Subject"] = subject
    m["Message-ID"] = f"<{uuid.uuid4().hex}@kunde.example>"
    m.set_content("Grüezi\n")
    i = imap()
    try:
        i.create(f'"{folder}"')
        i.append(f'"{folder}"', None, None, m.as_bytes().replace(b"\n", b"\r\n"))
    finally:
        i.logout()


def remove_folder(folder):
    i = imap()
    try:
        i.delete(f'"{folder}"')
    finally:
        i.logout()


class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.console = Console()

    @classmethod
    def tearDownClass(cls):
        cls.console.close()

    def cli(self, op, user, params=None):
        return self.console.host.call(op, user, params)[:2]

    def test_sign_in_with_the_right_password_opens_a_session_and_a_wrong_one_does_not(self):
        c = self.console.client()
        status, body, headers = c.sign_in("anna", "not-the-password")
        self.assertEqual((status, body["error"]["code"]), (401, "unauthenticated"))
        self.assertFalse(any(k.lower() == "set-cookie" for k, _ in headers))
        self.assertEqual(c.request("GET", "/api/session")[0], 401)
        status, body, _ = c.sign_in("anna")
        self.assertEqual(status, 200, body)
        self.assertEqual((body["user"], body["name"], body["admin"]), ("anna", "Anna Aebi", False))
        self.assertEqual(c.request("GET", "/api/session")[1]["user"], "anna")
        status, body, _ = self.console.client().sign_in("nobody", "whatever-it-is")
        self.assertEqual((status, body["error"]["message"]), (401, "wrong user or password"))

    def test_session_cookie_is_random_httponly_samesite_strict_and_not_secure_over_plain_http(self):
        tokens = []
        for _ in range(2):
            _, body, headers = self.console.client().sign_in("ben")
            token, attributes = set_cookie(headers)
            self.assertGreaterEqual(len(token), 32)  # 128 bits at least, in hex
            self.assertEqual((attributes.get("httponly"), attributes.get("samesite"), attributes.get("path")),
                             (True, "Strict", "/"))
            self.assertNotIn("secure", attributes)
            self.assertGreaterEqual(len(body["csrf_token"]), 32)
            tokens.append((token, body["csrf_token"]))
        self.assertNotEqual(tokens[0], tokens[1])
        self.assertNotEqual(tokens[0][0], tokens[0][1])

    def test_unauthenticated_api_requests_get_401(self):
        c = self.console.client()
        for method, path in [("GET", "/api/catalogue"), ("GET", "/api/events"), ("POST", "/api/invoke/mail.version"),
                             ("DELETE", "/api/session"), ("GET", "/api/session")]:
            status, body, _ = c.request(method, path, {} if method == "POST" else None)
            self.assertEqual((status, body["error"]["code"]), (401, "unauthenticated"), path)
        c.cookie = "0" * 64  # a made-up session
        self.assertEqual(c.request("GET", "/api/catalogue")[0], 401)

    def test_state_changing_request_without_csrf_token_is_refused_and_changes_nothing(self):
        c = self.console.signed_in("anna")
        label = f"Ohne Token {uuid.uuid4().hex[:6]}"
        status, body = c.invoke("mail.account.create", {"label": label}, csrf=False)
        self.assertEqual((status, body["error"]["code"]), (403, "csrf"))
        status, body, _ = c.request("POST", "/api/invoke/mail.account.create", {"label": label}, csrf=False,
                                    headers={"X-CSRF-Token": "f" * 64})
        self.assertEqual((status, body["error"]["code"]), (403, "csrf"))
        status, body, _ = c.request("DELETE", "/api/session", csrf=False)
        self.assertEqual((status, body["error"]["code"]), (403, "csrf"))
        _, listing = self.cli("mail.account.list", "anna")
        self.assertNotIn(label, [a["label"] for a in listing["accounts"]])
        self.assertEqual(c.request("GET", "/api/session")[0], 200)  # still signed in
        status, body = c.invoke("mail.account.create", {"label": label})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["label"], label)

    def test_invoke_answers_exactly_what_erphost_call_answers_for_each_user(self):
        _, own = self.cli("mail.account.create", "anna", {"label": f"Anna privat {uuid.uuid4().hex[:6]}"})
        self.cli("mail.account.create", "root", {"label": f"Info {uuid.uuid4().hex[:6]}", "kind": "public"})
        clients = {user: self.console.signed_in(user) for user in ("anna", "ben", "root")}
        for user, c in clients.items():
            code, expected = self.cli("mail.account.list", user)
            self.assertEqual(code, 0, expected)
            self.assertEqual(c.invoke("mail.account.list"), (200, expected), user)
        self.assertIn(own["id"], [a["id"] for a in clients["root"].invoke("mail.account.list")[1]["accounts"]])
        self.assertNotIn(own["id"], [a["id"] for a in clients["ben"].invoke("mail.account.list")[1]["accounts"]])

    def test_permission_and_other_errors_are_those_of_erphost_call(self):
        _, own = self.cli("mail.account.create", "anna", {"label": f"Anna geheim {uuid.uuid4().hex[:6]}"})
        cases = [("ben", "mail.account.get", {"id": own["id"]}, 403),  # a colleague's personal account
                 ("ben", "mail.db.check", {}, 403),                    # needs mail.admin
                 ("guest", "mail.account.list", {}, 403),              # no mail.use
                 ("anna", "mail.account.create", {"label": ""}, 400),
                 ("anna", "mail.no.such", {}, 404)]
        for user, op, params, status in cases:
            code, expected = self.cli(op, user, params)
            self.assertEqual(code, 1, expected)
            self.assertEqual(self.console.signed_in(user).invoke(op, params), (status, expected), (user, op))
        c = self.console.signed_in("anna")
        code, out, _ = self.console.host.run("call", "mail.version", "--as", "anna", "--json", "[]")  # not an object
        self.assertEqual(code, 1, out)
        self.assertEqual(c.request("POST", "/api/invoke/mail.version", [])[:2], (400, json.loads(out)))

    def test_catalogue_is_the_operations_with_their_schemas_as_ops_json(self):
        code, out, err = self.console.host.run("ops", "--json")
        self.assertEqual(code, 0, err)
        status, catalogue, _ = self.console.signed_in("ben").request("GET", "/api/catalogue")
        self.assertEqual((status, catalogue), (200, json.loads(out)))
        send = next(o for o in catalogue if o["name"] == "mail.send")
        self.assertEqual(send["params"]["type"], "object")

    def test_sign_out_ends_the_session_and_clears_the_cookie(self):
        c = self.console.signed_in("ben")
        cookie = c.cookie
        status, body, headers = c.request("DELETE", "/api/session")
        self.assertEqual((status, body), (200, {"signed_out": True}))
        token, attributes = set_cookie(headers)
        self.assertEqual(token, "")
        self.assertEqual(attributes.get("max-age"), "0")
        c.cookie = cookie  # a copy kept from before
        self.assertEqual(c.request("GET", "/api/session")[0], 401)
        self.assertEqual(c.invoke("mail.account.list")[0], 401)

    def test_plugin_screens_are_served_with_type_and_etag_before_sign_in(self):
        c = self.console.client()
        status, page, headers = c.request("GET", "/plugins/erpmail/")
        headers = {k.lower(): v for k, v in headers}
        self.assertEqual((status, headers["content-type"]), (200, "text/html; charset=utf-8"))
        self.assertIn(b"<html", page)
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        etag = headers["etag"]
        self.assertEqual(c.request("GET", "/plugins/erpmail/index.html")[1], page)
        self.assertEqual(c.request("GET", "/plugins/erpmail/", headers={"If-None-Match": etag})[0], 304)
        css = re.search(rb'href="(?:\./)?([^"]+\.css)"', page).group(1).decode()  # the bundle's or the placeholder's
        status, _, headers = c.request("GET", "/plugins/erpmail/" + css)
        self.assertEqual((status, dict((k.lower(), v) for k, v in headers)["content-type"]),
                         (200, "text/css; charset=utf-8"))
        self.assertEqual(c.request("GET", "/plugins/erpmail/no-such.js")[0], 404)
        self.assertEqual(c.request("GET", "/plugins/no-such-plugin/index.html")[0], 404)
        self.assertEqual(c.request("GET", "/plugins/probe_good/")[0], 404)  # a plugin without screens

    def test_path_traversal_on_plugins_is_refused(self):
        c = self.console.client()
        for path in ["/plugins/erpmail/../../../../etc/passwd", "/plugins/erpmail/..%2f..%2f..%2fetc%2fpasswd",
                     "/plugins/erpmail/%2e%2e/%2e%2e/etc/passwd", "/plugins/erpmail/assets/..%5c..%5cindex.html",
                     "/plugins/erpmail//etc/passwd", "/plugins/erpmail/./index.html"]:
            status, body, _ = c.request("GET", path)
            self.assertEqual(status, 400, path)
            self.assertIn("refused", body["error"]["message"], path)
            self.assertNotIn("root:", json.dumps(body), path)

    def test_a_control_character_in_the_path_never_reaches_a_header(self):
        c = self.console.client()
        status, _, headers = c.request("GET", "/plugins/x%0d%0aSet-Cookie:%20erphost_session=planted")
        self.assertEqual(status, 400)
        self.assertFalse([v for k, v in headers if k.lower() == "set-cookie"], headers)
        status, _, headers = c.request("GET", "/plugins/unknown")
        self.assertEqual(status, 404)  # no redirect to a plugin that brings no screens
        self.assertFalse([v for k, v in headers if k.lower() == "location"], headers)

    def test_a_sign_in_from_another_sites_page_is_refused(self):
        body = json.dumps({"user": "anna", "password": PASSWORDS["anna"]}).encode()
        for headers, status in (({"Content-Type": "text/plain"}, 415),
                                ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
                                ({"Content-Type": "application/json", "Origin": "http://evil.example"}, 403)):
            conn = self.console.client().connection()
            try:
                conn.request("POST", "/api/session", body=body, headers=headers)
                answer = conn.getresponse()
                answer.read()
                self.assertEqual(answer.status, status, headers)
                self.assertIsNone(answer.getheader("Set-Cookie"), headers)
            finally:
                conn.close()
        same = f"http://127.0.0.1:{self.console.port}"
        status, _, _ = self.console.client().request("POST", "/api/session", {"user": "anna", "password": PASSWORDS["anna"]},
                                                     headers={"Origin": same})
        self.assertEqual(status, 200)  # the console's own page
        status, body, _ = self.console.client().request("POST", "/api/session", b"{" + b" " * 10000 + b"}")
        self.assertEqual(status, 413)

    def test_events_reach_a_user_who_may_see_the_account_and_not_one_who_may_not(self):
        anna, ben = self.console.signed_in("anna"), self.console.signed_in("ben")
        folders = {user: f"Konsole-{user}-{uuid.uuid4().hex[:8]}" for user in ("anna", "ben")}
        accounts = {}
        for user, folder in folders.items():
            put_mail(folder, f"Für {user} 1")
            self.addCleanup(remove_folder, folder)
            status, account = (anna if user == "anna" else ben).invoke("mail.account.create", {
                "label": f"Eingang {folder}", "incoming": {
                    "protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "folder": folder,
                    "user": TB["USER_ERIN"], "password": TB["PASS_ERIN"], "ca": CA,
                    "leave_on_server": {"mode": "forever"}}})
            self.assertEqual(status, 200, account)
            accounts[user] = account["id"]
        streams = {"anna": EventStream(anna), "ben": EventStream(ben), "root": EventStream(self.console.signed_in("root"))}
        self.addCleanup(lambda: [s.close() for s in streams.values()])
        time.sleep(0.5)
        # ben's mail first, then anna's, then ben's again: each stream must skip what is not its user's.
        self.assertEqual(ben.invoke("mail.fetch", {"account": accounts["ben"]})[1]["fetched"], 1)
        self.assertEqual(anna.invoke("mail.fetch", {"account": accounts["anna"]})[1]["fetched"], 1)
        put_mail(folders["ben"], "Für ben 2")
        self.assertEqual(ben.invoke("mail.fetch", {"account": accounts["ben"]})[1]["fetched"], 1)
        first = streams["anna"].next_of("mail.received")
        self.assertEqual((first["account"], first["subject"]), (accounts["anna"], "Für anna 1"))
        seen = [streams["ben"].next_of("mail.received") for _ in range(2)]
        self.assertEqual([(e["account"], e["subject"]) for e in seen],
                         [(accounts["ben"], "Für ben 1"), (accounts["ben"], "Für ben 2")])
        admin = [streams["root"].next_of("mail.received")["subject"] for _ in range(3)]
        self.assertEqual(admin, ["Für ben 1", "Für anna 1", "Für ben 2"])  # an admin sees every account
        # The health screen's list of the day's events: the same rule.
        for user, client, subjects in (("anna", anna, ["Für anna 1"]), ("ben", ben, ["Für ben 1", "Für ben 2"]),
                                       ("root", self.console.signed_in("root"), ["Für ben 1", "Für anna 1", "Für ben 2"])):
            status, recent, _ = client.request("GET", "/api/events/recent")
            self.assertEqual(status, 200, recent)
            received = [e for e in recent["events"] if e["type"] == "mail.received" and
                        e["data"]["account"] in accounts.values()]
            self.assertEqual([e["data"]["subject"] for e in received], subjects, user)
            self.assertTrue(all(abs(e["at_ms"] - time.time() * 1000) < 600_000 for e in received), received)
        self.assertEqual(self.console.client().request("GET", "/api/events/recent")[0], 401)

    def test_events_without_an_account_reach_admins_only(self):
        anna = self.console.signed_in("anna")
        folder = f"Konsole-ohne-{uuid.uuid4().hex[:8]}"
        put_mail(folder, "Nach der Wartung")
        self.addCleanup(remove_folder, folder)
        status, account = anna.invoke("mail.account.create", {"label": f"Eingang {folder}", "incoming": {
            "protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "folder": folder,
            "user": TB["USER_ERIN"], "password": TB["PASS_ERIN"], "ca": CA, "leave_on_server": {"mode": "forever"}}})
        self.assertEqual(status, 200, account)
        root = self.console.signed_in("root")
        streams = {"anna": EventStream(anna), "root": EventStream(root)}
        self.addCleanup(lambda: [s.close() for s in streams.values()])
        time.sleep(0.5)
        status, run = root.invoke("mail.maintenance.run", {"dry_run": True})  # installation-wide: no account
        self.assertEqual(status, 200, run)
        self.assertEqual(anna.invoke("mail.fetch", {"account": account["id"]})[1]["fetched"], 1)
        self.assertTrue(streams["root"].next_of("mail.maintenance.done")["dry_run"])
        kind, payload = streams["anna"].events.get(timeout=60)  # her first event is her mail, not the run
        self.assertEqual((kind, payload["subject"]), ("mail.received", "Nach der Wartung"))

    def test_a_user_may_hold_only_a_few_event_streams_open(self):
        guest = self.console.signed_in("guest")
        streams = [EventStream(guest) for _ in range(8)]
        self.addCleanup(lambda: [s.close() for s in streams])
        conn = guest.connection()
        conn.request("GET", "/api/events", headers={"Cookie": f"erphost_session={guest.cookie}"})
        answer = conn.getresponse()
        self.assertEqual((answer.status, json.loads(answer.read())["error"]["code"]), (429, "too_many_streams"))
        conn.close()
        self.assertEqual(guest.request("GET", "/api/session")[0], 200)  # requests are still answered


class ConsoleSessionLifetimeTest(unittest.TestCase):
    def setUp(self):
        self.console = Console("session_max_seconds = 3\n")
        self.addCleanup(self.console.close)

    def test_a_session_in_use_ends_at_its_lifetime_and_a_new_sign_in_works(self):
        anna = self.console.signed_in("anna")
        started = time.monotonic()
        answers = []
        while time.monotonic() - started < 5:
            answers.append((round(time.monotonic() - started, 1), anna.invoke("mail.version")[0]))
            time.sleep(0.25)
        self.assertTrue(all(status == 200 for at, status in answers if at < 2.5), answers)
        self.assertTrue(all(status == 401 for at, status in answers if at > 3.5), answers)
        self.assertEqual(anna.request("GET", "/api/session")[0], 401)
        self.assertEqual(self.console.signed_in("anna").invoke("mail.version")[0], 200)


class ConsoleRateLimitTest(unittest.TestCase):
    def setUp(self):
        self.console = Console("signin_attempts = 3\nsignin_window_seconds = 60\n")

    def tearDown(self):
        self.console.close()

    def test_failed_sign_ins_are_limited_per_user_and_per_address_with_retry_after(self):
        attacker = self.console.client("127.0.0.21")
        for _ in range(3):
            self.assertEqual(attacker.sign_in("anna", "guess-guess")[0], 401)
        status, body, headers = attacker.sign_in("anna")  # even the right password now
        self.assertEqual((status, body["error"]["code"]), (429, "rate_limited"))
        retry = int(dict((k.lower(), v) for k, v in headers)["retry-after"])
        self.assertTrue(0 < retry <= 60, retry)
        self.assertIsNone(attacker.cookie)
        # The user is held from every address, the address for every user.
        self.assertEqual(self.console.client("127.0.0.22").sign_in("anna")[0], 429)
        self.assertEqual(self.console.client("127.0.0.21").sign_in("ben")[0], 429)
        self.assertEqual(self.console.client("127.0.0.23").sign_in("ben")[0], 200)


class ConsoleListenTest(unittest.TestCase):
    def test_without_tls_a_non_loopback_address_is_refused(self):
        host = Host(users=USERS, extra=QUIET)
        try:
            for address in ("0.0.0.0", "[::]"):
                proc = subprocess.run([ERPHOST, "--config", host.config, "serve", "--http", f"{address}:{free_port()}"],
                                      capture_output=True, text=True, timeout=60)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("without TLS the console listens on a loopback address only", proc.stderr)
        finally:
            host.cleanup()

    def test_over_tls_the_cookie_is_secure_and_plain_http_gets_no_answer(self):
        console = Console(f"tls_certificate = {TB['TB_CA_DIR']}/valid.pem\ntls_key = {TB['TB_CA_DIR']}/valid.key\n")
        try:
            c = console.client()
            status, body, headers = c.sign_in("anna")
            self.assertEqual(status, 200, body)
            _, attributes = set_cookie(headers)
            self.assertEqual((attributes.get("secure"), attributes.get("httponly"), attributes.get("samesite")),
                             (True, True, "Strict"))
            self.assertEqual(c.invoke("mail.account.list"), (200, console.host.call("mail.account.list", "anna")[1]))
            plain = http.client.HTTPConnection("127.0.0.1", console.port, timeout=10)
            with self.assertRaises((OSError, http.client.HTTPException)):
                plain.request("GET", "/api/session")
                plain.getresponse().read()
            plain.close()
        finally:
            console.close()

    def test_passwd_stores_a_scrypt_hash_in_a_file_only_its_owner_reads(self):
        host = Host(users=USERS, extra=QUIET)
        try:
            code, _, err = host.run("passwd", "anna", stdin="Geheim-12345\n")
            self.assertEqual(code, 0, err)
            users = os.path.join(host.dir, "erphost.users")
            self.assertEqual(os.stat(users).st_mode & 0o777, 0o600)
            with open(users, encoding="utf-8") as f:
                text = f.read()
            self.assertTrue(text.startswith("anna:$scrypt$ln=15,r=8,p=1$"), text)
            self.assertNotIn("Geheim-12345", text)
            self.assertEqual(host.run("passwd", "nobody", stdin="Geheim-12345\n")[0], 2)
            self.assertEqual(host.run("passwd", "ben", stdin="kurz\n")[0], 1)
        finally:
            host.cleanup()


if __name__ == "__main__":
    unittest.main()
