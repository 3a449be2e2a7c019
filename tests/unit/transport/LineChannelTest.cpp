// LineChannel::readDotTerminated against the line-by-line reading it
// replaces (readLineView, dot removed, CRLF appended), with the bytes
// arriving split at every place: a real loopback socket, the server side
// sending the two parts apart.
#include "transport/common/LineChannel.h"
#include "support/PeakMemory.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace erpmail::transport;

namespace {

// What line-by-line reading makes of a block: each line up to LF, one CR
// before it dropped, a leading dot dropped, CRLF appended; "." ends it.
std::string lineByLine(const std::string& wire)
{
    std::string out;
    std::size_t at = 0;
    for (;;) {
        const std::size_t nl = wire.find('\n', at);
        std::string line = wire.substr(at, nl - at);
        at = nl + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line == ".") return out;
        if (!line.empty() && line[0] == '.') line.erase(0, 1);
        out += line + "\r\n";
    }
}

// Serves `wire` to one client in two parts split at `split`, then (unless
// it hangs up) "+OK next\r\n" to show where the block ended.
class SplitServer {
public:
    SplitServer(std::string wire, std::size_t split, bool hangUp = false)
        : socket_(Poco::Net::SocketAddress("127.0.0.1", 0))
    {
        thread_ = std::thread([this, wire = std::move(wire), split, hangUp] {
            Poco::Net::StreamSocket client = socket_.acceptConnection();
            client.setNoDelay(true);
            client.sendBytes(wire.data(), static_cast<int>(split));
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            const std::string rest = wire.substr(split) + (hangUp ? "" : "+OK next\r\n");
            client.sendBytes(rest.data(), static_cast<int>(rest.size()));
            if (hangUp) {
                client.close();
                return;
            }
            char byte;
            client.receiveBytes(&byte, 1); // until the client closes
        });
    }
    ~SplitServer() { thread_.join(); }
    unsigned port() const { return socket_.address().port(); }

private:
    Poco::Net::ServerSocket socket_;
    std::thread thread_;
};

struct Read {
    bool complete;
    std::string block;
    std::string next;
};

Read readBlock(const std::string& wire, std::size_t split, std::size_t keep, bool stopWhenFull)
{
    SplitServer server(wire, split);
    LineChannel channel("127.0.0.1", server.port(), Security::None, TlsSettings{});
    Read r;
    r.complete = channel.readDotTerminated(r.block, keep, stopWhenFull);
    if (r.complete || !stopWhenFull) r.next = channel.readLine();
    channel.close();
    return r;
}

} // namespace

TEST(LineChannel, DotTerminatedBlockMatchesLineByLineReadingAtEverySplit)
{
    const std::vector<std::string> blocks = {
        ".\r\n",
        "a\r\n.\r\n",
        "Subject: x\r\n\r\n..leading dot\r\n.\r\n",
        "..\r\n...\r\n.x\r\n.\r\n",
        "bare\nline feeds\n\n.\n",
        "cr\r\r\nalone\rinside\r\n.\r\n",
        "\r\n\r\n.\r\n",
        "mixed\r\n.\n",
    };
    for (const auto& wire : blocks) {
        const std::string expected = lineByLine(wire);
        for (std::size_t split = 0; split <= wire.size(); ++split) {
            const Read r = readBlock(wire, split, 1 << 20, true);
            ASSERT_TRUE(r.complete) << "block '" << wire << "' split at " << split;
            ASSERT_EQ(r.block, expected) << "block '" << wire << "' split at " << split;
            ASSERT_EQ(r.next, "+OK next") << "block '" << wire << "' split at " << split;
        }
    }
}

