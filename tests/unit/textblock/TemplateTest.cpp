#include "textblock/LocaleFormat.h"
#include "textblock/Template.h"

#include <gtest/gtest.h>

#include <map>

using namespace erpmail::textblock;

namespace {

using Values = std::map<std::string, std::string>;

std::string render(const std::string& source, const Values& values, Escaping escaping = Escaping::Text,
                   const std::string& locale = "de-CH", const std::string& grouping = "'")
{
    LocaleFormat formats(locale, grouping, "");
    return Template::parse(source).render(
        [&](const std::string& name) -> std::optional<std::string> {
            auto it = values.find(name);
            if (it == values.end()) return std::nullopt;
            return it->second;
        },
        formats.callback(), escaping);
}

std::vector<TemplateError> errorsOf(const std::string& source)
{
    std::vector<TemplateError> errors;
    Template::parse(source, errors);
    return errors;
}

} // namespace

TEST(Template, SwissAmountsAndDatesWithUmlauts)
{
    Values v{{"customer.name", "Müller & Söhne AG"},
             {"invoice.total", "1234.5"},
             {"invoice.due_date", "2026-11-26"}};
    EXPECT_EQ(render("Grüezi {{ customer.name }}: {{ invoice.total | amount:\"CHF\" }} bis {{invoice.due_date|date}}.",
                     v),
              "Grüezi Müller & Söhne AG: CHF 1'234.50 bis 26.11.2026.");
    EXPECT_EQ(render("{{ invoice.total | amount }}", v), "1'234.50");
    EXPECT_EQ(render("{{ invoice.due_date | date:\"long\" }}", v), "26. November 2026");
    EXPECT_EQ(render("{{ customer.name | upper }}", v), "MÜLLER & SÖHNE AG");
    // Without the grouping setting, ICU's own character for de-CH.
    EXPECT_EQ(render("{{ invoice.total | amount }}", v, Escaping::Text, "de-CH", ""), "1\xE2\x80\x99" "234.50");
    EXPECT_EQ(render("{{ invoice.total | amount:\"EUR\" }}", v, Escaping::Text, "de-DE", ""), "1.234,50 €");
    EXPECT_EQ(render("{{ invoice.total | number:\"1\" }}", {{"invoice.total", "-0.25"}}), "-0.3");
}

TEST(Template, HtmlEscapesHostileValuesButNotTheBlocksOwnText)
{
    Values v{{"customer.name", "<script>alert('x')</script> & \"Co\""}};
    EXPECT_EQ(render("<p>Hallo <b>{{ customer.name }}</b></p>", v, Escaping::Html),
              "<p>Hallo <b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;</b></p>");
    EXPECT_EQ(render("{{ customer.name }}", v, Escaping::Text), v["customer.name"]);
}

TEST(Template, SubjectRefusesALineBreakInAValue)
{
    try {
        render("Rechnung {{ document.number }}", {{"document.number", "42\r\nBcc: x@evil.example"}},
               Escaping::Subject);
        FAIL() << "a CR LF went into a subject";
    } catch (const TemplateValueError& e) {
        EXPECT_EQ(e.variable(), "document.number");
    }
}

TEST(Template, ConditionalSalutationAndDefault)
{
    const std::string t = "{{#if customer.salutation}}{{ customer.salutation }}{{else}}Sehr geehrte Damen und "
                          "Herren{{/if}},";
    EXPECT_EQ(render(t, {{"customer.salutation", "Sehr geehrter Herr Meier"}}), "Sehr geehrter Herr Meier,");
    EXPECT_EQ(render(t, {}), "Sehr geehrte Damen und Herren,");
    EXPECT_EQ(render("{{ customer.salutation | default:\"Guten Tag\" }}", {}), "Guten Tag");
    EXPECT_EQ(render("{{ customer.salutation | default:\"Guten Tag\" }}", {{"customer.salutation", "Hallo"}}),
              "Hallo");
}

TEST(Template, AMissingValueNamesTheVariableUnlessEmptyIsAllowed)
{
    auto parsed = Template::parse("Fällig am {{ invoice.due_date | date }}.");
    LocaleFormat formats("de-CH", "'", "");
    auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    try {
        parsed.render(none, formats.callback(), Escaping::Text);
        FAIL() << "a missing due date rendered";
    } catch (const TemplateValueError& e) {
        EXPECT_EQ(e.variable(), "invoice.due_date");
        EXPECT_NE(std::string(e.what()).find("invoice.due_date"), std::string::npos);
    }
    EXPECT_EQ(parsed.render(none, formats.callback(), Escaping::Text, true), "Fällig am .");
}

TEST(Template, AValueThatIsNoNumberOrDateIsNamed)
{
    EXPECT_THROW(render("{{ invoice.total | amount }}", {{"invoice.total", "12,50"}}), TemplateValueError);
    EXPECT_THROW(render("{{ invoice.due_date | date }}", {{"invoice.due_date", "2026-02-30"}}), TemplateValueError);
}

