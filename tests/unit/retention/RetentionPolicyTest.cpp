#include "erpmail/OperationError.h"
#include "retention/RetentionPolicy.h"

#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

namespace {

Poco::JSON::Object::Ptr parse(const std::string& text)
{
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::string blamed(const std::string& json)
{
    try {
        erpmail::RetentionPolicy::fromJson(parse(json), "retention");
        return "";
    } catch (const erpmail::OperationError& e) {
        return e.field();
    }
}

} // namespace

TEST(RetentionPolicy, ReadsAndDescribes)
{
    auto p = erpmail::RetentionPolicy::fromJson(parse(
        R"({"empty_trash_after_days":30,"attachments_larger_than_kb":500,"attachments_after_days":90,
            "delete_messages_after_months":120})"));
    EXPECT_EQ(p.emptyTrashAfterDays, 30);
    EXPECT_EQ(p.attachmentsLargerThanKb, 500);
    EXPECT_EQ(p.deleteMessagesAfterMonths, 120);
    EXPECT_NE(p.describe().find("larger than 500 kB are deleted after 90 days"), std::string::npos);
    EXPECT_EQ(erpmail::RetentionPolicy{}.describe(), "Nothing is deleted automatically.");
}

TEST(RetentionPolicy, RefusesNegativeAbsurdAndHalfRules)
{
    EXPECT_EQ(blamed(R"({"empty_trash_after_days":-1})"), "retention.empty_trash_after_days");
    EXPECT_EQ(blamed(R"({"empty_trash_after_days":0})"), "retention.empty_trash_after_days");
    EXPECT_EQ(blamed(R"({"delete_messages_after_months":100000})"), "retention.delete_messages_after_months");
    EXPECT_EQ(blamed(R"({"attachments_larger_than_kb":10})"), "retention.attachments_after_days");
    EXPECT_EQ(blamed(R"({"attachments_after_days":10})"), "retention.attachments_larger_than_kb");
    EXPECT_EQ(blamed(R"({"empty_trash_after_days":"7"})"), "retention.empty_trash_after_days");
    EXPECT_EQ(blamed(R"({"empty_trash_after_days":2.5})"), "retention.empty_trash_after_days");
    EXPECT_EQ(blamed(R"({"empty_trash_after_days":null})"), "");
}
