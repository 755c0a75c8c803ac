// 128- and 256-bit integers: decimal text both ways, range limits, and ordering.
#include "base/int256.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <limits>

namespace stdb {
namespace {

// Limbs biased to the edges, where carries and signs go wrong.
uint64_t EdgyLimb() {
  switch (*rc::gen::inRange(0, 5)) {
    case 0:
      return 0;
    case 1:
      return ~uint64_t{0};
    case 2:
      return uint64_t{1} << 63;
    default:
      return *rc::gen::arbitrary<uint64_t>();
  }
}

U256 RandomU256() { return U256{{EdgyLimb(), EdgyLimb(), EdgyLimb(), EdgyLimb()}}; }
I256 RandomI256() { return I256{{EdgyLimb(), EdgyLimb(), EdgyLimb(), EdgyLimb()}}; }

// Orders two decimal strings numerically (a reference independent of the limb code).
int CompareDecimal(const std::string& a, const std::string& b) {
  const bool na = a[0] == '-';
  const bool nb = b[0] == '-';
  if (na != nb) return na ? -1 : 1;
  const std::string ma = na ? a.substr(1) : a;
  const std::string mb = nb ? b.substr(1) : b;
  int mag = ma.size() != mb.size() ? (ma.size() < mb.size() ? -1 : 1) : ma.compare(mb);
  mag = mag < 0 ? -1 : (mag > 0 ? 1 : 0);
  return na ? -mag : mag;
}

constexpr std::string_view kU256Max =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";
constexpr std::string_view kI256Max =
    "57896044618658097711785492504343953926634992332820282019728792003956564819967";
constexpr std::string_view kI256Min =
    "-57896044618658097711785492504343953926634992332820282019728792003956564819968";

// ParseU256(ToDecimal(x)) is x for any U256.
RC_GTEST_PROP(Int256, U256DecimalRoundTrips, ()) {
  const U256 v = RandomU256();
  auto back = ParseU256(ToDecimal(v));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == v);
}

// ParseI256(ToDecimal(x)) is x for any I256, and the sign shows in the text.
RC_GTEST_PROP(Int256, I256DecimalRoundTrips, ()) {
  const I256 v = RandomI256();
  const std::string text = ToDecimal(v);
  RC_ASSERT((text[0] == '-') == v.is_negative());
  auto back = ParseI256(text);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == v);
}

// 128-bit decimal text round trips and agrees with the 256-bit code on the same values.
RC_GTEST_PROP(Int256, Int128DecimalRoundTripsAndAgreesWith256, ()) {
  const u128 u = static_cast<u128>(EdgyLimb()) << 64 | EdgyLimb();
  const i128 s = static_cast<i128>(u);
  RC_ASSERT(*ParseU128(ToDecimal(u)) == u);
  RC_ASSERT(*ParseI128(ToDecimal(s)) == s);
  RC_ASSERT(ToDecimal(u) ==
            ToDecimal(U256{{static_cast<uint64_t>(u), static_cast<uint64_t>(u >> 64), 0, 0}}));
  const uint64_t fill = s < 0 ? ~uint64_t{0} : 0;
  RC_ASSERT(ToDecimal(s) == ToDecimal(I256{{static_cast<uint64_t>(u),
                                            static_cast<uint64_t>(u >> 64), fill, fill}}));
}

// Small values print like std::to_string.
RC_GTEST_PROP(Int256, SmallValuesPrintLikeToString, (int64_t x)) {
  RC_ASSERT(ToDecimal(I256::FromI64(x)) == std::to_string(x));
  RC_ASSERT(ToDecimal(static_cast<i128>(x)) == std::to_string(x));
  const auto u = static_cast<uint64_t>(x);
  RC_ASSERT(ToDecimal(U256::FromU64(u)) == std::to_string(u));
}

// U256 and I256 order exactly as their decimal values do.
RC_GTEST_PROP(Int256, OrderingMatchesNumericOrder, ()) {
  const U256 a = RandomU256();
  const U256 b = *rc::gen::arbitrary<bool>() ? a : RandomU256();
  const int want_u = CompareDecimal(ToDecimal(a), ToDecimal(b));
  const auto got_u = a <=> b;
  RC_ASSERT((got_u < 0) == (want_u < 0));
  RC_ASSERT((got_u == 0) == (want_u == 0));
  const I256 c = RandomI256();
  const I256 d = *rc::gen::arbitrary<bool>() ? c : RandomI256();
  const int want_s = CompareDecimal(ToDecimal(c), ToDecimal(d));
  const auto got_s = c <=> d;
  RC_ASSERT((got_s < 0) == (want_s < 0));
  RC_ASSERT((got_s == 0) == (want_s == 0));
}

