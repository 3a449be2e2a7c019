// Composing mail.send: the sending account, the addresses, the bodies (given,
// or filled from a text block) and signature, the attachments, and the size
// cap while it is put together.
#include "transport/smtp/Compose.h"

#include "transport/smtp/AccountSmtp.h"
#include "transport/smtp/AttachmentSources.h"
#include "transport/smtp/TextBlockFill.h"

#include <Poco/JSON/Array.h>

namespace erpmail {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

std::vector<mime::Address> addressList(const Object::Ptr& params, const std::string& key)
{
    std::vector<mime::Address> out;
    if (!params->has(key)) return out;
    auto array = params->getArray(key);
    for (std::size_t i = 0; i < array->size(); ++i) {
        Var item = array->get(static_cast<unsigned>(i));
        const std::string field = key + "[" + std::to_string(i) + "]";
        if (item.isString()) {
            out.push_back({"", item.toString()});
        } else if (item.type() == typeid(Object::Ptr)) {
            auto o = item.extract<Object::Ptr>();
            if (!o->has("email")) throw invalidParam(field + ".email", field + " needs an email");
            out.push_back({o->optValue<std::string>("name", ""), o->getValue<std::string>("email")});
        } else {
            throw invalidParam(field, field + " must be an address or {\"email\",\"name\"}");
        }
    }
    return out;
}

} // namespace

store::AccountRecord senderAccount(const SendPath& path, const Request& request)
{
    const auto& p = request.params;
    store::AccountRecord account;
    if (p->has("account")) {
        account = path.accounts.authorizer.requireOnline(p->getValue<std::string>("account"), request, AccountRight::Send);
    } else {
        auto main = path.accounts.directory.mainAccountOf(request.user);
        if (!main) throw invalidParam("account", "you own no account to send from; name one");
        account = path.accounts.authorizer.requireOnline(main->id, request, AccountRight::Send);
    }
    if (p->optValue<bool>("e_printing", false) && account.kind != "public")
        throw invalidParam("e_printing",
                           "E-Printing sends for everyone and needs a public account, not '" + account.label + "'");
    if (!account.senderEmail) throw invalidParam("account", "account '" + account.label + "' has no sender e-mail");
    smtpSettingsOf(path, account, false); // fails now, not in the worker, when SMTP is missing
    return account;
}

ComposedMail compose(const SendPath& path, const Request& request, const store::AccountRecord& sender, bool relaySafe)
{
    const auto& p = request.params;
    mime::OutgoingMessage m;
    m.from = {sender.senderName.value_or(""), sender.senderEmail.value_or("")};
    m.to = addressList(p, "to");
    m.cc = addressList(p, "cc");
    m.bcc = addressList(p, "bcc");
    m.subject = p->optValue<std::string>("subject", "");
    m.text = p->optValue<std::string>("text", "");
    m.html = p->optValue<std::string>("html", "");
    if (p->has("textblock")) fillFromTextBlock(path, request, sender, m);
    if (!p->has("subject") && m.subject.empty())
        throw invalidParam("subject", p->has("textblock") ? "the text block has no subject: give one" : "give a subject");
    if (m.text.empty() && m.html.empty()) throw invalidParam("text", "give a text or an HTML body");
    addSignature(path, request, sender, m);

    // A few small document references can stand for many large documents:
    // the mail is capped as it is put together, not once it is built.
    const int maxMb = path.settings.maxMessageMb;
    const std::size_t maxMessage = static_cast<std::size_t>(maxMb) << 20;
    auto tooLarge = [&](const std::string& field) {
        return invalidParam(field, "the mail would be larger than " + std::to_string(maxMb) +
                                       " MiB (erpmail.send.max_message_mb)");
    };
    std::size_t composedBytes = m.text.size() + m.html.size();
    if (p->has("attachments")) {
        auto list = p->getArray("attachments");
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string field = "attachments[" + std::to_string(i) + "]";
            mime::OutgoingAttachment attachment =
                attachmentFrom(path.context, request, list->getObject(static_cast<unsigned>(i)), field);
            composedBytes += attachment.bytes.size() / 3 * 4;
            if (composedBytes > maxMessage) throw tooLarge(field);
            m.attachments.push_back(std::move(attachment));
        }
    }
    m.dateMs = path.context.host().nowMs();
    m.relaySafe = relaySafe;

    ComposedMail out;
    try {
        out.message = mime::composeMessage(m);
    } catch (const mime::CompositionError& e) {
        throw invalidParam(e.field(), e.what());
    }
    if (out.message.raw.size() > maxMessage) throw tooLarge(m.attachments.empty() ? "text" : "attachments");
    out.dateMs = m.dateMs;
    return out;
}

} // namespace erpmail
