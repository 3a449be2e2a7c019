// mail.send.bulk: one mail per host document from one text block, for
// example 300 reminders, in one call.
#pragma once

#include "transport/smtp/SendPath.h"

#include <Poco/JSON/Object.h>

namespace erpmail {

/// Fills, composes and secures one mail per item first; an item that fails
/// (a value missing in its document, a bad address) is reported with its
/// reason and left out. Then queues all the others in one transaction.
/// Throws OperationError for what concerns every item (the account, the
/// block).
Poco::JSON::Object::Ptr sendBulk(const SendPath& path, const Request& request);

/// The JSON Schema of mail.send.bulk's params, with `addresses` the schema of an address list.
std::string bulkSchema(const std::string& addresses);

} // namespace erpmail
