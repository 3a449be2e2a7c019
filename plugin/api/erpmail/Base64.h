// Base64 for operation parameters and results (attachments, raw messages).
#pragma once

#include "erpmail/OperationError.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/StreamCopier.h>

#include <sstream>
#include <string>

namespace erpmail {

/// Base64 without line breaks.
inline std::string toBase64(const std::string& bytes)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

/// Decodes a parameter; throws OperationError(invalid_params) naming field.
inline std::string fromBase64Param(const std::string& text, const std::string& field)
{
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    std::string out;
    try {
        Poco::StreamCopier::copyToString(decoder, out);
    } catch (const Poco::Exception&) {
        throw invalidParam(field, field + " is not base64");
    }
    return out;
}

} // namespace erpmail
