"""Text blocks through erphost: stored per account, checked when saved,
filled from the reference host's documents as the acting user reads them."""

import unittest

from harness import Host

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


if __name__ == "__main__":
    unittest.main()
