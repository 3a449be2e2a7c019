// Header-only C++ helpers over erp_plugin.h: caller-owned sinks.
#pragma once

#include <erp/erp_plugin.h>

#include <string>
#include <string_view>

namespace erp::sdk {

/// An erp_sink that appends to a std::string it owns. Binary-safe.
class StringSink {
public:
    StringSink() : sink_{sizeof(erp_sink), this, &StringSink::append} {}
    StringSink(const StringSink&) = delete;
    StringSink& operator=(const StringSink&) = delete;

    erp_sink* get() { return &sink_; }
    const std::string& str() const { return data_; }
    std::string take() { return std::move(data_); }

private:
    static int append(void* ctx, const char* data, size_t len)
    {
        try {
            static_cast<StringSink*>(ctx)->data_.append(data, len);
            return 0;
        } catch (...) {
            return 1;
        }
    }

    erp_sink sink_;
    std::string data_;
};

/// Writes text to a sink if the sink is usable; false when it refused.
inline bool writeTo(erp_sink* sink, std::string_view text)
{
    if (sink == nullptr || sink->write == nullptr) return false;
    return sink->write(sink->ctx, text.data(), text.size()) == 0;
}

} // namespace erp::sdk
