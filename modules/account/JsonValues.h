// Small builders for the JSON answers of the account operations.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <initializer_list>
#include <optional>
#include <utility>

namespace erpmail {

/// An optional value as JSON: null when unset.
template <class T> Poco::Dynamic::Var orNull(const std::optional<T>& value)
{
    return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

/// An object with the given members, built in one expression.
inline Poco::JSON::Object::Ptr jsonObject(std::initializer_list<std::pair<const char*, Poco::Dynamic::Var>> members)
{
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    for (const auto& [key, value] : members)
        o->set(key, value);
    return o;
}

} // namespace erpmail