TEST(LineChannel, DotTerminatedBlockKeepsWholeLinesWithinTheLimit)
{
    const std::string wire = "12345\r\n67890\r\nabcde\r\n.\r\n";
    // 7 bytes hold the first line only; the rest is read and dropped.
    Read r = readBlock(wire, 9, 13, false);
    EXPECT_FALSE(r.complete);
    EXPECT_EQ(r.block, "12345\r\n");
    EXPECT_EQ(r.next, "+OK next");
    r = readBlock(wire, 9, 14, false);
    EXPECT_FALSE(r.complete);
    EXPECT_EQ(r.block, "12345\r\n67890\r\n");
    r = readBlock(wire, 9, 21, false);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.block, "12345\r\n67890\r\nabcde\r\n");
    r = readBlock(wire, 3, 0, true);
    EXPECT_FALSE(r.complete);
    EXPECT_EQ(r.block, "");
}

TEST(LineChannel, DotTerminatedBlockCutOffIsAConnectionError)
{
    for (const std::string wire : {"line\r\n..", "line\r\n.", "line\r\n.\r", "line"}) {
        SplitServer server(wire, 3, true);
        LineChannel channel("127.0.0.1", server.port(), Security::None, TlsSettings{});
        std::string block;
        EXPECT_THROW(channel.readDotTerminated(block, 1 << 20, true), ConnectError) << "'" << wire << "'";
    }
}

// A stored value with CR LF (a POP3 password "pw\r\nDELE 1") never becomes a
// second command: the line is refused before a byte of it is sent.
TEST(LineChannel, CommandLineWithCrLfOrNulIsRefusedUnsent)
{
    Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
    std::string received;
    std::thread server([&] {
        Poco::Net::StreamSocket client = listener.acceptConnection();
        char buffer[256];
        for (int n; (n = client.receiveBytes(buffer, sizeof buffer)) > 0;) received.append(buffer, n);
    });
    {
        LineChannel channel("127.0.0.1", listener.address().port(), Security::None, TlsSettings{});
        for (std::string_view bad : {std::string_view("PASS pw\r\nDELE 1\r\nQUIT"), std::string_view("PASS pw\nDELE 1"),
                                     std::string_view("USER a\0b", 8)})
            EXPECT_THROW(channel.writeLine(bad), ProtocolError);
        channel.writeLine("NOOP");
        channel.close();
    }
    server.join();
    EXPECT_EQ(received, "NOOP\r\n");
}

// A server that announces a literal of 200 MB and sends three bytes of it
// made the client take the 200 MB at once: a few such answers in parallel
// sessions could exhaust the host. Memory now follows the bytes that came.
TEST(LineChannel, LiteralAnnouncedLargerThanWhatComesTakesNoMemoryForIt)
{
    using erpmail::test::PeakMemory;
    SplitServer server("abc", 1, true);
    LineChannel channel("127.0.0.1", server.port(), Security::None, TlsSettings{});
    PeakMemory::reset();
    const long before = PeakMemory::kib();
    if (before < 0) GTEST_SKIP() << "no /proc/self/status";
    EXPECT_THROW(channel.readExactly(200'000'000), ConnectError);
    const long grown = PeakMemory::kib() - before;
    EXPECT_LT(grown, erpmail::test::peakAllowanceKib(32 * 1024))
        << "peak resident memory grew by " << grown / 1024 << " MB";
}

TEST(LineChannel, LiteralSplitAcrossReadsArrivesWhole)
{
    std::string literal;
    for (int i = 0; i < 300000; ++i) literal += static_cast<char>(i % 251); // every byte value, varying
    SplitServer server("* 1 FETCH (BODY[] {300000}\r\n" + literal, 70001);
    LineChannel channel("127.0.0.1", server.port(), Security::None, TlsSettings{});
    EXPECT_EQ(channel.readLine(), "* 1 FETCH (BODY[] {300000}");
    EXPECT_EQ(channel.readExactly(literal.size()), literal);
    EXPECT_EQ(channel.readLine(), "+OK next");
    channel.close();
}

