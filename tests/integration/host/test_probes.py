"""The connection tests (mail.*.probe) against the test bed's Dovecot and
Postfix: TLS verified strictly, every bad certificate refused with its reason."""
import os
import unittest

from harness import Host, start_scripted_server, testbed, testbed_ca


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

class AccountTestSignsInAsFetchAndSendDo(unittest.TestCase):
    """mail.account.test runs the sessions that fetch and send: the same
    mechanism and the same bytes on the wire, each step reported."""

    @classmethod
    def setUpClass(cls):
        cls.tb = testbed()
        cls.host = Host(grants={"mail.use": "*"})

    @classmethod
    def tearDownClass(cls):
        cls.host.cleanup()

    def call(self, op, params, code=0):
        status, result, err = self.host.call(op, "anna", params)
        self.assertEqual(status, code, f"{op}: {result} {err}")
        return result

    def account(self, protocol, port, user, password, host="localhost", smtp=True):
        params = {"label": f"Test {protocol} {port}", "sender_email": user,
                  "incoming": {"protocol": protocol, "host": host, "port": int(port), "user": user,
                               "password": password, "ca": testbed_ca(), "leave_on_server": {"mode": "forever"}}}
        if smtp:
            params["smtp"] = {"host": "localhost", "port": int(self.tb["SUBMISSION_PORT"]), "security": "starttls",
                              "ca": testbed_ca(), "user": user, "password": password}
        return self.call("mail.account.create", params)["id"]

    def log_lines(self, name, needle):
        with open(os.path.join(self.tb["TB_DIR"], name), encoding="utf-8", errors="replace") as f:
            return [line for line in f if needle in line]

    def test_account_test_reports_every_step_of_the_sessions_that_fetch_and_send(self):
        tb = self.tb
        for protocol, port, expected in (
                ("imaps", tb["IMAPS_PORT"], ["connect+tls", "greeting", "capabilities", "login", "select"]),
                ("imap", tb["IMAP_PORT"], ["connect", "greeting", "capabilities", "starttls", "capabilities", "login",
                                           "select"]),
                ("pop3s", tb["POP3S_PORT"], ["connect+tls", "greeting", "capabilities", "login", "stat"]),
                ("pop3", tb["POP3_PORT"], ["connect", "greeting", "capabilities", "starttls", "capabilities",
                                           "login", "stat"])):
            with self.subTest(protocol):
                tested = self.call("mail.account.test", {"id": self.account(protocol, port, tb["USER_CAROL"],
                                                                            tb["PASS_CAROL"]), "check_sender": True})
                self.assertTrue(tested["ok"], tested)
                incoming, smtp = tested["incoming"], tested["smtp"]
                self.assertEqual([s["step"] for s in incoming["steps"]], expected)
                self.assertTrue(all(s["ok"] and isinstance(s["ms"], int) for s in incoming["steps"]), incoming)
                steps = {s["step"]: s for s in incoming["steps"]}
                self.assertIn("ready", steps["greeting"]["server"])  # Dovecot's own words
                self.assertIn("Logged in", steps["login"]["server"])
                self.assertEqual(incoming["authentication"], "PLAIN")
                self.assertTrue(incoming["tls"].startswith("TLSv1."), incoming)
                self.assertEqual([s["step"] for s in smtp["steps"]],
                                 ["connect", "greeting", "capabilities", "starttls", "capabilities", "login",
                                  "mail_from"])
                self.assertTrue(all(s["ok"] for s in smtp["steps"]), smtp)
                self.assertEqual(smtp["authentication"], "PLAIN")
                self.assertIn("erpmail test bed", smtp["greeting"])
                self.assertTrue(smtp["steps"][-1]["server"].startswith("250"), smtp)

    def test_wrong_password_fails_the_login_step_with_the_servers_words(self):
        tb = self.tb
        for protocol, port in (("imaps", tb["IMAPS_PORT"]), ("pop3s", tb["POP3S_PORT"])):
            with self.subTest(protocol):
                tested = self.call("mail.account.test", {"id": self.account(protocol, port, tb["USER_CAROL"],
                                                                            "falsch")})
                self.assertFalse(tested["ok"])
                for side, words in (("incoming", "Authentication failed"), ("smtp", "535")):
                    steps = tested[side]["steps"]
                    self.assertEqual(steps[-1]["step"], "login", tested[side])
                    self.assertFalse(steps[-1]["ok"])
                    self.assertIn(words, steps[-1]["detail"])
                    self.assertTrue(all(s["ok"] for s in steps[:-1]), steps)
                self.assertIn("535", tested["smtp"]["error"])

    def test_pop3_and_imap_account_tests_send_the_same_login_as_a_fetch(self):
        # On a server that offers both, a fetch signs in with SASL PLAIN; so must the test, never USER/PASS.
        password = "Grüezi-Paßwort-€"
        for mode, login in (("pop3s", "AUTH PLAIN "), ("imaps", "AUTHENTICATE PLAIN ")):
            with self.subTest(mode):
                server, port, log = start_scripted_server("credential_collector.py", mode, self.host)
                try:
                    account = self.account(mode, port, "zoe@erpmail.test", password, smtp=False)
                    self.host.call("mail.fetch", "anna", {"account": account})  # signs in, then the collector refuses
                    self.call("mail.account.test", {"id": account})
                finally:
                    server.kill()
                    server.wait()
                    server.stdout.close()
                with open(log, encoding="utf-8") as f:
                    sessions = f.read().split("connected\n")[1:]
                os.remove(log)
                self.assertEqual(len(sessions), 2, sessions)
                logins = []
                for lines in sessions:
                    sent = [line.split(" ", 1)[1] for line in lines.splitlines()]
                    self.assertFalse([l for l in sent if l.upper().startswith(("USER", "PASS", "LOGIN"))], sent)
                    auth = [l for l in sent if login in l]
                    self.assertEqual(len(auth), 1, sent)
                    logins.append(auth[0].split(login, 1)[1])
                self.assertEqual(logins[0], logins[1])  # the same bytes: the 8-bit password alike

    def test_eight_bit_password_signs_in_alike_in_test_fetch_and_send(self):
        tb = self.tb
        user, password = tb["USER_ZOE"], tb["PASS_ZOE"]
        for protocol, port, log_name in (("imaps", tb["IMAPS_PORT"], "imap-login"),
                                         ("pop3s", tb["POP3S_PORT"], "pop3-login")):
            with self.subTest(protocol):
                needle = f"{log_name}: Info: Login: user=<{user}>"
                before = len(self.log_lines("dovecot/dovecot.log", needle))
                account = self.account(protocol, port, user, password)
                self.call("mail.fetch", {"account": account})
                tested = self.call("mail.account.test", {"id": account})
                self.assertTrue(tested["ok"], tested)
                self.assertEqual(tested["incoming"]["authentication"], "PLAIN")
                self.assertEqual(tested["smtp"]["authentication"], "PLAIN")
                logins = self.log_lines("dovecot/dovecot.log", needle)[before:]
                self.assertEqual(len(logins), 2, logins)  # the fetch and the test, alike
                self.assertTrue(all("method=PLAIN" in l for l in logins), logins)
                sasl_before = len(self.log_lines("postfix/postfix.log", f"sasl_username={user}"))
                self.call("mail.send", {"account": account, "to": [tb["USER_BOB"]], "subject": "8 bit", "text": "x"})
                processed = self.call("mail.outbox.process", {"account": account})
                self.assertEqual(processed["sent"], 1, self.call("mail.outbox.list", {"account": account}))
                sasl = self.log_lines("postfix/postfix.log", f"sasl_username={user}")[sasl_before:]
                self.assertEqual(len(sasl), 1, sasl)
                self.assertIn("sasl_method=PLAIN", sasl[0])


if __name__ == "__main__":
    unittest.main()
