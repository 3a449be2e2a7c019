#include "mime/MessageParser.h"

#include <glib.h>
#include <gtest/gtest.h>

using erpmail::mime::parseMessage;

namespace {

const char* kInvoice =
    "From: =?UTF-8?Q?M=C3=BCller_=26_S=C3=B6hne?= <info@mueller.example>\r\n"
    "To: buchhaltung@erp.example, \"Beat, Brunner\" <beat@erp.example>\r\n"
    "Cc: undisclosed:;\r\n"
    "Subject: =?UTF-8?B?UmVjaG51bmcgZsO8cg==?= =?UTF-8?Q?_M=C3=A4rz_=E2=9C=93?=\r\n"
    "Date: Tue, 03 Mar 2026 10:15:00 +0100\r\n"
    "Message-ID: <inv-42@mueller.example>\r\n"
    "In-Reply-To: <offer-7@erp.example>\r\n"
    "References: <offer-7@erp.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=FC=DFe aus Z=FCrich\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>Gr\xC3\xBC\xC3\x9F" "e</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%BCller%20%26%20S%C3%B6hne%202026-0042.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAECAwQF/w==\r\n"
    "--outer--\r\n";

} // namespace

TEST(MessageParser, DecodesHeadersBodiesAndAttachments)
{
    auto m = parseMessage(kInvoice);
    EXPECT_EQ(m.warning, "");
    EXPECT_EQ(m.subject, "Rechnung für März ✓");
    ASSERT_EQ(m.from.size(), 1u);
    EXPECT_EQ(m.from[0].name, "Müller & Söhne");
    EXPECT_EQ(m.from[0].email, "info@mueller.example");
    ASSERT_EQ(m.to.size(), 2u);
    EXPECT_EQ(m.to[1].name, "Beat, Brunner");
    EXPECT_EQ(m.messageId, "inv-42@mueller.example");
    EXPECT_EQ(m.inReplyTo, "offer-7@erp.example");
    EXPECT_EQ(m.dateMs, 1772529300000LL);
    // The line end before a boundary belongs to the boundary (RFC 2046 5.1.1).
    EXPECT_EQ(m.text, "Grüße aus Zürich");
    EXPECT_EQ(m.html, "<p>Grüße</p>");
    ASSERT_EQ(m.attachments.size(), 1u);
    EXPECT_EQ(m.attachments[0].fileName, "Rechnung Müller & Söhne 2026-0042.pdf");
    EXPECT_EQ(m.attachments[0].contentType, "application/pdf");
    EXPECT_EQ(m.attachments[0].bytes, std::string("\x00\x01\x02\x03\x04\x05\xff", 7));
    EXPECT_EQ(erpmail::mime::formatAddresses(m.from), "Müller & Söhne <info@mueller.example>");
    EXPECT_EQ(m.allAddresses().size(), 3u);
}

TEST(MessageParser, UndecodableBytesBecomeReplacementCharacters)
{
    auto m = parseMessage("Subject: bad \xff\xfe bytes\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nA\xc3(B\r\n");
    EXPECT_TRUE(g_utf8_validate(m.subject.c_str(), -1, nullptr));
    EXPECT_TRUE(g_utf8_validate(m.text.c_str(), -1, nullptr));
    EXPECT_EQ(m.text, "A\xEF\xBF\xBD(B\r\n");
    auto latin = parseMessage("Content-Type: text/plain; charset=windows-1252\r\n\r\n\x80 5\x81\r\n");
    EXPECT_EQ(latin.text, "\xE2\x82\xAC 5\xEF\xBF\xBD\r\n"); // euro sign; 0x81 is unassigned in cp1252
    // A NUL byte in a body does not cut off what follows it.
    auto nul = parseMessage(std::string("Content-Type: text/plain; charset=utf-8\r\n\r\nvor\0nach \xc3\xbc\r\n", 56));
    EXPECT_EQ(nul.text, "vor\xEF\xBF\xBDnach \xC3\xBC\r\n");
}

TEST(MessageParser, DeepNestingIsCutWithAWarning)
{
    std::string raw = "Subject: deep\r\nMIME-Version: 1.0\r\n";
    std::string tail;
    for (int i = 0; i < 150; ++i) {
        raw += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) +
               "\r\n";
        tail = "\r\n--b" + std::to_string(i) + "--\r\n" + tail;
    }
    raw += "Content-Type: text/plain\r\n\r\nbottom" + tail;
    auto m = parseMessage(raw);
    EXPECT_EQ(m.subject, "deep");
    EXPECT_NE(m.warning.find("nesting deeper than 100"), std::string::npos) << m.warning;
}

