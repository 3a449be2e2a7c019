#include "retention/RetentionPolicy.h"

#include "erpmail/OperationError.h"

namespace erpmail {

namespace {

std::optional<int> readBounded(const Poco::JSON::Object::Ptr& json, const std::string& prefix, const char* key,
                               long long low, long long high, const char* unit)
{
    if (!json->has(key) || json->isNull(key)) return std::nullopt;
    const std::string field = prefix.empty() ? key : prefix + "." + key;
    Poco::Dynamic::Var v = json->get(key);
    if (!v.isNumeric() || v.isString())
        throw invalidParam(field, field + " must be a whole number of " + unit);
    double d = v.convert<double>();
    if (d != static_cast<double>(static_cast<long long>(d)))
        throw invalidParam(field, field + " must be a whole number of " + unit);
    auto n = static_cast<long long>(d);
    if (n < low || n > high)
        throw invalidParam(field, field + " must be between " + std::to_string(low) + " and " + std::to_string(high) +
                                      " " + unit + ", not " + std::to_string(n));
    return static_cast<int>(n);
}

} // namespace

RetentionPolicy RetentionPolicy::fromJson(const Poco::JSON::Object::Ptr& json, const std::string& prefix)
{
    RetentionPolicy p;
    if (!json) return p;
    p.emptyTrashAfterDays = readBounded(json, prefix, "empty_trash_after_days", 1, 3650, "days");
    p.attachmentsLargerThanKb = readBounded(json, prefix, "attachments_larger_than_kb", 1, 10485760, "kB");
    p.attachmentsAfterDays = readBounded(json, prefix, "attachments_after_days", 1, 3650, "days");
    p.deleteMessagesAfterMonths = readBounded(json, prefix, "delete_messages_after_months", 1, 1200, "months");
    if (p.attachmentsLargerThanKb.has_value() != p.attachmentsAfterDays.has_value()) {
        const char* missing = p.attachmentsLargerThanKb ? "attachments_after_days" : "attachments_larger_than_kb";
        std::string field = prefix.empty() ? missing : prefix + "." + missing;
        throw invalidParam(field, "deleting large attachments needs both a size and an age; " + field + " is missing");
    }
    return p;
}

Poco::JSON::Object::Ptr RetentionPolicy::toJson() const
{
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
    auto put = [&](const char* key, const std::optional<int>& v) {
        if (v) json->set(key, *v);
    };
    put("empty_trash_after_days", emptyTrashAfterDays);
    put("attachments_larger_than_kb", attachmentsLargerThanKb);
    put("attachments_after_days", attachmentsAfterDays);
    put("delete_messages_after_months", deleteMessagesAfterMonths);
    return json;
}

std::string RetentionPolicy::describe() const
{
    std::string out;
    if (emptyTrashAfterDays) out += "Trash is emptied after " + std::to_string(*emptyTrashAfterDays) + " days. ";
    if (attachmentsLargerThanKb)
        out += "Attachments larger than " + std::to_string(*attachmentsLargerThanKb) + " kB are deleted after " +
               std::to_string(*attachmentsAfterDays) + " days. ";
    if (deleteMessagesAfterMonths)
        out += "Messages are deleted after " + std::to_string(*deleteMessagesAfterMonths) + " months. ";
    if (out.empty()) return "Nothing is deleted automatically.";
    out.pop_back();
    return out;
}

} // namespace erpmail
