#include "textblock/TextBlockModule.h"

#include "erpmail/OperationError.h"
#include "textblock/TextTemplate.h"

#include <Poco/JSON/Array.h>

#include <map>

namespace erpmail {

std::vector<Operation> TextBlockModule::operations()
{
    return {{"mail.textblock.preview",
             "Fills the {{variables}} of a text from given values or from a host document, and lists any left unfilled",
             R"({"type":"object","additionalProperties":false,"required":["text"],
                 "properties":{"text":{"type":"string","maxLength":1000000},
                               "doctype":{"type":"string","minLength":1,"maxLength":100},
                               "doc_id":{"type":"string","minLength":1,"maxLength":200},
                               "variables":{"type":"object"}}})",
             permission::Use, [this](const Request& r) { return preview(r); }}};
}

Poco::JSON::Object::Ptr TextBlockModule::preview(const Request& request)
{
    const auto& p = request.params;
    const std::string doctype = p->optValue<std::string>("doctype", "");
    const std::string docId = p->optValue<std::string>("doc_id", "");
    if (doctype.empty() != docId.empty())
        throw invalidParam(doctype.empty() ? "doctype" : "doc_id", "doctype and doc_id go together");
    Poco::JSON::Object::Ptr given = p->has("variables") ? p->getObject("variables") : nullptr;

    // One host call per name, however often the text uses it.
    std::map<std::string, std::optional<std::string>> fromHost;
    auto lookup = [&](const std::string& name) -> std::optional<std::string> {
        if (given && given->has(name) && !given->isNull(name)) return given->get(name).toString();
        if (doctype.empty()) return std::nullopt;
        auto known = fromHost.find(name);
        if (known == fromHost.end())
            known = fromHost.emplace(name, context_.documentVariable(request, doctype, docId, name, "doctype")).first;
        return known->second;
    };
    RenderedText rendered;
    try {
        rendered = renderTemplate(p->getValue<std::string>("text"), lookup);
    } catch (const RenderedTextTooLarge&) {
        throw invalidParam("text", "the filled text would be larger than " +
                                       std::to_string(kMaxRenderedTextBytes >> 20) +
                                       " MiB, the limit of mail.textblock.preview: a variable is used too often or "
                                       "its value is too long");
    }

    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("text", rendered.text);
    Poco::JSON::Array::Ptr used = new Poco::JSON::Array, missing = new Poco::JSON::Array;
    for (const auto& n : rendered.used) used->add(n);
    for (const auto& n : rendered.missing) missing->add(n);
    result->set("used", used);
    result->set("missing", missing);
    return result;
}

} // namespace erpmail
