"""Signed and encrypted mail through erphost -> Postfix -> Dovecot, fetched
over IMAP and checked by independent parsers: `openssl cms` against the test
CA and the recipient's key, Python's email package for the structure."""
import base64
import email
import email.policy
import imaplib
import json
import os
import re
import shutil
import ssl
import sqlite3
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import ERPHOST, Host, host_events, pg_database, sqlite_rows, testbed, testbed_ca
from test_certificates import TOKEN_PIN, TOKEN_SCRIPT, make_certificates
from test_sending import imap_messages

TB = testbed()
CA = testbed_ca()
USERS = {"anna": ("Anna Aebi", "sales", False), "ben": ("Ben Buchhalter", "sales", False),
         "root": ("Admin", "", True)}
PDF = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(300 * 1024)) + "%%EOF Müller".encode()
DAY_MS = 86400000
P12_PASSWORD = "Gr\u00fcezi-2026"


def person(folder, name, mail, days=365, eku="emailProtection", key_usage="digitalSignature,keyEncipherment"):
    """A certificate of the test CA (made by make_certificates) for `mail`, with its key and a PKCS#12 file."""
    def run(*args):
        subprocess.run(args, cwd=folder, check=True, capture_output=True)
    with open(os.path.join(folder, f"{name}.ext"), "w") as f:
        f.write(f"subjectAltName=email:{mail}\nextendedKeyUsage={eku}\nkeyUsage={key_usage}\n")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
        "-subj", f"/CN={name}")
    run("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", f"{name}.pem", "-days", str(days), "-extfile", f"{name}.ext")
    run("openssl", "pkcs12", "-export", "-in", f"{name}.pem", "-inkey", f"{name}.key", "-certfile", "ca.pem",
        "-passout", f"pass:{P12_PASSWORD}", "-out", f"{name}.p12")


def lines_are_relay_safe(test, entity):
    """Every line under 78 characters, CRLF only, no trailing space or tab."""
    test.assertNotRegex(entity, rb"(?<!\r)\n", "a bare LF")
    for line in entity.split(b"\r\n"):
        test.assertLess(len(line), 78, line)
        test.assertFalse(line.endswith((b" ", b"\t")), line)


def signed_part(msg, raw):
    """The first part of a multipart/signed mail, exactly as it arrived."""
    boundary = b"--" + msg.get_boundary().encode()
    return raw.split(boundary)[1][2:-2]


