#include "transport/smtp/TextBlockFill.h"

#include "store/TextBlockRepository.h"
#include "textblock/BlockRenderer.h"
#include "textblock/Template.h"

#include <Poco/JSON/Array.h>

namespace erpmail {

namespace {

textblock::RenderInput renderInput(const Request& request, const mime::OutgoingMessage& message)
{
    const auto& p = request.params;
    textblock::RenderInput input;
    if (p->has("documents") && p->getArray("documents")->size() > 0) {
        auto first = p->getArray("documents")->getObject(0);
        input.document = textblock::DocumentRef{first->getValue<std::string>("doctype"), first->getValue<std::string>("id")};
    }
    input.body = p->optValue<std::string>("text", "");
    if (!message.to.empty()) {
        input.recipientName = message.to.front().name;
        input.recipientEmail = message.to.front().email;
    }
    return input;
}

bool usesBody(const std::optional<std::string>& source)
{
    if (!source) return false;
    const textblock::Template parsed = textblock::Template::parse(*source);
    for (const auto& use : parsed.variables())
        if (use.name == "body") return true;
    return false;
}

} // namespace

void fillFromTextBlock(const SendPath& path, const Request& request, const store::AccountRecord& sender,
                       mime::OutgoingMessage& message)
{
    const auto& p = request.params;
    const std::string named = p->getValue<std::string>("textblock");
    std::optional<store::TextBlockRecord> block;
    {
        auto system = path.context.databases().acquire(path.context.systemDatabaseId(), store::Scope::System);
        store::TextBlockRepository blocks(*system);
        block = blocks.find(named);
        if (!block) block = blocks.findByName(sender.id, named);
    }
    if (!block || block->accountId != sender.id)
        throw invalidParam("textblock", "account '" + sender.label + "' has no text block '" + named + "'");
    if (p->has("html"))
        throw invalidParam("html", "a mail from text block '" + block->name +
                                       "' takes its HTML from the block; give your words as text, for {{ body }}");
    if (p->has("text") && !usesBody(block->bodyText) && !usesBody(block->bodyHtml))
        throw invalidParam("text", "text block '" + block->name +
                                       "' has no {{ body }} for the text you wrote; add one, or leave the text out");
    textblock::RenderInput input = renderInput(request, message);
    input.withSubject = !p->has("subject");
    auto filled = textblock::BlockRenderer(path.context).render(request, sender, *block, input);
    if (filled.subject) message.subject = *filled.subject;
    message.text = filled.text.value_or("");
    message.html = filled.html.value_or("");
}

void addSignature(const SendPath& path, const Request& request, const store::AccountRecord& sender,
                  mime::OutgoingMessage& message)
{
    if (!sender.alwaysSignature || !request.params->optValue<bool>("signature", true)) return;
    std::string text, html;
    std::optional<store::TextBlockRecord> block;
    {
        auto system = path.context.databases().acquire(path.context.systemDatabaseId(), store::Scope::System);
        block = store::TextBlockRepository(*system).signatureOf(sender.id);
    }
    if (block) {
        auto filled = textblock::BlockRenderer(path.context).render(request, sender, *block, renderInput(request, message));
        text = filled.text.value_or("");
        html = filled.html ? *filled.html : textblock::htmlLines(text);
    } else if (sender.signature && !sender.signature->empty()) {
        text = *sender.signature;
        html = textblock::htmlLines(text);
    }
    if (!text.empty() && !message.text.empty() && message.text.find(text) == std::string::npos)
        message.text += "\n-- \n" + text + "\n";
    if (!html.empty() && !message.html.empty() && message.html.find(html) == std::string::npos)
        message.html += "<p>-- <br>" + html + "</p>";
}

} // namespace erpmail
