"""erphost and the plugin boundary, end to end through the CLI."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import BUILD, ERPHOST, PLUGIN_DIR, Host, testbed

SEVEN = ["account", "transport.smtp", "transport.pop3", "transport.imap", "certificate", "textblock", "retention"]


class ErphostTest(unittest.TestCase):
    def setUp(self):
        self.host = Host()

    def tearDown(self):
        self.host.cleanup()

    def test_loads_erpmail_and_lists_the_seven_modules_running(self):
        code, table, err = self.host.modules()
        self.assertEqual(code, 0, err)
        self.assertEqual(list(table), SEVEN)
        for module in SEVEN:
            self.assertEqual(table[module][:2], ("yes", "running"), module)
        self.assertIn("needs account", table["transport.smtp"][2])

    def test_ops_catalogue_describes_every_operation(self):
        code, out, err = self.host.run("ops", "--json")
        self.assertEqual(code, 0, err)
        ops = json.loads(out)
        names = {op["name"] for op in ops}
        for expected in ["mail.version", "mail.modules.status", "mail.db.check", "mail.smtp.probe",
                         "mail.pop3.probe", "mail.imap.probe", "mail.certificate.inspect",
                         "mail.textblock.preview", "mail.retention.validate"]:
            self.assertIn(expected, names)
        for op in ops:
            self.assertEqual(op["params"]["type"], "object", op["name"])
            self.assertIn(op["permission"], ("mail.use", "mail.admin"))
            self.assertTrue(op["summary"])
        self.assertEqual({op["module"] for op in ops if op["plugin"] == "erpmail"}, set(SEVEN))

    def test_help_is_built_from_the_catalogue(self):
        code, out, _ = self.host.run("--help")
        self.assertEqual(code, 0)
        self.assertIn("call OP --as USER", out)
        self.assertIn("mail.retention.validate", out)
        self.assertIn("Checks a set of retention rules", out)

    def test_version_through_the_plugin(self):
        code, result, err = self.host.call("mail.version", "anna")
        self.assertEqual(code, 0, err)
        self.assertEqual(result["plugin"], "erpmail")
        self.assertEqual(result["abi"], "1.1")
        self.assertTrue(result["libraries"]["gmime"].startswith("3."))

    def test_modules_status_reports_each_module(self):
        code, result, _ = self.host.call("mail.modules.status", "anna")
        self.assertEqual(code, 0)
        self.assertEqual([m["id"] for m in result["modules"]], SEVEN)
        self.assertTrue(all(m["running"] for m in result["modules"]))
        smtp = next(m for m in result["modules"] if m["id"] == "transport.smtp")
        self.assertEqual(smtp["dependencies"], ["account"])
        self.assertEqual(smtp["operations"][0], "mail.smtp.probe")
        self.assertIn("mail.send", smtp["operations"])

    def test_unknown_user_operation_and_bad_json_get_clear_errors(self):
        code, result, _ = self.host.call("mail.version", "mallory")
        self.assertEqual((code, result["error"]["code"]), (1, "unknown_user"))
        self.assertIn("mallory", result["error"]["message"])
        code, result, _ = self.host.call("mail.teleport", "anna")
        self.assertEqual((code, result["error"]["code"]), (1, "unknown_operation"))
        self.assertIn("mail.teleport", result["error"]["message"])
        code, out, _ = self.host.run("call", "mail.version", "--as", "anna", "--json", "{not json")
        self.assertEqual(code, 1)
        self.assertEqual(json.loads(out)["error"]["code"], "invalid_json")
        code, out, _ = self.host.run("call", "mail.version", "--as", "anna", "--json", "[1]")
        self.assertEqual(json.loads(out)["error"]["code"], "invalid_json")

    def test_params_are_validated_with_the_field_named(self):
        code, result, _ = self.host.call("mail.retention.validate", "anna", {"empty_trash_after_days": -3})
        self.assertEqual(code, 1)
        self.assertEqual(result["error"]["code"], "invalid_params")
        self.assertEqual(result["error"]["field"], "empty_trash_after_days")
        code, result, _ = self.host.call("mail.version", "anna", {"surprise": True})
        self.assertEqual(result["error"]["field"], "surprise")
        code, result, _ = self.host.call("mail.retention.validate", "anna",
                                         {"attachments_larger_than_kb": 500, "attachments_after_days": 90})
        self.assertEqual(code, 0)
        self.assertIn("larger than 500 kB", result["description"])

    def test_permissions_are_checked_at_dispatch(self):
        code, result, _ = self.host.call("mail.version", "guest")  # group without mail.use
        self.assertEqual((code, result["error"]["code"]), (1, "forbidden"))
        code, result, _ = self.host.call("mail.db.check", "anna")  # mail.admin only
        self.assertEqual(result["error"]["code"], "forbidden")
        code, result, err = self.host.call("mail.db.check", "root")  # admins hold every permission
        self.assertEqual(code, 0, err)
        self.assertTrue(result["ok"])

    def test_params_from_file_and_stdin(self):
        path = os.path.join(self.host.dir, "params.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"text": "Grüezi {{name}}", "variables": {"name": "Frau Müller"}}, f, ensure_ascii=False)
        code, out, _ = self.host.run("call", "mail.textblock.preview", "--as", "anna", "--json", "@" + path)
        self.assertEqual(json.loads(out)["text"], "Grüezi Frau Müller")
        code, out, _ = self.host.run("call", "mail.textblock.preview", "--as", "anna", "--json", "-",
                                     stdin='{"text":"{{a}}","variables":{"a":"ü"}}')
        self.assertEqual(json.loads(out)["text"], "ü")

    def test_textblock_preview_reads_host_documents(self):
        self.host.write_documents({"invoice": {"2026-0042": {
            "file": "none.pdf", "variables": {"customer.name": "Müller & Söhne AG", "total": "1'234.50"}}}})
        code, result, err = self.host.call("mail.textblock.preview", "anna", {
            "text": "Sehr geehrte Damen und Herren der {{customer.name}}, total {{ total }}, fällig {{due}}.",
            "doctype": "invoice", "doc_id": "2026-0042"})
        self.assertEqual(code, 0, err)
        self.assertEqual(result["text"],
                         "Sehr geehrte Damen und Herren der Müller & Söhne AG, total 1'234.50, fällig {{due}}.")
        self.assertEqual(result["missing"], ["due"])
        code, result, _ = self.host.call("mail.textblock.preview", "anna", {"text": "x", "doctype": "invoice"})
        self.assertEqual(result["error"]["field"], "doc_id")

    def payroll_host(self):
        """A host whose payslips are for group hr only ([documents] payslip = hr); invoices are for everyone."""
        self.host.cleanup()
        self.host = Host(users={"anna": ("Anna Muster", "sales", False), "hanna": ("Hanna Hürlimann", "hr", False),
                                "root": ("Administrator", "", True)},
                         grants={"mail.use": "*"}, document_readers={"payslip": "hr"})
        self.host.write_documents({
            "payslip": {"2026-07": {"file": "none.pdf", "variables": {"salary": "7'300.00"}}},
            "invoice": {"2026-0042": {"file": "none.pdf", "variables": {"total": "1'234.50"}}}})

    def test_clerk_cannot_preview_a_text_block_with_payslip_variables(self):
        self.payroll_host()
        payslip = {"text": "Ihr Lohn: {{salary}}", "doctype": "payslip", "doc_id": "2026-07"}
        code, result, _ = self.host.call("mail.textblock.preview", "anna", payslip)
        self.assertEqual((code, result["error"]["code"], result["error"]["field"]), (1, "forbidden", "doctype"))
        self.assertIn("user 'anna' may not read document payslip 2026-07", result["error"]["message"])
        self.assertIn("documents of type 'payslip' are for the group(s) hr", result["error"]["message"])
        self.assertNotIn("7'300", json.dumps(result))
        for reader in ("hanna", "root"):
            code, result, err = self.host.call("mail.textblock.preview", reader, payslip)
            self.assertEqual((code, result.get("text")), (0, "Ihr Lohn: 7'300.00"), f"{reader}: {result} {err}")
        code, result, err = self.host.call("mail.textblock.preview", "anna", {
            "text": "Total {{total}}", "doctype": "invoice", "doc_id": "2026-0042"})
        self.assertEqual((code, result.get("text")), (0, "Total 1'234.50"), f"{result} {err}")

    def test_text_block_that_would_fill_200mb_answers_with_the_cap_at_once(self):
        import time
        value = "x" * 1000
        self.host.write_documents({"invoice": {"2026-0042": {"file": "none.pdf", "variables": {"a": value}}}})
        for params in ({"text": "{{a}}" * 200000, "variables": {"a": value}},  # 1 MB in, 200 MB out
                       {"text": "{{a}}" * 200000, "doctype": "invoice", "doc_id": "2026-0042"}):
            path = os.path.join(self.host.dir, "params.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(params, f)
            started = time.monotonic()
            with open(os.path.join(self.host.dir, "out.json"), "w+", encoding="utf-8") as out:
                proc = subprocess.Popen([ERPHOST, "--config", self.host.config, "call", "mail.textblock.preview",
                                         "--as", "anna", "--json", "@" + path], stdout=out, stderr=subprocess.DEVNULL)
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                seconds = time.monotonic() - started
                out.seek(0)
                result = json.load(out)
            self.assertEqual(proc.returncode, 1, str(result)[:300])
            self.assertEqual((result["error"]["code"], result["error"]["field"]), ("invalid_params", "text"))
            self.assertIn("larger than 16 MiB, the limit of mail.textblock.preview", result["error"]["message"])
            self.assertLess(seconds, 10)
            # ASan keeps up to 256 MB of freed memory in quarantine, so its builds get the quarantine on top.
            limit_mb = 200 + (256 if os.environ.get("ERPMAIL_SANITIZE") == "ON" else 0)
            self.assertLess(usage.ru_maxrss * 1024, limit_mb * 1024 * 1024)  # kB on Linux


class CatalogueDocTest(unittest.TestCase):
    def test_docs_operations_md_is_current(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
        generated = subprocess.run([os.path.join(root, "scripts", "operations-doc"), BUILD], check=True,
                                   capture_output=True, text=True).stdout
        with open(os.path.join(root, "docs", "operations.md"), encoding="utf-8") as f:
            self.assertEqual(f.read(), generated, "docs/operations.md is stale: run scripts/operations-doc")


class EnablingTest(unittest.TestCase):
    def test_disabled_module_is_listed_and_answers_module_disabled(self):
        host = Host(modules="account, transport.smtp, transport.pop3, certificate, textblock, retention")
        try:
            code, table, _ = host.modules()
            self.assertEqual(table["transport.imap"][:2], ("no", "disabled"))
            self.assertEqual(table["transport.smtp"][:2], ("yes", "running"))
            code, result, _ = host.call("mail.imap.probe", "root", {"host": "localhost"})
            self.assertEqual(code, 1)
            self.assertEqual(result["error"]["code"], "module_disabled")
            self.assertIn("transport.imap", result["error"]["message"])
            code, status, _ = host.call("mail.modules.status", "anna")
            running = {m["id"]: m["running"] for m in status["modules"]}
            self.assertFalse(running["transport.imap"])
            self.assertTrue(running["transport.smtp"])
        finally:
            host.cleanup()

    def test_module_whose_dependency_is_disabled_is_refused_by_name(self):
        host = Host(modules="transport.smtp, certificate")
        try:
            code, table, err = host.modules()
            self.assertEqual(table["account"][:2], ("no", "disabled"))
            for module in ("transport.smtp", "certificate"):
                self.assertEqual(table[module][:2], ("yes", "refused"))
                self.assertIn("needs module 'account', which is disabled", table[module][2])
            self.assertIn("not started", err)
            code, result, _ = host.call("mail.certificate.inspect", "anna", {"pem": "x"})
            self.assertEqual(result["error"]["code"], "module_disabled")
        finally:
            host.cleanup()

    def test_unreachable_system_database_fails_start_with_its_id(self):
        host = Host(databases={"central": (
            "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=1;Database=x;UID=x;PWD=hidden-Pw-9", True)})
        try:
            code, table, err = host.modules()
            self.assertEqual(table["account"][1], "failed")
            self.assertIn("database 'central'", table["account"][2])
            self.assertIn("refused", table["transport.smtp"][1])
            self.assertNotIn("hidden-Pw-9", err + json.dumps(table))
            code, result, _ = host.call("mail.version", "anna")
            self.assertEqual(result["error"]["code"], "module_disabled")
        finally:
            host.cleanup()


class AbiTest(unittest.TestCase):
    def test_host_refuses_plugins_of_another_major_or_a_newer_minor(self):
        folder = tempfile.mkdtemp(prefix="plugins.")
        for name in ("probe_good", "probe_major2", "probe_minor_newer", "probe_no_symbols"):
            os.symlink(os.path.join(BUILD, "test-plugins", name + ".so"), os.path.join(folder, name + ".so"))
        os.symlink(os.path.join(PLUGIN_DIR, "erpmail.so"), os.path.join(folder, "erpmail.so"))
        host = Host(plugin_dir=folder)
        try:
            code, table, err = host.modules()
            self.assertEqual(code, 0, err)
            self.assertIn("plugin probe_major2.so not loaded: it was built for host ABI 2.0, but this host speaks "
                          "ABI 1.1 (major versions must match)", err)
            self.assertIn("plugin probe_minor_newer.so not loaded: it needs host ABI 1.2, newer than this host's "
                          "1.1; update the host", err)
            self.assertIn("plugin probe_no_symbols.so not loaded: it lacks the entry points", err)
            self.assertIn("probe", table)  # the good C plugin loaded beside erpmail
            self.assertEqual(table["account"][1], "running")
            code, result, _ = host.call("probe.echo", "anna", {"x": "ü"})
            self.assertEqual((code, result), (0, {"echo": {"x": "ü"}}))
            code, result, _ = host.call("mail.version", "anna")
            self.assertEqual(result["plugin"], "erpmail")
        finally:
            host.cleanup()

    @unittest.skipIf(os.environ.get("ERPMAIL_SANITIZE") == "ON",
                     "an ASan-built plugin cannot be loaded into an uninstrumented Python")
    def test_plugin_refuses_a_host_of_another_major(self):
        # The plugin's own check, driven through ctypes with a host that claims ABI 2.0.
        import ctypes
        lib = ctypes.CDLL(os.path.join(PLUGIN_DIR, "erpmail.so"))
        self.assertEqual(lib.erp_plugin_abi_version() >> 16, 1)

        class Sink(ctypes.Structure):
            _fields_ = [("struct_size", ctypes.c_uint32), ("ctx", ctypes.c_void_p),
                        ("write", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t))]
        collected = []
        write = Sink._fields_[2][1](lambda ctx, data, n: collected.append(ctypes.string_at(data, n)) or 0)
        sink = Sink(ctypes.sizeof(Sink), None, write)
        host = (ctypes.c_uint8 * 128)()
        ctypes.memmove(host, (ctypes.c_uint32 * 2)(128, (2 << 16) | 0), 8)
        plugin = (ctypes.c_uint8 * 40)()
        ctypes.memmove(plugin, (ctypes.c_uint32 * 1)(40), 4)
        status = lib.erp_plugin_load(host, plugin, ctypes.byref(sink))
        self.assertEqual(status, 3)  # ERP_VERSION_MISMATCH
        self.assertIn(b"erpmail needs host ABI 1.0 or a later minor; the host has 2.0", b"".join(collected))

    def test_minimal_c_host_from_the_docs(self):
        folder = tempfile.mkdtemp(prefix="minimal-host.")
        proc = subprocess.run([os.path.join(BUILD, "bin", "minimal_host"), os.path.join(PLUGIN_DIR, "erpmail.so"),
                               f"Driver=SQLite3;Database={folder}/m.db", folder],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(json.loads(proc.stdout.strip())["plugin"], "erpmail")

    def minimal_host(self, plugin, *call):
        """Runs the C host of docs/host-sdk.md (ABI 1.0) with plugin; (exit status, stdout, stderr)."""
        folder = tempfile.mkdtemp(prefix="minimal-host.")
        proc = subprocess.run([os.path.join(BUILD, "bin", "minimal_host"), plugin,
                               f"Driver=SQLite3;Database={folder}/m.db", folder, *call],
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout.strip(), proc.stderr

    def test_clerk_cannot_read_payslip_variables_through_a_host_of_abi_10(self):
        erpmail = os.path.join(PLUGIN_DIR, "erpmail.so")
        payslip = json.dumps({"text": "Ihr Lohn: {{salary}}", "doctype": "payslip", "doc_id": "2026-07"})
        code, out, err = self.minimal_host(erpmail, "mail.textblock.preview", "clerk", payslip)
        self.assertEqual(code, 1, out + err)
        error = json.loads(out)["error"]
        self.assertEqual((error["code"], error["field"]), ("forbidden", "doctype"))
        self.assertIn("user 'clerk' may not fill variables from document payslip 2026-07: this host does not check "
                      "who may read its documents", error["message"])
        self.assertIn("only admins", error["message"])
        self.assertIn("ask an admin, or upgrade the host", error["message"])
        self.assertNotIn("7'300", out)
        code, out, err = self.minimal_host(erpmail, "mail.textblock.preview", "admin", payslip)
        self.assertEqual((code, json.loads(out).get("text")), (0, "Ihr Lohn: 7'300.00"), out + err)
        code, out, err = self.minimal_host(erpmail, "mail.textblock.preview", "clerk",
                                           json.dumps({"text": "{{a}}", "variables": {"a": "given"}}))
        self.assertEqual((code, json.loads(out).get("text")), (0, "given"), out + err)  # given values need no document

    def test_plugin_built_at_abi_11_loads_in_a_10_host_only_when_its_minor_allows(self):
        plugins = os.path.join(BUILD, "test-plugins")
        code, out, err = self.minimal_host(os.path.join(plugins, "probe_good.so"), "probe.echo", "clerk", "{}")
        self.assertEqual(code, 1)
        self.assertIn("plugin ABI 1.1 does not fit host ABI 1.0", err)
        code, out, err = self.minimal_host(os.path.join(plugins, "probe_minor_older.so"), "probe.echo", "clerk",
                                           '{"x":1}')
        self.assertEqual((code, json.loads(out)), (0, {"echo": {"x": 1}, "documents_as_user": False}), err)
        # The same plugin in erphost (ABI 1.1) finds the 1.1 members.
        folder = tempfile.mkdtemp(prefix="plugins.")
        os.symlink(os.path.join(plugins, "probe_minor_older.so"), os.path.join(folder, "probe_good.so"))
        host = Host(plugin_dir=folder)
        try:
            code, result, err = host.call("probe.echo", "anna", {"x": 1})
            self.assertEqual((code, result), (0, {"echo": {"x": 1}, "documents_as_user": True}), err)
        finally:
            host.cleanup()


class CertificateTest(unittest.TestCase):
    def test_inspect_reports_expiry_of_the_test_certificates(self):
        tb = testbed()
        host = Host()
        try:
            with open(os.path.join(tb["TB_CA_DIR"], "valid.pem"), encoding="ascii") as f:
                code, result, err = host.call("mail.certificate.inspect", "anna", {"pem": f.read()})
            self.assertEqual(code, 0, err)
            self.assertFalse(result["expired"])
            self.assertGreater(result["days_left"], 300)
            self.assertEqual(result["issuer"], "CN=erpmail test CA")
            code, result, _ = host.call("mail.certificate.inspect", "root",
                                        {"path": os.path.join(tb["TB_CA_DIR"], "expired.pem")})
            self.assertTrue(result["expired"])
            self.assertEqual(result["not_after"], "2020-02-01T00:00:00Z")
            code, result, _ = host.call("mail.certificate.inspect", "root",
                                        {"path": os.path.join(tb["TB_CA_DIR"], "selfsigned.pem")})
            self.assertTrue(result["self_signed"])
            code, result, _ = host.call("mail.certificate.inspect", "anna", {"path": "/etc/passwd"})
            self.assertEqual(result["error"]["code"], "forbidden")
            code, result, _ = host.call("mail.certificate.inspect", "anna", {"pem": "not a certificate"})
            self.assertEqual((result["error"]["code"], result["error"]["field"]), ("invalid_params", "pem"))
        finally:
            host.cleanup()


if __name__ == "__main__":
    unittest.main()
