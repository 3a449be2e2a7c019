#include "textblock/TextBlockModule.h"

#include "erpmail/OperationError.h"
#include "mime/HeaderSafety.h"
#include "store/RandomId.h"
#include "store/TextBlockRepository.h"
#include "textblock/BlockCheck.h"
#include "textblock/BlockRenderer.h"
#include "textblock/TextTemplate.h"

#include <Poco/JSON/Array.h>

#include <map>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

constexpr const char* kBlockFields =
    R"("name":{"type":"string","minLength":1,"maxLength":200},
       "subject":{"type":["string","null"],"maxLength":2000},
       "text":{"type":["string","null"],"maxLength":1000000},
       "html":{"type":["string","null"],"maxLength":4000000},
       "doctypes":{"type":"array","maxItems":50,"items":{"type":"string","pattern":"^[a-z0-9_-]{1,50}$"}},
       "signature":{"type":"boolean"},
       "allow_empty":{"type":"boolean"})";

// Sets key to the text, or to null.
void setOptional(Object::Ptr o, const char* key, const std::optional<std::string>& v)
{
    if (v) o->set(key, *v);
    else o->set(key, Poco::Dynamic::Var());
}

Object::Ptr blockJson(const store::TextBlockRecord& b)
{
    Object::Ptr o = new Object;
    o->set("id", b.id);
    o->set("account", b.accountId);
    o->set("name", b.name);
    setOptional(o, "subject", b.subject);
    setOptional(o, "text", b.bodyText);
    setOptional(o, "html", b.bodyHtml);
    Array::Ptr types = new Array;
    for (const auto& t : b.doctypes) types->add(t);
    o->set("doctypes", types);
    o->set("signature", b.signature);
    o->set("allow_empty", b.allowEmpty);
    o->set("created_at_ms", b.createdAtMs);
    o->set("updated_at_ms", b.updatedAtMs);
    o->set("updated_by", b.updatedBy);
    return o;
}

// Copies the fields params give into the block; null clears an optional one.
void readFields(const Object::Ptr& p, store::TextBlockRecord& b)
{
    if (p->has("name")) {
        b.name = p->getValue<std::string>("name");
        if (mime::hasControlCharacters(b.name)) throw invalidParam("name", "a block's name must be one line");
    }
    auto optional = [&](const char* key, std::optional<std::string>& into) {
        if (!p->has(key)) return;
        if (p->isNull(key)) into.reset();
        else into = p->getValue<std::string>(key);
    };
    optional("subject", b.subject);
    optional("text", b.bodyText);
    optional("html", b.bodyHtml);
    if (p->has("doctypes")) {
        b.doctypes.clear();
        auto a = p->getArray("doctypes");
        for (std::size_t i = 0; i < a->size(); ++i) b.doctypes.push_back(a->getElement<std::string>(static_cast<unsigned>(i)));
    }
    if (p->has("signature")) b.signature = p->getValue<bool>("signature");
    if (p->has("allow_empty")) b.allowEmpty = p->getValue<bool>("allow_empty");
}


class TextBlockModule : public Module {
public:
    TextBlockModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer)
        : context_(context), accounts_(accounts), authorizer_(authorizer)
    {
    }
    std::string id() const override { return "textblock"; }
    std::string summary() const override { return "Text blocks with variables from host documents"; }
    std::vector<std::string> dependencies() const override { return {"account"}; }
    std::vector<Operation> operations() override;

private:
    Poco::JSON::Object::Ptr preview(const Request& request);
    Poco::JSON::Object::Ptr check(const Request& request);
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
    AccountDirectory& accounts_;
    Authorizer& authorizer_;
};

} // namespace

