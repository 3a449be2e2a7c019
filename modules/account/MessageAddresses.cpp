// The account's address book: list, add or rename, remove.
#include "account/MessageService.h"

#include "account/JsonValues.h"
#include "mime/HeaderSafety.h"
#include "store/MessageRepository.h"

#include <Poco/JSON/Array.h>

namespace erpmail {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr MessageService::addressList(const Request& request)
{
    const auto& p = request.params;
    auto account = accounts_.requireOnline(p->getValue<std::string>("account"), request);
    const std::int64_t page = p->optValue<std::int64_t>("page", 1), size = p->optValue<std::int64_t>("page_size", 100);
    auto rows = accounts_.withMailbox(account, [&](store::Connection& c) {
        return store::MessageRepository(c).listAddresses(account.id, p->optValue<std::string>("search", ""),
                                                         (page - 1) * size, size);
    });
    Array::Ptr items = new Array;
    for (const auto& a : rows) {
        Object::Ptr o = new Object;
        o->set("email", a.email);
        o->set("name", orNull(a.displayName));
        o->set("last_seen_ms", a.lastSeenMs);
        items->add(o);
    }
    return jsonObject({{"items", items}});
}

Object::Ptr MessageService::addressUpsert(const Request& request)
{
    const auto& p = request.params;
    auto account = accounts_.requireOnline(p->getValue<std::string>("account"), request);
    const std::string email = p->getValue<std::string>("email");
    if (!mime::isValidMailbox(email)) throw invalidParam("email", "'" + email + "' is not a valid e-mail address");
    std::optional<std::string> name;
    if (p->has("name") && !p->isNull("name")) {
        name = p->getValue<std::string>("name");
        if (mime::hasControlCharacters(*name)) throw invalidParam("name", "name must not contain line breaks");
    }
    accounts_.withMailbox(account, [&](store::Connection& c) {
        store::MessageRepository(c).upsertAddress({account.id, email, name, accounts_.context().host().nowMs()});
        return 0;
    });
    Object::Ptr o = new Object;
    o->set("email", email);
    o->set("name", orNull(name));
    return o;
}

Object::Ptr MessageService::addressDelete(const Request& request)
{
    const auto& p = request.params;
    auto account = accounts_.requireOnline(p->getValue<std::string>("account"), request);
    bool removed = accounts_.withMailbox(account, [&](store::Connection& c) {
        return store::MessageRepository(c).removeAddress(account.id, p->getValue<std::string>("email"));
    });
    Object::Ptr o = new Object;
    o->set("deleted", removed);
    return o;
}

} // namespace erpmail
