#include "SchemaValidator.h"

#include "erpmail/OperationError.h"

#include <Poco/JSON/Array.h>
#include <Poco/RegularExpression.h>
#include <Poco/UTF8String.h>
#include <Poco/UnicodeConverter.h>

#include <cmath>
#include <cstdint>

namespace erpmail {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

std::string typeOf(const Var& v)
{
    if (v.isEmpty()) return "null";
    if (v.type() == typeid(Object::Ptr)) return "object";
    if (v.type() == typeid(Array::Ptr)) return "array";
    if (v.isBoolean()) return "boolean";
    if (v.isString()) return "string";
    if (v.isInteger()) return "integer";
    if (v.isNumeric()) {
        double d = v.convert<double>();
        return std::floor(d) == d ? "integer" : "number";
    }
    return "unknown";
}

// Operations read integers as 64-bit: a value beyond that range is the
// caller's error, not a failure of the operation.
bool fitsInt64(const Var& v)
{
    if (v.isInteger()) return v.isSigned() || v.convert<Poco::UInt64>() <= static_cast<Poco::UInt64>(INT64_MAX);
    const double d = v.convert<double>();
    return d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

bool typeMatches(const std::string& want, const std::string& have)
{
    return want == have || (want == "number" && have == "integer");
}

std::string join(const std::string& path, const std::string& key)
{
    return path.empty() ? key : path + "." + key;
}

std::size_t codePoints(const std::string& s)
{
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

void check(const Object::Ptr& schema, const Var& value, const std::string& path)
{
    const std::string field = path.empty() ? "params" : path;
    const std::string have = typeOf(value);

    if (schema->has("type")) {
        Var t = schema->get("type");
        bool ok = false;
        std::string wanted;
        if (t.type() == typeid(Array::Ptr)) {
            auto types = t.extract<Array::Ptr>();
            for (std::size_t i = 0; i < types->size(); ++i) {
                std::string w = types->getElement<std::string>(static_cast<unsigned>(i));
                wanted += (wanted.empty() ? "" : " or ") + w;
                ok = ok || typeMatches(w, have);
            }
        } else {
            wanted = t.toString();
            ok = typeMatches(wanted, have);
        }
        if (!ok) throw invalidParam(field, field + " must be " + wanted + ", not " + have);
        if (have == "integer" && !fitsInt64(value))
            throw invalidParam(field, field + " is out of range: " + value.toString());
    }

    if (schema->has("enum")) {
        auto options = schema->getArray("enum");
        bool found = false;
        std::string list;
        for (std::size_t i = 0; i < options->size(); ++i) {
            Var o = options->get(static_cast<unsigned>(i));
            list += (list.empty() ? "" : ", ") + o.toString();
            if (!value.isEmpty() && o.toString() == value.toString() && typeOf(o) == have) found = true;
        }
        if (!found) throw invalidParam(field, field + " must be one of: " + list);
    }

    if (have == "string") {
        std::string s = value.toString();
        std::size_t len = codePoints(s);
        if (schema->has("minLength") && len < schema->getValue<std::size_t>("minLength"))
            throw invalidParam(field,
                               field + " must have at least " + schema->get("minLength").toString() + " characters");
        if (schema->has("maxLength") && len > schema->getValue<std::size_t>("maxLength"))
            throw invalidParam(field,
                               field + " must have at most " + schema->get("maxLength").toString() + " characters");
        if (schema->has("pattern")) {
            // JSON Schema's pattern matches anywhere unless it is anchored, and its $
            // is the end of the text, not also before a final line break.
            const std::string pattern = schema->getValue<std::string>("pattern");
            Poco::RegularExpression::Match found;
            if (Poco::RegularExpression(pattern,
                                        Poco::RegularExpression::RE_UTF8 | Poco::RegularExpression::RE_DOLLAR_ENDONLY)
                    .match(s, found) == 0)
                throw invalidParam(field, field + " is not of the form " + pattern);
        }
    }

    if (have == "integer" || have == "number") {
        double d = value.convert<double>();
        if (schema->has("minimum") && d < schema->getValue<double>("minimum"))
            throw invalidParam(field, field + " must be at least " + schema->get("minimum").toString());
        if (schema->has("maximum") && d > schema->getValue<double>("maximum"))
            throw invalidParam(field, field + " must be at most " + schema->get("maximum").toString());
    }

    if (have == "object") {
        auto object = value.extract<Object::Ptr>();
        Object::Ptr properties = schema->has("properties") ? schema->getObject("properties") : nullptr;
        if (schema->has("required")) {
            auto required = schema->getArray("required");
            for (std::size_t i = 0; i < required->size(); ++i) {
                std::string key = required->getElement<std::string>(static_cast<unsigned>(i));
                if (!object->has(key) || object->isNull(key))
                    throw invalidParam(join(path, key), join(path, key) + " is required");
            }
        }
        bool closed = schema->has("additionalProperties") && schema->get("additionalProperties").isBoolean() &&
                      !schema->getValue<bool>("additionalProperties");
        for (const auto& entry : *object) {
            if (properties && properties->has(entry.first)) {
                check(properties->getObject(entry.first), entry.second, join(path, entry.first));
            } else if (closed) {
                throw invalidParam(join(path, entry.first), "unknown parameter " + join(path, entry.first));
            }
        }
    }

    if (have == "array") {
        auto array = value.extract<Array::Ptr>();
        if (schema->has("minItems") && array->size() < schema->getValue<std::size_t>("minItems"))
            throw invalidParam(field, field + " must have at least " + schema->get("minItems").toString() + " items");
        if (schema->has("maxItems") && array->size() > schema->getValue<std::size_t>("maxItems"))
            throw invalidParam(field, field + " must have at most " + schema->get("maxItems").toString() + " items");
        if (schema->has("items")) {
            auto items = schema->getObject("items");
            for (std::size_t i = 0; i < array->size(); ++i)
                check(items, array->get(static_cast<unsigned>(i)), field + "[" + std::to_string(i) + "]");
        }
    }
}

} // namespace

void validateAgainstSchema(const Poco::JSON::Object::Ptr& schema, const Poco::Dynamic::Var& value)
{
    check(schema, value, "");
}

} // namespace erpmail