std::vector<Operation> TextBlockModule::operations()
{
    auto bind = [this](Object::Ptr (TextBlockModule::*fn)(const Request&)) {
        return [this, fn](const Request& r) { return (this->*fn)(r); };
    };
    const std::string fields = kBlockFields;
    return {
        {"mail.textblock.preview",
         "Fills the {{variables}} of a text from given values or from a host document, and lists any left unfilled",
         R"({"type":"object","additionalProperties":false,"required":["text"],
             "properties":{"text":{"type":"string","maxLength":1000000},
                           "doctype":{"type":"string","minLength":1,"maxLength":100},
                           "doc_id":{"type":"string","minLength":1,"maxLength":200},
                           "variables":{"type":"object"}}})",
         permission::Use, bind(&TextBlockModule::preview)},
        {"mail.textblock.check",
         "Checks a text block as it is written, without saving it: ok, or the field and the message (every "
         "problem's line, column and variable) that saving would refuse it with",
         R"({"type":"object","additionalProperties":false,
             "properties":{)" + fields + "}}",
         permission::Use, bind(&TextBlockModule::check)},
        {"mail.textblock.create",
         "Saves a new text block of an account, checked first: every placeholder, format, {{#if}} and variable",
         R"({"type":"object","additionalProperties":false,"required":["account","name"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36},)" +
             fields + "}}",
         permission::Use, bind(&TextBlockModule::create)},
        {"mail.textblock.update", "Changes a text block; it is checked again as a whole before it is saved",
         R"({"type":"object","additionalProperties":false,"required":["id"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36},)" +
             fields + "}}",
         permission::Use, bind(&TextBlockModule::update)},
        {"mail.textblock.delete", "Deletes a text block",
         R"({"type":"object","additionalProperties":false,"required":["id"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36}}})",
         permission::Use, bind(&TextBlockModule::remove)},
        {"mail.textblock.list", "An account's text blocks by name; with a doctype, those meant for it",
         R"({"type":"object","additionalProperties":false,"required":["account"],
             "properties":{"account":{"type":"string","minLength":1,"maxLength":36},
                           "doctype":{"type":"string","pattern":"^[a-z0-9_-]{1,50}$"}}})",
         permission::Use, bind(&TextBlockModule::list)},
        {"mail.textblock.get", "One text block",
         R"({"type":"object","additionalProperties":false,"required":["id"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36}}})",
         permission::Use, bind(&TextBlockModule::get)},
        {"mail.textblock.variables",
         "What a text block may insert, for the [Insert variable] picker: the built-ins and a document type's "
         "variables, each with its type and an example",
         R"({"type":"object","additionalProperties":false,
             "properties":{"doctype":{"type":"string","pattern":"^[a-z0-9_-]{1,50}$"}}})",
         permission::Use, bind(&TextBlockModule::variables)},
        {"mail.textblock.render",
         "Fills a text block for one host document as the acting user reads it: the subject, text and HTML a "
         "mail would get (the preview with a real invoice)",
         R"({"type":"object","additionalProperties":false,"required":["id"],
             "properties":{"id":{"type":"string","minLength":1,"maxLength":36},
                           "doctype":{"type":"string","minLength":1,"maxLength":100},
                           "doc_id":{"type":"string","minLength":1,"maxLength":200},
                           "text":{"type":"string","maxLength":1000000},
                           "to":{"type":"object","additionalProperties":false,
                                 "properties":{"name":{"type":"string","maxLength":200},
                                               "email":{"type":"string","maxLength":320}}}}})",
         permission::Use, bind(&TextBlockModule::render)},
    };
}

std::pair<store::TextBlockRecord, store::AccountRecord> TextBlockModule::requireBlock(const std::string& id,
                                                                                     const Request& request,
                                                                                     bool change)
{
    auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    auto block = store::TextBlockRepository(*system).find(id);
    if (!block) throw OperationError("not_found", "no text block '" + id + "'", "id");
    store::AccountRecord account;
    try {
        account = accounts_.requireVisible(block->accountId, request);
    } catch (const OperationError& e) {
        if (e.code() != "forbidden") throw;
        throw OperationError("not_found", "no text block '" + id + "'", "id"); // not even that it exists
    }
    if (change && !authorizer_.allows(account, request, AccountRight::Configure))
        throw OperationError("forbidden", "only who may change account '" + account.label +
                                              "' may change its text blocks: its owner and admins");
    return {*block, account};
}

