// An ODBC connection: connecting through Poco, the SQLite settings, kept
// statements, transactions, and errors raised from ODBC diagnostics.
#include "store/Odbc.h"

#include <Poco/Data/ODBC/SessionImpl.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace erpmail::store {

namespace {

struct Diagnostic {
    std::string state;
    std::string text;
};

std::vector<Diagnostic> diagnostics(SQLSMALLINT handleType, SQLHANDLE handle)
{
    std::vector<Diagnostic> out;
    for (SQLSMALLINT rec = 1; rec < 10; ++rec) {
        SQLCHAR state[6] = {0};
        SQLCHAR message[1024] = {0};
        SQLINTEGER native = 0;
        SQLSMALLINT length = 0;
        SQLRETURN rc =
            SQLGetDiagRec(handleType, handle, rec, state, &native, message, sizeof message, &length);
        if (!SQL_SUCCEEDED(rc)) break;
        out.push_back({reinterpret_cast<char*>(state), reinterpret_cast<char*>(message)});
    }
    return out;
}

bool looksLikeConstraint(const std::vector<Diagnostic>& diags)
{
    for (const auto& d : diags) {
        if (d.state.rfind("23", 0) == 0) return true;
        // The SQLite ODBC driver reports constraint failures as HY000.
        if (d.text.find("constraint failed") != std::string::npos) return true;
    }
    return false;
}

bool looksLikeLinkFailure(const std::vector<Diagnostic>& diags)
{
    for (const auto& d : diags) {
        if (d.state.rfind("08", 0) == 0 || d.state == "HYT00" || d.state == "HYT01") return true;
        if (d.text.find("server closed the connection") != std::string::npos) return true;
        if (d.text.find("no connection to the server") != std::string::npos) return true;
        if (d.text.find("Could not send Query") != std::string::npos) return true;
    }
    return false;
}

// Poco's text for a failed connect holds one block per ODBC diagnostic
// record: "SQLSTATE = 08001", "Native Error Code = 101", then the message.
// Only the states and messages are kept; Poco prints no connection string.
std::string connectFailureReason(const Poco::Exception& e)
{
    std::istringstream in(e.displayText());
    std::string line, state, reason, message;
    bool inMessage = false;
    auto flush = [&] {
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        if (!message.empty()) reason += (reason.empty() ? "" : "; ") + ("[" + state + "] ") + message;
        message.clear();
        inMessage = false;
    };
    while (std::getline(in, line)) {
        if (line.rfind("SQLSTATE = ", 0) == 0) {
            flush();
            state = line.substr(11);
        } else if (line.rfind("Native Error Code", 0) == 0) {
            inMessage = true;
        } else if (line.rfind("=====", 0) == 0 || line.rfind("ODBC Diagnostic record", 0) == 0) {
            flush();
        } else if (inMessage) {
            std::size_t b = line.find_first_not_of(" \t");
            if (b != std::string::npos) message += (message.empty() ? "" : " ") + line.substr(b);
        }
    }
    flush();
    return reason.empty() ? e.message() : reason;
}

} // namespace

std::string placeholders(std::size_t n)
{
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
    return out;
}

const char* dialectName(Dialect d)
{
    return d == Dialect::PostgreSQL ? "postgresql" : "sqlite";
}

StoreError::StoreError(std::string databaseId, const std::string& message)
    : std::runtime_error("database '" + databaseId + "': " + message), databaseId_(std::move(databaseId))
{
}