// A literal larger than the 1 MiB believed before its bytes come: the rest
// of its announced size is reserved once that much has come, and the bytes
// arrive whole, split in the first MiB and after it.
TEST(LineChannel, LiteralLargerThanAMebibyteArrivesWhole)
{
    std::string literal;
    for (int i = 0; i < 2'500'000; ++i) literal += static_cast<char>(i % 253);
    for (std::size_t split : {std::size_t{1}, std::size_t{1} << 20, (std::size_t{1} << 20) + 7}) {
        SplitServer server("{2500000}\r\n" + literal, split + 11);
        LineChannel channel("127.0.0.1", server.port(), Security::None, TlsSettings{});
        EXPECT_EQ(channel.readLine(), "{2500000}");
        const std::string read = channel.readExactly(literal.size());
        EXPECT_TRUE(read == literal) << "split at " << split;
        EXPECT_GE(read.capacity(), literal.size());
        EXPECT_EQ(channel.readLine(), "+OK next");
        channel.close();
    }
}

// A POP3 message with the size LIST announced, smaller, larger and far
// larger than what comes: the block is the same in each case, and a size of
// 200 MB with a short message takes no memory for the 200 MB.
TEST(LineChannel, DotTerminatedBlockIsTheSameWhateverSizeWasAnnounced)
{
    using erpmail::test::PeakMemory;
    std::string wire;
    for (int i = 0; i < 40'000; ++i) wire += "line " + std::to_string(i) + (i % 7 ? "\r\n" : "\n");
    wire += ".\r\n";
    const std::string expected = lineByLine(wire);
    for (std::size_t announced : {std::size_t{0}, std::size_t{1000}, expected.size(), std::size_t{200'000'000}}) {
        SplitServer server(wire, 5000);
        LineChannel channel("127.0.0.1", server.port(), Security::None, TlsSettings{});
        PeakMemory::reset();
        const long before = PeakMemory::kib();
        std::string block;
        EXPECT_TRUE(channel.readDotTerminated(block, 256u << 20, true, announced));
        const long grown = PeakMemory::kib() - before;
        EXPECT_TRUE(block == expected) << "announced " << announced;
        if (before >= 0) {
            EXPECT_LT(grown, erpmail::test::peakAllowanceKib(32 * 1024))
                << "announced " << announced << ": peak resident memory grew by " << grown / 1024 << " MB";
        }
        EXPECT_EQ(channel.readLine(), "+OK next");
        channel.close();
    }
}

// A channel on a connection made by a Connector (one end of a socket pair)
// reads and writes as on a TCP one.
TEST(LineChannel, ConnectorGivesTheConnection)
{
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    const std::string greeting = "* OK ready\r\n* 1 FETCH (BODY[] {3}\r\nabc)\r\n";
    ASSERT_EQ(::send(fds[1], greeting.data(), greeting.size(), 0), static_cast<ssize_t>(greeting.size()));
    ::shutdown(fds[1], SHUT_WR);
    bool connected = false;
    {
        LineChannel channel("imap.example.com", 143, Security::None, TlsSettings{}, Poco::Timespan(5, 0), 1024, [&] {
            connected = true;
            return Poco::Net::StreamSocket(new Poco::Net::StreamSocketImpl(fds[0]));
        });
        EXPECT_TRUE(connected);
        EXPECT_EQ(channel.readLine(), "* OK ready");
        EXPECT_EQ(channel.readLine(), "* 1 FETCH (BODY[] {3}");
        EXPECT_EQ(channel.readExactly(3), "abc");
        EXPECT_EQ(channel.readLine(), ")");
        EXPECT_THROW(channel.readLine(), ConnectError);
        channel.writeLine("a1 LOGOUT");
    }
    char sent[64];
    const ssize_t n = ::recv(fds[1], sent, sizeof sent, 0);
    EXPECT_EQ(std::string(sent, n > 0 ? static_cast<std::size_t>(n) : 0), "a1 LOGOUT\r\n");
    ::close(fds[1]);
}
