"""Accounts and the messages they hold, through erphost, on SQLite and on
PostgreSQL: every setting, who may see and change what, the main account,
auto-offline, moving messages between databases, deleting."""
import base64
import json
import os
import signal
import sqlite3
import subprocess
import time
import unittest
import uuid
from email.message import EmailMessage
from email import policy
import email

from harness import ERPHOST, Host, PrivateCluster, pg_database

USERS = {
    "olga": ("Olga Owner", "sales", False),      # owns the accounts
    "root": ("Rita Root", "", True),             # admin
    "vera": ("Vera Visible", "sales", False),    # the personal account is made visible to her
    "gina": ("Gina Groupmate", "sales", False),  # in the selected group, not in the visible list
    "stan": ("Stan Stranger", "warehouse", False),
}
ROLES = ["olga", "root", "vera", "gina", "stan"]
PDF = bytes(range(256)) * 64 + "Ende ✓".encode()


def eml(subject, attachment=None, sender="Müller & Söhne <info@mueller.example>"):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "olga@erpmail.test"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@mueller.example>"
    msg.set_content("Grüezi\nAnbei die Rechnung.\n")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="Rechnung Müller 2026.pdf")
    return base64.b64encode(msg.as_bytes()).decode()


class AccountCases:
    """The cases; each subclass names the backend its databases live on."""

    backend = "sqlite"

    def databases(self):
        if self.backend == "postgresql":
            return {"main": (pg_database("sys"), True), "second": (pg_database("acc"), False)}
        return {"main": ("Driver=SQLite3;Database={dir}/main.db", True),
                "second": ("Driver=SQLite3;Database={dir}/second.db", False)}

    def setUp(self):
        self.host = Host(databases=self.databases(), users=USERS, grants={"mail.use": "*"})

    def tearDown(self):
        self.host.cleanup()

    # -- helpers ---------------------------------------------------------------------------------

    def ok(self, op, user, params=None):
        code, result, err = self.host.call(op, user, params)
        self.assertEqual(code, 0, f"{op} as {user}: {result} {err}")
        return result

    def fails(self, op, user, params, code, field=None):
        status, result, err = self.host.call(op, user, params)
        self.assertEqual(status, 1, f"{op} as {user} should fail: {result}")
        self.assertEqual(result["error"]["code"], code, result)
        if field is not None:
            self.assertEqual(result["error"].get("field"), field, result)
        return result["error"]

    def make_accounts(self):
        personal = self.ok("mail.account.create", "olga", {
            "label": "Olga privat", "kind": "personal", "sender_email": "olga@erpmail.test",
            "visibility": {"group": "sales", "users": ["vera"]}})
        public = self.ok("mail.account.create", "olga", {"label": "Verkauf", "kind": "public"})
        return personal["id"], public["id"]

    def import_message(self, account, subject="Rechnung 42", attachment=PDF, user="olga"):
        return self.ok("mail.message.import", user, {"account": account, "raw_base64": eml(subject, attachment)})["id"]

    # -- settings ----------------------------------------------------------------------------------

    def test_create_get_and_update_every_setting(self):
        created = self.ok("mail.account.create", "olga", {
            "label": "Buchhaltung", "kind": "public", "sender_name": "Müller & Söhne AG",
            "sender_email": "buchhaltung@erpmail.test", "e_printing": True, "always_signature": True,
            "signature": "Freundliche Grüsse\nMüller & Söhne", "contacts_sync": True,
            "retention": {"empty_trash_after_days": 30, "attachments_larger_than_kb": 500,
                          "attachments_after_days": 90, "delete_messages_after_months": 120},
            "visibility": {"group": "*", "users": []},
            "incoming": {"protocol": "imap", "host": "imap.example.com", "user": "buha", "password": "In-Pw-1",
                         "leave_on_server": {"mode": "days", "days": 14}},
            "smtp": {"host": "smtp.example.com"}})
        got = self.ok("mail.account.get", "stan", {"id": created["id"]})
        self.assertEqual(got, created | {"can_change": True, "main": False})  # main: the caller's own only
        self.assertEqual(got["incoming"], {"protocol": "imap", "host": "imap.example.com", "port": 143,
                                           "security": "starttls", "folder": "INBOX", "user": "buha",
                                           "leave_on_server": {"mode": "days", "days": 14}, "password_set": True,
                                           "auth": "password"})
        self.assertEqual(got["smtp"], {"host": "smtp.example.com", "port": 587, "security": "starttls",
                                       "requires_password": True, "password_set": False,
                                       "uses_incoming_credentials": True})
        self.assertNotIn("In-Pw-1", json.dumps(got))

        # Defaults follow the protocol; partial updates keep the rest.
        updated = self.ok("mail.account.update", "olga", {
            "id": created["id"], "incoming": {"protocol": "pop3s"},
            "smtp": {"security": "tls", "user": "smtp-user", "password": "Smtp-Pw-2"}})
        self.assertEqual(updated["incoming"]["port"], 995)
        self.assertEqual(updated["incoming"]["security"], "tls")
        self.assertNotIn("folder", updated["incoming"])
        self.assertFalse(updated["incoming"]["password_set"])  # given for another server: cleared
        self.assertEqual(updated["secrets_cleared"], ["incoming.password"])
        self.assertEqual(updated["smtp"]["port"], 465)
        self.assertFalse(updated["smtp"]["uses_incoming_credentials"])
        self.assertTrue(updated["smtp"]["password_set"])
        self.assertEqual(updated["label"], "Buchhaltung")
        cleared = self.ok("mail.account.update", "olga", {"id": created["id"], "incoming": {"password": None},
                                                          "sender_name": None})
        self.assertFalse(cleared["incoming"]["password_set"])
        self.assertIsNone(cleared["sender_name"])

    def test_passwords_are_sealed_at_rest_and_never_returned(self):
        account = self.ok("mail.account.create", "olga", {
            "label": "Geheim", "incoming": {"protocol": "imaps", "host": "mail.example", "user": "o",
                                            "password": "Unique-Secret-7391"}})
        key = os.path.join(self.host.data, "erpmail-secrets.key")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        self.assertEqual(os.path.getsize(key), 32)
        code, out, err = self.host.run("call", "mail.account.list", "--as", "olga", "--json", "{}")
        self.assertNotIn("Unique-Secret-7391", out + err)
        if self.backend == "sqlite":
            with open(os.path.join(self.host.dir, "main.db"), "rb") as f:
                self.assertNotIn(b"Unique-Secret-7391", f.read())
        self.assertTrue(self.ok("mail.account.get", "olga", {"id": account["id"]})["incoming"]["password_set"])

    def test_hostile_values_round_trip_byte_for_byte(self):
        label = "'; DROP TABLE accounts;-- \"x\" \\ ü 😀"
        name = "Müller \"&\" Söhne; DROP TABLE x;--"
        created = self.ok("mail.account.create", "olga", {"label": label, "sender_name": name,
                                                          "signature": "a\r\nb\n\tc"})
        got = self.ok("mail.account.get", "olga", {"id": created["id"]})
        self.assertEqual((got["label"], got["sender_name"], got["signature"]), (label, name, "a\r\nb\n\tc"))
        self.assertEqual(len(self.ok("mail.account.list", "olga")["accounts"]), 1)

    def test_every_invalid_input_names_its_field(self):
        cases = [
            ({"sender_name": "x"}, "label"),
            ({"label": "x", "owner": ""}, "owner"),
            ({"label": "x", "sender_email": "not-an-address"}, "sender_email"),
            ({"label": "x", "sender_email": "a@b@c.example"}, "sender_email"),
            ({"label": "x", "database": "nowhere"}, "database"),
            ({"label": "x", "retention": {"empty_trash_after_days": -1}}, "retention.empty_trash_after_days"),
            ({"label": "x", "retention": {"delete_messages_after_months": 99999}},
             "retention.delete_messages_after_months"),
            ({"label": "x", "retention": {"attachments_larger_than_kb": 100}}, "retention.attachments_after_days"),
            ({"label": "x", "visibility": {"users": ["vera", "ghost"]}}, "visibility.users[1]"),
            ({"label": "x", "visibility": {"group": "no-such-group"}}, "visibility.group"),
            ({"label": "Büro\r\nBcc: all@example.com"}, "label"),
            ({"label": "x", "sender_name": "Anna\nBcc: x@example.com"}, "sender_name"),
            ({"label": "x", "kind": "personal", "e_printing": True}, "e_printing"),
            ({"label": "x", "kind": "shared"}, "kind"),
            ({"label": "x", "incoming": {"protocol": "imap", "host": "h", "security": "none"}}, "incoming.security"),
            ({"label": "x", "incoming": {"protocol": "imap"}}, "incoming.host"),
            ({"label": "x", "incoming": {"protocol": "pop3", "host": "h", "port": 70000}}, "incoming.port"),
            ({"label": "x", "smtp": {"host": "h", "security": "none"}}, "smtp.security"),
            ({"label": "x", "surprise": 1}, "surprise"),
        ]
        for params, field in cases:
            with self.subTest(field=field, params=params):
                error = self.fails("mail.account.create", "olga", params, "invalid_params", field)
                self.assertTrue(error["message"])
        self.assertEqual(self.ok("mail.account.list", "olga")["accounts"], [])
        self.fails("mail.account.create", "root", {"label": "x", "owner": "nobody"}, "invalid_params", "owner")
        self.fails("mail.account.create", "olga", {"label": "x", "owner": "vera"}, "forbidden", "owner")

    def test_crlf_or_nul_in_credentials_and_names_cannot_inject_commands(self):
        pop3 = {"protocol": "pop3", "host": "localhost", "user": "anna"}
        oauth = {"protocol": "imaps", "host": "localhost", "user": "anna", "auth": "oauth2",
                 "oauth2": {"token_url": "https://localhost/token", "client_id": "erp"}}
        cases = [
            # The POP3 password that made the server run DELE 1 before QUIT.
            ({"incoming": dict(pop3, password="pw\r\nDELE 1\r\nQUIT")}, "incoming.password"),
            ({"incoming": dict(pop3, password="pw\u0000")}, "incoming.password"),
            ({"incoming": dict(pop3, user="anna\r\nDELE 1")}, "incoming.user"),
            ({"incoming": dict(pop3, user="anna\u0000root")}, "incoming.user"),
            ({"incoming": dict(pop3, host="localhost\r\n")}, "incoming.host"),
            ({"incoming": dict(pop3, host="local\u0000host")}, "incoming.host"),
            ({"incoming": {"protocol": "imap", "host": "localhost", "folder": "INBOX\r\nA1 DELETE INBOX"}},
             "incoming.folder"),
            ({"incoming": dict(oauth, oauth2=dict(oauth["oauth2"], refresh_token="tok\nen"))},
             "incoming.oauth2.refresh_token"),
            ({"incoming": dict(oauth, oauth2=dict(oauth["oauth2"], client_secret="s\u0000")) },
             "incoming.oauth2.client_secret"),
            ({"incoming": dict(oauth, oauth2=dict(oauth["oauth2"], client_id="erp\r\n"))},
             "incoming.oauth2.client_id"),
            ({"smtp": {"host": "localhost", "user": "anna", "password": "x\r\nRSET"}}, "smtp.password"),
            ({"smtp": {"host": "localhost", "user": "anna\nMAIL FROM:<x@y.example>"}}, "smtp.user"),
        ]
        account = self.ok("mail.account.create", "olga", {"label": "Sauber", "kind": "public"})["id"]
        for params, field in cases:
            with self.subTest(field=field, params=params):
                self.fails("mail.account.create", "olga", dict(params, label="x"), "invalid_params", field)
                self.fails("mail.account.update", "vera", dict(params, id=account), "invalid_params", field)
        got = self.ok("mail.account.get", "olga", {"id": account})
        self.assertIsNone(got["incoming"])
        self.assertIsNone(got["smtp"])
        self.assertEqual([a["id"] for a in self.ok("mail.account.list", "olga")["accounts"]], [account])

    # -- who may do what -------------------------------------------------------------------------------

    def test_permission_matrix(self):
        personal, public = self.make_accounts()
        target_by = {}  # a move target every user may see: a public account of their own
        for user in ROLES:
            target_by[user] = self.ok("mail.account.create", user, {"label": f"Ziel {user}", "kind": "public"})["id"]
        # The README's permission table: a viewer of a personal account reads its mail, and no more.
        expect = {
            "personal": {"see": {"olga", "root", "vera"}, "send": {"olga", "root"}, "delete": {"olga", "root"},
                         "change": {"olga", "root"}, "own": {"olga", "root"}},
            "public": {"see": set(ROLES), "send": set(ROLES), "delete": {"olga", "root"},
                       "change": set(ROLES), "own": {"olga", "root"}},
        }
        for account_id in (personal, public):
            # Nothing listens on port 9: mail is only queued, never delivered, in this test.
            self.ok("mail.account.update", "olga", {"id": account_id, "sender_email": "olga@erpmail.test",
                                                    "smtp": {"host": "localhost", "port": 9, "security": "tls",
                                                             "requires_password": False}})
        missing = str(uuid.uuid4())
        for kind, account_id in (("personal", personal), ("public", public)):
            rules = expect[kind]
            for user in ROLES:
                ctx = f"{kind} account, {user}"

                def check(op, params, allowed, verify=None):
                    with self.subTest(op=op, cell=ctx):
                        if user in allowed:
                            result = self.ok(op, user, params)
                            if verify:
                                verify(result)
                        else:
                            error = self.fails(op, user, params, "forbidden")
                            if user not in rules["see"]:
                                # Hidden accounts answer exactly as missing ones: nothing leaks.
                                probe = json.loads(json.dumps(params).replace(account_id, missing))
                                _, other, _ = self.host.call(op, user, probe)
                                self.assertEqual(error["message"].replace(account_id, "?"),
                                                 other["error"]["message"].replace(missing, "?"), op)

                listed = {a["id"] for a in self.ok("mail.account.list", user)["accounts"]}
                with self.subTest(op="mail.account.list", cell=ctx):
                    self.assertEqual(account_id in listed, user in rules["see"])
                check("mail.account.get", {"id": account_id}, rules["see"],
                      lambda r: self.assertEqual(r["can_change"], user in rules["change"]))
                check("mail.account.update", {"id": account_id, "label": f"{kind} by {user}"}, rules["change"],
                      lambda r: self.assertEqual(r["label"], f"{kind} by {user}"))
                check("mail.account.set_online", {"id": account_id, "online": True}, rules["own"])
                message = self.import_message(account_id, f"{kind} {user}")
                check("mail.message.list", {"account": account_id}, rules["see"],
                      lambda r: self.assertIn(message, [m["id"] for m in r["items"]]))
                check("mail.message.get", {"account": account_id, "id": message}, rules["see"],
                      lambda r: self.assertEqual(r["subject"], f"{kind} {user}"))
                check("mail.message.attachment", {"account": account_id, "id": message, "index": 1}, rules["see"],
                      lambda r: self.assertEqual(base64.b64decode(r["content_base64"]), PDF))
                check("mail.message.archive", {"account": account_id, "ids": [message]}, rules["see"],
                      lambda r: self.assertEqual(r["changed"], 1))
                check("mail.message.unarchive", {"account": account_id, "ids": [message]}, rules["see"],
                      lambda r: self.assertEqual(r["changed"], 1))
                check("mail.message.trash", {"account": account_id, "ids": [message]}, rules["see"],
                      lambda r: self.assertEqual(r["changed"], 1))
                check("mail.message.import", {"account": account_id, "raw_base64": eml("x")}, rules["see"])
                check("mail.message.move", {"account": account_id, "ids": [message], "to_account": target_by[user]},
                      rules["see"], lambda r: self.assertEqual(r["moved"], 1))
                other = self.import_message(account_id, "to delete")
                check("mail.message.delete", {"account": account_id, "ids": [other]}, rules["delete"],
                      lambda r: self.assertEqual(r["deleted"], 1))
                check("mail.send", {"account": account_id, "to": ["kunde@kunde.example"], "subject": f"von {user}",
                                    "text": "Grüezi"}, rules["send"], lambda r: self.assertEqual(r["status"], "queued"))
                queued = self.ok("mail.send", "olga", {"account": account_id, "to": ["kunde@kunde.example"],
                                                       "subject": "zu stornieren", "text": "x"})["id"]
                check("mail.outbox.cancel", {"account": account_id, "id": queued}, rules["send"],
                      lambda r: self.assertEqual(r["state"], "cancelled"))
                if user not in rules["send"]:
                    self.ok("mail.outbox.cancel", "olga", {"account": account_id, "id": queued})
                check("mail.outbox.retry", {"account": account_id, "id": queued}, rules["send"],
                      lambda r: self.assertEqual(r["state"], "queued"))
                check("mail.outbox.list", {"account": account_id}, rules["see"],
                      lambda r: self.assertIn(queued, [e["id"] for e in r["items"]]))
                check("mail.account.update", {"id": account_id, "smtp": {"host": "localhost", "port": 9,
                                                                         "security": "tls"}},
                      rules["change"])
                check("mail.account.test", {"id": account_id}, rules["change"],
                      lambda r: self.assertFalse(r["smtp"]["ok"]))
                check("mail.address.upsert", {"account": account_id, "email": f"{user}@kunde.example", "name": "K"},
                      rules["see"])
                check("mail.address.list", {"account": account_id}, rules["see"],
                      lambda r: self.assertIn("info@mueller.example", [a["email"] for a in r["items"]]))
                check("mail.address.delete", {"account": account_id, "email": "info@mueller.example"}, rules["see"])

                # Destructive operations, each on a fresh account of the same kind.
                fresh = self.ok("mail.account.create", "olga", {
                    "label": f"fresh {kind} {user}", "kind": kind, "visibility": {"group": "sales", "users": ["vera"]}
                })["id"]
                check("mail.account.set_owner", {"id": fresh, "owner": "stan"}, rules["own"],
                      lambda r: self.assertEqual(r["owner"], "stan"))
                fresh = self.ok("mail.account.create", "olga", {
                    "label": f"fresh {kind} {user} 2", "kind": kind, "visibility": {"users": ["vera"]}})["id"]
                check("mail.account.delete", {"id": fresh, "confirm": True}, rules["own"],
                      lambda r: self.assertTrue(r["deleted"]))
                if kind == "public" and user not in rules["own"]:
                    with self.subTest(op="kind change", cell=ctx):
                        self.fails("mail.account.update", user, {"id": account_id, "kind": "personal"}, "forbidden",
                                   "kind")

    def test_the_main_account_is_the_first_label_alphabetically(self):
        for label in ["zebra", "Äpfel", "apfel", "Banana", "Beta", "alpha"]:
            self.ok("mail.account.create", "olga", {"label": label})
        self.ok("mail.account.create", "root", {"label": "aaa other owner", "owner": "vera"})
        # Byte order would pick "Banana"; people read "alpha" first (case and accents ignored).
        accounts = self.ok("mail.account.list", "olga")["accounts"]
        self.assertEqual([a["label"] for a in accounts], ["alpha", "apfel", "Äpfel", "Banana", "Beta", "zebra"])
        self.assertEqual([a["label"] for a in accounts if a["main"]], ["alpha"])
        main = self.ok("mail.account.main", "olga")["account"]
        self.assertEqual(main["label"], "alpha")
        self.assertEqual(self.ok("mail.account.main", "root", {"user": "vera"})["account"]["label"],
                         "aaa other owner")
        self.fails("mail.account.main", "olga", {"user": "vera"}, "forbidden", "user")
        self.assertIsNone(self.ok("mail.account.main", "stan")["account"])

    def test_visibility_candidates_narrow_by_group(self):
        users = self.ok("mail.account.visibility_candidates", "olga", {"group": "sales"})["users"]
        self.assertEqual(sorted(u["id"] for u in users), ["gina", "olga", "vera"])
        self.assertEqual(len(self.ok("mail.account.visibility_candidates", "olga")["users"]), 5)
        self.fails("mail.account.visibility_candidates", "olga", {"group": "nope"}, "invalid_params", "group")

    # -- messages ------------------------------------------------------------------------------------

    def test_messages_list_paged_newest_first_and_by_state(self):
        personal, public = self.make_accounts()
        ids = [self.import_message(personal, f"Nr {i}", None) for i in range(7)]
        page1 = self.ok("mail.message.list", "olga", {"account": personal, "page_size": 3})
        self.assertEqual(page1["total"], 7)
        self.assertEqual([m["id"] for m in page1["items"]], ids[::-1][:3])
        page3 = self.ok("mail.message.list", "olga", {"account": personal, "page_size": 3, "page": 3})
        self.assertEqual([m["id"] for m in page3["items"]], [ids[0]])
        self.ok("mail.message.archive", "olga", {"account": personal, "ids": ids[:2]})
        self.assertEqual(self.ok("mail.message.list", "olga", {"account": personal})["total"], 5)
        archived = self.ok("mail.message.list", "olga", {"account": personal, "state": "archived"})
        self.assertEqual(sorted(m["id"] for m in archived["items"]), ids[:2])
        self.assertTrue(all(m["personal"] for m in archived["items"]))
        # Across all accounts the user sees.
        pub = self.import_message(public, "öffentlich", None)
        everything = self.ok("mail.message.list", "vera")
        self.assertEqual(everything["total"], 6)
        self.assertEqual(everything["items"][0]["id"], pub)
        self.assertFalse(everything["items"][0]["personal"])
        self.assertEqual(self.ok("mail.message.list", "stan")["total"], 1)

    def test_messages_list_without_total_answers_the_same_page(self):
        personal, public = self.make_accounts()
        ids = [self.import_message(personal, f"Nr {i}", PDF if i == 3 else None) for i in range(5)]
        self.import_message(public, "öffentlich", None)
        # One account, a later page, and every account the user sees (vera: both).
        for user, params in (("olga", {"account": personal, "page_size": 2, "page": 2}),
                             ("olga", {"account": personal}), ("vera", {})):
            with self.subTest(user=user, params=params):
                counted = self.ok("mail.message.list", user, params)
                uncounted = self.ok("mail.message.list", user, {**params, "total": False})
                self.assertIsNone(uncounted["total"])
                self.assertTrue(uncounted["items"])
                self.assertEqual(uncounted["items"], counted["items"])
                self.assertEqual({k: v for k, v in uncounted.items() if k != "total"},
                                 {k: v for k, v in counted.items() if k != "total"})
        # The default, and total true, still count.
        self.assertEqual(self.ok("mail.message.list", "olga", {"account": personal})["total"], 5)
        self.assertEqual(self.ok("mail.message.list", "olga", {"account": personal, "total": True})["total"], 5)
        self.assertEqual(self.ok("mail.message.list", "vera")["total"], 6)
        page = self.ok("mail.message.list", "olga", {"account": personal, "page_size": 2, "total": False})
        self.assertEqual([m["id"] for m in page["items"]], ids[::-1][:2])
        self.fails("mail.message.list", "olga", {"account": personal, "total": "no"}, "invalid_params", "total")

    def test_messages_list_merges_databases_newest_first(self):
        here = self.ok("mail.account.create", "olga", {"label": "Hier", "database": "main"})["id"]
        there = self.ok("mail.account.create", "olga", {"label": "Dort", "database": "second"})["id"]
        # Imported in turn into either database, so that a merge without sorting would show them grouped.
        ids = {(account, self.import_message(account, f"Nr {i}", None))
               for i, account in enumerate([here, there] * 3)}
        listing = self.ok("mail.message.list", "olga", {"page_size": 200})
        self.assertEqual({(m["account"], m["id"]) for m in listing["items"] if m["account"] in (here, there)}, ids)
        order = [(m["received_at_ms"], m["id"]) for m in listing["items"]]
        self.assertEqual(order, sorted(order, reverse=True))
        uncounted = self.ok("mail.message.list", "olga", {"page_size": 200, "total": False})
        self.assertEqual(uncounted["items"], listing["items"])

    def test_get_returns_decoded_headers_text_and_attachments(self):
        personal, _ = self.make_accounts()
        message = self.import_message(personal, "Mahnung für März ✓")
        got = self.ok("mail.message.get", "vera", {"account": personal, "id": message})
        self.assertEqual(got["subject"], "Mahnung für März ✓")
        self.assertEqual(got["from"], "Müller & Söhne <info@mueller.example>")
        self.assertEqual(got["text"].replace("\r\n", "\n"), "Grüezi\nAnbei die Rechnung.\n")
        self.assertEqual(got["attachments"], [{"index": 1, "file_name": "Rechnung Müller 2026.pdf",
                                               "original_file_name": "Rechnung Müller 2026.pdf",
                                               "content_type": "application/pdf", "size": len(PDF),
                                               "removed": False}])
        part = self.ok("mail.message.attachment", "vera", {"account": personal, "id": message, "index": 1})
        self.assertEqual(base64.b64decode(part["content_base64"]), PDF)
        self.fails("mail.message.get", "olga", {"account": personal, "id": 999999}, "not_found", "id")
        self.fails("mail.message.attachment", "olga", {"account": personal, "id": message, "index": 2}, "not_found")

    def test_a_listed_message_says_what_getting_it_says(self):
        # The list writes its items itself; they must stay the summary that mail.message.get starts with.
        account = self.ok("mail.account.create", "olga", {"label": "Liste"})["id"]
        message = self.import_message(account, "Rechnung für Müller \"42\" <b>")
        [item] = self.ok("mail.message.list", "olga", {"account": account})["items"]
        got = self.ok("mail.message.get", "olga", {"account": account, "id": message})
        self.assertEqual(item["attachments"], len(got["attachments"]))
        self.assertEqual({k: v for k, v in item.items() if k != "attachments"}, {k: got[k] for k in item if k != "attachments"})

    def test_move_between_databases_keeps_every_byte(self):
        here = self.ok("mail.account.create", "olga", {"label": "Hier", "database": "main"})["id"]
        there = self.ok("mail.account.create", "olga", {"label": "Dort", "database": "second"})["id"]
        message = self.import_message(here, "Umzug")
        before = self.ok("mail.message.get", "olga", {"account": here, "id": message})
        moved = self.ok("mail.message.move", "olga", {"account": here, "ids": [message], "to_account": there})
        self.assertEqual(moved["moved"], 1)
        self.assertEqual(self.ok("mail.message.list", "olga", {"account": here})["total"], 0)
        items = self.ok("mail.message.list", "olga", {"account": there})["items"]
        self.assertEqual(len(items), 1)
        self.assertEqual((moved["ids"], moved["not_found"]), ([items[0]["id"]], []))  # the copy's id there, for an undo
        after = self.ok("mail.message.get", "olga", {"account": there, "id": items[0]["id"]})
        self.assertEqual(after["sha256"], before["sha256"])
        self.assertEqual(after["subject"], "Umzug")
        part = self.ok("mail.message.attachment", "olga", {"account": there, "id": items[0]["id"], "index": 1})
        self.assertEqual(base64.b64decode(part["content_base64"]), PDF)

    def test_change_database_needs_confirmation_and_says_what_stays(self):
        account = self.ok("mail.account.create", "olga", {"label": "Wandert"})["id"]
        for i in range(3):
            self.import_message(account, f"bleibt {i}", None)
        error = self.fails("mail.account.update", "olga", {"id": account, "database": "second"}, "conflict",
                           "database")
        self.assertIn("3 messages stay in 'main'", error["message"])
        self.assertEqual(self.ok("mail.account.get", "olga", {"id": account})["database"], "main")
        moved = self.ok("mail.account.update", "olga", {"id": account, "database": "second",
                                                        "confirm_database_change": True})
        self.assertEqual((moved["database"], moved["messages_left_behind"]), ("second", 3))
        self.assertEqual(self.ok("mail.message.list", "olga", {"account": account})["total"], 0)

    def test_delete_needs_confirmation_and_counts(self):
        account = self.ok("mail.account.create", "olga", {"label": "Weg"})["id"]
        for i in range(4):
            self.import_message(account, f"weg {i}", None)
        error = self.fails("mail.account.delete", "olga", {"id": account}, "conflict", "confirm")
        self.assertIn("deletes its 4 messages", error["message"])
        self.assertEqual(self.ok("mail.message.list", "olga", {"account": account})["total"], 4)
        result = self.ok("mail.account.delete", "olga", {"id": account, "confirm": True})
        self.assertEqual(result, {"deleted": True, "deleted_messages": 4})
        self.fails("mail.account.get", "olga", {"id": account}, "forbidden")
        self.fails("mail.account.get", "root", {"id": account}, "not_found")

    def test_set_owner_hands_over_with_all_messages(self):
        personal, _ = self.make_accounts()
        self.import_message(personal, "bleibt beim Konto", None)
        self.ok("mail.account.set_owner", "olga", {"id": personal, "owner": "gina"})
        self.assertEqual(self.ok("mail.message.list", "gina", {"account": personal})["total"], 1)
        self.fails("mail.account.update", "olga", {"id": personal, "label": "nicht mehr meins"}, "forbidden")
        self.fails("mail.account.set_owner", "gina", {"id": personal, "owner": "ghost"}, "invalid_params", "owner")

    def test_offline_accounts_hide_their_mail(self):
        personal, public = self.make_accounts()
        self.import_message(personal, "versteckt", None)
        self.ok("mail.account.set_online", "olga", {"id": personal, "online": False})
        listing = self.ok("mail.message.list", "olga")
        self.assertEqual(listing["total"], 0)
        self.assertEqual([a["account"] for a in listing["offline_accounts"]], [personal])
        self.fails("mail.message.get", "olga", {"account": personal, "id": 1}, "unavailable")
        self.ok("mail.account.set_online", "olga", {"id": personal, "online": True})
        self.assertEqual(self.ok("mail.message.list", "olga")["total"], 1)


