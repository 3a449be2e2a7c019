"""Certificate stores through erphost: import, list, show, export, delete,
each store's visibility, and bad files refused without a trace."""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import Host

USERS = {"anna": ("Anna Aebi", "sales", False), "ben": ("Ben Buchhalter", "sales", False),
         "root": ("Admin", "", True)}


def make_certificates(folder):
    """A test CA and Anna's S/MIME certificate with its key, as PEM, DER and PKCS#12."""
    def run(*args):
        subprocess.run(args, cwd=folder, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "3650", "-subj", "/CN=erpmail Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    with open(os.path.join(folder, "anna.ext"), "w") as f:
        f.write("subjectAltName=email:anna@example.ch\nextendedKeyUsage=emailProtection\n"
                "keyUsage=digitalSignature,keyEncipherment\n")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "anna.key", "-out", "anna.csr",
        "-subj", "/CN=Anna Aebi")
    run("openssl", "x509", "-req", "-in", "anna.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "anna.pem", "-days", "365", "-extfile", "anna.ext")
    run("openssl", "x509", "-in", "anna.pem", "-outform", "DER", "-out", "anna.der")
    run("openssl", "pkcs12", "-export", "-in", "anna.pem", "-inkey", "anna.key", "-certfile", "ca.pem",
        "-passout", "pass:Gr\u00fcezi-2026", "-out", "anna.p12")


class CertificateStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = tempfile.mkdtemp(prefix="erpmail-certs.")
        make_certificates(cls.files)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.files, ignore_errors=True)

    def setUp(self):
        self.host = Host(users=USERS, grants={"mail.use": "*"})

    def tearDown(self):
        self.host.cleanup()

    def read(self, name, mode="r"):
        with open(os.path.join(self.files, name), mode) as f:
            return f.read()

    def call(self, op, user, params):
        return self.host.call(op, user, params)

    def ok(self, op, user, params):
        code, result, err = self.call(op, user, params)
        self.assertEqual(code, 0, (result, err))
        return result

    def refused(self, op, user, params):
        code, result, _ = self.call(op, user, params)
        self.assertNotEqual(code, 0, result)
        return result["error"]

    def test_pem_and_der_round_trip_and_describe_the_certificate(self):
        pem = self.ok("mail.certificate.import", "anna", {"pem": self.read("anna.pem")})
        self.assertTrue(pem["imported"])
        self.assertEqual((pem["store"], pem["owner"], pem["private_key"]), ("personal", "anna", False))
        self.assertEqual(pem["emails"], ["anna@example.ch"])
        self.assertIn("email_protection", pem["extended_key_usage"])
        self.assertIn("digital_signature", pem["key_usage"])
        der = base64.b64encode(self.read("anna.der", "rb")).decode()
        again = self.ok("mail.certificate.import", "anna", {"data_base64": der})
        self.assertEqual((again["id"], again["imported"]), (pem["id"], False))  # the same certificate, kept once
        exported = self.ok("mail.certificate.export", "anna", {"id": pem["id"], "format": "der"})
        self.assertEqual(base64.b64decode(exported["data_base64"]), self.read("anna.der", "rb"))
        exported = self.ok("mail.certificate.export", "anna", {"id": pem["id"]})
        check = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=exported["pem"],
                               capture_output=True, text=True, check=True)
        self.assertEqual(check.stdout.split("=")[1].strip().replace(":", "").lower(), pem["fingerprint_sha256"])

    def test_list_filters_by_email_and_show_builds_the_chain(self):
        self.ok("mail.certificate.import", "root", {"store": "plugin", "pem": self.read("anna.pem")})
        listed = self.ok("mail.certificate.list", "anna", {"store": "plugin", "email": "ANNA@example.ch"})
        self.assertEqual(len(listed["items"]), 1)
        self.assertEqual(self.ok("mail.certificate.list", "anna", {"store": "plugin", "email": "nn@example.ch"})["items"],
                         [])
        shown = self.ok("mail.certificate.show", "ben", {"id": listed["items"][0]["id"]})
        self.assertFalse(shown["trusted"])  # the test CA is in no trust store
        self.assertIn("issuer", shown["untrusted_because"])
        system = self.ok("mail.certificate.list", "anna", {"store": "system"})
        self.assertTrue(all(item["store"] == "system" for item in system["items"]))

    def test_corrupt_cut_and_wrong_password_files_are_refused_and_nothing_is_stored(self):
        p12 = base64.b64encode(self.read("anna.p12", "rb")).decode()
        error = self.refused("mail.certificate.import", "anna", {"data_base64": p12, "password": "falsch"})
        self.assertEqual((error["code"], error["field"]), ("invalid_params", "password"))
        error = self.refused("mail.certificate.import", "anna", {"data_base64": p12})
        self.assertEqual(error["field"], "password")
        cut = self.read("anna.pem")[:300]
        error = self.refused("mail.certificate.import", "anna", {"pem": cut})
        self.assertEqual(error["field"], "pem")
        error = self.refused("mail.certificate.import", "anna",
                             {"data_base64": base64.b64encode(b"\x30\x82\x01garbage").decode()})
        self.assertEqual(error["field"], "data_base64")
        self.assertEqual(self.ok("mail.certificate.list", "anna", {"store": "personal"})["items"], [])

    def test_a_clerk_sees_neither_another_users_personal_store_nor_changes_the_plugins(self):
        mine = self.ok("mail.certificate.import", "anna", {"pem": self.read("anna.pem")})
        self.assertEqual(self.refused("mail.certificate.show", "ben", {"id": mine["id"]})["code"], "not_found")
        self.assertEqual(self.refused("mail.certificate.delete", "ben", {"id": mine["id"]})["code"], "not_found")
        self.assertEqual(self.ok("mail.certificate.list", "ben", {"store": "personal"})["items"], [])
        error = self.refused("mail.certificate.import", "ben", {"store": "plugin", "pem": self.read("anna.pem")})
        self.assertEqual((error["code"], error["field"]), ("forbidden", "store"))
        self.ok("mail.certificate.show", "root", {"id": mine["id"]})  # admins see every store
        error = self.refused("mail.certificate.export", "anna", {"id": mine["id"], "format": "pkcs12",
                                                                 "password": "neues-passwort"})
        self.assertEqual(error["code"], "forbidden")
        self.ok("mail.certificate.delete", "anna", {"id": mine["id"]})
        self.assertEqual(self.ok("mail.certificate.list", "anna", {"store": "personal"})["items"], [])

    def test_pkcs12_key_is_sealed_exported_by_admins_only_and_survives_a_key_rotation(self):
        p12 = base64.b64encode(self.read("anna.p12", "rb")).decode()
        imported = self.ok("mail.certificate.import", "anna", {"data_base64": p12, "password": "Gr\u00fcezi-2026"})
        self.assertTrue(imported["private_key"])
        key = base64.b64decode("".join(self.read("anna.key").splitlines()[1:-1]))
        secret_part = key[-60:-20]  # the end of the private key: no certificate holds it
        for root, _, files in os.walk(self.host.dir):  # the key is nowhere in the clear
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    self.assertFalse(secret_part in f.read(), f"the private key is in the clear in {name}")
        rotated = self.ok("mail.secrets.rotate", "root", {})
        self.assertEqual(rotated["certificate_keys_resealed"], 1)
        exported = self.ok("mail.certificate.export", "root", {"id": imported["id"], "format": "pkcs12",
                                                               "password": "neues-Passwort-1"})
        out = os.path.join(self.files, "exported.p12")
        with open(out, "wb") as f:
            f.write(base64.b64decode(exported["data_base64"]))
        opened = subprocess.run(["openssl", "pkcs12", "-in", out, "-passin", "pass:neues-Passwort-1", "-nodes",
                                 "-nocerts"], capture_output=True, text=True)
        self.assertEqual(opened.returncode, 0, opened.stderr)
        theirs = subprocess.run(["openssl", "pkey", "-pubout"], input=opened.stdout, capture_output=True, text=True)
        ours = subprocess.run(["openssl", "pkey", "-in", os.path.join(self.files, "anna.key"), "-pubout"],
                              capture_output=True, text=True)
        self.assertEqual(theirs.stdout, ours.stdout)  # the same key came back


