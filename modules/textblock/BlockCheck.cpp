#include "textblock/BlockCheck.h"

#include "erpmail/OperationError.h"
#include "mime/HeaderSafety.h"
#include "textblock/Template.h"

namespace erpmail::textblock {

std::vector<std::string> checkBlock(const store::TextBlockRecord& block, const Catalogue& catalogue)
{
    if (!block.bodyText && !block.bodyHtml) throw invalidParam("text", "a text block needs a text or an HTML body");
    if (block.subject && mime::hasControlCharacters(*block.subject))
        throw invalidParam("subject", "a subject is one line: it must not contain a line break or another control "
                                      "character");
    auto known = catalogue.knownFor(block.doctypes);
    std::string firstField;
    std::string message;
    const std::pair<const char*, const std::optional<std::string>*> parts[] = {
        {"subject", &block.subject}, {"text", &block.bodyText}, {"html", &block.bodyHtml}};
    for (const auto& [field, source] : parts) {
        if (!*source) continue;
        std::vector<TemplateError> errors;
        Template parsed = Template::parse(**source, errors);
        checkVariables(parsed, known, errors);
        for (const auto& e : errors) {
            if (firstField.empty()) firstField = field;
            message += std::string(message.empty() ? "" : "; ") + field + ": " + e.message;
        }
    }
    if (!firstField.empty()) throw invalidParam(firstField, "text block '" + block.name + "' cannot be saved: " + message);
    std::vector<std::string> warnings;
    if (!catalogue.checksDocuments())
        warnings.push_back("the host lists no document variables, so the block's document variables were not "
                           "checked; a missing one fails when a mail is made");
    return warnings;
}

} // namespace erpmail::textblock
