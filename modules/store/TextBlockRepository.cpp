#include "store/TextBlockRepository.h"

#include "store/Rows.h"
#include "store/SqlText.h"

namespace erpmail::store {

namespace {

constexpr const char* kColumns = "id, account_id, name, subject, body_text, body_html, doctypes, is_signature,"
                                 " allow_empty, created_at_ms, updated_at_ms, updated_by";

// Binds the columns insert and update share, from position `pos` on.
int bindContent(Statement& st, int pos, const TextBlockRecord& b)
{
    st.bindText(pos++, b.name);
    st.bindOptionalText(pos++, b.subject);
    st.bindOptionalText(pos++, b.bodyText);
    st.bindOptionalText(pos++, b.bodyHtml);
    st.bindText(pos++, joinCommaList(b.doctypes));
    st.bindInt(pos++, b.signature ? 1 : 0);
    st.bindInt(pos++, b.allowEmpty ? 1 : 0);
    st.bindInt(pos++, b.updatedAtMs);
    st.bindText(pos++, b.updatedBy);
    return pos;
}

} // namespace

void TextBlockRepository::insert(const TextBlockRecord& b)
{
    Statement st(c_, "INSERT INTO text_blocks (name, subject, body_text, body_html, doctypes, is_signature, allow_empty,"
                     " updated_at_ms, updated_by, id, account_id, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    int pos = bindContent(st, 1, b);
    st.bindText(pos++, b.id);
    st.bindText(pos++, b.accountId);
    st.bindInt(pos++, b.createdAtMs);
    st.execute();
}

void TextBlockRepository::update(const TextBlockRecord& b)
{
    Statement st(c_, "UPDATE text_blocks SET name = ?, subject = ?, body_text = ?, body_html = ?, doctypes = ?,"
                     " is_signature = ?, allow_empty = ?, updated_at_ms = ?, updated_by = ? WHERE id = ?");
    int pos = bindContent(st, 1, b);
    st.bindText(pos, b.id);
    st.execute();
}

bool TextBlockRepository::remove(const std::string& id)
{
    return deleteById(c_, "text_blocks", id);
}

std::optional<TextBlockRecord> TextBlockRepository::find(const std::string& id)
{
    return firstOf(select("id = ?", {id}));
}

std::optional<TextBlockRecord> TextBlockRepository::findByName(const std::string& accountId, const std::string& name)
{
    return firstOf(select("account_id = ? AND name = ?", {accountId, name}));
}

std::optional<TextBlockRecord> TextBlockRepository::signatureOf(const std::string& accountId)
{
    return firstOf(select("account_id = ? AND is_signature = 1", {accountId}));
}

std::vector<TextBlockRecord> TextBlockRepository::list(const std::string& accountId,
                                                       const std::optional<std::string>& doctype)
{
    if (!doctype) return select("account_id = ?", {accountId});
    // The comma list is searched with commas around it, so "offer" does not match "offers".
    return select("account_id = ? AND (doctypes = '' OR (',' || doctypes || ',') LIKE ? ESCAPE '!')",
                  {accountId, likeContaining("," + *doctype + ",")});
}

std::vector<TextBlockRecord> TextBlockRepository::select(const std::string& where, const std::vector<std::string>& texts)
{
    // Kept prepared: a bulk send reads its text block once per receipt.
    Statement& st = c_.prepared(std::string("SELECT ") + kColumns + " FROM text_blocks WHERE " + where +
                                " ORDER BY name, id");
    int pos = 1;
    for (const auto& t : texts) st.bindText(pos++, t);
    st.execute();
    std::vector<TextBlockRecord> out;
    while (st.fetch()) {
        TextBlockRecord b;
        b.id = st.textOr(1);
        b.accountId = st.textOr(2);
        b.name = st.textOr(3);
        b.subject = st.getText(4);
        b.bodyText = st.getText(5);
        b.bodyHtml = st.getText(6);
        b.doctypes = splitCommaList(st.textOr(7));
        b.signature = st.intOr(8, 0) != 0;
        b.allowEmpty = st.intOr(9, 0) != 0;
        b.createdAtMs = st.intOr(10, 0);
        b.updatedAtMs = st.intOr(11, 0);
        b.updatedBy = st.textOr(12);
        out.push_back(std::move(b));
    }
    st.close();
    return out;
}

} // namespace erpmail::store
