// An account's text blocks in the system database.
#pragma once

#include "store/Odbc.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail::store {

struct TextBlockRecord {
    std::string id;
    std::string accountId;
    std::string name;
    std::optional<std::string> subject;
    std::optional<std::string> bodyText;
    std::optional<std::string> bodyHtml;
    std::vector<std::string> doctypes; ///< empty: any document type
    bool signature = false;
    bool allowEmpty = false; ///< a missing value renders empty instead of failing
    std::int64_t createdAtMs = 0;
    std::int64_t updatedAtMs = 0;
    std::string updatedBy;
};

class TextBlockRepository {
public:
    explicit TextBlockRepository(Connection& connection) : c_(connection) {}

    /// Inserts; ConstraintViolation when the account has a block of that
    /// name, or a signature already and this one is one too.
    void insert(const TextBlockRecord& block);
    /// Writes every column but the id, account and creation time.
    void update(const TextBlockRecord& block);
    /// False when there was no such block.
    bool remove(const std::string& id);

    std::optional<TextBlockRecord> find(const std::string& id);
    std::optional<TextBlockRecord> findByName(const std::string& accountId, const std::string& name);
    /// The account's signature block, if it has one.
    std::optional<TextBlockRecord> signatureOf(const std::string& accountId);
    /// The account's blocks by name; with a doctype, those meant for it or for any.
    std::vector<TextBlockRecord> list(const std::string& accountId, const std::optional<std::string>& doctype);

private:
    std::vector<TextBlockRecord> select(const std::string& where, const std::vector<std::string>& texts);

    Connection& c_;
};

} // namespace erpmail::store
