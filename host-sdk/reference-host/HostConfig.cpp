#include "HostConfig.h"

#include <Poco/AutoPtr.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#include <Poco/Util/IniFileConfiguration.h>

namespace erphost {

namespace {

bool yes(const std::string& v)
{
    std::string s = Poco::toLower(Poco::trim(v));
    return s == "yes" || s == "true" || s == "1" || s == "on";
}

std::string absolute(const std::string& value, const std::string& configPath)
{
    if (value.empty()) return value;
    Poco::Path p(value);
    if (p.isAbsolute()) return p.toString();
    return Poco::Path(Poco::Path(configPath).absolute().parent(), p).toString();
}

// Every key below section, dotted keys included ("mail.use" in [grants]).
std::vector<std::string> leafKeys(const Poco::Util::AbstractConfiguration& ini, const std::string& section)
{
    std::vector<std::string> out;
    Poco::Util::AbstractConfiguration::Keys top;
    ini.keys(section, top);
    std::vector<std::string> pending(top.begin(), top.end());
    while (!pending.empty()) {
        std::string key = pending.back();
        pending.pop_back();
        if (ini.hasProperty(section + "." + key)) out.push_back(key);
        Poco::Util::AbstractConfiguration::Keys sub;
        ini.keys(section + "." + key, sub);
        for (const auto& s : sub) pending.push_back(key + "." + s);
    }
    return out;
}

} // namespace

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> out;
    std::string item;
    for (char c : text + ",") {
        if (c == ',') {
            std::string t = Poco::trim(item);
            if (!t.empty()) out.push_back(t);
            item.clear();
        } else {
            item += c;
        }
    }
    return out;
}

HostConfig HostConfig::load(const std::string& path)
{
    if (!Poco::File(path).exists()) throw ConfigError("configuration file not found: " + path);
    Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini;
    try {
        ini = new Poco::Util::IniFileConfiguration(path);
    } catch (const Poco::Exception& e) {
        throw ConfigError("cannot read " + path + ": " + e.displayText());
    }
    HostConfig c;
    c.path = path;
    try {
        c.name = ini->getString("host.name", "erphost");
        c.pluginDir = absolute(ini->getString("host.plugin_dir", ""), path);
        c.dataDir = absolute(ini->getString("host.data_dir", ""), path);
        c.logLevel = ini->getString("host.log_level", "warning");
        c.logFile = absolute(ini->getString("host.log_file", ""), path);
        c.eventLog = absolute(ini->getString("host.event_log", ""), path);
        c.documentsFile = absolute(ini->getString("host.documents", ""), path);
        c.clockOffsetMs = ini->getInt64("host.clock_offset_ms", 0);
        c.offersLegalHold = yes(ini->getString("host.legal_hold", "yes"));
        c.console.usersFile = absolute(ini->getString("console.users_file", ""), path);
        if (c.console.usersFile.empty())
            c.console.usersFile = Poco::Path(Poco::Path(path).absolute()).setExtension("users").toString();
        c.console.tlsCertificate = absolute(ini->getString("console.tls_certificate", ""), path);
        c.console.tlsKey = absolute(ini->getString("console.tls_key", ""), path);
        if (c.console.tlsCertificate.empty() != c.console.tlsKey.empty())
            throw ConfigError(path + ": [console] tls_certificate and tls_key go together");
        c.console.sessionIdleMinutes = ini->getInt("console.session_idle_minutes", 480);
        c.console.sessionMaxSeconds = ini->getInt("console.session_max_seconds", 43200);
        c.console.signInAttempts = ini->getInt("console.signin_attempts", 5);
        c.console.signInWindowSeconds = ini->getInt("console.signin_window_seconds", 300);
        if (c.console.sessionIdleMinutes < 1 || c.console.sessionMaxSeconds < 1 || c.console.signInAttempts < 1 ||
            c.console.signInWindowSeconds < 1)
            throw ConfigError(path + ": [console] session_idle_minutes, session_max_seconds, signin_attempts and "
                                     "signin_window_seconds must be 1 or more");
        if (c.pluginDir.empty()) throw ConfigError(path + ": [host] plugin_dir is required");
        if (c.dataDir.empty()) throw ConfigError(path + ": [host] data_dir is required");

        Poco::Util::AbstractConfiguration::Keys keys;
        ini->keys("user", keys);
        for (const auto& id : keys) {
            User u;
            u.id = id;
            u.name = ini->getString("user." + id + ".name", id);
            u.groups = splitList(ini->getString("user." + id + ".groups", ""));
            u.admin = yes(ini->getString("user." + id + ".admin", "no"));
            c.users[id] = u;
        }

        keys.clear();
        ini->keys("database", keys);
        int systems = 0;
        for (const auto& id : keys) {
            Database d;
            d.id = id;
            d.connection = ini->getString("database." + id + ".connection", "");
            d.system = yes(ini->getString("database." + id + ".system", "no"));
            if (d.connection.empty()) throw ConfigError(path + ": [database." + id + "] needs a connection string");
            systems += d.system ? 1 : 0;
            c.databases[id] = d;
        }
        if (!c.databases.empty() && systems != 1)
            throw ConfigError(path + ": exactly one [database.*] section must say system = yes (found " +
                              std::to_string(systems) + ")");

        for (const auto& permission : leafKeys(*ini, "grants")) {
            auto groups = splitList(ini->getString("grants." + permission, ""));
            c.grants[permission] = std::set<std::string>(groups.begin(), groups.end());
        }

        for (const auto& doctype : leafKeys(*ini, "documents")) {
            auto groups = splitList(ini->getString("documents." + doctype, ""));
            c.documentReaders[doctype] = std::set<std::string>(groups.begin(), groups.end());
        }

        for (const auto& key : leafKeys(*ini, "config")) c.settings[key] = ini->getString("config." + key);

        keys.clear();
        ini->keys("plugin", keys);
        for (const auto& plugin : keys) {
            auto modules = splitList(ini->getString("plugin." + plugin + ".modules", ""));
            c.enabledModules[plugin] = std::set<std::string>(modules.begin(), modules.end());
        }
    } catch (const ConfigError&) {
        throw;
    } catch (const Poco::Exception& e) {
        throw ConfigError(path + ": " + e.displayText());
    }
    return c;
}

bool HostConfig::moduleEnabled(const std::string& plugin, const std::string& module) const
{
    auto it = enabledModules.find(plugin);
    if (it == enabledModules.end()) return false;
    return it->second.count("*") > 0 || it->second.count(module) > 0;
}

bool HostConfig::hasPermission(const std::string& userId, const std::string& permission) const
{
    auto user = users.find(userId);
    if (user == users.end()) return false;
    if (user->second.admin) return true;
    auto grant = grants.find(permission);
    if (grant == grants.end()) return false;
    if (grant->second.count("*")) return true;
    for (const auto& g : user->second.groups)
        if (grant->second.count(g)) return true;
    return false;
}

bool HostConfig::mayReadDocuments(const std::string& userId, const std::string& doctype) const
{
    auto user = users.find(userId);
    if (user == users.end()) return false;
    if (user->second.admin) return true;
    auto readers = documentReaders.find(doctype);
    if (readers == documentReaders.end() || readers->second.count("*")) return true;
    for (const auto& g : user->second.groups)
        if (readers->second.count(g)) return true;
    return false;
}

} // namespace erphost
