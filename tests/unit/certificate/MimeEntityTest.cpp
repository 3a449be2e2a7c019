#include "certificate/MimeEntity.h"

#include <gtest/gtest.h>

using erpmail::smime::parameter;

TEST(MimeEntity, ParameterReadsTokensAndQuotedStrings)
{
    EXPECT_EQ(parameter("multipart/signed; boundary=abc; micalg=sha-256", "boundary"), "abc");
    EXPECT_EQ(parameter("multipart/signed;\tBoundary = \"a b;c\" ; micalg=sha-256", "boundary"), "a b;c");
    EXPECT_EQ(parameter("multipart/signed; boundary=\"a\\\"b\"", "boundary"), "a\"b");
    EXPECT_EQ(parameter("multipart/signed; micalg=sha-256", "boundary"), "");
}

// A boundary hidden in another parameter's quotes is no boundary: the
// verifier and GMime, which shows the mail, must split it the same way
// (a forged "valid" came of reading "boundary=" anywhere in the field).
TEST(MimeEntity, BoundaryInsideAnotherParametersQuotesIsNotTheBoundary)
{
    EXPECT_EQ(parameter("multipart/signed; protocol=\"x; boundary=EVIL\"; boundary=REAL", "boundary"), "REAL");
    EXPECT_EQ(parameter("multipart/signed; x-note=\"boundary=EVIL\"", "boundary"), "");
}

TEST(MimeEntity, AParameterGivenTwiceHasNoReading)
{
    EXPECT_EQ(parameter("multipart/signed; boundary=ONE; boundary=TWO", "boundary"), "");
}
