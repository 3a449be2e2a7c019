#include "textblock/TextTemplate.h"

#include <gtest/gtest.h>

#include <chrono>
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

TEST(TextTemplate, VariableRepeatedManyTimesStopsAtTheCapInsteadOfGrowingTo200MB)
{
    std::string text;
    for (int i = 0; i < 200000; ++i) text += "{{a}}"; // 1 MB of input
    const std::string value(1000, 'x');               // would make 200 MB of output
    std::size_t lookups = 0;
    auto lookup = [&](const std::string&) -> std::optional<std::string> {
        ++lookups;
        return value;
    };
    EXPECT_THROW(erpmail::renderTemplate(text, lookup), erpmail::RenderedTextTooLarge);
    EXPECT_LE(lookups, erpmail::kMaxRenderedTextBytes / value.size() + 1); // stopped at the cap, not at the end
}

TEST(TextTemplate, TextOfExactlyTheCapIsFilled)
{
    auto lookup = [](const std::string&) -> std::optional<std::string> { return std::string("12345"); };
    EXPECT_EQ(erpmail::renderTemplate("ab{{x}}", lookup, 7).text, "ab12345");
    EXPECT_THROW(erpmail::renderTemplate("ab{{x}}!", lookup, 7), erpmail::RenderedTextTooLarge);
    EXPECT_THROW(erpmail::renderTemplate("{{y}}", [](const std::string&) { return std::optional<std::string>(); }, 4),
                 erpmail::RenderedTextTooLarge); // an unfilled placeholder counts as written
}

TEST(TextTemplate, ManyDistinctUnknownNamesAreListedInLinearTime)
{
    std::string text;
    for (int i = 0; i < 150000; ++i) text += "{{v" + std::to_string(i) + "}}"; // 1.3 MB
    auto started = std::chrono::steady_clock::now();
    auto r = erpmail::renderTemplate(text, [](const std::string&) { return std::optional<std::string>(); });
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_EQ(r.missing.size(), 150000u);
    EXPECT_EQ(r.missing[149999], "v149999");
    EXPECT_LT(seconds, 2.0);
}
