#include "transport/common/ServerProbe.h"

#include "erpmail/Base64.h"
#include "erpmail/OperationError.h"
#include "transport/common/ServerText.h"

#include <Poco/JSON/Array.h>

#include <chrono>
#include <functional>
#include <memory>
#include <sstream>

namespace erpmail::transport {

namespace {

using Clock = std::chrono::steady_clock;

bool startsWith(const std::string& s, const char* prefix)
{
    return s.rfind(prefix, 0) == 0;
}

std::vector<std::string> words(const std::string& s)
{
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

bool offers(const std::vector<std::string>& caps, const std::string& name)
{
    for (const auto& c : caps)
        if (c == name || startsWith(c, (name + " ").c_str()) || startsWith(c, (name + "=").c_str())) return true;
    return false;
}

// The protocol-specific part of a probe.
struct Dialogue {
    virtual ~Dialogue() = default;
    virtual std::string greeting(LineChannel& ch) = 0;
    virtual std::vector<std::string> capabilities(LineChannel& ch) = 0;
    virtual const char* startTlsName() const = 0;
    virtual void startTls(LineChannel& ch) = 0;
    virtual void quit(LineChannel& ch) = 0;
    /// Logs in; throws with the server's answer when refused.
    virtual void login(LineChannel& ch, const std::vector<std::string>& caps, const std::string& user,
                       const std::string& password) = 0;
};

std::string saslPlain(const std::string& user, const std::string& password)
{
    return toBase64(std::string(1, '\0') + user + std::string(1, '\0') + password);
}

struct SmtpDialogue : Dialogue {
    std::vector<std::string> reply(LineChannel& ch, const char* expectCode)
    {
        std::vector<std::string> lines;
        for (;;) {
            std::string line = ch.readLine();
            if (line.size() < 3) throw ProtocolError("malformed SMTP reply: " + serverText(line));
            lines.push_back(line.size() > 4 ? line.substr(4) : "");
            if (line.compare(0, 3, expectCode) != 0) throw ProtocolError("server answered: " + serverText(line));
            if (line.size() == 3 || line[3] == ' ') return lines;
        }
    }
    std::string greeting(LineChannel& ch) override { return reply(ch, "220").front(); }
    std::vector<std::string> capabilities(LineChannel& ch) override
    {
        ch.writeLine("EHLO erpmail.invalid");
        auto lines = reply(ch, "250");
        lines.erase(lines.begin());
        return lines;
    }
    const char* startTlsName() const override { return "STARTTLS"; }
    void startTls(LineChannel& ch) override
    {
        ch.writeLine("STARTTLS");
        reply(ch, "220");
    }
    void quit(LineChannel& ch) override
    {
        ch.writeLine("QUIT");
        ch.readLine();
    }
    void login(LineChannel& ch, const std::vector<std::string>&, const std::string& user,
               const std::string& password) override
    {
        ch.writeLine("AUTH PLAIN " + saslPlain(user, password));
        reply(ch, "235");
    }
};

struct Pop3Dialogue : Dialogue {
    std::string ok(LineChannel& ch)
    {
        std::string line = ch.readLine();
        if (!startsWith(line, "+OK")) throw ProtocolError("server answered: " + serverText(line));
        return line.size() > 4 ? line.substr(4) : "";
    }
    std::string greeting(LineChannel& ch) override { return ok(ch); }
    std::vector<std::string> capabilities(LineChannel& ch) override
    {
        ch.writeLine("CAPA");
        ok(ch);
        std::vector<std::string> caps;
        for (std::string line = ch.readLine(); line != "."; line = ch.readLine()) caps.push_back(line);
        return caps;
    }
    const char* startTlsName() const override { return "STLS"; }
    void startTls(LineChannel& ch) override
    {
        ch.writeLine("STLS");
        ok(ch);
    }
    void quit(LineChannel& ch) override
    {
        ch.writeLine("QUIT");
        ch.readLine();
    }
    void login(LineChannel& ch, const std::vector<std::string>&, const std::string& user,
               const std::string& password) override
    {
        ch.writeLine("USER " + user);
        ok(ch);
        ch.writeLine("PASS " + password);
        ok(ch);
    }
};

struct ImapDialogue : Dialogue {
    int tag = 0;
    bool plainRequiresTls = false;
    std::vector<std::string> command(LineChannel& ch, const std::string& text)
    {
        const std::string t = "E" + std::to_string(++tag);
        ch.writeLine(t + " " + text);
        std::vector<std::string> untagged;
        for (;;) {
            std::string line = ch.readLine();
            if (startsWith(line, (t + " ").c_str())) {
                if (!startsWith(line.substr(t.size() + 1), "OK"))
                    throw ProtocolError("server answered: " + serverText(line));
                return untagged;
            }
            untagged.push_back(line);
        }
    }
    std::string greeting(LineChannel& ch) override
    {
        std::string line = ch.readLine();
        if (startsWith(line, "* PREAUTH") && plainRequiresTls)
            throw ProtocolError("server greeted with PREAUTH on a connection that must be upgraded to TLS; "
                                "refusing the session");
        if (!startsWith(line, "* OK") && !startsWith(line, "* PREAUTH"))
            throw ProtocolError("server greeted: " + serverText(line));
        return line.substr(2);
    }
    std::vector<std::string> capabilities(LineChannel& ch) override
    {
        std::vector<std::string> caps;
        for (const auto& line : command(ch, "CAPABILITY"))
            if (startsWith(line, "* CAPABILITY ")) {
                auto w = words(line.substr(13));
                caps.insert(caps.end(), w.begin(), w.end());
            }
        return caps;
    }
    const char* startTlsName() const override { return "STARTTLS"; }
    void startTls(LineChannel& ch) override { command(ch, "STARTTLS"); }
    void quit(LineChannel& ch) override { command(ch, "LOGOUT"); }
    void login(LineChannel& ch, const std::vector<std::string>&, const std::string& user,
               const std::string& password) override
    {
        // SASL PLAIN needs no quoting rules for odd characters in passwords.
        command(ch, "AUTHENTICATE PLAIN " + saslPlain(user, password));
    }
};

std::unique_ptr<Dialogue> dialogueFor(Protocol p)
{
    switch (p) {
    case Protocol::Smtp: return std::make_unique<SmtpDialogue>();
    case Protocol::Pop3: return std::make_unique<Pop3Dialogue>();
    case Protocol::Imap: break;
    }
    return std::make_unique<ImapDialogue>();
}

unsigned defaultPort(Protocol p, Security s)
{
    switch (p) {
    case Protocol::Smtp: return s == Security::Tls ? 465 : 587;
    case Protocol::Pop3: return s == Security::Tls ? 995 : 110;
    case Protocol::Imap: break;
    }
    return s == Security::Tls ? 993 : 143;
}

std::string join(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
    return out;
}

} // namespace

Poco::JSON::Object::Ptr ProbeResult::toJson() const
{
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
    json->set("ok", ok);
    json->set("greeting", greeting);
    Poco::JSON::Array::Ptr caps = new Poco::JSON::Array;
    for (const auto& c : capabilities) caps->add(c);
    json->set("capabilities", caps);
    json->set("tls", tls);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& s : steps) {
        Poco::JSON::Object::Ptr step = new Poco::JSON::Object;
        step->set("step", s.name);
        step->set("ok", s.ok);
        step->set("detail", s.detail);
        step->set("ms", s.ms);
        list->add(step);
    }
    json->set("steps", list);
    return json;
}

ProbeResult probeServer(const ProbeRequest& request)
{
    ProbeResult result;
    auto dialogue = dialogueFor(request.protocol);
    if (auto* imap = dynamic_cast<ImapDialogue*>(dialogue.get()))
        imap->plainRequiresTls = request.security == Security::StartTls;
    std::unique_ptr<LineChannel> channel;

    // Runs one step; returns false (and records why) when it failed.
    auto step = [&](const std::string& name, const std::function<std::string()>& body) {
        auto started = Clock::now();
        ProbeStep s{name, false, {}, 0};
        try {
            s.detail = body();
            s.ok = true;
        } catch (const std::exception& e) {
            s.detail = e.what();
        }
        s.ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
        result.steps.push_back(s);
        return s.ok;
    };

    bool ok = step(request.security == Security::Tls ? "connect+tls" : "connect", [&] {
        channel = std::make_unique<LineChannel>(request.host, request.port, request.security, request.tls,
                                                Poco::Timespan(request.timeoutSeconds, 0));
        return request.host + ":" + std::to_string(request.port) +
               (channel->tls() ? " (" + channel->tlsDescription() + ")" : "");
    });
    ok = ok && step("greeting", [&] { return result.greeting = dialogue->greeting(*channel); });
    ok = ok && step("capabilities", [&] { return join(result.capabilities = dialogue->capabilities(*channel)); });
    if (ok && request.security == Security::StartTls) {
        ok = step("starttls", [&] {
            if (!offers(result.capabilities, dialogue->startTlsName()))
                throw ProtocolError(std::string("server does not offer ") + dialogue->startTlsName() +
                                    ", which this account requires; nothing was sent");
            dialogue->startTls(*channel);
            channel->upgradeToTls();
            return channel->tlsDescription();
        });
        ok = ok && step("capabilities", [&] { return join(result.capabilities = dialogue->capabilities(*channel)); });
    }
    if (ok && !request.user.empty()) {
        ok = step("login", [&]() -> std::string {
            if (!channel->tls()) throw ProtocolError("a password is never sent without TLS");
            dialogue->login(*channel, result.capabilities, request.user, request.password);
            return "logged in as " + request.user;
        });
    }
    if (channel) {
        result.tls = channel->tlsDescription();
        if (ok) {
            try {
                dialogue->quit(*channel);
            } catch (const std::exception&) {
                // The probe already has its answers; a rude goodbye changes none.
            }
        }
        channel->close();
    }
    result.ok = ok;
    return result;
}

const char* probeParamsSchema()
{
    return R"({"type":"object","additionalProperties":false,"required":["host"],
               "properties":{"host":{"type":"string","minLength":1,"maxLength":253},
                             "port":{"type":"integer","minimum":1,"maximum":65535},
                             "security":{"enum":["none","starttls","tls"]},
                             "ca_file":{"type":"string","maxLength":4096},
                             "ca":{"type":"string","maxLength":1048576},
                             "timeout_seconds":{"type":"integer","minimum":1,"maximum":300}}})";
}

