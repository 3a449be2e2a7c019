// A host service table with every required service and nothing behind it:
// no settings, users, databases or data folder; logs and events go nowhere;
// the clock stands at 0. A test sets on it what it needs.
#pragma once

#include <erp/erp_plugin.h>

namespace erpmail::test {

inline erp_host_api quietHostApi(void* hostCtx = nullptr)
{
    erp_host_api api{};
    api.struct_size = sizeof api;
    api.abi_version = ERP_PLUGIN_ABI_VERSION;
    api.host_ctx = hostCtx;
    api.log = [](void*, erp_log_level, const char*, const char*) {};
    api.config_get = [](void*, const char*, erp_sink*) { return ERP_NOT_FOUND; };
    api.user_get = [](void*, const char*, erp_sink*) { return ERP_NOT_FOUND; };
    api.user_list = [](void*, erp_sink*) { return ERP_NOT_FOUND; };
    api.user_has_permission = [](void*, const char*, const char*) { return 0; };
    api.database_list = [](void*, erp_sink*) { return ERP_NOT_FOUND; };
    api.database_connection_string = [](void*, const char*, erp_sink*) { return ERP_NOT_FOUND; };
    api.data_folder = [](void*, erp_sink*) { return ERP_NOT_FOUND; };
    api.event_emit = [](void*, const char*, const char*) {};
    api.clock_now_ms = [](void*) -> int64_t { return 0; };
    api.module_register = [](void*, const erp_module_info*) { return ERP_OK; };
    return api;
}

} // namespace erpmail::test