class SqliteAccounts(AccountCases, unittest.TestCase):
    backend = "sqlite"


class PostgresAccounts(AccountCases, unittest.TestCase):
    backend = "postgresql"


class AdminRightsComeFromThePermission(unittest.TestCase):
    """Installation-wide rights follow the mail.admin permission, not the host's admin flag alone."""

    def test_mail_admin_holder_without_host_admin_flag_gets_admin_rights(self):
        users = dict(USERS, ines=("Ines IT", "it", False))
        host = Host(users=users, grants={"mail.use": "*", "mail.admin": "it"})
        try:
            code, personal, err = host.call("mail.account.create", "olga", {"label": "Olga privat"})
            self.assertEqual(code, 0, err)
            code, got, err = host.call("mail.account.get", "ines", {"id": personal["id"]})
            self.assertEqual(code, 0, f"a mail.admin holder sees every account: {got} {err}")
            self.assertTrue(got["can_change"])
            code, made, err = host.call("mail.account.create", "ines", {"label": "Für Stan", "owner": "stan"})
            self.assertEqual(code, 0, err)
            self.assertEqual(made["owner"], "stan")
            code, main, err = host.call("mail.account.main", "ines", {"user": "olga"})
            self.assertEqual((code, main["account"]["id"]), (0, personal["id"]), err)
            # Without the permission the same user is an ordinary clerk.
            code, refused, _ = host.call("mail.account.get", "gina", {"id": personal["id"]})
            self.assertEqual(refused["error"]["code"], "forbidden")
            code, refused, _ = host.call("mail.account.create", "gina", {"label": "x", "owner": "stan"})
            self.assertEqual((refused["error"]["code"], refused["error"]["field"]), ("forbidden", "owner"))
        finally:
            host.cleanup()


