#include "transport/imap/MailboxName.h"

#include "erpmail/Base64.h"
#include "transport/common/LineChannel.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace erpmail::transport {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

bool printable(unsigned char c)
{
    return c >= 0x20 && c <= 0x7e;
}

// Code points of valid UTF-8, or nullopt.
std::optional<std::vector<char32_t>> codePoints(const std::string& s)
{
    std::vector<char32_t> out;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
        if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size() + (extra == 0)) return std::nullopt;
        char32_t cp = extra == 0 ? c : c & (0x3f >> extra);
        for (int k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static const char32_t least[] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
        out.push_back(cp);
        i += static_cast<std::size_t>(extra) + 1;
    }
    return out;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// One shifted run "&...-" for the code points.
std::string shifted(const std::vector<char32_t>& run)
{
    std::vector<unsigned char> bytes; // UTF-16BE
    auto unit = [&](char32_t u) {
        bytes.push_back(static_cast<unsigned char>(u >> 8));
        bytes.push_back(static_cast<unsigned char>(u & 0xff));
    };
    for (char32_t cp : run) {
        if (cp >= 0x10000) {
            cp -= 0x10000;
            unit(0xd800 + (cp >> 10));
            unit(0xdc00 + (cp & 0x3ff));
        } else {
            unit(cp);
        }
    }
    std::string out = "&";
    std::uint32_t bits = 0;
    int count = 0;
    for (unsigned char b : bytes) {
        bits = (bits << 8) | b;
        count += 8;
        while (count >= 6) {
            count -= 6;
            out += kAlphabet[(bits >> count) & 0x3f];
        }
    }
    if (count > 0) out += kAlphabet[(bits << (6 - count)) & 0x3f];
    return out + "-";
}

// The UTF-8 of one shifted run's base64 (between '&' and '-'), or nullopt.
std::optional<std::string> unshifted(const std::string& b64)
{
    std::vector<std::uint16_t> units;
    std::uint32_t bits = 0;
    int count = 0, bytes = 0;
    std::uint16_t unit = 0;
    for (char c : b64) {
        const int v = base64Value(static_cast<unsigned char>(c), ',');
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            unit = static_cast<std::uint16_t>((unit << 8) | ((bits >> count) & 0xff));
            if (++bytes % 2 == 0) {
                units.push_back(unit);
                unit = 0;
            }
        }
    }
    // What is left must be padding zero bits short of a byte, and the bytes whole UTF-16 units.
    if (bytes % 2 != 0 || count >= 6 || (bits & ((1u << count) - 1)) != 0 || units.empty()) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < units.size(); ++i) {
        char32_t cp = units[i];
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (i + 1 >= units.size() || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff) return std::nullopt;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (units[++i] - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return std::nullopt;
        } else if (cp >= 0x20 && cp <= 0x7e) {
            return std::nullopt; // printable ASCII must stand as itself
        }
        appendUtf8(out, cp);
    }
    return out;
}

} // namespace

std::string encodeMailboxName(const std::string& utf8)
{
    auto cps = codePoints(utf8);
    if (!cps) throw ProtocolError("the folder name is not valid UTF-8");
    std::string out;
    std::vector<char32_t> run;
    for (char32_t cp : *cps) {
        if (cp < 0x80 && printable(static_cast<unsigned char>(cp))) {
            if (!run.empty()) {
                out += shifted(run);
                run.clear();
            }
            out += cp == '&' ? std::string("&-") : std::string(1, static_cast<char>(cp));
        } else {
            run.push_back(cp);
        }
    }
    if (!run.empty()) out += shifted(run);
    return out;
}

std::string decodeMailboxName(const std::string& wire)
{
    std::string out;
    for (std::size_t i = 0; i < wire.size(); ++i) {
        const char c = wire[i];
        if (!printable(static_cast<unsigned char>(c))) return wire;
        if (c != '&') {
            out += c;
            continue;
        }
        const std::size_t end = wire.find('-', i + 1);
        if (end == std::string::npos) return wire;
        if (end == i + 1) {
            out += '&';
        } else {
            auto text = unshifted(wire.substr(i + 1, end - i - 1));
            if (!text) return wire;
            out += *text;
        }
        i = end;
    }
    return out;
}

} // namespace erpmail::transport