TEST(MessageParser, TooManyPartsAreCutWithAWarning)
{
    std::string raw = "Subject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n";
    for (int i = 0; i < 10050; ++i) raw += "--x\r\nContent-Type: text/plain\r\n\r\n" + std::to_string(i) + "\r\n";
    raw += "--x--\r\n";
    auto m = parseMessage(raw);
    EXPECT_NE(m.warning.find("more than 10000 MIME parts"), std::string::npos) << m.warning;
}

TEST(MessageParser, HugeHeaderKeepsTheMessageRaw)
{
    std::string raw = "Subject: big\r\nX-Long: " + std::string(70000, 'a') + "\r\n\r\nbody\r\n";
    auto m = parseMessage(raw);
    EXPECT_NE(m.warning.find("exceeds the limit of 65536"), std::string::npos) << m.warning;
}

TEST(MessageParser, GarbageNeverThrows)
{
    for (const char* raw : {"", "\r\n\r\n", "no header at all", "Content-Type: multipart/mixed\r\n\r\n--\r\n"}) {
        auto m = parseMessage(raw);
        EXPECT_TRUE(g_utf8_validate(m.text.c_str(), -1, nullptr));
    }
}

TEST(MessageParser, AttachedMessagesAreKeptAsEml)
{
    auto m = parseMessage("Subject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
                          "--z\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                          "--z\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--z--\r\n");
    ASSERT_EQ(m.attachments.size(), 1u);
    EXPECT_EQ(m.attachments[0].fileName, "inner.eml");
    EXPECT_NE(m.attachments[0].bytes.find("inner body"), std::string::npos);
}

TEST(SafeFileName, KeepsOnlyTheLastPathComponentWithoutControls)
{
    using erpmail::mime::safeFileName;
    EXPECT_EQ(safeFileName("Rechnung Müller 2026-0042.pdf"), "Rechnung Müller 2026-0042.pdf");
    EXPECT_EQ(safeFileName("../../etc/passwd"), "passwd");
    EXPECT_EQ(safeFileName("/etc/cron.d/evil"), "evil");
    EXPECT_EQ(safeFileName("C:\\Windows\\x.exe"), "x.exe");
    EXPECT_EQ(safeFileName("C:x.exe"), "x.exe");
    EXPECT_EQ(safeFileName("..\\..\\boot.ini"), "boot.ini");
    EXPECT_EQ(safeFileName("report\r\nX-Evil: 1.pdf"), "reportX-Evil: 1.pdf");
    EXPECT_EQ(safeFileName(std::string("a\0b\tc\x7f"
                                       "d\xC2\x85"
                                       "e.txt",
                                       14)),
              "abcde.txt");
    EXPECT_EQ(safeFileName("invoice\xE2\x80\xAE"
                           "fdp.exe"),
              "invoicefdp.exe"); // U+202E would show "exe.pdf"
    EXPECT_EQ(safeFileName("  spaced.pdf  "), "spaced.pdf");
    EXPECT_EQ(safeFileName(".."), "");
    EXPECT_EQ(safeFileName("dir/"), "");
    EXPECT_EQ(safeFileName(""), "");
}

TEST(MessageParser, AttachmentNamesWithPathsAreStrippedAndTheOriginalKept)
{
    auto m = parseMessage("From: a@example.com\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed; boundary=b\r\n"
                          "\r\n"
                          "--b\r\n"
                          "Content-Type: text/plain\r\n"
                          "\r\n"
                          "hi\r\n"
                          "--b\r\n"
                          "Content-Type: application/octet-stream\r\n"
                          "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n"
                          "\r\n"
                          "x\r\n"
                          "--b\r\n"
                          "Content-Type: application/octet-stream\r\n"
                          "Content-Disposition: attachment; filename*=UTF-8''a%0D%0Ab%2Fc.txt\r\n"
                          "\r\n"
                          "y\r\n"
                          "--b--\r\n");
    ASSERT_EQ(m.attachments.size(), 2u);
    EXPECT_EQ(m.attachments[0].fileName, "passwd");
    EXPECT_EQ(m.attachments[0].originalFileName, "../../etc/passwd");
    EXPECT_EQ(m.attachments[1].fileName, "c.txt");
    EXPECT_EQ(m.attachments[1].originalFileName, "a\r\nb/c.txt");
}
