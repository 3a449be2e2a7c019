#include "textblock/BlockRenderer.h"

#include "erpmail/OperationError.h"
#include "textblock/LocaleFormat.h"
#include "textblock/Template.h"

#include <Poco/JSON/Parser.h>

#include <ctime>
#include <map>

namespace erpmail::textblock {

namespace {

std::string localTime(std::int64_t ms, const char* pattern)
{
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm parts{};
    localtime_r(&seconds, &parts);
    char out[32];
    std::strftime(out, sizeof out, pattern, &parts);
    return out;
}

// The account's locale, else the installation's (erpmail.locale). Swiss
// locales group digits with '; erpmail.locale.grouping replaces the grouping
// of the installation's locale only, since it was chosen for that one.
LocaleFormat localeFormat(const Context& context, const store::AccountRecord& account)
{
    const std::string locale = account.locale ? *account.locale : context.host().config("erpmail.locale").value_or("de-CH");
    const bool swiss = locale.size() > 3 && (locale.compare(locale.size() - 3, 3, "-CH") == 0 ||
                                             locale.compare(locale.size() - 3, 3, "_CH") == 0);
    const std::string swissGrouping = swiss ? "'" : "";
    const std::string grouping =
        account.locale ? swissGrouping : context.host().config("erpmail.locale.grouping").value_or(swissGrouping);
    try {
        return LocaleFormat(locale, grouping, context.host().config("erpmail.currency").value_or(""));
    } catch (const std::invalid_argument& e) {
        if (account.locale) throw invalidParam("locale", "account '" + account.label + "': " + e.what());
        throw OperationError("unavailable", std::string("erpmail.locale: ") + e.what());
    }
}

} // namespace

RenderedBlock BlockRenderer::render(const Request& request, const store::AccountRecord& account,
                                    const store::TextBlockRecord& block, const RenderInput& input) const
{
    const LocaleFormat formats = localeFormat(context_, account);
    const std::int64_t now = context_.host().nowMs();
    std::optional<Poco::JSON::Object::Ptr> user;
    auto userField = [&](const char* key) -> std::optional<std::string> {
        if (!user) {
            user = Poco::JSON::Object::Ptr();
            if (auto json = context_.host().userJson(request.user)) {
                Poco::JSON::Parser parser;
                user = parser.parse(*json).extract<Poco::JSON::Object::Ptr>();
            }
        }
        if (!*user || !(*user)->has(key)) return std::nullopt;
        return (*user)->getValue<std::string>(key);
    };
    // One host call per name, however often the block uses it.
    std::map<std::string, std::optional<std::string>> fromDocument;
    auto lookup = [&](const std::string& name) -> std::optional<std::string> {
        if (name == "today") return localTime(now, "%Y-%m-%d");
        if (name == "now") return localTime(now, "%Y-%m-%d %H:%M");
        if (name == "user.name") return userField("name");
        if (name == "user.email") return userField("email");
        if (name == "account.sender_name") return account.senderName;
        if (name == "account.sender_email") return account.senderEmail;
        if (name == "account.label") return account.label;
        if (name == "recipient.name") return input.recipientName;
        if (name == "recipient.email") return input.recipientEmail;
        if (name == "body") return input.body;
        if (!input.document) return std::nullopt;
        auto known = fromDocument.find(name);
        if (known == fromDocument.end())
            known = fromDocument
                        .emplace(name, context_.documentVariable(request, input.document->doctype, input.document->id,
                                                                 name, "documents"))
                        .first;
        return known->second;
    };
    auto fill = [&](const std::optional<std::string>& source, Escaping escaping) -> std::optional<std::string> {
        if (!source) return std::nullopt;
        try {
            // What the user wrote may be nothing: {{ body }} is then left out.
            return Template::parse(*source).render(lookup, formats.callback(), escaping, block.allowEmpty,
                                                   [](const std::string& name) { return name == "body"; });
        } catch (const TemplateValueError& e) {
            const std::string document =
                input.document ? "document " + input.document->doctype + " " + input.document->id : "no document";
            throw OperationError("invalid_params",
                                 "text block '" + block.name + "' cannot be filled for " + document + ": " + e.what(),
                                 "documents");
        } catch (const std::invalid_argument& e) {
            throw OperationError("conflict", "text block '" + block.name + "' is broken: " + e.what());
        }
    };
    RenderedBlock out;
    if (input.withSubject) out.subject = fill(block.subject, Escaping::Subject);
    out.text = fill(block.bodyText, Escaping::Text);
    out.html = fill(block.bodyHtml, Escaping::Html);
    return out;
}

} // namespace erpmail::textblock