ProbeRequest probeRequestFromParams(Protocol protocol, const Poco::JSON::Object::Ptr& params, bool userIsAdmin)
{
    ProbeRequest r;
    r.protocol = protocol;
    r.host = params->getValue<std::string>("host");
    if (r.host.find_first_of("\r\n /") != std::string::npos) throw invalidParam("host", "host is not a host name");
    r.security = parseSecurity(params->optValue<std::string>("security", "tls"));
    r.port = params->has("port") ? params->getValue<unsigned>("port") : defaultPort(protocol, r.security);
    readTrustAnchorParams(*params, "", userIsAdmin, r.tls);
    r.timeoutSeconds = params->optValue<int>("timeout_seconds", 15);
    return r;
}

} // namespace erpmail::transport

namespace erpmail::transport {

Operation probeOperation(Context& context, Protocol protocol, const std::string& name, const std::string& summary)
{
    return {name, summary, probeParamsSchema(), permission::Admin, [&context, protocol, name](const Request& r) {
                ProbeRequest request = probeRequestFromParams(protocol, r.params, r.userIsAdmin);
                ProbeResult result = probeServer(request);
                context.log(result.ok ? ERP_LOG_INFO : ERP_LOG_WARNING, "erpmail.transport",
                            name + " " + request.host + ":" + std::to_string(request.port) +
                                (result.ok ? " succeeded" : " failed: " + result.steps.back().detail));
                return result.toJson();
            }};
}

} // namespace erpmail::transport
