"""Receiving over POP3 from the test bed's Dovecot: everything arrives once
and byte for byte, the server deletes only what is stored, and a process
killed at any moment loses and duplicates nothing."""
import base64
import hashlib
import json
import os
import poplib
import random
import smtplib
import ssl
import subprocess
import time
import unittest
import uuid
from email.message import EmailMessage

from harness import (ERPHOST, check_foreign_token_refused, fetch_from_scripted_server, folder_digests_of, Host,
                     imap_session, kill_trials, oauth_incoming, oauth_refresh_token, PrivateCluster, sqlite_rows,
                     start_scripted_server, testbed, testbed_ca, tokens_in_clear)

TB = testbed()
CA = testbed_ca()
poplib._MAXLINE = 1 << 20  # the test reads 70 KB header lines on purpose
USER, PASSWORD = TB.get("USER_DAVE", ""), TB.get("PASS_DAVE", "")
USERS = {"anna": ("Anna Aebi", "sales", False), "root": ("Admin", "", True)}


def pop3():
    p = poplib.POP3_SSL("localhost", int(TB["POP3S_PORT"]), context=ssl.create_default_context(cafile=TB["TB_CA"]))
    p.user(USER)
    p.pass_(PASSWORD)
    return p


def server_messages():
    """sha256 -> count of the raw messages in the maildrop, as the server sends them."""
    p = pop3()
    try:
        counts = {}
        for i in range(1, len(p.list()[1]) + 1):
            raw = b"\r\n".join(p.retr(i)[1]) + b"\r\n"
            digest = hashlib.sha256(raw).hexdigest()
            counts[digest] = counts.get(digest, 0) + 1
        return counts
    finally:
        p.quit()


def empty_maildrop():
    p = pop3()
    for i in range(1, len(p.list()[1]) + 1):
        p.dele(i)
    p.quit()


def deliver(count, tag, extra=None):
    """Delivers varied messages over LMTP straight into Dovecot."""
    rng = random.Random(tag)
    with smtplib.LMTP("127.0.0.1", int(TB["LMTP_PORT"])) as lmtp:
        for i in range(count):
            m = EmailMessage()
            m["From"] = f"Kunde {i} <kunde{i}@kunde.example>"
            m["To"] = USER
            m["Subject"] = f"Anfrage {i} für Müller & Söhne {tag}"
            m["Message-ID"] = f"<{tag}-{i}@kunde.example>"
            body = ".Punkt am Zeilenanfang\n..zwei Punkte\n.\nGrüezi ✓\n" + "x" * rng.randint(0, 3000) + "\n"
            m.set_content(body)
            if i % 5 == 0:
                m.add_attachment(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 40000))),
                                 maintype="application", subtype="pdf", filename=f"Beleg {i} Müller.pdf")
            if extra:
                extra(m, i)
            lmtp.send_message(m, to_addrs=[USER])


