// Access to the real servers the CTest fixture "testbed" started.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace erpmail::test {

/// The fixture's ports, users and connection strings, read from the file
/// named by $ERPMAIL_TESTBED_ENV (KEY=VALUE lines).
class Testbed {
public:
    static const Testbed& instance()
    {
        static Testbed tb;
        return tb;
    }

    const std::string& get(const std::string& key) const
    {
        auto it = values_.find(key);
        if (it == values_.end()) throw std::runtime_error("testbed has no " + key);
        return it->second;
    }
    unsigned port(const std::string& key) const { return static_cast<unsigned>(std::stoul(get(key))); }

private:
    Testbed()
    {
        const char* path = std::getenv("ERPMAIL_TESTBED_ENV");
        if (!path) throw std::runtime_error("ERPMAIL_TESTBED_ENV is not set: run the tests through ctest");
        std::ifstream in(path);
        if (!in) throw std::runtime_error(std::string("testbed file missing: ") + path);
        for (std::string line; std::getline(in, line);) {
            auto eq = line.find('=');
            if (eq != std::string::npos) values_[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    std::map<std::string, std::string> values_;
};

} // namespace erpmail::test
