/* erp_plugin.h must compile as strict C99 with every warning as an error. */
#include <erp/erp_plugin.h>

static int sink_write(void* ctx, const char* data, size_t len)
{
    (void)ctx;
    (void)data;
    return len > 0 ? 0 : 1;
}

int erp_abi_c_check(void);
int erp_abi_c_check(void)
{
    erp_sink sink = {sizeof(erp_sink), 0, sink_write};
    erp_module_info module = {0};
    erp_plugin_api plugin = {0};
    module.struct_size = sizeof module;
    plugin.struct_size = sizeof plugin;
    return sink.write(sink.ctx, "x", 1) + (int)ERP_ABI_MAJOR_OF(ERP_PLUGIN_ABI_VERSION) - ERP_PLUGIN_ABI_MAJOR +
           (int)(module.struct_size == 0) + (int)(plugin.struct_size == 0);
}
