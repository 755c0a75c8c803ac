// AlgebraicType construction, special-type recognition and printing.
#include "sats/types.h"

#include <gtest/gtest.h>

namespace stdb::sats {
namespace {

AlgebraicType T(TypeKind k) { return AlgebraicType(k); }

// The special types are recognized by their reserved names and exact inner kinds only.
TEST(AlgebraicType, SpecialTypesAreRecognizedByReservedNameAndInnerKind) {
  EXPECT_TRUE(AlgebraicType::Identity().is_identity());
  EXPECT_TRUE(AlgebraicType::ConnectionId().is_connection_id());
  EXPECT_TRUE(AlgebraicType::Timestamp().is_timestamp());
  EXPECT_TRUE(AlgebraicType::TimeDuration().is_time_duration());
  EXPECT_TRUE(AlgebraicType::ScheduleAt().is_schedule_at());
  EXPECT_TRUE(AlgebraicType::Option(T(TypeKind::kU8)).is_option());
  EXPECT_TRUE(AlgebraicType::Identity().is_special_scalar());
  EXPECT_FALSE(AlgebraicType::ScheduleAt().is_special_scalar());
  // Same name, wrong inner kind: an ordinary product.
  const auto fake = AlgebraicType::Product({Element{"__identity__", T(TypeKind::kU128)}});
  EXPECT_FALSE(fake.is_identity());
  // Option needs the names some/none in that order and a unit none.
  EXPECT_FALSE(AlgebraicType::Sum(
                   {Element{"none", AlgebraicType::Unit()}, Element{"some", T(TypeKind::kU8)}})
                   .is_option());
  EXPECT_FALSE(
      AlgebraicType::Sum({Element{"some", T(TypeKind::kU8)}, Element{"none", T(TypeKind::kU8)}})
          .is_option());
}

// Bytes is Array<U8>; the unit is the empty product.
TEST(AlgebraicType, BytesIsArrayOfU8AndUnitIsEmptyProduct) {
  EXPECT_TRUE(AlgebraicType::Bytes().is_bytes());
  EXPECT_TRUE(AlgebraicType::Array(T(TypeKind::kU8)) == AlgebraicType::Bytes());
  EXPECT_FALSE(AlgebraicType::Array(T(TypeKind::kI8)).is_bytes());
  EXPECT_TRUE(AlgebraicType::Unit().is_unit());
  EXPECT_TRUE(AlgebraicType() == AlgebraicType::Product({}));
  EXPECT_FALSE(AlgebraicType::Sum({}).is_unit());
}

// ToString names special types and shows structure for the rest.
TEST(AlgebraicType, ToStringNamesSpecialTypesAndShowsStructure) {
  EXPECT_EQ(AlgebraicType::Option(AlgebraicType::String()).ToString(), "Option<String>");
  EXPECT_EQ(AlgebraicType::Array(AlgebraicType::Identity()).ToString(), "Array<Identity>");
  EXPECT_EQ(AlgebraicType::ScheduleAt().ToString(), "ScheduleAt");
  EXPECT_EQ(AlgebraicType::Product(
                {Element{"x", T(TypeKind::kI32)}, Element{std::nullopt, T(TypeKind::kF64)}})
                .ToString(),
            "(x: I32, F64)");
  EXPECT_EQ(
      AlgebraicType::Sum({Element{"A", AlgebraicType::Unit()}, Element{"B", T(TypeKind::kU8)}})
          .ToString(),
      "{A: () | B: U8}");
  EXPECT_EQ(AlgebraicType::Ref(4).ToString(), "Ref(4)");
}

// Equality compares kind, names, element types and refs.
TEST(AlgebraicType, EqualityIsStructuralIncludingNames) {
  EXPECT_TRUE(AlgebraicType::Ref(1) == AlgebraicType::Ref(1));
  EXPECT_FALSE(AlgebraicType::Ref(1) == AlgebraicType::Ref(2));
  EXPECT_FALSE(AlgebraicType::Product({Element{"a", T(TypeKind::kU8)}}) ==
               AlgebraicType::Product({Element{"b", T(TypeKind::kU8)}}));
  EXPECT_FALSE(AlgebraicType::Product({Element{"a", T(TypeKind::kU8)}}) ==
               AlgebraicType::Sum({Element{"a", T(TypeKind::kU8)}}));
}

// Constructing an Array kind without its element is a programmer error caught at once.
TEST(AlgebraicTypeDeathTest, ArrayKindWithoutElementAsserts) {
  EXPECT_DEATH({ AlgebraicType t(TypeKind::kArray); }, "AlgebraicType::Array");
}

}  // namespace
}  // namespace stdb::sats
