#include "certificate/SignerFacts.h"

#include "certificate/CertificateFiles.h"
#include "certificate/CmsHandles.h"

#include <map>
#include <memory>
#include <mutex>

namespace erpmail::smime {

namespace {

// Guards the ex_data slots of certificates and stores shared between threads.
std::mutex& slotMutex()
{
    static std::mutex* m = new std::mutex; // lives as long as OpenSSL's objects may
    return *m;
}

void freeFacts(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*)
{
    delete static_cast<CertificateFacts*>(ptr);
}

int factsSlot()
{
    static const int slot = X509_get_ex_new_index(0, nullptr, nullptr, nullptr, freeFacts);
    return slot;
}

struct ChainCache {
    std::mutex mutex;
    std::time_t second = 0;
    std::map<std::string, ChainVerdict> verdicts; ///< of `second` only
};

void freeChainCache(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*)
{
    delete static_cast<ChainCache*>(ptr);
}

int chainSlot()
{
    static const int slot = X509_STORE_get_ex_new_index(0, nullptr, nullptr, nullptr, freeChainCache);
    return slot;
}

ChainCache* chainCacheOf(X509_STORE* trust)
{
    const int slot = chainSlot();
    std::lock_guard<std::mutex> lock(slotMutex());
    auto* cache = static_cast<ChainCache*>(X509_STORE_get_ex_data(trust, slot));
    if (cache) return cache;
    auto made = std::make_unique<ChainCache>();
    if (slot < 0 || X509_STORE_set_ex_data(trust, slot, made.get()) != 1) return nullptr;
    return made.release();
}

ChainVerdict verifyNow(X509_STORE* trust, X509* leaf, STACK_OF(X509) * carried, std::time_t when)
{
    ChainVerdict verdict;
    StoreCtx ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), trust, leaf, carried) != 1) {
        verdict.error = X509_V_ERR_UNSPECIFIED;
        return verdict;
    }
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SMIME_SIGN);
    X509_STORE_CTX_set_time(ctx.get(), 0, when);
    verdict.trusted = X509_verify_cert(ctx.get()) == 1;
    if (!verdict.trusted) verdict.error = X509_STORE_CTX_get_error(ctx.get());
    return verdict;
}

} // namespace

const CertificateFacts& factsOf(X509* certificate)
{
    const int slot = factsSlot();
    {
        std::lock_guard<std::mutex> lock(slotMutex());
        if (auto* known = static_cast<CertificateFacts*>(X509_get_ex_data(certificate, slot))) return *known;
    }
    auto facts = std::make_unique<CertificateFacts>();
    facts->info = X509Info::of(certificate);
    facts->pem = pemOf(certificate);
    facts->der = derOf(certificate);
    facts->fingerprint = fingerprintOf(certificate);
    std::lock_guard<std::mutex> lock(slotMutex());
    // Another thread may have read the same certificate meanwhile: the first kept wins.
    if (auto* known = static_cast<CertificateFacts*>(X509_get_ex_data(certificate, slot))) return *known;
    if (slot < 0 || X509_set_ex_data(certificate, slot, facts.get()) != 1) {
        // Nowhere to keep them: they live with this thread until its next call.
        thread_local std::unique_ptr<CertificateFacts> unkept;
        unkept = std::move(facts);
        return *unkept;
    }
    return *facts.release();
}

ChainVerdict verifyChain(X509_STORE* trust, X509* leaf, STACK_OF(X509) * carried, std::time_t when)
{
    ChainCache* cache = chainCacheOf(trust);
    if (!cache) return verifyNow(trust, leaf, carried, when);
    // The question, in full: the leaf and every carried certificate by their DER.
    std::string key = factsOf(leaf).der;
    for (int i = 0; i < sk_X509_num(carried); ++i) {
        const std::string der = derOf(sk_X509_value(carried, i));
        key += std::to_string(der.size()) + ':' + der;
    }
    {
        std::lock_guard<std::mutex> lock(cache->mutex);
        if (cache->second == when) {
            auto found = cache->verdicts.find(key);
            if (found != cache->verdicts.end()) return found->second;
        }
    }
    const ChainVerdict verdict = verifyNow(trust, leaf, carried, when);
    std::lock_guard<std::mutex> lock(cache->mutex);
    if (cache->second != when || cache->verdicts.size() >= 256) {
        cache->verdicts.clear();
        cache->second = when;
    }
    cache->verdicts.emplace(std::move(key), verdict);
    return verdict;
}

} // namespace erpmail::smime
