// Text blocks: an account's named blocks and its signature, filled with
// variables from the host's documents.
#pragma once

#include "erpmail/AccountAccess.h"
#include "erpmail/Context.h"
#include "erpmail/Module.h"

namespace erpmail {

namespace store {
struct TextBlockRecord;
}

class TextBlockModule : public Module {
public:
    TextBlockModule(Context& context, AccountAccess& accounts) : context_(context), accounts_(accounts) {}
    std::string id() const override { return "textblock"; }
    std::string summary() const override { return "Text blocks with variables from host documents"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;

private:
    Poco::JSON::Object::Ptr preview(const Request& request);
    Poco::JSON::Object::Ptr create(const Request& request);
    Poco::JSON::Object::Ptr update(const Request& request);
    Poco::JSON::Object::Ptr remove(const Request& request);
    Poco::JSON::Object::Ptr list(const Request& request);
    Poco::JSON::Object::Ptr get(const Request& request);
    Poco::JSON::Object::Ptr variables(const Request& request);
    Poco::JSON::Object::Ptr render(const Request& request);

    /// The block and its account, if the request may see the account;
    /// with `change`, only when it may change the account's blocks.
    std::pair<store::TextBlockRecord, store::AccountRecord> requireBlock(const std::string& id, const Request& request,
                                                                        bool change);
    /// Checks and writes a new or changed block in one transaction.
    Poco::JSON::Object::Ptr save(store::TextBlockRecord block, bool isNew);

    Context& context_;
    AccountAccess& accounts_;
};

} // namespace erpmail