class ReceivingTest(unittest.TestCase):
    def setUp(self):
        empty_maildrop()
        self.host = Host(users=USERS, grants={"mail.use": "*"})

    def tearDown(self):
        self.host.cleanup()

    def call(self, op, params=None, user="anna", code=0):
        status, result, err = self.host.call(op, user, params)
        self.assertEqual(status, code, f"{op}: {result} {err}")
        return result

    def account(self, mode="never", days=None, port=None, security="tls", host="localhost", password=None):
        leave = {"mode": mode} | ({"days": days} if days else {})
        return self.call("mail.account.create", {"label": f"Eingang {uuid.uuid4().hex[:6]}", "incoming": {
            "protocol": "pop3s" if security == "tls" else "pop3", "host": host,
            "port": int(port or TB["POP3S_PORT"]), "security": security, "user": USER,
            "password": password or PASSWORD, "ca": CA, "leave_on_server": leave}})["id"]

    def stored(self, account):
        """sha256 -> count of the raw messages the account holds."""
        counts = {}
        page = 1
        while True:
            items = self.call("mail.message.list", {"account": account, "page": page, "page_size": 200})["items"]
            for m in items:
                digest = self.call("mail.message.get", {"account": account, "id": m["id"]})["sha256"]
                counts[digest] = counts.get(digest, 0) + 1
            if len(items) < 200:
                return counts
            page += 1

    def test_everything_arrives_once_byte_for_byte_and_leaves_the_server(self):
        deliver(25, uuid.uuid4().hex)
        original = server_messages()
        self.assertEqual(sum(original.values()), 25)
        account = self.account("never")
        result = self.call("mail.fetch", {"account": account})
        self.assertEqual((result["fetched"], result["deleted_on_server"]), (25, 25))
        self.assertEqual(self.stored(account), original)
        self.assertEqual(server_messages(), {})
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 0)
        status = self.call("mail.account.status", {"id": account})
        self.assertEqual(status["messages"], {"pending": 25})
        self.assertEqual(status["fetch"]["consecutive_failures"], 0)
        self.assertIsNotNone(status["fetch"]["password_last_accepted_ms"])
        # Decoded as a reader sees it; the raw bytes stay as they came.
        first = self.call("mail.message.list", {"account": account, "page_size": 200})["items"][-1]
        got = self.call("mail.message.get", {"account": account, "id": first["id"]})
        self.assertTrue(got["subject"].startswith("Anfrage 0 für Müller & Söhne"))
        self.assertIn(".Punkt am Zeilenanfang\r\n..zwei Punkte\r\n.\r\nGrüezi ✓", got["text"])
        self.assertEqual(got["attachments"][0]["file_name"], "Beleg 0 Müller.pdf")
        with open(os.path.join(self.host.dir, "events.jsonl"), encoding="utf-8") as f:
            self.assertEqual(sum(1 for line in f if json.loads(line)["type"] == "mail.received"), 25)

    def test_leave_copies_forever_fetches_each_mail_once(self):
        deliver(5, uuid.uuid4().hex)
        account = self.account("forever")
        self.assertEqual(self.call("mail.fetch", {"account": account})["deleted_on_server"], 0)
        self.assertEqual(sum(server_messages().values()), 5)
        deliver(2, uuid.uuid4().hex)
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 2)
        self.assertEqual(sum(self.stored(account).values()), 7)
        self.assertEqual(max(self.stored(account).values()), 1)

    def test_leave_copies_for_n_days(self):
        deliver(3, uuid.uuid4().hex)
        account = self.account("days", days=2)
        self.assertEqual(self.call("mail.fetch", {"account": account})["deleted_on_server"], 0)
        self.assertEqual(sum(server_messages().values()), 3)
        # The same installation three days later (the host's clock).
        with open(self.host.config, encoding="utf-8") as f:
            text = f.read()
        with open(self.host.config, "w", encoding="utf-8") as f:
            f.write(text.replace("[host]\n", f"[host]\nclock_offset_ms = {3 * 86400000}\n", 1))
        result = self.call("mail.fetch", {"account": account})
        self.assertEqual((result["fetched"], result["deleted_on_server"]), (0, 3))
        self.assertEqual(server_messages(), {})

    def test_stls_on_the_plain_port(self):
        deliver(2, uuid.uuid4().hex)
        account = self.account(port=TB["POP3_PORT"], security="starttls")
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 2)

    def test_oauth2_signs_in_with_xoauth2(self):
        deliver(4, uuid.uuid4().hex)
        original = server_messages()
        incoming = oauth_incoming("pop3s", TB["POP3S_PORT"], USER, oauth_refresh_token(USER))
        account = self.call("mail.account.create", {"label": "OAuth POP3", "incoming": incoming})["id"]
        result = self.call("mail.fetch", {"account": account})
        self.assertEqual((result["fetched"], result["deleted_on_server"]), (4, 4))
        self.assertEqual(server_messages(), {})
        stored = self.call("mail.message.list", {"account": account, "page_size": 10})["items"]
        self.assertEqual(len(stored), 4)
        self.assertEqual(sum(original.values()), 4)
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 0)  # the rotated token works
        self.assertEqual(tokens_in_clear(self.host.dir), [])
        check_foreign_token_refused(self, self.host, "pop3s", TB["POP3S_PORT"], USER)

    def test_wrong_password_and_bad_certificate_delete_nothing(self):
        deliver(2, uuid.uuid4().hex)
        before = server_messages()
        wrong = self.account(password="wrong")
        error = self.call("mail.fetch", {"account": wrong}, code=1)["error"]
        self.assertEqual(error["code"], "unavailable")
        self.assertIn("refused", error["message"])
        status = self.call("mail.account.status", {"id": wrong})
        self.assertEqual(status["fetch"]["consecutive_failures"], 1)
        self.assertIn("refused", status["fetch"]["last_error"])
        expired = self.account(host=TB["HOST_EXPIRED"])
        error = self.call("mail.fetch", {"account": expired}, code=1)["error"]
        self.assertIn("certificate has expired", error["message"])
        self.assertEqual(server_messages(), before)

    def test_mails_beyond_the_limits_are_stored_raw_with_a_warning(self):
        deep = "Subject: tief verschachtelt\r\nMIME-Version: 1.0\r\n"
        tail = ""
        for i in range(150):
            deep += f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
            tail = f"\r\n--b{i}--\r\n" + tail
        deep += "Content-Type: text/plain\r\n\r\nganz unten" + tail
        huge = "Subject: langer Header\r\nX-Lang: " + "a" * 70000 + "\r\n\r\nText\r\n"
        with smtplib.LMTP("127.0.0.1", int(TB["LMTP_PORT"])) as lmtp:
            for raw in (deep, huge):
                lmtp.sendmail("x@kunde.example", [USER], raw.encode())
        original = server_messages()
        account = self.account("never")
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 2)
        self.assertEqual(self.stored(account), original)  # both kept, byte for byte
        warnings = sorted(m["warning"] or "" for m in self.call("mail.message.list", {"account": account})["items"])
        self.assertIn("exceeds the limit of 65536", warnings[0] + warnings[1])
        self.assertIn("nesting deeper than 100", warnings[0] + warnings[1])
        self.assertEqual(server_messages(), {})

    def test_a_mail_over_the_size_limit_stays_on_the_server_and_is_reported(self):
        self.host.cleanup()
        self.host = Host(users=USERS, grants={"mail.use": "*"}, extra="[config]\nerpmail.fetch.max_message_mb = 1\n")
        tag = uuid.uuid4().hex
        deliver(3, tag)
        big = EmailMessage()
        big["From"] = "Grossversand <gross@kunde.example>"
        big["To"] = USER
        big["Subject"] = "Pläne für Zürich"
        big.set_content("Die Pläne im Anhang.\n")
        big.add_attachment(os.urandom(1_500_000), maintype="application", subtype="pdf", filename="Pläne.pdf")
        with smtplib.LMTP("127.0.0.1", int(TB["LMTP_PORT"])) as lmtp:
            lmtp.send_message(big, to_addrs=[USER])
        original = server_messages()
        account = self.account("never")
        result = self.call("mail.fetch", {"account": account})
        self.assertEqual((result["fetched"], result["deleted_on_server"]), (3, 3))
        self.assertEqual(len(result["too_large"]), 1)
        reported = result["too_large"][0]
        self.assertGreater(reported["size"], 1_500_000)
        self.assertEqual((reported["from"], reported["subject"]),
                         ("Grossversand <gross@kunde.example>", "Pläne für Zürich"))
        left = server_messages()
        self.assertEqual(len(left), 1)  # the big one, untouched
        self.assertEqual(self.stored(account), {d: n for d, n in original.items() if d not in left})
        status = self.call("mail.account.status", {"id": account})["fetch"]
        self.assertEqual((status["too_large_on_server"], status["consecutive_failures"]), (1, 0))
        again = self.call("mail.fetch", {"account": account})
        self.assertEqual((again["fetched"], len(again["too_large"])), (0, 1))
        self.assertEqual(server_messages(), left)

    def test_a_reply_carries_the_documents_of_the_receipt(self):
        sender = self.call("mail.account.create", {
            "label": "Verkauf", "sender_email": USER,
            "incoming": {"protocol": "pop3s", "host": "localhost", "port": int(TB["POP3S_PORT"]), "user": USER,
                         "password": PASSWORD, "ca": CA},
            "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "ca": CA}})["id"]
        queued = self.call("mail.send", {"account": sender, "to": [TB["USER_BOB"]], "subject": "Offerte 77",
                                         "text": "Anbei", "documents": [{"doctype": "offer", "id": "77"}]})
        self.assertEqual(self.call("mail.outbox.process", {"account": sender})["sent"], 1)

        def answer(m, i):
            m["In-Reply-To"] = f"<{queued['message_id']}>"
            m["References"] = f"<{queued['message_id']}>"
        deliver(1, uuid.uuid4().hex, extra=answer)
        self.call("mail.fetch", {"account": sender})
        inbox = self.call("mail.message.list", {"account": sender})["items"]
        got = self.call("mail.message.get", {"account": sender, "id": inbox[0]["id"]})
        self.assertEqual(got["document_links"], [{"doctype": "offer", "id": "77"}])
        with open(os.path.join(self.host.dir, "events.jsonl"), encoding="utf-8") as f:
            received = [json.loads(l) for l in f if json.loads(l)["type"] == "mail.received"]
        self.assertEqual(received[0]["payload"]["documents"], [{"doctype": "offer", "id": "77"}])

    def test_certificate_naming_localhost_only_in_its_cn_is_refused_before_login(self):
        log = os.path.join(TB["TB_DIR"], "dovecot-cnonly", "dovecot.log")
        seen = os.path.getsize(log) if os.path.exists(log) else 0
        deliver(1, uuid.uuid4().hex)
        before = server_messages()
        account = self.account(port=TB["POP3S_CNONLY_PORT"])
        error = self.call("mail.fetch", {"account": account}, code=1)["error"]
        self.assertIn("certificate for localhost has no subjectAltName", error["message"])
        self.assertEqual(server_messages(), before)
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(seen)
            self.assertFalse([l for l in f if "pop3-login: Login:" in l])


    def incoming(self, **tls):
        return {"protocol": "pop3s", "host": "localhost", "port": int(TB["POP3S_PORT"]), "user": USER,
                "password": PASSWORD} | tls

    def test_clerk_cannot_name_a_ca_file_and_learns_nothing_about_it(self):
        answers = []
        for path in [TB["TB_CA"], "/etc/shadow", "/no/such/ca.pem", "/dev/zero", self.host.dir]:
            result = self.call("mail.account.create", {"label": "CA", "incoming": self.incoming(ca_file=path)}, code=1)
            answers.append(result["error"])
        self.assertEqual((answers[0]["code"], answers[0]["field"]), ("forbidden", "incoming.ca_file"))
        self.assertTrue(all(a == answers[0] for a in answers), answers)
        account = self.account()  # the clerk's way: the CA as PEM text
        result = self.call("mail.account.update", {"id": account, "incoming": {"ca_file": "/etc/shadow"}}, code=1)
        self.assertEqual((result["error"]["code"], result["error"]["field"]), ("forbidden", "incoming.ca_file"))
        deliver(1, uuid.uuid4().hex)
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 1)
        # An admin may name the file; the clerk may then change the account without repeating it.
        shared = self.call("mail.account.create", {"label": "Geteilt", "kind": "public",
                                                   "incoming": self.incoming(ca_file=TB["TB_CA"])}, user="root")["id"]
        self.call("mail.account.update", {"id": shared, "label": "Geteilt 2"})
        self.call("mail.account.update", {"id": shared, "incoming": {"ca_file": TB["TB_CA"], "user": USER}})
        deliver(1, uuid.uuid4().hex)
        self.assertEqual(self.call("mail.fetch", {"account": shared})["fetched"], 1)

    def test_ca_file_must_be_a_regular_file_of_at_most_1_mib_holding_certificates(self):
        fifo = os.path.join(self.host.dir, "fifo")
        os.mkfifo(fifo)
        big = os.path.join(self.host.dir, "big.pem")
        with open(big, "wb") as f:
            f.truncate(1024 * 1024 + 1)
        text = os.path.join(self.host.dir, "notes.txt")
        with open(text, "w", encoding="utf-8") as f:
            f.write("kein Zertifikat\n")
        cases = [(self.host.dir, "directory"), ("/dev/zero", "not a regular file"), (fifo, "not a regular file"),
                 (big, "larger than 1 MiB"), (text, "no PEM certificate"), ("/no/such/ca.pem", "cannot be opened")]
        for path, words in cases:
            with self.subTest(path=path):
                result = self.call("mail.account.create", {"label": "CA", "incoming": self.incoming(ca_file=path)},
                                   user="root", code=1)
                self.assertEqual((result["error"]["code"], result["error"]["field"]),
                                 ("invalid_params", "incoming.ca_file"))
                self.assertIn(words, result["error"]["message"])
        result = self.call("mail.account.create", {"label": "CA", "incoming": self.incoming(ca="kein Zertifikat")},
                           code=1)
        self.assertEqual((result["error"]["code"], result["error"]["field"]), ("invalid_params", "incoming.ca"))
        # A file that turned into a device after it was saved is refused when connecting, not read forever.
        link = os.path.join(self.host.dir, "ca-link.pem")
        os.symlink(TB["TB_CA"], link)
        account = self.call("mail.account.create", {"label": "Link", "incoming": self.incoming(ca_file=link)},
                            user="root")["id"]
        os.remove(link)
        os.symlink("/dev/zero", link)
        result = self.call("mail.fetch", {"account": account}, user="root", code=1)
        self.assertIn("not a regular file", result["error"]["message"])

    def test_received_attachment_names_lose_paths_and_control_characters(self):
        names = {"../../etc/passwd": "passwd", "C:\\Windows\\x.exe": "x.exe",
                 "bericht\r\nX-Evil: 1.pdf": "berichtX-Evil: 1.pdf"}
        parts = []
        for i, name in enumerate(names):
            quoted = "".join(c if c.isalnum() or c in ".-_" else "%%%02X" % ord(c) for c in name)
            parts.append(f"--b\r\nContent-Type: application/octet-stream\r\n"
                         f"Content-Disposition: attachment; filename*=UTF-8''{quoted}\r\n"
                         f"Content-Transfer-Encoding: base64\r\n\r\nQW5oYW5n{i}w==\r\n")
        raw = ("From: Kunde <kunde@kunde.example>\r\nTo: " + USER + "\r\nSubject: Namen\r\n"
               "Message-ID: <" + uuid.uuid4().hex + "@kunde.example>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAnbei\r\n"
               + "".join(parts) + "--b--\r\n")
        with smtplib.LMTP("127.0.0.1", int(TB["LMTP_PORT"])) as lmtp:
            lmtp.sendmail("kunde@kunde.example", [USER], raw.encode())
        account = self.account()
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], 1)
        message = self.call("mail.message.list", {"account": account})["items"][0]["id"]
        got = self.call("mail.message.get", {"account": account, "id": message})["attachments"]
        self.assertEqual([(a["original_file_name"], a["file_name"]) for a in got], list(names.items()))
        one = self.call("mail.message.attachment", {"account": account, "id": message, "index": 1})
        self.assertEqual((one["file_name"], one["original_file_name"]), ("passwd", "../../etc/passwd"))

    def test_messy_mime_shows_text_senders_and_attachments_with_a_warning(self):
        pdf = bytes(range(256)) * 3
        b64 = base64.encodebytes(pdf).decode().replace("\n", "\r\n")
        tag = uuid.uuid4().hex

        def mail(key, headers, body=""):
            return (f"Message-ID: <{key}-{tag}@kunde.example>\r\nTo: {USER}\r\n" + headers + body).encode()

        mixed = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" \
                "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAnbei\r\n"
        mails = {
            "noblank": mail("noblank", "From: Kunde <kunde@kunde.example>\r\nSubject: Beleg\r\n", mixed +
                            "--b\r\nContent-Type: application/pdf\r\n"
                            "Content-Disposition: attachment; filename=\"Rechnung.pdf\"\r\n"
                            "Content-Transfer-Encoding: base64\r\n" + b64 + "--b--\r\n"),
            "split": mail("split", "From: =?UTF-8?B?TcO=?= =?UTF-8?B?vGxsZXI=?= <kunde@kunde.example>\r\n"
                          "Subject: =?UTF-8?B?R3LD?=\r\n =?UTF-8?B?vMOfZSBhdXMgWsO=?= =?UTF-8?Q?=BCrich?=\r\n", mixed +
                          "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
                          " filename=\"=?UTF-8?B?UsO=?= =?UTF-8?B?vGNrZW4ucGRm?=\"\r\n"
                          "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n"),
            "noboundary": mail("noboundary", "From: Kunde <kunde@kunde.example>\r\nSubject: ohne Boundary\r\n"
                               "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n",
                               "--xyz\r\nContent-Type: text/plain\r\n\r\nHallo ohne Boundary\r\n--xyz\r\n"
                               "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
                               "\r\nAAEC\r\n--xyz--\r\n"),
            "unused": mail("unused", "From: Kunde <kunde@kunde.example>\r\nSubject: nie benutzt\r\n"
                           "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"nie\"\r\n\r\n",
                           "Die Zahlung folgt.\r\n"),
            "noblankbody": mail("noblankbody", "From: Kunde <kunde@kunde.example>\r\nSubject: ohne Leerzeile\r\n",
                                "Hallo zusammen\r\ndie Zahlung folgt.\r\n"),
            "invalidtype": mail("invalidtype", "From: Kunde <kunde@kunde.example>\r\nSubject: Typ\r\n", mixed +
                                "--b\r\nContent-Type: application-x-gzip; name=\"daten.gz\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n"),
            "daemon": mail("daemon", "From: MAILER DAEMON <>\r\nSubject: Unzustellbar\r\n\r\n", "x\r\n"),
            "bug": mail("bug", "From: Big Bug bb@bug.com\r\nSubject: Fehler\r\n\r\n", "x\r\n"),
            "forward": mail("forward", "From: Kunde <kunde@kunde.example>\r\nSubject: Weiterleitung\r\n", mixed +
                            "--b\r\nContent-Type: message/rfc822\r\n"
                            "Content-Disposition: attachment; filename=\"Original Anfrage.eml\"\r\n\r\n"
                            "Subject: innen\r\n\r\ninnen\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
                            "Subject: Re: Rechnung 1/2026\r\n\r\ninnen\r\n--b--\r\n"),
            "longheader": mail("longheader", "From: Kunde <kunde@kunde.example>\r\nX-Lang: " + "a" * 70000 +
                               "\r\nSubject: langer Header\r\n\r\n", "Text nach dem Header\r\n"),
        }
        with smtplib.LMTP("127.0.0.1", int(TB["LMTP_PORT"])) as lmtp:
            for raw in mails.values():
                lmtp.sendmail("kunde@kunde.example", [USER], raw)
        original = server_messages()
        account = self.account()
        self.assertEqual(self.call("mail.fetch", {"account": account})["fetched"], len(mails))
        self.assertEqual(self.stored(account), original)  # every one kept byte for byte
        got = {}
        for item in self.call("mail.message.list", {"account": account, "page_size": 50})["items"]:
            key = item["message_id"].split("-")[0]
            got[key] = self.call("mail.message.get", {"account": account, "id": item["id"]})
        self.assertEqual(sorted(got), sorted(mails))

        def names(key):
            return [(a["file_name"], a["content_type"]) for a in got[key]["attachments"]]
        self.assertEqual(names("noblank"), [("Rechnung.pdf", "application/pdf")])
        first = self.call("mail.message.attachment", {"account": account, "id": got["noblank"]["id"], "index": 1})
        self.assertEqual(base64.b64decode(first["content_base64"]), pdf)
        self.assertIn("without a blank line", got["noblank"]["warning"])
        self.assertEqual(got["split"]["subject"], "Grüße aus Zürich")
        self.assertEqual(got["split"]["from"], "Müller <kunde@kunde.example>")
        self.assertEqual(names("split"), [("Rücken.pdf", "application/pdf")])
        self.assertEqual((got["noboundary"]["text"], names("noboundary")),
                         ("Hallo ohne Boundary", [("a.pdf", "application/pdf")]))
        self.assertIn("without a boundary parameter", got["noboundary"]["warning"])
        self.assertEqual(got["unused"]["text"], "Die Zahlung folgt.\r\n")
        self.assertIn("shown as text", got["unused"]["warning"])
        self.assertEqual(got["noblankbody"]["text"], "Hallo zusammen\r\ndie Zahlung folgt.\r\n")
        self.assertIn("without a blank line", got["noblankbody"]["warning"])
        self.assertEqual(names("invalidtype"), [("daten.gz", "text/plain")])
        self.assertIn("RFC 2045", got["invalidtype"]["warning"])
        self.assertEqual(got["daemon"]["from"], "MAILER DAEMON")
        self.assertEqual(got["bug"]["from"], "Big Bug <bb@bug.com>")
        self.assertEqual([a["file_name"] for a in got["forward"]["attachments"]],
                         ["Original Anfrage.eml", "Re: Rechnung 1_2026.eml"])
        self.assertEqual((got["longheader"]["subject"], got["longheader"]["text"]),
                         ("langer Header", "Text nach dem Header\r\n"))
        self.assertIn("X-Lang of 70010 bytes exceeds the limit of 65536 and was cut", got["longheader"]["warning"])
        for key in ("split", "daemon", "bug", "forward"):
            self.assertIsNone(got[key]["warning"], key)

    def test_an_imported_reply_carries_the_documents_of_the_receipt_as_a_received_one(self):
        sender = self.call("mail.account.create", {
            "label": "Verkauf", "sender_email": USER,
            "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "user": USER, "password": PASSWORD,
                     "ca": CA}})["id"]
        queued = self.call("mail.send", {"account": sender, "to": [TB["USER_BOB"]], "subject": "Rechnung 41",
                                         "text": "Anbei", "documents": [{"doctype": "invoice", "id": "41"}]})
        self.assertEqual(self.call("mail.outbox.process", {"account": sender})["sent"], 1)
        reply = EmailMessage()
        reply["From"] = "Kunde <kunde@kunde.example>"
        reply["To"] = USER
        reply["Subject"] = "Re: Rechnung 41"
        reply["Message-ID"] = f"<{uuid.uuid4().hex}@kunde.example>"
        reply["In-Reply-To"] = f"<{queued['message_id']}>"
        reply["References"] = f"<{queued['message_id']}>"
        reply.set_content("Bezahlt.")
        imported = self.call("mail.message.import", {
            "account": sender, "raw_base64": base64.b64encode(reply.as_bytes()).decode()})
        self.assertEqual((imported["subject"], imported["attachments"], imported["warning"]),
                         ("Re: Rechnung 41", 0, None))
        got = self.call("mail.message.get", {"account": sender, "id": imported["id"]})
        self.assertEqual(got["document_links"], [{"doctype": "invoice", "id": "41"}])
        # Imported as sent, it answers nothing and stays unlinked, as a sent mail does.
        sent = self.call("mail.message.import", {
            "account": sender, "state": "sent", "raw_base64": base64.b64encode(reply.as_bytes()).decode()})
        self.assertEqual(self.call("mail.message.get", {"account": sender, "id": sent["id"]})["document_links"], [])

