"""The console's dialogs and screens doing what a clerk and an admin do, in
headless Chromium against a real `erphost serve --http` on the test bed:
create and test an account through the dialog, send an invoice from a text
block and see it arrive in another account, the outbox's answer for a refused
recipient, and the sign-in limit."""

import base64
import email
import email.policy
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import uuid

from harness import imap_session
from test_certificates import make_certificates
from test_console import CA, PASSWORDS, TB, Console
from test_console_browser import SHOTS, ConsoleCase, needs_browser, run_browser_script

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CATALOGUE = [{"name": "document.number", "type": "text", "example": "2026-0042"},
             {"name": "customer.name", "type": "text", "example": "Muster AG"},
             {"name": "invoice.total", "type": "amount", "example": "100"}]
CUSTOMER = f"Müller & Söhne AG {uuid.uuid4().hex[:6]}"  # this run's: the test bed's mailboxes outlive it
SUBJECT = f"Rechnung 2026-0042 an {CUSTOMER}"


def imap_account(client, label, user, password, sender=None, smtp=False):
    params = {"label": label, "incoming": {
        "protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "folder": "INBOX",
        "user": user, "password": password, "ca": CA, "leave_on_server": {"mode": "forever"}}}
    if sender:
        params["sender_email"] = sender
    if smtp:
        params["smtp"] = {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "security": "starttls", "ca": CA}
    status, account = client.invoke("mail.account.create", params)
    assert status == 200, account
    return account["id"]


