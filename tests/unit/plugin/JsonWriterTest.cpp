#include "erpmail/Context.h"
#include "erpmail/JsonWriter.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <limits>

using erpmail::JsonWriter;
using erpmail::toJson;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

// {"s": text} as Poco writes it, and as the writer does.
std::string pocoMember(const std::string& text)
{
    Object::Ptr o = new Object;
    o->set("s", text);
    return toJson(o);
}

std::string writtenMember(const std::string& text)
{
    JsonWriter out;
    return out.beginObject().key("s").value(text).endObject().take();
}

std::string parsedMember(const std::string& json)
{
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Object::Ptr>()->getValue<std::string>("s");
}

} // namespace

TEST(JsonWriter, EscapesEveryByteValueAsPocoDoes)
{
    std::string all;
    for (int i = 0; i < 256; ++i) {
        const std::string one(1, static_cast<char>(i));
        EXPECT_EQ(writtenMember(one), pocoMember(one)) << "byte " << i;
        all += one;
    }
    EXPECT_EQ(writtenMember(all), pocoMember(all));
    // Every byte below 0x80 is valid UTF-8 and must read back as written.
    const std::string ascii = all.substr(0, 128);
    EXPECT_EQ(parsedMember(writtenMember(ascii)), ascii);
}

TEST(JsonWriter, KeepsUtf8AndReadsBackThroughPocosParser)
{
    for (const std::string& text :
         {std::string(), std::string("Rechnung Nr. 1 f\xC3\xBCr M\xC3\xBCller & S\xC3\xB6hne"),
          std::string("\"M\xC3\xBCller\" <einkauf@mueller.example>, a\\b/c"),
          std::string("\xE2\x82\xAC 12.50 \xF0\x9F\x93\x8E"), std::string("line\r\nnext\ttab\x01\x1F\x7F"),
          std::string("\0in the middle", 14)}) {
        EXPECT_EQ(writtenMember(text), pocoMember(text));
        EXPECT_EQ(parsedMember(writtenMember(text)), text);
    }
}

TEST(JsonWriter, WritesWhatPocoWritesForTheSameObjectsInSortedOrder)
{
    Object::Ptr inner = new Object;
    inner->set("a", Poco::Dynamic::Var());
    inner->set("b", true);
    inner->set("c", false);
    inner->set("d", std::numeric_limits<std::int64_t>::min());
    inner->set("e", std::numeric_limits<std::int64_t>::max());
    inner->set("f", std::int64_t{0});
    Array::Ptr list = new Array;
    list->add(inner);
    list->add(inner);
    Object::Ptr hidden = new Object;
    hidden->set("reason", std::string("went away"));
    Array::Ptr raw = new Array;
    raw->add(hidden);
    Object::Ptr whole = new Object;
    whole->set("empty_array", Array::Ptr(new Array));
    whole->set("empty_object", Object::Ptr(new Object));
    whole->set("items", list);
    whole->set("raw", raw);
    whole->set("total", Poco::Dynamic::Var());

    JsonWriter out;
    out.beginObject().key("empty_array").beginArray().endArray().key("empty_object").beginObject().endObject();
    out.key("items").beginArray();
    for (int i = 0; i < 2; ++i) {
        out.beginObject().key("a").value(std::optional<std::string>()).key("b").value(true).key("c").value(false);
        out.key("d").value(std::optional<std::int64_t>(std::numeric_limits<std::int64_t>::min()));
        out.key("e").value(std::numeric_limits<std::int64_t>::max()).key("f").value(std::int64_t{0});
        out.endObject();
    }
    out.endArray().key("raw").raw(toJson(raw)).key("total").null().endObject();
    const std::string written = out.take();
    EXPECT_EQ(written, toJson(whole));

    Poco::JSON::Parser parser;
    auto parsed = parser.parse(written).extract<Object::Ptr>();
    EXPECT_EQ(parsed->getArray("items")->getObject(1)->getValue<std::int64_t>("d"),
              std::numeric_limits<std::int64_t>::min());
    EXPECT_TRUE(parsed->isNull("total"));
    EXPECT_EQ(out.take(), "");
}
