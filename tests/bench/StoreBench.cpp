// Writes and reads back messages through erpmail's store (Statement binding,
// chunked reads) and prints the timings as one JSON line.
//   erpmail_store_bench CONNECTION COUNT SIZE
#include "store/DatabaseRegistry.h"
#include "store/Migrator.h"
#include "store/Odbc.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <sys/resource.h>

using namespace erpmail::store;

namespace {

std::string payload(std::size_t n, std::uint32_t seed)
{
    std::string out(n, '\0');
    std::uint32_t x = seed * 2654435761u | 1;
    for (std::size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = static_cast<char>(x);
    }
    return out;
}

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s CONNECTION COUNT SIZE\n", argv[0]);
        return 2;
    }
    const std::string connection = argv[1];
    const int count = std::stoi(argv[2]);
    const std::size_t size = std::stoul(argv[3]);
    try {
        DatabaseRegistry registry([&](const std::string&) { return connection; });
        auto c = registry.acquire("bench", Scope::Mailbox);
        c->execute("DELETE FROM messages WHERE account_id = 'bench'");
        // The bytes are made before the clock starts, as the peer does.
        std::vector<std::string> data;
        for (int j = 0; j < count; ++j) data.push_back(payload(size, static_cast<std::uint32_t>(j)));

        auto started = std::chrono::steady_clock::now();
        Statement insert(*c, "INSERT INTO messages (account_id, direction, state, received_at_ms, subject, raw, "
                             "raw_size) VALUES ('bench', 'in', 'pending', ?, ?, ?, ?)");
        for (int i = 0; i < count; i += 100) {
            Transaction tx(*c);
            for (int j = i; j < count && j < i + 100; ++j) {
                const std::string& raw = data[static_cast<std::size_t>(j)];
                std::string subject = "Rechnung Nr. " + std::to_string(j) + " für Müller & Söhne";
                insert.bindInt(1, j).bindText(2, subject).bindBlob(3, raw).bindInt(4, static_cast<std::int64_t>(size));
                insert.execute();
            }
            tx.commit();
        }
        const double writeSeconds = seconds(started);

        started = std::chrono::steady_clock::now();
        Statement read(*c, "SELECT received_at_ms, subject, raw FROM messages WHERE account_id = 'bench' "
                           "ORDER BY received_at_ms");
        read.execute();
        int rows = 0;
        std::size_t bytes = 0;
        while (read.fetch()) {
            auto j = read.getInt(1).value_or(-1);
            read.getText(2);
            auto raw = read.getBlob(3);
            if (!raw || j < 0 || j >= count || *raw != data[static_cast<std::size_t>(j)]) {
                std::fprintf(stderr, "row %lld came back different\n", static_cast<long long>(j));
                return 1;
            }
            bytes += raw->size();
            ++rows;
        }
        const double readSeconds = seconds(started);
        if (rows != count) {
            std::fprintf(stderr, "read %d rows, wrote %d\n", rows, count);
            return 1;
        }
        struct rusage usage {};
        getrusage(RUSAGE_SELF, &usage);
        std::printf("{\"impl\":\"erpmail\",\"count\":%d,\"size\":%zu,\"write_s\":%.3f,\"read_s\":%.3f,"
                    "\"mb\":%.1f,\"peak_rss_mb\":%.1f}\n",
                    count, size, writeSeconds, readSeconds, bytes / 1048576.0, usage.ru_maxrss / 1024.0);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
