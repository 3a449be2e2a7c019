"""Migrations through erphost on SQLite (embedded default) and PostgreSQL."""
import base64
import glob
import os
import unittest
import uuid

from harness import Host, testbed, testbed_ca


def highest_migration(scope):
    """The highest NNNN of sql/NNNN_<scope>_*.sql (one file serves both dialects)."""
    sql = os.path.join(os.environ.get("ERPMAIL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../../..")), "sql")
    return max(int(os.path.basename(f)[:4]) for f in glob.glob(os.path.join(sql, f"*_{scope}_*.sql")))


class StorageTest(unittest.TestCase):
    def test_migrations_on_sqlite_and_postgresql_and_again(self):
        tb = testbed()
        host = Host(databases={
            "main": ("Driver=SQLite3;Database={dir}/system.db", True),
            "pg": (tb["PG_ODBC"], False),
            "pg2": (tb["PG_ODBC_SECOND"], False),
            "down": ("Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=1;Database=x;UID=x;PWD=x", False),
        })
        try:
            for attempt in (1, 2):
                code, result, err = host.call("mail.db.check", "root")
                self.assertEqual(code, 0, err)
                dbs = {d["id"]: d for d in result["databases"]}
                self.assertEqual(dbs["main"]["dialect"], "sqlite")
                self.assertEqual(dbs["main"]["schema"], {"system": highest_migration("system"),
                                                        "mailbox": highest_migration("mailbox")})
                for pg in ("pg", "pg2"):
                    self.assertTrue(dbs[pg]["ok"], dbs[pg])
                    self.assertEqual(dbs[pg]["dialect"], "postgresql")
                    self.assertEqual(dbs[pg]["schema"], {"mailbox": highest_migration("mailbox")})
                self.assertFalse(dbs["down"]["ok"])
                self.assertIn("database 'down'", dbs["down"]["error"])
                self.assertFalse(result["ok"], attempt)
            code, result, _ = host.call("mail.db.check", "root", {"database": "nowhere"})
            self.assertEqual((result["error"]["code"], result["error"]["field"]), ("not_found", "database"))
        finally:
            host.cleanup()


