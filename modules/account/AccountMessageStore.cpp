// Storing a message in an account's database: parsed (a large mail only
// when written), its addresses collected, and a reply linked to the host
// documents of the mail it answers.
#include "account/AccountService.h"

#include "mime/MessageParser.h"
#include "store/MessageRepository.h"
#include "transport/common/Ingest.h"

namespace erpmail {

namespace {

// The address a signer must have for the mail to be valid: its one From
// address. With several, a signature by one of them cannot speak for the
// others, so none matches.
std::string signerToMatch(const mime::ParsedMessage& parsed)
{
    return parsed.from.size() == 1 ? parsed.from.front().email : std::string();
}

} // namespace

StoredMessage AccountService::storeMessage(store::Connection& connection, const store::AccountRecord& account,
                                           const std::string& raw, const std::string& state,
                                           const std::string& direction, const std::string& documentLinks,
                                           const store::MessageOrigin& origin)
{
    PreparedMessage prepared = prepareMessage(account, raw, state, direction, documentLinks, origin);
    if (connection.inTransaction()) return storePrepared(connection, prepared);
    store::Transaction tx(connection);
    StoredMessage stored = storePrepared(connection, prepared);
    tx.commit();
    return stored;
}

namespace {

/// Mails larger than this are parsed when stored (see PreparedMessage).
constexpr std::size_t kParseWhenStoredBytes = 8 * 1024 * 1024;

void setOrigin(store::MessageRecord& record, const std::string& state, const std::string& direction,
               const std::string& documentLinks, const store::MessageOrigin& origin)
{
    record.state = state;
    record.direction = direction;
    record.documentLinks = documentLinks;
    record.folder = origin.folder;
    record.imapUidValidity = origin.uidValidity;
    record.imapUid = origin.uid;
    record.pop3Uidl = origin.uidl;
}

/// What a parse adds besides the record: the ids it answers, its addresses, its summary.
void addParsed(PreparedMessage& p, const mime::ParsedMessage& parsed, std::int64_t now)
{
    const store::MessageRecord& record = p.record;
    if (record.direction == "in" && record.documentLinks == "[]") {
        // A reply to a receipt: the same host documents, found by the ids it answers.
        if (!parsed.inReplyTo.empty()) p.answers.push_back(parsed.inReplyTo);
        const std::string& refs = parsed.references;
        for (std::size_t lt = refs.find('<'); lt != std::string::npos; lt = refs.find('<', lt + 1)) {
            std::size_t gt = refs.find('>', lt);
            if (gt == std::string::npos) break;
            p.answers.push_back(refs.substr(lt + 1, gt - lt - 1));
        }
    }
    for (const auto& a : parsed.allAddresses())
        p.addresses.push_back({record.accountId, a.email, a.name.empty() ? std::nullopt : std::optional<std::string>(a.name), now});
    p.summary = StoredMessage{0,
                              parsed.subject,
                              mime::formatAddresses(parsed.from),
                              record.documentLinks,
                              record.attachments.size(),
                              record.parseWarning};
}

} // namespace

PreparedMessage AccountService::prepareMessage(const store::AccountRecord& account, std::string raw,
                                               const std::string& state, const std::string& direction,
                                               const std::string& documentLinks, const store::MessageOrigin& origin)
{
    const std::int64_t now = context_.host().nowMs();
    PreparedMessage p;
    if (raw.size() > kParseWhenStoredBytes) {
        p.parseWhenStored = true;
        p.record.accountId = account.id;
        p.record.personal = account.kind == "personal";
        p.record.receivedAtMs = now;
        p.record.contentSha256 = sha256Hex(raw);
        p.record.rawSize = static_cast<std::int64_t>(raw.size());
        p.record.raw = std::move(raw);
        setOrigin(p.record, state, direction, documentLinks, origin);
        p.summary.documentLinks = documentLinks;
        return p;
    }
    mime::ParsedMessage parsed;
    p.record = recordFromRaw(std::move(raw), account.id, account.kind == "personal", now, &parsed);
    setOrigin(p.record, state, direction, documentLinks, origin);
    addParsed(p, parsed, now);
    if (direction == "in") checkSecurity(p, signerToMatch(parsed));
    return p;
}

StoredMessage AccountService::storePrepared(store::Connection& connection, PreparedMessage& p)
{
    store::MessageRepository repository(connection);
    auto linkReply = [&] {
        if (p.answers.empty()) return;
        if (auto links = repository.documentLinksOfSent(p.record.accountId, p.answers)) {
            p.record.documentLinks = *links;
            p.summary.documentLinks = *links;
        }
    };
    if (!p.parseWhenStored) {
        linkReply();
        p.summary.id = repository.insert(p.record);
    } else {
        // Parsed without attachment bytes, the row with the raw bytes
        // written; then parsed again for the attachments, the raw bytes
        // freed before they are written.
        store::MessageRecord shell = std::move(p.record);
        mime::ParseLimits namesOnly;
        namesOnly.attachmentBytes = false;
        mime::ParsedMessage parsed;
        p.record = recordFromRaw(std::move(shell.raw), shell.accountId, shell.personal, shell.receivedAtMs, &parsed,
                                 namesOnly);
        setOrigin(p.record, shell.state, shell.direction, shell.documentLinks,
                  {shell.folder, shell.imapUidValidity, shell.imapUid, shell.pop3Uidl});
        addParsed(p, parsed, shell.receivedAtMs);
        if (p.record.direction == "in")
            checkSecurity(p, signerToMatch(parsed), false);
        linkReply();
        std::vector<store::AttachmentRecord> attachments = std::move(p.record.attachments);
        p.record.attachments.clear();
        p.summary.id = repository.insert(p.record);
        if (!attachments.empty()) {
            mime::ParsedMessage full = mime::parseMessage(p.record.raw);
            std::string().swap(p.record.raw);
            for (std::size_t i = 0; i < attachments.size() && i < full.attachments.size(); ++i) {
                attachments[i].bytes = std::move(full.attachments[i].bytes);
                attachments[i].size = static_cast<std::int64_t>(attachments[i].bytes.size());
            }
            repository.insertAttachments(p.summary.id, attachments);
        }
    }
    for (const auto& a : p.addresses) repository.upsertAddress(a);
    storeSecurity(connection, p);
    return p.summary;
}

store::ConnectionLease AccountService::mailbox(const store::AccountRecord& account)
{
    try {
        return context_.databases().acquire(account.databaseId, store::Scope::Mailbox);
    } catch (const store::DatabaseUnavailable& e) {
        throw wentOffline(account, e);
    }
}

} // namespace erpmail
