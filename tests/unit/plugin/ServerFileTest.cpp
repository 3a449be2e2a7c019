#include "erpmail/ServerFile.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

using erpmail::OperationError;
using erpmail::readServerFile;
using erpmail::readServerFileParam;
using erpmail::ServerFileError;

namespace {

class ServerFile : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/erpmail-serverfile.XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string write(const std::string& name, const std::string& bytes)
    {
        std::ofstream(dir_ + "/" + name, std::ios::binary) << bytes;
        return dir_ + "/" + name;
    }
    std::string why(const std::string& path, std::size_t limit)
    {
        try {
            readServerFile(path, limit);
        } catch (const ServerFileError& e) {
            return e.what();
        }
        return "read";
    }
    std::string dir_;
};

} // namespace

TEST_F(ServerFile, ReadsARegularFileUpToItsLimitByteForByte)
{
    std::string all;
    for (int i = 0; i < 256; ++i)
        all += static_cast<char>(i);
    EXPECT_EQ(readServerFile(write("all.bin", all), 256), all);
    EXPECT_EQ(readServerFile(write("empty", ""), 256), "");
}

TEST_F(ServerFile, RefusesDirectoriesDevicesFifosAndLargerFiles)
{
    ASSERT_EQ(mkfifo((dir_ + "/fifo").c_str(), 0600), 0);
    EXPECT_NE(why(dir_, 1024).find("is a directory"), std::string::npos);
    EXPECT_NE(why("/dev/zero", 1024).find("not a regular file"), std::string::npos);
    EXPECT_NE(why(dir_ + "/fifo", 1024).find("not a regular file"), std::string::npos); // without waiting for a writer
    EXPECT_NE(why(write("big", std::string(257, 'x')), 256).find("larger than 256 bytes"), std::string::npos);
    EXPECT_NE(why(dir_ + "/missing", 1024).find("cannot be opened"), std::string::npos);
}

TEST_F(ServerFile, ANonAdminIsForbiddenBeforeThePathIsLookedAt)
{
    const std::string existing = write("ca.pem", "x");
    std::string answers[2];
    for (int i = 0; i < 2; ++i) {
        try {
            readServerFileParam(false, i == 0 ? existing : dir_ + "/missing", 1024, "incoming.ca_file");
            FAIL() << "read";
        } catch (const OperationError& e) {
            EXPECT_EQ(e.code(), "forbidden");
            EXPECT_EQ(e.field(), "incoming.ca_file");
            answers[i] = e.what();
        }
    }
    EXPECT_EQ(answers[0], answers[1]);
    try {
        readServerFileParam(true, dir_, 1024, "path");
        FAIL() << "read";
    } catch (const OperationError& e) {
        EXPECT_EQ(e.code(), "invalid_params");
        EXPECT_EQ(e.field(), "path");
    }
}
