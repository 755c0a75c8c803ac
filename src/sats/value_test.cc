// AlgebraicValue semantics: sum payload ownership, equality and ordering.
#include "sats/value.h"

#include <gtest/gtest.h>

#include <limits>

namespace stdb::sats {
namespace {

// A SumValue owns a deep copy of its payload and is never empty unless moved from.
TEST(SumValue, CopiesAreDeepAndDefaultIsTagZeroUnit) {
  const SumValue d;
  EXPECT_EQ(d.tag, 0);
  ASSERT_NE(d.value, nullptr);
  EXPECT_TRUE(*d.value == AlgebraicValue::Unit());
  SumValue a(3, std::string("x"));
  SumValue b = a;
  b.value->as<std::string>() = "y";
  EXPECT_EQ(a.value->as<std::string>(), "x");
  EXPECT_FALSE(a == b);
  b = a;
  EXPECT_TRUE(a == b);
}

// Compare orders numbers numerically, strings and bytes lexicographically, products field
// by field, sums by tag then payload; NaN and mismatched alternatives are unordered.
TEST(Compare, OrdersLikeTheTypeAndLeavesNaNUnordered) {
  EXPECT_EQ(Compare(int32_t{-1}, int32_t{2}), std::partial_ordering::less);
  EXPECT_EQ(Compare(I256::FromI64(-1), I256::FromI64(0)), std::partial_ordering::less);
  EXPECT_EQ(Compare(std::string("ab"), std::string("b")), std::partial_ordering::less);
  EXPECT_EQ(Compare(Bytes{1, 2}, Bytes{1}), std::partial_ordering::greater);
  EXPECT_EQ(Compare(AlgebraicValue::Product({int32_t{1}, std::string("b")}),
                    AlgebraicValue::Product({int32_t{1}, std::string("a")})),
            std::partial_ordering::greater);
  EXPECT_EQ(Compare(AlgebraicValue::Sum(0, int32_t{9}), AlgebraicValue::Sum(1, int32_t{0})),
            std::partial_ordering::less);
  EXPECT_EQ(Compare(AlgebraicValue::Some(int32_t{1}), AlgebraicValue::Some(int32_t{1})),
            std::partial_ordering::equivalent);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Compare(nan, 1.0), std::partial_ordering::unordered);
  EXPECT_EQ(Compare(int32_t{1}, int64_t{1}), std::partial_ordering::unordered);
  EXPECT_EQ(Compare(ArrayValue{{int8_t{1}}}, ArrayValue{{int8_t{1}, int8_t{0}}}),
            std::partial_ordering::less);
}

// Equality is IEEE for floats: a value holding NaN is not equal to itself.
TEST(AlgebraicValue, EqualityIsIeeeForFloats) {
  const AlgebraicValue nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(nan == nan);
  EXPECT_TRUE(AlgebraicValue(0.0) == AlgebraicValue(-0.0));
}

}  // namespace
}  // namespace stdb::sats
