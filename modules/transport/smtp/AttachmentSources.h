// Where an attachment of mail.send comes from: a host document, a file on
// the server, or bytes in the request.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "mime/MessageComposer.h"

#include <Poco/JSON/Object.h>

#include <string>

namespace erpmail {

/// The attachment `source` names, with exactly one of: "document" (a host
/// document, read as the request's user, a PDF unless the host says
/// otherwise), "path" (a file on the server, for admins) or "base64" (with
/// a "file_name"); "file_name" and "content_type" override what the source
/// says. `field` names the source in errors ("attachments[2]"). Throws
/// OperationError: invalid_params, or forbidden for a document or file the
/// user may not read.
mime::OutgoingAttachment attachmentFrom(const Context& context, const Request& request,
                                        const Poco::JSON::Object::Ptr& source, const std::string& field);

} // namespace erpmail