class SmimeCase(unittest.TestCase):
    """An account of Alice's on the test bed, the test CA's certificates in files."""
    databases = None  # SQLite
    env = None  # extra variables for erphost

    @classmethod
    def setUpClass(cls):
        cls.files = tempfile.mkdtemp(prefix="erpmail-smime.")
        make_certificates(cls.files)
        person(cls.files, "alice", TB["USER_ALICE"])
        person(cls.files, "bob", TB["USER_BOB"])
        person(cls.files, "alice-client", TB["USER_ALICE"], eku="clientAuth")
        person(cls.files, "alice-short", TB["USER_ALICE"], days=20)
        person(cls.files, "carol-client", TB["USER_CAROL"], eku="clientAuth")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.files, ignore_errors=True)

    def setUp(self):
        self.host = Host(users=USERS, grants={"mail.use": "*"}, databases=self.databases, env=self.env,
                         extra="[config]\nerpmail.outbox.retry_base_seconds = 0\n")
        self.pdf_path = os.path.join(self.host.dir, "invoice.pdf")
        with open(self.pdf_path, "wb") as f:
            f.write(PDF)
        self.host.write_documents({"invoice": {"2026-0042": {
            "file": self.pdf_path, "file_name": "Rechnung Müller 2026-0042.pdf", "variables": {}}}})
        self.account = self.call("mail.account.create", {
            "label": f"Verkauf {uuid.uuid4().hex[:6]}", "kind": "personal", "sender_name": "Anna Äbi",
            "sender_email": TB["USER_ALICE"],
            "incoming": {"protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]),
                         "user": TB["USER_ALICE"], "password": TB["PASS_ALICE"], "ca": CA},
            "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "security": "starttls", "ca": CA}})["id"]

    def tearDown(self):
        self.host.cleanup()

    # -- helpers -------------------------------------------------------------------------------------

    def path(self, name):
        return os.path.join(self.files, name)

    def read(self, name, mode="r"):
        with open(self.path(name), mode) as f:
            return f.read()

    def call(self, op, params=None, user="anna"):
        status, result, err = self.host.call(op, user, params)
        self.assertEqual(status, 0, f"{op}: {result} {err}")
        return result

    def refused(self, op, params, user="anna"):
        status, result, _ = self.host.call(op, user, params)
        self.assertNotEqual(status, 0, result)
        return result["error"]

    def import_p12(self, name, user="anna"):
        return self.call("mail.certificate.import", {"data_base64": base64.b64encode(self.read(f"{name}.p12", "rb"))
                                                     .decode(), "password": P12_PASSWORD}, user)["id"]

    def ready(self, **selection):
        """Alice's certificate for signing and encryption, Bob's in the plugin's store."""
        mine = self.import_p12("alice")
        self.call("mail.certificate.import", {"store": "plugin", "pem": self.read("bob.pem")}, "root")
        return self.call("mail.certificate.select", dict({"account": self.account, "signing": mine,
                                                          "encryption": mine}, **selection))

    def send(self, **params):
        subject = params.pop("subject", f"Rechnung 2026-0042 für Müller & Söhne {uuid.uuid4().hex}")
        base = {"account": self.account, "subject": subject,
                "text": "Grüezi Frau Brunner   \nAnbei die Rechnung über CHF 1'234.50. " + "Sehr lang " * 12 + "\n",
                "to": [TB["USER_BOB"]], "attachments": [{"document": {"doctype": "invoice", "id": "2026-0042"}}]}
        base.update(params)
        queued = self.call("mail.send", base)
        self.assertEqual(self.call("mail.outbox.process", {"account": self.account})["sent"], 1)
        raw = imap_messages(TB["USER_BOB"], TB["PASS_BOB"], queued["message_id"])
        self.assertEqual(len(raw), 1)
        return queued, subject, raw[0]

    def openssl(self, *args, data):
        proc = subprocess.run(["openssl", "cms", *args], input=data, capture_output=True)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))
        return proc.stdout

    def verified(self, raw):
        """openssl's view of a signed mail: it verifies against the test CA, and yields the signed entity."""
        return self.openssl("-verify", "-CAfile", self.path("ca.pem"), data=raw)

    def decrypted(self, raw, who="bob"):
        return self.openssl("-decrypt", "-recip", self.path(f"{who}.pem"), "-inkey", self.path(f"{who}.key"), data=raw)

    def cipher_of(self, raw):
        return self.openssl("-cmsout", "-print", data=raw).decode()

    def check_content(self, entity, subject_message, subject):
        """The entity as the reader sees it: the text with its umlauts and the PDF's exact bytes."""
        inner = email.message_from_bytes(entity, policy=email.policy.default)
        self.assertIn("Grüezi Frau Brunner   \n", inner.get_body(("plain",)).get_content().replace("\r\n", "\n"))
        parts = list(inner.iter_attachments())
        self.assertEqual([p.get_filename() for p in parts], ["Rechnung Müller 2026-0042.pdf"])
        self.assertEqual(parts[0].get_content(), PDF)
        self.assertEqual(subject_message["Subject"], subject)



