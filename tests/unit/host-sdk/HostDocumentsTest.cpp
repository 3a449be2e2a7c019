// erp::sdk::Host reads host documents as the acting user: through the ABI 1.1
// callbacks when the host offers them, and only for admins when it cannot
// check per user.
#include <erp/erp_plugin.h>
#include <erp/sdk/host.hpp>
#include <erp/sdk/sink.hpp>

#include "support/QuietHost.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>

namespace {

using erp::sdk::DocumentForbidden;
using erp::sdk::Host;
using erp::sdk::writeTo;

// A host whose payslips only "hr" may read; its 1.0 callbacks answer anyone.
struct PayrollHost {
    std::string lastUser;
    int userlessReads = 0;
};

erp_status variable(void* ctx, const char*, const char*, const char*, erp_sink* out)
{
    ++static_cast<PayrollHost*>(ctx)->userlessReads;
    return writeTo(out, "7'300.00") ? ERP_OK : ERP_ERROR;
}

erp_status document(void* ctx, const char*, const char*, erp_sink* bytes, erp_sink* meta)
{
    ++static_cast<PayrollHost*>(ctx)->userlessReads;
    return writeTo(bytes, "%PDF-1.7") && writeTo(meta, "{}") ? ERP_OK : ERP_ERROR;
}

// The 1.1 check: only hanna (group hr) may read; the reason goes to the sink.
bool refused(void* ctx, const char* doctype, const char* user, erp_sink* reason)
{
    static_cast<PayrollHost*>(ctx)->lastUser = user;
    if (std::strcmp(user, "hanna") == 0) return false;
    writeTo(reason, std::string("documents of type '") + doctype + "' are for group hr");
    return true;
}

erp_status variableAs(void* ctx, const char* doctype, const char*, const char*, const char* user, erp_sink* out)
{
    if (refused(ctx, doctype, user, out)) return ERP_FORBIDDEN;
    return writeTo(out, "7'300.00") ? ERP_OK : ERP_ERROR;
}

erp_status documentAs(void* ctx, const char* doctype, const char*, const char* user, erp_sink* bytes, erp_sink* meta)
{
    if (refused(ctx, doctype, user, bytes)) return ERP_FORBIDDEN;
    return writeTo(bytes, "%PDF-1.7") && writeTo(meta, "{}") ? ERP_OK : ERP_ERROR;
}

erp_host_api payrollApi(PayrollHost& state, bool withAs)
{
    erp_host_api api = erpmail::test::quietHostApi(&state);
    api.variable_resolve = variable;
    api.document_fetch = document;
    if (withAs) {
        api.document_fetch_as = documentAs;
        api.variable_resolve_as = variableAs;
    }
    return api;
}

const Host::DocumentReader kClerk{"anna", false}, kAdmin{"root", true}, kHr{"hanna", false};

} // namespace

TEST(HostDocuments, ClerkCannotReadPayslipsThroughAHostOfAbi10)
{
    PayrollHost state;
    erp_host_api api = payrollApi(state, true);
    api.abi_version = ERP_ABI_VERSION(1, 0);
    api.struct_size = offsetof(erp_host_api, document_fetch_as); // erp_host_api as 1.0 defined it
    Host host(&api);
    EXPECT_FALSE(host.checksDocumentReaders());
    try {
        host.fetchDocument("payslip", "2026-07", kClerk);
        FAIL() << "a clerk was given a document the host cannot check";
    } catch (const DocumentForbidden& e) {
        EXPECT_NE(std::string(e.what()).find("user 'anna' may not attach document payslip 2026-07"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("only admins"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("upgrade the host"), std::string::npos) << e.what();
    }
    EXPECT_THROW(host.resolveVariable("payslip", "2026-07", "salary", kClerk), DocumentForbidden);
    EXPECT_EQ(state.userlessReads, 0); // refused before the host was asked
    EXPECT_EQ(host.resolveVariable("payslip", "2026-07", "salary", kAdmin), "7'300.00");
    EXPECT_EQ(host.fetchDocument("payslip", "2026-07", kAdmin)->bytes, "%PDF-1.7");
    EXPECT_EQ(state.lastUser, ""); // the 1.1 members past struct_size were never called
}

TEST(HostDocuments, ClerkCannotReadPayslipsThroughAHostThatLeavesThe11CallbacksUnset)
{
    PayrollHost state;
    erp_host_api api = payrollApi(state, false);
    Host host(&api);
    EXPECT_FALSE(host.checksDocumentReaders());
    EXPECT_THROW(host.fetchDocument("payslip", "2026-07", kClerk), DocumentForbidden);
    EXPECT_THROW(host.resolveVariable("payslip", "2026-07", "salary", kClerk), DocumentForbidden);
    EXPECT_EQ(host.resolveVariable("payslip", "2026-07", "salary", kAdmin), "7'300.00");
}

TEST(HostDocuments, HostOfAbi11DecidesWhoReadsAPayslip)
{
    PayrollHost state;
    erp_host_api api = payrollApi(state, true);
    Host host(&api);
    EXPECT_TRUE(host.checksDocumentReaders());
    try {
        host.fetchDocument("payslip", "2026-07", kAdmin);
        FAIL() << "the host's refusal was overridden";
    } catch (const DocumentForbidden& e) {
        EXPECT_STREQ(e.what(), "user 'root' may not read document payslip 2026-07 (the host refused: documents of "
                               "type 'payslip' are for group hr)");
    }
    EXPECT_EQ(state.lastUser, "root");
    EXPECT_THROW(host.resolveVariable("payslip", "2026-07", "salary", kClerk), DocumentForbidden);
    EXPECT_EQ(state.lastUser, "anna");
    EXPECT_EQ(host.resolveVariable("payslip", "2026-07", "salary", kHr), "7'300.00");
    EXPECT_EQ(host.fetchDocument("payslip", "2026-07", kHr)->bytes, "%PDF-1.7");
    EXPECT_EQ(state.userlessReads, 0); // the user-less 1.0 callbacks are not used when the 1.1 ones exist
}
