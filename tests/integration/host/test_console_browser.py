"""The console's screens in headless Chromium (Playwright from ui/node_modules)
against a real `erphost serve --http` on the test bed."""

import os
import shutil
import subprocess
import unittest

from test_console import PASSWORDS, Console

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CHROMIUM = "/usr/bin/chromium"
SHOTS = os.path.join(os.environ.get("ERPMAIL_BUILD_DIR", os.path.join(ROOT, "build")), "console-screenshots")


def browser_missing():
    if os.path.exists(CHROMIUM) and shutil.which("node") and os.path.isdir(os.path.join(ROOT, "ui/node_modules")):
        return None
    return "needs /usr/bin/chromium, node and ui/node_modules (scripts/install-deps)"


@unittest.skipIf(browser_missing() and os.environ.get("CI") != "true", browser_missing() or "")
class ConsoleBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.console = Console()
        cls.url = f"http://127.0.0.1:{cls.console.port}/plugins/erpmail/"

    @classmethod
    def tearDownClass(cls):
        cls.console.close()

    def run_script(self, name, *args):
        proc = subprocess.run(["node", os.path.join(ROOT, "tests/browser", name), *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_sign_in_refuses_a_wrong_password_and_opens_each_screen_without_serious_axe_violations(self):
        self.run_script("signin.mjs", self.url, "anna", PASSWORDS["anna"], SHOTS)


if __name__ == "__main__":
    unittest.main()