class SmimeSendTest(SmimeCase):
    def test_signed_invoice_verifies_with_openssl_and_keeps_umlauts_and_pdf(self):
        self.ready()
        queued, subject, raw = self.send(sign=True)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/signed")
        self.assertEqual(msg.get_param("protocol"), "application/pkcs7-signature")
        self.assertEqual(msg.get_param("micalg"), "sha-256")
        signed, signature = msg.get_payload()
        self.assertEqual(signature.get_content_type(), "application/pkcs7-signature")
        entity = self.verified(raw)
        lines_are_relay_safe(self, signed_part(msg, raw))
        self.check_content(entity, msg, subject)
        printed = self.openssl("-cmsout", "-print", "-inform", "DER", data=signature.get_content()).decode()
        self.assertIn("sha256", printed)
        self.assertIn("S/MIME Capabilities", printed)
        certs = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-print_certs", "-noout"],
                               input=signature.get_content(), capture_output=True, check=True).stdout.decode()
        self.assertIn("subject=CN = erpmail Test CA", certs)  # the chain travels with the signature
        self.assertEqual(self.call("mail.outbox.list", {"account": self.account})["items"][0]["state"], "sent")

    def test_encrypted_mail_opens_with_the_recipients_key_in_cbc_and_in_gcm(self):
        self.ready()
        _, subject, raw = self.send(encrypt=True)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual((msg.get_content_type(), msg.get_param("smime-type")),
                         ("application/pkcs7-mime", "enveloped-data"))
        self.assertIn("aes-256-cbc", self.cipher_of(raw))
        self.assertNotIn("Grüezi".encode(), raw)
        self.check_content(self.decrypted(raw), msg, subject)

        self.call("mail.certificate.select", {"account": self.account, "cipher": "gcm"})
        _, subject, raw = self.send(encrypt=True)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_param("smime-type"), "authEnveloped-data")
        self.assertIn("aes-256-gcm", self.cipher_of(raw))
        self.check_content(self.decrypted(raw), msg, subject)

    def test_signed_and_encrypted_is_signed_inside_and_the_sent_copy_opens_with_the_senders_key(self):
        self.ready()
        queued, subject, raw = self.send(sign=True, encrypt=True)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "application/pkcs7-mime")
        inner = self.decrypted(raw)
        self.assertEqual(email.message_from_bytes(inner).get_content_type(), "multipart/signed")  # signed, then encrypted
        entity = self.verified(inner)
        self.check_content(entity, msg, subject)
        # The Sent copy kept in erpmail is what went on the wire, and the sender reads it.
        sent = sqlite_rows(os.path.join(self.host.dir, "main.db"), "SELECT raw FROM messages WHERE state = 'sent'")
        self.assertEqual(len(sent), 1)
        copy = bytes(sent[0][0])
        self.assertEqual(copy.split(b"\r\n\r\n", 1)[1], raw.split(b"\r\n\r\n", 1)[1])
        self.check_content(self.verified(self.decrypted(copy, "alice")), msg, subject)

    def test_recipient_without_certificate_blocks_encryption_and_nothing_is_queued(self):
        self.ready()
        # Carol's only certificate is not for e-mail: it cannot be encrypted to.
        self.call("mail.certificate.import", {"pem": self.read("carol-client.pem")})
        error = self.refused("mail.send", {"account": self.account, "subject": "Lohnabrechnung", "text": "geheim",
                                           "to": [TB["USER_BOB"]], "cc": [TB["USER_CAROL"]], "encrypt": True})
        self.assertEqual((error["code"], error["field"]), ("invalid_params", "encrypt"))
        self.assertIn(TB["USER_CAROL"], error["message"])
        self.assertNotIn(TB["USER_BOB"], error["message"])
        self.assertEqual(self.call("mail.outbox.list", {"account": self.account})["items"], [])

    def test_an_encrypted_mail_with_bcc_is_refused_since_the_envelope_would_show_them(self):
        self.ready()
        error = self.refused("mail.send", {"account": self.account, "subject": "Lohnabrechnung", "text": "geheim",
                                           "to": [TB["USER_BOB"]], "bcc": [TB["USER_ALICE"]], "encrypt": True})
        self.assertEqual((error["code"], error["field"]), ("invalid_params", "bcc"))
        self.assertEqual(self.call("mail.outbox.list", {"account": self.account})["items"], [])

    def test_always_sign_from_select_signs_unless_the_mail_says_not_to(self):
        selected = self.ready(always_sign=True)
        self.assertTrue(selected["always_sign"])
        self.assertEqual(selected["signing"]["subject"], selected["encryption"]["subject"])
        # Plain ASCII would go as 7bit: a signed mail's long lines and trailing spaces are quoted-printable.
        _, _, raw = self.send(text="Dear Ms Brunner   \n" + "a long line " * 20 + "\n")
        msg = email.message_from_bytes(raw)
        self.assertEqual(msg.get_content_type(), "multipart/signed")
        lines_are_relay_safe(self, signed_part(msg, raw))
        self.assertIn("Dear Ms Brunner   \n", email.message_from_bytes(self.verified(raw), policy=email.policy.default)
                      .get_body(("plain",)).get_content().replace("\r\n", "\n"))
        _, _, raw = self.send(sign=False)
        self.assertEqual(email.message_from_bytes(raw).get_content_type(), "multipart/mixed")

    def test_personal_certificate_selected_is_copied_into_the_plugins_store(self):
        selected = self.ready()
        mine = self.call("mail.certificate.list", {"store": "personal"})["items"]
        plugin = self.call("mail.certificate.list", {"store": "plugin", "email": TB["USER_ALICE"]})["items"]
        self.assertEqual(len(plugin), 1)
        self.assertEqual(selected["signing"]["id"], plugin[0]["id"])
        self.assertNotEqual(plugin[0]["id"], mine[0]["id"])
        self.assertTrue(plugin[0]["private_key"])
        self.assertEqual(plugin[0]["fingerprint_sha256"], mine[0]["fingerprint_sha256"])

    def test_select_refuses_foreign_unfit_keyless_and_expired_certificates_and_changes_nothing(self):
        foreign = self.call("mail.certificate.import", {"data_base64": base64.b64encode(
            self.read("anna.p12", "rb")).decode(), "password": P12_PASSWORD})["id"]
        client_only = self.import_p12("alice-client")
        keyless = self.call("mail.certificate.import", {"store": "plugin", "pem": self.read("alice.pem")}, "root")["id"]
        for field, cert, says in (("signing", foreign, "not issued to " + TB["USER_ALICE"]),
                                  ("signing", client_only, "emailProtection"),
                                  ("encryption", keyless, "no private key")):
            error = self.refused("mail.certificate.select", {"account": self.account, field: cert})
            self.assertEqual((error["code"], error["field"]), ("invalid_params", field), error)
            self.assertIn(says, error["message"])
        error = self.refused("mail.certificate.select", {"account": self.account, "always_sign": True})
        self.assertEqual(error["field"], "always_sign")
        # Ben may not change Anna's personal account, not even with Anna's certificate.
        good = self.import_p12("alice")
        error = self.refused("mail.certificate.select", {"account": self.account, "signing": good}, "ben")
        self.assertIn(error["code"], ("forbidden", "not_found"))
        self.assertIsNone(self.call("mail.account.status", {"id": self.account})["signing_certificate"])
        self.assertEqual(len(self.call("mail.certificate.list", {"store": "plugin"})["items"]), 1)  # no copies made
        # A year and a bit later Alice's certificate has expired.
        with open(self.host.config, "a", encoding="utf-8") as f:
            f.write(f"\n[host]\nclock_offset_ms = {400 * DAY_MS}\n")
        error = self.refused("mail.certificate.select", {"account": self.account, "signing": good})
        self.assertEqual(error["field"], "signing")
        self.assertIn("expired", error["message"])

    def test_signing_key_that_does_not_open_fails_before_anything_is_queued(self):
        self.ready(always_sign=True)
        # The sealed key no longer opens: changed in the database, as a broken restore or an attacker would.
        db = os.path.join(self.host.dir, "main.db")
        with sqlite3.connect(db) as c:
            c.execute("UPDATE certificates SET sealed_key = X'00' || substr(sealed_key, 2)")
        c.close()
        error = self.refused("mail.send", {"account": self.account, "subject": "Rechnung", "text": "x",
                                           "to": [TB["USER_BOB"]]})
        self.assertEqual((error["code"], error["field"]), ("unavailable", "sign"))
        self.assertIn("does not open", error["message"])
        self.assertEqual(self.call("mail.outbox.list", {"account": self.account})["items"], [])

    def test_bulk_mails_are_signed_each(self):
        self.ready()
        self.call("mail.textblock.create", {"account": self.account, "name": "Mahnung", "subject": "Mahnung",
                                            "text": "Grüezi, bitte zahlen Sie."})
        answer = self.call("mail.send.bulk", {"account": self.account, "textblock": "Mahnung", "sign": True,
                                              "items": [{"doctype": "invoice", "id": "2026-0042",
                                                         "to": [TB["USER_BOB"]]}]})
        self.assertEqual(answer["queued_count"], 1, answer)
        self.call("mail.outbox.process", {"account": self.account})
        raw = imap_messages(TB["USER_BOB"], TB["PASS_BOB"], answer["queued"][0]["message_id"])
        self.assertEqual(len(raw), 1)
        self.verified(raw[0])

    def test_status_shows_the_signing_certificates_expiry_and_the_host_warns_once_a_day(self):
        short = self.import_p12("alice-short")
        self.call("mail.certificate.select", {"account": self.account, "signing": short})
        status = self.call("mail.account.status", {"id": self.account})["signing_certificate"]
        self.assertEqual(status["subject"], "CN=alice-short")
        self.assertIn(status["days_left"], (19, 20))
        self.assertRegex(status["not_after"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        with open(self.host.config, "a", encoding="utf-8") as f:
            f.write("\n[config]\nerpmail.outbox.worker = off\n")

        def serve(offset_days, events):
            with open(self.host.config, "a", encoding="utf-8") as f:
                f.write(f"\n[host]\nclock_offset_ms = {offset_days * DAY_MS}\n")
            server = subprocess.Popen([ERPHOST, "--config", self.host.config, "serve"], stderr=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL)
            try:
                deadline = time.time() + 20
                while len(host_events(self.host, "certificate.expiring")) < events and time.time() < deadline:
                    time.sleep(0.3)
                time.sleep(1.5)  # time for a second event that must not come
            finally:
                server.terminate()
                server.wait()
            return host_events(self.host, "certificate.expiring")

        warned = serve(0, 2)  # the personal certificate and its copy in the plugin's store
        self.assertEqual(len(warned), 2, warned)
        self.assertEqual({e["payload"]["store"] for e in warned}, {"plugin", "personal"})
        plugin = [e for e in warned if e["payload"]["store"] == "plugin"][0]["payload"]
        self.assertEqual(plugin["accounts"], [self.account])
        self.assertEqual(plugin["subject"], "CN=alice-short")
        self.assertIn(plugin["days_left"], (19, 20))
        self.assertEqual(len(serve(0, 3)), 2)  # the same day: no second warning
        self.assertEqual(len(serve(1, 4)), 4)  # the next day: again




class PostgreSqlSmimeSendTest(SmimeCase):
    def setUp(self):
        self.databases = {"main": (pg_database("smime"), True)}
        super().setUp()

    def test_selection_signed_and_encrypted_mail_and_status_on_postgresql(self):
        self.ready(always_sign=True, always_encrypt=True, cipher="gcm")
        _, subject, raw = self.send()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_param("smime-type"), "authEnveloped-data")
        self.check_content(self.verified(self.decrypted(raw)), msg, subject)
        status = self.call("mail.account.status", {"id": self.account})["signing_certificate"]
        self.assertEqual((status["subject"], status["always_sign"]), ("CN=alice", True))



class AddressBookTest(SmimeCase):
    def replies_account(self, reply):
        """An account of Alice's reading a folder of its own that holds only `reply`."""
        folder = "AB-" + uuid.uuid4().hex[:8]
        i = imaplib.IMAP4_SSL("localhost", int(TB["IMAPS_PORT"]), ssl_context=ssl.create_default_context(cafile=TB["TB_CA"]))
        i.login(TB["USER_ALICE"], TB["PASS_ALICE"])
        i.create(folder)
        self.assertEqual(i.append(folder, None, None, reply)[0], "OK")
        i.logout()
        return self.call("mail.account.create", {
            "label": f"Antworten {folder}", "sender_email": TB["USER_ALICE"],
            "incoming": {"protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "folder": folder,
                         "user": TB["USER_ALICE"], "password": TB["PASS_ALICE"], "ca": CA},
            "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "security": "starttls", "ca": CA}})["id"]

    def test_a_recipient_whose_signed_mail_arrived_can_be_encrypted_to_without_importing_anything(self):
        self.call("mail.certificate.import", {"store": "plugin", "pem": self.read("ca.pem")}, "root")  # trusted
        entity = b"Content-Type: text/plain; charset=utf-8\r\n\r\nDanke f\xc3\xbcr die Rechnung\r\n"
        signed = subprocess.run(["openssl", "cms", "-sign", "-signer", self.path("bob.pem"), "-inkey",
                                 self.path("bob.key")], input=entity, capture_output=True, check=True).stdout
        reply = (f"From: Bob <{TB['USER_BOB']}>\r\nTo: {TB['USER_ALICE']}\r\nSubject: Re: Rechnung\r\n"
                 f"Message-ID: <{uuid.uuid4().hex}@bob.example>\r\n").encode() + signed.replace(b"\r\n", b"\n") \
            .replace(b"\n", b"\r\n")
        self.account = self.replies_account(reply)
        mine = self.import_p12("alice")
        self.call("mail.certificate.select", {"account": self.account, "signing": mine, "encryption": mine})
        error = self.refused("mail.send", {"account": self.account, "to": [TB["USER_BOB"]], "subject": "x",
                                           "text": "x", "encrypt": True})
        self.assertIn(TB["USER_BOB"], error["message"])  # nothing of Bob's is known yet
        self.assertEqual(self.call("mail.fetch", {"account": self.account})["fetched"], 1)
        _, subject, raw = self.send(encrypt=True)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_param("smime-type"), "enveloped-data")
        self.check_content(self.decrypted(raw, "bob"), msg, subject)


    def test_a_reply_is_gcm_only_when_every_recipients_signed_mail_listed_gcm(self):
        self.call("mail.certificate.import", {"store": "plugin", "pem": self.read("ca.pem")}, "root")  # trusted
        person(self.files, "carol", TB["USER_CAROL"])
        bob = self.call("mail.account.create", {
            "label": f"Bob {uuid.uuid4().hex[:6]}", "sender_email": TB["USER_BOB"],
            "incoming": {"protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]),
                         "user": TB["USER_BOB"], "password": TB["PASS_BOB"], "ca": CA},
            "smtp": {"host": "localhost", "port": int(TB["SUBMISSION_PORT"]), "security": "starttls", "ca": CA}})["id"]
        self.call("mail.certificate.select", {"account": bob, "signing": self.import_p12("bob")})
        queued = self.call("mail.send", {"account": bob, "to": [TB["USER_ALICE"]], "subject": "Re: Rechnung",
                                         "text": "Danke f\u00fcr die Rechnung\n", "sign": True})
        self.assertEqual(self.call("mail.outbox.process", {"account": bob})["sent"], 1)
        signed = imap_messages(TB["USER_ALICE"], TB["PASS_ALICE"], queued["message_id"])[0]
        self.account = self.replies_account(signed)
        mine = self.import_p12("alice")
        self.call("mail.certificate.select", {"account": self.account, "signing": mine, "encryption": mine})
        self.assertEqual(self.call("mail.fetch", {"account": self.account})["fetched"], 1)
        _, subject, raw = self.send(encrypt=True)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_param("smime-type"), "authEnveloped-data")
        printed = self.cipher_of(raw)
        self.assertIn("id-smime-ct-authEnvelopedData", printed)
        self.assertIn("aes-256-gcm", printed)
        self.check_content(self.decrypted(raw, "bob"), msg, subject)
        # Carol's certificate comes from a store, with no word of what her client reads.
        self.call("mail.certificate.import", {"store": "plugin", "pem": self.read("carol.pem")}, "root")
        _, subject, raw = self.send(encrypt=True, to=[TB["USER_BOB"], TB["USER_CAROL"]])
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_param("smime-type"), "enveloped-data")
        printed = self.cipher_of(raw)
        self.assertNotIn("authEnvelopedData", printed)
        self.assertIn("aes-256-cbc", printed)
        self.check_content(self.decrypted(raw, "bob"), msg, subject)


class TokenSigningTest(SmimeCase):
    """Alice's key on a softhsm2 token in the test's folder: mail.send signs with it through the pkcs11 engine."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        token = os.path.join(cls.files, "hsm")
        subprocess.run([TOKEN_SCRIPT, token, "erpmail", TOKEN_PIN, "alice.key", "alice.pem", "alice"],
                       cwd=cls.files, check=True, capture_output=True)
        cls.env = {"SOFTHSM2_CONF": os.path.join(token, "softhsm2.conf")}

    def test_a_mail_signed_with_the_key_on_the_token_verifies_with_openssl(self):
        mine = self.call("mail.certificate.import", {"key_uri": "pkcs11:token=erpmail;object=alice", "pin": TOKEN_PIN})
        self.assertEqual(mine["private_key_location"], "token")
        self.call("mail.certificate.select", {"account": self.account, "signing": mine["id"]})
        _, subject, raw = self.send(sign=True)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/signed")
        self.check_content(self.verified(raw), msg, subject)
        self.assertNotIn(TOKEN_PIN.encode(), raw)


if __name__ == "__main__":
    unittest.main()
