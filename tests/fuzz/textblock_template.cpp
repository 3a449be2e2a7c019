// The text-block template language: parsing with its checks (placeholders,
// formats and their arguments, {{#if}} nesting, variables), then rendering
// through ICU in the three escapings. The input is the template, then
// optionally a NUL byte and the documents' values, one a line: the n-th
// variable the template uses gets the n-th line (none when lines run out).
#include "textblock/LocaleFormat.h"
#include "textblock/Template.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace erpmail::textblock;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const LocaleFormat swiss("de-CH", "'", "CHF");
    const std::string input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    const std::string source = input.substr(0, nul);
    std::vector<std::string> lines;
    if (nul != std::string::npos)
        for (std::size_t at = nul + 1; at <= input.size();) {
            const std::size_t end = std::min(input.find('\n', at), input.size());
            lines.push_back(input.substr(at, end - at));
            at = end + 1;
        }

    std::vector<TemplateError> errors;
    const Template parsed = Template::parse(source, errors);
    checkVariables(
        parsed, [](const std::string& name) { return name.rfind("invoice.", 0) == 0; }, errors);
    std::map<std::string, std::string> values;
    for (const auto& use : parsed.variables())
        if (!values.count(use.name) && values.size() < lines.size()) values[use.name] = lines[values.size()];
    const auto lookup = [&](const std::string& name) -> std::optional<std::string> {
        auto it = values.find(name);
        return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    for (Escaping escaping : {Escaping::Text, Escaping::Html, Escaping::Subject}) {
        try {
            parsed.render(lookup, swiss.callback(), escaping, escaping == Escaping::Text, {}, 1 << 20);
        } catch (const TemplateValueError&) {
        }
    }
    return 0;
}
