"""Receiving over IMAP from the test bed's Dovecot, checked with Python's
imaplib: every mail once and byte for byte, expunged only after it is
stored, no duplicates after a UIDVALIDITY change or a kill -9."""
import imaplib
import json
import os
import random
import shutil
import signal
import smtplib
import sqlite3
import ssl
import subprocess
import time
import unittest
import uuid
from email.message import EmailMessage

from harness import (ERPHOST, check_foreign_token_refused, folder_digests_of, Host, kill_trials, oauth_incoming,
                     oauth_refresh_token, fetch_from_scripted_server, sqlite_rows, testbed, testbed_ca,
                     tokens_in_clear)

TB = testbed()
CA = testbed_ca()
USER, PASSWORD = TB.get("USER_ERIN", ""), TB.get("PASS_ERIN", "")
USERS = {"anna": ("Anna Aebi", "sales", False), "root": ("Admin", "", True)}


def imap():
    i = imaplib.IMAP4_SSL("localhost", int(TB["IMAPS_PORT"]), ssl_context=ssl.create_default_context(cafile=TB["TB_CA"]))
    i.login(USER, PASSWORD)
    return i


def folder_digests(folder="INBOX"):
    """uid -> sha256 of every mail in the folder, as the server sends it."""
    return folder_digests_of(USER, PASSWORD, folder)


def empty(folder="INBOX"):
    i = imap()
    try:
        if i.select(f'"{folder}"')[0] == "OK":
            i.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
            i.expunge()
    finally:
        i.logout()


def mail(n, tag):
    m = EmailMessage()
    m["From"] = f"Kunde {n} <kunde{n}@kunde.example>"
    m["To"] = USER
    m["Subject"] = f"IMAP {n} für Müller {tag}"
    m["Message-ID"] = f"<{tag}-{n}@kunde.example>"
    m.set_content(".Punkt\nGrüezi ✓\n" + "y" * random.Random(n).randint(0, 5000) + "\n")
    return m


def deliver(count, tag):
    with smtplib.LMTP("127.0.0.1", int(TB["LMTP_PORT"])) as lmtp:
        for n in range(count):
            lmtp.send_message(mail(n, tag), to_addrs=[USER])


