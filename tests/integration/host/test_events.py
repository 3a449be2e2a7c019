"""Events the host can rely on: mail.sent and mail.received are recorded in
the transaction of the state they report, and a process killed between that
commit and the hand-over delivers them at the next start, once, with the
event_id they were recorded with."""
import imaplib
import json
import os
import re
import ssl
import subprocess
import time
import unittest
import uuid
from email.message import EmailMessage

from harness import ERPHOST, Host, call_until_crash_point, host_events, pg_database, sqlite_rows, testbed, testbed_ca

TB = testbed()
CA = testbed_ca()
USERS = {"anna": ("Anna Aebi", "sales", False), "root": ("Admin", "", True)}
CRASH = "event-commit"


def imap(user, password):
    i = imaplib.IMAP4_SSL("localhost", int(TB["IMAPS_PORT"]), ssl_context=ssl.create_default_context(cafile=TB["TB_CA"]))
    i.login(user, password)
    return i


def arrived(user, password, token, timeout=30):
    """How many mails in the user's INBOX carry token, once at least one has come (or timeout)."""
    deadline = time.time() + timeout
    while True:
        i = imap(user, password)
        try:
            i.select("INBOX", readonly=True)
            found = len(i.uid("SEARCH", None, "TEXT", token)[1][0].split())
        finally:
            i.logout()
        if found or time.time() > deadline:
            return found
        time.sleep(0.3)


