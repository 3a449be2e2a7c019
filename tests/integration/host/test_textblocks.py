"""Text blocks through erphost: stored per account, checked when saved,
filled from the reference host's documents as the acting user reads them."""

import email
import email.policy
import unittest
import uuid

from harness import Host, testbed, testbed_ca
from test_sending import imap_messages

USERS = {"anna": ("Anna Aebi", "sales", False), "ben": ("Ben Buchhalter", "sales", False),
         "hanna": ("Hanna Huber", "hr", False), "root": ("Admin", "", True)}

CATALOGUE = [
    {"name": "document.number", "description": "Rechnungsnummer", "type": "text", "example": "2026-0042"},
    {"name": "customer.name", "description": "Kunde", "type": "text", "example": "Muster AG"},
    {"name": "customer.salutation", "description": "Anrede", "type": "text", "example": "Sehr geehrter Herr Muster"},
    {"name": "invoice.total", "description": "Betrag", "type": "amount", "example": "1234.50"},
    {"name": "invoice.due_date", "description": "Fällig am", "type": "date", "example": "2026-12-26"},
]


class TextBlockTest(unittest.TestCase):
    def setUp(self):
        self.host = Host(users=USERS, grants={"mail.use": "*"}, document_readers={"payslip": "hr"},
                         extra="[config]\nerpmail.locale = de-CH\n")
        self.host.write_documents({
            "_variables": {"invoice": CATALOGUE, "reminder": CATALOGUE,
                           "offer": [v for v in CATALOGUE if not v["name"].startswith("invoice.")],
                           "payslip": [{"name": "employee.salary", "type": "amount", "example": "7000"}]},
            "invoice": {
                "2026-0042": {"file": "none.pdf", "variables": {
                    "document.number": "2026-0042", "customer.name": "Müller & Söhne AG",
                    "invoice.total": "1234.5", "invoice.due_date": "2026-11-26"}},
                "2026-0043": {"file": "none.pdf", "variables": {
                    "document.number": "2026-0043", "customer.name": "<script>alert(1)</script> GmbH",
                    "customer.salutation": "Sehr geehrte Frau Keller", "invoice.total": "99"}}},
            "payslip": {"11": {"file": "none.pdf", "variables": {"employee.salary": "7000"}}},
        })
        self.account = self.ok("mail.account.create", "anna", {"label": "Debitoren", "sender_email": "anna@example.ch"})
        self.public = self.ok("mail.account.create", "root", {"label": "Verkauf", "kind": "public"})

    def tearDown(self):
        self.host.cleanup()

    def ok(self, op, user, params):
        code, result, err = self.host.call(op, user, params)
        self.assertEqual(code, 0, (result, err))
        return result

    def refused(self, op, user, params):
        code, result, err = self.host.call(op, user, params)
        self.assertNotEqual(code, 0, result)
        return result["error"]

    def reminder(self, **fields):
        block = {"account": self.account["id"], "name": "Mahnung 1", "doctypes": ["invoice"],
                 "subject": "Zahlungserinnerung {{ document.number }}",
                 "text": "{{#if customer.salutation}}{{ customer.salutation }}{{else}}Sehr geehrte Damen und "
                         "Herren{{/if}}\n\nRechnung {{ document.number }} über {{ invoice.total | amount:\"CHF\" }} "
                         "war am {{ invoice.due_date | date }} fällig.\n{{ body }}",
                 "html": "<p>Guten Tag {{ customer.name }}</p><p>{{ invoice.total | amount:\"CHF\" }}</p>"}
        block.update(fields)
        return block

    def test_a_block_is_filled_from_an_invoice_with_swiss_formats_and_umlauts(self):
        block = self.ok("mail.textblock.create", "anna", self.reminder())
        self.assertEqual(block["warnings"], [])
        filled = self.ok("mail.textblock.render", "anna", {"id": block["id"], "doctype": "invoice",
                                                           "doc_id": "2026-0042", "text": "Freundliche Grüsse"})
        self.assertEqual(filled["subject"], "Zahlungserinnerung 2026-0042")
        self.assertEqual(filled["text"], "Sehr geehrte Damen und Herren\n\nRechnung 2026-0042 über CHF 1'234.50 war "
                                         "am 26.11.2026 fällig.\nFreundliche Grüsse")
        # ' is escaped too, since a value may stand in an attribute quoted with it.
        self.assertEqual(filled["html"], "<p>Guten Tag Müller &amp; Söhne AG</p><p>CHF 1&#39;234.50</p>")

    def test_hostile_values_are_escaped_in_html_and_kept_in_text(self):
        block = self.ok("mail.textblock.create", "anna", self.reminder(
            text="{{ customer.name }}", subject=None, name="Kurz", allow_empty=True))
        filled = self.ok("mail.textblock.render", "anna", {"id": block["id"], "doctype": "invoice", "doc_id": "2026-0043"})
        self.assertEqual(filled["html"], "<p>Guten Tag &lt;script&gt;alert(1)&lt;/script&gt; GmbH</p><p>CHF 99.00</p>")
        self.assertEqual(filled["text"], "<script>alert(1)</script> GmbH")

    def test_each_kind_of_broken_block_is_refused_on_save_with_its_position(self):
        cases = {
            "unknown variable": ("Hallo {{ customer.nmae }}", "customer.nmae", "line 1, column 7"),
            "unknown format": ("Total\n  {{ invoice.total | currency }}", "'currency'", "line 2, column 3"),
            "broken placeholder": ("Hallo {{ customer.name", "not closed", "line 1, column 7"),
            "unbalanced if": ("{{#if customer.salutation}}Hallo", "not closed with {{/if}}", "line 1, column 1"),
            "variable of another document type": ("{{ employee.salary }}", "employee.salary", "line 1, column 1"),
        }
        for kind, (text, names, position) in cases.items():
            with self.subTest(kind):
                error = self.refused("mail.textblock.create", "anna", self.reminder(text=text, name=kind))
                self.assertEqual((error["code"], error["field"]), ("invalid_params", "text"))
                self.assertIn(names, error["message"])
                self.assertIn(position, error["message"])
        listed = self.ok("mail.textblock.list", "anna", {"account": self.account["id"]})
        self.assertEqual(listed["items"], [])  # nothing broken was kept

    def test_check_reports_what_saving_would_refuse_with_its_position_and_saves_nothing(self):
        for text, position in (("Hallo {{ customer.nmae }}", "line 1, column 7"),
                               ("Total\n  {{ invoice.total | currency }}", "line 2, column 3")):
            with self.subTest(text):
                checked = self.ok("mail.textblock.check", "anna", {"name": "Mahnung 1", "text": text, "doctypes": ["invoice"]})
                refused = self.refused("mail.textblock.create", "anna", self.reminder(text=text))
                self.assertEqual((checked["ok"], checked["field"], checked["message"]),
                                 (False, refused["field"], refused["message"]))
                self.assertIn(position, checked["message"])
        good = self.ok("mail.textblock.check", "anna", {"text": self.reminder()["text"], "doctypes": ["invoice"]})
        self.assertEqual((good["ok"], good["warnings"]), (True, []))
        self.assertEqual(self.ok("mail.textblock.list", "anna", {"account": self.account["id"]})["items"], [])

    def test_an_offer_block_may_not_use_invoice_variables(self):
        error = self.refused("mail.textblock.create", "anna", self.reminder(doctypes=["offer"], html=None,
                                                                              text="{{ invoice.total }}"))
        self.assertIn("invoice.total", error["message"])

    def test_a_missing_value_names_the_variable_and_the_document_unless_a_default_covers_it(self):
        block = self.ok("mail.textblock.create", "anna", self.reminder())
        error = self.refused("mail.textblock.render", "anna", {"id": block["id"], "doctype": "invoice",
                                                               "doc_id": "2026-0043"})
        self.assertEqual(error["code"], "invalid_params")
        self.assertIn("invoice.due_date", error["message"])
        self.assertIn("invoice 2026-0043", error["message"])
        self.ok("mail.textblock.update", "anna", {"id": block["id"],
                                                  "text": "Fällig: {{ invoice.due_date | default:\"sofort\" }}"})
        filled = self.ok("mail.textblock.render", "anna", {"id": block["id"], "doctype": "invoice",
                                                           "doc_id": "2026-0043"})
        self.assertEqual(filled["text"], "Fällig: sofort")

    def test_a_clerk_cannot_change_another_users_personal_blocks_but_public_ones(self):
        block = self.ok("mail.textblock.create", "anna", self.reminder())
        error = self.refused("mail.textblock.update", "ben", {"id": block["id"], "text": "x"})
        self.assertEqual(error["code"], "not_found")  # ben does not even see anna's account
        self.refused("mail.textblock.create", "ben", self.reminder())
        self.ok("mail.textblock.update", "root", {"id": block["id"], "name": "Mahnung eins"})
        shared = self.ok("mail.textblock.create", "ben", self.reminder(account=self.public["id"]))
        self.ok("mail.textblock.update", "anna", {"id": shared["id"], "name": "Mahnung (Verkauf)"})
        self.ok("mail.textblock.delete", "anna", {"id": shared["id"]})

    def test_a_clerk_cannot_render_a_document_the_host_does_not_let_him_read(self):
        block = self.ok("mail.textblock.create", "anna", self.reminder(
            name="Lohn", doctypes=["payslip"], subject=None, html=None, text="{{ employee.salary | amount }}"))
        error = self.refused("mail.textblock.render", "anna", {"id": block["id"], "doctype": "payslip", "doc_id": "11"})
        self.assertEqual(error["code"], "forbidden")
        self.assertNotIn("7", error["message"].replace("payslip 11", ""))

    def test_one_signature_per_account_and_unique_names(self):
        self.ok("mail.textblock.create", "anna", self.reminder(name="Signatur", signature=True, subject=None,
                                                              doctypes=[], html=None, text="Anna Aebi"))
        error = self.refused("mail.textblock.create", "anna", self.reminder(name="Zweite", signature=True))
        self.assertEqual((error["code"], error["field"]), ("conflict", "signature"))
        error = self.refused("mail.textblock.create", "anna", self.reminder(name="Signatur"))
        self.assertEqual((error["code"], error["field"]), ("conflict", "name"))

    def test_variables_list_builtins_and_the_document_types_catalogue(self):
        listed = self.ok("mail.textblock.variables", "anna", {"doctype": "invoice"})
        names = {v["name"]: v for v in listed["items"]}
        self.assertTrue(listed["documents_listed"])
        for builtin in ("today", "user.name", "account.sender_email", "recipient.name"):
            self.assertIn(builtin, names)
        self.assertEqual((names["invoice.total"]["type"], names["invoice.total"]["example"]), ("amount", "1234.50"))
        self.assertNotIn("employee.salary", names)
        subject = self.refused("mail.textblock.create", "anna", self.reminder(subject="Zeile\nzwei"))
        self.assertEqual(subject["field"], "subject")

    def test_an_accounts_own_locale_formats_its_blocks_and_a_bad_one_is_refused(self):
        block = self.ok("mail.textblock.create", "anna", self.reminder(text="{{ invoice.total | amount:\"CHF\" }} "
                                                                           "{{ invoice.due_date | date }}"))
        render = {"id": block["id"], "doctype": "invoice", "doc_id": "2026-0042"}
        self.assertEqual(self.ok("mail.textblock.render", "anna", render)["text"], "CHF 1'234.50 26.11.2026")
        self.ok("mail.account.update", "anna", {"id": self.account["id"], "locale": "en-US"})
        self.assertEqual(self.ok("mail.account.get", "anna", {"id": self.account["id"]})["locale"], "en-US")
        self.assertEqual(self.ok("mail.textblock.render", "anna", render)["text"], "CHF 1,234.50 Nov 26, 2026")
        self.ok("mail.account.update", "anna", {"id": self.account["id"], "locale": "fr-CH"})
        self.assertEqual(self.ok("mail.textblock.render", "anna", render)["text"], "1'234.50 CHF 26 nov. 2026")
        self.ok("mail.account.update", "anna", {"id": self.account["id"], "locale": None})
        self.assertEqual(self.ok("mail.textblock.render", "anna", render)["text"], "CHF 1'234.50 26.11.2026")
        error = self.refused("mail.account.update", "anna", {"id": self.account["id"], "locale": "de CH; DROP"})
        self.assertEqual((error["code"], error["field"]), ("invalid_params", "locale"))
        self.assertIsNone(self.ok("mail.account.get", "anna", {"id": self.account["id"]})["locale"])

    def test_lines_the_user_wrote_keep_their_breaks_in_html(self):
        block = self.ok("mail.textblock.create", "anna", self.reminder(
            html="<p>{{ body }}</p>", text="{{ body }}", subject=None, name="Frei"))
        filled = self.ok("mail.textblock.render", "anna", {"id": block["id"], "doctype": "invoice",
                                                           "doc_id": "2026-0042",
                                                           "text": "Guten Tag\r\n<b>Frau</b> Keller\nGruss"})
        self.assertEqual(filled["html"], "<p>Guten Tag<br>&lt;b&gt;Frau&lt;/b&gt; Keller<br>Gruss</p>")
        self.assertEqual(filled["text"], "Guten Tag\r\n<b>Frau</b> Keller\nGruss")


