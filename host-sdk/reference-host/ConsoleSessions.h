// The console's signed-in sessions and the brake on failed sign-ins.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace erphost {

/// A signed-in user's session: the cookie names it, the CSRF token goes
/// with every state-changing request.
struct Session {
    std::string user;
    std::string csrfToken;
};

/// Sessions by cookie token. Tokens and CSRF tokens are 256 random bits
/// (RAND_bytes) as hex; only the tokens' SHA-256 is kept. Thread-safe.
class SessionStore {
public:
    /// A session ends when unused for `idle`, and `lifetime` after sign-in however much it is used.
    SessionStore(std::chrono::minutes idle, std::chrono::seconds lifetime) : idle_(idle), lifetime_(lifetime) {}

    /// A new session for user: {cookie token, session}.
    std::pair<std::string, Session> create(const std::string& user);
    /// The session of a cookie token that is known, not idle too long and
    /// not older than its lifetime; using it restarts its idle time.
    std::optional<Session> find(const std::string& token);
    /// Whether the session of token still stands, without restarting its
    /// idle time (an open event stream does not keep a session alive).
    bool alive(const std::string& token);
    void remove(const std::string& token);

private:
    struct Entry {
        Session session;
        std::chrono::steady_clock::time_point lastUsed, signedIn;
    };
    bool expired(const Entry& e, std::chrono::steady_clock::time_point now) const
    {
        return now - e.lastUsed > idle_ || now - e.signedIn > lifetime_;
    }
    std::chrono::minutes idle_;
    std::chrono::seconds lifetime_;
    std::mutex mutex_;
    std::map<std::string, Entry> sessions_; ///< by SHA-256 of the token
};

/// bytes as lower-case hex.
std::string toHex(const unsigned char* bytes, std::size_t n);

/// Whether two secrets are equal, in time that depends only on their lengths.
bool sameSecret(const std::string& a, const std::string& b);

/// Failed sign-ins within a window, per key ("user:anna", "address:127.0.0.1").
/// Thread-safe.
class SignInLimiter {
public:
    SignInLimiter(int attempts, std::chrono::seconds window) : attempts_(attempts), window_(window) {}

    /// Seconds until key may try again; 0 when it may now.
    long long retryAfter(const std::string& key);
    void recordFailure(const std::string& key);
    void clear(const std::string& key);

private:
    void prune(std::deque<std::chrono::steady_clock::time_point>& failures,
               std::chrono::steady_clock::time_point now) const;

    int attempts_;
    std::chrono::seconds window_;
    std::mutex mutex_;
    std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> failures_;
};

} // namespace erphost
