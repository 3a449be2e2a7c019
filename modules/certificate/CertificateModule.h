// S/MIME certificates: the plugin's store and the users' personal stores,
// the system's CA certificates, inspection and expiry.
#pragma once

#include "certificate/CertificateUse.h"
#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "erpmail/SecretSealer.h"

#include <memory>

namespace erpmail {

namespace store {
struct CertificateRecord;
class CertificateRepository;
} // namespace store

class ExpiryWatch;

class CertificateModule : public Module {
public:
    /// `sealer` seals imported private keys; without one, a file with a key is refused.
    CertificateModule(Context& context, AccountAccess& accounts, SecretSealer* sealer);
    ~CertificateModule() override;
    std::string id() const override { return "certificate"; }
    std::string summary() const override { return "S/MIME certificates and their expiry"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;
    /// Starts the daily certificate.expiring watch of a long-running host.
    void start() override;
    void stop() noexcept override;

private:
    Poco::JSON::Object::Ptr inspect(const Request& request);
    Poco::JSON::Object::Ptr import(const Request& request);
    Poco::JSON::Object::Ptr list(const Request& request);
    Poco::JSON::Object::Ptr show(const Request& request);
    Poco::JSON::Object::Ptr exportCertificate(const Request& request);
    Poco::JSON::Object::Ptr remove(const Request& request);
    Poco::JSON::Object::Ptr select(const Request& request);

    /// The certificate `id` if the request may choose it for `purpose` of
    /// `email`; invalid_params naming `field` saying why not.
    store::CertificateRecord selectable(const std::string& field, const std::string& id, CertificatePurpose purpose,
                                        const std::string& email, const Request& request);
    /// The id of the certificate's copy in the plugin's store, made when missing.
    std::string intoPluginStore(const store::CertificateRecord& record, const Request& request,
                                store::CertificateRepository& certificates);

    /// The certificate if the request may see its store: the plugin's store
    /// everyone, a personal one its user and admins.
    store::CertificateRecord requireVisible(const std::string& id, const Request& request);
    /// The owner a store name means for the request: "" for the plugin's
    /// store (changed by admins only), the user for "personal".
    std::string storeOwner(const std::string& storeName, const Request& request, bool change) const;

    Context& context_;
    AccountAccess& accounts_;
    SecretSealer* sealer_;
    std::unique_ptr<ExpiryWatch> expiryWatch_;
};

} // namespace erpmail