// The extremes parse and print exactly; one beyond them is rejected.
TEST(Int256, ExtremesParseAndOneBeyondIsRejected) {
  const U256 umax{{~0ULL, ~0ULL, ~0ULL, ~0ULL}};
  EXPECT_EQ(ToDecimal(umax), kU256Max);
  EXPECT_TRUE(*ParseU256(kU256Max) == umax);
  EXPECT_FALSE(
      ParseU256("115792089237316195423570985008687907853269984665640564039457584007913129639936")
          .ok());
  EXPECT_FALSE(
      ParseU256("1000000000000000000000000000000000000000000000000000000000000000000000000000000")
          .ok());

  const I256 imax{{~0ULL, ~0ULL, ~0ULL, ~0ULL >> 1}};
  const I256 imin{{0, 0, 0, uint64_t{1} << 63}};
  EXPECT_EQ(ToDecimal(imax), kI256Max);
  EXPECT_EQ(ToDecimal(imin), kI256Min);
  EXPECT_TRUE(*ParseI256(kI256Max) == imax);
  EXPECT_TRUE(*ParseI256(kI256Min) == imin);
  EXPECT_FALSE(
      ParseI256("57896044618658097711785492504343953926634992332820282019728792003956564819968")
          .ok());
  EXPECT_FALSE(
      ParseI256("-57896044618658097711785492504343953926634992332820282019728792003956564819969")
          .ok());
  EXPECT_TRUE(imin < imax);
  EXPECT_TRUE(I256::FromI64(-1) < I256::FromI64(0));

  EXPECT_EQ(ToDecimal(std::numeric_limits<u128>::max()), "340282366920938463463374607431768211455");
  EXPECT_FALSE(ParseU128("340282366920938463463374607431768211456").ok());
  EXPECT_TRUE(*ParseI128("-170141183460469231731687303715884105728") ==
              std::numeric_limits<i128>::min());
  EXPECT_TRUE(*ParseI128("170141183460469231731687303715884105727") ==
              std::numeric_limits<i128>::max());
  EXPECT_FALSE(ParseI128("170141183460469231731687303715884105728").ok());
  EXPECT_FALSE(ParseI128("-170141183460469231731687303715884105729").ok());
}

// Empty text, signs where none belong and non-digits are rejected; leading zeros and -0
// are fine.
TEST(Int256, MalformedTextIsRejected) {
  for (std::string_view bad : {"", "-", "+1", "1a", " 1", "1 ", "--1", "0x10", "1.0", "1e3"}) {
    EXPECT_FALSE(ParseU256(bad).ok()) << bad;
    EXPECT_FALSE(ParseI256(bad).ok()) << bad;
    EXPECT_FALSE(ParseU128(bad).ok()) << bad;
    EXPECT_FALSE(ParseI128(bad).ok()) << bad;
  }
  EXPECT_FALSE(ParseU256("-1").ok());
  EXPECT_FALSE(ParseU128("-0").ok());
  EXPECT_TRUE(*ParseU256("000042") == U256::FromU64(42));
  EXPECT_TRUE(*ParseI256("-0") == I256::FromI64(0));
  EXPECT_TRUE(*ParseI128("-0") == 0);
}

}  // namespace
}  // namespace stdb

namespace stdb {
namespace {

TEST(Int256Hex, U256HexIsBigEndianAndRoundTrips) {
  // Proves the Identity text form: most significant byte first, one optional 0x only.
  U256 v = U256::FromU64(0xabcd);
  v.limbs[3] = 0xc200000000000000ULL;
  const std::string hex = U256ToHex(v);
  ASSERT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.substr(0, 4), "c200");
  EXPECT_EQ(hex.substr(60), "abcd");
  auto back = U256FromHex("0x" + hex);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  EXPECT_FALSE(U256FromHex("0x0x" + hex.substr(2)).ok());
  EXPECT_FALSE(U256FromHex(hex.substr(1)).ok());
  EXPECT_FALSE(U256FromHex(hex.substr(1) + "g").ok());
}

}  // namespace
}  // namespace stdb