class HostileMailboxTest(unittest.TestCase):
    """Injection and dropped connections, from a scripted server: a real one never does this."""

    def run_against(self, mode, protocol, security):
        code, result, self.fetch_log, listing, lines = fetch_from_scripted_server(
            "hostile_mailbox.py", mode, {"protocol": protocol, "security": security, "user": "u",
                                         "password": "Secret-Pw-9", "ca": CA}, USERS)
        return code, result, listing, lines

    def assert_injection_refused(self, code, result, lines):
        self.assertEqual(code, 1)
        self.assertIn("possible injection", result["error"]["message"])
        self.assertFalse([l for l in lines if "Secret-Pw-9" in l or " PASS" in l or "AUTHENTICATE" in l
                          or " LOGIN" in l], lines)

    def test_pop3_stls_injection_ends_the_session_before_any_password(self):
        code, result, _, lines = self.run_against("pop3-inject", "pop3", "starttls")
        self.assert_injection_refused(code, result, lines)

    def test_imap_starttls_injection_ends_the_session_before_any_password(self):
        code, result, _, lines = self.run_against("imap-inject", "imap", "starttls")
        self.assert_injection_refused(code, result, lines)

    def test_pop3_drop_mid_retr_stores_and_deletes_nothing(self):
        code, result, listing, lines = self.run_against("pop3-drop", "pop3s", "tls")
        self.assertEqual(code, 1)
        self.assertIn("closed", result["error"]["message"])
        self.assertEqual(listing["total"], 0)
        self.assertFalse([l for l in lines if " DELE" in l], lines)

    def test_imap_drop_mid_literal_stores_and_expunges_nothing(self):
        code, result, listing, lines = self.run_against("imap-drop", "imaps", "tls")
        self.assertEqual(code, 1)
        self.assertIn("middle of a literal", result["error"]["message"])
        self.assertEqual(listing["total"], 0)
        self.assertFalse([l for l in lines if "EXPUNGE" in l or "STORE" in l], lines)

    def test_imap_logindisabled_is_respected_by_authenticating_instead(self):
        code, result, _, lines = self.run_against("imap-logindisabled", "imaps", "tls")
        self.assertEqual(code, 0, result)
        commands = [l.split()[2].upper() for l in lines if len(l.split()) > 2]
        self.assertIn("AUTHENTICATE", commands)
        self.assertNotIn("LOGIN", commands)
        plain = base64.b64encode(b"\0u\0Secret-Pw-9").decode()
        self.assertIn(f"tls {plain}", lines)  # the response to the server's "+", over TLS

    def test_imap_logindisabled_without_a_usable_mechanism_fails_clearly_and_sends_no_password(self):
        code, result, _, lines = self.run_against("imap-logindisabled-noplain", "imaps", "tls")
        self.assertEqual(code, 1)
        self.assertIn("does not allow LOGIN (LOGINDISABLED)", result["error"]["message"])
        self.assertIn("no password was sent", result["error"]["message"])
        plain = base64.b64encode(b"\0u\0Secret-Pw-9").decode()
        self.assertFalse([l for l in lines if " LOGIN" in l or "AUTHENTICATE" in l or "Secret-Pw-9" in l
                          or plain in l], lines)

    def assert_forged_line_escaped(self, message, log, escaped):
        self.assertIn(escaped, message)
        self.assertIn(escaped, log)
        for text in (message, log):
            self.assertFalse([l for l in text.splitlines() if l.startswith("2026-01-01T00:00:00Z")], text)

    def test_imap_no_text_with_a_line_break_cannot_forge_a_log_line(self):
        code, result, _, _ = self.run_against("imap-forge", "imaps", "tls")
        self.assertEqual(code, 1)
        self.assert_forged_line_escaped(result["error"]["message"], self.fetch_log,
                                        "Authentication failed.\\r2026-01-01T00:00:00Z info erpmail.fetch: forged line")

    def test_pop3_err_text_with_a_line_break_cannot_forge_a_log_line(self):
        code, result, _, _ = self.run_against("pop3-forge", "pop3s", "tls")
        self.assertEqual(code, 1)
        self.assert_forged_line_escaped(result["error"]["message"], self.fetch_log,
                                        "Authentication failed.\\r2026-01-01T00:00:00Z info erpmail.fetch: forged line")

    def test_oauth_error_description_with_a_line_break_cannot_forge_a_log_line(self):
        host = Host(users=USERS, grants={"mail.use": "*"})
        server, port, _ = start_scripted_server("hostile_oauth.py", "forge", host)
        try:
            _, account, _ = host.call("mail.account.create", "anna", {"label": "oauth-forge", "incoming": {
                "protocol": "imaps", "host": "localhost", "port": 1, "user": "u", "auth": "oauth2",
                "ca": CA, "oauth2": {"token_url": f"https://localhost:{port}/token",
                                                   "client_id": "c", "refresh_token": "rt-1"}}})
            code, result, log = host.call("mail.fetch", "anna", {"account": account["id"]})
        finally:
            server.kill()
            server.wait()
            server.stdout.close()
            host.cleanup()
        self.assertEqual(code, 1)
        self.assert_forged_line_escaped(
            result["error"]["message"], log,
            "(AADSTS70000: expired\\r\\n2026-01-01T00:00:00Z info erpmail.oauth: forged line)")


