// An ODBC statement: parameters bound with their exact length, columns read
// with chunked SQLGetData, so values of any size round-trip on every driver.
#include "store/Odbc.h"

#include <algorithm>

namespace erpmail::store {

namespace {

// Most columns are short (ids, UIDLs, addresses): a first read of this size
// takes them whole. A driver pads a character buffer to its full length and
// the buffer is zeroed first, so a large first read costs for every value.
constexpr SQLLEN kFirstChunk = 512;
constexpr SQLLEN kChunk = 64 * 1024;

} // namespace

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

Statement::Param& Statement::param(int pos, SQLSMALLINT cType, SQLSMALLINT sqlType)
{
    if (pos < 1) throw StoreError(connection_.databaseId(), "parameter positions start at 1");
    if (static_cast<std::size_t>(pos) > params_.size()) params_.resize(static_cast<std::size_t>(pos));
    Param& p = params_[static_cast<std::size_t>(pos) - 1];
    p = Param{};
    p.cType = cType;
    p.sqlType = sqlType;
    return p;
}

Statement& Statement::bindNull(int pos)
{
    param(pos, SQL_C_CHAR, SQL_VARCHAR).indicator = SQL_NULL_DATA;
    return *this;
}

Statement& Statement::bindInt(int pos, std::int64_t value)
{
    param(pos, SQL_C_SBIGINT, SQL_BIGINT).intValue = value;
    return *this;
}

Statement& Statement::bindText(int pos, std::string_view utf8)
{
    Param& p = param(pos, SQL_C_CHAR, utf8.size() <= 4000 ? SQL_VARCHAR : SQL_LONGVARCHAR);
    p.owned.assign(utf8.data(), utf8.size());
    p.length = static_cast<SQLLEN>(utf8.size());
    p.indicator = p.length;
    return *this;
}

Statement& Statement::bindBlob(int pos, std::string_view bytes)
{
    // psqlODBC maps LONGVARBINARY to large objects unless ByteaAsLongVarBinary
    // is set; VARBINARY always means bytea there.
    Param& p = param(pos, SQL_C_BINARY,
                     connection_.dialect() == Dialect::PostgreSQL ? SQL_VARBINARY : SQL_LONGVARBINARY);
    p.data = bytes.empty() ? "" : bytes.data();
    p.length = static_cast<SQLLEN>(bytes.size());
    p.indicator = p.length;
    return *this;
}

Statement& Statement::bindOptionalText(int pos, const std::optional<std::string>& utf8)
{
    return utf8 ? bindText(pos, *utf8) : bindNull(pos);
}

Statement& Statement::bindOptionalInt(int pos, const std::optional<std::int64_t>& value)
{
    return value ? bindInt(pos, *value) : bindNull(pos);
}

Statement& Statement::bindOptionalBlob(int pos, const std::optional<std::string>& bytes)
{
    return bytes ? bindBlob(pos, *bytes) : bindNull(pos);
}

int Statement::bindTexts(int pos, const std::vector<std::string>& utf8)
{
    for (const auto& text : utf8) bindText(pos++, text);
    return pos;
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
    // The first call reads into the stack: most values are short, and a
    // string of their own length is all they then allocate.
    char first[kFirstChunk + 1];
    SQLLEN ind = 0;
    SQLRETURN rc = SQLGetData(stmt_, static_cast<SQLUSMALLINT>(col), cType, first, kFirstChunk + terminator, &ind);
    if (rc == SQL_NO_DATA) return std::string();
    if (!SQL_SUCCEEDED(rc)) connection_.raise(SQL_HANDLE_STMT, stmt_, "read column " + std::to_string(col));
    if (ind == SQL_NULL_DATA) return std::nullopt;
    if (ind != SQL_NO_TOTAL && ind <= kFirstChunk) return std::string(first, static_cast<std::size_t>(ind));
    // Truncated: kFirstChunk bytes arrived; ind is what was left before this call.
    std::string out(first, static_cast<std::size_t>(kFirstChunk));
    SQLLEN want = ind == SQL_NO_TOTAL ? kChunk : ind - kFirstChunk;
    for (;;) {
        std::size_t offset = out.size();
        out.resize(offset + static_cast<std::size_t>(want + terminator));
        rc = SQLGetData(stmt_, static_cast<SQLUSMALLINT>(col), cType, &out[offset], want + terminator, &ind);
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

} // namespace erpmail::store
