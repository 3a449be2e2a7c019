// What a module is to the plugin: an id, dependencies, permissions and
// operations, with start and stop. Modules implement this; the plugin's
// registry and dispatcher use it. No module reaches into the dispatcher.
#pragma once

#include <Poco/JSON/Object.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace erpmail {

class Context;

/// Who calls and with what: the input of every operation handler.
struct Request {
    std::string operation;
    std::string user;          ///< acting user id, known to the host
    bool userIsAdmin = false; ///< holds mail.admin: installation-wide rights, every account
    std::vector<std::string> userGroups;
    Poco::JSON::Object::Ptr params; ///< validated against the schema
};

/// An operation's JSON result: an object, or the object's text written
/// already (JsonWriter), for an answer of many rows.
class Answer {
public:
    /// Every handler that builds its result as an object returns it as such.
    Answer(Poco::JSON::Object::Ptr object = {}) : object_(std::move(object)) {}
    /// A result that is JSON text (an object) already.
    static Answer written(std::string json)
    {
        Answer a;
        a.text_ = std::move(json);
        a.written_ = true;
        return a;
    }

    bool isWritten() const { return written_; }
    /// The object; null when none was given or the answer is written.
    const Poco::JSON::Object::Ptr& object() const { return object_; }
    /// The written text (isWritten()).
    const std::string& text() const { return text_; }

private:
    Poco::JSON::Object::Ptr object_;
    std::string text_;
    bool written_ = false;
};

/// An operation's handler returns its JSON result or throws OperationError.
using Handler = std::function<Answer(const Request&)>;

struct Operation {
    std::string name;       ///< "mail.account.create"
    std::string summary;    ///< one line
    std::string schema;     ///< JSON Schema of the params object
    std::string permission; ///< "mail.use" or "mail.admin"
    Handler handler;
};

/// Permissions the plugin declares. The host grants them to users; admins
/// hold all of them.
namespace permission {
inline constexpr const char* Use = "mail.use";     ///< work with visible accounts
inline constexpr const char* Admin = "mail.admin"; ///< installation-wide settings and checks
} // namespace permission

class Module {
public:
    virtual ~Module() = default;
    virtual std::string id() const = 0;
    virtual std::string summary() const = 0;
    virtual std::vector<std::string> dependencies() const { return {}; }
    virtual std::vector<Operation> operations() = 0;
    /// Opens what the module needs; throws with a clear message on failure.
    virtual void start() {}
    /// Releases it again and joins any worker. Never throws.
    virtual void stop() noexcept {}
};

} // namespace erpmail
