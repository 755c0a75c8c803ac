#include "auth/base64url.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

namespace stdb::auth {
namespace {

std::string Encode(std::string_view s) { return Base64UrlEncode(AsBytes(s)); }

TEST(Base64Url, EncodesTheRfc4648VectorsWithoutPadding) {
  // Proves the encoder matches RFC 4648 section 10, minus the '=' padding JWTs omit.
  EXPECT_EQ(Encode(""), "");
  EXPECT_EQ(Encode("f"), "Zg");
  EXPECT_EQ(Encode("fo"), "Zm8");
  EXPECT_EQ(Encode("foo"), "Zm9v");
  EXPECT_EQ(Encode("foob"), "Zm9vYg");
  EXPECT_EQ(Encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Encode("foobar"), "Zm9vYmFy");
  // The JWS header of RFC 7515 appendix A.1, CRLF included.
  EXPECT_EQ(Encode("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"),
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
  // Proves '-' and '_' replace standard base64's '+' and '/'.
  const Bytes bytes = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");
  auto decoded = Base64UrlDecode("-_-_");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, bytes);
}

TEST(Base64Url, DecodesWhatItEncodes) {
  // Proves decode inverts encode for every byte string (RapidCheck property).
  EXPECT_TRUE(rc::check("decode(encode(b)) == b", [](const std::vector<uint8_t>& bytes) {
    auto decoded = Base64UrlDecode(Base64UrlEncode(bytes));
    RC_ASSERT(decoded.ok());
    RC_ASSERT(*decoded == bytes);
  }));
}

TEST(Base64Url, RejectsNonCanonicalOrForeignText) {
  // Proves the decoder is strict, so each byte string has exactly one accepted text.
  for (const char* bad :
       {"Z", "Zm9vY", "Zg==", "Zg=", "Zm+v", "Zm/v", " Zg", "Zg\n", "Zh", "Zm9", "Zm8!"}) {
    auto decoded = Base64UrlDecode(bad);
    EXPECT_FALSE(decoded.ok()) << bad;
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), ErrorCode::kDecode) << bad;
    }
  }
  // "Zm9" carries 2 unused non-zero bits ('9' = 61); "Zm8" is the canonical text.
  EXPECT_TRUE(Base64UrlDecode("Zm8").ok());
  EXPECT_FALSE(Base64UrlDecode(std::string_view("Zm\0v", 4)).ok());
}

TEST(Base64Url, DecodeNeverAcceptsTwoTextsForOneValue) {
  // Proves canonicity: any accepted text re-encodes to itself (RapidCheck property).
  EXPECT_TRUE(rc::check("accepted text is canonical", [](const std::string& text) {
    auto decoded = Base64UrlDecode(text);
    if (decoded.ok()) RC_ASSERT(Base64UrlEncode(*decoded) == text);
  }));
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  EXPECT_TRUE(rc::check("accepted alphabet text is canonical", [&] {
    const auto text = *rc::gen::container<std::string>(rc::gen::elementOf(alphabet));
    auto decoded = Base64UrlDecode(text);
    if (text.size() % 4 == 1) RC_ASSERT(!decoded.ok());
    if (decoded.ok()) RC_ASSERT(Base64UrlEncode(*decoded) == text);
  }));
}

}  // namespace
}  // namespace stdb::auth
