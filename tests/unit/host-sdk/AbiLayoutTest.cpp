// The ABI's struct layouts are frozen: members may only be appended. These
// asserts fail the build when a member moves (LP64: Linux x86_64 / aarch64).
#include <erp/erp_plugin.h>
#include <erp/sdk/sink.hpp>
#include <erp/sdk/versioned.hpp>

#include <gtest/gtest.h>

#include <cstddef>

static_assert(sizeof(void*) == 8, "layout asserts are written for LP64");

static_assert(offsetof(erp_sink, struct_size) == 0);
static_assert(offsetof(erp_sink, ctx) == 8);
static_assert(offsetof(erp_sink, write) == 16);
static_assert(sizeof(erp_sink) == 24);

static_assert(offsetof(erp_host_api, struct_size) == 0);
static_assert(offsetof(erp_host_api, abi_version) == 4);
static_assert(offsetof(erp_host_api, host_name) == 8);
static_assert(offsetof(erp_host_api, host_ctx) == 16);
static_assert(offsetof(erp_host_api, log) == 24);
static_assert(offsetof(erp_host_api, config_get) == 32);
static_assert(offsetof(erp_host_api, user_get) == 40);
static_assert(offsetof(erp_host_api, user_list) == 48);
static_assert(offsetof(erp_host_api, user_has_permission) == 56);
static_assert(offsetof(erp_host_api, database_list) == 64);
static_assert(offsetof(erp_host_api, database_connection_string) == 72);
static_assert(offsetof(erp_host_api, data_folder) == 80);
static_assert(offsetof(erp_host_api, variable_resolve) == 88);
static_assert(offsetof(erp_host_api, document_fetch) == 96);
static_assert(offsetof(erp_host_api, event_emit) == 104);
static_assert(offsetof(erp_host_api, clock_now_ms) == 112);
static_assert(offsetof(erp_host_api, module_register) == 120);
// Since 1.1
static_assert(offsetof(erp_host_api, document_fetch_as) == 128);
static_assert(offsetof(erp_host_api, variable_resolve_as) == 136);
static_assert(offsetof(erp_host_api, variable_catalogue) == 144);
static_assert(offsetof(erp_host_api, documents_on_hold) == 152);
static_assert(sizeof(erp_host_api) == 160);

static_assert(offsetof(erp_operation_info, struct_size) == 0);
static_assert(offsetof(erp_operation_info, name) == 8);
static_assert(offsetof(erp_operation_info, summary) == 16);
static_assert(offsetof(erp_operation_info, params_schema) == 24);
static_assert(offsetof(erp_operation_info, permission) == 32);
static_assert(sizeof(erp_operation_info) == 40);

static_assert(offsetof(erp_module_info, struct_size) == 0);
static_assert(offsetof(erp_module_info, id) == 8);
static_assert(offsetof(erp_module_info, summary) == 16);
static_assert(offsetof(erp_module_info, dependencies) == 24);
static_assert(offsetof(erp_module_info, dependency_count) == 32);
static_assert(offsetof(erp_module_info, permissions) == 40);
static_assert(offsetof(erp_module_info, permission_count) == 48);
static_assert(offsetof(erp_module_info, operations) == 56);
static_assert(offsetof(erp_module_info, operation_count) == 64);
static_assert(offsetof(erp_module_info, module_ctx) == 72);
static_assert(offsetof(erp_module_info, start) == 80);
static_assert(offsetof(erp_module_info, stop) == 88);
static_assert(sizeof(erp_module_info) == 96);

static_assert(offsetof(erp_plugin_api, struct_size) == 0);
static_assert(offsetof(erp_plugin_api, abi_version) == 4);
static_assert(offsetof(erp_plugin_api, name) == 8);
static_assert(offsetof(erp_plugin_api, version) == 16);
static_assert(offsetof(erp_plugin_api, plugin_ctx) == 24);
static_assert(offsetof(erp_plugin_api, invoke) == 32);
// Since 1.1
static_assert(offsetof(erp_plugin_api, ui_resource) == 40);
static_assert(sizeof(erp_plugin_api) == 48);

static_assert(ERP_FORBIDDEN == 5);

static_assert(ERP_ABI_MAJOR_OF(ERP_ABI_VERSION(3, 7)) == 3);
static_assert(ERP_ABI_MINOR_OF(ERP_ABI_VERSION(3, 7)) == 7);

TEST(VersionedStruct, OlderSenderLeavesUnknownMembersZero)
{
    erp_host_api full{};
    full.struct_size = sizeof full;
    full.abi_version = ERP_PLUGIN_ABI_VERSION;
    full.host_name = "old host";
    full.clock_now_ms = [](void*) -> int64_t { return 42; };
    full.module_register = [](void*, const erp_module_info*) { return ERP_OK; };

    // A sender whose struct ended before clock_now_ms.
    erp_host_api older = full;
    older.struct_size = offsetof(erp_host_api, clock_now_ms);
    erp_host_api copy;
    ASSERT_TRUE(erp::sdk::copyVersioned(&older, copy));
    EXPECT_STREQ(copy.host_name, "old host");
    EXPECT_EQ(copy.clock_now_ms, nullptr);
    EXPECT_EQ(copy.module_register, nullptr);
    EXPECT_FALSE(ERP_HAS_MEMBER(older, clock_now_ms));
    EXPECT_TRUE(ERP_HAS_MEMBER(older, event_emit));
}

TEST(VersionedStruct, NewerSenderIsCutToOurSize)
{
    struct Newer {
        erp_plugin_api known;
        void* futureMember;
    } newer{};
    newer.known.struct_size = sizeof newer;
    newer.known.name = "future";
    newer.futureMember = &newer;
    erp_plugin_api copy;
    ASSERT_TRUE(erp::sdk::copyVersioned(&newer.known, copy));
    EXPECT_STREQ(copy.name, "future");
    EXPECT_EQ(copy.struct_size, sizeof newer); // the sender's size is kept: it tells what the sender knew
}

TEST(VersionedStruct, RefusesNullAndTooSmall)
{
    erp_sink copy;
    EXPECT_FALSE(erp::sdk::copyVersioned<erp_sink>(nullptr, copy));
    erp_sink tiny{};
    tiny.struct_size = 2;
    EXPECT_FALSE(erp::sdk::copyVersioned(&tiny, copy));
}

TEST(StringSink, CollectsBinaryBytes)
{
    erp::sdk::StringSink sink;
    const char bytes[] = {'a', '\0', 'b'};
    ASSERT_EQ(sink.get()->write(sink.get()->ctx, bytes, 3), 0);
    EXPECT_EQ(sink.str(), std::string(bytes, 3));
}
