// Fills a stored text block for one mail: its subject, text and HTML, with
// the values of one host document as the acting user may read them.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "store/Records.h"
#include "store/TextBlockRepository.h"

#include <optional>
#include <string>

namespace erpmail::textblock {

struct DocumentRef {
    std::string doctype;
    std::string id;
};

struct RenderInput {
    std::optional<DocumentRef> document;
    std::string body;           ///< what the user wrote, for {{ body }}
    std::string recipientName;  ///< the first recipient, for recipient.*
    std::string recipientEmail;
    bool withSubject = true; ///< false: the caller gives the subject, the block's is not filled
};

struct RenderedBlock {
    std::optional<std::string> subject;
    std::optional<std::string> text;
    std::optional<std::string> html;
};

class BlockRenderer {
public:
    explicit BlockRenderer(Context& context) : context_(context) {}

    /// Fills `block` for a mail of `account`. Throws OperationError:
    /// invalid_params naming the variable and the document when a value is
    /// missing (unless the block allows empty values) or does not fit its
    /// format; forbidden when the acting user may not read the document.
    RenderedBlock render(const Request& request, const store::AccountRecord& account,
                         const store::TextBlockRecord& block, const RenderInput& input) const;

private:
    Context& context_;
};

} // namespace erpmail::textblock
