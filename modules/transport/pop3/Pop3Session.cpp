#include "transport/pop3/Pop3Session.h"

#include "erpmail/Base64.h"
#include "transport/common/ServerText.h"

#include <algorithm>
#include <sstream>

namespace erpmail::transport {

namespace {

bool startsWith(const std::string& s, const char* prefix)
{
    return s.rfind(prefix, 0) == 0;
}

} // namespace

Pop3Session::Pop3Session(const Pop3Settings& settings)
    : settings_(settings), report_(settings.report ? settings.report : &unreported_)
{
    channel_ = openSessionChannel(settings, *report_);
    open_ = true;
    report_->greeting = serverText(expectOk("greeting"));
    report_->note(report_->greeting, report_->greeting);
    reportCapabilities();
    if (settings.security == Security::StartTls) {
        report_->begin("starttls");
        if (std::find(capabilities_.begin(), capabilities_.end(), "STLS") == capabilities_.end())
            throw ProtocolError("POP3 server " + settings.host + " does not offer STLS, which this account requires");
        channel_->writeLine("STLS");
        const std::string agreed = expectOk("STLS");
        upgradeSessionChannel(*channel_, *report_, "+OK " + agreed);
        reportCapabilities();
    }
    for (const auto& c : capabilities_) pipelining_ = pipelining_ || upperCase(c) == "PIPELINING";
    if (!settings.authenticate) return;
    report_->begin("login");
    login();
}

void Pop3Session::reportCapabilities()
{
    report_->begin("capabilities");
    capabilities_ = readCapabilities();
    noteCapabilities(*report_, capabilities_);
}

Pop3Session::~Pop3Session()
{
    if (channel_) channel_->close(); // without QUIT: nothing marked is deleted
}

std::string Pop3Session::expectOk(const std::string& context)
{
    std::string line = channel_->readLine();
    if (!startsWith(line, "+OK")) throw ProtocolError("POP3 " + context + " answered: " + serverText(line));
    return line.size() > 4 ? line.substr(4) : "";
}

std::vector<std::string> Pop3Session::readCapabilities()
{
    channel_->writeLine("CAPA");
    std::string line = channel_->readLine();
    if (!startsWith(line, "+OK")) return {}; // CAPA is optional (RFC 2449)
    return readMultiline(64 * 1024);
}

std::vector<std::string> Pop3Session::readMultiline(std::size_t maxBytes)
{
    std::string block;
    if (!channel_->readDotTerminated(block, maxBytes, true))
        throw ProtocolError("POP3 answer larger than " + std::to_string(maxBytes) + " bytes");
    std::vector<std::string> lines;
    for (std::size_t at = 0; at < block.size();) { // every line ends in CRLF
        const std::size_t end = block.find("\r\n", at);
        lines.push_back(block.substr(at, end - at));
        at = end + 2;
    }
    return lines;
}

std::string Pop3Session::readMessage(std::size_t expected, std::size_t keep, bool failBeyond)
{
    std::string message;
    if (!channel_->readDotTerminated(message, keep, failBeyond, expected) && failBeyond)
        throw ProtocolError("message larger than " + std::to_string(keep) + " bytes");
    return message;
}

void Pop3Session::login()
{
    requireTlsForLogin(*channel_);
    auto saslOffers = [&](const std::string& mechanism) {
        for (const auto& c : capabilities_) {
            std::istringstream words(upperCase(c));
            std::string first;
            words >> first;
            if (first != "SASL") continue;
            for (std::string w; words >> w;)
                if (w == mechanism) return true;
        }
        return false;
    };
    std::string line;
    if (!settings_.oauthToken.empty()) {
        report_->mechanism = "XOAUTH2";
        // Two-step form: the initial response follows a "+" continuation.
        channel_->writeLine("AUTH XOAUTH2");
        line = channel_->readLine();
        auto continuation = [](const std::string& l) { return l == "+" || startsWith(l, "+ "); };
        if (continuation(line)) {
            channel_->writeLine(toBase64("user=" + settings_.user + "\x01" "auth=Bearer " + settings_.oauthToken + "\x01\x01"));
            line = channel_->readLine();
            if (continuation(line)) { // the refusal's details; an empty answer ends the exchange
                channel_->writeLine("");
                line = channel_->readLine();
            }
        }
    } else if (saslOffers("PLAIN")) {
        report_->mechanism = "PLAIN";
        channel_->writeLine("AUTH PLAIN " + toBase64(std::string(1, '\0') + settings_.user + std::string(1, '\0') +
                                                      settings_.password));
        line = channel_->readLine();
    } else {
        report_->mechanism = "USER";
        channel_->writeLine("USER " + settings_.user);
        line = channel_->readLine();
        if (startsWith(line, "+OK")) {
            channel_->writeLine("PASS " + settings_.password);
            line = channel_->readLine();
        }
    }
    if (!startsWith(line, "+OK"))
        throw Pop3AuthError("POP3 login as " + settings_.user + " refused: " + serverText(line));
    report_->note("logged in as " + settings_.user + " with " +
                      (report_->mechanism == "USER" ? std::string("USER/PASS") : "AUTH " + report_->mechanism),
                  serverText(line));
}

std::pair<std::int64_t, std::int64_t> Pop3Session::stat()
{
    channel_->writeLine("STAT");
    std::istringstream in(expectOk("STAT"));
    std::int64_t count = -1, octets = -1;
    if (!(in >> count >> octets) || count < 0 || octets < 0) throw ProtocolError("malformed STAT answer");
    return {count, octets};
}

std::vector<std::pair<int, std::string>> Pop3Session::uidl()
{
    channel_->writeLine("UIDL");
    expectOk("UIDL");
    std::vector<std::pair<int, std::string>> out;
    for (const auto& line : readMultiline(64 * 1024 * 1024)) {
        std::istringstream in(line);
        int number = 0;
        std::string uid;
        if (!(in >> number >> uid) || number <= 0 || uid.size() > 70)
            throw ProtocolError("malformed UIDL line: " + serverText(line, 100));
        out.emplace_back(number, uid);
    }
    return out;
}

std::map<int, std::int64_t> Pop3Session::list()
{
    channel_->writeLine("LIST");
    std::map<int, std::int64_t> out;
    // Every server should answer (RFC 1939); one that does not gives no
    // sizes, and each mail is then held to the limit while it is read.
    if (!startsWith(channel_->readLine(), "+OK")) return out;
    for (const auto& line : readMultiline(64 * 1024 * 1024)) {
        std::istringstream in(line);
        int number = 0;
        std::int64_t size = -1;
        if (!(in >> number >> size) || number <= 0 || size < 0)
            throw ProtocolError("malformed LIST line: " + serverText(line, 100));
        out[number] = size;
    }
    sizes_ = out;
    return out;
}

std::string Pop3Session::top(int number, int lines)
{
    const std::string command = "TOP " + std::to_string(number) + " " + std::to_string(lines);
    channel_->writeLine(command);
    if (!startsWith(channel_->readLine(), "+OK")) return {}; // TOP is optional (RFC 1939)
    constexpr std::size_t kKeep = 1024 * 1024; // a header beyond this is cut, not refused
    return readMessage(kKeep, kKeep, false);
}

void Pop3Session::retrieve(const std::vector<int>& numbers, const std::function<void(std::size_t, std::string)>& sink)
{
    // Up to kWindow commands in flight; each refill is one small write.
    constexpr std::size_t kWindow = 32, kRefill = 16;
    const std::size_t window = pipelining_ ? kWindow : 1, refill = pipelining_ ? kRefill : 1;
    std::size_t sent = 0;
    auto send = [&](std::size_t count) {
        std::string batch;
        for (; count > 0 && sent < numbers.size(); --count) batch += "RETR " + std::to_string(numbers[sent++]) + "\r\n";
        if (!batch.empty()) channel_->write(batch);
    };
    send(window);
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        expectOk("RETR " + std::to_string(numbers[i]));
        auto size = sizes_.find(numbers[i]);
        std::string message = readMessage(size == sizes_.end() ? 0 : static_cast<std::size_t>(size->second),
                                          settings_.maxMessageBytes, true);
        if (sent - (i + 1) + refill <= window) send(refill);
        sink(i, std::move(message));
    }
}

void Pop3Session::markDeleted(const std::vector<int>& numbers)
{
    for (int n : numbers) {
        channel_->writeLine("DELE " + std::to_string(n));
        expectOk("DELE " + std::to_string(n));
    }
}

void Pop3Session::quit()
{
    channel_->writeLine("QUIT");
    expectOk("QUIT");
    channel_->close();
    channel_.reset();
}

} // namespace erpmail::transport
