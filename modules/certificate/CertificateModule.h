// S/MIME certificates: the plugin's store and the users' personal stores,
// the system's CA certificates, inspection and expiry.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "erpmail/SecretSealer.h"

namespace erpmail {

namespace store {
struct CertificateRecord;
}

class CertificateModule : public Module {
public:
    /// `sealer` seals imported private keys; without one, a file with a key is refused.
    CertificateModule(Context& context, AccountAccess& accounts, SecretSealer* sealer)
        : context_(context), accounts_(accounts), sealer_(sealer)
    {
    }
    std::string id() const override { return "certificate"; }
    std::string summary() const override { return "S/MIME certificates and their expiry"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;

private:
    Poco::JSON::Object::Ptr inspect(const Request& request);
    Poco::JSON::Object::Ptr import(const Request& request);
    Poco::JSON::Object::Ptr list(const Request& request);
    Poco::JSON::Object::Ptr show(const Request& request);
    Poco::JSON::Object::Ptr exportCertificate(const Request& request);
    Poco::JSON::Object::Ptr remove(const Request& request);

    /// The certificate if the request may see its store: the plugin's store
    /// everyone, a personal one its user and admins.
    store::CertificateRecord requireVisible(const std::string& id, const Request& request);
    /// The owner a store name means for the request: "" for the plugin's
    /// store (changed by admins only), the user for "personal".
    std::string storeOwner(const std::string& storeName, const Request& request, bool change) const;
    /// The PEM of a signer (`signer`, 1 by default) of the stored mail
    /// `message_id` of `account`, as its verification recorded it
    /// (CertificateFromMail.cpp).
    std::string signerCertificateOf(const Request& request);

    Context& context_;
    AccountAccess& accounts_;
    SecretSealer* sealer_;
};

} // namespace erpmail
