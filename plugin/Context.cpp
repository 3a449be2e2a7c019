#include "erpmail/Context.h"

#include "erpmail/FaultPoint.h"
#include "erpmail/Module.h"
#include "erpmail/OperationError.h"
#include "store/EventRepository.h"
#include "store/RandomId.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/String.h>

#include <algorithm>
#include <sstream>

namespace erpmail {

Context::Context(const erp_host_api* host) : host_(host)
{
    databases_ = std::make_unique<store::DatabaseRegistry>(
        [this](const std::string& id) { return host_.connectionString(id); });
}

std::vector<DatabaseInfo> Context::databaseList() const
{
    std::vector<DatabaseInfo> out;
    Poco::JSON::Parser parser;
    auto array = parser.parse(host_.databasesJson()).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < array->size(); ++i) {
        auto item = array->getObject(static_cast<unsigned>(i));
        if (!item) continue;
        out.push_back({item->optValue<std::string>("id", ""), item->optValue<bool>("system", false)});
    }
    return out;
}

std::string Context::systemDatabaseId() const
{
    for (const auto& db : databaseList())
        if (db.system) return db.id;
    throw OperationError("unavailable", "the host marks no database as the system database");
}

store::ConnectionLease Context::systemWithEvents()
{
    const std::string id = systemDatabaseId();
    databases_->acquire(id, store::Scope::Mailbox);
    return databases_->acquire(id, store::Scope::System);
}

erp::sdk::Host::DocumentReader Context::documentReader(const Request& request) const
{
    return {request.user, host_.hasPermission(request.user, permission::Admin)};
}

std::optional<std::string> Context::documentVariable(const Request& request, const std::string& doctype,
                                                     const std::string& docId, const std::string& name,
                                                     const std::string& field) const
{
    try {
        return host_.resolveVariable(doctype, docId, name, documentReader(request));
    } catch (const erp::sdk::DocumentForbidden& e) {
        throw OperationError("forbidden", e.what(), field);
    }
}

std::optional<erp::sdk::Host::Document> Context::document(const Request& request, const std::string& doctype,
                                                          const std::string& docId, const std::string& field) const
{
    try {
        return host_.fetchDocument(doctype, docId, documentReader(request));
    } catch (const erp::sdk::DocumentForbidden& e) {
        throw OperationError("forbidden", e.what(), field);
    }
}

void Context::emit(const std::string& type, const Poco::JSON::Object::Ptr& payload) const
{
    host_.emit(type, toJson(payload));
}

std::string Context::recordEvent(store::Connection& db, const std::string& type, const std::string& accountId,
                                 Poco::JSON::Object::Ptr payload) const
{
    store::EventRecord event;
    event.eventId = store::randomUuid();
    event.type = type;
    event.accountId = accountId;
    payload->set("event_id", event.eventId);
    event.payload = toJson(payload);
    event.recordedAtMs = host_.nowMs();
    store::EventRepository(db).record(event);
    return event.eventId;
}

std::size_t Context::deliverEvents(store::Connection& db) const noexcept
{
    constexpr int kBatch = 200;
    // Long enough for the host to take a batch; after a crash in between,
    // the batch goes out again once it has passed.
    constexpr std::int64_t kClaimMs = 60'000;
    std::size_t delivered = 0;
    try {
        store::EventRepository events(db);
        for (;;) {
            const std::int64_t now = host_.nowMs();
            if (!events.unclaimed(now)) break;
            crashPoint("event-commit");
            // Claimed in a commit of its own and handed over outside any
            // transaction, so a slow host keeps no lock on the database.
            const std::string token = store::randomUuid();
            auto batch = events.claim(token, now, now + kClaimMs, kBatch);
            if (batch.empty()) break;
            for (const auto& e : batch)
                host_.emit(e.type, e.payload);
            events.removeClaimed(token);
            delivered += batch.size();
            if (batch.size() < static_cast<std::size_t>(kBatch)) break;
        }
    } catch (const std::exception& e) {
        log(ERP_LOG_WARNING, "erpmail.events",
            "events of database '" + db.databaseId() + "' wait for the next delivery: " + e.what());
    }
    return delivered;
}

void Context::log(erp_log_level level, const std::string& component, const std::string& message) const
{
    host_.log(level, component.c_str(), message);
}

std::string toJson(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var value;
    try {
        value = parser.parse(text.empty() ? std::string("{}") : text);
    } catch (const Poco::Exception& e) {
        throw OperationError("invalid_params", "params are not valid JSON: " + e.message());
    }
    if (value.type() != typeid(Poco::JSON::Object::Ptr))
        throw OperationError("invalid_params", "params must be a JSON object");
    return value.extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Object::Ptr parseStoredObject(const std::string& text)
{
    Poco::JSON::Parser parser;
    return parser.parse(text.empty() ? std::string("{}") : text).extract<Poco::JSON::Object::Ptr>();
}

int configInt(const Context& context, const std::string& key, int fallback, int least, int most)
{
    if (auto v = context.host().config(key)) {
        try {
            return std::clamp(std::stoi(*v), least, most);
        } catch (const std::exception&) {
            // not a number: the default
        }
    }
    return fallback;
}

bool configFlag(const Context& context, const std::string& key, bool fallback)
{
    auto v = context.host().config(key);
    if (!v) return fallback;
    std::string word = Poco::toLower(Poco::trim(*v));
    if (word == "yes" || word == "true" || word == "on" || word == "1") return true;
    if (word == "no" || word == "false" || word == "off" || word == "0") return false;
    return fallback;
}

} // namespace erpmail
