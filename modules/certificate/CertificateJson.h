// How the certificate operations present a certificate and a stored record as JSON.
#pragma once

#include "certificate/X509Info.h"
#include "store/AddressBookRepository.h"
#include "store/CertificateRepository.h"

#include <Poco/JSON/Object.h>

#include <cstdint>

namespace erpmail {

/// Subject, issuer, validity, e-mail addresses and key usages, with whether
/// the certificate has expired at `nowMs` and the days it has left.
Poco::JSON::Object::Ptr certificateInfoJson(const X509Info& info, std::int64_t nowMs);

/// A stored certificate: its info (when its DER parses), store, owner,
/// fingerprint, where its private key lives and who imported it when.
Poco::JSON::Object::Ptr certificateRecordJson(const store::CertificateRecord& record, std::int64_t nowMs);

/// A certificate an account's address book collected from a valid
/// signature: its info, the address it was collected for, fingerprint,
/// whether that signature listed AES-256-GCM among its capabilities, and
/// the mail it came with when.
Poco::JSON::Object::Ptr addressCertificateJson(const store::AddressCertificate& certificate, std::int64_t nowMs);

} // namespace erpmail