Connection::Connection(std::string databaseId, const std::string& connectionString, std::size_t loginTimeoutSeconds)
    : databaseId_(std::move(databaseId))
{
    try {
        Poco::AutoPtr<Poco::Data::ODBC::SessionImpl> impl(
            new Poco::Data::ODBC::SessionImpl(connectionString, loginTimeoutSeconds));
        dbc_ = const_cast<SQLHDBC>(static_cast<const SQLHDBC&>(impl->dbc()));
        session_ = std::make_unique<Poco::Data::Session>(impl);
    } catch (const Poco::Exception& e) {
        throw DatabaseUnavailable(databaseId_, "cannot connect: " + connectFailureReason(e));
    }
    SQLCHAR name[128] = {0};
    SQLSMALLINT len = 0;
    if (SQL_SUCCEEDED(SQLGetInfo(handle(), SQL_DBMS_NAME, name, sizeof name, &len))) {
        std::string dbms(reinterpret_cast<char*>(name));
        if (dbms.find("PostgreSQL") != std::string::npos)
            dialect_ = Dialect::PostgreSQL;
        else if (dbms.find("SQLite") != std::string::npos)
            dialect_ = Dialect::SQLite;
        else
            throw StoreError(databaseId_, "unsupported database system '" + dbms + "' (SQLite or PostgreSQL)");
    }
    if (dialect_ == Dialect::SQLite) {
        execute("PRAGMA foreign_keys = ON");
        execute("PRAGMA busy_timeout = 10000");
        // Mail bodies span several pages; larger pages mean fewer overflow
        // pages. Takes effect only when the database file is created.
        execute("PRAGMA page_size = 16384");
        // A rollback journal unless the connection string names a mode
        // (the driver's JournalMode=WAL, say) or the file is in WAL mode
        // already, because it writes new pages, and so almost all of a
        // received mail, once where WAL writes them to its log and again
        // into the database; WAL suits many concurrent readers, and a WAL
        // file is not switched back here, as that needs every other
        // connection closed.
        auto journalMode = [this](const char* sql) {
            Statement mode(*this, sql);
            mode.execute();
            return mode.fetch() ? mode.textOr(1) : std::string();
        };
        std::string lower(connectionString);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string mode = journalMode("PRAGMA journal_mode");
        if (mode != "wal" && lower.find("journalmode=") == std::string::npos)
            mode = journalMode("PRAGMA journal_mode = TRUNCATE");
        wal_ = mode == "wal";
        // In WAL mode the ingest flushes before server deletions; without
        // it every commit waits for the disk.
        if (!wal_) execute("PRAGMA synchronous = FULL");
    }
}

Connection::~Connection()
{
    if (inTransaction_) rollback();
}

namespace {

bool startsWithWord(std::string_view sql, std::string_view word)
{
    if (sql.size() <= word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(sql[i])) != word[i]) return false;
    return sql[word.size()] == ' ';
}

} // namespace

Statement& Connection::prepared(const std::string& sql)
{
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return *it->second;
    // SQLite's ODBC driver keeps only statements that start with SELECT,
    // PRAGMA or WITH compiled between executions and compiles every other
    // one again at each execute, so a kept INSERT, UPDATE or DELETE gets a
    // WITH clause in front and is compiled once. The driver then treats it
    // as a query and reports no row count, so execute() asks SQLite's
    // changes(). Only with parameters: a query without any may be left to
    // run when fetched (the driver's StepAPI option).
    std::unique_ptr<Statement> st;
    if (dialect_ == Dialect::SQLite &&
        (startsWithWord(sql, "insert") || startsWithWord(sql, "update") || startsWithWord(sql, "delete"))) {
        st = std::make_unique<Statement>(*this, "WITH kept(x) AS (SELECT 1) " + sql);
        SQLSMALLINT params = 0;
        if (SQL_SUCCEEDED(SQLNumParams(st->stmt_, &params)) && params > 0)
            st->countsChanges_ = true;
        else
            st = std::make_unique<Statement>(*this, sql);
    } else {
        st = std::make_unique<Statement>(*this, sql);
    }
    return *prepared_.emplace(sql, std::move(st)).first->second;
}

std::int64_t Connection::changes()
{
    Statement& st = prepared("SELECT changes()");
    st.execute();
    const std::int64_t rows = st.fetch() ? st.intOr(1, -1) : -1;
    st.close();
    return rows;
}

bool Connection::flushToDisk()
{
    // A PostgreSQL commit is durable when it returns, and so is a SQLite
    // commit with a rollback journal and synchronous=FULL.
    if (!wal_) return true;
    // Every committed frame copied into the database file and both synced;
    // busy (first column 1) when another connection kept it from finishing.
    Statement st(*this, "PRAGMA wal_checkpoint(FULL)");
    st.execute();
    const bool done = st.fetch() && st.intOr(1, 1) == 0;
    st.close();
    return done;
}

