"""Stored passwords and tokens through erphost: they stay with the servers
they were given for, also when a clerk changes a public account, and they
fail closed when the key is lost or replaced."""
import base64
import binascii
import email
import email.policy
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import (ERPHOST, Host, oauth_incoming, oauth_refresh_token, pg_database, sqlite_rows,
                     start_scripted_server, testbed, testbed_ca, tokens_in_clear)

TB = testbed()
CA = testbed_ca()
USER, PASSWORD = TB.get("USER_CAROL", ""), TB.get("PASS_CAROL", "")
USERS = {
    "olga": ("Olga Owner", "sales", False),  # sets up the shared mailbox
    "carl": ("Carl Clerk", "sales", False),  # may change public accounts, like every user
    "root": ("Rita Root", "", True),
}


def received(log):
    """Every line a collector received, with the base64 words decoded (SASL
    PLAIN and LOGIN carry the password that way)."""
    if not os.path.exists(log):
        return ""
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    decoded = []
    for word in text.split():
        try:
            decoded.append(base64.b64decode(word, validate=True).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            pass
    return text + "\n" + "\n".join(decoded)


class SecretCase(unittest.TestCase):
    def setUp(self):
        self.host = Host(users=USERS, grants={"mail.use": "*"})
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.kill()
            server.wait()
        self.host.cleanup()

    def call(self, op, user, params=None, code=0):
        status, result, err = self.host.call(op, user, params)
        self.assertEqual(status, code, f"{op} as {user}: {result} {err}")
        return result

    def collector(self, mode):
        server, port, log = start_scripted_server("credential_collector.py", mode, self.host)
        self.servers.append(server)
        return port, log

    def dovecot(self, protocol="imaps", password=PASSWORD):
        port = {"imaps": "IMAPS_PORT", "pop3s": "POP3S_PORT", "imap": "IMAP_PORT", "pop3": "POP3_PORT"}[protocol]
        return {"protocol": protocol, "host": "localhost", "port": int(TB[port]), "user": USER, "password": password,
                "ca": CA, "leave_on_server": {"mode": "forever"}}

    def shared_account(self, incoming=None, smtp=None):
        params = {"label": "Verkauf", "kind": "public", "sender_email": USER, "incoming": incoming or self.dovecot()}
        if smtp is not None:
            params["smtp"] = smtp
        return self.call("mail.account.create", "olga", params)["id"]

    def fails_unavailable(self, op, user, params, naming):
        error = self.call(op, user, params, code=1)["error"]
        self.assertEqual(error["code"], "unavailable", error)
        self.assertIn(naming, error["message"])
        return error

    def sealed(self, account):
        return sqlite_rows(os.path.join(self.host.dir, "main.db"), "SELECT secrets FROM accounts WHERE id = ?",
                           (account,))[0][0]


class CredentialsFollowTheirServer(SecretCase):

    def check_redirect_refused(self, protocol, collector_mode):
        account = self.shared_account(self.dovecot(protocol))
        port, log = self.collector(collector_mode)
        changed = self.call("mail.account.update", "carl", {"id": account, "incoming": {"port": port}})
        fetched = self.host.call("mail.fetch", "carl", {"account": account})[1]
        tested = self.host.call("mail.account.test", "carl", {"id": account})[1]
        self.assertNotIn(PASSWORD, received(log))
        self.assertEqual(changed.get("secrets_cleared"), ["incoming.password"])
        self.assertFalse(changed["incoming"]["password_set"])
        for answer in (fetched, tested):
            self.assertEqual(answer["error"]["code"], "unavailable", answer)
            self.assertEqual(answer["error"].get("field"), "incoming.password", answer)

    def test_clerk_cannot_redirect_public_imap_password_to_own_server(self):
        self.check_redirect_refused("imaps", "imaps")

    def test_clerk_cannot_redirect_public_pop3_password_to_own_server(self):
        self.check_redirect_refused("pop3s", "pop3s")

    def test_clerk_cannot_redirect_borrowed_incoming_password_to_own_smtp_server(self):
        submission = {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "ca": CA}
        account = self.shared_account(smtp=submission)
        self.assertTrue(self.call("mail.account.test", "carl", {"id": account})["ok"])
        queued = self.call("mail.send", "carl", {"account": account, "to": [USER], "subject": "vorher", "text": "x"})
        port, log = self.collector("smtps")
        changed = self.call("mail.account.update", "carl", {"id": account, "smtp": {"port": port, "security": "tls"}})
        self.host.call("mail.outbox.process", "carl", {"account": account})
        self.host.call("mail.account.test", "carl", {"id": account})
        self.assertNotIn(PASSWORD, received(log))
        self.assertEqual(changed.get("secrets_cleared"), ["smtp.uses_incoming_credentials"])
        self.assertFalse(changed["smtp"]["uses_incoming_credentials"])
        self.assertTrue(changed["incoming"]["password_set"])  # the incoming server did not change
        self.fails_unavailable("mail.send", "carl", {"account": account, "to": [USER], "subject": "s", "text": "x"},
                               "incoming.password")
        self.fails_unavailable("mail.account.test", "carl", {"id": account}, "incoming.password")
        self.assertEqual(self.call("mail.outbox.process", "carl", {"account": account})["sent"], 0)
        entries = self.call("mail.outbox.list", "carl", {"account": account})["items"]
        self.assertEqual([(e["message_id"], e["state"]) for e in entries], [(queued["message_id"], "queued")])
        self.assertNotIn(PASSWORD, received(log))
        self.call("mail.fetch", "carl", {"account": account})  # receiving goes on with the kept password

    def test_clerk_cannot_redirect_own_smtp_password(self):
        own = {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "ca": CA, "user": USER,
               "password": PASSWORD}
        account = self.shared_account(smtp=own)
        port, log = self.collector("smtps")
        changed = self.call("mail.account.update", "carl", {"id": account, "smtp": {"port": port, "security": "tls"}})
        self.host.call("mail.account.test", "carl", {"id": account})
        self.assertNotIn(PASSWORD, received(log))
        self.assertEqual(changed.get("secrets_cleared"), ["smtp.password"])
        self.assertFalse(changed["smtp"]["password_set"])
        self.fails_unavailable("mail.account.test", "carl", {"id": account}, "smtp.password")
        self.assertNotIn(PASSWORD, received(log))

    def test_admin_changing_the_host_clears_the_password_too(self):
        account = self.shared_account()
        changed = self.call("mail.account.update", "root", {"id": account, "incoming": {"host": "127.0.0.1"}})
        self.assertEqual(changed["secrets_cleared"], ["incoming.password"])
        changed = self.call("mail.account.update", "olga", {"id": account, "incoming": {"host": "localhost"}})
        self.assertEqual(changed["secrets_cleared"], [])  # nothing left to clear
        self.assertFalse(changed["incoming"]["password_set"])

    def test_oauth_secrets_follow_token_url_and_client(self):
        oauth = {"protocol": "imaps", "host": "localhost", "user": USER, "auth": "oauth2",
                 "oauth2": {"token_url": "https://localhost:1/token", "client_id": "erp", "refresh_token": "rt-1",
                            "client_secret": "cs-1"}}
        account = self.shared_account(oauth)
        changed = self.call("mail.account.update", "carl", {
            "id": account, "incoming": {"oauth2": {"token_url": "https://localhost:2/token"}}})
        self.assertEqual(sorted(changed["secrets_cleared"]),
                         ["incoming.oauth2.client_secret", "incoming.oauth2.refresh_token"])
        self.assertFalse(changed["incoming"]["oauth2"]["refresh_token_set"])

    def test_password_entered_with_the_new_server_keeps_working(self):
        account = self.shared_account()
        changed = self.call("mail.account.update", "carl", {"id": account, "incoming": self.dovecot("pop3s")})
        self.assertEqual(changed["secrets_cleared"], [])
        self.assertTrue(changed["incoming"]["password_set"])
        self.call("mail.fetch", "carl", {"account": account})

    def test_unrelated_change_keeps_the_password(self):
        account = self.shared_account(smtp={"host": "localhost", "port": int(TB["SUBMISSION_PORT"]),
                                            "ca": CA})
        changed = self.call("mail.account.update", "carl", {"id": account, "label": "Verkauf Schweiz",
                                                            "incoming": {"folder": "INBOX"}})
        self.assertEqual(changed["secrets_cleared"], [])
        self.assertTrue(changed["incoming"]["password_set"])
        self.assertTrue(changed["smtp"]["uses_incoming_credentials"])
        self.call("mail.fetch", "carl", {"account": account})
        self.assertTrue(self.call("mail.account.test", "carl", {"id": account})["ok"])

    def test_settings_changed_in_the_database_leave_the_password_sealed(self):
        account = self.shared_account()
        port, log = self.collector("imaps")
        db = os.path.join(self.host.dir, "main.db")
        settings = json.loads(sqlite_rows(db, "SELECT server_settings FROM accounts WHERE id = ?", (account,))[0][0])
        settings["incoming"]["port"] = port
        with sqlite3.connect(db) as c:
            c.execute("UPDATE accounts SET server_settings = ? WHERE id = ?", (json.dumps(settings), account))
        self.fails_unavailable("mail.fetch", "carl", {"account": account}, "erpmail-secrets.key")
        self.assertEqual(received(log).strip(), "")


class TheKeyFailsClosed(SecretCase):

    def key(self):
        return os.path.join(self.host.data, "erpmail-secrets.key")

    def collected_account(self):
        """A public account whose servers are collectors; its password is stored."""
        in_port, self.in_log = self.collector("imaps")
        out_port, self.out_log = self.collector("smtps")
        return self.shared_account(
            {"protocol": "imaps", "host": "localhost", "port": in_port, "user": USER, "password": "Kept-Secret-41",
             "ca": CA},
            smtp={"host": "localhost", "port": out_port, "security": "tls", "ca": CA})

    def check_fails_closed(self, account):
        key = self.key()
        self.assertEqual(self.call("mail.version", "carl")["plugin"], "erpmail")  # the plugin starts
        self.fails_unavailable("mail.fetch", "carl", {"account": account}, key)
        self.fails_unavailable("mail.account.test", "carl", {"id": account}, key)
        self.fails_unavailable("mail.send", "carl", {"account": account, "to": [USER], "subject": "s", "text": "x"},
                               key)
        status = self.call("mail.account.status", "carl", {"id": account})["secrets"]
        self.assertEqual((status["stored"], status["readable"]), (True, False))
        self.assertIn(key, status["error"])
        self.assertIsNone(self.call("mail.account.get", "carl", {"id": account})["incoming"]["password_set"])
        sealed = self.sealed(account)
        relabeled = self.call("mail.account.update", "carl", {"id": account, "label": "Verkauf neu"})
        self.assertEqual(relabeled["secrets_cleared"], [])
        self.fails_unavailable("mail.account.update", "carl", {"id": account, "incoming": {"user": "x"}}, key)
        self.fails_unavailable("mail.account.update", "carl", {"id": account, "smtp": {"password": "p"}}, key)
        self.assertEqual(self.sealed(account), sealed)  # no edit dropped what it could not open
        check = self.call("mail.secrets.check", "root")
        self.assertEqual((check["opened"], check["unreadable"]), (0, 1))
        self.assertEqual(check["accounts"][0]["id"], account)
        self.assertEqual(received(self.in_log).strip(), "")  # no connection, let alone a login

    def test_lost_key_is_not_regenerated_and_no_login_goes_out(self):
        account = self.collected_account()
        os.rename(self.key(), self.key() + ".saved")
        self.check_fails_closed(account)
        self.assertFalse(os.path.exists(self.key()))
        self.fails_unavailable("mail.account.create", "olga", {
            "label": "Neu", "incoming": {"protocol": "imaps", "host": "localhost", "user": "u", "password": "p"}},
            self.key())
        self.assertFalse(os.path.exists(self.key()))
        os.rename(self.key() + ".saved", self.key())  # restored: opens again
        self.assertTrue(self.call("mail.account.status", "carl", {"id": account})["secrets"]["readable"])

    def test_discarding_unreadable_secrets_lets_the_passwords_be_entered_anew(self):
        account = self.shared_account()
        os.unlink(self.key())
        changed = self.call("mail.account.update", "olga", {"id": account, "discard_unreadable_secrets": True,
                                                            "incoming": {"password": PASSWORD}})
        self.assertEqual(changed["secrets_cleared"], ["unreadable_secrets"])
        self.assertTrue(changed["incoming"]["password_set"])
        self.assertTrue(os.path.exists(self.key()))  # nothing else was sealed: a new key is safe
        self.assertTrue(self.call("mail.account.status", "carl", {"id": account})["secrets"]["readable"])
        self.call("mail.fetch", "carl", {"account": account})

    def test_replaced_key_fails_closed_like_a_lost_one(self):
        account = self.collected_account()
        os.unlink(self.key())
        fd = os.open(self.key(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, bytes(range(100, 132)))
        os.close(fd)
        self.check_fails_closed(account)

    def test_rotation_reseals_everything_and_logins_go_on(self):
        account = self.shared_account(smtp={"host": "localhost", "port": int(TB["SUBMISSION_PORT"]),
                                            "ca": CA})
        before = self.call("mail.secrets.check", "root")
        self.assertEqual((before["opened"], before["unreadable"]), (1, 0))
        self.assertEqual(self.call("mail.secrets.rotate", "carl", code=1)["error"]["code"], "forbidden")
        with open(self.key(), "rb") as f:
            old_key = f.read()
        rotated = self.call("mail.secrets.rotate", "root")
        self.assertEqual(rotated["resealed"], 1)
        self.assertEqual(rotated["previous_key_id"], before["key_id"])
        self.assertNotEqual(rotated["key_id"], before["key_id"])
        with open(self.key(), "rb") as f:
            self.assertNotEqual(f.read(), old_key)
        self.assertEqual(os.stat(self.key()).st_mode & 0o777, 0o600)
        self.assertEqual(sorted(n for n in os.listdir(self.host.data) if n.startswith("erpmail-secrets.key")),
                         ["erpmail-secrets.key", "erpmail-secrets.key.lock"])  # the old key is retired
        after = self.call("mail.secrets.check", "root")
        self.assertEqual((after["opened"], after["unreadable"]), (1, 0))
        self.assertEqual(after["accounts"][0]["key_id"], rotated["key_id"])
        self.call("mail.fetch", "carl", {"account": account})
        self.assertTrue(self.call("mail.account.test", "carl", {"id": account})["ok"])

    def test_rotation_that_stopped_before_its_end_is_taken_up(self):
        account = self.shared_account()
        with open(self.key(), "rb") as f:
            old_key = f.read()
        # A rotation that stopped after writing its new key: the key ring still opens everything.
        fd = os.open(self.key() + ".next", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, bytes(range(7, 39)))
        os.close(fd)
        self.call("mail.fetch", "carl", {"account": account})
        rotated = self.call("mail.secrets.rotate", "root")
        with open(self.key(), "rb") as f:
            self.assertEqual(f.read(), bytes(range(7, 39)))
        self.assertNotEqual(bytes(range(7, 39)), old_key)
        self.assertEqual(rotated["resealed"], 1)
        self.call("mail.fetch", "carl", {"account": account})

    def test_hosts_sharing_a_key_file_open_each_others_secrets(self):
        shared = os.path.join(tempfile.mkdtemp(prefix="erpmail-key."), "shared.key")
        extra = f"[config]\nerpmail.secrets.key_file = {shared}\n"
        hosts = [Host(users=USERS, grants={"mail.use": "*"}, extra=extra) for _ in range(2)]
        try:
            # Both start at once on fresh data folders: one of them makes the key.
            procs = [subprocess.Popen([ERPHOST, "--config", h.config, "call", "mail.account.create", "--as", "olga",
                                       "--json", json.dumps({"label": "A", "incoming": self.dovecot()})],
                                      stdout=subprocess.PIPE, text=True) for h in hosts]
            outputs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
            self.assertTrue(all(o["incoming"]["password_set"] for o in outputs), outputs)
            self.assertFalse(os.path.exists(os.path.join(hosts[0].data, "erpmail-secrets.key")))
            # The second host's database is given the first one's account: it opens there.
            db = [os.path.join(h.dir, "main.db") for h in hosts]
            row = sqlite_rows(db[0], "SELECT * FROM accounts")[0]
            with sqlite3.connect(db[1]) as c:
                c.execute(f"INSERT INTO accounts VALUES ({','.join('?' * len(row))})", row)
            for o in outputs:
                status, result, err = hosts[1].call("mail.fetch", "olga", {"account": o["id"]})
                self.assertEqual(status, 0, f"{result} {err}")
        finally:
            for h in hosts:
                h.cleanup()


class PostgresSystemDatabase(SecretCase):
    def setUp(self):
        self.host = Host(databases={"main": (pg_database("secrets"), True)}, users=USERS, grants={"mail.use": "*"})
        self.servers = []

    def test_rotation_and_rebinding_on_postgresql(self):
        account = self.shared_account()
        self.assertEqual(self.call("mail.secrets.rotate", "root")["resealed"], 1)
        self.call("mail.fetch", "carl", {"account": account})
        changed = self.call("mail.account.update", "carl", {"id": account, "incoming": {"host": "127.0.0.1"}})
        self.assertEqual(changed["secrets_cleared"], ["incoming.password"])
        check = self.call("mail.secrets.check", "root")
        self.assertEqual((check["opened"], check["unreadable"]), (0, 0))


def oauth_post(path, body):
    """A POST to the test bed's OAuth server (its /seed and /redemptions)."""
    import ssl
    import urllib.request
    request = urllib.request.Request(TB["OAUTH_SEED_URL"].rsplit("/", 1)[0] + path, data=json.dumps(body).encode(),
                                     method="POST")
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=TB["TB_CA"])) as answer:
        return json.load(answer)


