// MIME ingest: a received message through GMime as erpmail configures it,
// its headers decoded (RFC 2047, RFC 2231, charsets), its bodies decoded
// (quoted-printable, base64, charset conversion), its attachments named;
// and what retention does to it later (an attachment taken out). Checks
// what the parser promises: its text is valid UTF-8, and names are safe.
#include "mime/AttachmentRemoval.h"
#include "mime/MessageParser.h"
#include "mime/MessageRepairs.h"

#include <glib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace erpmail::mime;

namespace {

void requireUtf8(const std::string& text)
{
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) std::abort();
}

void check(const ParsedMessage& m)
{
    for (const std::string* text : {&m.subject, &m.text, &m.html, &m.warning, &m.references})
        requireUtf8(*text);
    for (const auto& a : m.allAddresses()) {
        requireUtf8(a.name);
        requireUtf8(a.email);
    }
    for (const auto& a : m.attachments) {
        requireUtf8(a.originalFileName);
        if (a.fileName != safeFileName(a.fileName)) std::abort(); // a safe name stays as it is
        if (a.fileName.find_first_of("/\\") != std::string::npos || a.fileName == "." || a.fileName == "..")
            std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // The product's limits but for the number of parts: under ASan GMime
    // takes 0.2 to 0.3 ms a part to build and free, so the inputs of many
    // parts that the fuzzer favours set its pace: with 1,000 it ran 140 to
    // 270 inputs a second, with 100 four times as many. The cut at the
    // limit is the same code at any number; the 10,000 are tested in
    // MessageParserTest.
    ParseLimits limits;
    limits.maxParts = 100;
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    const ParsedMessage full = parseMessage(raw, limits);
    check(full);
    // The second and third readings only for inputs of ordinary size, for the same reason.
    if (size > 16 * 1024) return 0;
    ParseLimits namesOnly = limits;
    namesOnly.attachmentBytes = false;
    check(parseMessage(raw, namesOnly));
    (void)formatAddresses(full.from);
    // removeParts() reads up to the product's 10,000 parts: only inputs within the target's limit.
    if (!full.attachments.empty() &&
        delimiterLinesEnd(raw, static_cast<std::size_t>(limits.maxParts) + 1) == std::string_view::npos) {
        std::vector<PartRemoval> removals{{sha256Of(full.attachments.front().bytes), "removed", false}};
        if (auto rewritten = removeParts(raw, removals)) check(parseMessage(*rewritten, limits));
    }
    return 0;
}
