#include "mime/MessageComposer.h"
#include "mime/MessageParser.h"

#include <gtest/gtest.h>

using namespace erpmail::mime;

namespace {

OutgoingMessage invoice()
{
    OutgoingMessage m;
    m.from = {"Müller & Söhne AG", "rechnung@mueller.example"};
    m.to = {{"Frau Zoë Brunner-Ängström", "zoe@kunde.example"}};
    m.cc = {{"", "buchhaltung@kunde.example"}};
    m.bcc = {{"Archiv", "archiv@mueller.example"}};
    m.subject = "Rechnung 2026-0042 für Müller & Söhne – fällig am 30. März ✓ " + std::string(60, 'x');
    m.text = "Grüezi Frau Brunner\nanbei die Rechnung.\n.\nEine Zeile mit nur einem Punkt steht darüber.\n";
    m.html = "<p>Grüezi Frau Brunner</p>";
    std::string pdf;
    for (int i = 0; i < 3000; ++i) pdf += static_cast<char>(i % 256);
    m.attachments.push_back({"Rechnung Müller & Söhne 2026-0042.pdf", "application/pdf", pdf});
    m.dateMs = 1774000000000;
    return m;
}

} // namespace

TEST(MessageComposer, RoundTripsThroughTheParser)
{
    auto composed = composeMessage(invoice());
    auto parsed = parseMessage(composed.raw);
    EXPECT_EQ(parsed.warning, "");
    EXPECT_EQ(parsed.subject, invoice().subject);
    ASSERT_EQ(parsed.from.size(), 1u);
    EXPECT_EQ(parsed.from[0].name, "Müller & Söhne AG");
    EXPECT_EQ(parsed.to[0].name, "Frau Zoë Brunner-Ängström");
    EXPECT_EQ(parsed.messageId, composed.messageId);
    EXPECT_EQ(parsed.text, "Grüezi Frau Brunner\r\nanbei die Rechnung.\r\n.\r\nEine Zeile mit nur einem Punkt steht darüber.\r\n");
    EXPECT_EQ(parsed.html, "<p>Grüezi Frau Brunner</p>");
    ASSERT_EQ(parsed.attachments.size(), 1u);
    EXPECT_EQ(parsed.attachments[0].fileName, "Rechnung Müller & Söhne 2026-0042.pdf");
    EXPECT_EQ(parsed.attachments[0].bytes, invoice().attachments[0].bytes);
    EXPECT_EQ(parsed.dateMs, 1774000000000);
}

TEST(MessageComposer, WireFormatIsCleanAndBccIsEnvelopeOnly)
{
    auto composed = composeMessage(invoice());
    const std::string& raw = composed.raw;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\n') {
            ASSERT_TRUE(i > 0 && raw[i - 1] == '\r') << "bare LF at " << i;
        }
        ASSERT_LT(static_cast<unsigned char>(raw[i]), 0x80) << "8-bit byte at " << i;
    }
    EXPECT_EQ(raw.find("archiv@"), std::string::npos);
    EXPECT_EQ(raw.find("Bcc"), std::string::npos);
    EXPECT_NE(raw.find("MIME-Version: 1.0"), std::string::npos);
    EXPECT_NE(raw.find("filename*=UTF-8''Rechnung%20M%C3%BCller"), std::string::npos) << raw.substr(0, 3000);
    EXPECT_NE(raw.find("multipart/mixed"), std::string::npos);
    EXPECT_NE(raw.find("multipart/alternative"), std::string::npos);
    EXPECT_EQ(composed.recipients,
              (std::vector<std::string>{"zoe@kunde.example", "buchhaltung@kunde.example", "archiv@mueller.example"}));
    EXPECT_EQ(composed.envelopeFrom, "rechnung@mueller.example");
}

TEST(MessageComposer, RefusesHeaderInjectionAndBadAddresses)
{
    auto expectField = [](OutgoingMessage m, const std::string& field) {
        try {
            composeMessage(m);
            ADD_FAILURE() << "composed despite " << field;
        } catch (const CompositionError& e) {
            EXPECT_EQ(e.field(), field) << e.what();
        }
    };
    auto m = invoice();
    m.subject = "Rechnung\r\nBcc: everyone@example.com";
    expectField(m, "subject");
    m = invoice();
    m.to[0].name = "Zoë\nBcc: x@example.com";
    expectField(m, "to[0]");
    m = invoice();
    m.cc.push_back({"", "not an address"});
    expectField(m, "cc[1]");
    m = invoice();
    m.attachments[0].fileName = "a.pdf\r\nContent-Type: text/html";
    expectField(m, "attachments[0].file_name");
    m = invoice();
    m.to.clear();
    m.cc.clear();
    m.bcc.clear();
    expectField(m, "to");
}

TEST(MessageComposer, RelaySafeAsciiWithTrailingSpacesAndLongLinesIsQuotedPrintable)
{
    OutgoingMessage m;
    m.from = {"", "rechnung@mueller.example"};
    m.to = {{"", "zoe@kunde.example"}};
    m.subject = "Invoice";
    m.text = "Dear Ms Brunner   \n" + std::string(200, 'a') + "\n";
    m.dateMs = 1774000000000;
    EXPECT_EQ(composeMessage(m).raw.find("quoted-printable"), std::string::npos); // 7bit would do
    m.relaySafe = true;
    const std::string raw = composeMessage(m).raw;
    EXPECT_NE(raw.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos);
    std::size_t at = 0;
    for (std::size_t eol; (eol = raw.find("\r\n", at)) != std::string::npos; at = eol + 2) {
        EXPECT_LT(eol - at, 78u) << raw.substr(at, eol - at);
        if (eol > at) {
            EXPECT_NE(raw[eol - 1], ' ') << raw.substr(at, eol - at);
        }
    }
    EXPECT_EQ(parseMessage(raw).text, "Dear Ms Brunner   \r\n" + std::string(200, 'a') + "\r\n");
}

// toCrlf copies runs between line breaks: the same bytes as turning each CR,
// LF or CRLF into CRLF one byte at a time, for breaks of every kind, at the
// start and the end, and long lines.
TEST(MessageComposer, ToCrlfMatchesAByteAtATimeConversion)
{
    auto reference = [](const std::string& text) {
        std::string out;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\r') {
                out += "\r\n";
                if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
            } else if (text[i] == '\n') {
                out += "\r\n";
            } else {
                out += text[i];
            }
        }
        return out;
    };
    const std::vector<std::string> cases = {
        "", "\r", "\n", "\r\n", "\n\r", "\r\r\n\n", "abc", "a\rb\nc\r\nd", "\rz", "z\n",
        "Grüezi\r\nZeile\nzwei\rdrei\r\n\r\n", std::string(5000, 'x') + "\r" + std::string(70000, 'y') + "\n",
        std::string(3, '\0') + "\n" + std::string(2, '\0')};
    for (const auto& text : cases)
        EXPECT_EQ(erpmail::mime::toCrlf(text), reference(text)) << "for " << text.size() << " bytes";
    std::string mixed;
    unsigned seed = 7;
    for (int i = 0; i < 20000; ++i) {
        seed = seed * 1103515245 + 12345;
        const unsigned pick = (seed >> 16) % 8;
        mixed += pick == 0 ? '\r' : pick == 1 ? '\n' : static_cast<char>('a' + pick);
    }
    EXPECT_EQ(erpmail::mime::toCrlf(mixed), reference(mixed));
}
