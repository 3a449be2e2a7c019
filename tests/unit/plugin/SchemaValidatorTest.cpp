#include "SchemaValidator.h"
#include "erpmail/Context.h"
#include "erpmail/OperationError.h"

#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

using erpmail::OperationError;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& text)
{
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

const char* kSchema = R"({"type":"object","additionalProperties":false,"required":["label","owner"],
  "properties":{"label":{"type":"string","minLength":1,"maxLength":5},
                "owner":{"type":"string"},
                "port":{"type":"integer","minimum":1,"maximum":65535},
                "kind":{"enum":["personal","public"]},
                "to":{"type":"array","maxItems":2,"items":{"type":"string","minLength":3}},
                "server":{"type":"object","properties":{"host":{"type":"string"}},"required":["host"]}}})";

// Returns the field the validator blames, or "" when the value passes.
std::string blamed(const std::string& params)
{
    try {
        erpmail::validateAgainstSchema(parse(kSchema), parse(params));
        return "";
    } catch (const OperationError& e) {
        EXPECT_EQ(e.code(), "invalid_params");
        EXPECT_NE(std::string(e.what()), "");
        return e.field();
    }
}

} // namespace

TEST(SchemaValidator, AcceptsValidParams)
{
    EXPECT_EQ(blamed(R"({"label":"Büro","owner":"anna","port":587,"kind":"public","to":["a@b"],
                         "server":{"host":"x"}})"),
              "");
}

TEST(SchemaValidator, NamesTheFieldAtFault)
{
    EXPECT_EQ(blamed(R"({"owner":"anna"})"), "label");
    EXPECT_EQ(blamed(R"({"label":"","owner":"anna"})"), "label");
    EXPECT_EQ(blamed(R"({"label":"abcdef","owner":"anna"})"), "label");
    EXPECT_EQ(blamed(R"({"label":"a","owner":7})"), "owner");
    EXPECT_EQ(blamed(R"({"label":"a","owner":"x","port":0})"), "port");
    EXPECT_EQ(blamed(R"({"label":"a","owner":"x","port":1.5})"), "port");
    EXPECT_EQ(blamed(R"({"label":"a","owner":"x","kind":"secret"})"), "kind");
    EXPECT_EQ(blamed(R"({"label":"a","owner":"x","to":["abc","ab"]})"), "to[1]");
    EXPECT_EQ(blamed(R"({"label":"a","owner":"x","to":["abc","abc","abc"]})"), "to");
    EXPECT_EQ(blamed(R"({"label":"a","owner":"x","server":{}})"), "server.host");
    EXPECT_EQ(blamed(R"({"label":"a","owner":"x","surprise":1})"), "surprise");
}

TEST(SchemaValidator, CountsCharactersNotBytes)
{
    // Five umlauts are ten bytes but five characters: within maxLength 5.
    EXPECT_EQ(blamed(R"({"label":"äöüäö","owner":"x"})"), "");
    EXPECT_EQ(blamed(R"({"label":"äöüäöü","owner":"x"})"), "label");
}

TEST(ParseObject, RefusesNonObjectsAndBrokenJson)
{
    EXPECT_THROW(erpmail::parseObject("[1,2]"), OperationError);
    EXPECT_THROW(erpmail::parseObject("{\"a\":"), OperationError);
    EXPECT_EQ(erpmail::parseObject("")->size(), 0u);
}

TEST(SchemaValidator, RefusesIntegersBeyondSixtyFourBitsWithTheField)
{
    auto schema = parse(R"({"type":"object","properties":{"id":{"type":"integer","minimum":1}}})");
    auto blame = [&](const std::string& id) -> std::string {
        try {
            erpmail::validateAgainstSchema(schema, parse("{\"id\":" + id + "}"));
            return "";
        } catch (const OperationError& e) {
            EXPECT_EQ(e.code(), "invalid_params");
            return e.field();
        }
    };
    EXPECT_EQ(blame("18446744073709551615"), "id");
    EXPECT_EQ(blame("9223372036854775808"), "id");
    EXPECT_EQ(blame("1e300"), "id");
    EXPECT_EQ(blame("9223372036854775807"), "");
    EXPECT_EQ(blame("1"), "");
}

TEST(SchemaValidator, StringsMustMatchTheirPatternAnywhereUnlessAnchored)
{
    const auto schema = parse(R"({"type":"object","properties":{
        "code":{"type":["string","null"],"pattern":"^[a-z]{2}(-[A-Z]{2})?$"},
        "word":{"type":"string","pattern":"[0-9]"}}})");
    auto check = [&](const std::string& params) {
        try {
            erpmail::validateAgainstSchema(schema, parse(params));
            return std::string();
        } catch (const OperationError& e) {
            return e.field();
        }
    };
    EXPECT_EQ(check(R"({"code":"de-CH"})"), "");
    EXPECT_EQ(check(R"({"code":null})"), "");
    EXPECT_EQ(check(R"({"code":"de CH; DROP"})"), "code");
    EXPECT_EQ(check(R"({"code":"de-CH\n"})"), "code");
    EXPECT_EQ(check(R"({"word":"abc1def"})"), "");
    EXPECT_EQ(check(R"({"word":"abcdef"})"), "word");
}
