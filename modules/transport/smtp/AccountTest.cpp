// The account test: the SMTP side through SmtpConnection with the settings
// sending uses, the incoming side through the account module's fetcher.
#include "transport/smtp/AccountTest.h"

#include "erpmail/AccountSettings.h"
#include "transport/common/ServerProbe.h"
#include "transport/smtp/AccountSmtp.h"

#include <optional>

namespace erpmail {

namespace {

using Poco::JSON::Object;
using transport::SmtpOutcome;

/// Signs in to the account's SMTP server and out again, each step reported.
Object::Ptr testSmtp(const SendPath& path, const store::AccountRecord& account, bool checkSender)
{
    auto settings = smtpSettingsOf(path, account);
    StepReport report;
    settings.report = &report;
    std::optional<transport::SmtpSetupError> refused;
    try {
        transport::SmtpConnection connection(settings);
        if (settings.authenticate)
            report.note("logged in as " + settings.user + " with AUTH " + connection.authMechanism());
        report.mechanism = connection.authMechanism();
        if (checkSender && account.senderEmail) {
            report.begin("mail_from");
            auto accepted = connection.checkSender(*account.senderEmail);
            report.note(accepted.kind == SmtpOutcome::Kind::Sent ? "<" + *account.senderEmail + "> accepted"
                                                                 : accepted.answer,
                        accepted.answer);
            if (accepted.kind != SmtpOutcome::Kind::Sent) throw transport::SmtpSetupError(accepted);
        }
        report.succeed();
        connection.quit();
    } catch (const transport::SmtpSetupError& e) {
        report.fail(e.what());
        refused = e;
    }
    Object::Ptr smtp = report.toJson();
    if (refused) {
        smtp->set("error", std::string(refused->what()));
        smtp->set("temporary", refused->outcome().kind == SmtpOutcome::Kind::Temporary);
    }
    return smtp;
}

/// Signs in to the account's incoming server as a fetch does, each step reported.
Object::Ptr testIncoming(const SendPath& path, const store::AccountRecord& account)
{
    StepReport report;
    transport::runReported(report, [&] { path.accounts.fetchers.testIncomingLogin(account, report); });
    return report.toJson();
}

} // namespace

Object::Ptr testAccount(const SendPath& path, const Request& request)
{
    auto account = path.accounts.directory.requireVisible(request.params->getValue<std::string>("id"), request);
    if (!path.accounts.authorizer.allows(account, request, AccountRight::Configure))
        throw OperationError("forbidden", "only who may change account '" + account.label + "' may test it");
    const AccountSettings settings = AccountSettings::of(account);
    Object::Ptr result = new Object;
    // Each side runs the session class and settings that send or fetch use.
    if (settings.smtp)
        result->set("smtp", testSmtp(path, account, request.params->optValue<bool>("check_sender", false)));
    if (settings.incoming) result->set("incoming", testIncoming(path, account));
    bool ok = true;
    for (const char* side : {"smtp", "incoming"})
        if (result->has(side)) ok = ok && result->getObject(side)->getValue<bool>("ok");
    result->set("ok", ok);
    return result;
}

} // namespace erpmail
