#include "store/Odbc.h"

#include <Poco/Data/ODBC/SessionImpl.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <cctype>
#include <cstring>
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

// Most columns are short (ids, UIDLs, addresses): a first read of this size
// takes them whole. A driver pads a character buffer to its full length and
// the buffer is zeroed first, so a large first read costs for every value.
constexpr SQLLEN kFirstChunk = 512;
constexpr SQLLEN kChunk = 64 * 1024;

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
        // already: new pages, and so almost all of a received mail, are
        // written once, where WAL writes them to its log and then again
        // into the database (POP3, 10,000 mails: 2.0-2.1 s against
        // 2.3-2.6 s). WAL lets readers go on during a commit and sends about
        // 4% faster; it suits many concurrent users. A WAL file is not
        // switched back here: that needs every other connection closed.
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
    // PRAGMA or WITH compiled between executions; it compiles every other
    // one again for each execute (41,000 compilations, an eighth of the CPU
    // time, in a fetch of 10,000 mails). With a WITH clause in front, a kept
    // INSERT, UPDATE or DELETE is compiled once. The driver then treats it
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

Statement::Statement(Connection& connection, std::string_view sql) : connection_(connection)
{
    SQLRETURN rc = SQLAllocHandle(SQL_HANDLE_STMT, connection_.handle(), &stmt_);
    if (!SQL_SUCCEEDED(rc)) connection_.raise(SQL_HANDLE_DBC, connection_.handle(), "allocate statement");
    rc = SQLPrepare(stmt_, reinterpret_cast<SQLCHAR*>(const_cast<char*>(sql.data())),
                    static_cast<SQLINTEGER>(sql.size()));
    if (!SQL_SUCCEEDED(rc)) {
        std::string what = "prepare '" + std::string(sql.substr(0, 80)) + "'";
        try {
            connection_.raise(SQL_HANDLE_STMT, stmt_, what);
        } catch (...) {
            SQLFreeHandle(SQL_HANDLE_STMT, stmt_);
            stmt_ = SQL_NULL_HSTMT;
            throw;
        }
    }
}

Statement::~Statement()
{
    if (stmt_ != SQL_NULL_HSTMT) SQLFreeHandle(SQL_HANDLE_STMT, stmt_);
}

Statement::Param& Statement::param(int pos)
{
    if (pos < 1) throw StoreError(connection_.databaseId(), "parameter positions start at 1");
    if (static_cast<std::size_t>(pos) > params_.size()) params_.resize(static_cast<std::size_t>(pos));
    return params_[static_cast<std::size_t>(pos) - 1];
}

Statement& Statement::bindNull(int pos)
{
    Param& p = param(pos);
    p = Param{};
    p.cType = SQL_C_CHAR;
    p.sqlType = SQL_VARCHAR;
    p.indicator = SQL_NULL_DATA;
    return *this;
}

Statement& Statement::bindInt(int pos, std::int64_t value)
{
    Param& p = param(pos);
    p = Param{};
    p.cType = SQL_C_SBIGINT;
    p.sqlType = SQL_BIGINT;
    p.intValue = value;
    return *this;
}

Statement& Statement::bindText(int pos, std::string_view utf8)
{
    Param& p = param(pos);
    p = Param{};
    p.cType = SQL_C_CHAR;
    p.sqlType = utf8.size() <= 4000 ? SQL_VARCHAR : SQL_LONGVARCHAR;
    p.owned.assign(utf8.data(), utf8.size());
    p.length = static_cast<SQLLEN>(utf8.size());
    p.indicator = p.length;
    return *this;
}

Statement& Statement::bindBlob(int pos, std::string_view bytes)
{
    Param& p = param(pos);
    p = Param{};
    p.cType = SQL_C_BINARY;
    // psqlODBC maps LONGVARBINARY to large objects unless ByteaAsLongVarBinary
    // is set; VARBINARY always means bytea there.
    p.sqlType = connection_.dialect() == Dialect::PostgreSQL ? SQL_VARBINARY : SQL_LONGVARBINARY;
    p.data = bytes.empty() ? "" : bytes.data();
    p.length = static_cast<SQLLEN>(bytes.size());
    p.indicator = p.length;
    return *this;
}

Statement& Statement::bindOptionalText(int pos, const std::optional<std::string>& utf8)
{
    return utf8 ? bindText(pos, *utf8) : bindNull(pos);
}

