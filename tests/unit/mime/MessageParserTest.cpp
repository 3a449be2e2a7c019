#include "mime/MessageParser.h"
#include "support/PeakMemory.h"

#include <glib.h>
#include <gtest/gtest.h>

#include <string>

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

TEST(MessageParser, HugeHeaderIsCutWithAWarningAndTheRestIsParsed)
{
    std::string raw = "Subject: big\r\nX-Long: " + std::string(70000, 'a') + "\r\n\tfolded " + std::string(1000, 'b') +
                      "\r\nFrom: Kunde <kunde@kunde.example>\r\n\r\nbody\r\n";
    auto m = parseMessage(raw);
    EXPECT_NE(m.warning.find("the header X-Long of 71020 bytes exceeds the limit of 65536 and was cut"),
              std::string::npos)
        << m.warning;
    EXPECT_EQ(m.subject, "big");
    ASSERT_EQ(m.from.size(), 1u);
    EXPECT_EQ(m.from[0].email, "kunde@kunde.example");
    EXPECT_EQ(m.text, "body\r\n");
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

namespace {

// A multipart/mixed mail around `parts` (each a whole part after its "--b").
std::string mixed(const std::string& parts, const std::string& subject = "Beleg")
{
    return "From: Kunde <kunde@kunde.example>\r\nSubject: " + subject +
           "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
           "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAnbei\r\n" +
           parts + "--b--\r\n";
}

const std::string kAllBytes = [] {
    std::string s;
    for (int i = 0; i < 256; ++i)
        s += static_cast<char>(i);
    return s;
}();

} // namespace

TEST(MessageParser, Base64RightAfterThePartHeadersWithoutABlankLineIsTheAttachment)
{
    // base64 of the 256 byte values, in lines of 76.
    const std::string b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\r\n"
                            "OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\r\n"
                            "cnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmq\r\n"
                            "q6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj\r\n"
                            "5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\r\n";
    auto m = parseMessage(mixed("--b\r\nContent-Type: application/pdf; name=\"Rechnung.pdf\"\r\n"
                                "Content-Disposition: attachment; filename=\"Rechnung.pdf\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n" +
                                b64));
    EXPECT_EQ(m.text, "Anbei");
    ASSERT_EQ(m.attachments.size(), 1u);
    EXPECT_EQ(m.attachments[0].fileName, "Rechnung.pdf");
    EXPECT_EQ(m.attachments[0].bytes, kAllBytes);
    EXPECT_NE(m.warning.find("without a blank line"), std::string::npos) << m.warning;
}

TEST(MessageParser, EncodedWordsSplittingAUtf8SequenceAreDecodedWhole)
{
    // "ü" is C3 BC: split between two B words (each padded), a B and a Q
    // word, two Q words, and two B words of differently written charsets.
    auto m =
        parseMessage(mixed("--b\r\nContent-Type: application/pdf; name=\"=?UTF-8?B?ww==?= =?UTF-8?B?vC5wZGY=?=\"\r\n"
                           "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n"
                           "--b\r\nContent-Type: application/pdf\r\n"
                           "Content-Disposition: attachment;\r\n filename=\"=?UTF-8?B?UsO=?=\r\n =?UTF-8?Q?=BCcken_M?= "
                           "=?utf-8?b?w6Q=?=\r\n"
                           " =?UTF-8?B?cnoucGRm?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n",
                           "=?UTF-8?B?R3LD?=\r\n =?UTF-8?B?vMOf?= =?UTF-8?B?ZSBhdXMgWsO=?= =?UTF-8?Q?=BCrich?= /\r\n"
                           " =?utf-8?B?w6Q=?= =?UTF-8?B?w7w=?="));
    EXPECT_EQ(m.subject, "Grüße aus Zürich / äü");
    auto sender = parseMessage("From: =?UTF-8?B?TcO=?= =?UTF-8?B?vGxsZXI=?= <m@kunde.example>, "
                               "=?UTF-8?Q?Z=C3?= =?UTF-8?Q?=BCri, AG?= <z@kunde.example>\r\n\r\nx\r\n");
    ASSERT_EQ(sender.from.size(), 2u);
    EXPECT_EQ(erpmail::mime::formatAddresses(sender.from), "Müller <m@kunde.example>, Züri, AG <z@kunde.example>");
    ASSERT_EQ(m.attachments.size(), 2u);
    EXPECT_EQ(m.attachments[0].fileName, "ü.pdf");
    EXPECT_EQ(m.attachments[1].fileName, "Rücken März.pdf");
    EXPECT_EQ(m.attachments[1].bytes, std::string("\x00\x01\x02", 3));
}

TEST(MessageParser, MultipartWithoutABoundaryParameterIsReadWithTheBoundaryItsBodyUses)
{
    auto m = parseMessage("From: kunde@kunde.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed\r\n\r\n"
                          "--xyz\r\nContent-Type: text/plain\r\n\r\nHallo ohne Boundary\r\n"
                          "--xyz\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
                          "filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--xyz--\r\n");
    EXPECT_EQ(m.text, "Hallo ohne Boundary");
    ASSERT_EQ(m.attachments.size(), 1u);
    EXPECT_EQ(m.attachments[0].fileName, "a.pdf");
    EXPECT_NE(m.warning.find("multipart/mixed without a boundary parameter; its parts were read with the boundary "
                             "\"xyz\""),
              std::string::npos)
        << m.warning;
}

TEST(MessageParser, MultipartWithABoundaryCutShortIsReadWithTheBoundaryItsBodyUses)
{
    auto m =
        parseMessage("From: kunde@kunde.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: multipart/alternative; boundary=\"----=_Part_12\r\n\r\n"
                     "------=_Part_1234\r\nContent-Type: text/plain\r\n\r\nHallo gekürzt\r\n"
                     "------=_Part_1234\r\nContent-Type: text/html\r\n\r\n<p>Hallo</p>\r\n------=_Part_1234--\r\n");
    EXPECT_EQ(m.text, "Hallo gekürzt");
    EXPECT_EQ(m.html, "<p>Hallo</p>");
    EXPECT_NE(m.warning.find("does not occur in its body"), std::string::npos) << m.warning;
}

TEST(MessageParser, MultipartWhoseBoundaryIsNeverUsedShowsItsBodyAsText)
{
    auto m = parseMessage("From: kunde@kunde.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed; boundary=\"nie\"\r\n\r\nHallo, die Zahlung folgt.\r\n");
    EXPECT_EQ(m.text, "Hallo, die Zahlung folgt.\r\n");
    EXPECT_NE(m.warning.find("multipart/mixed whose boundary \"nie\" does not occur in its body; its content is "
                             "shown as text"),
              std::string::npos)
        << m.warning;
}

TEST(MessageParser, BodyWithoutABlankLineAfterTheHeadersIsShownAsText)
{
    auto m = parseMessage("From: kunde@kunde.example\r\nSubject: ohne Leerzeile\r\nHallo zusammen\r\n"
                          "die Zahlung folgt.\r\n");
    EXPECT_EQ(m.subject, "ohne Leerzeile");
    EXPECT_EQ(m.text, "Hallo zusammen\r\ndie Zahlung folgt.\r\n");
    EXPECT_NE(m.warning.find("without a blank line"), std::string::npos) << m.warning;
    // The first boundary right after the headers.
    auto b = parseMessage("From: kunde@kunde.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                          "boundary=b\r\n--b\r\nContent-Type: text/plain\r\n\r\nHallo\r\n--b\r\n"
                          "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n"
                          "pdf\r\n--b--\r\n");
    EXPECT_EQ(b.text, "Hallo");
    ASSERT_EQ(b.attachments.size(), 1u);
    EXPECT_EQ(b.attachments[0].fileName, "a.pdf");
    // Lines that are not headers where headers follow still show.
    auto c = parseMessage("From: kunde@kunde.example\r\nHallo zusammen\r\nGruss: Beat\r\n");
    EXPECT_EQ(c.text, "Hallo zusammen\r\n");
    EXPECT_NE(c.warning.find("shown as text"), std::string::npos) << c.warning;
}

TEST(MessageParser, AStrayLineAmongTheHeadersDoesNotEndThem)
{
    auto m = parseMessage("From kunde@kunde.example Tue Mar  3 10:15:00 2026\r\nFrom: kunde@kunde.example\r\n"
                          "Subject: mbox\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nText\r\n");
    EXPECT_EQ(m.subject, "mbox");
    EXPECT_EQ(m.text, "Text\r\n");
    ASSERT_EQ(m.from.size(), 1u);
    EXPECT_EQ(m.warning, "");
}

TEST(MessageParser, InvalidContentTypeIsTextPlainAndKeepsTheFileName)
{
    auto m = parseMessage(mixed("--b\r\nContent-Type: application-x-gzip; name=\"daten.gz\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n"
                                "--b\r\nContent-Type: text; name=\"notiz.txt\"\r\n"
                                "Content-Disposition: attachment\r\n\r\nNotiz\r\n"));
    ASSERT_EQ(m.attachments.size(), 2u);
    EXPECT_EQ(m.attachments[0].fileName, "daten.gz");
    EXPECT_EQ(m.attachments[0].contentType, "text/plain");
    EXPECT_EQ(m.attachments[0].bytes, std::string("\x00\x01\x02", 3));
    EXPECT_EQ(m.attachments[1].fileName, "notiz.txt");
    EXPECT_NE(m.warning.find("Content-Type \"application-x-gzip\" is not a type/subtype"), std::string::npos)
        << m.warning;
    auto body = parseMessage("From: kunde@kunde.example\r\nContent-Type: text; charset=iso-8859-1\r\n\r\n"
                             "Gr\xFC\xDF"
                             "e\r\n");
    EXPECT_EQ(body.text, "Grüße\r\n");
    EXPECT_TRUE(body.attachments.empty());
}

TEST(MessageParser, SendersThatAreNotValidAddressesKeepAReadableName)
{
    auto daemon = parseMessage("From: MAILER DAEMON <>\r\nSubject: Unzustellbar\r\n\r\nx\r\n");
    ASSERT_EQ(daemon.from.size(), 1u);
    EXPECT_EQ(daemon.from[0].name, "MAILER DAEMON");
    EXPECT_EQ(daemon.from[0].email, "");
    EXPECT_EQ(erpmail::mime::formatAddresses(daemon.from), "MAILER DAEMON");
    EXPECT_TRUE(daemon.allAddresses().empty());
    auto bug = parseMessage("From: Big Bug bb@bug.com\r\nTo: =?UTF-8?Q?M=C3=BCller?= mueller@erp.example\r\n\r\nx\r\n");
    EXPECT_EQ(erpmail::mime::formatAddresses(bug.from), "Big Bug <bb@bug.com>");
    EXPECT_EQ(erpmail::mime::formatAddresses(bug.to), "Müller <mueller@erp.example>");
}

TEST(MessageParser, AttachedMessagesKeepTheNameTheyWereSentWithAndMadeUpNamesHaveNoSlash)
{
    auto m = parseMessage(
        mixed("--b\r\nContent-Type: message/rfc822; name=\"Weitergeleitet.eml\"\r\n"
              "Content-Disposition: attachment; filename=\"Original Anfrage.eml\"\r\n\r\n"
              "Subject: Re: a/b\r\n\r\ninner\r\n"
              "--b\r\nContent-Type: message/rfc822; name=\"=?UTF-8?B?w4Q=?= =?UTF-8?B?bmRlcnVuZy5lbWw=?=\"\r\n\r\n"
              "Subject: x\r\n\r\ninner\r\n"
              "--b\r\nContent-Type: message/rfc822\r\n\r\n"
              "Subject: Re: Rechnung 1/2026 \\ Q1\x01\r\n\r\ninner2\r\n"));
    ASSERT_EQ(m.attachments.size(), 3u);
    EXPECT_EQ(m.attachments[0].fileName, "Original Anfrage.eml");
    EXPECT_EQ(m.attachments[1].fileName, "Änderung.eml");
    EXPECT_EQ(m.attachments[2].fileName, "Re: Rechnung 1_2026 _ Q1.eml");
    EXPECT_EQ(m.attachments[2].originalFileName, "Re: Rechnung 1_2026 _ Q1.eml");
    EXPECT_NE(m.attachments[2].bytes.find("inner2"), std::string::npos);
}

TEST(MessageParser, BoundaryLineFloodDoesNotExhaustMemory)
{
    // 1 MiB of empty parts: GMime made 150,000 of them (200 MB) before the
    // walk stopped at 10,000, so a 20 MB mail could take a host's memory.
    std::string raw = "From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n";
    for (int i = 0; i < 150000; ++i) raw += "--x\r\n\r\n";
    raw += "--x--\r\n";
    using erpmail::test::PeakMemory;
    PeakMemory::reset();
    const long before = PeakMemory::kib();
    if (before < 0) GTEST_SKIP() << "no /proc/self/status";
    auto m = parseMessage(raw);
    const long grown = PeakMemory::kib() - before;
    EXPECT_NE(m.warning.find("more than 10001 lines begin like a MIME boundary; the message was read up to byte"),
              std::string::npos)
        << m.warning;
    EXPECT_LT(grown, erpmail::test::peakAllowanceKib(64 * 1024))
        << "peak resident memory grew by " << grown / 1024 << " MB";
}
