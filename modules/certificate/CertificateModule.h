// S/MIME certificates: the plugin's store and the users' personal stores,
// the system's CA certificates, inspection and expiry.
#pragma once

#include "certificate/CertificateUse.h"
#include "erpmail/AccountDirectory.h"
#include "erpmail/Authorizer.h"
#include "erpmail/MessageStore.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "erpmail/SecretSealer.h"

#include <memory>
#include <optional>

namespace erpmail {

namespace store {
struct CertificateRecord;
class CertificateRepository;
} // namespace store

struct CertificateFile;
class ExpiryWatch;

class CertificateModule : public Module {
public:
    /// `sealer` seals imported private keys; without one, a file with a key is refused.
    /// It finds accounts in the directory, asks the authorizer who may choose an
    /// account's certificates and reads signed mail and address books through
    /// the message store.
    CertificateModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer, MessageStore& messages,
                      SecretSealer* sealer);
    ~CertificateModule() override;
    std::string id() const override { return "certificate"; }
    std::string summary() const override { return "S/MIME certificates and their expiry"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;
    /// Binds the pkcs11 engine to erpmail.pkcs11.module (softhsm2's by
    /// default) and starts the daily certificate.expiring watch of a
    /// long-running host.
    void start() override;
    void stop() noexcept override;

private:
    Poco::JSON::Object::Ptr inspect(const Request& request);
    Poco::JSON::Object::Ptr import(const Request& request);
    /// A certificate whose private key stays on a PKCS#11 token (TokenImport.cpp).
    Poco::JSON::Object::Ptr importTokenKey(const Request& request, const std::string& owner);
    /// Stores an imported certificate (or finds it stored), sealing a key it
    /// brings, or the PIN of the token at `keyUri` that holds its key.
    Poco::JSON::Object::Ptr storeImported(const CertificateFile& file, const std::string& owner,
                                          const std::string& field, const Request& request,
                                          const std::optional<std::string>& keyUri = std::nullopt,
                                          const std::string& pin = "");
    Poco::JSON::Object::Ptr list(const Request& request);
    /// mail.certificate.list of store address_book: the certificates the
    /// account's address book collected, the address's only when `email`
    /// is given (AddressBookCertificates.cpp).
    Poco::JSON::Object::Ptr addressBook(const Request& request, const std::optional<std::string>& email);
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
    /// The PEM of a signer (`signer`, 1 by default) of the stored mail
    /// `message_id` of `account`, as its verification recorded it
    /// (CertificateFromMail.cpp).
    std::string signerCertificateOf(const Request& request);

    Context& context_;
    AccountDirectory& accounts_;
    Authorizer& authorizer_;
    MessageStore& messages_;
    SecretSealer* sealer_;
    std::unique_ptr<ExpiryWatch> expiryWatch_;
};

} // namespace erpmail
