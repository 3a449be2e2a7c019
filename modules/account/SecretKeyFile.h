// The key files of the secret box: reading one, creating one that no racing
// process replaces, and the folder sync that makes a rename or link durable.
#pragma once

#include "account/SecretBox.h"

#include <sys/stat.h>

#include <cstddef>
#include <memory>
#include <string>

namespace erpmail::keyfile {

constexpr std::size_t kKeySize = 32, kKeyIdSize = 8;

/// strerror(errno).
std::string errnoText();
/// The key in `path`, or nullptr when the file does not exist; `info`, when
/// given, gets the file's stat. Throws SecretError when the file is readable
/// by others or holds no 32-byte key.
std::shared_ptr<SecretKey> readKeyFile(const std::string& path, struct stat* info = nullptr);
/// Writes a new random key to `path` unless the file exists: the key goes to
/// a temporary file of this process first and is linked into place, which
/// fails for all but one of several processes that race.
void createKeyFile(const std::string& path);
/// fsyncs the folder of `path`, so that a rename or link there lasts.
void syncFolder(const std::string& path);

} // namespace erpmail::keyfile