TOKEN_PIN = "Pin-7391-Zug"
TOKEN_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../fixtures/softhsm_token.sh")


class TokenCertificateTest(unittest.TestCase):
    """Anna's key and certificate on a softhsm2 token in the test's own folder: only the key's pkcs11: URI and
    the PIN, sealed, come into the store."""
    read, call, ok, refused = (CertificateStoreTest.read, CertificateStoreTest.call, CertificateStoreTest.ok,
                               CertificateStoreTest.refused)
    tearDown = CertificateStoreTest.tearDown

    @classmethod
    def setUpClass(cls):
        cls.files = tempfile.mkdtemp(prefix="erpmail-token.")
        make_certificates(cls.files)
        cls.token = os.path.join(cls.files, "hsm")
        subprocess.run([TOKEN_SCRIPT, cls.token, "erpmail", TOKEN_PIN, "anna.key", "anna.pem", "anna"],
                       cwd=cls.files, check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.files, ignore_errors=True)

    def setUp(self):
        self.host = Host(users=USERS, grants={"mail.use": "*"},
                         env={"SOFTHSM2_CONF": os.path.join(self.token, "softhsm2.conf")})

    def assert_pin_nowhere(self, *outputs):
        for text in outputs:
            self.assertNotIn(TOKEN_PIN, text if isinstance(text, str) else json.dumps(text))
        for root, _, files in os.walk(self.host.dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    self.assertNotIn(TOKEN_PIN.encode(), f.read(), f"the PIN is in the clear in {name}")

    def test_certificate_read_from_the_token_keeps_its_key_there_and_the_pin_sealed(self):
        code, imported, err = self.call("mail.certificate.import", "anna",
                                        {"key_uri": "pkcs11:token=erpmail;object=anna;type=cert", "pin": TOKEN_PIN})
        self.assertEqual(code, 0, (imported, err))
        self.assertTrue(imported["imported"])
        self.assertEqual((imported["private_key"], imported["private_key_location"], imported["key_uri"]),
                         (True, "token", "pkcs11:token=erpmail;object=anna"))
        self.assertEqual(imported["emails"], ["anna@example.ch"])
        listed = self.ok("mail.certificate.list", "anna", {"store": "personal"})["items"]
        self.assertEqual([(i["id"], i["private_key_location"]) for i in listed], [(imported["id"], "token")])
        shown = self.ok("mail.certificate.show", "anna", {"id": imported["id"]})
        self.assertEqual(shown["private_key_location"], "token")
        # A PEM certificate beside the key's URI is the same certificate: kept once.
        again = self.ok("mail.certificate.import", "anna", {"pem": self.read("anna.pem"), "pin": TOKEN_PIN,
                                                            "key_uri": "pkcs11:token=erpmail;object=anna;type=private"})
        self.assertEqual((again["id"], again["imported"], again["key_added"]), (imported["id"], False, False))
        error = self.refused("mail.certificate.export", "root", {"id": imported["id"], "format": "pkcs12",
                                                                 "password": "neues-Passwort-1"})
        self.assertIn("on a token", error["message"])
        rotated = self.ok("mail.secrets.rotate", "root", {})
        self.assertEqual(rotated["token_pins_resealed"], 1)
        self.assert_pin_nowhere(err, imported, listed, shown, again, rotated)

    def test_a_wrong_pin_or_a_key_that_is_not_the_certificates_is_refused_and_nothing_is_stored(self):
        uri = "pkcs11:token=erpmail;object=anna"
        code, result, err = self.call("mail.certificate.import", "anna", {"key_uri": uri, "pin": "Pin-0000-Zug"})
        self.assertNotEqual(code, 0, result)
        self.assertEqual((result["error"]["code"], result["error"]["field"]), ("invalid_params", "pin"))
        self.assertIn("refused the PIN", result["error"]["message"])
        self.assertNotIn("0000", result["error"]["message"] + err)
        error = self.refused("mail.certificate.import", "anna",
                             {"key_uri": "pkcs11:token=erpmail;object=bob", "pin": TOKEN_PIN})
        self.assertEqual(error["field"], "key_uri")
        error = self.refused("mail.certificate.import", "anna", {"key_uri": uri + "?pin-value=" + TOKEN_PIN,
                                                                 "pin": TOKEN_PIN})
        self.assertEqual(error["field"], "key_uri")
        # The CA's certificate with Anna's key: the key does not belong to it.
        error = self.refused("mail.certificate.import", "anna", {"key_uri": uri, "pin": TOKEN_PIN,
                                                                 "pem": self.read("ca.pem")})
        self.assertEqual(error["field"], "key_uri")
        self.assertIn("does not belong", error["message"])
        error = self.refused("mail.certificate.import", "anna", {"pem": self.read("anna.pem"), "pin": TOKEN_PIN})
        self.assertEqual(error["field"], "pin")
        self.assertEqual(self.ok("mail.certificate.list", "anna", {"store": "personal"})["items"], [])
        self.assert_pin_nowhere(err)

    def test_a_missing_pkcs11_module_is_named(self):
        self.host.cleanup()
        self.host = Host(users=USERS, grants={"mail.use": "*"}, extra="[config]\nerpmail.pkcs11.module = /opt/none.so\n",
                         env={"SOFTHSM2_CONF": os.path.join(self.token, "softhsm2.conf")})
        error = self.refused("mail.certificate.import", "anna",
                             {"key_uri": "pkcs11:token=erpmail;object=anna", "pin": TOKEN_PIN})
        self.assertEqual(error["code"], "unavailable")
        self.assertIn("/opt/none.so", error["message"])


if __name__ == "__main__":
    unittest.main()
