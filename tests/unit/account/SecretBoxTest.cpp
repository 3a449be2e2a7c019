#include "account/SecretBox.h"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

using erpmail::SecretBox;
using erpmail::SecretError;
using erpmail::SecretKeyUnavailable;

namespace {

struct TempDir {
    std::string path;
    TempDir()
    {
        char name[] = "/tmp/secretbox.XXXXXX";
        path = ::mkdtemp(name);
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::string key() const { return path + "/erpmail-secrets.key"; }
};

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeKey(const std::string& path, unsigned char first)
{
    std::string key(32, '\0');
    for (int i = 0; i < 32; ++i)
        key[i] = static_cast<char>(first + i);
    ::unlink(path.c_str());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, key.data(), key.size()), 32);
    ::close(fd);
}

/// A value in format 1 (version byte, nonce, tag, ciphertext; no key id), as
/// erpmail sealed before key ids.
std::string sealFormat1(const std::string& key, const std::string& plain, const std::string& ad)
{
    std::string out(1 + 12 + 16 + plain.size(), '\0');
    out[0] = 1;
    auto* nonce = reinterpret_cast<unsigned char*>(&out[1]);
    RAND_bytes(nonce, 12);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()), nonce);
    EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(ad.data()),
                      static_cast<int>(ad.size()));
    EVP_EncryptUpdate(ctx, nonce + 28, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                      static_cast<int>(plain.size()));
    EVP_EncryptFinal_ex(ctx, nonce + 28 + len, &len);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, nonce + 12);
    EVP_CIPHER_CTX_free(ctx);
    return out;
}

} // namespace

