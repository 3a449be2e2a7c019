// An account's own database and the messages stored in it.
#pragma once

#include "store/DatabaseRegistry.h"
#include "store/AddressBookRepository.h"
#include "store/Records.h"
#include "store/SecurityRepository.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erpmail {

/// What storeMessage() kept, for the host's event.
struct StoredMessage {
    std::int64_t id = 0;
    std::string subject;
    std::string from;
    std::string documentLinks = "[]";   ///< a reply inherits the links of the mail it answers
    std::size_t attachments = 0;        ///< how many attachments it has
    std::optional<std::string> warning; ///< what the parser found amiss, if anything
};

/// A message parsed and ready to store: prepareMessage() builds it on any
/// thread, storePrepared() writes it on the connection's thread.
struct PreparedMessage {
    store::MessageRecord record;
    std::vector<store::AddressRecord> addresses;
    std::vector<std::string> answers; ///< Message-IDs it replies to (In-Reply-To, References)
    StoredMessage summary;
    /// A large mail is parsed only when stored, after its raw bytes are
    /// written: raw bytes, decoded parts and the database's copy of either
    /// are then never all in memory at once.
    bool parseWhenStored = false;
    /// What S/MIME verification found (signed or encrypted mail only), and
    /// the certificates of its valid signers for the address book.
    std::optional<store::SecurityRecord> security;
    std::vector<store::AddressCertificate> signerCertificates;
};

class MessageStore {
public:
    virtual ~MessageStore() = default;

    /// A connection to the account's own database; takes the account offline
    /// and throws OperationError(unavailable) when the database is gone.
    virtual store::ConnectionLease mailbox(const store::AccountRecord& account) = 0;
    /// Sets the account offline (once) and tells the host why.
    virtual void takeOffline(const store::AccountRecord& account, const std::string& reason) = 0;
    /// Stores a raw message in the account's messages, parsed, with its
    /// addresses collected. Incoming mail that answers a mail the account
    /// sent inherits that mail's document links. Runs in the caller's
    /// transaction when one is open on `connection`.
    virtual StoredMessage storeMessage(store::Connection& connection, const store::AccountRecord& account,
                                       const std::string& raw, const std::string& state, const std::string& direction,
                                       const std::string& documentLinks, const store::MessageOrigin& origin = {}) = 0;
    /// The parsing half of storeMessage: touches no database, so a fetch
    /// can parse the next mail while the previous one is written.
    virtual PreparedMessage prepareMessage(const store::AccountRecord& account, std::string raw,
                                           const std::string& state, const std::string& direction,
                                           const std::string& documentLinks, const store::MessageOrigin& origin) = 0;
    /// The writing half: links a reply to its receipt's documents, inserts
    /// the message and collects its addresses, in the caller's transaction
    /// when one is open. The record's bytes may be moved out.
    virtual StoredMessage storePrepared(store::Connection& connection, PreparedMessage& message) = 0;
};

} // namespace erpmail
