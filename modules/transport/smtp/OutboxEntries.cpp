// Reading an outbox entry's stored lists: envelope recipients, recorded
// outcomes and document links.
#include "transport/smtp/OutboxEntries.h"

#include <Poco/JSON/Parser.h>

namespace erpmail {

namespace {

Poco::JSON::Array::Ptr storedArray(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Array::Ptr>();
}

} // namespace

const char* outcomeName(transport::SmtpOutcome::Kind kind)
{
    using Kind = transport::SmtpOutcome::Kind;
    if (kind == Kind::Sent) return "accepted";
    return kind == Kind::Permanent ? "refused_permanent" : "refused_temporary";
}

std::vector<std::string> envelopeRecipients(const store::OutboxEntry& entry)
{
    auto to = storedArray(entry.envelopeTo);
    std::vector<std::string> out;
    for (std::size_t r = 0; r < to->size(); ++r)
        out.push_back(to->getElement<std::string>(static_cast<unsigned>(r)));
    return out;
}

std::map<std::string, std::string> outcomesOf(const store::OutboxEntry& entry,
                                              const std::vector<store::OutboxRecipient>& answers)
{
    std::map<std::string, std::string> out;
    for (const auto* list : {&entry.recipients, &answers})
        for (const auto& r : *list)
            out[r.address] = r.outcome;
    return out;
}

std::vector<std::string> outstandingRecipients(const store::OutboxEntry& entry,
                                               const std::vector<store::OutboxRecipient>& answers)
{
    const auto settled = outcomesOf(entry, answers);
    std::vector<std::string> out;
    for (auto& address : envelopeRecipients(entry)) {
        auto it = settled.find(address);
        if (it == settled.end() || it->second == "refused_temporary") out.push_back(std::move(address));
    }
    return out;
}

Poco::JSON::Array::Ptr documentsOf(const store::OutboxEntry& entry)
{
    return storedArray(entry.documentLinks);
}

} // namespace erpmail