bool Connection::isGood()
{
    SQLUINTEGER dead = SQL_CD_FALSE;
    SQLRETURN rc = SQLGetConnectAttr(handle(), SQL_ATTR_CONNECTION_DEAD, &dead, 0, nullptr);
    return !SQL_SUCCEEDED(rc) || dead == SQL_CD_FALSE;
}

void Connection::execute(std::string_view sql)
{
    Statement st(*this, sql);
    st.execute();
}

std::int64_t Connection::count(std::string_view sql, std::string_view text)
{
    Statement st(*this, sql);
    st.bindText(1, text);
    st.execute();
    return st.fetch() ? st.intOr(1, 0) : 0;
}

std::int64_t Connection::lastInsertId()
{
    Statement& st = prepared(dialect_ == Dialect::PostgreSQL ? "SELECT lastval()" : "SELECT last_insert_rowid()");
    st.execute();
    if (!st.fetch()) throw StoreError(databaseId_, "no id was generated");
    const std::int64_t id = st.intOr(1, 0);
    st.close();
    return id;
}

void Connection::begin()
{
    if (inTransaction_) throw StoreError(databaseId_, "transaction already in progress");
    if (dialect_ == Dialect::SQLite) {
        // A deferred transaction that reads first and writes later deadlocks
        // with another such writer (both hold the shared lock, both wait to
        // upgrade). IMMEDIATE takes the write lock at the start: a second
        // writer waits its turn instead.
        execute("BEGIN IMMEDIATE");
        inTransaction_ = true;
        return;
    }
    SQLRETURN rc = SQLSetConnectAttr(handle(), SQL_ATTR_AUTOCOMMIT, reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_OFF),
                                     SQL_IS_UINTEGER);
    if (!SQL_SUCCEEDED(rc)) raise(SQL_HANDLE_DBC, handle(), "begin transaction");
    inTransaction_ = true;
}

void Connection::commit()
{
    if (!inTransaction_) throw StoreError(databaseId_, "commit without transaction");
    if (dialect_ == Dialect::SQLite) {
        try {
            execute("COMMIT");
        } catch (...) {
            rollback();
            throw;
        }
        inTransaction_ = false;
        return;
    }
    SQLRETURN rc = SQLEndTran(SQL_HANDLE_DBC, handle(), SQL_COMMIT);
    if (!SQL_SUCCEEDED(rc)) {
        auto diags = diagnostics(SQL_HANDLE_DBC, handle());
        rollback();
        std::string text = "commit failed";
        for (const auto& d : diags) text += ": [" + d.state + "] " + d.text;
        if (looksLikeLinkFailure(diags)) throw DatabaseUnavailable(databaseId_, text);
        throw StoreError(databaseId_, text);
    }
    inTransaction_ = false;
    SQLSetConnectAttr(handle(), SQL_ATTR_AUTOCOMMIT, reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_ON), SQL_IS_UINTEGER);
}

void Connection::rollback() noexcept
{
    if (!inTransaction_) return;
    if (dialect_ == Dialect::SQLite) {
        inTransaction_ = false;
        try {
            execute("ROLLBACK");
        } catch (...) {
            // Nothing more can be done: SQLite rolls back on its own when the connection closes.
        }
        return;
    }
    SQLEndTran(SQL_HANDLE_DBC, handle(), SQL_ROLLBACK);
    SQLSetConnectAttr(handle(), SQL_ATTR_AUTOCOMMIT, reinterpret_cast<SQLPOINTER>(SQL_AUTOCOMMIT_ON), SQL_IS_UINTEGER);
    inTransaction_ = false;
}

void Connection::raise(SQLSMALLINT handleType, SQLHANDLE h, std::string_view what) const
{
    auto diags = diagnostics(handleType, h);
    std::string text(what);
    for (const auto& d : diags) text += ": [" + d.state + "] " + d.text;
    if (looksLikeLinkFailure(diags)) throw DatabaseUnavailable(databaseId_, text);
    if (looksLikeConstraint(diags)) throw ConstraintViolation(databaseId_, text);
    throw StoreError(databaseId_, text);
}

Transaction::Transaction(Connection& connection) : connection_(connection)
{
    connection_.begin();
}

Transaction::~Transaction()
{
    if (!done_) connection_.rollback();
}

void Transaction::commit()
{
    connection_.commit();
    done_ = true;
}

} // namespace erpmail::store