class EventDeliveryTest(unittest.TestCase):
    def setUp(self):
        self.host = Host(users=USERS, grants={"mail.use": "*"})
        self.db = os.path.join(self.host.dir, "main.db")

    def tearDown(self):
        self.host.cleanup()

    def call(self, op, params=None, code=0):
        status, result, err = self.host.call(op, "anna", params)
        self.assertEqual(status, code, f"{op}: {result} {err}")
        return result

    def recorded(self):
        return sqlite_rows(self.db, "SELECT type, event_id FROM mail_events ORDER BY id")

    def assert_delivered_once_after_restart(self, kind, event_id):
        self.assertEqual(host_events(self.host, kind), [])  # the process died before the hand-over
        self.call("mail.account.list")  # a new process: its start hands over what was left
        events = host_events(self.host, kind)
        self.assertEqual([e["payload"]["event_id"] for e in events], [event_id])
        self.assertEqual(self.recorded(), [])
        self.call("mail.account.list")
        self.assertEqual(len(host_events(self.host, kind)), 1)  # and never again
        return events[0]["payload"]

    def sending_account(self, password=None):
        """An account of alice's that sends through the test bed's Postfix (submission, STARTTLS)."""
        return self.call("mail.account.create", {
            "label": f"Versand {uuid.uuid4().hex[:6]}", "sender_email": TB["USER_ALICE"],
            "incoming": {"protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]),
                         "user": TB["USER_ALICE"], "password": password or TB["PASS_ALICE"], "ca": CA},
            "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "security": "starttls", "ca": CA}})["id"]

    def test_kill_between_sent_commit_and_event_delivers_mail_sent_once_at_restart(self):
        account = self.sending_account()
        token = uuid.uuid4().hex
        queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": f"Rechnung {token}",
                                         "text": "Anbei", "documents": [{"doctype": "invoice", "id": "2026-0042"}]})
        self.assertEqual(call_until_crash_point(self.host, CRASH, "mail.outbox.process", "anna",
                                                {"account": account}), -9)
        self.assertEqual(arrived(TB["USER_BOB"], TB["PASS_BOB"], token), 1)
        [(kind, event_id)] = self.recorded()  # committed with the sent mark
        self.assertEqual(kind, "mail.sent")
        payload = self.assert_delivered_once_after_restart("mail.sent", event_id)
        self.assertEqual(payload["message_id"], queued["message_id"])
        self.assertEqual(payload["documents"], [{"doctype": "invoice", "id": "2026-0042"}])
        outbox = self.call("mail.outbox.list", {"account": account})["items"]
        self.assertEqual([(e["state"], e["attempts"]) for e in outbox], [("sent", 1)])
        self.assertEqual(self.call("mail.outbox.process", {"account": account})["sent"], 0)
        self.assertEqual(len(host_events(self.host, "mail.sent")), 1)
        self.assertEqual(arrived(TB["USER_BOB"], TB["PASS_BOB"], token, timeout=0), 1)

    def test_kill_between_failed_commit_and_event_delivers_mail_failed_once_at_restart(self):
        account = self.sending_account(password="wrong-password")  # Postfix answers 535: failed for good
        queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "abgewiesen",
                                         "text": "x"})
        self.assertEqual(call_until_crash_point(self.host, CRASH, "mail.outbox.process", "anna",
                                                {"account": account}), -9)
        [(kind, event_id)] = self.recorded()  # committed with the failed mark
        self.assertEqual(kind, "mail.failed")
        payload = self.assert_delivered_once_after_restart("mail.failed", event_id)
        self.assertEqual((payload["message_id"], payload["permanent"]), (queued["message_id"], True))
        self.assertIn("535", payload["answer"])

    def receiving_account(self, subjects):
        """An IMAP account of user erin on a new folder of Dovecot's that holds one mail per subject.
        Returns the account and the folder's name (removed at the end of the test)."""
        folder = f"Ereignisse-{uuid.uuid4().hex[:8]}"
        i = imap(TB["USER_ERIN"], TB["PASS_ERIN"])
        try:
            i.create(f'"{folder}"')
            for n, subject in enumerate(subjects):
                m = EmailMessage()
                m["From"] = "Kunde <kunde@kunde.example>"
                m["To"] = TB["USER_ERIN"]
                m["Subject"] = subject
                m["Message-ID"] = f"<{uuid.uuid4().hex}@kunde.example>"
                m.set_content(f"Grüezi ✓ {n}\n")
                i.append(f'"{folder}"', None, None, m.as_bytes().replace(b"\n", b"\r\n"))
        finally:
            i.logout()
        self.addCleanup(self.remove_folder, folder)
        return self.call("mail.account.create", {"label": f"Eingang {folder}", "incoming": {
            "protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "folder": folder,
            "user": TB["USER_ERIN"], "password": TB["PASS_ERIN"], "ca": CA,
            "leave_on_server": {"mode": "forever"}}})["id"]

    @staticmethod
    def remove_folder(folder):
        i = imap(TB["USER_ERIN"], TB["PASS_ERIN"])
        try:
            i.delete(f'"{folder}"')
        finally:
            i.logout()

    def test_kill_between_received_commit_and_event_delivers_mail_received_once_at_restart(self):
        subject = f"Bestellung {uuid.uuid4().hex}"
        account = self.receiving_account([subject])
        self.assertEqual(call_until_crash_point(self.host, CRASH, "mail.fetch", "anna", {"account": account}), -9)
        [(kind, event_id)] = self.recorded()  # committed with the mail
        self.assertEqual(kind, "mail.received")
        payload = self.assert_delivered_once_after_restart("mail.received", event_id)
        self.assertEqual((payload["account"], payload["subject"]), (account, subject))
        stored = self.call("mail.message.list", {"account": account})["items"]
        self.assertEqual([s["id"] for s in stored], [payload["id"]])
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 0)
        self.assertEqual(len(host_events(self.host, "mail.received")), 1)

    def test_kill_between_offline_commit_and_event_delivers_account_offline_once_at_restart(self):
        account = self.call("mail.account.create", {"label": "Ablage"})["id"]
        self.assertEqual(call_until_crash_point(self.host, CRASH, "mail.account.set_online", "anna",
                                                {"id": account, "online": False}), -9)
        [(kind, event_id)] = self.recorded()  # committed with the state, in the system database
        self.assertEqual(kind, "account.offline")
        payload = self.assert_delivered_once_after_restart("account.offline", event_id)
        self.assertFalse(self.call("mail.account.get", {"id": account})["online"])
        self.assertEqual((payload["account"], payload["reason"]), (account, "set offline by anna"))
        self.call("mail.account.set_online", {"id": account, "online": True})
        [online] = host_events(self.host, "account.online")  # handed over at once, with an id of its own
        self.assertEqual(online["payload"]["account"], account)
        self.assertNotEqual(online["payload"]["event_id"], event_id)
        self.assertEqual(self.recorded(), [])

    def test_every_event_carries_an_event_id_of_its_own_and_leaves_nothing_recorded(self):
        account = self.receiving_account(["Mail 0", "Mail 1", "Mail 2"])
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 3)
        events = host_events(self.host, "mail.received")
        self.assertEqual(sorted(e["payload"]["subject"] for e in events), ["Mail 0", "Mail 1", "Mail 2"])
        ids = [e["payload"]["event_id"] for e in events]
        self.assertEqual(len(set(ids)), 3)
        for event_id in ids:
            self.assertEqual(str(uuid.UUID(event_id)), event_id)
        self.assertEqual(self.recorded(), [])
    def test_processes_starting_together_hand_each_left_event_over_once(self):
        account = self.receiving_account([f"Mail {n}" for n in range(1000)])
        self.assertEqual(call_until_crash_point(self.host, CRASH, "mail.fetch", "anna", {"account": account}), -9)
        left = [event_id for _, event_id in self.recorded()]
        # A fetch hands events over after each commit: killed at the first
        # hand-over, it leaves those of the mails it had committed.
        self.assertEqual(len(left), self.stored_messages())
        self.assertTrue(0 < len(left) < 1000, len(left))
        starts = [subprocess.Popen([ERPHOST, "--config", self.host.config, "call", "mail.account.list", "--as", "anna",
                                    "--json", "{}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                  for _ in range(6)]
        self.assertEqual([p.wait(timeout=120) for p in starts], [0] * 6)
        self.call("mail.account.list")  # whatever one of them could not hand over
        self.assertEqual(sorted(e["payload"]["event_id"] for e in host_events(self.host, "mail.received")),
                         sorted(left))
        self.assertEqual(self.recorded(), [])

    def test_a_host_slow_to_take_an_event_keeps_no_lock_on_the_database(self):
        import threading
        account = self.sending_account()
        self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "Rechnung", "text": "x"})
        log = os.path.join(self.host.dir, "events.jsonl")
        if os.path.exists(log):
            os.remove(log)
        os.mkfifo(log)  # the host's event handler blocks until someone reads
        sender = subprocess.Popen([ERPHOST, "--config", self.host.config, "call", "mail.outbox.process", "--as", "anna",
                                   "--json", json.dumps({"account": account})],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        taken = []
        try:
            deadline = time.time() + 60
            while not self.recorded_claimed() and time.time() < deadline:
                time.sleep(0.05)
            self.assertTrue(self.recorded_claimed(), "the mail.sent event was never handed over")
            # While the host sits on mail.sent, a clerk queues the next mail.
            started = time.time()
            code, queued, err = self.host.call("mail.send", "anna", {"account": account, "to": [TB["USER_BOB"]],
                                                                     "subject": "Mahnung", "text": "y"})
            self.assertEqual(code, 0, err)
            self.assertLess(time.time() - started, 5, "mail.send waited for the host's event handler")
        finally:
            def take():
                with open(log, encoding="utf-8") as f:
                    taken.extend(f.read().splitlines())
            reader = threading.Thread(target=take)
            reader.start()
            out, err = sender.communicate(timeout=60)
            reader.join(timeout=60)
        self.assertEqual(json.loads(out)["sent"], 1, err)
        self.assertEqual([json.loads(line)["type"] for line in taken], ["mail.sent"])
        self.assertEqual(self.recorded(), [])

    def recorded_claimed(self):
        """Whether a process has claimed the recorded events to hand them over."""
        return bool(sqlite_rows(self.db, "SELECT id FROM mail_events WHERE claim_token IS NOT NULL"))

    def stored_messages(self):
        return sqlite_rows(self.db, "SELECT COUNT(*) FROM messages")[0][0]


class EventDeliveryOnPostgresTest(EventDeliveryTest):
    """The same on PostgreSQL, where a delivery locks the rows it hands over."""

    def setUp(self):
        odbc = pg_database("events")
        self.database = re.search(r"Database=([^;]+)", odbc).group(1)
        self.host = Host(databases={"main": (odbc, True)}, users=USERS, grants={"mail.use": "*"})

    def psql(self, sql, *flags):
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", TB["PG_PORT"], "-U", "erpmail", "-d", self.database,
                               "-At", *flags, "-c", sql], env=dict(os.environ, PGPASSWORD="erpmail-Db-6"),
                              capture_output=True, text=True, check=True).stdout

    def recorded(self):
        out = self.psql("SELECT type, event_id FROM mail_events ORDER BY id", "-F", " ")
        return [tuple(line.split(" ")) for line in out.splitlines()]

    def recorded_claimed(self):
        return bool(self.psql("SELECT id FROM mail_events WHERE claim_token IS NOT NULL").strip())

    def stored_messages(self):
        return int(self.psql("SELECT COUNT(*) FROM messages").strip())


if __name__ == "__main__":
    unittest.main()
