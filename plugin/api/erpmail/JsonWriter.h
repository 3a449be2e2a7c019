// JSON text written straight into a string, for answers of many rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace erpmail {

/// Writes JSON text member by member, without building Poco::JSON objects
/// first. The caller writes well-formed JSON (a key before each member's
/// value); commas go in by themselves. Strings are escaped exactly as
/// Poco::JSON::Stringifier escapes them, so an answer reads the same
/// either way, byte for byte when keys come in Poco's (sorted) order.
class JsonWriter {
public:
    JsonWriter& beginObject() { return open('{'); }
    JsonWriter& endObject() { return close('}'); }
    JsonWriter& beginArray() { return open('['); }
    JsonWriter& endArray() { return close(']'); }
    /// A member's name; its value comes next.
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(bool flag);
    JsonWriter& null();
    /// null when unset.
    JsonWriter& value(const std::optional<std::string>& text) { return text ? value(*text) : null(); }
    JsonWriter& value(const std::optional<std::int64_t>& number) { return number ? value(*number) : null(); }
    /// A value that is JSON text already (from toJson()).
    JsonWriter& raw(std::string_view json);

    /// The text written so far; the writer is empty afterwards.
    std::string take();

private:
    JsonWriter& open(char bracket);
    JsonWriter& close(char bracket);
    void separate();

    std::string out_;
    bool afterValue_ = false; ///< the next value or key needs a comma before it
};

} // namespace erpmail