class SendWithTextBlockTest(unittest.TestCase):
    """mail.send and mail.send.bulk with a text block, through the test bed's Postfix and Dovecot."""

    def setUp(self):
        self.tb = testbed()
        self.token = uuid.uuid4().hex[:10]
        self.host = Host(users=USERS, grants={"mail.use": "*"}, extra="[config]\nerpmail.locale = de-CH\n")
        self.documents = {"_variables": {"reminder": CATALOGUE, "invoice": CATALOGUE, "offer": CATALOGUE}, "reminder": {}}
        for i in range(300):
            variables = {"document.number": f"M-{self.token}-{i:03}", "customer.name": f"Kunde {i} Zürich",
                         "invoice.total": f"{1000 + i}.5", "invoice.due_date": "2026-11-26"}
            if i == 137:
                del variables["invoice.due_date"]
            self.documents["reminder"][f"M-{i:03}"] = {"file": "mahnung.pdf", "file_name": f"Mahnung {i}.pdf",
                                                       "variables": variables}
        self.host.write_documents(self.documents)
        with open(f"{self.host.dir}/mahnung.pdf", "wb") as f:
            f.write(b"%PDF-1.4\n% Mahnung\n" + b"x" * 2000 + b"\n%%EOF\n")
        code, account, err = self.host.call("mail.account.create", "anna", {
            "label": "Debitoren", "sender_name": "Anna Aebi", "sender_email": self.tb["USER_ALICE"],
            "always_signature": True, "signature": "Anna Aebi\nDebitorenbuchhaltung",
            "incoming": {"protocol": "imaps", "host": "localhost", "port": int(self.tb["IMAPS_PORT"]),
                         "user": self.tb["USER_ALICE"], "password": self.tb["PASS_ALICE"], "ca": testbed_ca()},
            "smtp": {"host": "localhost", "port": int(self.tb["SUBMISSION_PORT"]), "ca": testbed_ca()}})
        self.assertEqual(code, 0, (account, err))
        self.account = account["id"]
        code, self.block, err = self.host.call("mail.textblock.create", "anna", {
            "account": self.account, "name": "Mahnung", "doctypes": ["reminder"],
            "subject": "Zahlungserinnerung {{ document.number }} für {{ customer.name }}",
            "text": "Guten Tag {{ customer.name }}\n\n{{ invoice.total | amount:\"CHF\" }} waren am "
                    "{{ invoice.due_date | date }} fällig.\n{{ body }}",
            "html": "<p>{{ customer.name }}: {{ invoice.total | amount:\"CHF\" }}</p>"})
        self.assertEqual(code, 0, (self.block, err))

    def tearDown(self):
        self.host.cleanup()

    def arrived(self, count, needle=None):
        found = imap_messages(self.tb["USER_BENCH"], self.tb["PASS_BENCH"], needle or self.token, wait_for=count,
                              timeout=120)
        return [email.message_from_bytes(raw, policy=email.policy.default) for raw in found]

    def outbox(self):
        _, listed, _ = self.host.call("mail.outbox.list", "anna", {"account": self.account, "page_size": 500})
        return listed["items"]

    def test_a_reminder_from_a_block_arrives_filled_with_the_signature_once(self):
        code, queued, err = self.host.call("mail.send", "anna", {
            "account": self.account, "to": [self.tb["USER_BENCH"]], "textblock": "Mahnung",
            "documents": [{"doctype": "reminder", "id": "M-007"}], "text": "Freundliche Grüsse"})
        self.assertEqual(code, 0, (queued, err))
        self.host.call("mail.outbox.process", "anna", {"account": self.account})
        [mail] = self.arrived(1)
        self.assertEqual(mail["Subject"], f"Zahlungserinnerung M-{self.token}-007 für Kunde 7 Zürich")
        text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = mail.get_body(("html",)).get_content()
        self.assertIn("Guten Tag Kunde 7 Zürich\n\nCHF 1'007.50 waren am 26.11.2026 fällig.\nFreundliche Grüsse",
                      text)
        self.assertEqual(text.count("Debitorenbuchhaltung"), 1)
        self.assertEqual(html.count("Debitorenbuchhaltung"), 1)
        self.assertIn("CHF 1&#39;007.50", html)

    def test_signature_opted_out_and_a_signature_block_is_not_added_twice(self):
        self.host.call("mail.textblock.create", "anna", {"account": self.account, "name": "Signatur",
                                                       "signature": True, "text": "Anna Aebi, {{ account.label }}"})
        code, _, err = self.host.call("mail.send", "anna", {
            "account": self.account, "to": [self.tb["USER_BENCH"]], "subject": f"Ohne {self.token}",
            "text": "kurz", "signature": False})
        self.assertEqual(code, 0, err)
        code, _, err = self.host.call("mail.send", "anna", {
            "account": self.account, "to": [self.tb["USER_BENCH"]], "subject": f"Schon drin {self.token}",
            "text": "Gruss\nAnna Aebi, Debitoren"})
        self.assertEqual(code, 0, err)
        self.host.call("mail.outbox.process", "anna", {"account": self.account})
        mails = {m["Subject"]: m.get_body(("plain",)).get_content() for m in self.arrived(2)}
        self.assertNotIn("Anna Aebi", mails[f"Ohne {self.token}"])
        self.assertEqual(mails[f"Schon drin {self.token}"].count("Anna Aebi, Debitoren"), 1)

    def test_a_value_missing_at_send_time_queues_nothing_unless_a_default_covers_it(self):
        code, result, _ = self.host.call("mail.send", "anna", {
            "account": self.account, "to": [self.tb["USER_BENCH"]], "textblock": "Mahnung",
            "documents": [{"doctype": "reminder", "id": "M-137"}]})
        self.assertNotEqual(code, 0)
        self.assertIn("invoice.due_date", result["error"]["message"])
        self.assertIn("reminder M-137", result["error"]["message"])
        self.assertEqual(self.outbox(), [])
        self.host.call("mail.textblock.update", "anna", {"id": self.block["id"], "text":
                       "Fällig {{ invoice.due_date | date | default:\"sofort\" }}"})
        code, result, err = self.host.call("mail.send", "anna", {
            "account": self.account, "to": [self.tb["USER_BENCH"]], "textblock": self.block["id"],
            "documents": [{"doctype": "reminder", "id": "M-137"}]})
        self.assertEqual(code, 0, (result, err))

    def test_a_subject_the_clerk_gives_replaces_the_blocks_which_is_then_not_filled(self):
        self.host.call("mail.textblock.update", "anna", {"id": self.block["id"],
                                                       "subject": "Mahnung fällig {{ invoice.due_date | date }}"})
        code, result, _ = self.host.call("mail.send", "anna", {
            "account": self.account, "to": [self.tb["USER_BENCH"]], "textblock": "Mahnung",
            "documents": [{"doctype": "reminder", "id": "M-137"}]})
        self.assertNotEqual(code, 0)  # the block's subject needs the due date M-137 lacks
        self.host.call("mail.textblock.update", "anna", {"id": self.block["id"], "text": "Guten Tag"})
        code, result, err = self.host.call("mail.send", "anna", {
            "account": self.account, "to": [self.tb["USER_BENCH"]], "textblock": "Mahnung",
            "subject": f"Ihre Rechnung {self.token}", "documents": [{"doctype": "reminder", "id": "M-137"}]})
        self.assertEqual(code, 0, (result, err))
        self.host.call("mail.outbox.process", "anna", {"account": self.account})
        [mail] = self.arrived(1)
        self.assertEqual(mail["Subject"], f"Ihre Rechnung {self.token}")

    def test_bulk_300_reminders_one_missing_its_due_date(self):
        items = [{"doctype": "reminder", "id": f"M-{i:03}", "to": [self.tb["USER_BENCH"]]} for i in range(300)]
        code, result, err = self.host.call("mail.send.bulk", "anna", {
            "account": self.account, "textblock": "Mahnung", "attach_documents": True, "items": items})
        self.assertEqual(code, 0, (result, err))
        self.assertEqual((result["queued_count"], result["failed_count"]), (299, 1))
        [failed] = result["failed"]
        self.assertEqual((failed["id"], failed["code"]), ("M-137", "invalid_params"))
        self.assertIn("invoice.due_date", failed["message"])
        self.host.call("mail.outbox.process", "anna", {"account": self.account})
        mails = self.arrived(299)
        self.assertEqual(len(mails), 299)
        numbers = {m["Subject"].split()[1] for m in mails}
        self.assertEqual(len(numbers), 299)
        self.assertNotIn(f"M-{self.token}-137", numbers)
        attached = [p.get_filename() for p in mails[0].iter_attachments()]
        self.assertEqual(len(attached), 1)
        self.assertTrue(attached[0].startswith("Mahnung "))


if __name__ == "__main__":
    unittest.main()
