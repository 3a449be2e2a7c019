// Which messages a legal hold keeps from the retention rules.
#include "retention/LegalHold.h"

#include "retention/RetentionCalendar.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <utility>

namespace erpmail::retention {

using Poco::JSON::Array;

HoldCheck::HoldCheck(Context& context, std::int64_t nowMs) : context_(context), nowMs_(nowMs)
{
    if (context.host().config("erpmail.retention.keep_linked_days"))
        keepDays_ = configInt(context, "erpmail.retention.keep_linked_days", 0, 0, 3650000);
}

std::vector<bool> HoldCheck::held(const std::vector<store::ExpiringMessage>& messages) const
{
    std::vector<bool> out(messages.size(), false);
    Poco::JSON::Parser parser;
    Array::Ptr asked = new Array;
    std::vector<std::pair<std::size_t, std::size_t>> spans(messages.size(), {0, 0}); // links of message i
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].documentLinks == "[]" || messages[i].documentLinks.empty()) continue;
        Array::Ptr links;
        try {
            links = parser.parse(messages[i].documentLinks).extract<Array::Ptr>();
        } catch (const std::exception&) {
            out[i] = true; // links it cannot read: kept, to be safe
            continue;
        }
        parser.reset();
        if (!links || links->size() == 0) continue;
        if (!context_.host().answersLegalHolds()) {
            out[i] = keptByRule(messages[i].storedAtMs);
            continue;
        }
        spans[i] = {asked->size(), asked->size() + links->size()};
        for (std::size_t k = 0; k < links->size(); ++k)
            asked->add(links->get(static_cast<unsigned>(k)));
    }
    if (asked->size() == 0) return out;
    std::ostringstream text;
    asked->stringify(text);
    auto answer = context_.host().documentsOnHold(text.str());
    auto flags = parser.parse(answer.value_or("[]")).extract<Array::Ptr>();
    if (!flags || flags->size() != asked->size())
        throw erp::sdk::HostError("host documents_on_hold answered " + std::to_string(flags ? flags->size() : 0) +
                                  " flags for " + std::to_string(asked->size()) + " documents");
    for (std::size_t i = 0; i < messages.size(); ++i)
        for (std::size_t k = spans[i].first; k < spans[i].second; ++k)
            if (flags->get(static_cast<unsigned>(k)).convert<bool>()) out[i] = true;
    return out;
}

bool HoldCheck::keptByRule(std::int64_t storedAtMs) const
{
    const std::int64_t until = keepDays_ >= 0 ? storedAtMs + keepDays_ * kDayMs : startOfYearAfter(storedAtMs, 11);
    return nowMs_ < until;
}

} // namespace erpmail::retention
