#include "retention/RetentionModule.h"

#include "retention/RetentionPolicy.h"

namespace erpmail {

std::vector<Operation> RetentionModule::operations()
{
    return {{"mail.retention.validate",
             "Checks a set of retention rules and says in words what they will delete",
             R"({"type":"object","additionalProperties":false,
                 "properties":{"empty_trash_after_days":{"type":["integer","null"]},
                               "attachments_larger_than_kb":{"type":["integer","null"]},
                               "attachments_after_days":{"type":["integer","null"]},
                               "delete_messages_after_months":{"type":["integer","null"]}}})",
             permission::Use, [](const Request& r) {
                 RetentionPolicy policy = RetentionPolicy::fromJson(r.params);
                 Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
                 result->set("policy", policy.toJson());
                 result->set("description", policy.describe());
                 return result;
             }}};
}

} // namespace erpmail