TEST(Template, ErrorsCarryLineColumnAndVariable)
{
    auto e = errorsOf("Hallo\n  {{ customer.name | fancy }}");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, "unknown_format");
    EXPECT_EQ(e[0].at.line, 2);
    EXPECT_EQ(e[0].at.column, 3);
    EXPECT_EQ(e[0].variable, "customer.name");
    EXPECT_NE(e[0].message.find("line 2, column 3"), std::string::npos) << e[0].message;

    e = errorsOf("Grüße {{ customer.name\n}}");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].kind, "broken_placeholder");
    EXPECT_EQ(e[0].at.column, 7); // ü and ß count once each

    e = errorsOf("{{ invoice.total | amount:\"Franken\" }} {{ x | default }} {{ | upper }} {{ a b }}");
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e[0].kind, "bad_format_argument");
    EXPECT_EQ(e[1].kind, "bad_format_argument");
    EXPECT_EQ(e[2].kind, "broken_placeholder");
    EXPECT_EQ(e[3].kind, "broken_placeholder");
}

TEST(Template, UnbalancedIfIsFoundWherever)
{
    for (const char* source : {"{{#if a}}x", "x{{/if}}", "{{else}}", "{{#if a}}x{{else}}y{{else}}z{{/if}}"}) {
        auto e = errorsOf(source);
        ASSERT_EQ(e.size(), 1u) << source;
        EXPECT_EQ(e[0].kind, "unbalanced_if") << source;
    }
    EXPECT_TRUE(errorsOf("{{#if a}}{{#if b}}x{{/if}}{{/if}}").empty());
}

TEST(Template, UnknownVariablesAreCheckedAgainstTheCatalogue)
{
    auto parsed = Template::parse("{{ customer.name }} {{#if invoice.skonto}}x{{/if}} {{ today | date }}");
    std::vector<TemplateError> errors;
    checkVariables(parsed, [](const std::string& n) { return n == "customer.name" || n == "today"; }, errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].kind, "unknown_variable");
    EXPECT_EQ(errors[0].variable, "invoice.skonto");
    EXPECT_EQ(errors[0].at.column, 21);
}

TEST(Template, BracesThatAreNoPlaceholderStayText)
{
    EXPECT_EQ(render("a { b } c }} d", {}), "a { b } c }} d");
    EXPECT_EQ(render("{{ note | default:\"}} ok\" }}", {}), "}} ok");
}

TEST(LocaleFormat, RefusesAnUnknownLocale)
{
    EXPECT_THROW(LocaleFormat("not a locale!", "", ""), std::invalid_argument);
}

TEST(Template, HostileBlocksAreRefusedWithoutExhaustingTheHost)
{
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "{{#if a}}";
    auto errors = errorsOf(deep);
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors.front().message.find("nested deeper"), std::string::npos) << errors.front().message;

    // Every unclosed {{ costs a scan of its line: the parse stops after a few dozen.
    errors = errorsOf(std::string(1 << 20, '{'));
    EXPECT_LE(errors.size(), 60u);

    auto parsed = Template::parse(std::string(10000, 'x') + "{{ body }}{{ body }}{{ body }}");
    LocaleFormat formats("de-CH", "'", "");
    const std::string body(1 << 20, 'y');
    EXPECT_THROW(parsed.render([&](const std::string&) { return body; }, formats.callback(), Escaping::Text, false, {},
                               2 << 20),
                 TemplateValueError);
}

TEST(Template, ASubjectValueWithAnyControlCharacterIsRefusedAndIcuLocaleNamesWork)
{
    EXPECT_THROW(render("{{ a }}", {{"a", "x\x0by"}}, Escaping::Subject), TemplateValueError);
    EXPECT_EQ(render("{{ a | amount }}", {{"a", "1234.5"}}, Escaping::Text, "de_CH"), "1'234.50");
}

// A template with errors that is rendered all the same (found by
// fuzz_textblock_template: {{A|number:""}} and a value took std::stoi's
// std::invalid_argument out of render()): a format argument its checks
// refused is refused as a value that cannot be formatted, and a default
// without its text is no default.
TEST(Template, ATemplateWithErrorsRenderedAnywayRefusesItsBadFormats)
{
    LocaleFormat formats("de-CH", "'", "");
    const auto six = [](const std::string&) -> std::optional<std::string> { return "6"; };
    const auto none = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    for (const char* source : {"{{A|number:\"\"}}", "{{A|number:\"x\"}}", "{{A|number:\"123\"}}",
                               "{{A|number:\"99999999999\"}}", "{{A|amount:\"francs\"}}", "{{A|upper:\"x\"}}"}) {
        std::vector<TemplateError> errors;
        const Template parsed = Template::parse(source, errors);
        EXPECT_EQ(errors.size(), 1u) << source;
        try {
            parsed.render(six, formats.callback(), Escaping::Text);
            ADD_FAILURE() << source << " rendered";
        } catch (const TemplateValueError& e) {
            EXPECT_EQ(e.variable(), "A") << source;
        }
    }
    std::vector<TemplateError> errors;
    const Template noText = Template::parse("[{{A|default}}]", errors);
    EXPECT_EQ(errors.size(), 1u);
    EXPECT_THROW(noText.render(none, formats.callback(), Escaping::Text), TemplateValueError);
    EXPECT_EQ(noText.render(none, formats.callback(), Escaping::Text, true), "[]");
    EXPECT_EQ(noText.render(six, formats.callback(), Escaping::Text), "[6]");
}
