"""The connection tests (mail.*.probe) against the test bed's Dovecot and
Postfix: TLS verified strictly, every bad certificate refused with its reason."""
import unittest

from harness import Host, testbed, testbed_ca


class ProbeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tb = testbed()
        cls.host = Host()

    @classmethod
    def tearDownClass(cls):
        cls.host.cleanup()

    def probe(self, op, host, port, security, ca=True):
        params = {"host": host, "port": int(port), "security": security, "timeout_seconds": 10}
        if ca:
            params["ca_file"] = self.tb["TB_CA"]
        code, result, err = self.host.call(op, "root", params)
        self.assertEqual(code, 0, err)  # a failed probe is a result, not an error
        return result

    def assertRefused(self, result, step, *words):
        self.assertFalse(result["ok"], result)
        failed = result["steps"][-1]
        self.assertFalse(failed["ok"])
        self.assertEqual(failed["step"], step)
        for w in words:
            self.assertIn(w, failed["detail"])

    def test_imaps_with_valid_certificate(self):
        r = self.probe("mail.imap.probe", "localhost", self.tb["IMAPS_PORT"], "tls")
        self.assertTrue(r["ok"], r)
        self.assertIn("IMAP4rev1", r["capabilities"])
        self.assertTrue(r["tls"].startswith("TLSv1."), r["tls"])
        self.assertEqual([s["step"] for s in r["steps"]], ["connect+tls", "greeting", "capabilities"])

    def test_imap_starttls_asks_capabilities_again(self):
        r = self.probe("mail.imap.probe", "127.0.0.1", self.tb["IMAP_PORT"], "starttls")
        self.assertTrue(r["ok"], r)
        self.assertEqual([s["step"] for s in r["steps"]],
                         ["connect", "greeting", "capabilities", "starttls", "capabilities"])
        before, after = r["steps"][2]["detail"], r["steps"][4]["detail"]
        self.assertIn("STARTTLS", before)
        self.assertNotIn("STARTTLS", after)  # Dovecot offers it only before TLS
        self.assertIn("AUTH=PLAIN", after)

    def test_imaps_refuses_expired_wrong_host_and_self_signed(self):
        port = self.tb["IMAPS_PORT"]
        self.assertRefused(self.probe("mail.imap.probe", self.tb["HOST_EXPIRED"], port, "tls"),
                           "connect+tls", "certificate has expired")
        self.assertRefused(self.probe("mail.imap.probe", self.tb["HOST_WRONGHOST"], port, "tls"),
                           "connect+tls", "not valid for host name '127.0.0.3'")
        self.assertRefused(self.probe("mail.imap.probe", self.tb["HOST_SELFSIGNED"], port, "tls"),
                           "connect+tls", "self-signed")

    def test_private_ca_must_be_configured_to_be_trusted(self):
        r = self.probe("mail.imap.probe", "localhost", self.tb["IMAPS_PORT"], "tls", ca=False)
        self.assertRefused(r, "connect+tls", "unknown certificate authority")

    def test_pop3s_and_pop3_stls(self):
        r = self.probe("mail.pop3.probe", "localhost", self.tb["POP3S_PORT"], "tls")
        self.assertTrue(r["ok"], r)
        self.assertIn("UIDL", r["capabilities"])
        r = self.probe("mail.pop3.probe", "localhost", self.tb["POP3_PORT"], "starttls")
        self.assertTrue(r["ok"], r)
        self.assertIn("STLS", r["steps"][2]["detail"])

    def test_smtp_submission_starttls_and_smtps(self):
        r = self.probe("mail.smtp.probe", "localhost", self.tb["SUBMISSION_PORT"], "starttls")
        self.assertTrue(r["ok"], r)
        self.assertNotIn("AUTH PLAIN LOGIN", r["steps"][2]["detail"])  # no AUTH before TLS
        self.assertTrue(any(c.startswith("AUTH") for c in r["capabilities"]), r["capabilities"])
        r = self.probe("mail.smtp.probe", "localhost", self.tb["SMTPS_PORT"], "tls")
        self.assertTrue(r["ok"], r)
        self.assertIn("erpmail test bed", r["greeting"])

    def test_smtp_without_starttls_offer_is_refused(self):
        r = self.probe("mail.smtp.probe", "localhost", self.tb["SUBMISSION_NOTLS_PORT"], "starttls")
        self.assertRefused(r, "starttls", "does not offer STARTTLS")

    def test_smtp_refuses_bad_certificates_by_reason(self):
        for key, reason in (("SUBMISSION_EXPIRED_PORT", "certificate has expired"),
                            ("SUBMISSION_WRONGHOST_PORT", "not valid for host name 'localhost'"),
                            ("SUBMISSION_SELFSIGNED_PORT", "self-signed")):
            with self.subTest(key):
                r = self.probe("mail.smtp.probe", "localhost", self.tb[key], "starttls")
                self.assertRefused(r, "starttls", reason)

    def test_connection_refused_is_reported(self):
        r = self.probe("mail.imap.probe", "127.0.0.1", 1, "tls")
        self.assertRefused(r, "connect+tls", "refused")

    def test_probe_is_for_admins(self):
        code, result, _ = self.host.call("mail.imap.probe", "anna", {"host": "localhost"})
        self.assertEqual(result["error"]["code"], "forbidden")

    def test_certificate_naming_the_host_only_in_its_cn_is_refused_on_every_protocol(self):
        # Signed by the trusted test CA, subject CN=localhost, no subjectAltName (RFC 6125 forbids the CN fallback).
        for op, key, security, step in (("mail.imap.probe", "IMAPS_CNONLY_PORT", "tls", "connect+tls"),
                                        ("mail.imap.probe", "IMAP_CNONLY_PORT", "starttls", "starttls"),
                                        ("mail.pop3.probe", "POP3S_CNONLY_PORT", "tls", "connect+tls"),
                                        ("mail.smtp.probe", "SMTPS_CNONLY_PORT", "tls", "connect+tls"),
                                        ("mail.smtp.probe", "SUBMISSION_CNONLY_PORT", "starttls", "starttls")):
            with self.subTest(key):
                self.assertRefused(self.probe(op, "localhost", self.tb[key], security), step,
                                   "certificate for localhost has no subjectAltName")


    def test_probe_trusts_a_ca_given_as_pem_text(self):
        params = {"host": "localhost", "port": int(self.tb["IMAPS_PORT"]), "security": "tls", "timeout_seconds": 10,
                  "ca": testbed_ca()}
        code, result, err = self.host.call("mail.imap.probe", "root", params)
        self.assertEqual(code, 0, err)
        self.assertTrue(result["ok"], result)
        code, result, _ = self.host.call("mail.imap.probe", "root", params | {"ca": "kein Zertifikat"})
        self.assertEqual((code, result["error"]["code"], result["error"]["field"]), (1, "invalid_params", "ca"))

    def test_probe_ca_file_must_be_a_regular_file(self):
        for path, words in [(self.tb["TB_DIR"], "directory"), ("/dev/zero", "not a regular file")]:
            with self.subTest(path=path):
                code, result, _ = self.host.call("mail.imap.probe", "root", {
                    "host": "localhost", "port": int(self.tb["IMAPS_PORT"]), "security": "tls", "ca_file": path})
                self.assertEqual((code, result["error"]["code"], result["error"]["field"]),
                                 (1, "invalid_params", "ca_file"), result)
                self.assertIn(words, result["error"]["message"])

if __name__ == "__main__":
    unittest.main()
