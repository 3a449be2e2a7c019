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