Object::Ptr TextBlockModule::save(store::TextBlockRecord block, bool isNew)
{
    textblock::Catalogue catalogue(context_);
    auto warnings = textblock::checkBlock(block, catalogue);
    auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    store::TextBlockRepository blocks(*system);
    store::Transaction tx(*system);
    auto same = blocks.findByName(block.accountId, block.name);
    if (same && same->id != block.id)
        throw OperationError("conflict", "the account has a text block named '" + block.name + "' already", "name");
    if (block.signature) {
        auto signature = blocks.signatureOf(block.accountId);
        if (signature && signature->id != block.id)
            throw OperationError("conflict",
                                 "the account's signature is block '" + signature->name +
                                     "' already; make that one an ordinary block first",
                                 "signature");
    }
    try {
        if (isNew) blocks.insert(block);
        else blocks.update(block);
        tx.commit();
    } catch (const store::ConstraintViolation&) {
        // Another user saved a block of that name, or a signature, meanwhile.
        throw OperationError("conflict", "the account got a text block named '" + block.name +
                                             "' or a signature meanwhile; look again and save once more");
    }
    auto result = blockJson(block);
    Array::Ptr w = new Array;
    for (const auto& s : warnings) w->add(s);
    result->set("warnings", w);
    return result;
}

Object::Ptr TextBlockModule::check(const Request& request)
{
    textblock::Catalogue catalogue(context_);
    Object::Ptr result = new Object;
    Array::Ptr w = new Array;
    try {
        store::TextBlockRecord block;
        readFields(request.params, block);
        for (const auto& s : textblock::checkBlock(block, catalogue)) w->add(s);
        result->set("ok", true);
    } catch (const OperationError& e) {
        if (e.code() != "invalid_params") throw;
        result->set("ok", false);
        result->set("field", e.field());
        result->set("message", e.what());
    }
    result->set("warnings", w);
    return result;
}

Object::Ptr TextBlockModule::create(const Request& request)
{
    const auto& p = request.params;
    auto account = accounts_.requireVisible(p->getValue<std::string>("account"), request);
    if (!authorizer_.allows(account, request, AccountRight::Configure))
        throw OperationError("forbidden", "only who may change account '" + account.label +
                                              "' may add text blocks to it: its owner and admins");
    store::TextBlockRecord block;
    block.id = store::randomUuid();
    block.accountId = account.id;
    readFields(p, block);
    block.createdAtMs = block.updatedAtMs = context_.host().nowMs();
    block.updatedBy = request.user;
    return save(std::move(block), true);
}

Object::Ptr TextBlockModule::update(const Request& request)
{
    auto [block, account] = requireBlock(request.params->getValue<std::string>("id"), request, true);
    readFields(request.params, block);
    block.updatedAtMs = context_.host().nowMs();
    block.updatedBy = request.user;
    return save(std::move(block), false);
}

Object::Ptr TextBlockModule::remove(const Request& request)
{
    auto [block, account] = requireBlock(request.params->getValue<std::string>("id"), request, true);
    auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    store::TextBlockRepository(*system).remove(block.id);
    Object::Ptr result = new Object;
    result->set("id", block.id);
    result->set("deleted", true);
    return result;
}

Object::Ptr TextBlockModule::list(const Request& request)
{
    const auto& p = request.params;
    auto account = accounts_.requireVisible(p->getValue<std::string>("account"), request);
    auto system = context_.databases().acquire(context_.systemDatabaseId(), store::Scope::System);
    std::optional<std::string> doctype;
    if (p->has("doctype")) doctype = p->getValue<std::string>("doctype");
    Array::Ptr items = new Array;
    for (const auto& b : store::TextBlockRepository(*system).list(account.id, doctype)) items->add(blockJson(b));
    Object::Ptr result = new Object;
    result->set("account", account.id);
    result->set("items", items);
    return result;
}

Object::Ptr TextBlockModule::get(const Request& request)
{
    return blockJson(requireBlock(request.params->getValue<std::string>("id"), request, false).first);
}

