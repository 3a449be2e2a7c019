// How much memory a piece of code takes at its peak (Linux).
#pragma once

#include <fstream>
#include <string>

namespace erpmail::test {

/// The peak resident memory (VmHWM) in KiB since the last reset, -1 when
/// /proc does not say; reset() first puts the peak at what is in use now.
class PeakMemory {
public:
    static void reset()
    {
        std::ofstream clear("/proc/self/clear_refs");
        clear << "5";
    }
    static long kib()
    {
        std::ifstream status("/proc/self/status");
        for (std::string line; std::getline(status, line);)
            if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
        return -1;
    }
};

/// What a test lets a code path grow the peak by: ASan's quarantine keeps up
/// to 256 MB of freed memory, which counts as resident.
constexpr long peakAllowanceKib(long plainKib)
{
#if defined(__SANITIZE_ADDRESS__)
    return plainKib + 336 * 1024;
#else
    return plainKib;
#endif
}

} // namespace erpmail::test
