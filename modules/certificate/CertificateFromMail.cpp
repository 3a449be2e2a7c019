// mail.certificate.import from a stored mail: the certificate of one of its
// signers, as the verification recorded it when the mail was stored.
#include "certificate/CertificateModule.h"

#include "erpmail/OperationError.h"
#include "store/SecurityRepository.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace erpmail {

std::string CertificateModule::signerCertificateOf(const Request& request)
{
    const auto& p = request.params;
    if (!p->has("account")) throw invalidParam("account", "give the account that holds message_id");
    const auto account = accounts_.requireOnline(p->getValue<std::string>("account"), request);
    const std::int64_t id = p->getValue<std::int64_t>("message_id");
    const int signer = p->optValue<int>("signer", 1);
    std::optional<store::SecurityRecord> record;
    {
        auto mailbox = messages_.mailbox(account);
        record = store::SecurityRepository(*mailbox).find(account.id, id);
    }
    if (!record || record->kind == "encrypted" || record->kind == "partly_encrypted")
        throw invalidParam("message_id",
                           "message " + std::to_string(id) + " of account '" + account.label + "' is no signed mail");
    Poco::JSON::Parser parser;
    auto signers = parser.parse(record->signers).extract<Poco::JSON::Array::Ptr>();
    if (!signers || signer > static_cast<int>(signers->size()))
        throw invalidParam("signer", "message " + std::to_string(id) + " has " +
                                         std::to_string(signers ? signers->size() : 0) + " signer(s)");
    const auto entry = signers->getObject(static_cast<unsigned>(signer - 1));
    const std::string pem = entry->optValue<std::string>("certificate_pem", "");
    if (pem.empty())
        throw invalidParam("message_id", "signer " + std::to_string(signer) + " of message " + std::to_string(id) +
                                             " brought no certificate");
    return pem;
}

} // namespace erpmail
