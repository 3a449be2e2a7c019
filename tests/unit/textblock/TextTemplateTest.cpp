#include "textblock/TextTemplate.h"

#include <gtest/gtest.h>

#include <map>

namespace {

erpmail::RenderedText render(const std::string& text, const std::map<std::string, std::string>& vars)
{
    return erpmail::renderTemplate(text, [&](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    });
}

} // namespace

TEST(TextTemplate, FillsKnownAndReportsUnknown)
{
    auto r = render("Sehr geehrte{{ salutation }} {{customer.name}}, Rechnung {{invoice.no}} über {{ total }} CHF.",
                    {{"salutation", "r Herr"}, {"customer.name", "Müller & Söhne"}, {"total", "1'234.50"}});
    EXPECT_EQ(r.text, "Sehr geehrter Herr Müller & Söhne, Rechnung {{invoice.no}} über 1'234.50 CHF.");
    EXPECT_EQ(r.used, (std::vector<std::string>{"salutation", "customer.name", "total"}));
    EXPECT_EQ(r.missing, (std::vector<std::string>{"invoice.no"}));
}

TEST(TextTemplate, LeavesOddBracesAlone)
{
    auto r = render("{{}} {{ a b }} {{x}} {{unclosed", {{"x", "1"}});
    EXPECT_EQ(r.text, "{{}} {{ a b }} 1 {{unclosed");
    EXPECT_TRUE(r.missing.empty());
}

TEST(TextTemplate, ValuesAreNotExpandedAgain)
{
    auto r = render("{{a}}", {{"a", "{{b}}"}, {"b", "no"}});
    EXPECT_EQ(r.text, "{{b}}");
}