def inbox_messages(user, password, text, timeout=30):
    """The raw mails in the user's INBOX whose text contains `text`, once there is one."""
    import imaplib
    import ssl
    import time
    deadline = time.time() + timeout
    while True:
        with imaplib.IMAP4_SSL("localhost", int(TB["IMAPS_PORT"]),
                               ssl_context=ssl.create_default_context(cafile=TB["TB_CA"])) as imap:
            imap.login(user, password)
            imap.select("INBOX", readonly=True)
            uids = imap.uid("SEARCH", None, "TEXT", text)[1][0].split()
            found = [part[1] for uid in uids for part in imap.uid("FETCH", uid, "(BODY.PEEK[])")[1]
                     if isinstance(part, tuple)]
        if found or time.time() > deadline:
            return found
        time.sleep(0.3)


class OAuthSending(SecretCase):
    """OAuth accounts send through the test bed's Postfix, whose SASL is
    Dovecot's oauth2 passdb checking tokens at the test bed's OAuth server."""

    def oauth_account(self, user="olga", refresh_token=None, kind="personal", smtp_port=None):
        params = {"label": f"OAuth {kind}", "kind": kind, "sender_email": USER, "sender_name": "Olga Öhler",
                  "incoming": oauth_incoming("imaps", TB["IMAPS_PORT"], USER, refresh_token or oauth_refresh_token(USER)),
                  "smtp": {"host": "localhost", "port": int(smtp_port or TB["SUBMISSION_PORT"]), "ca": CA}}
        return self.call("mail.account.create", user, params)["id"]

    def check_sent_with(self, mechanism, smtp_port):
        account = self.oauth_account(smtp_port=smtp_port)
        tested = self.call("mail.account.test", "olga", {"id": account})
        self.assertTrue(tested["ok"], tested)
        self.assertEqual(tested["smtp"]["authentication"], mechanism)
        subject = f"Rechnung über OAuth {uuid.uuid4().hex}"
        queued = self.call("mail.send", "olga", {"account": account, "to": [TB["USER_BOB"]], "subject": subject,
                                                 "text": f"Grüsse über {mechanism}\n"})
        self.assertEqual(self.call("mail.outbox.process", "olga", {"account": account})["sent"], 1)
        raw = inbox_messages(TB["USER_BOB"], TB["PASS_BOB"], queued["message_id"])
        self.assertEqual(len(raw), 1)
        msg = email.message_from_bytes(raw[0], policy=email.policy.default)
        self.assertEqual(msg["Subject"], subject)
        self.assertEqual(msg["From"].addresses[0].addr_spec, USER)
        self.assertEqual(msg["Message-ID"], f"<{queued['message_id']}>")
        self.assertEqual(msg.get_body(("plain",)).get_content().replace("\r\n", "\n"), f"Grüsse über {mechanism}\n")
        # Postfix logged the SASL method it accepted.
        with open(os.path.join(TB["TB_DIR"], "postfix", "postfix.log"), encoding="utf-8", errors="replace") as f:
            self.assertIn(f"sasl_method={mechanism}, sasl_username={USER}", f.read())
        self.assertEqual(tokens_in_clear(self.host.dir), [])

    def test_oauth_account_sends_through_postfix_with_xoauth2(self):
        self.check_sent_with("XOAUTH2", TB["SUBMISSION_PORT"])

    def test_oauth_account_sends_with_oauthbearer_where_only_that_is_offered(self):
        self.check_sent_with("OAUTHBEARER", TB["SUBMISSION_OAUTHBEARER_PORT"])

    def test_smtp_refusing_a_foreign_token_fails_with_the_servers_reason(self):
        refresh_token = oauth_refresh_token(TB["USER_BOB"])
        for mechanism, port in (("XOAUTH2", TB["SUBMISSION_PORT"]), ("OAUTHBEARER", TB["SUBMISSION_OAUTHBEARER_PORT"])):
            account = self.oauth_account(refresh_token=refresh_token, smtp_port=port)
            smtp = self.call("mail.account.test", "olga", {"id": account})["smtp"]
            self.assertFalse(smtp["ok"], smtp)
            self.assertIn(f"authentication ({mechanism})", smtp["error"])
            self.assertIn("535", smtp["error"])
            self.assertIn('"status"', smtp["error"])  # the server's JSON reason, decoded
            self.assertNotIn("auth=Bearer", smtp["error"])
            refresh_token = oauth_refresh_token(TB["USER_BOB"])

    def test_microsoft_365_accounts_get_microsofts_smtp_server(self):
        incoming = {"protocol": "m365", "user": "olga@contoso.example",
                    "oauth2": {"tenant": "contoso.onmicrosoft.com", "client_id": "0f1e2d3c", "refresh_token": "0.AX"}}
        created = self.call("mail.account.create", "olga", {"label": "M365", "incoming": incoming})
        shown = self.call("mail.account.get", "olga", {"id": created["id"]})
        for account in (created, shown):
            smtp = account["smtp"]
            self.assertEqual((smtp["host"], smtp["port"], smtp["security"]), ("smtp.office365.com", 587, "starttls"))
            self.assertTrue(smtp["uses_incoming_credentials"], smtp)
            self.assertIn("https://outlook.office365.com/SMTP.Send", account["incoming"]["oauth2"]["scope"])
        # Given settings win; the rest are Microsoft's.
        own = self.call("mail.account.create", "olga", {"label": "M365 b", "incoming": incoming,
                                                        "smtp": {"port": 25}})["smtp"]
        self.assertEqual((own["host"], own["port"], own["security"]), ("smtp.office365.com", 25, "starttls"))
        self.assertIsNone(self.call("mail.account.create", "olga", {"label": "M365 c", "incoming": incoming,
                                                                     "smtp": None})["smtp"])

    def test_clerk_cannot_redirect_oauth_access_token_to_own_smtp_server(self):
        account = self.oauth_account(kind="public")
        self.assertTrue(self.call("mail.account.test", "carl", {"id": account})["ok"])
        port, log = self.collector("smtps")
        changed = self.call("mail.account.update", "carl", {"id": account, "smtp": {"port": port, "security": "tls"}})
        self.assertEqual(changed.get("secrets_cleared"), ["smtp.uses_incoming_credentials"])
        self.assertFalse(changed["smtp"]["uses_incoming_credentials"])
        self.fails_unavailable("mail.account.test", "carl", {"id": account}, "incoming.oauth2.refresh_token")
        self.fails_unavailable("mail.send", "carl", {"account": account, "to": [USER], "subject": "s", "text": "x"},
                               "incoming.oauth2.refresh_token")
        self.assertNotIn("auth=Bearer", received(log))
        self.assertNotIn("XOAUTH2", received(log))
        self.call("mail.fetch", "carl", {"account": account})  # receiving goes on with the kept token


