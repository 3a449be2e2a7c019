"""Sending through the real Postfix -> Dovecot chain. What arrives is fetched
over IMAP and parsed with Python's email package, independent of erpmail."""
import email
import email.policy
import imaplib
import json
import os
import signal
import ssl
import subprocess
import time
import unittest
import uuid

from harness import ERPHOST, Host, host_events, pg_database, start_scripted_server, testbed, testbed_ca

TB = testbed()
CA = testbed_ca()
USERS = {"anna": ("Anna Aebi", "sales", False), "root": ("Admin", "", True)}
PDF = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(2 * 1024 * 1024)) + "%%EOF Müller".encode()


def imap_messages(user, password, header_filter=None, wait_for=1, timeout=30):
    """Every message in the user's INBOX (raw bytes) whose raw text contains header_filter."""
    ctx = ssl.create_default_context(cafile=TB["TB_CA"])
    deadline = time.time() + timeout
    while True:
        with imaplib.IMAP4_SSL("localhost", int(TB["IMAPS_PORT"]), ssl_context=ctx) as imap:
            imap.login(user, password)
            imap.select("INBOX", readonly=True)
            if header_filter:
                typ, data = imap.uid("SEARCH", None, "TEXT", header_filter)
            else:
                typ, data = imap.uid("SEARCH", None, "ALL")
            uids = data[0].split()
            found = []
            if uids:
                for i in range(0, len(uids), 200):
                    chunk = b",".join(uids[i:i + 200])
                    typ, fetched = imap.uid("FETCH", chunk, "(BODY.PEEK[])")
                    found += [part[1] for part in fetched if isinstance(part, tuple)]
        if len(found) >= wait_for or time.time() > deadline:
            return found
        time.sleep(0.3)


def postfix(action):
    subprocess.run(["postfix", "-c", os.path.join(TB["TB_DIR"], "postfix"), action], check=True,
                   capture_output=True, timeout=60)


