// erphost's configuration, read from an INI file.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace erphost {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct User {
    std::string id;
    std::string name;
    std::vector<std::string> groups;
    bool admin = false;
};

struct Database {
    std::string id;
    std::string connection; ///< ODBC connection string
    bool system = false;
};

/// The web console of `erphost serve --http` ([console] in the INI file).
struct ConsoleSettings {
    std::string usersFile;      ///< users_file: the password hashes (default: the INI's name with .users)
    std::string tlsCertificate; ///< tls_certificate: PEM certificate (chain) served over TLS
    std::string tlsKey;         ///< tls_key: its PEM private key
    int sessionIdleMinutes = 480; ///< session_idle_minutes: a session unused this long ends
    int sessionMaxSeconds = 43200; ///< session_max_seconds: a session ends this long after sign-in, used or not
    int signInAttempts = 5;       ///< signin_attempts: failed sign-ins per user or address within the window
    int signInWindowSeconds = 300; ///< signin_window_seconds
    bool tls() const { return !tlsCertificate.empty(); }
};

/// Everything erphost reads from its INI file:
///
///   [host]        name, plugin_dir, data_dir, log_level, log_file, event_log,
///                 documents (JSON file of the document provider; an entry
///                 with "legal_hold": true is under legal hold), clock_offset_ms,
///                 legal_hold = yes|no (whether documents_on_hold is offered)
///   [plugin.NAME] modules = * | id, id, ...   (the enabled modules)
///   [database.ID] connection = <ODBC connection string>, system = yes|no
///   [user.ID]     name, groups = a, b, admin = yes|no
///   [grants]      permission = * | group, group     (admins hold all)
///   [documents]   doctype = group, group   (who may read documents of that
///                 type; admins may read all; a doctype not listed is
///                 readable by every user)
///   [config]      key = value, answered to the plugin's config_get
///   [console]     users_file, tls_certificate, tls_key, session_idle_minutes, session_max_seconds,
///                 signin_attempts, signin_window_seconds (ConsoleSettings)
///
/// Values may refer to other keys as ${host.data_dir}.
class HostConfig {
public:
    /// Reads and checks the file; throws ConfigError saying what is wrong.
    static HostConfig load(const std::string& path);

    std::string path;
    std::string name = "erphost";
    std::string pluginDir;
    std::string dataDir;
    std::string logLevel = "warning";
    std::string logFile;
    std::string eventLog;
    std::string documentsFile;
    long long clockOffsetMs = 0;
    bool offersLegalHold = true; ///< [host] legal_hold: offer documents_on_hold (no: like a host without it)

    ConsoleSettings console;

    std::map<std::string, User> users;
    std::map<std::string, Database> databases;
    std::map<std::string, std::string> settings;        ///< [config]
    std::map<std::string, std::set<std::string>> grants; ///< permission -> groups ("*" = every user)
    std::map<std::string, std::set<std::string>> documentReaders; ///< [documents] doctype -> groups
    /// plugin name -> enabled module ids; a plugin missing here has none
    /// enabled; "*" enables all.
    std::map<std::string, std::set<std::string>> enabledModules;

    bool moduleEnabled(const std::string& plugin, const std::string& module) const;
    bool hasPermission(const std::string& user, const std::string& permission) const;
    /// Whether user may read documents of doctype: an admin always, anyone
    /// when [documents] does not list the doctype, else a member of a listed
    /// group. An unknown user may read nothing.
    bool mayReadDocuments(const std::string& user, const std::string& doctype) const;
    /// Whether [documents] restricts doctype to some groups.
    bool documentsRestricted(const std::string& doctype) const { return documentReaders.count(doctype) > 0; }
};

std::vector<std::string> splitList(const std::string& text);

} // namespace erphost