void Statement::close() noexcept
{
    if (cursorOpen_) SQLFreeStmt(stmt_, SQL_CLOSE);
    cursorOpen_ = false;
}

std::int64_t Statement::execute()
{
    close();
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Param& p = params_[i];
        if (p.cType == SQL_C_CHAR && p.indicator != SQL_NULL_DATA) p.data = p.owned.c_str();
        SQLPOINTER value = p.cType == SQL_C_SBIGINT ? static_cast<SQLPOINTER>(&p.intValue)
                                                    : static_cast<SQLPOINTER>(const_cast<char*>(p.data));
        SQLULEN columnSize = p.cType == SQL_C_SBIGINT ? 0 : static_cast<SQLULEN>(std::max<SQLLEN>(p.length, 1));
        SQLRETURN rc = SQLBindParameter(stmt_, static_cast<SQLUSMALLINT>(i + 1), SQL_PARAM_INPUT, p.cType, p.sqlType,
                                        columnSize, 0, value, p.length, &p.indicator);
        if (!SQL_SUCCEEDED(rc)) connection_.raise(SQL_HANDLE_STMT, stmt_, "bind parameter " + std::to_string(i + 1));
    }
    SQLRETURN rc = SQLExecute(stmt_);
    if (rc != SQL_NO_DATA && !SQL_SUCCEEDED(rc)) connection_.raise(SQL_HANDLE_STMT, stmt_, "execute");
    cursorOpen_ = true;
    if (countsChanges_) {
        close();
        return connection_.changes();
    }
    SQLLEN rows = -1;
    if (!SQL_SUCCEEDED(SQLRowCount(stmt_, &rows))) rows = -1;
    return rows;
}

bool Statement::fetch()
{
    SQLRETURN rc = SQLFetch(stmt_);
    if (rc == SQL_NO_DATA) return false;
    if (!SQL_SUCCEEDED(rc)) connection_.raise(SQL_HANDLE_STMT, stmt_, "fetch");
    return true;
}

std::optional<std::int64_t> Statement::getInt(int col)
{
    SQLBIGINT value = 0;
    SQLLEN ind = 0;
    SQLRETURN rc = SQLGetData(stmt_, static_cast<SQLUSMALLINT>(col), SQL_C_SBIGINT, &value, sizeof value, &ind);
    if (!SQL_SUCCEEDED(rc)) connection_.raise(SQL_HANDLE_STMT, stmt_, "read column " + std::to_string(col));
    if (ind == SQL_NULL_DATA) return std::nullopt;
    return static_cast<std::int64_t>(value);
}

std::optional<std::string> Statement::getText(int col)
{
    return getChunked(col, SQL_C_CHAR);
}

std::optional<std::string> Statement::getBlob(int col)
{
    return getChunked(col, SQL_C_BINARY);
}

std::int64_t Statement::intOr(int col, std::int64_t fallback)
{
    return getInt(col).value_or(fallback);
}

std::string Statement::textOr(int col, std::string fallback)
{
    auto v = getText(col);
    return v ? std::move(*v) : std::move(fallback);
}

// Reads a column of any length: a small first chunk holds most values and
// tells the driver's total of the others, whose rest then lands straight in
// the result in one call. Drivers that cannot tell the total are read chunk
// by chunk.
std::optional<std::string> Statement::getChunked(int col, SQLSMALLINT cType)
{
    const SQLLEN terminator = cType == SQL_C_CHAR ? 1 : 0;
    std::string out;
    SQLLEN want = kFirstChunk;
    for (;;) {
        std::size_t offset = out.size();
        out.resize(offset + static_cast<std::size_t>(want + terminator));
        SQLLEN ind = 0;
        SQLRETURN rc = SQLGetData(stmt_, static_cast<SQLUSMALLINT>(col), cType, &out[offset], want + terminator, &ind);
        if (rc == SQL_NO_DATA) {
            out.resize(offset);
            break;
        }
        if (!SQL_SUCCEEDED(rc)) connection_.raise(SQL_HANDLE_STMT, stmt_, "read column " + std::to_string(col));
        if (ind == SQL_NULL_DATA) return std::nullopt;
        if (ind != SQL_NO_TOTAL && ind <= want) {
            out.resize(offset + static_cast<std::size_t>(ind));
            break;
        }
        // Truncated: `want` bytes arrived; ind is what was left before this call.
        out.resize(offset + static_cast<std::size_t>(want));
        want = ind == SQL_NO_TOTAL ? kChunk : ind - want;
    }
    return out;
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