class SendingTest(unittest.TestCase):
    def setUp(self):
        self.host = Host(users=USERS, grants={"mail.use": "*"},
                         extra="[config]\nerpmail.outbox.retry_base_seconds = 0\nerpmail.outbox.max_attempts = 5\n")
        self.pdf_path = os.path.join(self.host.dir, "invoice-2026-0042.pdf")
        with open(self.pdf_path, "wb") as f:
            f.write(PDF)
        self.host.write_documents({"invoice": {"2026-0042": {
            "file": self.pdf_path, "file_name": "Rechnung Müller & Söhne 2026-0042.pdf",
            "variables": {"customer.name": "Müller & Söhne AG"}}}})

    def tearDown(self):
        self.host.cleanup()

    def call(self, op, params=None, user="anna", code=0):
        status, result, err = self.host.call(op, user, params)
        self.assertEqual(status, code, f"{op}: {result} {err}")
        return result

    def account(self, port=None, password=None, security="starttls", host="localhost", **extra):
        params = {"label": f"Konto {uuid.uuid4().hex[:6]}", "sender_name": "Anna Äbi-Müller",
                  "sender_email": TB["USER_ALICE"],
                  "incoming": {"protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]),
                               "user": TB["USER_ALICE"], "password": password or TB["PASS_ALICE"],
                               "ca": CA},
                  "smtp": {"host": host, "port": int(port or TB["SUBMISSION_PORT"]), "security": security,
                           "ca": CA}}
        params.update(extra)
        return self.call("mail.account.create", params)["id"]

    def process(self, account):
        return self.call("mail.outbox.process", {"account": account})

    def outbox(self, account):
        return {e["message_id"]: e for e in self.call("mail.outbox.list", {"account": account})["items"]}

    def events(self, kind):
        path = os.path.join(self.host.dir, "events.jsonl")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if json.loads(line)["type"] == kind]

    # -------------------------------------------------------------------------------------------------

    def test_receipt_arrives_exactly_as_given(self):
        account = self.account()
        subject = f"Rechnung 2026-0042 für Müller & Söhne – fällig ✓ {uuid.uuid4().hex}"
        text = "Sehr geehrte Frau Brunner\n\nAnbei die Rechnung über CHF 1'234.50.\n.\nFreundliche Grüsse\n"
        html = "<p>Sehr geehrte Frau Brunner</p><p>Anbei die Rechnung über <b>CHF 1'234.50</b>.</p>"
        queued = self.call("mail.send", {
            "account": account, "subject": subject, "text": text, "html": html,
            "to": [{"email": TB["USER_BOB"], "name": "Zoë Brunner-Ängström"}],
            "bcc": [TB["USER_CAROL"]],
            "attachments": [{"document": {"doctype": "invoice", "id": "2026-0042"}}],
            "documents": [{"doctype": "invoice", "id": "2026-0042"}]})
        self.assertEqual(queued["status"], "queued")
        self.assertEqual(self.events("mail.sent"), [])  # nothing is reported before the server's 250
        self.assertEqual(self.process(account), {"sent": 1, "retrying": 0, "failed": 0})

        for user, password in ((TB["USER_BOB"], TB["PASS_BOB"]), (TB["USER_CAROL"], TB["PASS_CAROL"])):
            raw = imap_messages(user, password, queued["message_id"])
            self.assertEqual(len(raw), 1, user)
            msg = email.message_from_bytes(raw[0], policy=email.policy.default)
            self.assertEqual(msg["Subject"], subject)
            self.assertEqual(msg["From"].addresses[0].display_name, "Anna Äbi-Müller")
            self.assertEqual(msg["From"].addresses[0].addr_spec, TB["USER_ALICE"])
            self.assertEqual(msg["To"].addresses[0].display_name, "Zoë Brunner-Ängström")
            self.assertIsNone(msg["Bcc"])
            self.assertNotIn(TB["USER_CAROL"].encode(), raw[0].split(b"\r\n\r\n")[0].replace(
                f"for <{TB['USER_CAROL']}>".encode(), b""))
            self.assertEqual(msg["Message-ID"], f"<{queued['message_id']}>")
            self.assertIsNotNone(msg["Date"])
            self.assertEqual(msg.get_body(("plain",)).get_content().replace("\r\n", "\n"), text)
            self.assertEqual(msg.get_body(("html",)).get_content().replace("\r\n", "\n").strip(), html)
            parts = list(msg.iter_attachments())
            self.assertEqual(len(parts), 1)
            self.assertEqual(parts[0].get_filename(), "Rechnung Müller & Söhne 2026-0042.pdf")
            self.assertEqual(parts[0].get_content_type(), "application/pdf")
            self.assertEqual(parts[0].get_content(), PDF)

        sent = self.events("mail.sent")
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["payload"]["documents"], [{"doctype": "invoice", "id": "2026-0042"}])
        self.assertTrue(sent[0]["payload"]["answer"].startswith("250"))
        entry = self.outbox(account)[queued["message_id"]]
        self.assertEqual((entry["state"], entry["attempts"]), ("sent", 1))
        copy = self.call("mail.message.list", {"account": account, "state": "sent"})["items"]
        self.assertEqual([m["message_id"] for m in copy], [queued["message_id"]])
        self.assertEqual(copy[0]["direction"], "out")

    def test_main_account_is_used_and_signature_added(self):
        self.account(label="aaa Hauptkonto", always_signature=True, signature="Anna Äbi\nVerkauf")
        self.account(label="zzz Nebenkonto")
        queued = self.call("mail.send", {"to": [TB["USER_BOB"]], "subject": "ohne Konto", "text": "Hallo"})
        main = self.call("mail.account.main")["account"]
        self.assertEqual(queued["account"], main["id"])
        self.process(main["id"])
        raw = imap_messages(TB["USER_BOB"], TB["PASS_BOB"], queued["message_id"])
        msg = email.message_from_bytes(raw[0], policy=email.policy.default)
        self.assertEqual(msg.get_body(("plain",)).get_content().replace("\r\n", "\n"), "Hallo\n-- \nAnna Äbi\nVerkauf\n")

    def test_header_injection_and_bad_addresses_queue_nothing(self):
        account = self.account()
        cases = [({"subject": "Rechnung\r\nBcc: all@example.com"}, "subject"),
                 ({"to": [{"email": TB["USER_BOB"], "name": "Bob\nBcc: x@example.com"}]}, "to[0]"),
                 ({"to": ["not-an-address"]}, "to[0]"),
                 ({"cc": [TB["USER_BOB"], "a@@b"]}, "cc[1]"),
                 ({"attachments": [{"base64": "AAAA", "file_name": "x.pdf\r\nX-Evil: 1"}]},
                  "attachments[0].file_name"),
                 ({"attachments": [{"document": {"doctype": "invoice", "id": "missing"}}]},
                  "attachments[0].document")]
        for change, field in cases:
            with self.subTest(field=field):
                params = {"account": account, "to": [TB["USER_BOB"]], "subject": "s", "text": "t"} | change
                result = self.call("mail.send", params, code=1)
                self.assertEqual((result["error"]["code"], result["error"]["field"]), ("invalid_params", field))
        self.assertEqual(self.outbox(account), {})
        personal = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "s", "text": "t",
                                           "e_printing": True}, code=1)
        self.assertEqual(personal["error"]["field"], "e_printing")

    def test_wrong_password_fails_permanently_with_the_servers_text(self):
        account = self.account(password="wrong-password")
        queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "x", "text": "x"})
        self.assertEqual(self.process(account), {"sent": 0, "retrying": 0, "failed": 1})
        entry = self.outbox(account)[queued["message_id"]]
        self.assertEqual(entry["state"], "failed")
        self.assertIn("535", entry["last_answer"])
        failed = self.events("mail.failed")
        self.assertEqual(len(failed), 1)
        self.assertTrue(failed[0]["payload"]["permanent"])
        self.assertEqual(self.process(account), {"sent": 0, "retrying": 0, "failed": 0})  # not retried

    def test_unknown_recipient_fails_permanently(self):
        account = self.account()
        queued = self.call("mail.send", {"account": account, "to": ["nobody@erpmail.test"], "subject": "x",
                                         "text": "x"})
        self.assertEqual(self.process(account)["failed"], 1)
        entry = self.outbox(account)[queued["message_id"]]
        self.assertRegex(entry["last_answer"], r"recipient <nobody@erpmail.test> refused: 55\d")

    def test_bad_certificates_are_refused_and_say_which(self):
        for key, reason in (("SUBMISSION_EXPIRED_PORT", "certificate has expired"),
                            ("SUBMISSION_WRONGHOST_PORT", "not valid for host name 'localhost'"),
                            ("SUBMISSION_SELFSIGNED_PORT", "self-signed")):
            with self.subTest(key):
                account = self.account(port=TB[key])
                queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": key,
                                                 "text": "x"})
                self.assertEqual(self.process(account)["failed"], 1)
                self.assertIn(reason, self.outbox(account)[queued["message_id"]]["last_answer"])

    def test_no_starttls_means_nothing_sent_and_no_password(self):
        account = self.account(port=TB["SUBMISSION_NOTLS_PORT"])
        queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "notls",
                                         "text": "x"})
        self.assertEqual(self.process(account)["failed"], 1)
        self.assertIn("does not offer STARTTLS", self.outbox(account)[queued["message_id"]]["last_answer"])
        with open(os.path.join(TB["TB_DIR"], "postfix", "postfix.log"), encoding="utf-8", errors="replace") as f:
            sessions = [l for l in f if "postfix/submission-notls/smtpd" in l and "disconnect from" in l]
        self.assertTrue(sessions)
        self.assertFalse([l for l in sessions if "auth=" in l or "mail=" in l], sessions)

    def test_account_test_reports_each_side(self):
        good = self.call("mail.account.test", {"id": self.account()})
        self.assertTrue(good["ok"], good)
        self.assertEqual(good["smtp"]["authentication"], "PLAIN")
        self.assertTrue(good["smtp"]["tls"].startswith("TLSv1."))
        self.assertEqual([s["step"] for s in good["incoming"]["steps"]][-2:], ["login", "select"])
        bad = self.call("mail.account.test", {"id": self.account(password="nope")})
        self.assertFalse(bad["ok"])
        self.assertIn("535", bad["smtp"]["error"])
        self.assertEqual(bad["incoming"]["steps"][-1]["step"], "login")
        self.assertFalse(bad["incoming"]["steps"][-1]["ok"])

    def test_postfix_down_then_up_sends_exactly_once(self):
        account = self.account()
        token = uuid.uuid4().hex
        queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": f"retry {token}",
                                         "text": "x"})
        postfix("stop")
        try:
            self.assertEqual(self.process(account), {"sent": 0, "retrying": 1, "failed": 0})
            entry = self.outbox(account)[queued["message_id"]]
            self.assertEqual((entry["state"], entry["attempts"]), ("queued", 1))
            self.assertIn("refused", entry["last_answer"])
        finally:
            postfix("start")
        for _ in range(50):  # until Postfix listens again
            if self.process(account)["sent"] == 1:
                break
            time.sleep(0.2)
        self.assertEqual(self.outbox(account)[queued["message_id"]]["state"], "sent")
        self.assertEqual(len(imap_messages(TB["USER_BOB"], TB["PASS_BOB"], token)), 1)
        time.sleep(1)
        self.assertEqual(len(imap_messages(TB["USER_BOB"], TB["PASS_BOB"], token, wait_for=0, timeout=0)), 1)

    def use_payroll_host(self):
        """This test's host: payslips are for group hr ([documents] payslip = hr); anna is in sales, hanna in hr.
        Returns a public account that all of them may send from."""
        self.host.cleanup()
        self.host = Host(users=dict(USERS, hanna=("Hanna Hürlimann", "hr", False)), grants={"mail.use": "*"},
                         document_readers={"payslip": "hr"},
                         extra="[config]\nerpmail.outbox.retry_base_seconds = 0\n")
        self.pdf_path = os.path.join(self.host.dir, "payslip.pdf")
        with open(self.pdf_path, "wb") as f:
            f.write(PDF)
        self.host.write_documents({
            "payslip": {"2026-07": {"file": self.pdf_path, "file_name": "Lohnabrechnung Juli.pdf"}},
            "invoice": {"2026-0042": {"file": self.pdf_path, "file_name": "Rechnung.pdf"}}})
        return self.account(kind="public")

    def test_clerk_cannot_mail_a_payslip(self):
        account = self.use_payroll_host()
        payslip = {"account": account, "to": [TB["USER_BOB"]], "subject": "Lohn", "text": "Anbei",
                   "attachments": [{"base64": "JVBERi0=", "file_name": "x.pdf"},
                                   {"document": {"doctype": "payslip", "id": "2026-07"}}]}
        result = self.call("mail.send", payslip, code=1)
        self.assertEqual((result["error"]["code"], result["error"]["field"]), ("forbidden", "attachments[1].document"))
        self.assertIn("user 'anna' may not read document payslip 2026-07", result["error"]["message"])
        self.assertIn("documents of type 'payslip' are for the group(s) hr", result["error"]["message"])
        self.assertEqual(self.outbox(account), {})
        # An unlisted doctype stays open to every user.
        invoice = dict(payslip, attachments=[{"document": {"doctype": "invoice", "id": "2026-0042"}}])
        self.assertEqual(self.call("mail.send", invoice)["status"], "queued")

    def test_hr_member_mails_a_payslip(self):
        account = self.use_payroll_host()
        token = uuid.uuid4().hex
        queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": f"Lohn {token}",
                                         "text": "Anbei", "attachments": [{"document": {"doctype": "payslip",
                                                                                        "id": "2026-07"}}]},
                           user="hanna")
        self.assertEqual(self.process(account)["sent"], 1)
        raw = imap_messages(TB["USER_BOB"], TB["PASS_BOB"], queued["message_id"])
        parts = list(email.message_from_bytes(raw[0], policy=email.policy.default).iter_attachments())
        self.assertEqual([(p.get_filename(), p.get_content()) for p in parts], [("Lohnabrechnung Juli.pdf", PDF)])

    def test_few_document_references_cannot_make_a_huge_mail(self):
        # 100 references to one 2 MB document would compose a mail of 280 MB.
        account = self.account()
        params = {"account": account, "to": [TB["USER_BOB"]], "subject": "s", "text": "t",
                  "attachments": [{"document": {"doctype": "invoice", "id": "2026-0042"}}] * 100}
        started = time.monotonic()
        with open(os.path.join(self.host.dir, "out.json"), "w+", encoding="utf-8") as out:
            proc = subprocess.Popen([ERPHOST, "--config", self.host.config, "call", "mail.send", "--as", "anna",
                                     "--json", json.dumps(params)], stdout=out, stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            seconds = time.monotonic() - started
            out.seek(0)
            result = json.load(out)
        self.assertEqual(proc.returncode, 1, result)
        self.assertEqual(result["error"]["code"], "invalid_params")
        self.assertRegex(result["error"]["field"], r"^attachments\[\d+\]$")
        self.assertIn("larger than 64 MiB (erpmail.send.max_message_mb)", result["error"]["message"])
        self.assertLess(seconds, 20)
        self.assertLess(usage.ru_maxrss * 1024, 400 * 1024 * 1024)  # kB on Linux
        self.assertEqual(self.outbox(account), {})

    def test_certificate_naming_localhost_only_in_its_cn_is_refused_on_smtps_and_starttls(self):
        log = os.path.join(TB["TB_DIR"], "postfix", "postfix.log")
        seen = os.path.getsize(log)
        for key, security in (("SMTPS_CNONLY_PORT", "tls"), ("SUBMISSION_CNONLY_PORT", "starttls")):
            with self.subTest(key):
                account = self.account(port=TB[key], security=security)
                queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": key,
                                                 "text": "x"})
                self.assertEqual(self.process(account)["failed"], 1)
                entry = self.outbox(account)[queued["message_id"]]
                self.assertEqual(entry["state"], "failed")
                self.assertIn("certificate for localhost has no subjectAltName", entry["last_answer"])
        time.sleep(0.5)  # Postfix logs the disconnect after the client has gone
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(seen)
            sessions = [l for l in f if "-cnonly/smtpd" in l and "disconnect from" in l]
        self.assertTrue(sessions)
        self.assertFalse([l for l in sessions if "auth=" in l or "mail=" in l], sessions)


    def test_attachment_that_is_not_base64_is_refused_and_nothing_queued(self):
        account = self.account()
        for i, text in enumerate(["Das ist kein base64!", "SGVsbG8", "SGVsbG8=garbage", "SGV-_w=="]):
            with self.subTest(text=text):
                attachments = [{"base64": "SGVsbG8=", "file_name": "ok.txt"},
                               {"base64": text, "file_name": f"bad{i}.pdf"}]
                result = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "s",
                                                 "text": "t", "attachments": attachments}, code=1)
                self.assertEqual((result["error"]["code"], result["error"]["field"]),
                                 ("invalid_params", "attachments[1].base64"))
                self.assertIn("not valid base64", result["error"]["message"])
        self.assertEqual(self.outbox(account), {})

    def test_clerk_cannot_attach_server_files_and_cannot_tell_whether_they_exist(self):
        account = self.account()
        answers = []
        for path in [self.pdf_path, "/etc/shadow", os.path.join(self.host.dir, "no-such-file.pdf"), "/root"]:
            result = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "s", "text": "t",
                                             "attachments": [{"path": path}]}, code=1)
            answers.append(result["error"])
        self.assertEqual(answers[0], {"code": "forbidden", "field": "attachments[0].path",
                                      "message": answers[0]["message"]})
        self.assertTrue(all(a == answers[0] for a in answers), answers)
        self.assertEqual(self.outbox(account), {})

    def test_admin_attachment_path_must_be_a_regular_file_under_64_mib(self):
        account = self.call("mail.account.create", {
            "label": "Admin", "sender_email": TB["USER_ALICE"],
            "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "ca_file": TB["TB_CA"],
                     "user": TB["USER_ALICE"], "password": TB["PASS_ALICE"]}},
            user="root")["id"]
        fifo = os.path.join(self.host.dir, "fifo")
        os.mkfifo(fifo)
        huge = os.path.join(self.host.dir, "huge.bin")
        with open(huge, "wb") as f:
            f.truncate(64 * 1024 * 1024 + 1)  # sparse: costs no disk
        cases = [(self.host.dir, "directory"), ("/dev/zero", "not a regular file"), (fifo, "not a regular file"),
                 (huge, "larger than 64 MiB"), (os.path.join(self.host.dir, "missing.pdf"), "cannot be opened")]
        for path, words in cases:
            with self.subTest(path=path):
                result = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "s",
                                                 "text": "t", "attachments": [{"path": path}]}, user="root", code=1)
                self.assertEqual((result["error"]["code"], result["error"]["field"]),
                                 ("invalid_params", "attachments[0].path"))
                self.assertIn(words, result["error"]["message"])
        self.assertEqual(self.call("mail.outbox.list", {"account": account}, user="root")["items"], [])
        queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "s", "text": "t",
                                         "attachments": [{"path": self.pdf_path}]}, user="root")
        self.assertEqual(queued["status"], "queued")

    def test_clerk_cannot_point_smtp_ca_file_at_server_files(self):
        answers = []
        for path in [TB["TB_CA"], "/etc/shadow", "/no/such/ca.pem", "/dev/zero"]:
            result = self.call("mail.account.create", {
                "label": "CA", "sender_email": TB["USER_ALICE"],
                "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "ca_file": path}}, code=1)
            answers.append(result["error"])
        self.assertEqual((answers[0]["code"], answers[0]["field"]), ("forbidden", "smtp.ca_file"))
        self.assertTrue(all(a == answers[0] for a in answers), answers)
        result = self.call("mail.account.create", {"label": "CA", "smtp": {
            "host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "ca": "-----BEGIN CERTIFICATE-----\nAAAA"}}, code=1)
        self.assertEqual((result["error"]["code"], result["error"]["field"]), ("invalid_params", "smtp.ca"))
        # The CA as PEM text is how a clerk trusts a private CA: the receipt goes out.
        account = self.account()
        queued = self.call("mail.send", {"account": account, "to": [TB["USER_BOB"]], "subject": "CA als Text",
                                         "text": "t"})
        self.assertEqual(self.process(account), {"sent": 1, "retrying": 0, "failed": 0})
        self.assertEqual(len(imap_messages(TB["USER_BOB"], TB["PASS_BOB"], queued["message_id"])), 1)

    def outcomes(self, entry):
        return {r["address"]: (r["outcome"], r.get("code")) for r in entry["recipient_outcomes"]}

    def test_one_refused_recipient_does_not_fail_the_mail(self):
        account = self.account()
        token = uuid.uuid4().hex
        queued = self.call("mail.send", {"account": account, "subject": f"Rechnung {token}", "text": "Anbei",
                                         "to": [TB["USER_BOB"]], "cc": [TB["RECIPIENT_REFUSED"]],
                                         "bcc": [TB["USER_CAROL"]]})
        self.assertEqual(self.process(account), {"sent": 1, "retrying": 0, "failed": 0})
        for user, password in ((TB["USER_BOB"], TB["PASS_BOB"]), (TB["USER_CAROL"], TB["PASS_CAROL"])):
            raw = imap_messages(user, password, queued["message_id"])
            self.assertEqual(len(raw), 1, user)
            msg = email.message_from_bytes(raw[0], policy=email.policy.default)
            self.assertEqual(msg["Subject"], f"Rechnung {token}")
            self.assertEqual([a.addr_spec for a in msg["Cc"].addresses], [TB["RECIPIENT_REFUSED"]])
            self.assertEqual(msg.get_body(("plain",)).get_content().strip(), "Anbei")
        entry = self.outbox(account)[queued["message_id"]]
        self.assertEqual((entry["state"], entry["attempts"]), ("sent", 1))
        self.assertEqual(self.outcomes(entry), {TB["USER_BOB"]: ("accepted", 250),
                                                TB["USER_CAROL"]: ("accepted", 250),
                                                TB["RECIPIENT_REFUSED"]: ("refused_permanent", 550)})
        refused = [r for r in entry["recipient_outcomes"] if r["outcome"] != "accepted"][0]
        self.assertIn("mailbox closed for good", refused["answer"])
        sent = self.events("mail.sent")
        self.assertEqual(len(sent), 1)
        self.assertEqual(sorted(sent[0]["payload"]["recipients"]), sorted([TB["USER_BOB"], TB["USER_CAROL"]]))
        self.assertEqual([(r["address"], r["outcome"]) for r in sent[0]["payload"]["refused"]],
                         [(TB["RECIPIENT_REFUSED"], "refused_permanent")])
        self.assertIn("550", sent[0]["payload"]["refused"][0]["answer"])
        self.assertFalse(sent[0]["payload"]["retrying"])
        self.assertEqual(self.events("mail.failed"), [])
        copies = self.call("mail.message.list", {"account": account, "state": "sent"})["items"]
        self.assertEqual([m["message_id"] for m in copies], [queued["message_id"]])

    def set_busy_recipient_refused(self, refused):
        """Puts the 450 for USER_FRANK into the submission's recipient map, or takes it out, and reloads Postfix."""
        path = os.path.join(TB["TB_DIR"], "postfix", "recipient_access")
        with open(path, encoding="utf-8") as f:
            lines = [l for l in f if not l.startswith(TB["USER_FRANK"] + " ")]
        if refused:
            lines.append(f"{TB['USER_FRANK']} 450 4.2.1 <{TB['USER_FRANK']}>: mailbox busy, try again later\n")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(lines)
        postfix("reload")
        time.sleep(1.5)  # the smtpd processes that read the old map finish

    def test_temporarily_refused_recipient_is_retried_alone(self):
        account = self.account()
        token = uuid.uuid4().hex
        queued = self.call("mail.send", {"account": account, "subject": f"Mahnung {token}", "text": "Zweite Mahnung",
                                         "to": [TB["USER_BOB"], TB["USER_FRANK"]]})
        self.assertEqual(self.process(account), {"sent": 1, "retrying": 0, "failed": 0})
        self.assertEqual(len(imap_messages(TB["USER_BOB"], TB["PASS_BOB"], token)), 1)
        entry = self.outbox(account)[queued["message_id"]]
        self.assertEqual((entry["state"], entry["attempts"]), ("queued", 1))  # frank is still to get it
        self.assertEqual(self.outcomes(entry), {TB["USER_BOB"]: ("accepted", 250),
                                                TB["USER_FRANK"]: ("refused_temporary", 450)})
        sent = self.events("mail.sent")
        self.assertEqual([(r["address"], r["outcome"]) for r in sent[0]["payload"]["refused"]],
                         [(TB["USER_FRANK"], "refused_temporary")])
        self.assertTrue(sent[0]["payload"]["retrying"])

        self.set_busy_recipient_refused(False)
        try:
            self.assertEqual(self.process(account), {"sent": 1, "retrying": 0, "failed": 0})
        finally:
            self.set_busy_recipient_refused(True)
        arrived = imap_messages(TB["USER_FRANK"], TB["PASS_FRANK"], token)
        self.assertEqual(len(arrived), 1)
        msg = email.message_from_bytes(arrived[0], policy=email.policy.default)
        self.assertEqual([a.addr_spec for a in msg["To"].addresses], [TB["USER_BOB"], TB["USER_FRANK"]])
        self.assertEqual(msg.get_body(("plain",)).get_content().strip(), "Zweite Mahnung")
        time.sleep(1)
        # The retry went to frank alone: bob has the mail once.
        self.assertEqual(len(imap_messages(TB["USER_BOB"], TB["PASS_BOB"], token, wait_for=0, timeout=0)), 1)
        entry = self.outbox(account)[queued["message_id"]]
        self.assertEqual((entry["state"], entry["attempts"]), ("sent", 2))
        self.assertEqual(self.outcomes(entry), {TB["USER_BOB"]: ("accepted", 250),
                                                TB["USER_FRANK"]: ("accepted", 250)})
        sent = self.events("mail.sent")
        self.assertEqual([e["payload"]["recipients"] for e in sent], [[TB["USER_BOB"]], [TB["USER_FRANK"]]])
        copies = self.call("mail.message.list", {"account": account, "state": "sent"})["items"]
        self.assertEqual(len(copies), 1)  # one sent copy, however many attempts it took

    def test_mail_nobody_accepted_fails_for_good_only_when_every_refusal_is_permanent(self):
        account = self.account()
        busy = self.call("mail.send", {"account": account, "subject": "busy", "text": "x",
                                       "to": [TB["RECIPIENT_REFUSED"], TB["USER_FRANK"]]})
        self.assertEqual(self.process(account), {"sent": 0, "retrying": 1, "failed": 0})
        entry = self.outbox(account)[busy["message_id"]]
        self.assertEqual(entry["state"], "queued")
        self.assertEqual(self.outcomes(entry), {TB["RECIPIENT_REFUSED"]: ("refused_permanent", 550),
                                                TB["USER_FRANK"]: ("refused_temporary", 450)})
        self.assertIn(f"recipient <{TB['USER_FRANK']}> refused: 450", entry["last_answer"])
        self.assertEqual((self.events("mail.sent"), self.events("mail.failed")), ([], []))
        self.call("mail.outbox.cancel", {"account": account, "id": entry["id"]})

        closed = self.call("mail.send", {"account": account, "subject": "closed", "text": "x",
                                         "to": [TB["RECIPIENT_REFUSED"], "nobody@erpmail.test"]})
        self.assertEqual(self.process(account), {"sent": 0, "retrying": 0, "failed": 1})
        entry = self.outbox(account)[closed["message_id"]]
        self.assertEqual(entry["state"], "failed")
        self.assertEqual(self.outcomes(entry), {TB["RECIPIENT_REFUSED"]: ("refused_permanent", 550),
                                                "nobody@erpmail.test": ("refused_permanent", 550)})
        failed = self.events("mail.failed")
        self.assertEqual(len(failed), 1)
        self.assertTrue(failed[0]["payload"]["permanent"])
        self.assertEqual(failed[0]["payload"]["recipients"], [TB["RECIPIENT_REFUSED"], "nobody@erpmail.test"])
        self.assertEqual(self.events("mail.sent"), [])

    def test_refused_recipient_outcomes_are_kept_on_postgresql_too(self):
        self.host.cleanup()
        self.host = Host(users=USERS, grants={"mail.use": "*"}, extra="[config]\nerpmail.outbox.retry_base_seconds = 0\n",
                         databases={"main": ("Driver=SQLite3;Database={dir}/main.db", True),
                                    "pg": (TB["PG_ODBC"], False)})
        account = self.account(database="pg")
        queued = self.call("mail.send", {"account": account, "subject": "pg", "text": "x",
                                         "to": [TB["USER_BOB"], TB["RECIPIENT_REFUSED"], TB["USER_FRANK"]]})
        self.assertEqual(self.process(account), {"sent": 1, "retrying": 0, "failed": 0})
        self.assertEqual(len(imap_messages(TB["USER_BOB"], TB["PASS_BOB"], queued["message_id"])), 1)
        entry = self.outbox(account)[queued["message_id"]]
        self.assertEqual((entry["state"], entry["attempts"]), ("queued", 1))
        self.assertEqual(self.outcomes(entry), {TB["USER_BOB"]: ("accepted", 250),
                                                TB["RECIPIENT_REFUSED"]: ("refused_permanent", 550),
                                                TB["USER_FRANK"]: ("refused_temporary", 450)})
        self.assertEqual(self.process(account), {"sent": 0, "retrying": 1, "failed": 0})  # frank alone, still busy
        self.assertEqual(self.outcomes(self.outbox(account)[queued["message_id"]])[TB["USER_FRANK"]],
                         ("refused_temporary", 450))
        self.assertEqual(len(imap_messages(TB["USER_BOB"], TB["PASS_BOB"], queued["message_id"], wait_for=0,
                                           timeout=0)), 1)


class OutboxSubjectTest(unittest.TestCase):
    """The outbox lists each mail with its subject as written, in both dialects."""

    def test_outbox_list_shows_the_subject_as_written(self):
        for dialect, databases in (("sqlite", None), ("postgresql", {"main": (pg_database("outbox_subject"), True)})):
            with self.subTest(dialect):
                host = Host(users=USERS, grants={"mail.use": "*"}, databases=databases)
                self.addCleanup(host.cleanup)
                code, account, err = host.call("mail.account.create", "anna", {
                    "label": "Betreff", "sender_email": TB["USER_ALICE"],
                    "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "ca": CA,
                             "user": TB["USER_ALICE"], "password": TB["PASS_ALICE"]}})
                self.assertEqual(code, 0, (account, err))
                subject = "Rechnung für Müller – März 2026 😀"
                code, queued, err = host.call("mail.send", "anna", {
                    "account": account["id"], "to": [TB["USER_BOB"]], "subject": subject, "text": "x"})
                self.assertEqual(code, 0, (queued, err))
                _, listing, _ = host.call("mail.outbox.list", "anna", {"account": account["id"]})
                self.assertEqual([(e["message_id"], e["subject"]) for e in listing["items"]],
                                 [(queued["message_id"], subject)])


class HostileServerTest(unittest.TestCase):
    """STARTTLS attacks, from a scripted server: a real one never does this."""

    def run_against(self, mode):
        host = Host(users=USERS, grants={"mail.use": "*"})
        server, port, log = start_scripted_server("hostile_smtp.py", mode, host)
        try:
            _, account, _ = host.call("mail.account.create", "anna", {
                "label": "hostile", "sender_email": TB["USER_ALICE"],
                "incoming": {"protocol": "imaps", "host": "localhost", "user": "u", "password": "Secret-Pw-9"},
                "smtp": {"host": "localhost", "port": port, "ca": CA}})
            _, queued, _ = host.call("mail.send", "anna", {"account": account["id"], "to": [TB["USER_BOB"]],
                                                           "subject": mode, "text": "x"})
            _, report, self.process_log = host.call("mail.outbox.process", "anna", {"account": account["id"]})
            _, listing, _ = host.call("mail.outbox.list", "anna", {"account": account["id"]})
            with open(log, encoding="utf-8") as f:
                lines = f.read().splitlines()
            return report, listing["items"][0], lines
        finally:
            server.kill()
            server.wait()
            server.stdout.close()
            host.cleanup()

    def test_starttls_refused_sends_nothing_and_no_password(self):
        report, entry, lines = self.run_against("refuse-starttls")
        self.assertEqual(report["failed"], 1)
        self.assertIn("refused STARTTLS", entry["last_answer"])
        self.assertEqual([l.split()[1] for l in lines], ["EHLO", "STARTTLS", "QUIT"][:len(lines)])
        self.assertFalse([l for l in lines if " AUTH" in l or " MAIL" in l or "Secret-Pw-9" in l], lines)

    def test_smtp_starttls_injection_ends_delivery_before_any_password(self):
        report, entry, lines = self.run_against("inject")
        self.assertEqual((report["sent"], report["failed"]), (0, 1), entry)
        self.assertEqual(entry["state"], "failed")
        self.assertIn("sent data after agreeing to STARTTLS", entry["last_answer"])
        self.assertIn("possible injection", entry["last_answer"])
        self.assertEqual([l.split()[1] for l in lines if l.startswith("plain ")], ["EHLO", "STARTTLS"])
        self.assertFalse([l for l in lines if l.startswith("tls ") or "AUTH" in l or "Secret-Pw-9" in l], lines)

    def test_smtp_reply_with_a_line_break_cannot_forge_a_log_line(self):
        report, entry, _ = self.run_against("forge")
        self.assertEqual(report["failed"], 1, entry)
        escaped = ("535-5.7.8 Authentication failed\\n"
                   "535 2026-01-01T00:00:00Z info erpmail.outbox: <forged@hostile.test>")
        for text in (entry["last_answer"], self.process_log):
            self.assertIn(escaped, text)
            self.assertFalse([l for l in text.splitlines() if l.startswith("535 ")], text)


def submission_account(host, label):
    """An account of alice's, created by anna, that sends through the test bed's Postfix submission port."""
    _, account, _ = host.call("mail.account.create", "anna", {
        "label": label, "sender_email": TB["USER_ALICE"],
        "incoming": {"protocol": "imaps", "host": "localhost", "user": TB["USER_ALICE"],
                     "password": TB["PASS_ALICE"]},
        "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "ca": CA}})
    return account


class SlowServerTest(unittest.TestCase):
    """A content filter that takes 5 s over its 250 to the final dot (a scripted
    server: it counts the DATA transactions it receives), and senders that
    meet over one outbox."""

    def start(self, config, databases=None, mode="slow-250"):
        self.host = Host(users=USERS, grants={"mail.use": "*"}, extra="[config]\n" + config, databases=databases)
        self.server, port, self.log = start_scripted_server("hostile_smtp.py", mode, self.host)
        self.addCleanup(self.stop, self.server, self.host)
        _, account, _ = self.host.call("mail.account.create", "anna", {
            "label": "slow", "sender_email": TB["USER_ALICE"],
            "incoming": {"protocol": "imaps", "host": "localhost", "user": "u", "password": "Secret-Pw-9"},
            "smtp": {"host": "localhost", "port": port, "ca": CA}})
        self.account = account["id"]
        _, queued, _ = self.host.call("mail.send", "anna", {"account": self.account, "to": [TB["USER_BOB"]],
                                                            "subject": "Rechnung", "text": "x"})
        self.message_id = queued["message_id"]

    @staticmethod
    def stop(server, host):
        server.kill()
        server.wait()
        server.stdout.close()
        host.cleanup()

    def transactions(self):
        with open(self.log, encoding="utf-8") as f:
            return sum(1 for line in f if line.endswith(" <message>\n"))

    def wait_for_transactions(self, n):
        deadline = time.time() + 30
        while self.transactions() < n:
            self.assertLess(time.time(), deadline, "the mail never reached the server")
            time.sleep(0.05)

    def process_in_background(self):
        return subprocess.Popen([ERPHOST, "--config", self.host.config, "call", "mail.outbox.process", "--as", "anna",
                                 "--json", json.dumps({"account": self.account})],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, proc):
        out, err = proc.communicate(timeout=120)
        return json.loads(out), err

    def entry(self):
        _, listing, _ = self.host.call("mail.outbox.list", "anna", {"account": self.account})
        return listing["items"][0]

    def sent_events(self):
        with open(os.path.join(self.host.dir, "events.jsonl"), encoding="utf-8") as f:
            return [e for e in map(json.loads, f) if e["type"] == "mail.sent"]

    def sent_copies(self):
        _, listing, _ = self.host.call("mail.message.list", "anna", {"account": self.account, "state": "sent"})
        return listing["items"]

    def test_slow_content_filter_after_the_final_dot_is_waited_for(self):
        # The general wait is 2 s; the reply to the final dot has its own (10 min by default).
        self.start("erpmail.smtp.timeout_seconds = 2\n")
        code, report, err = self.host.call("mail.outbox.process", "anna", {"account": self.account})
        self.assertEqual((code, report), (0, {"sent": 1, "retrying": 0, "failed": 0}), err)
        self.assertEqual(self.transactions(), 1)
        self.assertEqual(self.entry()["state"], "sent")

    def test_wait_for_the_final_reply_is_its_own_setting(self):
        self.start("erpmail.smtp.data_end_timeout_seconds = 1\nerpmail.outbox.retry_base_seconds = 0\n")
        _, report, _ = self.host.call("mail.outbox.process", "anna", {"account": self.account})
        self.assertEqual(report, {"sent": 0, "retrying": 1, "failed": 0})
        self.assertIn("to the end of the message (erpmail.smtp.data_end_timeout_seconds) within 1 s",
                      self.entry()["last_answer"])

    WAITS = (("greeting", "its greeting"), ("mail", "MAIL FROM"), ("rcpt", "RCPT TO"), ("data", "DATA"))

    def test_a_wait_before_the_message_that_runs_out_names_itself_and_the_mail_is_retried(self):
        for wait, what in self.WAITS:
            with self.subTest(wait=wait):
                # The server takes 3 s over this reply; the general wait would allow 10 s, this one 1 s.
                self.start(f"erpmail.smtp.timeout_seconds = 10\nerpmail.smtp.{wait}_timeout_seconds = 1\n"
                           "erpmail.outbox.retry_base_seconds = 0\n", mode=f"slow-{wait}")
                _, report, err = self.host.call("mail.outbox.process", "anna", {"account": self.account})
                self.assertEqual(report, {"sent": 0, "retrying": 1, "failed": 0}, err)
                self.assertIn(f"to {what} (erpmail.smtp.{wait}_timeout_seconds) within 1 s",
                              self.entry()["last_answer"])
                self.assertEqual(self.transactions(), 0)

    def test_a_wait_before_the_message_is_not_the_general_one(self):
        for wait, _ in self.WAITS:
            with self.subTest(wait=wait):
                # The general wait of 1 s would give up on the 3 s reply; this one's default (2 or 5 min) does not.
                self.start("erpmail.smtp.timeout_seconds = 1\n", mode=f"slow-{wait}")
                _, report, err = self.host.call("mail.outbox.process", "anna", {"account": self.account})
                self.assertEqual(report, {"sent": 1, "retrying": 0, "failed": 0}, err)
                self.assertEqual(self.transactions(), 1)

    def test_long_transfer_keeps_its_claim_and_is_delivered_once(self):
        # No grace after the lease: only the renewal keeps the mail from the second sender.
        self.start("erpmail.outbox.lease_seconds = 2\nerpmail.outbox.record_retry_seconds = 0\n")
        first = self.process_in_background()
        self.wait_for_transactions(1)
        time.sleep(2.5)  # longer than the lease: only a renewed claim keeps the mail
        code, second, err = self.host.call("mail.outbox.process", "anna", {"account": self.account})
        self.assertEqual((code, second), (0, {"sent": 0, "retrying": 0, "failed": 0}), err)
        report, err = self.finish(first)
        self.assertEqual(report, {"sent": 1, "retrying": 0, "failed": 0}, err)
        self.assertEqual(self.transactions(), 1)
        self.assertEqual((self.entry()["state"], self.entry()["attempts"]), ("sent", 1))
        self.assertEqual(len(self.sent_events()), 1)

    def test_sender_whose_claim_was_taken_over_cannot_mark_the_mail(self):
        self.start("erpmail.outbox.lease_seconds = 2\nerpmail.outbox.record_retry_seconds = 0\n")
        stale = self.process_in_background()
        try:
            self.wait_for_transactions(1)
            stale.send_signal(signal.SIGSTOP)  # a sender that stalls past its lease
            time.sleep(2.5)
            code, report, err = self.host.call("mail.outbox.process", "anna", {"account": self.account})
            self.assertEqual((code, report), (0, {"sent": 1, "retrying": 0, "failed": 0}), err)
        finally:
            stale.send_signal(signal.SIGCONT)
        stale_report, stale_log = self.finish(stale)
        self.assertEqual(stale_report, {"sent": 0, "retrying": 0, "failed": 0})
        self.assertIn("taken over by another sender", stale_log)
        self.assertEqual(self.transactions(), 2)  # the stalled sender's 250 came after the takeover
        self.assertEqual((self.entry()["state"], self.entry()["attempts"]), ("sent", 2))
        self.assertEqual(len(self.sent_events()), 1)
        self.assertEqual([m["message_id"] for m in self.sent_copies()], [self.message_id])

    def test_database_error_after_the_250_is_retried_until_recorded(self):
        import sqlite3
        import threading
        # The SQLite driver gives up waiting for a lock sooner than by default (100 s).
        self.start("", databases={"main": ("Driver=SQLite3;Database={dir}/main.db;Timeout=1000", True)})
        sender = self.process_in_background()
        log = []
        reader = threading.Thread(target=lambda: log.extend(iter(sender.stderr.readline, "")))
        reader.start()
        self.wait_for_transactions(1)
        db = sqlite3.connect(os.path.join(self.host.dir, "main.db"), isolation_level=None, timeout=30)
        try:
            db.execute("BEGIN EXCLUSIVE")  # from before the 250 until recording it has failed
            deadline = time.time() + 90
            while not any("could not record the outcome" in line for line in log) and time.time() < deadline:
                time.sleep(0.1)
            db.execute("COMMIT")
        finally:
            db.close()
        out = sender.stdout.read()
        self.assertEqual(sender.wait(timeout=120), 0)
        reader.join()
        sender.stdout.close()
        sender.stderr.close()
        self.assertEqual(json.loads(out), {"sent": 1, "retrying": 0, "failed": 0}, log)
        self.assertTrue([l for l in log if "could not record the outcome" in l and "trying again" in l], log)
        self.assertEqual(self.transactions(), 1)
        self.assertEqual(self.entry()["state"], "sent")
        self.assertEqual(len(self.sent_events()), 1)


    def test_database_outage_longer_than_the_lease_does_not_send_the_mail_twice(self):
        import sqlite3
        import threading
        self.start("erpmail.outbox.lease_seconds = 2\nerpmail.outbox.record_retry_seconds = 60\n",
                   databases={"main": ("Driver=SQLite3;Database={dir}/main.db;Timeout=500", True)})
        sender = self.process_in_background()
        log = []
        reader = threading.Thread(target=lambda: log.extend(iter(sender.stderr.readline, "")))
        reader.start()
        self.wait_for_transactions(1)
        db = sqlite3.connect(os.path.join(self.host.dir, "main.db"), isolation_level=None, timeout=30)
        try:
            db.execute("BEGIN EXCLUSIVE")  # the outage: from before the 250 until past the lease
            deadline = time.time() + 90
            while not any("could not record the outcome" in line for line in log) and time.time() < deadline:
                time.sleep(0.1)
            sender.send_signal(signal.SIGSTOP)  # retrying its record, it holds a claim that ran out
            time.sleep(2.5)
            db.execute("COMMIT")
        finally:
            db.close()
        try:
            # Another sender comes along as soon as the database is back.
            code, report, err = self.host.call("mail.outbox.process", "anna", {"account": self.account})
            self.assertEqual((code, report), (0, {"sent": 0, "retrying": 0, "failed": 0}), err)
        finally:
            sender.send_signal(signal.SIGCONT)
        out = sender.stdout.read()
        self.assertEqual(sender.wait(timeout=120), 0)
        reader.join()
        sender.stdout.close()
        sender.stderr.close()
        self.assertEqual(json.loads(out), {"sent": 1, "retrying": 0, "failed": 0}, log)
        self.assertEqual(self.transactions(), 1)
        self.assertEqual((self.entry()["state"], self.entry()["attempts"]), ("sent", 1))
        self.assertEqual(len(self.sent_events()), 1)


class CrashTest(unittest.TestCase):
    """kill -9 of the sending process in the middle of 200 mails."""

    def test_kill_during_a_batch_of_200(self):
        host = Host(users=USERS, grants={"mail.use": "*"}, extra=(
            "[config]\nerpmail.outbox.poll_ms = 100\nerpmail.outbox.lease_seconds = 2\n"
            "erpmail.outbox.record_retry_seconds = 0\n"
            "erpmail.outbox.retry_base_seconds = 0\nerpmail.smtp.connections = 2\n"))
        token = uuid.uuid4().hex
        try:
            account = submission_account(host, "Mahnlauf")
            ids = set()
            for i in range(200):
                code, queued, err = host.call("mail.send", "anna", {
                    "account": account["id"], "to": [TB["USER_BENCH"]], "subject": f"Mahnung {i} {token}",
                    "text": f"Mahnung Nummer {i}"})
                self.assertEqual(code, 0, err)
                ids.add(queued["message_id"])

            def sent_count():
                _, out, _ = host.call("mail.outbox.list", "anna", {"account": account["id"], "state": "sent",
                                                                   "page_size": 500})
                return len(out["items"])

            def sent_in_database():
                # Read straight from the file: an erphost call per poll is too slow to catch the middle.
                import sqlite3
                db = sqlite3.connect(os.path.join(host.dir, "main.db"), timeout=30)
                try:
                    return db.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
                finally:
                    db.close()

            server = subprocess.Popen([ERPHOST, "--config", host.config, "serve"], stderr=subprocess.DEVNULL)
            deadline = time.time() + 60
            while sent_in_database() < 40 and time.time() < deadline:
                time.sleep(0.01)
            server.send_signal(signal.SIGKILL)
            server.wait()
            _, flying, _ = host.call("mail.outbox.list", "anna", {"account": account["id"], "state": "sending",
                                                                  "page_size": 500})
            in_flight = {e["message_id"] for e in flying["items"]}
            done_before = sent_count()
            self.assertLess(done_before, 200, "the kill came too late to test anything")
            self.assertLessEqual(len(in_flight), 2)  # one per connection, no more

            server = subprocess.Popen([ERPHOST, "--config", host.config, "serve"], stderr=subprocess.DEVNULL)
            deadline = time.time() + 120
            while sent_count() < 200 and time.time() < deadline:
                time.sleep(0.2)
            server.send_signal(signal.SIGTERM)
            self.assertEqual(server.wait(timeout=60), 0)
            self.assertEqual(sent_count(), 200)

            arrived = imap_messages(TB["USER_BENCH"], TB["PASS_BENCH"], token, wait_for=200, timeout=60)
            counts = {}
            for raw in arrived:
                mid = email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"].strip("<>")
                counts[mid] = counts.get(mid, 0) + 1
            self.assertEqual(set(counts), ids)  # all 200 arrived
            twice = {mid for mid, n in counts.items() if n > 1}
            self.assertTrue(all(n <= 2 for n in counts.values()), counts)
            self.assertLessEqual(twice, in_flight, f"duplicates {twice} were not in flight {in_flight}")
        finally:
            host.cleanup()


class NextClaimTest(unittest.TestCase):
    """A lane claims its next mail in the commit that records the mail it sent."""

    def test_a_next_mail_that_cannot_be_claimed_leaves_the_sent_mark_to_commit(self):
        import sqlite3
        host = Host(users=USERS, grants={"mail.use": "*"}, extra=(
            "[config]\nerpmail.smtp.connections = 1\n"))
        try:
            account = submission_account(host, "Zwei")
            queued = []
            for subject in ("Rechnung 1", "Rechnung 2"):
                code, out, err = host.call("mail.send", "anna", {
                    "account": account["id"], "to": [TB["USER_BOB"]], "subject": subject, "text": "x"})
                self.assertEqual(code, 0, err)
                queued.append(out["message_id"])
            # The second mail's row cannot be claimed (a trigger stands for a row the database cannot hand out).
            db = sqlite3.connect(os.path.join(host.dir, "main.db"), isolation_level=None)
            db.execute("CREATE TRIGGER unclaimable BEFORE UPDATE OF state ON outbox"
                       f" WHEN NEW.state = 'sending' AND OLD.message_id = '{queued[1]}'"
                       " BEGIN SELECT RAISE(ABORT, 'row cannot be read'); END")
            db.close()
            code, report, err = host.call("mail.outbox.process", "anna", {"account": account["id"]})
            self.assertEqual(code, 0, err)
            self.assertEqual(report, {"sent": 1, "retrying": 0, "failed": 0}, err)
            _, listed, _ = host.call("mail.outbox.list", "anna", {"account": account["id"]})
            states = {e["message_id"]: e["state"] for e in listed["items"]}
            self.assertEqual(states, {queued[0]: "sent", queued[1]: "queued"})
            self.assertEqual(len([e for e in host_events(host, "mail.sent")]), 1)
        finally:
            host.cleanup()


class BackgroundSettingTest(unittest.TestCase):
    """erp.host.background is one yes/no setting for every background worker."""

    def test_background_false_keeps_the_outbox_worker_stopped_in_serve(self):
        host = Host(users=USERS, grants={"mail.use": "*"}, extra=(
            "[config]\nerp.host.background = false\nerpmail.outbox.poll_ms = 50\n"))
        try:
            account = submission_account(host, "Ohne Hintergrund")
            code, queued, err = host.call("mail.send", "anna", {
                "account": account["id"], "to": [TB["USER_BENCH"]], "subject": "Bleibt liegen", "text": "x"})
            self.assertEqual(code, 0, err)
            server = subprocess.Popen([ERPHOST, "--config", host.config, "serve"], stderr=subprocess.DEVNULL)
            time.sleep(3)  # sixty polls of a worker that should not exist
            server.send_signal(signal.SIGTERM)
            self.assertEqual(server.wait(timeout=60), 0)
            _, listed, _ = host.call("mail.outbox.list", "anna", {"account": account["id"]})
            states = {e["message_id"]: e["state"] for e in listed["items"]}
            self.assertEqual(states.get(queued["message_id"]), "queued")
        finally:
            host.cleanup()


if __name__ == "__main__":
    unittest.main()