class ImapTest(unittest.TestCase):
    def setUp(self):
        empty()
        self.host = Host(users=USERS, grants={"mail.use": "*"})

    def tearDown(self):
        self.host.cleanup()

    def call(self, op, params=None, code=0):
        status, result, err = self.host.call(op, "anna", params)
        self.assertEqual(status, code, f"{op}: {result} {err}")
        return result

    def account(self, mode="never", folder="INBOX", port=None, security="tls", host="localhost", password=None,
                days=None):
        leave = {"mode": mode} | ({"days": days} if days else {})
        return self.call("mail.account.create", {"label": f"IMAP {uuid.uuid4().hex[:6]}", "incoming": {
            "protocol": "imaps" if security == "tls" else "imap", "host": host,
            "port": int(port or TB["IMAPS_PORT"]), "security": security, "folder": folder, "user": USER,
            "password": password or PASSWORD, "ca": CA, "leave_on_server": leave}})["id"]

    def stored_digests(self):
        db = sqlite3.connect(os.path.join(self.host.dir, "main.db"))
        try:
            return sorted(r[0] for r in db.execute("SELECT content_sha256 FROM messages"))
        finally:
            db.close()

    def test_everything_arrives_once_byte_for_byte_then_is_expunged(self):
        deliver(20, uuid.uuid4().hex)
        original = folder_digests()
        account = self.account("never")
        result = self.call("mail.fetch", {"account": account})
        self.assertEqual((result["fetched"], result["deleted_on_server"]), (20, 20))
        self.assertEqual(self.stored_digests(), sorted(original.values()))
        self.assertEqual(folder_digests(), {})
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 0)
        got = self.call("mail.message.list", {"account": account, "page_size": 50})["items"]
        self.assertTrue(any(m["subject"].startswith("IMAP 0 für Müller") for m in got))

    def test_a_mail_over_the_size_limit_stays_on_the_server_and_is_reported(self):
        self.host.cleanup()
        self.host = Host(users=USERS, grants={"mail.use": "*"}, extra="[config]\nerpmail.fetch.max_message_mb = 1\n")
        tag = uuid.uuid4().hex
        deliver(2, tag)
        big = mail(99, tag)
        big.replace_header("Subject", "Pläne für Zürich")
        big.add_attachment(os.urandom(1_500_000), maintype="application", subtype="pdf", filename="Pläne.pdf")
        with smtplib.LMTP("127.0.0.1", int(TB["LMTP_PORT"])) as lmtp:
            lmtp.send_message(big, to_addrs=[USER])
        deliver(1, tag + "-after")
        original = folder_digests()
        big_uid = sorted(original, key=int)[2]  # delivered third
        account = self.account("never")
        result = self.call("mail.fetch", {"account": account})
        self.assertEqual((result["fetched"], result["deleted_on_server"]), (3, 3))
        self.assertEqual([(t["id"], t["from"], t["subject"]) for t in result["too_large"]],
                         [(big_uid, "Kunde 99 <kunde99@kunde.example>", "Pläne für Zürich")])
        self.assertGreater(result["too_large"][0]["size"], 1_500_000)
        self.assertEqual(folder_digests(), {big_uid: original[big_uid]})  # left untouched
        self.assertEqual(self.stored_digests(), sorted(d for uid, d in original.items() if uid != big_uid))
        status = self.call("mail.account.status", {"id": account})["fetch"]
        self.assertEqual((status["too_large_on_server"], status["consecutive_failures"]), (1, 0))
        deliver(1, tag + "-later")
        again = self.call("mail.fetch", {"account": account})
        self.assertEqual((again["fetched"], len(again["too_large"])), (1, 1))
        self.assertEqual(list(folder_digests()), [big_uid])

    def test_leave_forever_and_for_days(self):
        deliver(4, uuid.uuid4().hex)
        forever = self.account("forever")
        self.assertEqual(self.call("mail.fetch", {"account": forever})["deleted_on_server"], 0)
        deliver(1, uuid.uuid4().hex)
        self.assertEqual(self.call("mail.fetch", {"account": forever})["fetched"], 1)
        self.assertEqual(len(folder_digests()), 5)
        again = self.call("mail.fetch", {"account": forever})  # nothing new: SELECT settles it
        self.assertEqual((again["fetched"], again["on_server_before"]), (0, 5))
        days = self.account("days", days=2)
        self.assertEqual(self.call("mail.fetch", {"account": days})["deleted_on_server"], 0)
        with open(self.host.config, encoding="utf-8") as f:
            text = f.read()
        with open(self.host.config, "w", encoding="utf-8") as f:
            f.write(text.replace("[host]\n", f"[host]\nclock_offset_ms = {3 * 86400000}\n", 1))
        self.assertEqual(self.call("mail.fetch", {"account": days})["deleted_on_server"], 5)
        self.assertEqual(folder_digests(), {})

    def test_without_uidplus_stored_mail_moves_to_the_trash(self):
        deliver(3, uuid.uuid4().hex)
        original = sorted(folder_digests().values())
        empty("Trash")
        account = self.account("never", host=TB["HOST_NOUIDPLUS"])  # a server offering MOVE but not UIDPLUS
        result = self.call("mail.fetch", {"account": account})
        self.assertEqual((result["fetched"], result["deleted_on_server"]), (3, 3))
        self.assertEqual(folder_digests(), {})
        self.assertEqual(sorted(folder_digests("Trash").values()), original)
        self.assertEqual(self.stored_digests(), original)

    def test_starttls_on_143(self):
        deliver(2, uuid.uuid4().hex)
        self.assertEqual(self.call("mail.fetch", {"account": self.account(port=TB["IMAP_PORT"],
                                                                          security="starttls")})["fetched"], 2)

    def test_uidvalidity_change_brings_no_duplicates(self):
        folder = f"Projekt-{uuid.uuid4().hex[:6]}"
        tag = uuid.uuid4().hex
        raws = [bytes(mail(n, tag)) for n in range(5)]
        i = imap()
        i.create(f'"{folder}"')
        for raw in raws:
            i.append(f'"{folder}"', None, None, raw.replace(b"\n", b"\r\n"))
        i.logout()
        account = self.account("forever", folder=folder)
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 5)
        i = imap()  # the folder is recreated: new UIDVALIDITY, the same mails
        i.delete(f'"{folder}"')
        i.create(f'"{folder}"')
        for raw in raws:
            i.append(f'"{folder}"', None, None, raw.replace(b"\n", b"\r\n"))
        i.logout()
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 0)
        self.assertEqual(len(self.stored_digests()), 5)

    def test_deleted_moved_archived_or_trashed_mail_is_not_fetched_again(self):
        self.host.cleanup()
        self.host = Host(users=USERS, grants={"mail.use": "*"},
                         databases={"main": ("Driver=SQLite3;Database={dir}/main.db", True),
                                    "second": ("Driver=SQLite3;Database={dir}/second.db", False)})
        folder = f"Kunden-{uuid.uuid4().hex[:6]}"
        tag = uuid.uuid4().hex
        raws = [bytes(mail(n, tag)).replace(b"\n", b"\r\n") for n in range(7)]

        def fill(count):
            i = imap()
            i.create(f'"{folder}"')
            for raw in raws[:count]:
                i.append(f'"{folder}"', None, None, raw)
            i.logout()

        fill(6)
        account = self.account("forever", folder=folder)
        same_db = self.call("mail.account.create", {"label": "Ablage"})["id"]
        other_db = self.call("mail.account.create", {"label": "Archiv extern", "database": "second"})["id"]
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 6)
        ids = sorted(m["id"] for m in self.call("mail.message.list", {"account": account})["items"])
        self.call("mail.message.delete", {"account": account, "ids": [ids[0]]})
        self.call("mail.message.move", {"account": account, "ids": [ids[1]], "to_account": same_db})
        self.call("mail.message.move", {"account": account, "ids": [ids[2]], "to_account": other_db})
        self.call("mail.message.archive", {"account": account, "ids": [ids[3]]})
        self.call("mail.message.trash", {"account": account, "ids": [ids[4]]})
        i = imap()
        i.append(f'"{folder}"', None, None, raws[6])
        i.logout()
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 1, "only the new mail is new")
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 0)
        # The folder is recreated on the server: a new UIDVALIDITY, the same seven mails and one more.
        i = imap()
        i.delete(f'"{folder}"')
        i.logout()
        fill(7)
        extra = mail(7, tag)
        i = imap()
        i.append(f'"{folder}"', None, None, bytes(extra).replace(b"\n", b"\r\n"))
        i.logout()
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 1,
                         "after a UIDVALIDITY change only the mail never fetched is new")
        subjects = [m["subject"] for m in self.call("mail.message.list", {"account": account})["items"]]
        self.assertEqual(len(subjects), 3)  # of the first six, one is left in the inbox; then two new ones
        self.assertEqual(sum(s.startswith("IMAP 7 ") for s in subjects), 1)
        for state in ("archived", "trash"):
            self.assertEqual(self.call("mail.message.list", {"account": account, "state": state})["total"], 1)

    def test_folders_with_umlauts_are_listed_chosen_and_fetched_from(self):
        tag = uuid.uuid4().hex[:6]
        # Modified UTF-7 (RFC 3501 5.1.3) as written out by hand: what the server stores and lists.
        names = {f"Entwürfe {tag}": f"Entw&APw-rfe {tag}",
                 f"Éléments envoyés {tag}": f"&AMk-l&AOk-ments envoy&AOk-s {tag}",
                 f"Gesendete Elemente {tag}": f"Gesendete Elemente {tag}"}
        i = imap()
        for wire in names.values():
            self.assertEqual(i.create(f'"{wire}"')[0], "OK")
        listed_by_server = [line.decode() for line in i.list()[1]]
        i.logout()
        for wire in names.values():
            self.assertTrue(any(line.endswith(f'"{wire}"') or line.endswith(wire) for line in listed_by_server),
                            (wire, listed_by_server))
        account = self.account("forever", folder=f"Entwürfe {tag}")
        folders = self.call("mail.imap.folders", {"account": account})
        by_name = {f["name"]: f for f in folders["folders"]}
        for name in names:
            self.assertIn(name, by_name)
            self.assertTrue(by_name[name]["selectable"])
        self.assertIn("\\Sent", by_name["Sent"]["special_use"])
        self.assertEqual(folders["receiving_from"], f"Entwürfe {tag}")
        raw = bytes(mail(1, tag)).replace(b"\n", b"\r\n")
        i = imap()
        self.assertEqual(i.append(f'"{names[f"Entwürfe {tag}"]}"', None, None, raw)[0], "OK")
        i.logout()
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 1)
        self.assertEqual(self.stored_digests(), sorted(folder_digests(names[f"Entwürfe {tag}"]).values()))
        i = imap()
        for wire in names.values():
            i.delete(f'"{wire}"')
        i.logout()

    def test_system_trust_store_is_read_from_its_hashed_directory(self):
        # Without ca or ca_file the system's CAs decide; here a hashed directory of one: the test CA.
        store = os.path.join(self.host.dir, "certs")
        os.mkdir(store)
        shutil.copy(TB["TB_CA"], os.path.join(store, "test-ca.pem"))
        subprocess.run(["openssl", "rehash", store], check=True, capture_output=True)
        deliver(1, uuid.uuid4().hex)
        incoming = {"protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "user": USER,
                    "password": PASSWORD, "leave_on_server": {"mode": "forever"}}
        account = self.call("mail.account.create", {"label": "System-CA", "incoming": incoming})["id"]
        error = self.call("mail.fetch", {"account": account}, code=1)["error"]
        self.assertIn("certificate", error["message"])  # the test CA is not among the system's
        # SSL_CERT_FILE (a bundle named on purpose) would be loaded instead of the directory.
        trusting = Host(users=USERS, grants={"mail.use": "*"}, env={"SSL_CERT_DIR": store, "SSL_CERT_FILE": ""})
        try:
            code, made, err = trusting.call("mail.account.create", "anna", {"label": "System-CA", "incoming": incoming})
            self.assertEqual(code, 0, err)
            code, result, err = trusting.call("mail.fetch", "anna", {"account": made["id"]})
            self.assertEqual((code, result.get("fetched")), (0, 1), (result, err))
        finally:
            trusting.cleanup()

    def test_system_trust_store_is_read_from_the_bundle_that_ssl_cert_file_names(self):
        # The bundle is read only when a chain needs it; its CAs must count all the same.
        bundle = os.path.join(self.host.dir, "bundle.pem")
        with open(bundle, "w") as out, open("/etc/ssl/certs/ca-certificates.crt") as system, open(TB["TB_CA"]) as ca:
            out.write(system.read() + ca.read())
        empty = os.path.join(self.host.dir, "no-certs")
        os.mkdir(empty)
        deliver(1, uuid.uuid4().hex)
        incoming = {"protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "user": USER,
                    "password": PASSWORD, "leave_on_server": {"mode": "forever"}}
        for env, fetched in (({"SSL_CERT_FILE": bundle, "SSL_CERT_DIR": empty}, 1),
                             ({"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_DIR": empty}, None)):
            host = Host(users=USERS, grants={"mail.use": "*"}, env=env)
            try:
                code, made, err = host.call("mail.account.create", "anna", {"label": "Bundle-CA", "incoming": incoming})
                self.assertEqual(code, 0, err)
                code, result, err = host.call("mail.fetch", "anna", {"account": made["id"]})
                if fetched:
                    self.assertEqual((code, result.get("fetched")), (0, fetched), (result, err))
                else:
                    self.assertEqual(code, 1, result)
                    self.assertIn("certificate", result["error"]["message"])
            finally:
                host.cleanup()

    def test_wrong_password_and_bad_certificate_expunge_nothing(self):
        deliver(2, uuid.uuid4().hex)
        before = folder_digests()
        error = self.call("mail.fetch", {"account": self.account(password="wrong")}, code=1)["error"]
        self.assertIn("refused", error["message"])
        error = self.call("mail.fetch", {"account": self.account(host=TB["HOST_SELFSIGNED"])}, code=1)["error"]
        self.assertIn("self-signed", error["message"])
        self.assertEqual(folder_digests(), before)

    def test_sent_mail_is_kept_in_the_servers_sent_folder(self):
        account = self.call("mail.account.create", {"label": "Mit Sent", "sender_email": USER, "incoming": {
            "protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "user": USER,
            "password": PASSWORD, "ca": CA},
            "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "ca": CA}})["id"]
        # Six mails of 2 MB: the copies go to the server in runs of about
        # 8 MB while the outbox is being sent, and the rest at its end.
        pdf = os.path.join(self.host.dir, "beleg.pdf")
        with open(pdf, "wb") as f:
            f.write(os.urandom(2 * 1024 * 1024))
        self.host.write_documents({"invoice": {"groß": {"file": pdf, "file_name": "Beleg.pdf"}}})
        queued = [self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": f"Kopie {n} im Sent",
                                          "text": "Grüezi",
                                          "attachments": [{"document": {"doctype": "invoice", "id": "groß"}}]})
                  for n in range(6)]
        self.assertEqual(self.call("mail.outbox.process", {"account": account})["sent"], 6)
        i = imap()
        try:
            i.select("Sent", readonly=True)
            for q in queued:
                found = i.uid("SEARCH", None, "HEADER", "Message-ID", q["message_id"])[1][0].split()
                self.assertEqual(len(found), 1, q["message_id"])
                flags = i.uid("FETCH", found[0], "(FLAGS)")[1][0]
                self.assertIn(b"\\Seen", flags)
        finally:
            i.logout()

    def test_oauth2_signs_in_with_xoauth2_and_keeps_the_rotated_refresh_token(self):
        seed = oauth_refresh_token(USER)
        incoming = oauth_incoming("imaps", TB["IMAPS_PORT"], USER, seed)
        account = self.call("mail.account.create", {"label": "OAuth IMAP", "incoming": incoming})["id"]
        shown = self.call("mail.account.get", {"id": account})
        self.assertTrue(shown["incoming"]["oauth2"]["refresh_token_set"])
        self.assertNotIn(seed, json.dumps(shown))
        deliver(3, uuid.uuid4().hex)
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 3)
        # A new process uses the access token stored with the account (the
        # seed is spent now); RefreshTokenRace in test_secrets shows the
        # rotated refresh token buying the next one.
        deliver(1, uuid.uuid4().hex)
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 1)
        status = self.call("mail.account.status", {"id": account})
        self.assertIsNotNone(status["fetch"]["password_last_accepted_ms"])
        tested = self.call("mail.account.test", {"id": account})
        self.assertEqual([s["step"] for s in tested["incoming"]["steps"]][-2:], ["login", "select"], tested)
        self.assertTrue(tested["incoming"]["ok"], tested)
        self.assertEqual(tested["incoming"]["authentication"], "XOAUTH2")
        # An account still holding the spent token gets the server's reason.
        stale = self.call("mail.account.create", {"label": "OAuth stale", "incoming": incoming})["id"]
        error = self.call("mail.fetch", {"account": stale}, code=1)["error"]["message"]
        self.assertIn("invalid_grant", error)
        self.assertIn("grant access again", error)
        self.assertIn("invalid_grant", self.call("mail.account.status", {"id": stale})["fetch"]["last_error"])
        self.assertEqual(tokens_in_clear(self.host.dir), [])
        check_foreign_token_refused(self, self.host, "imaps", TB["IMAPS_PORT"], USER)

    def test_microsoft_365_accounts_get_the_microsoft_defaults(self):
        status, result, _ = self.host.call("mail.account.create", "anna", {"label": "M365", "incoming": {
            "protocol": "m365", "user": "anna@contoso.example", "oauth2": {"tenant": "contoso.onmicrosoft.com"}}})
        self.assertEqual(status, 1)
        self.assertEqual(result["error"]["field"], "incoming.oauth2.client_id")
        account = self.call("mail.account.create", {"label": "M365", "incoming": {
            "protocol": "m365", "user": "anna@contoso.example",
            "oauth2": {"tenant": "contoso.onmicrosoft.com", "client_id": "0f1e2d3c", "refresh_token": "0.AXo-secret"}}})
        incoming = account["incoming"]
        self.assertEqual((incoming["host"], incoming["port"], incoming["security"], incoming["auth"]),
                         ("outlook.office365.com", 993, "tls", "oauth2"))
        self.assertEqual(incoming["oauth2"]["token_url"],
                         "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        self.assertIn("IMAP.AccessAsUser.All", incoming["oauth2"]["scope"])
        self.assertTrue(incoming["oauth2"]["refresh_token_set"])
        self.assertNotIn("0.AXo-secret", json.dumps(account))

    def test_new_mail_arrives_within_seconds_over_idle(self):
        account = self.account("never")
        with open(self.host.config, "a", encoding="utf-8") as f:
            f.write("\n[config]\nerpmail.fetch.interval_seconds = 3600\n")  # only IDLE can bring it in time
        serve = subprocess.Popen([ERPHOST, "--config", self.host.config, "serve"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(2)  # the schedule's first round and the IDLE connection
            tag = uuid.uuid4().hex
            sent = time.monotonic()
            deliver(1, tag)
            latency = None
            while time.monotonic() - sent < 15:
                db = sqlite3.connect(os.path.join(self.host.dir, "main.db"))
                try:
                    rows = db.execute("SELECT subject FROM messages WHERE account_id = ? AND subject LIKE ?",
                                      (account, f"%{tag}")).fetchall()
                finally:
                    db.close()
                if rows:
                    latency = time.monotonic() - sent
                    break
                time.sleep(0.1)
            self.assertIsNotNone(latency, "the mail did not arrive within 15 s")
            self.assertLess(latency, 5)
            self.assertEqual(len(rows), 1)
            print(f"new mail stored {latency:.2f} s after delivery, over IDLE")
        finally:
            serve.send_signal(signal.SIGTERM)
            _, err = serve.communicate(timeout=30)
        self.assertEqual(serve.returncode, 0, err)
        self.assertNotIn("IDLE on account", err)  # no watcher failed

    def test_kills_during_a_sync_lose_and_duplicate_nothing(self):
        count = int(os.environ.get("ERPMAIL_IMAP_CRASH_MESSAGES", "1000"))
        trials = int(os.environ.get("ERPMAIL_CRASH_KILLS", "50"))
        # The original set is delivered once into a folder of its own; each
        # trial copies it into the synced folder for a new account.
        tag = uuid.uuid4().hex[:8]
        pristine, synced = f"Pristine{tag}", f"Crash{tag}"
        deliver(count, tag)
        i = imap()
        i.create(pristine)
        i.create(synced)
        i.select("INBOX")
        i.uid("MOVE", "1:*", pristine)
        i.logout()
        original = sorted(folder_digests(pristine).values())
        self.assertEqual(len(original), count)
        db = os.path.join(self.host.dir, "main.db")
        trial = {}

        def uids():
            i = imap()
            try:
                i.select(synced, readonly=True)
                return {int(u) for u in i.uid("SEARCH", None, "ALL")[1][0].split()}
            finally:
                i.logout()

        def new_trial():
            i = imap()
            try:
                i.select(pristine, readonly=True)
                self.assertEqual(i.uid("COPY", "1:*", synced)[0], "OK")
            finally:
                i.logout()
            trial["uids"] = uids()
            self.assertEqual(len(trial["uids"]), count)
            return self.account("never", folder=synced)

        def after_kill(account):
            rows = sqlite_rows(db, "SELECT imap_uid FROM messages WHERE account_id = ?", (account,))
            have = {r[0] for r in rows}
            trial.setdefault("partial", 0)
            trial["partial"] += 0 < len(have) < count
            self.assertEqual(len(rows), len(have), "a mail was stored twice")
            self.assertLessEqual(trial["uids"] - uids(), have, "expunged before stored")

        def after_completion(account):
            rows = sqlite_rows(db, "SELECT content_sha256 FROM messages WHERE account_id = ?", (account,))
            self.assertEqual(sorted(r[0] for r in rows), original)  # each mail once, byte for byte
            self.assertEqual(uids(), set())

        try:
            kills = kill_trials(self, self.host, trials, 11, new_trial, after_kill, after_completion)
            self.assertGreaterEqual(kills, trials // 2, "too few syncs were killed while running")
            print(f"{kills} of {trials} syncs of {count} mails killed while running, {trial['partial']} of them with part of the mail stored")
        finally:
            i = imap()
            i.delete(pristine)
            i.delete(synced)
            i.logout()

    def test_certificate_naming_localhost_only_in_its_cn_is_refused_before_login(self):
        log = os.path.join(TB["TB_DIR"], "dovecot-cnonly", "dovecot.log")
        seen = os.path.getsize(log) if os.path.exists(log) else 0
        deliver(1, uuid.uuid4().hex)
        before = folder_digests()
        for key, security in (("IMAPS_CNONLY_PORT", "tls"), ("IMAP_CNONLY_PORT", "starttls")):
            with self.subTest(key):
                error = self.call("mail.fetch", {"account": self.account(port=TB[key], security=security)},
                                  code=1)["error"]
                self.assertIn("certificate for localhost has no subjectAltName", error["message"])
        self.assertEqual(folder_digests(), before)
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(seen)
            self.assertFalse([l for l in f if "Login: user=" in l])


class ImapGrammarTest(unittest.TestCase):
    """Answers that break RFC 3501's grammar, from a scripted server (lying_imap.py): a real one never sends them.
    The account leaves no copies on the server, so whatever is taken for stored would be expunged."""

    def fetch_from(self, mode, user="u", password="Secret-Pw-9"):
        code, result, _, listing, lines = fetch_from_scripted_server(
            "lying_imap.py", mode, {"protocol": "imaps", "user": user, "password": password, "ca": CA,
                                    "leave_on_server": {"mode": "never"}}, USERS)
        return code, result, listing, lines

    def assert_nothing_stored_or_expunged(self, listing, lines):
        self.assertEqual(listing["total"], 0, listing)
        self.assertFalse([l for l in lines if " UID STORE" in l or " UID EXPUNGE" in l], lines)

    def test_lying_literal_size_over_32_bits_is_not_read_as_167_bytes(self):
        code, result, listing, lines = self.fetch_from("lying-literal")
        self.assertEqual(code, 1, result)
        self.assertIn("4294967463", result["error"]["message"])
        self.assert_nothing_stored_or_expunged(listing, lines)

    def test_braces_in_text_at_a_line_end_are_not_a_literal(self):
        code, result, listing, _ = self.fetch_from("percent-text")
        self.assertEqual(code, 0, result)
        self.assertEqual(result["fetched"], 1)
        self.assertEqual([m["subject"] for m in listing["items"]], ["Rechnung 42"])

    def test_body_nil_is_no_mail_and_is_not_expunged(self):
        code, result, listing, lines = self.fetch_from("nil-body")
        self.assertEqual(result.get("fetched", 0), 0, result)
        self.assert_nothing_stored_or_expunged(listing, lines)

    def test_8bit_user_and_password_go_as_literals_not_as_8bit_quoted_strings(self):
        user, password = "müller@kunde.example", "Grüezi-Pässwort-7"
        code, result, listing, lines = self.fetch_from("login-only", user, password)
        self.assertEqual(code, 0, result)
        self.assertEqual(result["fetched"], 1)
        logins = [l for l in lines if " LOGIN " in l]
        self.assertTrue(logins, lines)
        self.assertTrue(all(l.endswith("}") for l in logins), logins)  # the first argument is a literal
        self.assertIn(f"literal {user.encode().hex()}", lines)
        self.assertIn(f"literal {password.encode().hex()}", lines)
        self.assertFalse([l for l in lines if '"' + password in l or '"' + user in l], lines)

    def test_uid_over_32_bits_ends_the_session_with_a_clear_error(self):
        code, result, listing, lines = self.fetch_from("huge-uid")
        self.assertEqual(code, 1, result)
        self.assertIn("4294967297", result["error"]["message"])
        self.assert_nothing_stored_or_expunged(listing, lines)


if __name__ == "__main__":
    unittest.main()
