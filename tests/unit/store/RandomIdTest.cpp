#include "store/RandomId.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

using erpmail::store::randomUuid;

TEST(RandomId, IsAVersion4UuidInItsTextForm)
{
    const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    for (int i = 0; i < 1000; ++i) {
        const std::string id = randomUuid();
        ASSERT_TRUE(std::regex_match(id, form)) << id;
    }
}

TEST(RandomId, TenThousandAreAllDifferentAndUseEveryHexDigitInEveryRandomPlace)
{
    std::set<std::string> seen;
    std::set<char> perPlace[36];
    for (int i = 0; i < 10000; ++i) {
        const std::string id = randomUuid();
        ASSERT_TRUE(seen.insert(id).second) << id;
        for (int p = 0; p < 36; ++p) perPlace[p].insert(id[p]);
    }
    for (int p = 0; p < 36; ++p) {
        if (p == 8 || p == 13 || p == 18 || p == 23) continue; // the dashes
        const std::size_t expected = p == 14 ? 1 : p == 19 ? 4 : 16; // the version, the variant
        EXPECT_EQ(perPlace[p].size(), expected) << "place " << p;
    }
}
