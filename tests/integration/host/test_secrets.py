"""Stored passwords and tokens through erphost: they stay with the servers
they were given for, also when a clerk changes a public account, and they
fail closed when the key is lost or replaced."""
import base64
import binascii
import json
import os
import sqlite3
import subprocess
import tempfile
import unittest

from harness import ERPHOST, Host, pg_database, sqlite_rows, start_scripted_server, testbed, testbed_ca

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


if __name__ == "__main__":
    unittest.main()
