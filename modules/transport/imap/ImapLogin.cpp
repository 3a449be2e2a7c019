// Opening an IMAP session: the greeting, the capabilities, STARTTLS and the
// login with the mechanisms erpmail offers.
#include "transport/imap/ImapSession.h"

#include "erpmail/Base64.h"
#include "transport/common/ServerText.h"
#include "transport/common/SessionStart.h"

#include <algorithm>

namespace erpmail::transport {

ImapSession::ImapSession(const ImapSettings& settings)
    : settings_(settings), report_(settings.report ? settings.report : &unreported_)
{
    channel_ = openSessionChannel(settings, *report_);
    std::string greeting = channel_->readLine();
    if (greeting.rfind("* PREAUTH", 0) == 0 && settings.security != Security::Tls)
        throw ProtocolError("IMAP server greeted with PREAUTH on a connection that must be upgraded to TLS; "
                            "refusing the session");
    if (greeting.rfind("* OK", 0) != 0 && greeting.rfind("* PREAUTH", 0) != 0)
        throw ProtocolError("IMAP server greeted: " + serverText(greeting));
    report_->greeting = serverText(greeting.substr(2));
    report_->note(report_->greeting, report_->greeting);
    reportCapabilities();
    if (settings.security == Security::StartTls) {
        report_->begin("starttls");
        if (!hasCapability("STARTTLS"))
            throw ProtocolError("IMAP server " + settings.host + " does not offer STARTTLS, which this account requires");
        const std::string agreed = command("STARTTLS");
        upgradeSessionChannel(*channel_, *report_, agreed);
        capabilities_.clear();
        reportCapabilities();
    }
    if (!settings.authenticate) return;
    report_->begin("login");
    requireTlsForLogin(*channel_);
    std::string answer;
    try {
        if (!settings.oauthToken.empty()) {
            report_->mechanism = "XOAUTH2";
            const std::string tag = nextTag();
            channel_->writeLine(tag + " AUTHENTICATE XOAUTH2 " +
                                toBase64("user=" + settings.user + "\x01" "auth=Bearer " + settings.oauthToken + "\x01\x01"));
            // A refusal may come as a continuation carrying its details first;
            // an empty answer ends the exchange (then the tagged NO follows).
            for (int continuations = 0;;) {
                const std::string line = channel_->readLine();
                if (line.rfind("+", 0) == 0) {
                    if (++continuations > 2)
                        throw ProtocolError("the server keeps asking during XOAUTH2: " + serverText(line));
                    channel_->writeLine("");
                    continue;
                }
                if (line.rfind(tag + " ", 0) != 0) continue;
                if (upperCase(line.substr(tag.size() + 1, 2)) != "OK") throw ProtocolError(serverText(line));
                answer = line;
                break;
            }
        } else if (hasCapability("AUTH=PLAIN")) {
            report_->mechanism = "PLAIN";
            const std::string response =
                toBase64(std::string(1, '\0') + settings.user + std::string(1, '\0') + settings.password);
            if (hasCapability("SASL-IR")) {
                answer = command("AUTHENTICATE PLAIN " + response);
            } else { // the response follows the server's "+" (RFC 3501 section 6.2.2)
                const std::string tag = nextTag();
                channel_->writeLine(tag + " AUTHENTICATE PLAIN");
                const std::string go = channel_->readLine();
                if (go.rfind("+", 0) != 0) throw ProtocolError(serverText(go));
                channel_->writeLine(response);
                answer = awaitTagged(tag, "AUTHENTICATE");
            }
        } else if (hasCapability("LOGINDISABLED")) {
            // RFC 3501 section 6.2.3: the client must not send LOGIN then.
            throw ImapAuthError("IMAP server " + settings.host + ":" + std::to_string(settings.port) +
                                " does not allow LOGIN (LOGINDISABLED) and offers no AUTHENTICATE mechanism erpmail "
                                "knows (AUTH=PLAIN, or XOAUTH2 with OAuth); erpmail did not log in and no password "
                                "was sent");
        } else {
            report_->mechanism = "LOGIN";
            answer = login(settings.user, settings.password);
        }
    } catch (const ProtocolError& e) {
        throw ImapAuthError(std::string("IMAP login as ") + settings.user + " refused: " + e.what());
    }
    report_->note("logged in as " + settings.user + " with " +
                      (report_->mechanism == "LOGIN" ? std::string("LOGIN") : "AUTHENTICATE " + report_->mechanism),
                  serverText(answer));
    capabilities_.clear();
    readCapabilities(""); // they may change after login
}

std::string ImapSession::login(const std::string& user, const std::string& password)
{
    // RFC 3501 4.3: a quoted string is 7-bit; 8-bit names and passwords go as
    // literals, non-synchronizing with LITERAL+ (RFC 7888).
    const bool nonSync = hasCapability("LITERAL+");
    const std::string tag = nextTag();
    std::string line = tag + " LOGIN";
    for (const std::string* arg : {&user, &password}) {
        const bool ascii = std::all_of(arg->begin(), arg->end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
        if (ascii) {
            line += " " + imapQuoted(*arg);
            continue;
        }
        line += " {" + std::to_string(arg->size()) + (nonSync ? "+}" : "}");
        channel_->writeLine(line);
        if (!nonSync) {
            const std::string go = channel_->readLine();
            if (go.rfind("+", 0) != 0) throw ProtocolError(serverText(go));
        }
        line = *arg; // the command goes on after the literal's bytes
    }
    channel_->writeLine(line);
    return awaitTagged(tag, "LOGIN");
}

std::vector<std::string> ImapSession::readCapabilities(const std::string&)
{
    std::vector<std::string> offered;
    command("CAPABILITY", [&](const std::string& kind, std::vector<ImapToken>& tokens) {
        if (kind != "CAPABILITY") return;
        for (std::size_t i = 2; i < tokens.size(); ++i) {
            capabilities_.push_back(upperCase(tokens[i].value));
            offered.push_back(tokens[i].value);
        }
    });
    return offered;
}

void ImapSession::reportCapabilities()
{
    report_->begin("capabilities");
    noteCapabilities(*report_, readCapabilities(""));
}

} // namespace erpmail::transport
