#include "store/Migrator.h"

#include <gtest/gtest.h>

#include <set>

TEST(SplitStatements, SplitsAtLineEndSemicolonsAndSkipsComments)
{
    auto parts = erpmail::store::splitStatements("-- comment\nCREATE TABLE a (\n  x TEXT DEFAULT ';'\n);\n\n"
                                                 "CREATE INDEX b ON a (x);\n");
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0], "CREATE TABLE a (\n  x TEXT DEFAULT ';'\n)");
    EXPECT_EQ(parts[1], "CREATE INDEX b ON a (x)");
}

TEST(EmbeddedMigrations, BothDialectsHaveTheSameVersions)
{
    std::set<std::pair<int, std::string>> sqlite, postgresql;
    for (const auto& m : erpmail::store::embeddedMigrations()) {
        auto key = std::make_pair(m.version, std::string(m.scope) + "_" + m.name);
        (std::string(m.dialect) == "sqlite" ? sqlite : postgresql).insert(key);
    }
    EXPECT_FALSE(sqlite.empty());
    EXPECT_EQ(sqlite, postgresql);
}
