"""The console's screens in headless Chromium (Playwright from ui/node_modules)
against a real `erphost serve --http` on the test bed."""

import base64
import http.server
import os
import shutil
import subprocess
import threading
import unittest

from test_console import CA, PASSWORDS, TB, Console

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CHROMIUM = "/usr/bin/chromium"
SHOTS = os.path.join(os.environ.get("ERPMAIL_BUILD_DIR", os.path.join(ROOT, "build")), "console-screenshots")


def browser_missing():
    if os.path.exists(CHROMIUM) and shutil.which("node") and os.path.isdir(os.path.join(ROOT, "ui/node_modules")):
        return None
    return "needs /usr/bin/chromium, node and ui/node_modules (scripts/install-deps)"


def run_browser_script(test, name, *args):
    """Runs tests/browser/NAME with node; the test fails with the script's output unless it exits 0."""
    proc = subprocess.run(["node", os.path.join(ROOT, "tests/browser", name), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    test.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)


# Skipped where Chromium or node is missing, except in CI, where that is a failure.
needs_browser = unittest.skipIf(browser_missing() and os.environ.get("CI") != "true", browser_missing() or "")


class ConsoleCase(unittest.TestCase):
    """One `erphost serve --http` for the class's tests; `url` opens its screens."""

    @classmethod
    def setUpClass(cls):
        cls.console = Console()
        cls.url = f"http://127.0.0.1:{cls.console.port}/plugins/erpmail/"

    @classmethod
    def tearDownClass(cls):
        cls.console.close()


@needs_browser
class ConsoleBrowserTest(ConsoleCase):

    def run_script(self, name, *args):
        run_browser_script(self, name, *args)

    def test_sign_in_refuses_a_wrong_password_and_opens_each_screen_without_serious_axe_violations(self):
        self.run_script("signin.mjs", self.url, "anna", PASSWORDS["anna"], SHOTS)

    def test_hostile_mail_runs_no_script_and_loads_nothing_remote(self):
        hits = []

        class Listener(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
        threading.Thread(target=listener.serve_forever, daemon=True).start()
        self.addCleanup(listener.server_close)
        self.addCleanup(listener.shutdown)
        port = listener.server_address[1]
        root = self.console.signed_in("root")  # the only account root owns: the one opened first
        status, account = root.invoke("mail.account.create", {
            "label": "Eingang feindlich", "incoming": {
                "protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "folder": "INBOX",
                "user": TB["USER_ERIN"], "password": TB["PASS_ERIN"], "ca": CA, "leave_on_server": {"mode": "forever"}}})
        self.assertEqual(status, 200, account)
        raw = (f"From: boese@example.org\r\nTo: ben@example.org\r\n"
               f"Subject: <script>window.pwned=1</script><img src=http://127.0.0.1:{port}/subject>\r\n"
               "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
               f"<p>Hallo</p><script>window.pwned=1;alert(1)</script><img src=\"http://127.0.0.1:{port}/img\">"
               f"<link rel=stylesheet href=\"http://127.0.0.1:{port}/css\">\r\n")
        status, imported = root.invoke("mail.message.import", {
            "account": account["id"], "raw_base64": base64.b64encode(raw.encode()).decode()})
        self.assertEqual(status, 200, imported)
        self.run_script("hostile-mail.mjs", self.url, "root", PASSWORDS["root"], SHOTS, f"http://127.0.0.1:{port}")
        self.assertEqual(hits, ["/img"])  # only once asked, and only the image: no style sheet, nothing from the subject

    def create_account(self, client, label):
        status, account = client.invoke("mail.account.create", {
            "label": label, "incoming": {
                "protocol": "imaps", "host": "localhost", "port": int(TB["IMAPS_PORT"]), "folder": "INBOX",
                "user": TB["USER_ERIN"], "password": TB["PASS_ERIN"], "ca": CA, "leave_on_server": {"mode": "forever"}}})
        self.assertEqual(status, 200, account)
        return account["id"]

    def test_a_mail_dragged_onto_another_account_moves_there_and_a_request_without_csrf_token_is_refused(self):
        anna = self.console.signed_in("anna")  # "A Erstes" is her main account: the one shown first
        first, second = self.create_account(anna, "A Erstes"), self.create_account(anna, "B Zweites")
        raw = "From: kunde@example.org\r\nTo: anna@example.org\r\nSubject: Zum Verschieben\r\n\r\nHallo\r\n"
        status, _ = anna.invoke("mail.message.import", {
            "account": first, "raw_base64": base64.b64encode(raw.encode()).decode()})
        self.assertEqual(status, 200)
        self.run_script("drag-move.mjs", self.url, "anna", PASSWORDS["anna"], second)
        there = self.console.host.call("mail.message.list", "anna", {"account": second})[1]
        self.assertIn("Zum Verschieben", [m["subject"] for m in there["items"]])
        here = self.console.host.call("mail.message.list", "anna", {"account": first})[1]
        self.assertNotIn("Zum Verschieben", [m["subject"] for m in here["items"]])

    def test_archive_button_archives_and_another_users_personal_account_is_not_listed(self):
        ben = self.console.signed_in("ben")
        mine = self.create_account(ben, "A Ben Eingang")
        raw = "From: kunde@example.org\r\nTo: ben@example.org\r\nSubject: Zum Archivieren\r\n\r\nHallo\r\n"
        self.assertEqual(ben.invoke("mail.message.import", {
            "account": mine, "raw_base64": base64.b64encode(raw.encode()).decode()})[0], 200)
        others = self.create_account(self.console.signed_in("anna"), "A Annas Eingang")
        self.assertNotIn(others, [a["id"] for a in self.console.host.call("mail.account.list", "ben")[1]["accounts"]])
        self.run_script("archive.mjs", self.url, "ben", PASSWORDS["ben"], others)
        archived = self.console.host.call("mail.message.list", "ben", {"account": mine, "state": "archived"})[1]
        self.assertIn("Zum Archivieren", [m["subject"] for m in archived["items"]])


if __name__ == "__main__":
    unittest.main()
