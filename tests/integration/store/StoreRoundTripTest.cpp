// Every value goes through the same Statement binding and chunked reads the
// modules use, on SQLite (SQLite3 ODBC driver) and PostgreSQL (psqlODBC).
#include "store/DatabaseRegistry.h"
#include "store/Migrator.h"
#include "store/Odbc.h"
#include "support/Testbed.h"

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>
#include <Poco/UUIDGenerator.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace erpmail::store;

namespace {

struct Dialect {
    std::string name;
    std::string (*connection)();
    friend void PrintTo(const Dialect& d, std::ostream* out) { *out << d.name; }
};

std::string sqliteConnection()
{
    static Poco::TemporaryFile dir;
    dir.createDirectories();
    return "Driver=SQLite3;Database=" + dir.path() + "/roundtrip.db";
}

std::string postgresConnection()
{
    return erpmail::test::Testbed::instance().get("PG_ODBC");
}

// Every byte value first, then a xorshift stream: no run of the data repeats.
std::string varyingBytes(std::size_t n, std::uint32_t seed)
{
    std::string out(n, '\0');
    std::uint32_t x = seed | 1;
    for (std::size_t i = 0; i < n; ++i) {
        if (i < 256) {
            out[i] = static_cast<char>(i);
            continue;
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = static_cast<char>(x & 0xff);
    }
    return out;
}

// Exactly n bytes of UTF-8 with umlauts and emoji, cut on a character boundary.
std::string varyingText(std::size_t n)
{
    const std::string pieces[] = {"Grüße ", "Müller & Söhne ", "€ ", "😀 ", "'; DROP TABLE x;-- ", "ÄÖÜß ", "\"q\" "};
    std::string out;
    for (std::size_t i = 0; out.size() < n; ++i) {
        const std::string& p = pieces[i % 7];
        if (out.size() + p.size() > n) break;
        out += p + std::to_string(i % 10);
    }
    while (out.size() > n) out.pop_back();
    while ((static_cast<unsigned char>(out.back()) & 0xC0) == 0x80 || static_cast<unsigned char>(out.back()) >= 0xC0)
        out.pop_back(); // never end inside a multi-byte character
    while (out.size() < n) out += 'x';
    return out;
}

::testing::AssertionResult sameBytes(const std::string& want, const std::optional<std::string>& got)
{
    if (!got) return ::testing::AssertionFailure() << "got NULL";
    if (got->size() != want.size())
        return ::testing::AssertionFailure() << "size " << got->size() << ", want " << want.size();
    for (std::size_t i = 0; i < want.size(); ++i)
        if ((*got)[i] != want[i]) return ::testing::AssertionFailure() << "first difference at byte " << i;
    return ::testing::AssertionSuccess();
}

class StoreRoundTrip : public ::testing::TestWithParam<Dialect> {
protected:
    void SetUp() override
    {
        connectionString_ = GetParam().connection();
        registry_ = std::make_unique<DatabaseRegistry>([this](const std::string& id) -> std::optional<std::string> {
            if (id == "db") return connectionString_;
            if (id == "offline") return offline();
            return std::nullopt;
        });
        account_ = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    }

    std::string offline() const
    {
        if (GetParam().name == "sqlite") return "Driver=SQLite3;Database=/nonexistent-folder/erpmail/x.db";
        return "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=1;Database=x;UID=x;PWD=never-logged-7;"
               "ByteaAsLongVarBinary=1";
    }

    std::int64_t insertMessage(Connection& c, std::string_view raw, const std::optional<std::string>& text)
    {
        Statement st(c, "INSERT INTO messages (account_id, direction, state, received_at_ms, raw, raw_size, body_text)"
                        " VALUES (?, 'in', 'pending', 0, ?, ?, ?)");
        st.bindText(1, account_).bindBlob(2, raw).bindInt(3, static_cast<std::int64_t>(raw.size()));
        st.bindOptionalText(4, text);
        st.execute();
        return c.lastInsertId();
    }

    std::string connectionString_;
    std::unique_ptr<DatabaseRegistry> registry_;
    std::string account_;
};

TEST_P(StoreRoundTrip, BlobsOfEverySizeAreExact)
{
    auto c = registry_->acquire("db", Scope::Mailbox);
    for (std::size_t size : {std::size_t{1}, std::size_t{255}, std::size_t{256}, std::size_t{65537},
                             std::size_t{50} * 1024 * 1024}) {
        SCOPED_TRACE("blob of " + std::to_string(size) + " bytes");
        const std::string data = varyingBytes(size, static_cast<std::uint32_t>(size));
        std::int64_t id = insertMessage(*c, data, std::nullopt);
        Statement read(*c, "SELECT raw_size, raw FROM messages WHERE id = ?");
        read.bindInt(1, id);
        read.execute();
        ASSERT_TRUE(read.fetch());
        EXPECT_EQ(read.getInt(1), static_cast<std::int64_t>(size));
        EXPECT_TRUE(sameBytes(data, read.getBlob(2)));
    }
}

TEST_P(StoreRoundTrip, AttachmentBlobsAreExact)
{
    auto c = registry_->acquire("db", Scope::Mailbox);
    std::int64_t message = insertMessage(*c, "x", std::nullopt);
    const std::string pdf = varyingBytes(65537 + 300, 7);
    const std::string name = "Rechnung Müller & Söhne 2026-0042.pdf";
    Statement insert(*c, "INSERT INTO attachments (message_id, ordinal, file_name, content_type, size, content)"
                         " VALUES (?, 1, ?, 'application/pdf', ?, ?)");
    insert.bindInt(1, message).bindText(2, name).bindInt(3, static_cast<std::int64_t>(pdf.size())).bindBlob(4, pdf);
    insert.execute();
    Statement read(*c, "SELECT file_name, content FROM attachments WHERE message_id = ?");
    read.bindInt(1, message);
    read.execute();
    ASSERT_TRUE(read.fetch());
    EXPECT_EQ(read.getText(1), name);
    EXPECT_TRUE(sameBytes(pdf, read.getBlob(2)));
}

TEST_P(StoreRoundTrip, TextsWithUmlautsAndEmojiAreExact)
{
    auto c = registry_->acquire("db", Scope::Mailbox);
    for (std::size_t size : {std::size_t{255}, std::size_t{256}, std::size_t{100000}}) {
        SCOPED_TRACE("text of " + std::to_string(size) + " bytes");
        const std::string text = varyingText(size);
        ASSERT_EQ(text.size(), size);
        std::int64_t id = insertMessage(*c, "raw", text);
        Statement read(*c, "SELECT body_text, LENGTH(body_text) FROM messages WHERE id = ?");
        read.bindInt(1, id);
        read.execute();
        ASSERT_TRUE(read.fetch());
        EXPECT_TRUE(sameBytes(text, read.getText(1)));
        // The database sees characters, not bytes: the text arrived as UTF-8.
        std::size_t characters = 0;
        for (unsigned char ch : text) characters += (ch & 0xC0) != 0x80;
        EXPECT_EQ(read.getInt(2), static_cast<std::int64_t>(characters));
    }
}

TEST_P(StoreRoundTrip, NullAndEmptyStayDistinct)
{
    auto c = registry_->acquire("db", Scope::Mailbox);
    std::int64_t withNull = insertMessage(*c, "", std::nullopt);
    std::int64_t withEmpty = insertMessage(*c, "", std::string());
    Statement read(*c, "SELECT id, body_text, raw FROM messages WHERE id IN (?, ?) ORDER BY id");
    read.bindInt(1, withNull).bindInt(2, withEmpty);
    read.execute();
    ASSERT_TRUE(read.fetch());
    EXPECT_EQ(read.getInt(1), withNull);
    EXPECT_FALSE(read.getText(2).has_value());
    EXPECT_EQ(read.getBlob(3), std::string());
    ASSERT_TRUE(read.fetch());
    EXPECT_EQ(read.getText(2), std::string());
}

TEST_P(StoreRoundTrip, HostileValuesAreData)
{
    auto c = registry_->acquire("db", Scope::Mailbox);
    const std::string hostile = "'; DROP TABLE messages;-- \\ \" \x01 %s ? $1";
    std::int64_t id = insertMessage(*c, hostile, hostile);
    Statement read(*c, "SELECT body_text, raw FROM messages WHERE id = ? AND body_text = ?");
    read.bindInt(1, id).bindText(2, hostile);
    read.execute();
    ASSERT_TRUE(read.fetch());
    EXPECT_EQ(read.getText(1), hostile);
    EXPECT_EQ(read.getBlob(2), hostile);
}

TEST_P(StoreRoundTrip, MigrationsTwiceAreANoOp)
{
    auto c = registry_->connectDirect("db");
    migrate(*c, Scope::System);
    migrate(*c, Scope::Mailbox);
    MigrationReport again = migrate(*c, Scope::Mailbox);
    std::int64_t files = 0, highest = 0;
    for (const auto& m : embeddedMigrations()) {
        if (std::string(dialectName(c->dialect())) != m.dialect) continue;
        ++files;
        if (std::string(m.scope) == "mailbox") highest = std::max<std::int64_t>(highest, m.version);
    }
    EXPECT_EQ(again.applied, 0);
    EXPECT_EQ(again.currentVersion, highest);
    EXPECT_EQ(migrate(*c, Scope::System).applied, 0);
    Statement count(*c, "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_version");
    count.execute();
    ASSERT_TRUE(count.fetch());
    EXPECT_EQ(count.getInt(1), files);
    EXPECT_EQ(count.getInt(2), files);
}

TEST_P(StoreRoundTrip, UniqueKeysRefuseDuplicates)
{
    auto c = registry_->acquire("db", Scope::Mailbox);
    auto insert = [&] {
        Statement st(*c, "INSERT INTO messages (account_id, direction, state, received_at_ms, pop3_uidl)"
                         " VALUES (?, 'in', 'pending', 0, 'UIDL-1')");
        st.bindText(1, account_);
        st.execute();
    };
    insert();
    EXPECT_THROW(insert(), ConstraintViolation);
}

TEST_P(StoreRoundTrip, RollbackLeavesNothing)
{
    auto c = registry_->acquire("db", Scope::Mailbox);
    {
        Transaction tx(*c);
        insertMessage(*c, "gone", std::nullopt);
    }
    Statement count(*c, "SELECT COUNT(*) FROM messages WHERE account_id = ?");
    count.bindText(1, account_);
    count.execute();
    ASSERT_TRUE(count.fetch());
    EXPECT_EQ(count.getInt(1), 0);
}

// Kept statements (Connection::prepared) run again at every execute and
// report the rows they changed: on SQLite they are compiled once, in a form
// the driver does not count rows for.
TEST_P(StoreRoundTrip, KeptStatementsRunEachTimeAndCountTheirRows)
{
    auto c = registry_->acquire("db", Scope::Mailbox);
    for (int i = 0; i < 3; ++i) {
        Statement& insert = c->prepared("INSERT INTO addresses (account_id, email, last_seen_ms) VALUES (?, ?, ?)");
        insert.bindText(1, account_).bindText(2, "kept" + std::to_string(i) + "@example.com").bindInt(3, i);
        EXPECT_EQ(insert.execute(), 1);
    }
    for (int round = 1; round <= 2; ++round) {
        Statement& update = c->prepared("UPDATE addresses SET last_seen_ms = ? WHERE account_id = ? AND last_seen_ms < ?");
        update.bindInt(1, 100 * round).bindText(2, account_).bindInt(3, 2);
        EXPECT_EQ(update.execute(), round == 1 ? 2 : 0) << "round " << round;
    }
    Statement& none = c->prepared("UPDATE addresses SET last_seen_ms = ? WHERE account_id = ? AND email = ?");
    none.bindInt(1, 1).bindText(2, account_).bindText(3, "missing@example.com");
    EXPECT_EQ(none.execute(), 0);
    Statement& remove = c->prepared("DELETE FROM addresses WHERE account_id = ?");
    remove.bindText(1, account_);
    EXPECT_EQ(remove.execute(), 3);
    EXPECT_EQ(remove.execute(), 0);
}

// Whether this connection made the temporary table pool_mark (a table of its own session).
bool marked(Connection& c)
{
    try {
        Statement st(c, "SELECT COUNT(*) FROM pool_mark");
        st.execute();
        return st.fetch();
    } catch (const StoreError&) {
        return false;
    }
}

// Connections given back are reused, more of them than a few at once, until
// they have been idle for the registry's timeout.
TEST_P(StoreRoundTrip, IdleConnectionsAreReusedUntilTheirTimeout)
{
    auto lookup = [this](const std::string&) -> std::optional<std::string> { return connectionString_; };
    DatabaseRegistry kept(lookup);
    {
        std::vector<ConnectionLease> leases;
        for (int i = 0; i < 8; ++i) leases.push_back(kept.acquire("db", Scope::Mailbox));
        for (auto& c : leases) c->execute("CREATE TEMPORARY TABLE pool_mark (x INTEGER)");
    }
    std::vector<ConnectionLease> again;
    for (int i = 0; i < 8; ++i) again.push_back(kept.acquire("db", Scope::Mailbox));
    for (auto& c : again) EXPECT_TRUE(marked(*c));

    DatabaseRegistry expiring(lookup, 64, std::chrono::milliseconds(0));
    {
        auto c = expiring.acquire("db", Scope::Mailbox);
        c->execute("CREATE TEMPORARY TABLE pool_mark (x INTEGER)");
        EXPECT_TRUE(marked(*c));
    }
    auto fresh = expiring.acquire("db", Scope::Mailbox);
    EXPECT_FALSE(marked(*fresh));
}

TEST_P(StoreRoundTrip, UnreachableDatabaseNamesItsIdAndNoSecret)
{
    try {
        registry_->acquire("offline", Scope::Mailbox);
        FAIL() << "connected to an unreachable database";
    } catch (const DatabaseUnavailable& e) {
        std::string message = e.what();
        EXPECT_EQ(e.databaseId(), "offline");
        EXPECT_NE(message.find("database 'offline'"), std::string::npos) << message;
        EXPECT_EQ(message.find("never-logged-7"), std::string::npos) << message;
    }
    EXPECT_THROW(registry_->acquire("nope", Scope::Mailbox), UnknownDatabase);
}

std::string journalMode(Connection& c)
{
    Statement st(c, "PRAGMA journal_mode");
    st.execute();
    return st.fetch() ? st.textOr(1) : "";
}

// A SQLite database has a rollback journal and commits durably, unless the
// connection string asks for WAL: then it is checkpointed to disk when
// flushed.
int synchronousOf(Connection& c)
{
    Statement sync(c, "PRAGMA synchronous");
    sync.execute();
    return sync.fetch() ? static_cast<int>(sync.intOr(1, -1)) : -1;
}

void insertBlob(Connection& c, std::size_t size)
{
    Transaction tx(c);
    Statement& insert = c.prepared("INSERT INTO t (v) VALUES (?)");
    const std::string bytes = varyingBytes(size, 3);
    insert.bindBlob(1, bytes);
    EXPECT_EQ(insert.execute(), 1);
    tx.commit();
}

TEST(SqliteJournal, RollbackJournalByDefaultCommitsDurably)
{
    Poco::TemporaryFile dir;
    dir.createDirectories();
    const std::string path = dir.path() + "/mail.db";
    Connection c("rollback", "Driver=SQLite3;Database=" + path);
    EXPECT_EQ(journalMode(c), "truncate");
    EXPECT_FALSE(c.walMode());
    EXPECT_EQ(synchronousOf(c), 2); // FULL: each commit waits for the disk
    c.execute("CREATE TABLE t (v BLOB)");
    const auto before = Poco::File(path).getSize();
    insertBlob(c, 100000);
    EXPECT_GT(Poco::File(path).getSize(), before + 90000); // in the database file at the commit
    EXPECT_FALSE(Poco::File(path + "-wal").exists());
    EXPECT_EQ(Poco::File(path + "-journal").getSize(), 0u); // truncated after the commit
    EXPECT_TRUE(c.flushToDisk());

    Connection other("rollback", "Driver=SQLite3;Database=" + path);
    Statement check(other, "SELECT length(v) FROM t");
    check.execute();
    ASSERT_TRUE(check.fetch());
    EXPECT_EQ(check.getInt(1), 100000);

    Connection memory("memory", "Driver=SQLite3;Database=:memory:");
    EXPECT_EQ(journalMode(memory), "memory");
    EXPECT_FALSE(memory.walMode());
    EXPECT_EQ(synchronousOf(memory), 2);
    EXPECT_TRUE(memory.flushToDisk());
}

// A process that opens a migrated database reads the schema version and
// does not wait for the write lock, which a long fetch holds from one
// transaction to the next (waiting would end in "database is locked" after
// the busy timeout).
TEST(SqliteJournal, OpeningAMigratedDatabaseNeedsNoWriteLock)
{
    Poco::TemporaryFile dir;
    dir.createDirectories();
    const std::string connection = "Driver=SQLite3;Database=" + dir.path() + "/busy.db";
    auto lookup = [&](const std::string&) { return std::optional<std::string>(connection); };
    DatabaseRegistry first(lookup);
    auto writer = first.acquire("busy", Scope::Mailbox); // migrates
    Transaction tx(*writer);
    writer->execute("DELETE FROM fetch_state");

    DatabaseRegistry second(lookup); // as in another process
    std::optional<ConnectionLease> reader;
    ASSERT_NO_THROW(reader.emplace(second.acquire("busy", Scope::Mailbox)));
    Statement st(**reader, "SELECT count(*) FROM messages");
    st.execute();
    ASSERT_TRUE(st.fetch());
    EXPECT_EQ(st.getInt(1), 0);
    tx.commit();
}

TEST(SqliteJournal, WalWhenTheConnectionStringAsksAndFlushedOnDemand)
{
    Poco::TemporaryFile dir;
    dir.createDirectories();
    const std::string path = dir.path() + "/wal.db";
    {
        Connection c("wal", "Driver=SQLite3;Database=" + path + ";JournalMode=WAL");
        EXPECT_EQ(journalMode(c), "wal");
        EXPECT_TRUE(c.walMode());
        c.execute("CREATE TABLE t (v BLOB)");
        insertBlob(c, 100000);
        EXPECT_GT(Poco::File(path + "-wal").getSize(), 100000u);
        const auto before = Poco::File(path).getSize();
        EXPECT_TRUE(c.flushToDisk());
        EXPECT_GT(Poco::File(path).getSize(), before + 100000); // the log's pages are in the database file now

        // Another connection without the setting finds the file in WAL mode
        // and keeps it so.
        Connection plain("wal", "Driver=SQLite3;Database=" + path);
        EXPECT_EQ(journalMode(plain), "wal");
        EXPECT_TRUE(plain.walMode());
    }
    {
        Connection plain("wal", "Driver=SQLite3;Database=" + path);
        EXPECT_TRUE(plain.walMode());
    }
    // Back to a rollback journal when the connection string says so.
    Connection alone("wal", "Driver=SQLite3;Database=" + path + ";JournalMode=TRUNCATE");
    EXPECT_EQ(journalMode(alone), "truncate");
    EXPECT_FALSE(alone.walMode());
    EXPECT_EQ(synchronousOf(alone), 2);
    Statement check(alone, "SELECT length(v) FROM t");
    check.execute();
    ASSERT_TRUE(check.fetch());
    EXPECT_EQ(check.getInt(1), 100000);
}

INSTANTIATE_TEST_SUITE_P(Dialects, StoreRoundTrip,
                         ::testing::Values(Dialect{"sqlite", &sqliteConnection},
                                           Dialect{"postgresql", &postgresConnection}),
                         [](const auto& info) { return info.param.name; });

} // namespace
