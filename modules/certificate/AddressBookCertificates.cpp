// mail.certificate.list of an account's address book: the certificates of
// the signers whose signature was valid, collected for encrypting to them.
#include "certificate/CertificateModule.h"

#include "certificate/CertificateJson.h"
#include "erpmail/OperationError.h"
#include "store/AddressBookRepository.h"

#include <Poco/JSON/Array.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr CertificateModule::addressBook(const Request& request, const std::optional<std::string>& email)
{
    const auto& p = request.params;
    if (!p->has("account")) throw invalidParam("account", "give the account whose address book to list");
    // Named as this operation's parameter; an account the caller may not
    // see is answered as one that does not exist.
    store::AccountRecord account;
    try {
        account = accounts_.requireOnline(p->getValue<std::string>("account"), request);
    } catch (const OperationError& e) {
        if (e.field().empty()) throw;
        throw OperationError(e.code(), e.what(), "account");
    }
    std::vector<store::AddressCertificate> collected;
    {
        auto mailbox = messages_.mailbox(account);
        collected = store::AddressBookRepository(*mailbox, account.id).list(email);
    }
    const std::int64_t now = context_.host().nowMs();
    Array::Ptr items = new Array;
    for (const auto& certificate : collected) {
        Object::Ptr o = addressCertificateJson(certificate, now);
        o->set("account", account.id);
        items->add(o);
    }
    Object::Ptr result = new Object;
    result->set("items", items);
    return result;
}

} // namespace erpmail
