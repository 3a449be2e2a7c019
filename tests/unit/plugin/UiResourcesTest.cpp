// The plugin's web screens as ui_resource serves them.
#include "UiResources.h"

#include <erp/sdk/sink.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace {

const unsigned char kIndex[] = {'<', 'h', '1', '>', 0x00, 0xff};
const unsigned char kScript[] = {'x', '(', ')'};
const std::vector<erpmail::UiFile> kFiles{
    {"assets/app.js", kScript, sizeof kScript, "1111111111111111111111111111111111111111111111111111111111111111"},
    {"index.html", kIndex, sizeof kIndex, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"},
};

struct Answer {
    erp_status status;
    std::string bytes;
    Poco::JSON::Object::Ptr meta;
};

Answer serve(const char* path, const std::vector<erpmail::UiFile>& files = kFiles)
{
    erp::sdk::StringSink bytes, meta;
    Answer a{erpmail::serveUiResource(files, path, bytes.get(), meta.get()), bytes.take(), nullptr};
    if (a.status == ERP_OK) a.meta = Poco::JSON::Parser().parse(meta.str()).extract<Poco::JSON::Object::Ptr>();
    return a;
}

} // namespace

TEST(UiResources, ServesTheFileWithItsTypeAndAnEtagOfItsDigest)
{
    auto a = serve("index.html");
    ASSERT_EQ(a.status, ERP_OK);
    EXPECT_EQ(a.bytes, std::string(reinterpret_cast<const char*>(kIndex), sizeof kIndex)); // binary-safe
    EXPECT_EQ(a.meta->getValue<std::string>("content_type"), "text/html; charset=utf-8");
    EXPECT_EQ(a.meta->getValue<std::string>("etag"), "\"abcdef0123456789abcdef0123456789\"");
    auto js = serve("assets/app.js");
    ASSERT_EQ(js.status, ERP_OK);
    EXPECT_EQ(js.meta->getValue<std::string>("content_type"), "text/javascript; charset=utf-8");
    EXPECT_NE(js.meta->getValue<std::string>("etag"), a.meta->getValue<std::string>("etag"));
}

TEST(UiResources, EmptyPathIsTheIndex)
{
    auto a = serve("");
    ASSERT_EQ(a.status, ERP_OK);
    EXPECT_EQ(a.bytes.substr(0, 4), "<h1>");
}

TEST(UiResources, UnknownPathIsNotFound)
{
    EXPECT_EQ(serve("missing.html").status, ERP_NOT_FOUND);
    EXPECT_EQ(serve("assets").status, ERP_NOT_FOUND);
    EXPECT_EQ(serve("index.htm").status, ERP_NOT_FOUND);
}

TEST(UiResources, TraversalAndOddSegmentsAreRefusedWithTheReason)
{
    for (const char* path : {"../index.html", "assets/../index.html", "..", "./index.html", "assets//app.js",
                             "/index.html", "assets\\app.js", "index.html\n", "assets/.."}) {
        auto a = serve(path);
        EXPECT_EQ(a.status, ERP_INVALID_ARGUMENT) << path;
        EXPECT_NE(a.bytes.find("refused"), std::string::npos) << path;
    }
    EXPECT_EQ(serve(nullptr).status, ERP_INVALID_ARGUMENT);
}

TEST(UiResources, ContentTypesByExtension)
{
    EXPECT_EQ(erpmail::uiContentType("a/b.css"), "text/css; charset=utf-8");
    EXPECT_EQ(erpmail::uiContentType("logo.svg"), "image/svg+xml");
    EXPECT_EQ(erpmail::uiContentType("font.woff2"), "font/woff2");
    EXPECT_EQ(erpmail::uiContentType("dir.v2/LICENSE"), "application/octet-stream");
    EXPECT_EQ(erpmail::uiContentType("data.bin"), "application/octet-stream");
}

#ifdef ERPMAIL_UI
TEST(UiResources, TheEmbeddedBundleIsSortedAndHasAnIndex)
{
    const auto& files = erpmail::embeddedUiFiles();
    ASSERT_FALSE(files.empty());
    EXPECT_TRUE(std::is_sorted(files.begin(), files.end(), [](const erpmail::UiFile& a, const erpmail::UiFile& b) {
        return std::string(a.path) < b.path;
    }));
    EXPECT_EQ(serve("", files).status, ERP_OK);
}
#endif
