// The sources of mail.send's attachments: host documents, server files and
// base64 bytes, each checked and read for the request's user.
#include "transport/smtp/AttachmentSources.h"

#include "erpmail/Base64.h"
#include "erpmail/ServerFile.h"

#include <Poco/Path.h>

namespace erpmail {

mime::OutgoingAttachment attachmentFrom(const Context& context, const Request& request,
                                        const Poco::JSON::Object::Ptr& source, const std::string& field)
{
    mime::OutgoingAttachment out;
    const int sources =
        (source->has("document") ? 1 : 0) + (source->has("path") ? 1 : 0) + (source->has("base64") ? 1 : 0);
    if (sources != 1) throw invalidParam(field, field + " needs exactly one of document, path or base64");
    if (source->has("document")) {
        auto d = source->getObject("document");
        const std::string doctype = d->getValue<std::string>("doctype"), id = d->getValue<std::string>("id");
        auto document = context.document(request, doctype, id, field + ".document");
        if (!document) throw invalidParam(field + ".document", "the host has no document " + doctype + " " + id);
        auto meta = parseStoredObject(document->metaJson);
        out.bytes = std::move(document->bytes);
        out.fileName = meta->optValue<std::string>("file_name", doctype + "-" + id + ".pdf");
        out.contentType = meta->optValue<std::string>("content_type", "application/pdf");
    } else if (source->has("path")) {
        const std::string path = source->getValue<std::string>("path");
        out.bytes = readServerFileParam(request.userIsAdmin, path, kMaxMailFileBytes, field + ".path");
        out.fileName = Poco::Path(path).getFileName();
    } else {
        out.bytes = fromBase64Param(source->getValue<std::string>("base64"), field + ".base64");
        if (!source->has("file_name"))
            throw invalidParam(field + ".file_name", "a base64 attachment needs a file_name");
    }
    if (source->has("file_name")) out.fileName = source->getValue<std::string>("file_name");
    if (source->has("content_type")) out.contentType = source->getValue<std::string>("content_type");
    return out;
}

} // namespace erpmail
