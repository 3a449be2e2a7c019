// mail.secrets.check and mail.secrets.rotate: whether the stored secrets open,
// and resealing them all under a new key.
#include "account/AccountService.h"

#include "store/CertificateRepository.h"

#include <Poco/JSON/Array.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr AccountService::checkSecrets(const Request&)
{
    auto lease = system();
    Array::Ptr accounts = new Array;
    std::int64_t opened = 0, unreadable = 0;
    for (const auto& a : store::AccountRepository(*lease).listVisible({"", true})) {
        if (!a.secrets || a.secrets->empty()) continue;
        Object::Ptr entry = new Object;
        entry->set("id", a.id);
        entry->set("label", a.label);
        const std::string keyId = SecretBox::keyIdOf(*a.secrets);
        entry->set("key_id", keyId.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(keyId));
        try {
            openSecrets(a);
            entry->set("opens", true);
            ++opened;
        } catch (const SecretError& e) {
            entry->set("opens", false);
            entry->set("error", std::string(e.what()));
            ++unreadable;
        }
        accounts->add(entry);
    }
    Object::Ptr o = new Object;
    o->set("key_file", secrets_->keyPath());
    const std::string keyId = secrets_->keyIdHex();
    o->set("key_id", keyId.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(keyId));
    o->set("key_problem", keyId.empty() ? Poco::Dynamic::Var(secrets_->problem()) : Poco::Dynamic::Var());
    o->set("opened", opened);
    o->set("unreadable", unreadable);
    o->set("accounts", accounts);
    return o;
}

Object::Ptr AccountService::rotateSecrets(const Request& request)
{
    try {
        auto rotating = secrets_->lockRotation();
        const std::string previous = secrets_->keyIdHex();
        if (previous.empty()) throw OperationError("unavailable", "there is no key to rotate: " + secrets_->problem());
        auto key = secrets_->beginRotation();
        // Every value under the new key in one transaction, or none; the
        // second pass catches what another host sealed under the old key
        // before it saw the new one.
        std::int64_t certificateKeys = 0, tokenPins = 0;
        auto resealAll = [&](bool onlyOthers) {
            std::int64_t n = 0;
            certificateKeys = onlyOthers ? certificateKeys : 0;
            tokenPins = onlyOthers ? tokenPins : 0;
            std::vector<std::string> failed;
            auto lease = system();
            store::Transaction tx(*lease);
            store::AccountRepository repository(*lease);
            for (const auto& a : repository.listVisible({"", true})) {
                if (!a.secrets || a.secrets->empty()) continue;
                if (onlyOthers && SecretBox::keyIdOf(*a.secrets) == key->idHex()) continue;
                AccountSecrets secrets;
                try {
                    secrets = openSecrets(a);
                } catch (const SecretError&) {
                    failed.push_back(a.id);
                    continue;
                }
                std::string plain = secrets.toJson();
                repository.setSecrets(a.id,
                                      secrets_->sealWith(*key, plain, secretsAssociatedData(a.id, a.serverSettings)));
                wipe(plain);
                ++n;
            }
            // Certificates' private keys and the PINs of the tokens that
            // hold keys are sealed under the same key.
            store::CertificateRepository certificates(*lease);
            auto resealCertificates = [&](bool pins) {
                std::int64_t resealed = 0;
                for (const auto& c : pins ? certificates.withSealedPins() : certificates.withSealedKeys()) {
                    const std::string& sealed = pins ? *c.sealedPin : *c.sealedKey;
                    if (onlyOthers && SecretBox::keyIdOf(sealed) == key->idHex()) continue;
                    const std::string bound =
                        pins ? certificatePinBinding(c.fingerprint) : certificateKeyBinding(c.fingerprint);
                    std::string plain;
                    try {
                        plain = secrets_->open(sealed, bound, bound);
                    } catch (const SecretError&) {
                        failed.push_back("certificate " + c.id + (pins ? " (token PIN)" : ""));
                        continue;
                    }
                    const std::string resealedValue = secrets_->sealWith(*key, plain, bound);
                    pins ? certificates.setSealedPin(c.id, resealedValue) : certificates.setSealedKey(c.id, resealedValue);
                    wipe(plain);
                    ++resealed;
                }
                return resealed;
            };
            certificateKeys += resealCertificates(false);
            tokenPins += resealCertificates(true);
            if (!failed.empty()) {
                std::string ids;
                for (const auto& id : failed)
                    ids += (ids.empty() ? "" : ", ") + id;
                throw OperationError("conflict", std::to_string(failed.size()) +
                                                     " account(s) or certificate(s) hold secrets that no key opens (" + ids +
                                                     "); nothing was resealed. See mail.secrets.check");
            }
            tx.commit();
            return n;
        };
        const std::int64_t resealed = resealAll(false);
        secrets_->promoteNextKey();
        resealAll(true);
        secrets_->retireOldKey();
        context_.log(ERP_LOG_INFO, "erpmail.account",
                     request.user + " rotated the secrets key: " + std::to_string(resealed) +
                         " account(s) resealed under key " + key->idHex() + ", key " + previous + " retired");
        Object::Ptr o = new Object;
        o->set("resealed", resealed);
        o->set("certificate_keys_resealed", certificateKeys);
        o->set("token_pins_resealed", tokenPins);
        o->set("key_id", key->idHex());
        o->set("previous_key_id", previous);
        o->set("key_file", secrets_->keyPath());
        return o;
    } catch (const SecretError& e) {
        throw OperationError("unavailable", std::string("the key rotation stopped: ") + e.what() +
                                                "; every stored secret still opens, run it again");
    }
}

} // namespace erpmail
