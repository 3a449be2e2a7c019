"""Receiving S/MIME through the real chain: mail made by `openssl cms` is
appended by IMAP to a folder of the test bed's Dovecot, fetched by erphost
and read with mail.message.get. Each hostile case is reported as what it
is, none crashes, and an encrypted mail is opened only as it is read."""
import base64
import datetime
import imaplib
import os
import shutil
import sqlite3
import ssl
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import Host, pg_database, testbed, testbed_ca
from smime_mail import CUSTOMER, SmimeMail

TB = testbed()
CA = testbed_ca()
USER, PASSWORD = TB.get("USER_CAROL", ""), TB.get("PASS_CAROL", "")
USERS = {"anna": ("Anna Aebi", "sales", False), "ben": ("Ben Buchhalter", "accounting", False),
         "root": ("Admin", "", True)}
DAY = 86400000
AES256_CBC, AES256_GCM = "2.16.840.1.101.3.4.1.42", "2.16.840.1.101.3.4.1.46"


def openssl_x509(path, *options):
    """What `openssl x509 -noout OPTIONS` prints for the certificate file, after its '='."""
    printed = subprocess.run(["openssl", "x509", "-noout", "-in", path, *options], check=True, capture_output=True,
                             text=True).stdout
    return printed.split("=", 1)[1].strip()


def fingerprint(path):
    """The SHA-256 fingerprint openssl gives, in the address book's form (lower-case hex, no colons)."""
    return openssl_x509(path, "-fingerprint", "-sha256").replace(":", "").lower()


def openssl_time(text):
    """'Dec  1 10:00:00 2026 GMT' as a UTC datetime."""
    return datetime.datetime.strptime(" ".join(text.split()), "%b %d %H:%M:%S %Y %Z").replace(
        tzinfo=datetime.timezone.utc)


def iso_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def imap():
    i = imaplib.IMAP4_SSL("localhost", int(TB["IMAPS_PORT"]), ssl_context=ssl.create_default_context(cafile=TB["TB_CA"]))
    i.login(USER, PASSWORD)
    return i


