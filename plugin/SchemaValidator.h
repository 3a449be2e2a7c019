// Validates operation params against the JSON Schema each operation declares.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <string>

namespace erpmail {

/// Checks a JSON value against a schema written in the subset the plugin's
/// operations use: type, properties, required, additionalProperties (false),
/// enum, minLength, maxLength, minimum, maximum, items, minItems, maxItems.
/// Throws OperationError("invalid_params") naming the field at fault.
void validateAgainstSchema(const Poco::JSON::Object::Ptr& schema, const Poco::Dynamic::Var& value);

} // namespace erpmail