@needs_browser
class ConsoleFlowTest(ConsoleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        host = cls.console.host
        with open(os.path.join(host.dir, "rechnung-2026-0042.pdf"), "wb") as f:
            f.write(PDF)
        host.write_documents({
            "_variables": {"invoice": CATALOGUE},
            "invoice": {"2026-0042": {"file": "rechnung-2026-0042.pdf", "variables": {
                "document.number": "2026-0042", "customer.name": CUSTOMER, "invoice.total": "1234.5"}}}})

    def browser(self, name, *args):
        run_browser_script(self, name, self.url, *args)

    def test_an_account_created_and_tested_through_the_dialog_is_stored_as_entered(self):
        label = f"Dialog {uuid.uuid4().hex[:6]}"
        spec = {"label": label, "sender_name": "Dora Dialog", "sender_email": TB["USER_DAVE"],
                "user": TB["USER_DAVE"], "password": TB["PASS_DAVE"], "imaps_port": int(TB["IMAPS_PORT"]),
                "submission_port": int(TB["SUBMISSION_PORT"]), "ca_file": TB["TB_CA"], "folder": "INBOX"}
        self.browser("account-dialog.mjs", "ben", PASSWORDS["ben"], json.dumps(spec), SHOTS)
        accounts = self.console.host.call("mail.account.list", "ben")[1]["accounts"]
        [account] = [a for a in accounts if a["label"] == label]
        stored = self.console.host.call("mail.account.get", "ben", {"id": account["id"]})[1]
        self.assertEqual((stored["owner"], stored["sender_name"], stored["sender_email"]),
                         ("ben", "Dora Dialog", TB["USER_DAVE"]))
        self.assertEqual(stored["retention"], {"empty_trash_after_days": 30})
        incoming, smtp = stored["incoming"], stored["smtp"]
        self.assertEqual((incoming["protocol"], incoming["host"], incoming["port"], incoming["user"],
                          incoming["folder"], incoming["leave_on_server"], incoming["password_set"]),
                         ("imaps", "localhost", int(TB["IMAPS_PORT"]), TB["USER_DAVE"], "INBOX",
                          {"mode": "forever"}, True))
        self.assertEqual((smtp["host"], smtp["port"], smtp["security"], smtp["uses_incoming_credentials"]),
                         ("localhost", int(TB["SUBMISSION_PORT"]), "starttls", True))
        blocks = self.console.host.call("mail.textblock.list", "ben", {"account": account["id"]})[1]["items"]
        self.assertEqual([(b["name"], b["text"]) for b in blocks], [("Gruss", "Freundliche Grüsse\n{{ user.name }}")])
        # What the dialog's test showed is what the account does: it fetches.
        code, fetched, err = self.console.host.call("mail.fetch", "ben", {"account": account["id"]})
        self.assertEqual(code, 0, (fetched, err))

    def test_an_invoice_from_a_text_block_arrives_in_another_account_without_a_reload(self):
        anna = self.console.signed_in("anna")
        sender = imap_account(anna, "Anna Rechnungen", TB["USER_DAVE"], TB["PASS_DAVE"], TB["USER_DAVE"], smtp=True)
        status, block = anna.invoke("mail.textblock.create", {
            "account": sender, "name": "Rechnung", "doctypes": ["invoice"],
            "subject": "Rechnung {{ document.number }} an {{ customer.name }}",
            "text": "Guten Tag {{ customer.name }}\n\nBetrag: {{ invoice.total | amount:\"CHF\" }}\n{{ body }}"})
        self.assertEqual(status, 200, block)
        receiver = imap_account(self.console.signed_in("ben"), "Ben Eingang", TB["USER_CAROL"], TB["PASS_CAROL"])
        mark = uuid.uuid4().hex[:8]
        self.browser("compose-invoice.mjs", "anna", PASSWORDS["anna"], json.dumps({
            "account": sender, "to": TB["USER_CAROL"], "textblock": block["id"], "doc_id": "2026-0042",
            "text": f"Freundliche Grüsse {mark}", "preview_has": [SUBJECT, f"Guten Tag {CUSTOMER}"]}))
        code, processed, err = self.console.host.call("mail.outbox.process", "anna", {})
        self.assertEqual(code, 0, (processed, err))
        outbox = self.console.host.call("mail.outbox.list", "anna", {})[1]["items"]
        [sent] = [o for o in outbox if o["subject"] == SUBJECT and o["account"] == sender]
        self.assertEqual(sent["state"], "sent", sent)
        # The bytes that arrived, read straight from Dovecot and parsed by Python's email package.
        imap = imap_session(TB["USER_CAROL"], TB["PASS_CAROL"])
        try:
            imap.select("INBOX")
            _, found = imap.search(None, "BODY", mark)
            [number] = found[0].split()
            _, data = imap.fetch(number, "(RFC822)")
        finally:
            imap.logout()
        arrived = email.message_from_bytes(data[0][1], policy=email.policy.default)
        self.assertEqual(arrived["Subject"], SUBJECT)
        self.assertEqual(arrived["From"].addresses[0].addr_spec, TB["USER_DAVE"])
        body = arrived.get_body(("plain",)).get_content()
        self.assertIn(f"Guten Tag {CUSTOMER}", body)
        self.assertIn("CHF 1'234.50", body)
        self.assertIn(f"Freundliche Grüsse {mark}", body)
        [pdf] = list(arrived.iter_attachments())
        self.assertEqual((pdf.get_filename(), pdf.get_content()), ("rechnung-2026-0042.pdf", PDF))
        self.browser("live-arrival.mjs", "ben", PASSWORDS["ben"], receiver, SUBJECT,
                     f"Freundliche Grüsse {mark}", "rechnung-2026-0042.pdf")
        status = self.console.host.call("mail.account.status", "ben", {"id": receiver})[1]
        self.assertIsNotNone(status["fetch"]["last_success_ms"], status)
        self.browser("health.mjs", "ben", PASSWORDS["ben"], receiver, SUBJECT)

    def test_the_outbox_shows_the_servers_answer_for_a_refused_recipient(self):
        anna = self.console.signed_in("anna")
        sender = imap_account(anna, "Anna Ausgang", TB["USER_DAVE"], TB["PASS_DAVE"], TB["USER_DAVE"], smtp=True)
        subject = f"Abgewiesen {uuid.uuid4().hex[:6]}"
        status, queued = anna.invoke("mail.send", {"account": sender, "to": [TB["RECIPIENT_REFUSED"]],
                                                   "subject": subject, "text": "Hallo"})
        self.assertEqual(status, 200, queued)
        self.assertEqual(self.console.host.call("mail.outbox.process", "anna", {})[0], 0)
        self.browser("outbox-answer.mjs", "anna", PASSWORDS["anna"], subject, "550 5\\.1\\.1 .*mailbox closed for good")

    def test_a_signing_certificate_is_imported_and_chosen_in_the_security_tab(self):
        files = tempfile.mkdtemp(prefix="erpmail-console-certs.")
        self.addCleanup(shutil.rmtree, files, ignore_errors=True)
        make_certificates(files)
        anna = self.console.signed_in("anna")
        status, account = anna.invoke("mail.account.create", {"label": "Anna signiert", "sender_email": "anna@example.ch"})
        self.assertEqual(status, 200, account)
        self.browser("security-tab.mjs", "anna", PASSWORDS["anna"], account["id"], os.path.join(files, "anna.p12"),
                     "Gr\u00fcezi-2026", SHOTS)
        listed = self.console.host.call("mail.certificate.list", "anna", {"store": "personal"})[1]["items"]
        self.assertEqual(len(listed), 1, listed)  # the wrong password stored nothing
        chosen = self.console.host.call("mail.certificate.select", "anna", {"account": account["id"]})[1]
        self.assertTrue(chosen["always_sign"], chosen)
        self.assertEqual(chosen["signing"]["fingerprint_sha256"], listed[0]["fingerprint_sha256"])

    def test_a_mail_moved_by_drag_and_drop_comes_back_with_undo(self):
        anna = self.console.signed_in("anna")
        first = imap_account(anna, "Anna Ablage", TB["USER_ERIN"], TB["PASS_ERIN"])
        second = imap_account(anna, "Anna Zweitablage", TB["USER_ERIN"], TB["PASS_ERIN"])
        subject = f"Zurück {uuid.uuid4().hex[:6]}"
        raw = f"From: kunde@example.org\r\nTo: anna@example.org\r\nSubject: {subject}\r\nMessage-ID: <{subject[7:]}@example.org>\r\n\r\nHallo\r\n"
        status, _ = anna.invoke("mail.message.import", {"account": first, "raw_base64": base64.b64encode(raw.encode()).decode()})
        self.assertEqual(status, 200)
        self.browser("drag-undo.mjs", "anna", PASSWORDS["anna"], first, second, subject)
        subjects = {a: [m["subject"] for m in self.console.host.call("mail.message.list", "anna", {"account": a})[1]["items"]]
                    for a in (first, second)}
        self.assertEqual((subject in subjects[first], subject in subjects[second]), (True, False), subjects)

    def test_the_reader_shows_a_signed_mails_verdict_and_signer(self):
        files = tempfile.mkdtemp(prefix="erpmail-console-signed.")
        self.addCleanup(shutil.rmtree, files, ignore_errors=True)
        make_certificates(files)
        with open(os.path.join(files, "ca.pem"), encoding="ascii") as f:
            status, _ = self.console.signed_in("root").invoke("mail.certificate.import", {"store": "plugin", "pem": f.read()})
        self.assertEqual(status, 200)
        entity = b"Content-Type: text/plain; charset=utf-8\r\n\r\nAnbei die Offerte.\r\n"
        signed = subprocess.run(["openssl", "cms", "-sign", "-signer", "anna.pem", "-inkey", "anna.key", "-md", "sha256"],
                                cwd=files, input=entity, capture_output=True, check=True).stdout
        subject = f"Signierte Offerte {uuid.uuid4().hex[:6]}"
        raw = (f"From: Anna <anna@example.ch>\r\nTo: ben@example.org\r\nSubject: {subject}\r\n"
               "Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n").encode() + signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        ben = self.console.signed_in("ben")
        account = imap_account(ben, "Ben Signiert", TB["USER_ERIN"], TB["PASS_ERIN"])
        status, imported = ben.invoke("mail.message.import", {"account": account, "raw_base64": base64.b64encode(raw).decode()})
        self.assertEqual(status, 200, imported)
        self.browser("signed-mail.mjs", "ben", PASSWORDS["ben"], account, subject, "valid", "anna@example.ch")


@needs_browser
class ConsoleSignInLimitBrowserTest(unittest.TestCase):
    def setUp(self):
        self.console = Console("signin_attempts = 3\nsignin_window_seconds = 60\n")
        self.addCleanup(self.console.close)

    def test_the_sign_in_screen_holds_back_even_the_right_password_after_three_wrong_ones(self):
        run_browser_script(self, "rate-limit.mjs", f"http://127.0.0.1:{self.console.port}/plugins/erpmail/",
                           "anna", PASSWORDS["anna"], "3")


if __name__ == "__main__":
    unittest.main()
