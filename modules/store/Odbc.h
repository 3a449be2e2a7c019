// ODBC connection and statement on top of Poco::Data::ODBC sessions.
//
// Poco opens and owns the connection. Statements bind and read values on the
// connection's handle directly: Poco 1.11's binder refuses strings over 255
// bytes on the SQLite ODBC driver and its extractor corrupts BLOBs longer
// than the column size the driver reports. Here every value is bound with its
// exact length and every column is read with chunked SQLGetData, so texts
// and BLOBs of any size round-trip byte for byte on every driver.
#pragma once

#include <Poco/Data/Session.h>

#include <sql.h>
#include <sqlext.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace erpmail::store {

enum class Dialect { SQLite, PostgreSQL };

/// "?, ?, ?" for an IN list of n values.
std::string placeholders(std::size_t n);

/// Name of a dialect as used for folders under sql/ ("sqlite", "postgresql").
const char* dialectName(Dialect d);

/// A database operation failed. Names the database id; never holds the
/// connection string, which may carry credentials.
class StoreError : public std::runtime_error {
public:
    StoreError(std::string databaseId, const std::string& message);
    const std::string& databaseId() const { return databaseId_; }

private:
    std::string databaseId_;
};

/// The database could not be reached (connect failed or the link broke).
class DatabaseUnavailable : public StoreError {
public:
    using StoreError::StoreError;
};

/// A unique key or other constraint refused a row.
class ConstraintViolation : public StoreError {
public:
    using StoreError::StoreError;
};

class Statement;

/// One open connection to one database.
class Connection {
public:
    /// Connects; throws DatabaseUnavailable naming databaseId on failure.
    Connection(std::string databaseId, const std::string& connectionString, std::size_t loginTimeoutSeconds = 5);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    const std::string& databaseId() const { return databaseId_; }
    Dialect dialect() const { return dialect_; }
    SQLHDBC handle() const { return dbc_; }

    /// True while the link is usable (cheap check of the driver's state).
    bool isGood();

    /// Runs one statement without parameters or results.
    void execute(std::string_view sql);

    /// Runs a `SELECT COUNT(*)` with one text parameter; its count.
    std::int64_t count(std::string_view sql, std::string_view text);

    /// The id the last INSERT on this connection generated (SQLite's rowid,
    /// PostgreSQL's lastval()). The SQLite ODBC driver returns no rows for
    /// INSERT ... RETURNING, so inserts ask this instead.
    std::int64_t lastInsertId();

    /// A statement prepared once per connection and kept for reuse: the
    /// same SQL text gives the same statement. Bind every parameter before
    /// each execute(); not for statements that may be nested in a loop over
    /// the same SQL.
    Statement& prepared(const std::string& sql);

    /// True for a SQLite database in write-ahead-log mode (see the
    /// constructor); its commits wait for the disk only when flushed.
    bool walMode() const { return wal_; }

    /// Makes every commit so far survive a power loss, not only a crash of
    /// the process: for a SQLite connection in WAL mode that committed with
    /// synchronous=NORMAL, a full checkpoint. False when another connection
    /// kept it from completing.
    bool flushToDisk();

    /// Rows the last INSERT, UPDATE or DELETE changed (SQLite).
    std::int64_t changes();

    void begin();
    void commit();
    void rollback() noexcept;
    bool inTransaction() const { return inTransaction_; }

    /// Throws the right StoreError subclass for a failed ODBC call.
    [[noreturn]] void raise(SQLSMALLINT handleType, SQLHANDLE handle, std::string_view what) const;

private:
    std::string databaseId_;
    std::unique_ptr<Poco::Data::Session> session_;
    SQLHDBC dbc_ = SQL_NULL_HDBC;
    Dialect dialect_ = Dialect::SQLite;
    bool inTransaction_ = false;
    bool wal_ = false;
    /// Declared last: freed before the connection closes.
    std::map<std::string, std::unique_ptr<Statement>> prepared_;
};

/// A prepared statement. Texts and integers are copied when bound; BLOBs are
/// referenced (they may be large) and must stay alive until execute() returns.
class Statement {
public:
    Statement(Connection& connection, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    /// Parameter positions start at 1.
    Statement& bindNull(int pos);
    Statement& bindInt(int pos, std::int64_t value);
    Statement& bindText(int pos, std::string_view utf8);
    Statement& bindBlob(int pos, std::string_view bytes);
    Statement& bindOptionalText(int pos, const std::optional<std::string>& utf8);
    Statement& bindOptionalInt(int pos, const std::optional<std::int64_t>& value);
    /// A BLOB, or NULL for nullopt; referenced like bindBlob().
    Statement& bindOptionalBlob(int pos, const std::optional<std::string>& bytes);
    /// Binds each text in turn from `pos` (an IN list); returns the position after the last.
    int bindTexts(int pos, const std::vector<std::string>& utf8);

    /// Executes; returns the rows affected (-1 when the driver does not say).
    std::int64_t execute();

    /// Advances to the next row; false when there is none.
    bool fetch();
    /// Ends reading the current result early (kept statements do so).
    void close() noexcept;

    /// Column positions start at 1. Each column may be read once per row,
    /// in increasing order (the ODBC rule for SQLGetData).
    std::optional<std::int64_t> getInt(int col);
    std::optional<std::string> getText(int col);
    std::optional<std::string> getBlob(int col);

    std::int64_t intOr(int col, std::int64_t fallback);
    std::string textOr(int col, std::string fallback = {});

private:
    struct Param {
        SQLSMALLINT cType = SQL_C_CHAR;
        SQLSMALLINT sqlType = SQL_VARCHAR;
        std::int64_t intValue = 0;
        const char* data = nullptr;
        std::string owned; ///< a bound text's bytes
        SQLLEN length = 0;
        SQLLEN indicator = 0;
    };

    std::optional<std::string> getChunked(int col, SQLSMALLINT cType);
    /// The parameter at pos, cleared and typed.
    Param& param(int pos, SQLSMALLINT cType, SQLSMALLINT sqlType);

    Connection& connection_;
    SQLHSTMT stmt_ = SQL_NULL_HSTMT;
    std::vector<Param> params_;
    bool cursorOpen_ = false;
    bool countsChanges_ = false; ///< execute() asks changes() (see Connection::prepared)
    friend class Connection;
};

/// Rolls back unless commit() was called. Opened on a connection with no
/// transaction in progress.
class Transaction {
public:
    explicit Transaction(Connection& connection);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Connection& connection_;
    bool done_ = false;
};

} // namespace erpmail::store