class MessageParamsTest(unittest.TestCase):
    """What mail.message.*, mail.outbox.* and mail.address.* answer to ids and inputs that cannot be right."""

    USERS = {"anna": ("Anna Aebi", "sales", False), "root": ("Admin", "", True)}

    def setUp(self):
        self.host = Host(users=self.USERS, grants={"mail.use": "*"})
        _, account, err = self.host.call("mail.account.create", "anna", {"label": "Ablage"})
        self.assertIn("id", account, err)
        self.account = account["id"]

    def tearDown(self):
        self.host.cleanup()

    def refused(self, op, params, field, user="anna", code="invalid_params"):
        status, result, err = self.host.call(op, user, params)
        self.assertEqual(status, 1, f"{op} {params}: {result} {err}")
        self.assertEqual((result["error"]["code"], result["error"].get("field")), (code, field), result)
        return result["error"]

    def raw(self, subject="Ablage"):
        return (f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\n"
                f"Message-ID: <{uuid.uuid4().hex}@example.com>\r\n\r\nText\r\n").encode()

    def test_ids_out_of_range_answer_invalid_params_naming_the_field(self):
        a = self.account
        for bad in [18446744073709551615, 9223372036854775808, 1e300, -1, 0, "7", 1.5]:
            with self.subTest(id=bad):
                self.refused("mail.message.get", {"account": a, "id": bad}, "id")
                self.refused("mail.message.attachment", {"account": a, "id": bad, "index": 1}, "id")
                self.refused("mail.message.attachment", {"account": a, "id": 1, "index": bad}, "index")
                for op in ["archive", "unarchive", "trash", "delete"]:
                    self.refused(f"mail.message.{op}", {"account": a, "ids": [1, bad]}, "ids[1]")
                self.refused("mail.message.move", {"account": a, "ids": [bad], "to_account": a}, "ids[0]")
                self.refused("mail.outbox.retry", {"account": a, "id": bad}, "id")
                self.refused("mail.outbox.cancel", {"account": a, "id": bad}, "id")
                self.refused("mail.message.list", {"account": a, "page": bad}, "page")
                self.refused("mail.address.list", {"account": a, "page": bad}, "page")
                self.refused("mail.outbox.list", {"account": a, "page": bad}, "page")
        # Within 64 bits but beyond int and beyond any page: still the caller's error, not a failure.
        self.refused("mail.message.attachment", {"account": a, "id": 1, "index": 3000000000}, "index")
        self.refused("mail.address.list", {"account": a, "page": 9223372036854775807}, "page")
        self.refused("mail.outbox.list", {"account": a, "page": 9223372036854775807}, "page")
        self.refused("mail.message.get", {"account": a, "id": 9223372036854775807}, "id", code="not_found")

    def test_import_of_text_that_is_not_base64_says_so_and_stores_nothing(self):
        good = base64.b64encode(self.raw()).decode()
        for bad in [good[:20] + "*" + good[20:], good[:-2], good + "@@", "ist kein base64"]:
            with self.subTest(text=bad):
                error = self.refused("mail.message.import", {"account": self.account, "raw_base64": bad}, "raw_base64")
                self.assertIn("not valid base64", error["message"])
        # MIME-style line breaks are base64 all the same.
        wrapped = "\r\n".join(good[i:i + 76] for i in range(0, len(good), 76))
        status, result, err = self.host.call("mail.message.import", "anna",
                                             {"account": self.account, "raw_base64": wrapped})
        self.assertEqual(status, 0, f"{result} {err}")
        _, listing, _ = self.host.call("mail.message.list", "anna", {"account": self.account})
        self.assertEqual(listing["total"], 1)

    def test_import_path_is_for_admins_and_must_be_a_regular_file_under_64_mib(self):
        eml = os.path.join(self.host.dir, "mail.eml")
        with open(eml, "wb") as f:
            f.write(self.raw("Aus Datei"))
        answers = [self.refused("mail.message.import", {"account": self.account, "path": path}, "path",
                                code="forbidden") for path in [eml, "/etc/shadow", "/no/such.eml", "/dev/zero"]]
        self.assertTrue(all(a == answers[0] for a in answers), answers)
        fifo = os.path.join(self.host.dir, "fifo")
        os.mkfifo(fifo)
        huge = os.path.join(self.host.dir, "huge.eml")
        with open(huge, "wb") as f:
            f.truncate(64 * 1024 * 1024 + 1)
        _, shared, _ = self.host.call("mail.account.create", "root", {"label": "Admin"})
        for path, words in [(self.host.dir, "directory"), ("/dev/zero", "not a regular file"),
                            (fifo, "not a regular file"), (huge, "larger than 64 MiB")]:
            with self.subTest(path=path):
                error = self.refused("mail.message.import", {"account": shared["id"], "path": path}, "path", user="root")
                self.assertIn(words, error["message"])
        status, result, err = self.host.call("mail.message.import", "root", {"account": shared["id"], "path": eml})
        self.assertEqual((status, result.get("subject")), (0, "Aus Datei"), err)

    def test_certificate_path_is_for_admins_and_must_be_a_regular_file_under_1_mib(self):
        tb = testbed()
        answers = [self.refused("mail.certificate.inspect", {"path": path}, "path", code="forbidden")
                   for path in [tb["TB_CA"], "/etc/shadow", "/no/such.pem"]]
        self.assertTrue(all(a == answers[0] for a in answers), answers)
        big = os.path.join(self.host.dir, "big.pem")
        with open(tb["TB_CA"], encoding="ascii") as src, open(big, "w", encoding="ascii") as f:
            f.write(src.read() + "#" * (1024 * 1024))  # a real certificate, then padding past the limit
        for path, words in [(self.host.dir, "directory"), ("/dev/zero", "not a regular file"),
                            (big, "larger than 1 MiB")]:
            with self.subTest(path=path):
                error = self.refused("mail.certificate.inspect", {"path": path}, "path", user="root")
                self.assertIn(words, error["message"])
        status, result, err = self.host.call("mail.certificate.inspect", "root", {"path": tb["TB_CA"]})
        self.assertEqual(status, 0, f"{result} {err}")
        status, result, err = self.host.call("mail.certificate.inspect", "anna", {"pem": testbed_ca()})
        self.assertEqual(status, 0, f"{result} {err}")

if __name__ == "__main__":
    unittest.main()
