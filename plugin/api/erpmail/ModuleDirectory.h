// A read-only view of the plugin's modules, for status operations.
#pragma once

#include <string>
#include <vector>

namespace erpmail {

struct ModuleState {
    std::string id;
    std::string summary;
    std::vector<std::string> dependencies;
    std::vector<std::string> operations;
    bool running = false;
};

class ModuleDirectory {
public:
    virtual ~ModuleDirectory() = default;
    virtual std::vector<ModuleState> moduleStates() const = 0;
};

} // namespace erpmail