Object::Ptr TextBlockModule::variables(const Request& request)
{
    std::optional<std::string> doctype;
    if (request.params->has("doctype")) doctype = request.params->getValue<std::string>("doctype");
    textblock::Catalogue catalogue(context_);
    Array::Ptr items = new Array;
    for (const auto& v : catalogue.list(doctype)) {
        Object::Ptr o = new Object;
        o->set("name", v.name);
        o->set("description", v.description);
        o->set("type", v.type);
        o->set("example", v.example);
        if (!v.doctype.empty()) o->set("doctype", v.doctype);
        items->add(o);
    }
    Object::Ptr result = new Object;
    result->set("items", items);
    result->set("documents_listed", catalogue.checksDocuments());
    return result;
}

Object::Ptr TextBlockModule::render(const Request& request)
{
    const auto& p = request.params;
    auto [block, account] = requireBlock(p->getValue<std::string>("id"), request, false);
    const std::string doctype = p->optValue<std::string>("doctype", ""), docId = p->optValue<std::string>("doc_id", "");
    if (doctype.empty() != docId.empty())
        throw invalidParam(doctype.empty() ? "doctype" : "doc_id", "doctype and doc_id go together");
    textblock::RenderInput input;
    if (!doctype.empty()) input.document = textblock::DocumentRef{doctype, docId};
    input.body = p->optValue<std::string>("text", "");
    if (p->has("to")) {
        auto to = p->getObject("to");
        input.recipientName = to->optValue<std::string>("name", "");
        input.recipientEmail = to->optValue<std::string>("email", "");
    }
    auto filled = textblock::BlockRenderer(context_).render(request, account, block, input);
    Object::Ptr result = new Object;
    result->set("id", block.id);
    setOptional(result, "subject", filled.subject);
    setOptional(result, "text", filled.text);
    setOptional(result, "html", filled.html);
    return result;
}

Poco::JSON::Object::Ptr TextBlockModule::preview(const Request& request)
{
    const auto& p = request.params;
    const std::string doctype = p->optValue<std::string>("doctype", "");
    const std::string docId = p->optValue<std::string>("doc_id", "");
    if (doctype.empty() != docId.empty())
        throw invalidParam(doctype.empty() ? "doctype" : "doc_id", "doctype and doc_id go together");
    Poco::JSON::Object::Ptr given = p->has("variables") ? p->getObject("variables") : nullptr;

    // One host call per name, however often the text uses it.
    std::map<std::string, std::optional<std::string>> fromHost;
    auto lookup = [&](const std::string& name) -> std::optional<std::string> {
        if (given && given->has(name) && !given->isNull(name)) return given->get(name).toString();
        if (doctype.empty()) return std::nullopt;
        auto known = fromHost.find(name);
        if (known == fromHost.end())
            known = fromHost.emplace(name, context_.documentVariable(request, doctype, docId, name, "doctype")).first;
        return known->second;
    };
    RenderedText rendered;
    try {
        rendered = renderTemplate(p->getValue<std::string>("text"), lookup);
    } catch (const RenderedTextTooLarge&) {
        throw invalidParam("text", "the filled text would be larger than " +
                                       std::to_string(kMaxRenderedTextBytes >> 20) +
                                       " MiB, the limit of mail.textblock.preview: a variable is used too often or "
                                       "its value is too long");
    }

    Poco::JSON::Object::Ptr result = new Poco::JSON::Object;
    result->set("text", rendered.text);
    Poco::JSON::Array::Ptr used = new Poco::JSON::Array, missing = new Poco::JSON::Array;
    for (const auto& n : rendered.used) used->add(n);
    for (const auto& n : rendered.missing) missing->add(n);
    result->set("used", used);
    result->set("missing", missing);
    return result;
}

std::unique_ptr<Module> makeTextBlockModule(Context& context, AccountDirectory& accounts, Authorizer& authorizer)
{
    return std::make_unique<TextBlockModule>(context, accounts, authorizer);
}

} // namespace erpmail
