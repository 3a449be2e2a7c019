// The reported opening steps that IMAP and POP3 sessions share.
#include "transport/common/SessionStart.h"

#include "transport/common/ServerText.h"

namespace erpmail::transport {

std::unique_ptr<LineChannel> openSessionChannel(const SessionSettings& settings, StepReport& report)
{
    report.begin(settings.security == Security::Tls ? "connect+tls" : "connect");
    auto channel = std::make_unique<LineChannel>(settings.host, settings.port, settings.security, settings.tls,
                                                 Poco::Timespan(settings.timeoutSeconds, 0), settings.maxLineBytes,
                                                 settings.connector);
    report.tls = channel->tlsDescription();
    report.note(settings.host + ":" + std::to_string(settings.port) + (channel->tls() ? " (" + report.tls + ")" : ""));
    report.begin("greeting");
    return channel;
}

void noteCapabilities(StepReport& report, std::vector<std::string> offered)
{
    report.capabilities = std::move(offered);
    std::string joined;
    for (const auto& c : report.capabilities)
        joined += (joined.empty() ? "" : " ") + c;
    report.note(serverText(joined, 2000));
}

void upgradeSessionChannel(LineChannel& channel, StepReport& report, const std::string& agreed)
{
    channel.upgradeToTls(); // refuses bytes that came before the handshake
    report.tls = channel.tlsDescription();
    report.note(report.tls, serverText(agreed));
}

void requireTlsForLogin(const LineChannel& channel)
{
    if (!channel.tls()) throw ProtocolError("a password is never sent without TLS");
}

} // namespace erpmail::transport
