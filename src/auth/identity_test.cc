#include "auth/identity.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <set>

namespace stdb::auth {
namespace {

TEST(IdentityHex, PrintsTheMostSignificantByteFirst) {
  // Proves the hex form is the big-endian view of the little-endian limbs.
  EXPECT_EQ(IdentityToHex(U256::FromU64(1)), std::string(63, '0') + "1");
  U256 v;
  v.limbs[3] = 0xc200000000000000ULL;
  v.limbs[0] = 0xab;
  EXPECT_EQ(IdentityToHex(v), "c2" + std::string(60, '0') + "ab");
  U256 bytes_in_order;  // big-endian bytes 00 01 02 ... 1f
  for (int i = 0; i < 32; ++i) {
    const int le = 31 - i;
    bytes_in_order.limbs[le / 8] |= uint64_t(i) << (8 * (le % 8));
  }
  EXPECT_EQ(IdentityToHex(bytes_in_order),
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
}

TEST(IdentityHex, ParsesWhatItPrints) {
  // Proves IdentityFromHex inverts IdentityToHex for every value (RapidCheck property).
  EXPECT_TRUE(
      rc::check("FromHex(ToHex(v)) == v", [](uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
        const U256 v{{a, b, c, d}};
        auto parsed = IdentityFromHex(IdentityToHex(v));
        RC_ASSERT(parsed.ok());
        RC_ASSERT(*parsed == v);
      }));
}

TEST(IdentityHex, AcceptsPrefixAndUpperCaseButOnlySixtyFourDigits) {
  // Proves the accepted spellings and the rejection of wrong lengths and digits.
  const std::string hex = "c200f546f73be074706e70c3756676ad3d2a344f2891356dc7f479d83a09ac8f";
  auto plain = IdentityFromHex(hex);
  ASSERT_TRUE(plain.ok());
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  for (const std::string& spelling : {"0x" + hex, "0X" + hex, upper}) {
    auto parsed = IdentityFromHex(spelling);
    ASSERT_TRUE(parsed.ok()) << spelling;
    EXPECT_EQ(*parsed, *plain);
  }
  for (const std::string& bad :
       {std::string(), std::string("0x"), hex.substr(1), hex + "0", hex + "00", "g" + hex.substr(1),
        " " + hex.substr(1), "0x0x" + hex.substr(2)}) {
    auto parsed = IdentityFromHex(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kDecode);
  }
}

TEST(DeriveIdentity, MatchesTheDocumentedSha256Layout) {
  // Proves the derivation is stable: values computed independently (Python hashlib) as
  // "c200" + hex(SHA-256(issuer "|" subject)[0:30]).
  EXPECT_EQ(IdentityToHex(DeriveIdentity("localhost", "alice")),
            "c200f546f73be074706e70c3756676ad3d2a344f2891356dc7f479d83a09ac8f");
  EXPECT_EQ(IdentityToHex(
                DeriveIdentity("https://auth.example.com", "00000000-0000-4000-8000-000000000000")),
            "c20060c3647ec05fa7f9bd2ac8ff4e40212073dbfcfa687c2cdb79e6625921e7");
}

TEST(DeriveIdentity, IsDeterministicAndSeparatesSubjectsAndIssuers) {
  // Proves equal claims give equal identities and different claims different ones.
  EXPECT_EQ(DeriveIdentity("localhost", "bob"), DeriveIdentity("localhost", "bob"));
  EXPECT_NE(DeriveIdentity("localhost", "bob"), DeriveIdentity("localhost", "bob2"));
  EXPECT_NE(DeriveIdentity("localhost", "bob"), DeriveIdentity("example.com", "bob"));
  EXPECT_TRUE(IdentityToHex(DeriveIdentity("", "")).starts_with("c200"));
}

TEST(RandomBytes, ReturnsTheRequestedLengthAndDifferentValues) {
  // Proves lengths are exact and two 32-byte draws differ (a 2^-256 false failure).
  EXPECT_TRUE(RandomBytes(0).empty());
  EXPECT_EQ(RandomBytes(1).size(), 1u);
  EXPECT_EQ(RandomBytes(kRandomBytesMax).size(), kRandomBytesMax);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

TEST(RandomConnectionId, IsNeverZeroAndDoesNotRepeat) {
  // Proves connection ids are non-zero and distinct over many draws.
  std::set<u128> seen;
  for (int i = 0; i < 10000; ++i) {
    const u128 id = RandomConnectionId();
    ASSERT_NE(id, 0u);
    ASSERT_TRUE(seen.insert(id).second);
  }
}

}  // namespace
}  // namespace stdb::auth
