"""Retention through erphost: each rule at its boundary with the host's clock
set by the test, the placeholder of a removed attachment, legal hold through
the host's documents_on_hold and through the rule of a host without it, dry
run against real run, the safety cap, a run killed with SIGKILL, and what a
run must leave alone. SQLite and PostgreSQL."""
import base64
import calendar
import email
import email.policy
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
from email.message import EmailMessage

from harness import ERPHOST, Host, PrivateCluster, call_until_crash_point, host_events, pg_database, sqlite_rows

DAY = 86400000
MINUTE = 60000
USERS = {"anna": ("Anna Aebi", "sales", False), "ben": ("Ben Berger", "sales", False), "root": ("Admin", "", True)}
# Pages of the attachment: every byte value, so that a corrupted copy shows.
PDF = bytes(range(256)) * 64 + "Rechnung Müller".encode()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def now_ms():
    return int(time.time() * 1000)


def set_host(host, **values):
    """Sets [host] keys of erphost's configuration (clock_offset_ms, legal_hold)."""
    with open(host.config, encoding="utf-8") as f:
        lines = f.read().split("\n")
    lines = [line for line in lines if not any(line.startswith(f"{k} =") for k in values)]
    at = lines.index("[host]") + 1
    for k, v in values.items():
        lines.insert(at, f"{k} = {v}")
    with open(host.config, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def set_clock(host, at_ms):
    """The host's clock shows at_ms now (and runs on from there)."""
    set_host(host, clock_offset_ms=at_ms - now_ms())


def months_before(ms, months):
    """ms less calendar months (UTC), the day cut to the month's last."""
    t = time.gmtime(ms // 1000)
    total = t.tm_year * 12 + t.tm_mon - 1 - months
    year, month = divmod(total, 12)
    day = min(t.tm_mday, calendar.monthrange(year, month + 1)[1])
    return (calendar.timegm((year, month + 1, day, t.tm_hour, t.tm_min, t.tm_sec)) * 1000) + ms % 1000


def mail(subject, attachments=(), date="Mon, 01 Jan 2001 10:00:00 +0000"):
    m = EmailMessage()
    m["From"] = "Kunde <kunde@example.com>"
    m["To"] = "anna@example.com"
    m["Subject"] = subject
    m["Date"] = date
    m["Message-ID"] = f"<{hashlib.sha1(subject.encode()).hexdigest()}@example.com>"
    m.set_content(f"Text of {subject}\n")
    for name, data in attachments:
        m.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return m.as_bytes(policy=email.policy.SMTP)


class RetentionCase(unittest.TestCase):
    databases = None

    def setUp(self):
        self.host = Host(users=USERS, grants={"mail.use": "*"}, databases=self.databases, extra=self.extra())
        self.host.write_documents({})

    def extra(self):
        return ""

    def tearDown(self):
        self.host.cleanup()

    def call(self, op, params=None, user="anna", code=0):
        status, result, err = self.host.call(op, user, params)
        self.assertEqual(status, code, f"{op}: {result} {err}")
        return result

    def account(self, rules, label="Retention", user="anna", database=None):
        params = {"label": label, "retention": rules}
        if database:
            params["database"] = database
        return self.call("mail.account.create", params, user=user)["id"]

    def store(self, account, raw, at_ms, user="anna"):
        set_clock(self.host, at_ms)
        return self.call("mail.message.import", {"account": account, "raw_base64": base64.b64encode(raw).decode()},
                         user=user)["id"]

    def ids(self, account, state=None, user="anna"):
        found = []
        for s in [state] if state else ["pending", "archived", "trash", "sent"]:
            found += [m["id"] for m in self.call("mail.message.list", {"account": account, "state": s, "page_size": 200},
                                                 user=user)["items"]]
        return sorted(found)

    def run_at(self, at_ms, params, user="anna", code=0):
        set_clock(self.host, at_ms)
        return self.call("mail.maintenance.run", params, user=user, code=code)

    def link(self, account, message_id, doctype, doc_id):
        """Links a stored message to a host document, as mail sent from a form is."""
        self.sql("UPDATE messages SET document_links = ? WHERE account_id = ? AND id = ?",
                 (json.dumps([{"doctype": doctype, "id": doc_id}]), account, message_id))

    def sql(self, statement, params=()):
        if self.databases:
            return pg_sql(self.databases["main"][0], statement, params)
        db = sqlite3.connect(os.path.join(self.host.dir, "main.db"))
        try:
            rows = db.execute(statement, params).fetchall()
            db.commit()
            return rows
        finally:
            db.close()


def pg_sql(odbc, statement, params=()):
    """Runs one statement through psql on the test bed's PostgreSQL; rows as tuples of text."""
    name = re.search(r"Database=([^;]+)", odbc).group(1)
    port = re.search(r"Port=(\d+)", odbc).group(1)
    for p in params:
        statement = statement.replace("?", "'" + str(p).replace("'", "''") + "'", 1)
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", port, "-U", "erpmail", "-d", name, "-At", "-F",
                          "\t", "-c", statement], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PGPASSWORD="erpmail-Db-6"))
    return [tuple(line.split("\t")) for line in out.stdout.splitlines() if line]