class AutoOffline(unittest.TestCase):
    """The database holding an account's messages goes away and comes back."""

    def test_account_goes_offline_by_itself_and_comes_back(self):
        cluster = PrivateCluster()
        host = Host(databases={"main": ("Driver=SQLite3;Database={dir}/main.db", True),
                               "volatile": (cluster.odbc, False)},
                    users=USERS, grants={"mail.use": "*"})
        try:
            def call(op, user, params=None):
                return host.call(op, user, params)

            _, account, _ = call("mail.account.create", "olga", {"label": "Flüchtig", "database": "volatile"})
            _, steady, _ = call("mail.account.create", "olga", {"label": "Stabil"})
            for i in range(3):
                code, _, err = call("mail.message.import", "olga",
                                    {"account": account["id"], "raw_base64": eml(f"m{i}", None)})
                self.assertEqual(code, 0, err)
            call("mail.message.import", "olga", {"account": steady["id"], "raw_base64": eml("bleibt", None)})

            cluster.stop()
            code, listing, err = call("mail.message.list", "olga")
            self.assertEqual(code, 0, err)  # nothing crashes: the other account still answers
            self.assertEqual(listing["total"], 1)
            self.assertEqual([a["account"] for a in listing["offline_accounts"]], [account["id"]])
            _, got, _ = call("mail.account.get", "olga", {"id": account["id"]})
            self.assertFalse(got["online"])
            self.assertIn("database 'volatile'", got["offline_reason"])
            with open(os.path.join(host.dir, "events.jsonl"), encoding="utf-8") as f:
                events = [json.loads(line) for line in f]
            offline = [e for e in events if e["type"] == "account.offline"]
            self.assertEqual(len(offline), 1)
            self.assertEqual(offline[0]["payload"]["account"], account["id"])
            self.assertIn("database 'volatile'", offline[0]["payload"]["reason"])
            code, error, _ = call("mail.message.get", "olga", {"account": account["id"], "id": 1})
            self.assertEqual(error["error"]["code"], "unavailable")
            code, error, _ = call("mail.account.set_online", "olga", {"id": account["id"], "online": True})
            self.assertEqual(error["error"]["code"], "unavailable")  # still gone: stays offline
            # A move into the vanished database fails and loses nothing.
            code, mine, _ = call("mail.message.list", "olga", {"account": steady["id"]})
            code, error, _ = call("mail.message.move", "olga", {"account": steady["id"], "to_account": account["id"],
                                                                "ids": [mine["items"][0]["id"]]})
            self.assertEqual(error["error"]["code"], "unavailable")
            code, mine_after, _ = call("mail.message.list", "olga", {"account": steady["id"]})
            self.assertEqual(mine_after["total"], 1)

            cluster.start()
            code, back, err = call("mail.account.set_online", "olga", {"id": account["id"], "online": True})
            self.assertEqual(code, 0, err)
            self.assertTrue(back["online"])
            code, listing, _ = call("mail.message.list", "olga")
            self.assertEqual(listing["total"], 4)
            self.assertEqual(listing["offline_accounts"], [])
        finally:
            host.cleanup()
            cluster.cleanup()

    def test_account_whose_database_comes_back_goes_online_by_itself_in_a_serving_host(self):
        cluster = PrivateCluster()
        host = Host(databases={"main": ("Driver=SQLite3;Database={dir}/main.db", True),
                               "volatile": (cluster.odbc, False)},
                    users=USERS, grants={"mail.use": "*"},
                    extra="[config]\nerpmail.account.auto_online_seconds = 1\n")
        serve = None
        try:
            def call(op, params=None):
                code, result, err = host.call(op, "olga", params)
                self.assertEqual(code, 0, f"{op}: {result} {err}")
                return result

            def events(kind):
                with open(os.path.join(host.dir, "events.jsonl"), encoding="utf-8") as f:
                    return [e["payload"] for e in map(json.loads, f) if e["type"] == kind]

            account = call("mail.account.create", {"label": "Flüchtig", "database": "volatile"})["id"]
            parked = call("mail.account.create", {"label": "Geparkt", "database": "volatile"})["id"]
            call("mail.account.set_online", {"id": parked, "online": False})  # a person's choice stays
            call("mail.message.import", {"account": account, "raw_base64": eml("vorher", None)})
            serve = subprocess.Popen([ERPHOST, "--config", host.config, "serve"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            cluster.stop()
            stopped_ms = int(time.time() * 1000)
            listing = call("mail.message.list")  # finds the database gone: the account goes offline
            self.assertEqual({a["account"] for a in listing["offline_accounts"]}, {account, parked})
            status = call("mail.account.status", {"id": account})
            self.assertFalse(status["online"])
            self.assertIn("database 'volatile'", status["offline_reason"])
            self.assertLessEqual(abs(status["offline_since_ms"] - stopped_ms), 60000, status)
            self.assertIsNone(status["offline_by"])
            self.assertTrue(status["comes_back_by_itself"])
            status = call("mail.account.status", {"id": parked})
            self.assertEqual((status["offline_by"], status["comes_back_by_itself"]), ("olga", False))
            self.assertEqual(status["offline_reason"], "set offline by olga")
            time.sleep(2)  # the watch tries the stopped database meanwhile: it stays offline
            self.assertFalse(call("mail.account.status", {"id": account})["online"])
            self.assertEqual(events("account.online"), [])

            cluster.start()
            deadline = time.monotonic() + 30
            while not call("mail.account.status", {"id": account})["online"] and time.monotonic() < deadline:
                time.sleep(0.2)
            status = call("mail.account.status", {"id": account})
            self.assertTrue(status["online"], status)
            self.assertIsNone(status["offline_since_ms"])
            self.assertEqual(sum(status["messages"].values()), 1)  # its mail is there again
            came_back = events("account.online")
            self.assertEqual([e["account"] for e in came_back], [account])
            self.assertTrue(came_back[0]["automatic"])
            self.assertIn("database 'volatile'", came_back[0]["offline_reason"])
            time.sleep(2)
            self.assertFalse(call("mail.account.status", {"id": parked})["online"])
            self.assertEqual(len(events("account.online")), 1)  # once, however many rounds
            listing = call("mail.message.list")
            self.assertEqual([a["account"] for a in listing["offline_accounts"]], [parked])
        finally:
            if serve:
                serve.send_signal(signal.SIGTERM)
                serve.wait(timeout=60)
            host.cleanup()
            cluster.cleanup()


if __name__ == "__main__":
    unittest.main()
