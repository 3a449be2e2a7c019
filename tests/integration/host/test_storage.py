"""Migrations through erphost on SQLite (embedded default) and PostgreSQL."""
import unittest

from harness import Host, testbed


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
                self.assertEqual(dbs["main"]["schema"], {"system": 1, "mailbox": 6})
                for pg in ("pg", "pg2"):
                    self.assertTrue(dbs[pg]["ok"], dbs[pg])
                    self.assertEqual(dbs[pg]["dialect"], "postgresql")
                    self.assertEqual(dbs[pg]["schema"], {"mailbox": 6})
                self.assertFalse(dbs["down"]["ok"])
                self.assertIn("database 'down'", dbs["down"]["error"])
                self.assertFalse(result["ok"], attempt)
            code, result, _ = host.call("mail.db.check", "root", {"database": "nowhere"})
            self.assertEqual((result["error"]["code"], result["error"]["field"]), ("not_found", "database"))
        finally:
            host.cleanup()


if __name__ == "__main__":
    unittest.main()