class AccessTokenInAServingHost(SecretCase):
    """A long-running host keeps the access tokens it bought in memory; one
    bought for the account's servers never goes to a server set later."""

    def test_a_cached_access_token_does_not_follow_the_account_to_another_server(self):
        from test_console import Console
        console = Console()
        self.addCleanup(console.close)
        anna = console.signed_in("anna")

        def invoke(op, params):
            return anna.invoke(op, params)

        status, created = invoke("mail.account.create", {
            "label": "OAuth im Dienst", "kind": "public", "sender_email": USER,
            "incoming": dict(oauth_incoming("imaps", TB["IMAPS_PORT"], USER, oauth_refresh_token(USER)),
                             leave_on_server={"mode": "forever"})})
        self.assertEqual(status, 200, created)
        account = created["id"]
        status, fetched = invoke("mail.fetch", {"account": account})  # buys the token; the process keeps it
        self.assertEqual(status, 200, fetched)
        server, port, log = start_scripted_server("credential_collector.py", "imaps", console.host)
        self.servers.append(server)
        status, changed = invoke("mail.account.update", {"id": account, "incoming": {"port": port}})
        self.assertEqual(status, 200, changed)
        self.assertIn("incoming.oauth2.refresh_token", changed["secrets_cleared"])
        status, answer = invoke("mail.fetch", {"account": account})
        self.assertNotEqual(status, 200, answer)
        self.assertEqual(answer["error"]["code"], "unavailable", answer)
        self.assertIn("incoming.oauth2.refresh_token", answer["error"]["message"])
        self.assertNotIn("auth=Bearer", received(log))
        self.assertNotIn("AUTHENTICATE", received(log))


