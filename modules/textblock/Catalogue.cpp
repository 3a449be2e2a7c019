#include "textblock/Catalogue.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>
#include <iterator>
#include <set>

namespace erpmail::textblock {

const std::vector<VariableInfo>& Catalogue::builtins()
{
    static const std::vector<VariableInfo> list{
        {"today", "Today's date", "date", "2026-11-26", ""},
        {"now", "The date and time of sending", "text", "2026-11-26 14:05", ""},
        {"user.name", "The name of the user who sends", "text", "Anna Aebi", ""},
        {"user.email", "The e-mail address of the user who sends", "text", "anna.aebi@example.ch", ""},
        {"account.sender_name", "The account's sender name", "text", "Muster AG Buchhaltung", ""},
        {"account.sender_email", "The account's sender address", "text", "buchhaltung@example.ch", ""},
        {"account.label", "The account's label", "text", "Buchhaltung", ""},
        {"recipient.name", "The first recipient's name", "text", "Hans Meier", ""},
        {"recipient.email", "The first recipient's address", "text", "hans.meier@example.ch", ""},
        {"body", "The text the user wrote, where the block places it", "text", "…", ""},
    };
    return list;
}

std::vector<std::string> Catalogue::doctypes() const
{
    std::string configured = context_.host().config("erpmail.textblock.doctypes").value_or("invoice,reminder,offer");
    Poco::StringTokenizer tokens(configured, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    return {tokens.begin(), tokens.end()};
}

std::vector<VariableInfo> Catalogue::ofType(const std::string& doctype) const
{
    std::vector<VariableInfo> out;
    auto text = context_.host().variableCatalogue(doctype);
    if (!text) return out;
    Poco::JSON::Parser parser;
    auto items = parser.parse(*text).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto o = items->getObject(static_cast<unsigned>(i));
        if (!o || !o->has("name")) continue;
        out.push_back({o->getValue<std::string>("name"), o->optValue<std::string>("description", ""),
                       o->optValue<std::string>("type", "text"), o->optValue<std::string>("example", ""), doctype});
    }
    return out;
}

std::vector<VariableInfo> Catalogue::list(const std::optional<std::string>& doctype) const
{
    std::vector<VariableInfo> out = builtins();
    for (const auto& type : doctype ? std::vector<std::string>{*doctype} : doctypes())
        for (auto& v : ofType(type)) out.push_back(std::move(v));
    return out;
}

std::function<bool(const std::string&)> Catalogue::knownFor(const std::vector<std::string>& doctypes) const
{
    std::set<std::string> builtin;
    for (const auto& v : builtins()) builtin.insert(v.name);
    if (!checksDocuments()) return [](const std::string&) { return true; };
    // The names every one of the types offers.
    std::optional<std::set<std::string>> common;
    for (const auto& type : doctypes.empty() ? this->doctypes() : doctypes) {
        std::set<std::string> names;
        for (const auto& v : ofType(type)) names.insert(v.name);
        if (!common) {
            common = std::move(names);
        } else {
            std::set<std::string> both;
            std::set_intersection(common->begin(), common->end(), names.begin(), names.end(),
                                  std::inserter(both, both.begin()));
            common = std::move(both);
        }
    }
    return [builtin = std::move(builtin), common = common.value_or(std::set<std::string>{})](const std::string& name) {
        return builtin.count(name) > 0 || common.count(name) > 0;
    };
}

} // namespace erpmail::textblock
