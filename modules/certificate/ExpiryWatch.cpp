#include "certificate/ExpiryWatch.h"

#include "certificate/CertificateFiles.h"
#include "certificate/X509Info.h"
#include "store/CertificateRepository.h"

#include <Poco/JSON/Array.h>

#include <chrono>
#include <climits>

namespace erpmail {

namespace {

constexpr std::int64_t kDayMs = 86400000;
constexpr std::int64_t kWarnDays = 30;

} // namespace

void ExpiryWatch::start()
{
    if (!configFlag(context_, "erp.host.background", true)) return;
    const int everySeconds = configInt(context_, "erpmail.certificate.expiry_check_seconds", 3600, 1, INT_MAX);
    worker_.start(
        PeriodicWorker::FirstRound::AtOnce, [this] { lookOnce(); }, std::chrono::seconds(everySeconds));
}

std::size_t ExpiryWatch::lookOnce()
{
    auto system = context_.systemWithEvents();
    store::CertificateRepository certificates(*system);
    const std::int64_t now = context_.host().nowMs();
    std::size_t recorded = 0;
    for (const auto& c : certificates.expiringBefore(now + kWarnDays * kDayMs)) {
        if (c.notAfterMs < now) continue; // expired: no longer expiring
        Poco::JSON::Object::Ptr event = new Poco::JSON::Object;
        event->set("certificate", c.id);
        event->set("store", c.owner.empty() ? "plugin" : "personal");
        if (!c.owner.empty()) event->set("owner", c.owner);
        event->set("subject", c.subject);
        event->set("fingerprint_sha256", c.fingerprint);
        Poco::JSON::Array::Ptr emails = new Poco::JSON::Array;
        for (const auto& e : c.emails)
            emails->add(e);
        event->set("emails", emails);
        smime::Certificate x509(certificateFromDer(c.der));
        if (x509) event->set("not_after", X509Info::of(x509.get()).notAfterIso);
        event->set("not_after_ms", c.notAfterMs);
        event->set("days_left", (c.notAfterMs - now) / kDayMs);
        Poco::JSON::Array::Ptr accounts = new Poco::JSON::Array;
        for (const auto& a : certificates.usedBy(c.id))
            accounts->add(a);
        event->set("accounts", accounts);
        try {
            store::Transaction tx(*system);
            if (!certificates.noteExpiryNotice(c.id, now / kDayMs, now)) continue;
            context_.recordEvent(*system, "certificate.expiring", "", event);
            tx.commit();
            ++recorded;
        } catch (const store::ConstraintViolation&) {
            // Another host sharing the database noted it meanwhile.
        }
    }
    context_.deliverEvents(*system);
    return recorded;
}

} // namespace erpmail