class SmimeReceivingTest(unittest.TestCase):
    """One fetch of every case into one account; each test reads its mail."""

    @classmethod
    def setUpClass(cls):
        cls.files = tempfile.mkdtemp(prefix="erpmail-smime.")
        cls.smime = s = SmimeMail(cls.files)
        invoice = s.entity("Rechnung 2026-0042: CHF 1'234.50, zahlbar in 30 Tagen. Grüezi ✓")
        signed = s.sign(invoice)
        encrypted_signed = s.encrypt(s.sign(s.entity("Lohnabrechnung November, signiert")), "-aes-256-gcm")
        cls.cases = {
            "signed": s.message("signed", signed),
            "opaque": s.message("opaque", s.sign(invoice, ("kunde",), "-nodetach")),
            "sha1": s.message("sha1", s.sign(invoice, ("kunde",), "-md", "sha1")),
            "untrusted": s.message("untrusted", s.sign(invoice, ("stranger",))),
            "from_mismatch": s.message("from_mismatch", signed, sender="chef@kunde.example"),
            "changed": s.message("changed", signed.replace(b"CHF 1'234.50", b"CHF 9'234.50")),
            "no_signer_info": s.message("no_signer_info", s.no_signer_info(invoice)),
            "two_signers": s.message("two_signers", s.sign(invoice, ("kunde", "stranger"))),
            "truncated_signature": s.message("truncated_signature", s.cut_signature(signed)),
            "partly_signed": s.message("partly_signed", s.mixed(
                s.entity("Bitte neu auf IBAN CH00 0000 0000 0000 0000 0 zahlen."), s.without_mime_version(signed))),
            "signed_beside_encrypted": s.message("signed_beside_encrypted", s.mixed(
                s.entity("Unsigniert außen herum"), s.without_mime_version(signed),
                s.without_mime_version(s.encrypt(s.entity("Geheim daneben"), "-aes-256-gcm")))),
            "cbc": s.message("cbc", s.encrypt(s.entity("Vertrag, vertraulich (CBC)"), "-aes-256-cbc")),
            "gcm": s.message("gcm", s.encrypt(s.entity("Vertrag, vertraulich (GCM)"), "-aes-256-gcm")),
            "encrypted_signed": s.message("encrypted_signed", encrypted_signed),
            # The customer's genuine signed and encrypted mail, sent on by someone else whose display name
            # holds the customer's address in quotes.
            "encrypted_signed_relayed": s.message("encrypted_signed_relayed", encrypted_signed).replace(
                b"From: Kunde <kunde@kunde.example>", b'From: "Kunde <kunde@kunde.example>" <mallory@evil.example>'),
            "signed_two_senders": s.message("signed_two_senders", signed).replace(
                b"From: Kunde <kunde@kunde.example>", b"From: Kunde <kunde@kunde.example>, mallory@evil.example"),
            "truncated_encrypted": s.message("truncated_encrypted", s.truncate_base64(
                s.encrypt(s.entity("Vertrag (abgeschnitten)"), "-aes-256-cbc"))),
            "not_for_us": s.message("not_for_us", s.encrypt(s.entity("Für jemand anderen"), "-aes-256-cbc",
                                                            "kunde.pem")),
            "encrypted_beside_plain": s.message("encrypted_beside_plain", s.mixed(
                s.entity("Unverschlüsselter Text außen herum"),
                s.without_mime_version(s.encrypt(s.entity("Geheimer Teil innen"), "-aes-256-gcm")))),
        }
        cls.started_ms = int(time.time() * 1000)
        cls.host = Host(users=USERS, grants={"mail.use": "*"})
        cls.folder = "SMIME-" + uuid.uuid4().hex[:8]
        i = imap()
        try:
            i.create(cls.folder)
            for raw in cls.cases.values():
                status, _ = i.append(cls.folder, None, None, raw)
                assert status == "OK"
        finally:
            i.logout()
        cls.trust_and_key()
        cls.account = cls.ok("mail.account.create", {"label": "S/MIME", "incoming": {
            "protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "security": "tls",
            "folder": cls.folder, "user": USER, "password": PASSWORD, "ca": CA,
            "leave_on_server": {"mode": "never"}}})["id"]
        cls.select_encryption_certificate(cls.account)
        cls.fetched = cls.ok("mail.fetch", {"account": cls.account})
        cls.ids = {}
        for m in cls.ok("mail.message.list", {"account": cls.account, "page_size": 200})["items"]:
            cls.ids[m["subject"]] = m["id"]

    @classmethod
    def tearDownClass(cls):
        try:
            i = imap()
            i.delete(cls.folder)
            i.logout()
        finally:
            cls.host.cleanup()
            shutil.rmtree(cls.files, ignore_errors=True)

    @classmethod
    def ok(cls, op, params, user="anna"):
        status, result, err = cls.host.call(op, user, params)
        assert status == 0, f"{op}: {result} {err}"
        return result

    @classmethod
    def trust_and_key(cls):
        """The test CA made trusted by an admin's import into the plugin's
        store; Anna's PKCS#12 (the account's encryption key) beside it."""
        cls.ok("mail.certificate.import", {"store": "plugin", "pem": cls.smime.read("ca.pem")}, user="root")
        with open(cls.smime.path("anna.p12"), "rb") as f:
            p12 = base64.b64encode(f.read()).decode()
        cls.anna_certificate = cls.ok("mail.certificate.import", {
            "store": "plugin", "data_base64": p12, "password": "Gr\u00fcezi-2026"}, user="root")["id"]

    @classmethod
    def select_encryption_certificate(cls, account):
        db = sqlite3.connect(os.path.join(cls.host.dir, "main.db"))
        try:
            db.execute("INSERT INTO account_certificates (account_id, encryption_id) VALUES (?, ?)",
                       (account, cls.anna_certificate))
            db.commit()
        finally:
            db.close()

    def get(self, case):
        self.assertIn(case, self.ids, f"{case} was not stored: {self.fetched}")
        return self.ok("mail.message.get", {"account": self.account, "id": self.ids[case]})

    def security(self, case):
        got = self.get(case)
        self.assertIsNotNone(got["security"], got)
        return got["security"]

    def test_every_case_is_stored_none_lost_to_a_failing_check(self):
        self.assertEqual(self.fetched["fetched"], len(self.cases), self.fetched)
        self.assertEqual(sorted(self.ids), sorted(self.cases))

    def test_openssl_signed_mail_is_valid_with_its_signer(self):
        sec = self.security("signed")
        self.assertEqual((sec["kind"], sec["status"], sec["reason"]), ("signed", "valid", None), sec)
        self.assertEqual(len(sec["signers"]), 1)
        signer = sec["signers"][0]
        self.assertEqual((signer["status"], signer["emails"], signer["digest"]), ("valid", [CUSTOMER], "sha256"))
        self.assertIn("CN=kunde", signer["subject"])
        self.assertIn("BEGIN CERTIFICATE", signer["certificate_pem"])
        self.assertIn("CHF 1'234.50", self.get("signed")["text"])

    def test_opaque_signed_data_shows_the_content_its_signature_carries(self):
        got = self.get("opaque")
        self.assertEqual((got["security"]["kind"], got["security"]["status"]), ("signed", "valid"), got["security"])
        self.assertIn("CHF 1'234.50", got["text"])

    def test_sha1_signature_is_weak_not_valid(self):
        sec = self.security("sha1")
        self.assertEqual((sec["status"], sec["signers"][0]["digest"]), ("weak", "sha1"), sec)

    def test_untrusted_chain_is_untrusted_with_the_signers_certificate(self):
        sec = self.security("untrusted")
        self.assertEqual(sec["status"], "untrusted", sec)
        self.assertIn("issuer certificate", sec["reason"])
        self.assertIn("BEGIN CERTIFICATE", sec["signers"][0]["certificate_pem"])

    def test_from_not_matching_the_signer_is_invalid(self):
        sec = self.security("from_mismatch")
        self.assertEqual(sec["status"], "invalid", sec)
        self.assertIn("chef@kunde.example, the From address", sec["reason"])

    def test_content_changed_after_signing_is_invalid(self):
        sec = self.security("changed")
        self.assertEqual(sec["status"], "invalid", sec)
        self.assertIn("changed after it was signed", sec["reason"])

    def test_signature_with_no_signer_infos_is_invalid(self):
        sec = self.security("no_signer_info")
        self.assertEqual((sec["status"], sec["reason"]), ("invalid", "the signature names no signer"), sec)

    def test_two_signers_one_bad_lists_both_and_is_not_valid(self):
        sec = self.security("two_signers")
        self.assertEqual(sec["status"], "untrusted", sec)
        self.assertEqual(sorted(s["status"] for s in sec["signers"]), ["untrusted", "valid"])

    def test_truncated_signature_blob_is_invalid_and_the_mail_readable(self):
        got = self.get("truncated_signature")
        self.assertEqual(got["security"]["status"], "invalid", got["security"])
        self.assertIn("corrupt or cut", got["security"]["reason"])
        self.assertIn("CHF 1'234.50", got["text"])

    def test_signed_part_inside_unsigned_multipart_is_partly_signed(self):
        sec = self.security("partly_signed")
        self.assertEqual((sec["kind"], sec["status"]), ("partly_signed", "partly_signed"), sec)
        self.assertIn("only part 2", sec["reason"])
        self.assertEqual([(s["part"], s["status"]) for s in sec["signers"]], [("2", "valid")])

    def test_signed_part_beside_an_encrypted_part_is_partly_signed_and_partly_encrypted(self):
        got = self.get("signed_beside_encrypted")
        sec = got["security"]
        self.assertEqual((sec["kind"], sec["status"], sec["partly_signed"]), ("partly_encrypted", "encrypted", True))
        self.assertIn("only a part of the message is encrypted", sec["reason"])
        self.assertIn("only part 2 of the message is signed; the rest is not; its signature is valid", sec["reason"])
        self.assertEqual([(s["part"], s["status"]) for s in sec["signers"]], [("2", "valid")])
        [part] = sec["decrypted"]
        self.assertEqual(part["part"], "3")
        self.assertIn("Geheim daneben", part["text"])
        self.assertFalse(self.security("signed")["partly_signed"])
        self.assertTrue(self.security("partly_signed")["partly_signed"])

    def test_the_signature_of_a_signed_mail_is_not_an_attachment(self):
        self.assertEqual(self.get("signed")["attachments"], [])
        listed = self.ok("mail.message.list", {"account": self.account, "page_size": 200})["items"]
        self.assertEqual([m["attachments"] for m in listed if m["id"] == self.ids["signed"]], [0])

    def test_cbc_mail_decrypts_on_read_marked_not_integrity_protected(self):
        sec = self.security("cbc")
        self.assertEqual((sec["kind"], sec["status"]), ("encrypted", "encrypted"), sec)
        [part] = sec["decrypted"]
        self.assertTrue(part["decrypted"], part)
        self.assertFalse(part["integrity_protected"])
        self.assertIn("CBC", part["integrity_note"])
        self.assertIn("Vertrag, vertraulich (CBC)", part["text"])
        db = sqlite3.connect(os.path.join(self.host.dir, "main.db"))
        try:
            raw = db.execute("SELECT raw FROM messages WHERE id = ?", (self.ids["cbc"],)).fetchone()[0]
        finally:
            db.close()
        self.assertEqual(raw, self.cases["cbc"], "stored as it arrived")

    def test_gcm_mail_decrypts_on_read_integrity_protected(self):
        [part] = self.security("gcm")["decrypted"]
        self.assertEqual((part["decrypted"], part["integrity_protected"]), (True, True), part)
        self.assertIn("Vertrag, vertraulich (GCM)", part["text"])

    def test_signed_then_encrypted_mail_verifies_its_inner_signature(self):
        [part] = self.security("encrypted_signed")["decrypted"]
        self.assertIn("Lohnabrechnung November", part["text"])
        self.assertEqual((part["signature"]["kind"], part["signature"]["status"]), ("signed", "valid"), part)

    def test_a_quoted_name_holding_the_signers_address_does_not_bind_the_signature_to_the_sender(self):
        [part] = self.security("encrypted_signed_relayed")["decrypted"]
        self.assertIn("Lohnabrechnung November", part["text"])
        self.assertNotEqual(part["signature"]["status"], "valid", part)

    def test_a_signature_of_one_of_several_senders_is_not_valid(self):
        self.assertNotEqual(self.security("signed_two_senders")["status"], "valid")

    def test_truncated_encrypted_blob_says_corrupt(self):
        [part] = self.security("truncated_encrypted")["decrypted"]
        self.assertEqual((part["decrypted"], part["error"]), (False, "corrupt"), part)

    def test_mail_encrypted_to_someone_else_says_no_key(self):
        [part] = self.security("not_for_us")["decrypted"]
        self.assertEqual((part["decrypted"], part["error"]), (False, "no_key"), part)
        self.assertIn("no recipient matches", part["reason"])

    def test_encrypted_part_beside_plain_parts_is_shown_apart_never_merged(self):
        got = self.get("encrypted_beside_plain")
        sec = got["security"]
        self.assertEqual(sec["kind"], "partly_encrypted", sec)
        self.assertIn("shown on its own", sec["separate"])
        [part] = sec["decrypted"]
        self.assertEqual(part["part"], "2")
        self.assertIn("Geheimer Teil innen", part["text"])
        self.assertNotIn("außen herum", part["text"])
        self.assertIn("außen herum", got["text"])
        self.assertNotIn("Geheimer Teil", got["text"] or "")

    def test_plain_mail_has_no_security(self):
        raw = self.smime.message("plain", self.smime.entity("nur Text"))
        stored = self.ok("mail.message.import", {"account": self.account, "raw_base64": base64.b64encode(raw).decode()})
        got = self.ok("mail.message.get", {"account": self.account, "id": stored["id"]})
        self.assertIsNone(got["security"])

    def test_valid_signers_certificate_lands_in_the_address_book_untrusted_ones_do_not(self):
        db = sqlite3.connect(os.path.join(self.host.dir, "main.db"))
        try:
            rows = db.execute("SELECT email, message_id, subject FROM address_certificates WHERE account_id = ?",
                              (self.account,)).fetchall()
        finally:
            db.close()
        self.assertTrue(rows)
        self.assertEqual({r[0] for r in rows}, {CUSTOMER})
        self.assertTrue(all("CN=kunde" in r[2] for r in rows), rows)
        self.assertNotIn(self.ids["untrusted"], [r[1] for r in rows])

    def address_book(self, params=None, user="anna", host=None):
        status, result, err = (host or self.host).call("mail.certificate.list", user, dict(
            {"store": "address_book", "account": self.account}, **(params or {})))
        self.assertEqual(status, 0, f"{result} {err}")
        return result["items"]

    def refused(self, params, user="anna", host=None):
        status, result, _ = (host or self.host).call("mail.certificate.list", user, params)
        self.assertEqual(status, 1, result)
        return result["error"]

    def test_address_book_lists_the_valid_signers_certificate_as_openssl_reads_it(self):
        kunde = self.smime.path("kunde.pem")
        [entry] = self.address_book()
        self.assertEqual(entry["fingerprint_sha256"], fingerprint(kunde))
        self.assertEqual((entry["email"], entry["emails"], entry["store"], entry["account"]),
                         (CUSTOMER, [CUSTOMER], "address_book", self.account))
        self.assertEqual((entry["subject"], entry["issuer"]),
                         ("CN=kunde", openssl_x509(kunde, "-issuer", "-nameopt", "RFC2253")))
        self.assertEqual(iso_time(entry["not_before"]), openssl_time(openssl_x509(kunde, "-startdate")))
        self.assertEqual(iso_time(entry["not_after"]), openssl_time(openssl_x509(kunde, "-enddate")))
        self.assertEqual(entry["not_after_ms"], int(openssl_time(openssl_x509(kunde, "-enddate")).timestamp() * 1000))
        self.assertEqual((entry["expired"], entry["private_key"]), (False, False))
        self.assertIn(entry["days_left"], (363, 364))
        # openssl cms -sign lists AES-CBC among the signer's capabilities, never GCM.
        self.assertIn(AES256_CBC, entry["capabilities"])
        self.assertNotIn(AES256_GCM, entry["capabilities"])
        self.assertFalse(entry["accepts_gcm"])
        self.assertGreaterEqual(entry["collected_at_ms"], self.started_ms)
        self.assertLessEqual(entry["collected_at_ms"], int(time.time() * 1000))
        came_with = self.ok("mail.message.get", {"account": self.account, "id": entry["message_id"]})["security"]
        self.assertIn(("valid", "CN=kunde"), [(s["status"], s["subject"]) for s in came_with["signers"]])
        self.assertNotIn("certificate_pem", entry)
        self.assertNotIn("key_uri", entry)
        # The admin sees the same; an address (any case) narrows it, another one finds nothing.
        self.assertEqual(self.address_book(user="root"), [entry])
        self.assertEqual(self.address_book({"email": CUSTOMER.upper()}), [entry])
        self.assertEqual(self.address_book({"email": "chef@kunde.example"}), [])

    def test_address_book_leaves_out_the_untrusted_signer(self):
        stranger = fingerprint(self.smime.path("stranger.pem"))
        listed = [e["fingerprint_sha256"] for e in self.address_book()]
        self.assertNotIn(stranger, listed)
        self.assertEqual(listed, [fingerprint(self.smime.path("kunde.pem"))])

    def test_address_book_is_refused_to_a_user_who_may_not_see_the_account_as_if_it_did_not_exist(self):
        error = self.refused({"store": "address_book", "account": self.account}, user="ben")
        missing = self.refused({"store": "address_book", "account": "no-such-account"}, user="ben")
        self.assertEqual((error["code"], error["field"]), ("forbidden", "account"))
        self.assertEqual(error, {k: v.replace("no-such-account", self.account) for k, v in missing.items()})
        self.assertNotIn("kunde", str(error).lower())
        self.assertNotIn("S/MIME", error["message"])  # not even the account's label

    def test_address_book_bad_input_names_the_field(self):
        cases = [({"store": "address_book"}, "invalid_params", "account"),
                 ({"store": "plugin", "account": self.account}, "invalid_params", "account"),
                 ({"account": self.account}, "invalid_params", "account"),
                 ({"store": "address_book", "account": ""}, "invalid_params", "account"),
                 ({"store": "addressbook", "account": self.account}, "invalid_params", "store"),
                 ({"store": "address_book", "account": self.account, "email": "x"}, "invalid_params", "email")]
        for params, code, field in cases:
            with self.subTest(params=params):
                error = self.refused(params)
                self.assertEqual((error["code"], error.get("field")), (code, field), error)
        error = self.refused({"store": "address_book", "account": "no-such-account"}, user="root")
        self.assertEqual((error["code"], error["field"]), ("not_found", "account"))
        self.assertIn("no-such-account", error["message"])

    def signed_mail_into(self, host, account, user="anna"):
        status, _, err = host.call("mail.message.import", user, {
            "account": account, "raw_base64": base64.b64encode(self.cases["signed"]).decode()})
        self.assertEqual(status, 0, err)

    def host_with_signed_mail(self, **options):
        """A new installation that trusts the test CA, with Anna's account holding the signed mail; (host, account)."""
        host = Host(users=USERS, grants={"mail.use": "*"}, **options)
        try:
            status, _, err = host.call("mail.certificate.import", "root",
                                       {"store": "plugin", "pem": self.smime.read("ca.pem")})
            self.assertEqual(status, 0, err)
            status, account, err = host.call("mail.account.create", "anna", {"label": "Neu"})
            self.assertEqual(status, 0, err)
            self.signed_mail_into(host, account["id"])
        except BaseException:
            host.cleanup()
            raise
        return host, account["id"]

    def test_public_accounts_address_book_is_everyones_and_unavailable_offline(self):
        status, public, err = self.host.call("mail.account.create", "anna", {"label": "Verkauf", "kind": "public"})
        self.assertEqual(status, 0, err)
        self.signed_mail_into(self.host, public["id"])
        params = {"store": "address_book", "account": public["id"]}
        self.assertEqual([e["email"] for e in self.address_book(params, user="ben")], [CUSTOMER])
        status, _, err = self.host.call("mail.account.set_online", "anna", {"id": public["id"], "online": False})
        self.assertEqual(status, 0, err)
        for user in ("anna", "ben", "root"):
            error = self.refused(params, user=user)
            self.assertEqual(error["code"], "unavailable", error)
            self.assertIn("offline", error["message"])

    def test_a_user_the_personal_account_is_made_visible_to_may_list_it(self):
        status, shared, err = self.host.call("mail.account.create", "anna", {
            "label": "Anna geteilt", "kind": "personal", "visibility": {"group": "*", "users": ["ben"]}})
        self.assertEqual(status, 0, err)
        self.signed_mail_into(self.host, shared["id"])
        listed = self.address_book({"account": shared["id"]}, user="ben")
        self.assertEqual([e["fingerprint_sha256"] for e in listed], [fingerprint(self.smime.path("kunde.pem"))])

    def test_address_book_entry_shows_expired_once_the_certificate_has(self):
        later, account = self.host_with_signed_mail()
        try:
            params = {"account": account}
            [now] = self.address_book(params, host=later)
            self.assertFalse(now["expired"])
            with open(later.config, encoding="utf-8") as f:
                text = f.read()
            with open(later.config, "w", encoding="utf-8") as f:  # 400 days on: Kunde's 365 days are over
                f.write(text.replace("[host]\n", f"[host]\nclock_offset_ms = {400 * DAY}\n", 1))
            [then] = self.address_book(params, host=later)
            self.assertEqual((then["expired"], then["fingerprint_sha256"]), (True, now["fingerprint_sha256"]))
            self.assertLess(then["days_left"], 0)
        finally:
            later.cleanup()

    @unittest.skipUnless(TB.get("PG_PORT"), "no PostgreSQL in the test bed")
    def test_address_book_on_postgresql(self):
        pg, account = self.host_with_signed_mail(databases={"main": (pg_database("abook"), True)})
        try:
            params = {"account": account}
            [entry] = self.address_book(params, host=pg)
            self.assertEqual((entry["email"], entry["fingerprint_sha256"]),
                             (CUSTOMER, fingerprint(self.smime.path("kunde.pem"))))
            self.assertIsInstance(entry["message_id"], int)
            self.assertFalse(entry["accepts_gcm"])
            self.assertEqual(self.address_book(dict(params, email=CUSTOMER.upper()), host=pg), [entry])
            self.assertEqual(self.address_book(dict(params, email="chef@kunde.example"), host=pg), [])
            self.assertEqual(self.refused({"store": "address_book", "account": account}, user="ben", host=pg)["code"],
                             "forbidden")
        finally:
            pg.cleanup()

    def test_import_the_signers_certificate_from_a_stored_mail(self):
        imported = self.ok("mail.certificate.import", {"account": self.account, "message_id": self.ids["signed"]})
        self.assertEqual(imported["emails"], [CUSTOMER])
        self.assertEqual(imported["store"], "personal")
        subjects = {self.ok("mail.certificate.import", {"account": self.account, "message_id": self.ids["two_signers"],
                                                        "signer": n})["subject"] for n in (1, 2)}
        self.assertEqual(subjects, {"CN=kunde", "CN=stranger"})
        status, result, _ = self.host.call("mail.certificate.import", "anna", {
            "account": self.account, "message_id": self.ids["two_signers"], "signer": 3})
        self.assertEqual((status, result["error"]["field"]), (1, "signer"), result)
        status, result, _ = self.host.call("mail.certificate.import", "anna",
                                           {"account": self.account, "message_id": self.ids["cbc"]})
        self.assertEqual((status, result["error"]["field"]), (1, "message_id"), result)

    def test_expired_signer_is_untrusted(self):
        later = Host(users=USERS, grants={"mail.use": "*"})
        try:
            with open(later.config, encoding="utf-8") as f:
                text = f.read()
            # A year and a month on: Kunde's certificate (365 days) has expired.
            offset = 400 * DAY
            with open(later.config, "w", encoding="utf-8") as f:
                f.write(text.replace("[host]\n", f"[host]\nclock_offset_ms = {offset}\n", 1))
            status, _, err = later.call("mail.certificate.import", "root",
                                        {"store": "plugin", "pem": self.smime.read("ca.pem")})
            self.assertEqual(status, 0, err)
            status, account, err = later.call("mail.account.create", "anna", {"label": "Later"})
            self.assertEqual(status, 0, err)
            raw = self.cases["signed"]
            status, stored, err = later.call("mail.message.import", "anna", {
                "account": account["id"], "raw_base64": base64.b64encode(raw).decode()})
            self.assertEqual(status, 0, err)
            status, got, err = later.call("mail.message.get", "anna", {"account": account["id"], "id": stored["id"]})
            self.assertEqual(status, 0, err)
            self.assertEqual(got["security"]["status"], "untrusted", got["security"])
            self.assertIn("expired", got["security"]["reason"])
        finally:
            later.cleanup()


if __name__ == "__main__":
    unittest.main()