class RefreshTokenRace(SecretCase):
    """Two erphost processes need the account's access token at the same
    moment. The token server rotates refresh tokens, refuses a spent one,
    and here answers slowly, so that both ask while the other waits."""

    def check_one_redemption_per_refresh_token(self):
        # Access tokens last 70 s: erpmail renews them a minute early, so 10 s here.
        seeded = oauth_post("/seed", {"email": USER, "delay_ms": 1500, "expires_in": 70})["refresh_token"]
        account = self.call("mail.account.create", "olga", {
            "label": "OAuth race", "sender_email": USER,
            "incoming": oauth_incoming("imaps", TB["IMAPS_PORT"], USER, seeded)})["id"]
        commands = (["mail.fetch", json.dumps({"account": account})], ["mail.account.test", json.dumps({"id": account})])
        runs = [subprocess.Popen([ERPHOST, "--config", self.host.config, "call", op, "--as", "olga", "--json", params],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for op, params in commands]
        answers = [run.communicate(timeout=120) for run in runs]
        for run, (out, err) in zip(runs, answers):
            self.assertNotIn("invalid_grant", out + err)
            self.assertEqual(run.returncode, 0, out + err)
        self.assertTrue(json.loads(answers[1][0])["ok"], answers[1][0])
        # A third process finds the stored access token and buys none.
        self.call("mail.fetch", "olga", {"account": account})
        redemptions = oauth_post("/redemptions", {"refresh_token": seeded})["redemptions"]
        self.assertEqual(redemptions, [{"refresh_token": seeded, "granted": True}])
        # Once it expired, the next purchase spends the refresh token the
        # server rotated, which was stored with the first one.
        time.sleep(11)
        self.call("mail.fetch", "olga", {"account": account})
        redemptions = oauth_post("/redemptions", {"refresh_token": seeded})["redemptions"]
        self.assertEqual([r["granted"] for r in redemptions], [True, True], redemptions)
        self.assertNotEqual(redemptions[1]["refresh_token"], seeded)
        self.assertEqual(tokens_in_clear(self.host.dir), [])

    def test_rotated_refresh_token_that_cannot_be_stored_stops_the_fetch(self):
        account = self.call("mail.account.create", "olga", {
            "label": "OAuth full disk", "sender_email": USER,
            "incoming": oauth_incoming("imaps", TB["IMAPS_PORT"], USER, oauth_refresh_token(USER))})["id"]
        db = sqlite3.connect(os.path.join(self.host.dir, "main.db"))
        db.execute("CREATE TRIGGER full_disk BEFORE UPDATE OF secrets ON accounts "
                   "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        db.commit()
        db.close()
        error = self.call("mail.fetch", "olga", {"account": account}, code=1)["error"]
        self.assertIn("database or disk is full", error["message"])
        status = self.call("mail.account.status", "olga", {"id": account})
        self.assertIsNone(status["fetch"]["password_last_accepted_ms"], status)  # no login was tried

    def test_two_processes_buying_at_once_redeem_each_refresh_token_once(self):
        self.check_one_redemption_per_refresh_token()

    def test_two_processes_buying_at_once_redeem_each_refresh_token_once_on_postgresql(self):
        self.host.cleanup()
        self.host = Host(databases={"main": (pg_database("oauthrace"), True)}, users=USERS, grants={"mail.use": "*"})
        self.check_one_redemption_per_refresh_token()


if __name__ == "__main__":
    unittest.main()
