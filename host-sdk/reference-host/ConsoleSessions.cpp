#include "ConsoleSessions.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace erphost {

std::string toHex(const unsigned char* data, std::size_t n)
{
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

namespace {

std::string randomToken()
{
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a session");
    return toHex(bytes, sizeof bytes);
}

std::string digest(const std::string& token)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(token.data(), token.size(), out, &n, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<const char*>(out), n);
}

} // namespace

bool sameSecret(const std::string& a, const std::string& b)
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::pair<std::string, Session> SessionStore::create(const std::string& user)
{
    Session session{user, randomToken()};
    const std::string token = randomToken();
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();)
        it = expired(it->second, now) ? sessions_.erase(it) : std::next(it);
    sessions_[digest(token)] = {session, now, now};
    return {token, session};
}

std::optional<Session> SessionStore::find(const std::string& token)
{
    if (token.empty()) return std::nullopt;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(digest(token));
    if (it == sessions_.end()) return std::nullopt;
    const auto now = std::chrono::steady_clock::now();
    if (expired(it->second, now)) {
        sessions_.erase(it);
        return std::nullopt;
    }
    it->second.lastUsed = now;
    return it->second.session;
}

bool SessionStore::alive(const std::string& token)
{
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(digest(token));
    return it != sessions_.end() && !expired(it->second, std::chrono::steady_clock::now());
}

void SessionStore::remove(const std::string& token)
{
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.erase(digest(token));
}

void SignInLimiter::prune(std::deque<std::chrono::steady_clock::time_point>& failures,
                          std::chrono::steady_clock::time_point now) const
{
    while (!failures.empty() && now - failures.front() >= window_)
        failures.pop_front();
}

long long SignInLimiter::retryAfter(const std::string& key)
{
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = failures_.find(key);
    if (it == failures_.end()) return 0;
    const auto now = std::chrono::steady_clock::now();
    prune(it->second, now);
    if (static_cast<int>(it->second.size()) < attempts_) return 0;
    const auto wait = std::chrono::duration_cast<std::chrono::seconds>(it->second.front() + window_ - now).count();
    return wait < 1 ? 1 : wait;
}

void SignInLimiter::recordFailure(const std::string& key)
{
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (failures_.size() > 10000) // keys of names tried once: drop what has expired
        for (auto it = failures_.begin(); it != failures_.end();) {
            prune(it->second, now);
            it = it->second.empty() ? failures_.erase(it) : std::next(it);
        }
    auto& failures = failures_[key];
    prune(failures, now);
    failures.push_back(now);
}

void SignInLimiter::clear(const std::string& key)
{
    std::lock_guard<std::mutex> lock(mutex_);
    failures_.erase(key);
}

} // namespace erphost
