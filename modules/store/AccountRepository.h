// Accounts and their visibility in the system database. Every read that
// serves a user applies the visibility rule in its SQL.
#pragma once

#include "store/Odbc.h"
#include "store/Records.h"

#include <optional>
#include <string>
#include <vector>

namespace erpmail::store {

class AccountRepository {
public:
    explicit AccountRepository(Connection& connection) : c_(connection) {}

    /// Inserts the account with its visibility list. Throws on a duplicate id.
    void insert(const AccountRecord& account);
    /// Writes every column and replaces the visibility list.
    void update(const AccountRecord& account);
    /// Deletes the account (its visibility rows go with it); false if none.
    bool remove(const std::string& id);

    /// Any account by id, whoever asks (for the plugin's own work).
    std::optional<AccountRecord> find(const std::string& id);
    /// The account if viewer may see it: admins see all; others see public
    /// accounts, their own, and personal ones made visible to them.
    std::optional<AccountRecord> findVisible(const std::string& id, const Viewer& viewer);
    /// Every account viewer may see, by label.
    std::vector<AccountRecord> listVisible(const Viewer& viewer);
    /// Accounts owned by user.
    std::vector<AccountRecord> listOwnedBy(const std::string& user);

    /// Sets the account on- or offline; offline since now unless it was
    /// already, `by` the user who did it (unset: it went by itself).
    void setOnline(const std::string& id, bool online, const std::optional<std::string>& reason, std::int64_t nowMs,
                   const std::optional<std::string>& by = std::nullopt);
    /// Sets offline an online account whose database failed, in one
    /// statement (a person's offline, set meanwhile, stays theirs); false
    /// when it was offline already.
    bool setOfflineByOutage(const std::string& id, const std::string& reason, std::int64_t nowMs);
    /// Sets online an account that went offline by itself; false (nothing
    /// changed) when it is online or a person set it offline.
    bool setOnlineAfterOutage(const std::string& id, std::int64_t nowMs);
    /// Locks the account's row until the open transaction ends, against
    /// other connections and processes: PostgreSQL SELECT ... FOR UPDATE;
    /// SQLite's transactions hold the write lock from their start already.
    void lockForUpdate(const std::string& id);
    /// Replaces the account's sealed secrets only (a key rotation).
    void setSecrets(const std::string& id, const std::optional<std::string>& sealed);
    /// How many accounts hold sealed secrets, `except` one not counted.
    std::int64_t countWithSecrets(const std::string& except = "");

private:
    std::vector<AccountRecord> select(const std::string& where, const std::vector<std::string>& texts,
                                      std::optional<bool> admin = std::nullopt);
    void writeVisibility(const AccountRecord& account);

    Connection& c_;
};

} // namespace erpmail::store
