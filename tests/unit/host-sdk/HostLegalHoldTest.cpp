// erp::sdk::Host asks the host which documents are under legal hold only
// when the host's table holds documents_on_hold: a host whose struct_size
// ends before it is never called there.
#include <erp/erp_plugin.h>
#include <erp/sdk/host.hpp>
#include <erp/sdk/sink.hpp>

#include "support/QuietHost.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

namespace {

int calls = 0;

erp_status onHold(void*, const char* links, erp_sink* out)
{
    ++calls;
    return erp::sdk::writeTo(out, std::string(links) == "[]" ? "[]" : "[true]") ? ERP_OK : ERP_ERROR;
}

erp_status failing(void*, const char*, erp_sink* out)
{
    erp::sdk::writeTo(out, "archive offline");
    return ERP_ERROR;
}

erp_host_api hostApi()
{
    erp_host_api api = erpmail::test::quietHostApi();
    api.documents_on_hold = onHold;
    return api;
}

} // namespace

TEST(HostLegalHold, HostWhoseTableEndsBeforeDocumentsOnHoldIsNeverAsked)
{
    calls = 0;
    erp_host_api api = hostApi();
    api.struct_size = offsetof(erp_host_api, documents_on_hold); // a host built before the member
    erp::sdk::Host host(&api);
    EXPECT_FALSE(host.answersLegalHolds());
    EXPECT_FALSE(host.documentsOnHold(R"([{"doctype":"invoice","id":"1"}])").has_value());
    EXPECT_EQ(calls, 0);
}

TEST(HostLegalHold, HostOfAbi11AnswersPerLink)
{
    calls = 0;
    erp_host_api api = hostApi();
    erp::sdk::Host host(&api);
    EXPECT_TRUE(host.answersLegalHolds());
    EXPECT_EQ(host.documentsOnHold(R"([{"doctype":"invoice","id":"1"}])"), "[true]");
    EXPECT_EQ(calls, 1);
}

TEST(HostLegalHold, FailingHostIsAnErrorNotAnAnswer)
{
    erp_host_api api = hostApi();
    api.documents_on_hold = failing;
    erp::sdk::Host host(&api);
    try {
        host.documentsOnHold("[]");
        FAIL() << "a failed answer was taken for one";
    } catch (const erp::sdk::HostError& e) {
        EXPECT_NE(std::string(e.what()).find("archive offline"), std::string::npos) << e.what();
    }
}
