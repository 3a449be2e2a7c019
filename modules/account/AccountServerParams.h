// The incoming and smtp blocks of the account params: their schema and how they merge into the stored server settings.
#pragma once

#include "account/AccountJson.h"

#include <Poco/JSON/Object.h>

#include <string>

namespace erpmail {

/// Throws OperationError(invalid_params) naming `field` when `value` holds a
/// line break or another control character.
void requireNoControls(const std::string& field, const std::string& value);

/// Merges the given incoming block into the stored one and checks it; returns
/// the stored form. A password or OAuth secret given goes to `secrets`, not
/// into the result. Throws OperationError(invalid_params) naming the field
/// ("incoming.host", "incoming.port", ...).
Poco::JSON::Object::Ptr mergeIncomingParams(const Poco::JSON::Object::Ptr& given,
                                            const Poco::JSON::Object::Ptr& previous, SecretChanges& secrets);

/// Microsoft 365's submission server (SMTP AUTH with XOAUTH2 after STARTTLS)
/// wherever `previous` says nothing else.
Poco::JSON::Object::Ptr withMicrosoftSmtpDefaults(const Poco::JSON::Object::Ptr& previous);

/// Merges the given smtp block into the stored one and checks it, as
/// mergeIncomingParams does for the incoming block ("smtp.host", ...).
Poco::JSON::Object::Ptr mergeSmtpParams(const Poco::JSON::Object::Ptr& given, const Poco::JSON::Object::Ptr& previous,
                                        SecretChanges& secrets);

/// The "incoming" and "smtp" properties of the account params' JSON Schema.
const char* serverParamsSchema();

} // namespace erpmail
