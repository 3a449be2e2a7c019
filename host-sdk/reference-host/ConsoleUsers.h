// The console's sign-in secrets: scrypt hashes of the users' passwords in a
// file of their own (mode 0600), written by `erphost passwd USER`.
#pragma once

#include "HostConfig.h"

#include <string>

namespace erphost {

/// The users file: one line "user:$scrypt$ln=15,r=8,p=1$<salt hex>$<hash hex>" per user.
class PasswordFile {
public:
    explicit PasswordFile(std::string path) : path_(std::move(path)) {}

    /// Stores a new hash of password for user, replacing the old one; the file
    /// is written whole (a new file renamed into place) with mode 0600.
    /// Throws std::runtime_error saying what failed.
    void set(const std::string& user, const std::string& password) const;

    /// Whether password is user's. An unknown user, or one without a stored
    /// hash, costs the same time as a wrong password. Throws std::runtime_error
    /// when the file is unreadable or readable by others than its owner.
    bool verify(const std::string& user, const std::string& password) const;

    const std::string& path() const { return path_; }

private:
    std::string path_;
};

/// `erphost passwd USER`: reads the new password from the terminal (twice,
/// not echoed) or one line of standard input, and stores its hash. Returns
/// the exit status; errors go to standard error.
int passwdCommand(const HostConfig& config, const std::string& user);

} // namespace erphost
