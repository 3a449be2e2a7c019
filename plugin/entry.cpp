// The plugin's three exported symbols. Everything else is hidden.
#include "Plugin.h"
#include "UiResources.h"

#include <erp/erp_plugin.h>
#include <erp/sdk/firewall.hpp>
#include <erp/sdk/versioned.hpp>

#include <Poco/Net/NetSSL.h>

#include <dlfcn.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>

namespace {

// erpmail uses a member added after 1.0 only when the host's struct_size
// holds it, and works without it: hosts of ABI 1.0 load it, too.
constexpr uint32_t kHostAbiNeeded = ERP_ABI_VERSION(ERP_PLUGIN_ABI_MAJOR, 0);

std::mutex g_mutex;
std::unique_ptr<erpmail::Plugin> g_plugin;

erp_status invokeThunk(void* ctx, const char* op, const char* params, const char* user, erp_sink* out)
{
    return static_cast<erpmail::Plugin*>(ctx)->invoke(op, params, user, out);
}

#ifdef ERPMAIL_UI
erp_status uiResourceThunk(void*, const char* path, erp_sink* bytes, erp_sink* meta)
{
    return erpmail::serveUiResource(erpmail::embeddedUiFiles(), path, bytes, meta);
}
#endif

// GLib's type system (GMime), OpenSSL and the ODBC drivers keep state that
// does not survive being unloaded and loaded again. Pinning this library
// makes dlclose() a no-op, so a host that unloads and reloads stays sound.
void makeResident()
{
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&erp_plugin_abi_version), &info) && info.dli_fname)
        dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

} // namespace

extern "C" ERP_PLUGIN_EXPORT uint32_t erp_plugin_abi_version(void)
{
    return kHostAbiNeeded;
}

extern "C" ERP_PLUGIN_EXPORT erp_status erp_plugin_load(const erp_host_api* host, erp_plugin_api* plugin,
                                                        erp_sink* error)
{
    return erp::sdk::firewall(error, [&] {
        if (host == nullptr || plugin == nullptr || plugin->struct_size < sizeof(uint32_t)) {
            erp::sdk::writeTo(error, "erp_plugin_load needs a host service table and a plugin struct");
            return ERP_INVALID_ARGUMENT;
        }
        erp_host_api copy;
        erp::sdk::copyVersioned(host, copy);
        const uint32_t hostMajor = ERP_ABI_MAJOR_OF(copy.abi_version);
        const uint32_t hostMinor = ERP_ABI_MINOR_OF(copy.abi_version);
        if (hostMajor != ERP_PLUGIN_ABI_MAJOR || copy.abi_version < kHostAbiNeeded) {
            erp::sdk::writeTo(error, "erpmail needs host ABI " + std::to_string(ERP_ABI_MAJOR_OF(kHostAbiNeeded)) +
                                         "." + std::to_string(ERP_ABI_MINOR_OF(kHostAbiNeeded)) +
                                         " or a later minor; the host has " + std::to_string(hostMajor) + "." +
                                         std::to_string(hostMinor));
            return ERP_VERSION_MISMATCH;
        }
        std::lock_guard<std::mutex> lock(g_mutex);
        if (g_plugin) {
            erp::sdk::writeTo(error, "erpmail is already loaded in this process");
            return ERP_ERROR;
        }
        makeResident();
        Poco::Net::initializeSSL();
        auto instance = std::make_unique<erpmail::Plugin>(host);
        instance->registerModules();

        erp_plugin_api api{};
        api.struct_size = sizeof api;
        api.abi_version = ERP_PLUGIN_ABI_VERSION;
        api.name = "erpmail";
        api.version = ERPMAIL_VERSION;
        api.plugin_ctx = instance.get();
        api.invoke = &invokeThunk;
#ifdef ERPMAIL_UI
        api.ui_resource = &uiResourceThunk; // left NULL by -DERPMAIL_UI=OFF
#endif
        const uint32_t room = plugin->struct_size;
        std::memcpy(plugin, &api, room < sizeof api ? room : sizeof api);
        plugin->struct_size = room < sizeof api ? room : static_cast<uint32_t>(sizeof api);
        g_plugin = std::move(instance);
        return ERP_OK;
    });
}

extern "C" ERP_PLUGIN_EXPORT void erp_plugin_unload(void)
{
    try {
        std::lock_guard<std::mutex> lock(g_mutex);
        g_plugin.reset();
    } catch (...) {
        // Unload has no error channel; a failure here must not unwind into the host.
    }
}