TEST(SecretBox, ProcessesRacingAtFirstStartShareOneKeyAndNeverReadItHalfWritten)
{
    for (int trial = 0; trial < 20; ++trial) {
        TempDir dir;
        int start[2], results[2];
        ASSERT_EQ(::pipe(start), 0);
        ASSERT_EQ(::pipe(results), 0);
        std::vector<pid_t> children;
        for (int i = 0; i < 6; ++i) {
            pid_t pid = ::fork();
            ASSERT_GE(pid, 0);
            if (pid == 0) {
                ::close(start[1]);
                char go;
                (void)!::read(start[0], &go, 1); // every child starts when the pipe closes
                std::string line;
                int status = 0;
                try {
                    SecretBox box(dir.key(), true);
                    line = box.keyIdHex() + " " + std::to_string(box.seal("secret " + std::to_string(i), "ad").size());
                } catch (const std::exception& e) {
                    line = std::string("error ") + e.what();
                    status = 1;
                }
                line += "\n";
                (void)!::write(results[1], line.data(), line.size());
                ::_exit(status);
            }
            children.push_back(pid);
        }
        ::close(start[0]);
        ::close(start[1]);
        ::close(results[1]);
        for (pid_t pid : children) {
            int status = 0;
            ::waitpid(pid, &status, 0);
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        std::string out;
        char buf[4096];
        for (ssize_t n; (n = ::read(results[0], buf, sizeof buf)) > 0;)
            out.append(buf, static_cast<std::size_t>(n));
        ::close(results[0]);
        std::set<std::string> ids;
        for (std::size_t pos = 0, nl; (nl = out.find('\n', pos)) != std::string::npos; pos = nl + 1) {
            std::string line = out.substr(pos, nl - pos);
            EXPECT_EQ(line.rfind("error", 0), std::string::npos) << line;
            ids.insert(line.substr(0, line.find(' ')));
        }
        EXPECT_EQ(ids.size(), 1u) << out;
        SecretBox parent(dir.key(), false);
        EXPECT_EQ(*ids.begin(), parent.keyIdHex());
        EXPECT_EQ(readFile(dir.key()).size(), 32u);
        struct stat st {};
        ::stat(dir.key().c_str(), &st);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
}

TEST(SecretBox, WhatOneProcessSealsAnotherOpens)
{
    TempDir dir;
    std::string sealed;
    pid_t pid = ::fork();
    if (pid == 0) {
        SecretBox box(dir.key(), true);
        std::ofstream(dir.path + "/sealed", std::ios::binary) << box.seal("from the child", "ad");
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    SecretBox box(dir.key(), false);
    EXPECT_EQ(box.open(readFile(dir.path + "/sealed"), "ad", ""), "from the child");
}

TEST(SecretBox, MissingKeyIsNotCreatedUnlessAllowedAndNamesTheFile)
{
    TempDir dir;
    SecretBox box(dir.key(), false);
    EXPECT_FALSE(box.hasKey());
    try {
        box.seal("x", "ad");
        FAIL() << "sealed without a key";
    } catch (const SecretKeyUnavailable& e) {
        EXPECT_NE(std::string(e.what()).find(dir.key()), std::string::npos) << e.what();
    }
    EXPECT_NE(::access(dir.key().c_str(), F_OK), 0);
    box.createKeyIfMissing();
    EXPECT_TRUE(box.hasKey());
}

TEST(SecretBox, SealedValueNamesItsKeyAndOpensOnlyForItsBinding)
{
    TempDir dir;
    SecretBox box(dir.key(), true);
    const std::string sealed = box.seal("pw", "imap|mail.example|993|anna");
    EXPECT_EQ(sealed[0], 2);
    EXPECT_EQ(SecretBox::keyIdOf(sealed), box.keyIdHex());
    EXPECT_EQ(box.open(sealed, "imap|mail.example|993|anna", ""), "pw");
    EXPECT_THROW(box.open(sealed, "imap|evil.example|993|anna", ""), SecretError);

    writeKey(dir.key(), 7); // another key in its place
    try {
        box.open(sealed, "imap|mail.example|993|anna", "");
        FAIL() << "opened with another key";
    } catch (const SecretKeyUnavailable& e) {
        EXPECT_NE(std::string(e.what()).find(dir.key()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(SecretBox::keyIdOf(sealed)), std::string::npos) << e.what();
    }
}

TEST(SecretBox, FormatOneValuesStillOpen)
{
    TempDir dir;
    SecretBox box(dir.key(), true);
    const std::string old = sealFormat1(readFile(dir.key()), "alter Wert ✓", "account-1");
    EXPECT_EQ(SecretBox::keyIdOf(old), "");
    EXPECT_EQ(box.open(old, "new binding", "account-1"), "alter Wert ✓");
    EXPECT_THROW(box.open(old, "new binding", "account-2"), SecretError);
}

TEST(SecretBox, RotationKeepsEveryValueOpenAtEachStep)
{
    TempDir dir;
    SecretBox box(dir.key(), true);
    const std::string underOld = box.seal("old", "ad");
    auto next = box.beginRotation();
    const std::string underNew = box.sealWith(*next, "new", "ad");
    auto opensBoth = [&] {
        SecretBox elsewhere(dir.key(), false); // another host sharing the key file
        EXPECT_EQ(elsewhere.open(underOld, "ad", ""), "old");
        EXPECT_EQ(elsewhere.open(underNew, "ad", ""), "new");
    };
    opensBoth(); // stopped after writing .next
    box.promoteNextKey();
    opensBoth(); // stopped after the new key took its place
    EXPECT_EQ(box.keyIdHex(), next->idHex());
    box.retireOldKey();
    EXPECT_NE(::access((dir.key() + ".old").c_str(), F_OK), 0);
    EXPECT_NE(::access((dir.key() + ".next").c_str(), F_OK), 0);
    EXPECT_THROW(box.open(underOld, "ad", ""), SecretKeyUnavailable);
    EXPECT_EQ(box.open(underNew, "ad", ""), "new");
}

TEST(SecretBox, KeyBytesLiveOnTheSecureHeap)
{
    erpmail::SecretBytes bytes(32);
    EXPECT_EQ(CRYPTO_secure_malloc_initialized(), 1);
    EXPECT_EQ(CRYPTO_secure_allocated(bytes.data()), 1);
}