def rule(report, name):
    return report["accounts"][0]["rules"][name]


class RulesTest(RetentionCase):
    def test_trash_kept_until_x_days_in_trash_counted_from_entering_it(self):
        acc = self.account({"empty_trash_after_days": 30})
        t0 = now_ms() - 400 * DAY
        # Stored long ago; the trash clock starts when each went to the trash.
        stored = [self.store(acc, mail(f"T{i}"), t0 + i * MINUTE) for i in range(4)]
        trashed_at = {stored[0]: t0 + 100 * DAY, stored[1]: t0 + 101 * DAY, stored[2]: t0 + 101 * DAY + 2 * MINUTE,
                      stored[3]: t0 + 102 * DAY}
        for message, at in trashed_at.items():
            set_clock(self.host, at)
            self.call("mail.message.trash", {"account": acc, "ids": [message]})
        # At t0+131d+1min: in the trash x+1 days, x days and a minute, one minute short of x, x-1 days.
        report = self.run_at(t0 + 131 * DAY + MINUTE, {"account": acc})
        self.assertEqual(rule(report, "trash")["messages"], 2, report)
        self.assertEqual(self.ids(acc, "trash"), [stored[2], stored[3]])
        report = self.run_at(t0 + 132 * DAY + 3 * MINUTE, {"account": acc})
        self.assertEqual(rule(report, "trash")["messages"], 2, report)
        self.assertEqual(self.ids(acc), [])

    def test_trash_clock_starts_again_for_a_message_brought_back_and_trashed_later(self):
        acc = self.account({"empty_trash_after_days": 30})
        t0 = now_ms() - 100 * DAY
        m = self.store(acc, mail("Back"), t0)
        set_clock(self.host, t0)
        self.call("mail.message.trash", {"account": acc, "ids": [m]})
        set_clock(self.host, t0 + 10 * DAY)
        self.call("mail.message.unarchive", {"account": acc, "ids": [m]})
        set_clock(self.host, t0 + 20 * DAY)
        self.call("mail.message.trash", {"account": acc, "ids": [m]})
        report = self.run_at(t0 + 45 * DAY, {"account": acc})
        self.assertEqual((rule(report, "trash")["messages"], self.ids(acc, "trash")), (0, [m]))
        report = self.run_at(t0 + 51 * DAY, {"account": acc})
        self.assertEqual((rule(report, "trash")["messages"], self.ids(acc)), (1, []))

    def test_large_attachment_removed_after_y_days_leaves_placeholder_python_parses(self):
        acc = self.account({"attachments_larger_than_kb": 10, "attachments_after_days": 30})
        t0 = now_ms() - 100 * DAY
        big = [self.store(acc, mail(f"Invoice {i}", [(f"Rechnung-{i}.pdf", PDF)]), t0 + i * DAY) for i in range(3)]
        small = self.store(acc, mail("Small", [("tiny.pdf", PDF[:5000])]), t0)
        # Ages at t0+31d+1min: 31 days (x+1), 30 days and a minute (x), 29 days (x-1).
        report = self.run_at(t0 + 31 * DAY + MINUTE, {"account": acc})
        self.assertEqual(rule(report, "attachments")["attachments"], 2, report)
        self.assertEqual(rule(report, "attachments")["bytes"], 2 * len(PDF), report)
        self.assertEqual(self.ids(acc), sorted(big + [small]), "the messages stay")
        for i, message in enumerate(big):
            got = self.call("mail.message.get", {"account": acc, "id": message})
            self.assertEqual(got["text"].strip(), f"Text of Invoice {i}")
            self.assertEqual(got["attachments"][0]["removed"], i < 2, got["attachments"])
        got = self.call("mail.message.get", {"account": acc, "id": small})
        self.assertFalse(got["attachments"][0]["removed"])

        raw = self.sql("SELECT raw FROM messages WHERE id = ?", (big[0],))[0][0]
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(parsed["Subject"], "Invoice 0")
        parts = list(parsed.walk())
        self.assertFalse([p for p in parts if p.get_content_type() == "application/pdf"], "no PDF bytes remain")
        placeholder = [p for p in parts if "removed by the retention rules" in (
            p.get_content() if p.get_content_maintype() == "text" else "")]
        self.assertEqual(len(placeholder), 1)
        text = placeholder[0].get_content()
        self.assertEqual(placeholder[0].get_content_type(), "text/plain")
        self.assertIn("File name: Rechnung-0.pdf", text)
        self.assertIn(f"Size: {len(PDF)} bytes", text)
        self.assertIn("SHA-256: " + hashlib.sha256(PDF).hexdigest(), text)
        self.assertRegex(text, r"Removed: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        self.assertIn("Reason: attachments larger than 10 kB are removed 30 days after", text)
        self.assertNotIn(base64.b64encode(PDF[:300]), raw)

        status, answer, _ = self.host.call("mail.message.attachment", "anna", {"account": acc, "id": big[0], "index": 1})
        self.assertEqual(status, 1)
        self.assertEqual(answer["error"]["code"], "not_found")
        self.assertRegex(answer["error"]["message"], r"removed by the retention rules on \d{4}-\d\d-\d\d at \d\d:\d\d UTC")
        got = self.call("mail.message.attachment", {"account": acc, "id": big[2], "index": 1})
        self.assertEqual(base64.b64decode(got["content_base64"]), PDF)

    def test_old_messages_deleted_after_x_months_counted_from_storage_not_date_header(self):
        acc = self.account({"delete_messages_after_months": 6})
        run = now_ms() - 10 * DAY
        cutoff = months_before(run, 6)
        older = self.store(acc, mail("x+1", date="Mon, 01 Jan 2001 10:00:00 +0000"), cutoff - DAY)
        just = self.store(acc, mail("x"), cutoff - MINUTE)
        short = self.store(acc, mail("x-minute"), cutoff + 2 * MINUTE)
        # Its Date header is 25 years old; it was stored a day within the limit.
        young = self.store(acc, mail("x-1 with an old Date"), cutoff + DAY)
        report = self.run_at(run, {"account": acc})
        self.assertEqual(rule(report, "old_messages")["messages"], 2, report)
        self.assertEqual(self.ids(acc), sorted([short, young]))
        self.assertNotIn(older, self.ids(acc))
        self.assertNotIn(just, self.ids(acc))


class LegalHoldTest(RetentionCase):
    def invoices(self, acc, stored_at):
        held = self.store(acc, mail("Invoice 2016-0042", [("2016-0042.pdf", PDF)]), stored_at)
        free = self.store(acc, mail("Offer 2016-7"), stored_at + MINUTE)
        plain = self.store(acc, mail("Newsletter"), stored_at + 2 * MINUTE)
        self.link(acc, held, "invoice", "2016-0042")
        self.link(acc, free, "offer", "2016-7")
        return held, free, plain

    def test_invoice_under_hold_of_the_host_is_kept_by_every_rule(self):
        self.host.write_documents({"invoice": {"2016-0042": {"legal_hold": True}}, "offer": {"2016-7": {}}})
        acc = self.account({"delete_messages_after_months": 12, "attachments_larger_than_kb": 1,
                            "attachments_after_days": 1})
        t0 = now_ms() - 900 * DAY
        held, free, plain = self.invoices(acc, t0)
        report = self.run_at(now_ms(), {"account": acc})
        self.assertEqual(self.ids(acc), [held])
        self.assertEqual(rule(report, "old_messages")["held"], 1, report)
        self.assertEqual(rule(report, "old_messages")["messages"], 2, report)
        self.assertEqual(report["accounts"][0]["held"], 1)
        got = self.call("mail.message.get", {"account": acc, "id": held})
        self.assertFalse(got["attachments"][0]["removed"], "a held message keeps its attachments")
        # The hold ends: the next run deletes it.
        self.host.write_documents({"invoice": {"2016-0042": {"legal_hold": False}}})
        self.run_at(now_ms(), {"account": acc})
        self.assertEqual(self.ids(acc), [])

    def test_without_host_callback_linked_mail_kept_ten_years_after_the_year_it_was_stored(self):
        set_host(self.host, legal_hold="no")
        acc = self.account({"delete_messages_after_months": 12})
        stored = calendar.timegm((2015, 6, 30, 12, 0, 0)) * 1000
        held, free, plain = self.invoices(acc, stored)
        # 2025-12-31: still within 10 years after the end of 2015.
        report = self.run_at(calendar.timegm((2025, 12, 31, 23, 0, 0)) * 1000, {"account": acc})
        self.assertEqual(self.ids(acc), sorted([held, free]))
        self.assertEqual(rule(report, "old_messages")["held"], 2, report)
        self.run_at(calendar.timegm((2026, 1, 1, 0, 5, 0)) * 1000, {"account": acc})
        self.assertEqual(self.ids(acc), [])


class KeepLinkedDaysTest(RetentionCase):
    def extra(self):
        return "[config]\nerpmail.retention.keep_linked_days = 400\n"

    def test_keep_linked_days_of_a_host_without_callback(self):
        set_host(self.host, legal_hold="no")
        acc = self.account({"empty_trash_after_days": 1})
        t0 = now_ms() - 1000 * DAY
        linked = self.store(acc, mail("Linked"), t0)
        self.link(acc, linked, "invoice", "1")
        set_clock(self.host, t0)
        self.call("mail.message.trash", {"account": acc, "ids": [linked]})
        report = self.run_at(t0 + 399 * DAY, {"account": acc})
        self.assertEqual((rule(report, "trash")["held"], self.ids(acc)), (1, [linked]))
        report = self.run_at(t0 + 401 * DAY, {"account": acc})
        self.assertEqual((rule(report, "trash")["messages"], self.ids(acc)), (1, []))


class RunTest(RetentionCase):
    def test_dry_run_equals_the_real_run(self):
        self.host.write_documents({"invoice": {"1": {"legal_hold": True}}})
        acc = self.account({"empty_trash_after_days": 10, "attachments_larger_than_kb": 10,
                            "attachments_after_days": 20, "delete_messages_after_months": 24})
        t0 = now_ms() - 1000 * DAY
        for i in range(12):
            m = self.store(acc, mail(f"M{i}", [(f"a{i}.pdf", PDF)] if i % 2 else []), t0 + i * 60 * DAY)
            if i % 3 == 0:
                set_clock(self.host, t0 + i * 60 * DAY + DAY)
                self.call("mail.message.trash", {"account": acc, "ids": [m]})
            if i == 1:
                self.link(acc, m, "invoice", "1")
        at = now_ms()
        dry = self.run_at(at, {"account": acc, "dry_run": True})
        self.assertEqual(len(self.ids(acc)), 12, "a dry run changes nothing")
        real = self.run_at(at, {"account": acc})
        self.assertEqual(dry["accounts"][0]["rules"], real["accounts"][0]["rules"])
        self.assertEqual(dry["accounts"][0]["held"], real["accounts"][0]["held"])
        self.assertEqual(dry["totals"], real["totals"])
        self.assertGreater(real["totals"]["messages"], 0)
        self.assertGreater(rule(real, "attachments")["attachments"], 0)
        self.assertEqual(len(self.ids(acc)), 12 - real["accounts"][0]["deleted"])
        history = self.call("mail.maintenance.history", {"account": acc})["items"]
        self.assertEqual([h["dry_run"] for h in history], [False, True])
        self.assertEqual(history[0]["accounts"][0]["rules"], real["accounts"][0]["rules"])
        done = host_events(self.host, "mail.maintenance.done")
        self.assertEqual([e["payload"]["run_id"] for e in done], [dry["run_id"], real["run_id"]])
        self.assertEqual(done[1]["payload"]["accounts"], [{"account": acc, "outcome": "done", "held": 1,
                                                           "deleted": real["accounts"][0]["deleted"]}])

    def test_cap_stops_a_run_that_would_delete_90_percent(self):
        acc = self.account({"delete_messages_after_months": 1})
        t0 = now_ms() - 100 * DAY
        old = [self.store(acc, mail(f"Old {i}"), t0 + i * MINUTE) for i in range(18)]
        young = [self.store(acc, mail(f"New {i}"), now_ms()) for i in range(2)]
        report = self.run_at(now_ms(), {"account": acc})
        self.assertEqual(report["accounts"][0]["outcome"], "capped", report)
        self.assertIn("confirm_large", report["accounts"][0]["message"])
        self.assertEqual(len(self.ids(acc)), 20, "nothing was deleted")
        status, answer, _ = self.host.call("mail.maintenance.run", "anna", {"account": acc, "confirm_large": True})
        self.assertEqual((status, answer["error"]["code"], answer["error"]["field"]), (1, "forbidden", "confirm_large"))
        report = self.call("mail.maintenance.run", {"account": acc, "confirm_large": True}, user="root")
        self.assertEqual(report["accounts"][0]["outcome"], "done")
        self.assertEqual(self.ids(acc), sorted(young))
        self.assertEqual(len(old), rule(report, "old_messages")["messages"])

    def test_clerk_cannot_run_maintenance_of_every_account_or_of_a_colleagues(self):
        own = self.account({"empty_trash_after_days": 1}, user="ben")
        status, answer, _ = self.host.call("mail.maintenance.run", "anna", {})
        self.assertEqual((status, answer["error"]["code"]), (1, "forbidden"))
        status, answer, _ = self.host.call("mail.maintenance.run", "anna", {"account": own})
        self.assertEqual((status, answer["error"]["code"]), (1, "forbidden"))
        status, answer, _ = self.host.call("mail.maintenance.history", "anna", {})
        self.assertEqual((status, answer["error"]["code"]), (1, "forbidden"))

    def test_kill_9_mid_run_then_the_next_run_completes(self):
        acc = self.account({"empty_trash_after_days": 1, "attachments_larger_than_kb": 10,
                            "attachments_after_days": 1})
        t0 = now_ms() - 10 * DAY
        with_pdf = [self.store(acc, mail(f"A{i}", [(f"a{i}.pdf", PDF)]), t0) for i in range(3)]
        trashed = self.store(acc, mail("Trash template"), t0)
        set_clock(self.host, t0)
        self.call("mail.message.trash", {"account": acc, "ids": [trashed]})
        # 450 more in the trash, straight into the database: three batches.
        self.sql("INSERT INTO messages (account_id, direction, state, folder, received_at_ms, raw, raw_size,"
                 " trashed_at_ms, document_links) SELECT account_id, direction, state, folder, received_at_ms, raw,"
                 " raw_size, trashed_at_ms, document_links FROM messages WHERE id = ?", (trashed,))
        for _ in range(9):  # doubles: 512 copies in all, cut to 450
            self.sql("INSERT INTO messages (account_id, direction, state, folder, received_at_ms, raw, raw_size,"
                     " trashed_at_ms, document_links) SELECT account_id, direction, state, folder, received_at_ms,"
                     " raw, raw_size, trashed_at_ms, document_links FROM messages WHERE state = 'trash'")
        self.sql("DELETE FROM messages WHERE state = 'trash' AND id NOT IN (SELECT id FROM messages WHERE"
                 " state = 'trash' ORDER BY id LIMIT 450)")
        self.assertEqual(int(self.sql("SELECT COUNT(*) FROM messages WHERE state = 'trash'")[0][0]), 450)
        # 450 of 454 messages: beyond the cap, which an admin lifts.
        params = {"account": acc, "confirm_large": True}
        dry = self.run_at(now_ms(), dict(params, dry_run=True), user="root")
        set_clock(self.host, now_ms())
        self.assertEqual(call_until_crash_point(self.host, "retention-batch", "mail.maintenance.run", "root", params), -9)
        left = int(self.sql("SELECT COUNT(*) FROM messages WHERE state = 'trash'")[0][0])
        self.assertEqual(left, 250, "one batch of 200 committed, nothing of the next")
        self.assertEqual(self.attachments_consistent(with_pdf), 0, "no attachment removed yet")
        # Each run killed after its first commit: a batch of deletions, then one message's attachments.
        for attempt in range(10):
            set_clock(self.host, now_ms())
            code = call_until_crash_point(self.host, "retention-batch", "mail.maintenance.run", "root", params)
            removed = self.attachments_consistent(with_pdf)
            if code == 0:
                break
            self.assertEqual(code, -9)
        self.assertEqual((code, attempt), (0, 5), "2 deletion batches and 3 messages' attachments, then nothing")
        self.assertEqual(int(self.sql("SELECT COUNT(*) FROM messages WHERE state = 'trash'")[0][0]), 0)
        self.assertEqual(removed, 3)
        self.assertEqual(self.ids(acc), sorted(with_pdf))
        self.assertEqual(rule(dry, "trash")["messages"], 450)
        self.assertEqual(rule(dry, "attachments")["attachments"], 3)

    def attachments_consistent(self, ids):
        """Each message has either its PDF bytes and no placeholder, or the
        placeholder and a removed attachment row; returns how many were removed."""
        removed = 0
        for message in ids:
            raw = self.sql("SELECT raw FROM messages WHERE id = ?", (message,))[0][0]
            raw = raw if isinstance(raw, bytes) else bytes.fromhex(raw[2:])
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            pdf = [p for p in parsed.walk() if p.get_content_type() == "application/pdf"]
            row = self.sql("SELECT removed_at_ms FROM attachments WHERE message_id = ?", (message,))[0][0]
            if pdf:
                self.assertEqual(pdf[0].get_content(), PDF)
                self.assertIsNone(row)
            else:
                self.assertIsNotNone(row)
                self.assertIn(b"removed by the retention rules", raw)
                removed += 1
        return removed

    def test_other_accounts_and_offline_databases_untouched(self):
        archive = os.path.join(self.host.dir, "archive.db")
        lost = os.path.join(self.host.dir, "lost.db")
        with open(self.host.config, "a", encoding="utf-8") as f:
            f.write(f"\n[database.archive]\nconnection = Driver=SQLite3;Database={archive}\nsystem = no\n")
            f.write(f"\n[database.lost]\nconnection = Driver=SQLite3;Database={lost}\nsystem = no\n")
        ruled = self.account({"delete_messages_after_months": 1}, label="Ruled")
        other = self.account({}, label="No rules")
        away = self.account({"delete_messages_after_months": 1}, label="Away", database="archive")
        gone = self.account({"delete_messages_after_months": 1}, label="Gone", database="lost")
        t0 = now_ms() - 100 * DAY
        for acc in (ruled, other, away, gone):
            self.store(acc, mail(f"Old of {acc}"), t0)
            self.store(acc, mail(f"New of {acc}"), now_ms())
        self.call("mail.account.set_online", {"id": away, "online": False}, user="root")
        before = read_bytes(archive)
        # The database of "Gone" cannot be reached any more (its folder is no longer there).
        with open(self.host.config, encoding="utf-8") as f:
            config = f.read()
        with open(self.host.config, "w", encoding="utf-8") as f:
            f.write(config.replace(f"Database={lost}", "Database=/nonexistent/erpmail/lost.db"))
        kept = read_bytes(lost)
        report = self.run_at(now_ms(), {}, user="root")
        outcome = {a["account"]: a["outcome"] for a in report["accounts"]}
        self.assertEqual(outcome, {ruled: "done", other: "no_rules", away: "offline", gone: "offline"})
        self.assertEqual(read_bytes(lost), kept)
        status = self.call("mail.account.status", {"id": gone}, user="root")
        self.assertFalse(status["online"], status)
        self.assertEqual(len(self.ids(ruled)), 1)
        self.assertEqual(len(self.ids(other)), 2)
        self.assertEqual(read_bytes(archive), before, "the offline account's database is untouched")

    def test_sqlite_database_is_incremental_and_gives_space_back(self):
        acc = self.account({"empty_trash_after_days": 1})
        t0 = now_ms() - 10 * DAY
        ids = [self.store(acc, mail(f"Big {i}", [(f"b{i}.pdf", PDF * 4)]), t0) for i in range(6)]
        set_clock(self.host, t0)
        self.call("mail.message.trash", {"account": acc, "ids": ids})
        db = os.path.join(self.host.dir, "main.db")
        self.assertEqual(sqlite_rows(db, "PRAGMA auto_vacuum"), [(2,)])
        size = os.path.getsize(db)
        self.run_at(now_ms(), {"account": acc})
        self.assertEqual(sqlite_rows(db, "PRAGMA freelist_count"), [(0,)])
        self.assertLess(os.path.getsize(db), size - 6 * len(PDF) * 4)

    def serve_past_run_at(self, extra_config="", wait=40, lead=4):
        """An account with a mail in the trash for 10 days (rule: 1 day), and a
        serving host whose run_at comes `lead` seconds after it starts; serves
        until the maintenance event arrives or `wait` seconds have passed.
        Returns the account and the maintenance events."""
        acc = self.account({"empty_trash_after_days": 1})
        m = self.store(acc, mail("Trash"), now_ms() - 10 * DAY)
        set_clock(self.host, now_ms() - 10 * DAY)
        self.call("mail.message.trash", {"account": acc, "ids": [m]})
        set_clock(self.host, now_ms())
        at = time.localtime(time.time() + lead)
        with open(self.host.config, "a", encoding="utf-8") as f:
            f.write(f"\n[config]\nerpmail.retention.run_at = {at.tm_hour:02d}:{at.tm_min:02d}:{at.tm_sec:02d}\n"
                    + extra_config)
        server = subprocess.Popen([ERPHOST, "--config", self.host.config, "serve"], stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + wait
            while not host_events(self.host, "mail.maintenance.done") and time.time() < deadline:
                time.sleep(0.5)
        finally:
            server.terminate()
            server.wait()
        return acc, host_events(self.host, "mail.maintenance.done")

    def test_daily_run_of_a_serving_host_at_run_at(self):
        acc, done = self.serve_past_run_at()
        self.assertEqual(len(done), 1, done)
        self.assertEqual(done[0]["payload"]["started_by"], "schedule")
        self.assertEqual(self.ids(acc), [])

    def test_background_false_keeps_the_daily_run_from_starting(self):
        # The same yes/no words as every other background worker: "false" is off.
        # run_at far enough ahead that a slow start still meets it, and waited past.
        acc, done = self.serve_past_run_at("erp.host.background = false\n", wait=16, lead=8)
        self.assertEqual(done, [])
        self.assertEqual(len(self.ids(acc)), 1)


class PostgreSqlRulesTest(RetentionCase):
    def setUp(self):
        self.databases = {"main": (pg_database("retention"), True)}
        super().setUp()

    def test_postgresql_rules_hold_and_placeholder(self):
        self.host.write_documents({"invoice": {"9": {"legal_hold": True}}})
        acc = self.account({"empty_trash_after_days": 5, "attachments_larger_than_kb": 10, "attachments_after_days": 5})
        t0 = now_ms() - 20 * DAY
        pdf = self.store(acc, mail("PDF", [("p.pdf", PDF)]), t0)
        held = self.store(acc, mail("Held", [("h.pdf", PDF)]), t0)
        self.link(acc, held, "invoice", "9")
        trash = self.store(acc, mail("Trash"), t0)
        set_clock(self.host, t0)
        self.call("mail.message.trash", {"account": acc, "ids": [trash]})
        dry = self.run_at(now_ms(), {"account": acc, "dry_run": True})
        real = self.run_at(now_ms(), {"account": acc})
        self.assertEqual(dry["accounts"][0]["rules"], real["accounts"][0]["rules"])
        self.assertEqual(rule(real, "trash")["messages"], 1)
        self.assertEqual((rule(real, "attachments")["attachments"], rule(real, "attachments")["held"]), (1, 1))
        self.assertEqual(self.ids(acc), sorted([pdf, held]))
        got = self.call("mail.message.get", {"account": acc, "id": pdf})
        self.assertTrue(got["attachments"][0]["removed"])
        status, answer, _ = self.host.call("mail.message.attachment", "anna", {"account": acc, "id": pdf, "index": 1})
        self.assertIn("removed by the retention rules on", answer["error"]["message"])
        got = self.call("mail.message.get", {"account": acc, "id": held})
        self.assertFalse(got["attachments"][0]["removed"])


class DatabaseGoneMidRunTest(RetentionCase):
    def setUp(self):
        self.cluster = PrivateCluster()
        self.databases = {"main": ("Driver=SQLite3;Database={dir}/main.db", True), "pg": (self.cluster.odbc, False)}
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.cluster.cleanup()

    def trash(self):
        return int(pg_sql(self.cluster.odbc, "SELECT COUNT(*) FROM messages WHERE state = 'trash'")[0][0])

    def test_database_gone_mid_run_leaves_whole_batches_and_the_next_run_finishes(self):
        acc = self.account({"empty_trash_after_days": 1}, database="pg")
        t0 = now_ms() - 10 * DAY
        kept = self.store(acc, mail("Kept"), t0)
        template = self.store(acc, mail("Trash"), t0)
        set_clock(self.host, t0)
        self.call("mail.message.trash", {"account": acc, "ids": [template]})
        pg_sql(self.cluster.odbc, "INSERT INTO messages (account_id, direction, state, folder, received_at_ms, raw,"
               " raw_size, trashed_at_ms, document_links) SELECT account_id, direction, state, folder, received_at_ms,"
               " raw, raw_size, trashed_at_ms, document_links FROM messages, generate_series(1, 60000)"
               " WHERE id = ?", (template,))
        total = self.trash()
        self.assertEqual(total, 60001)
        set_clock(self.host, now_ms())
        run = subprocess.Popen([ERPHOST, "--config", self.host.config, "call", "mail.maintenance.run", "--as", "root",
                                "--json", json.dumps({"account": acc, "confirm_large": True})],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        deadline = time.time() + 60
        while self.trash() == total and time.time() < deadline:
            time.sleep(0.02)
        self.cluster.stop()
        out, _ = run.communicate(timeout=120)
        self.cluster.start()
        left = self.trash()
        self.assertLess(left, total, "the run had begun")
        self.assertGreater(left, 0, "the database went away before the run ended")
        self.assertEqual((total - left) % 200, 0, "only whole batches of 200 committed")
        self.assertIn(json.loads(out)["accounts"][0]["outcome"], ("offline", "failed"), out)
        self.call("mail.account.set_online", {"id": acc, "online": True}, user="root")
        report = self.run_at(now_ms(), {"account": acc, "confirm_large": True}, user="root")
        self.assertEqual(rule(report, "trash")["messages"], left)
        self.assertEqual(self.trash(), 0)
        self.assertEqual(self.ids(acc), [kept])


class SignedMailRetentionTest(RetentionCase):
    """A signed invoice whose PDF retention removes keeps the verification
    it had when it was stored; its rewritten raw form is not checked again."""

    def signed_invoice(self, smime, subject, tamper=False):
        entity = (b'Content-Type: multipart/mixed; boundary="inv"\r\n\r\n--inv\r\n' + smime.entity("Rechnung anbei") +
                  b'\r\n--inv\r\nContent-Type: application/pdf; name="Rechnung.pdf"\r\n'
                  b'Content-Disposition: attachment; filename="Rechnung.pdf"\r\n'
                  b'Content-Transfer-Encoding: base64\r\n\r\n' + base64.encodebytes(PDF).replace(b"\n", b"\r\n") +
                  b'\r\n--inv--\r\n')
        signed = smime.sign(entity)
        if tamper:
            signed = signed.replace(b"Rechnung anbei", b"Rechnung ANBEI")
        return smime.message(subject, signed)

    def test_valid_signature_stays_valid_marked_verified_before_attachment_removal(self):
        from smime_mail import SmimeMail
        folder = tempfile.mkdtemp(prefix="erpmail-smime.")
        try:
            smime = SmimeMail(folder)
            self.call("mail.certificate.import", {"store": "plugin", "pem": smime.read("ca.pem")}, user="root")
            acc = self.account({"attachments_larger_than_kb": 10, "attachments_after_days": 30})
            t0 = now_ms()  # the signer's certificate is valid from now on
            good = self.store(acc, self.signed_invoice(smime, "Signed invoice"), t0)
            bad = self.store(acc, self.signed_invoice(smime, "Tampered invoice", tamper=True), t0)
            before = self.call("mail.message.get", {"account": acc, "id": good})["security"]
            self.assertEqual((before["status"], before["verified_before_attachment_removal"]), ("valid", False))
            report = self.run_at(t0 + 31 * DAY, {"account": acc})
            self.assertEqual(rule(report, "attachments")["attachments"], 2, report)
            got = self.call("mail.message.get", {"account": acc, "id": good})
            self.assertTrue([a for a in got["attachments"] if a["removed"]], got["attachments"])
            self.assertEqual((got["security"]["status"], got["security"]["verified_before_attachment_removal"]),
                             ("valid", True), got["security"])
            self.assertEqual(got["security"]["verified_at_ms"], before["verified_at_ms"])
            # The rewritten form no longer verifies: had it been checked again, it would read invalid.
            raw = self.sql("SELECT raw FROM messages WHERE id = ?", (good,))[0][0]
            raw = raw if isinstance(raw, bytes) else bytes.fromhex(raw[2:])
            self.assertNotIn(base64.encodebytes(PDF)[:200].replace(b"\n", b"\r\n"), raw)
            check = subprocess.run(["openssl", "cms", "-verify", "-CAfile", smime.path("ca.pem"), "-purpose", "any"],
                                   input=raw, capture_output=True)
            self.assertNotEqual(check.returncode, 0, "the rewritten raw form no longer matches its signature")
            tampered = self.call("mail.message.get", {"account": acc, "id": bad})["security"]
            self.assertEqual((tampered["status"], tampered["verified_before_attachment_removal"]), ("invalid", False))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def test_an_encrypted_mail_keeps_its_envelope_however_large(self):
        from smime_mail import SmimeMail
        folder = tempfile.mkdtemp(prefix="erpmail-smime.")
        try:
            smime = SmimeMail(folder)
            acc = self.account({"attachments_larger_than_kb": 10, "attachments_after_days": 30})
            t0 = now_ms()
            entity = (b"Content-Type: application/pdf; name=\"Vertrag.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                      base64.encodebytes(PDF).replace(b"\n", b"\r\n"))
            sealed = self.store(acc, smime.message("Vertrag", smime.encrypt(entity)), t0)
            raw = self.sql("SELECT raw FROM messages WHERE id = ?", (sealed,))[0][0]
            report = self.run_at(t0 + 31 * DAY, {"account": acc})
            self.assertEqual(rule(report, "attachments")["attachments"], 0, report)
            self.assertEqual(self.sql("SELECT raw FROM messages WHERE id = ?", (sealed,))[0][0], raw)
            got = self.call("mail.message.get", {"account": acc, "id": sealed})
            self.assertFalse([a for a in got["attachments"] if a["removed"]], got["attachments"])
        finally:
            shutil.rmtree(folder, ignore_errors=True)


class PostgreSqlSignedMailRetentionTest(SignedMailRetentionTest):
    def setUp(self):
        self.databases = {"main": (pg_database("retention_smime"), True)}
        super().setUp()


if __name__ == "__main__":
    unittest.main()