class PostgresReceivingTest(unittest.TestCase):
    """Receiving into an account whose database is PostgreSQL, which goes away in the middle of a fetch."""

    def test_fetch_into_postgresql_survives_the_database_going_away(self):
        empty_maildrop()
        cluster = PrivateCluster()
        host = Host(databases={"main": ("Driver=SQLite3;Database={dir}/main.db", True), "pg": (cluster.odbc, False)},
                    users=USERS, grants={"mail.use": "*"})

        def stored(account):
            out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "erpmail", "-d",
                                  "erpmail_test", "-Atc",
                                  f"SELECT content_sha256 FROM messages WHERE account_id = '{account}'"],
                                 env=dict(os.environ, PGPASSWORD="erpmail-Db-6"), capture_output=True, text=True,
                                 check=True).stdout
            return sorted(out.split())

        try:
            deliver(1000, uuid.uuid4().hex)
            original = sorted(d for d, n in server_messages().items() for _ in range(n))
            _, account, err = host.call("mail.account.create", "anna", {"label": "PG", "database": "pg", "incoming": {
                "protocol": "pop3s", "host": "localhost", "port": int(TB["POP3S_PORT"]), "user": USER,
                "password": PASSWORD, "ca": CA}})
            account = account["id"]
            fetch = subprocess.Popen([ERPHOST, "--config", host.config, "call", "mail.fetch", "--as", "anna", "--json",
                                      json.dumps({"account": account})], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
            while not stored(account) and fetch.poll() is None:
                time.sleep(0.01)
            cluster.stop()  # in the middle of the fetch: some mail is stored, not all
            out, _ = fetch.communicate(timeout=120)
            self.assertEqual(fetch.returncode, 1, out)
            self.assertIn("database 'pg'", json.loads(out)["error"]["message"])
            self.assertEqual(sorted(d for d, n in server_messages().items() for _ in range(n)), original)  # none deleted
            cluster.start()
            host.call("mail.account.set_online", "anna", {"id": account, "online": True})
            code, result, err = host.call("mail.fetch", "anna", {"account": account})
            self.assertEqual(code, 0, f"{result} {err}")
            self.assertEqual(stored(account), original)  # each once, byte for byte
            self.assertEqual(server_messages(), {})
        finally:
            host.cleanup()
            cluster.cleanup()


class Pop3CrashTest(unittest.TestCase):
    """kill -9 of the fetching process at random moments of a fetch with deletion."""

    MESSAGES = int(os.environ.get("ERPMAIL_CRASH_MESSAGES", "2000"))
    KILLS = int(os.environ.get("ERPMAIL_CRASH_KILLS", "50"))

    def test_kills_lose_and_duplicate_nothing(self):
        # The original set is delivered once and kept in a folder of its own;
        # each trial copies it into the maildrop (INBOX) for a new account.
        empty_maildrop()
        tag = uuid.uuid4().hex
        deliver(self.MESSAGES, tag)
        pristine = f"Pristine{tag[:8]}"
        i = imap_session(USER, PASSWORD)
        i.create(pristine)
        i.select("INBOX")
        i.uid("MOVE", "1:*", pristine)
        i.logout()
        original = sorted(folder_digests_of(USER, PASSWORD, pristine).values())
        self.assertEqual(len(original), self.MESSAGES)
        host = Host(users=USERS, grants={"mail.use": "*"})
        db = os.path.join(host.dir, "main.db")
        trial = {}

        def uidls():
            p = pop3()
            try:
                return {line.decode().split()[1] for line in p.uidl()[1]}
            finally:
                p.quit()

        def new_trial():
            i = imap_session(USER, PASSWORD)
            try:
                i.select(pristine, readonly=True)
                self.assertEqual(i.uid("COPY", "1:*", "INBOX")[0], "OK")
            finally:
                i.logout()
            trial["uidls"] = uidls()
            self.assertEqual(len(trial["uidls"]), self.MESSAGES)
            _, account, _ = host.call("mail.account.create", "anna", {"label": f"Crash {uuid.uuid4().hex[:6]}",
                "incoming": {"protocol": "pop3s", "host": "localhost", "port": int(TB["POP3S_PORT"]), "user": USER,
                             "password": PASSWORD, "ca": CA}})
            return account["id"]

        def after_kill(account):
            rows = sqlite_rows(db, "SELECT pop3_uidl FROM messages WHERE account_id = ?", (account,))
            have = {r[0] for r in rows}
            trial.setdefault("partial", 0)
            trial["partial"] += 0 < len(have) < self.MESSAGES
            self.assertEqual(len(rows), len(have), "a message was stored twice")
            gone = trial["uidls"] - uidls()
            self.assertLessEqual(gone, have, "the server deleted messages that were not stored")

        def after_completion(account):
            rows = sqlite_rows(db, "SELECT content_sha256 FROM messages WHERE account_id = ?", (account,))
            self.assertEqual(sorted(r[0] for r in rows), original)  # each message once, byte for byte
            self.assertEqual(uidls(), set())

        try:
            kills = kill_trials(self, host, self.KILLS, 7, new_trial, after_kill, after_completion)
            self.assertGreaterEqual(kills, self.KILLS // 2, "too few fetches were killed while running")
            print(f"{kills} of {self.KILLS} fetches of {self.MESSAGES} messages killed while running, {trial['partial']} of them with part of the mail stored")
        finally:
            host.cleanup()
            i = imap_session(USER, PASSWORD)
            i.delete(pristine)
            i.logout()


if __name__ == "__main__":
    unittest.main()
