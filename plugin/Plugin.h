// The plugin behind the C ABI: owns the context and the modules, registers
// them with the host and dispatches operations.
#pragma once

#include "erpmail/Context.h"
#include "erpmail/Module.h"
#include "erpmail/ModuleDirectory.h"

#include <erp/erp_plugin.h>

#include <Poco/JSON/Object.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace erpmail {

class Plugin : public ModuleDirectory {
public:
    explicit Plugin(const erp_host_api* host);
    ~Plugin() override;

    /// Registers every module with the host (erp_plugin_load calls this).
    void registerModules();

    /// The ABI's invoke: writes the JSON result or the JSON error to out.
    erp_status invoke(const char* operation, const char* paramsJson, const char* actingUser, erp_sink* out) noexcept;

    std::vector<ModuleState> moduleStates() const override;

private:
    struct Slot;
    struct Entry {
        Slot* slot = nullptr;
        const Operation* operation = nullptr;
        Poco::JSON::Object::Ptr schema;
    };

    static erp_status startModule(void* ctx, erp_sink* error);
    static void stopModule(void* ctx);
    Answer dispatch(const std::string& operation, const std::string& paramsJson, const std::string& actingUser);

    std::unique_ptr<Context> context_;
    std::vector<std::unique_ptr<Slot>> slots_;
    std::map<std::string, Entry> operations_;
};

} // namespace erpmail
