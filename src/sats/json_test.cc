// The JSON form of values (docs/json.md): what ValueToJson emits for each kind and which
// input forms ValueFromJson accepts or rejects. The random round trip is in
// bsatn_property_test.cc.
#include "sats/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace stdb::sats {
namespace {

AlgebraicType T(TypeKind k) { return AlgebraicType(k); }

// Parses `text` as JSON and converts it to a value of `type`.
Result<AlgebraicValue> FromText(const AlgebraicType& type, std::string_view text) {
  return ValueFromJson(type, Json::parse(text));
}

// Checks that `text` is accepted for `type` and gives `want`.
void ExpectAccepts(const AlgebraicType& type, std::string_view text, const AlgebraicValue& want) {
  auto v = FromText(type, text);
  ASSERT_TRUE(v.ok()) << type.ToString() << " " << text << ": " << v.status().ToString();
  EXPECT_TRUE(*v == want) << type.ToString() << " " << text;
}

void ExpectRejects(const AlgebraicType& type, std::string_view text) {
  auto v = FromText(type, text);
  EXPECT_FALSE(v.ok()) << type.ToString() << " accepted " << text;
  if (!v.ok()) {
    EXPECT_EQ(v.status().code(), ErrorCode::kTypeMismatch) << text;
  }
}

std::string Emit(const AlgebraicType& type, const AlgebraicValue& v) {
  return ValueToJson(type, v).dump();
}

const AlgebraicType& Shape() {
  static const AlgebraicType t = AlgebraicType::Sum({Element{"Circle", T(TypeKind::kU32)},
                                                     Element{"Empty", AlgebraicType::Unit()},
                                                     Element{std::nullopt, AlgebraicType::Bool()}});
  return t;
}

// ---- What ValueToJson emits ----

// Integers up to 64 bits are JSON numbers; wider ones are numbers when they fit 64 bits
// and decimal strings otherwise.
TEST(JsonEmit, IntegersAreNumbersAndWideOnesDecimalStrings) {
  EXPECT_EQ(Emit(T(TypeKind::kI8), int8_t{-5}), "-5");
  EXPECT_EQ(Emit(T(TypeKind::kU64), std::numeric_limits<uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(Emit(T(TypeKind::kI64), std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(Emit(T(TypeKind::kU128), u128{7}), "7");
  EXPECT_EQ(Emit(T(TypeKind::kU128), static_cast<u128>(1) << 64), "\"18446744073709551616\"");
  EXPECT_EQ(Emit(T(TypeKind::kI128), std::numeric_limits<i128>::min()),
            "\"-170141183460469231731687303715884105728\"");
  EXPECT_EQ(Emit(T(TypeKind::kI256), I256::FromI64(-3)), "-3");
  EXPECT_EQ(Emit(T(TypeKind::kI256), I256{{0, 0, 0, uint64_t{1} << 63}}),
            "\"-57896044618658097711785492504343953926634992332820282019728792003956564819968\"");
  EXPECT_EQ(Emit(T(TypeKind::kU256), U256{{0, 1, 0, 0}}), "\"18446744073709551616\"");
}

// Floats are JSON numbers, except NaN and the infinities, which are strings.
TEST(JsonEmit, FloatsAreNumbersAndNonFiniteAreStrings) {
  EXPECT_EQ(Emit(T(TypeKind::kF64), 1.5), "1.5");
  EXPECT_EQ(Emit(T(TypeKind::kF32), 0.1f), ValueToJson(T(TypeKind::kF64), double{0.1f}).dump());
  EXPECT_EQ(Emit(T(TypeKind::kF64), std::numeric_limits<double>::quiet_NaN()), "\"NaN\"");
  EXPECT_EQ(Emit(T(TypeKind::kF32), std::numeric_limits<float>::infinity()), "\"inf\"");
  EXPECT_EQ(Emit(T(TypeKind::kF64), -std::numeric_limits<double>::infinity()), "\"-inf\"");
}

// Bool and String are JSON booleans and strings; bytes are lower-case hex without 0x.
TEST(JsonEmit, BoolStringAndBytes) {
  EXPECT_EQ(Emit(AlgebraicType::Bool(), true), "true");
  EXPECT_EQ(Emit(AlgebraicType::String(), std::string("a\"é")), "\"a\\\"é\"");
  EXPECT_EQ(Emit(AlgebraicType::Bytes(), Bytes{0x00, 0xAB}), "\"00ab\"");
}

// Products and arrays are JSON arrays; the unit is [].
TEST(JsonEmit, ProductsAndArraysAreJsonArrays) {
  const auto t =
      AlgebraicType::Product({Element{"a", T(TypeKind::kU8)},
                              Element{"b", AlgebraicType::Array(AlgebraicType::String())}});
  EXPECT_EQ(Emit(t, AlgebraicValue::Product({uint8_t{1}, ArrayValue{{std::string("x")}}})),
            "[1,[\"x\"]]");
  EXPECT_EQ(Emit(AlgebraicType::Unit(), AlgebraicValue::Unit()), "[]");
}

// A sum is a one-key object: the variant's name (its index for an unnamed variant) mapped
// to the payload. Options are sums, so none is {"none":[]}.
TEST(JsonEmit, SumsAreOneKeyObjects) {
  EXPECT_EQ(Emit(Shape(), AlgebraicValue::Sum(0, uint32_t{3})), "{\"Circle\":3}");
  EXPECT_EQ(Emit(Shape(), AlgebraicValue::Sum(1, AlgebraicValue::Unit())), "{\"Empty\":[]}");
  EXPECT_EQ(Emit(Shape(), AlgebraicValue::Sum(2, true)), "{\"2\":true}");
  const auto opt = AlgebraicType::Option(T(TypeKind::kI32));
  EXPECT_EQ(Emit(opt, AlgebraicValue::Some(int32_t{-1})), "{\"some\":-1}");
  EXPECT_EQ(Emit(opt, AlgebraicValue::None()), "{\"none\":[]}");
}

// Identity and ConnectionId are 0x-prefixed big-endian hex; Timestamp and TimeDuration
// are numbers of microseconds; ScheduleAt is a sum.
TEST(JsonEmit, SpecialTypesAreScalars) {
  U256 id{};
  id.limbs[0] = 0x0807060504030201ULL;
  id.limbs[3] = 0xff00000000000000ULL;
  EXPECT_EQ(Emit(AlgebraicType::Identity(), AlgebraicValue::Identity(id)),
            "\"0xff00000000000000000000000000000000000000000000000807060504030201\"");
  EXPECT_EQ(Emit(AlgebraicType::ConnectionId(), AlgebraicValue::ConnectionId(u128{0xabcd})),
            "\"0x0000000000000000000000000000abcd\"");
  EXPECT_EQ(Emit(AlgebraicType::Timestamp(), AlgebraicValue::Timestamp(1700000000000000)),
            "1700000000000000");
  EXPECT_EQ(Emit(AlgebraicType::TimeDuration(), AlgebraicValue::TimeDuration(-5)), "-5");
  EXPECT_EQ(
      Emit(AlgebraicType::ScheduleAt(), AlgebraicValue::Sum(0, AlgebraicValue::TimeDuration(1000))),
      "{\"Interval\":1000}");
}

// ---- What ValueFromJson accepts ----

// A product is accepted as an array in field order or as an object keyed by field name.
TEST(JsonAccept, ProductsAsArraysOrObjects) {
  const auto t = AlgebraicType::Product(
      {Element{"x", T(TypeKind::kI32)}, Element{"y", AlgebraicType::String()}});
  const auto want = AlgebraicValue::Product({int32_t{1}, std::string("p")});
  ExpectAccepts(t, R"([1, "p"])", want);
  ExpectAccepts(t, R"({"y": "p", "x": 1})", want);
  ExpectRejects(t, R"([1])");
  ExpectRejects(t, R"([1, "p", 2])");
  ExpectRejects(t, R"({"x": 1})");
  ExpectRejects(t, R"({"x": 1, "z": "p"})");
  ExpectRejects(t, R"({"x": 1, "y": "p", "z": 0})");
  ExpectRejects(t, R"("x")");
  // Unnamed fields can only be given positionally.
  const auto unnamed = AlgebraicType::Product({Element{std::nullopt, T(TypeKind::kU8)}});
  ExpectAccepts(unnamed, "[4]", AlgebraicValue::Product({uint8_t{4}}));
  ExpectRejects(unnamed, R"({"0": 4})");
}

// An option is accepted as {"some": x}, {"none": []}, null, or a bare x.
TEST(JsonAccept, OptionsAsVariantNullOrBareValue) {
  const auto t = AlgebraicType::Option(T(TypeKind::kU16));
  ExpectAccepts(t, R"({"some": 7})", AlgebraicValue::Some(uint16_t{7}));
  ExpectAccepts(t, "7", AlgebraicValue::Some(uint16_t{7}));
  ExpectAccepts(t, R"({"none": []})", AlgebraicValue::None());
  ExpectAccepts(t, "null", AlgebraicValue::None());
  ExpectRejects(t, R"({"some": -1})");
  ExpectRejects(t, R"("none")");
  // A bare product given as a one-key object is still a bare some-value.
  const auto p = AlgebraicType::Option(AlgebraicType::Product({Element{"x", T(TypeKind::kU8)}}));
  ExpectAccepts(p, R"({"x": 5})", AlgebraicValue::Some(AlgebraicValue::Product({uint8_t{5}})));
  // Nested options: null is the outer none.
  const auto nested = AlgebraicType::Option(AlgebraicType::Option(T(TypeKind::kU8)));
  ExpectAccepts(nested, "null", AlgebraicValue::None());
  ExpectAccepts(nested, R"({"some": null})", AlgebraicValue::Some(AlgebraicValue::None()));
}

// A sum is accepted as {"Variant": payload}, a unit variant also as its bare name, and an
// unnamed variant by its index as the key.
TEST(JsonAccept, SumsAsVariantObjectsOrBareUnitNames) {
  ExpectAccepts(Shape(), R"({"Circle": 2})", AlgebraicValue::Sum(0, uint32_t{2}));
  ExpectAccepts(Shape(), R"({"Empty": []})", AlgebraicValue::Sum(1, AlgebraicValue::Unit()));
  ExpectAccepts(Shape(), R"({"Empty": {}})", AlgebraicValue::Sum(1, AlgebraicValue::Unit()));
  ExpectAccepts(Shape(), R"("Empty")", AlgebraicValue::Sum(1, AlgebraicValue::Unit()));
  ExpectAccepts(Shape(), R"({"2": false})", AlgebraicValue::Sum(2, false));
  ExpectRejects(Shape(), R"("Circle")");
  ExpectRejects(Shape(), R"({"Square": 1})");
  ExpectRejects(Shape(), R"({"0": 1})");
  ExpectRejects(Shape(), R"({"Circle": 1, "Empty": []})");
  ExpectRejects(Shape(), "0");
}

// Identity and ConnectionId are accepted as big-endian hex with or without 0x, in either
// case, and in their product forms; wrong lengths are rejected.
TEST(JsonAccept, IdentityAndConnectionIdAsHex) {
  const std::string hex64 = "00000000000000000000000000000000000000000000000000000000000001ff";
  const auto want = AlgebraicValue::Identity(U256::FromU64(0x1ff));
  ExpectAccepts(AlgebraicType::Identity(), "\"" + hex64 + "\"", want);
  ExpectAccepts(AlgebraicType::Identity(), "\"0x" + hex64 + "\"", want);
  ExpectAccepts(AlgebraicType::Identity(), "\"0X" + hex64.substr(0, 62) + "FF\"", want);
  ExpectAccepts(AlgebraicType::Identity(), R"({"__identity__": "0x)" + hex64 + "\"}", want);
  ExpectAccepts(AlgebraicType::Identity(), "[\"" + hex64 + "\"]", want);
  ExpectAccepts(AlgebraicType::Identity(), "511", want);
  ExpectRejects(AlgebraicType::Identity(), "\"0x01ff\"");
  ExpectRejects(AlgebraicType::Identity(), "\"" + hex64 + "00\"");
  ExpectRejects(AlgebraicType::Identity(), "\"" + hex64.substr(0, 63) + "g\"");
  const auto cid = AlgebraicType::ConnectionId();
  ExpectAccepts(cid, R"("0x000000000000000000000000000000ab")",
                AlgebraicValue::ConnectionId(u128{0xab}));
  ExpectAccepts(cid, R"("000000000000000000000000000000ab")",
                AlgebraicValue::ConnectionId(u128{0xab}));
  ExpectRejects(cid, R"("0xab")");
}

// Timestamp and TimeDuration are accepted as numbers, decimal strings, or product forms.
TEST(JsonAccept, TimestampsAsNumbersOrDecimalStrings) {
  const auto ts = AlgebraicType::Timestamp();
  const auto want = AlgebraicValue::Timestamp(1700000000000000);
  ExpectAccepts(ts, "1700000000000000", want);
  ExpectAccepts(ts, R"("1700000000000000")", want);
  ExpectAccepts(ts, R"({"__timestamp_micros_since_unix_epoch__": 1700000000000000})", want);
  ExpectAccepts(AlgebraicType::TimeDuration(), "-1", AlgebraicValue::TimeDuration(-1));
  ExpectRejects(ts, "1.5");
  ExpectRejects(ts, R"("soon")");
  ExpectRejects(ts, "9223372036854775808");
}

// Integers of any width are accepted as JSON integers or decimal strings, within range.
TEST(JsonAccept, IntegersAsNumbersOrDecimalStringsWithinRange) {
  ExpectAccepts(T(TypeKind::kU8), "255", uint8_t{255});
  ExpectAccepts(T(TypeKind::kU8), R"("255")", uint8_t{255});
  ExpectRejects(T(TypeKind::kU8), "256");
  ExpectRejects(T(TypeKind::kU8), "-1");
  ExpectRejects(T(TypeKind::kU8), "1.0");
  ExpectRejects(T(TypeKind::kU8), R"("0x10")");
  ExpectAccepts(T(TypeKind::kI8), "-128", int8_t{-128});
  ExpectRejects(T(TypeKind::kI8), "-129");
  ExpectRejects(T(TypeKind::kI8), "128");
  ExpectAccepts(T(TypeKind::kU64), "18446744073709551615", std::numeric_limits<uint64_t>::max());
  ExpectRejects(T(TypeKind::kU64), R"("18446744073709551616")");
  ExpectRejects(T(TypeKind::kI64), "9223372036854775808");
  ExpectAccepts(T(TypeKind::kI64), R"("-9223372036854775808")",
                std::numeric_limits<int64_t>::min());
  ExpectAccepts(T(TypeKind::kU128), R"("340282366920938463463374607431768211455")",
                std::numeric_limits<u128>::max());
  ExpectRejects(T(TypeKind::kU128), R"("340282366920938463463374607431768211456")");
  ExpectAccepts(T(TypeKind::kI128), R"("-170141183460469231731687303715884105728")",
                std::numeric_limits<i128>::min());
  ExpectRejects(T(TypeKind::kI128), R"("170141183460469231731687303715884105728")");
  ExpectAccepts(T(TypeKind::kU256), "12", U256::FromU64(12));
  ExpectAccepts(
      T(TypeKind::kU256),
      R"("115792089237316195423570985008687907853269984665640564039457584007913129639935")",
      U256{{~0ULL, ~0ULL, ~0ULL, ~0ULL}});
  ExpectRejects(
      T(TypeKind::kU256),
      R"("115792089237316195423570985008687907853269984665640564039457584007913129639936")");
  ExpectAccepts(T(TypeKind::kI256), "-12", I256::FromI64(-12));
  ExpectRejects(T(TypeKind::kI256), "1e3");
  ExpectRejects(T(TypeKind::kI256), R"("")");
}

// A Json built in code holds non-negative integers as signed; unsigned types accept them.
TEST(JsonAccept, SignedJsonIntegersFitUnsignedTypes) {
  auto v = ValueFromJson(T(TypeKind::kU32), Json(int64_t{5}));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(*v == AlgebraicValue(uint32_t{5}));
  EXPECT_FALSE(ValueFromJson(T(TypeKind::kU32), Json(int64_t{-5})).ok());
  auto bytes = ValueFromJson(AlgebraicType::Bytes(), Json::array({1, 2}));
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_TRUE(*bytes == AlgebraicValue(Bytes{1, 2}));
}

// An out-of-range integer is rejected with a message naming its path and expected type.
TEST(JsonAccept, OutOfRangeIntegerMessageNamesThePath) {
  const auto t = AlgebraicType::Product(
      {Element{"id", T(TypeKind::kU32)},
       Element{"tags",
               AlgebraicType::Array(AlgebraicType::Product({Element{"w", T(TypeKind::kI8)}}))}});
  auto v = FromText(t, R"({"id": 1, "tags": [{"w": 1}, {"w": 300}]})");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), ErrorCode::kTypeMismatch);
  EXPECT_NE(v.status().message().find("$.tags[1].w"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("I8"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("300"), std::string::npos) << v.status().message();
  auto b = FromText(AlgebraicType::Bytes(), "[1, 2, 256]");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("$[2]"), std::string::npos) << b.status().message();
}

// Floats are accepted as numbers or "NaN"/"inf"/"-inf"; a finite number beyond F32 is not.
TEST(JsonAccept, FloatsAsNumbersOrNonFiniteNames) {
  ExpectAccepts(T(TypeKind::kF64), "2", 2.0);
  ExpectAccepts(T(TypeKind::kF32), "-0.5", -0.5f);
  ExpectAccepts(T(TypeKind::kF64), R"("inf")", std::numeric_limits<double>::infinity());
  ExpectAccepts(T(TypeKind::kF32), R"("-inf")", -std::numeric_limits<float>::infinity());
  auto nan = FromText(T(TypeKind::kF64), R"("NaN")");
  ASSERT_TRUE(nan.ok());
  EXPECT_TRUE(std::isnan(nan->as<double>()));
  ExpectRejects(T(TypeKind::kF32), "1e39");
  ExpectAccepts(T(TypeKind::kF64), "1e39", 1e39);
  ExpectRejects(T(TypeKind::kF64), R"("nan")");
  ExpectRejects(T(TypeKind::kF64), "true");
}

// Bytes are accepted as hex (with or without 0x) or as an array of numbers.
TEST(JsonAccept, BytesAsHexOrNumberArrays) {
  ExpectAccepts(AlgebraicType::Bytes(), R"("0aff")", Bytes{0x0a, 0xff});
  ExpectAccepts(AlgebraicType::Bytes(), R"("0x0AFF")", Bytes{0x0a, 0xff});
  ExpectAccepts(AlgebraicType::Bytes(), R"("")", Bytes{});
  ExpectAccepts(AlgebraicType::Bytes(), "[10, 255]", Bytes{0x0a, 0xff});
  ExpectRejects(AlgebraicType::Bytes(), R"("abc")");
  ExpectRejects(AlgebraicType::Bytes(), R"("zz")");
}

// Bool and String accept only their own JSON kinds.
TEST(JsonAccept, BoolAndStringAreStrict) {
  ExpectAccepts(AlgebraicType::Bool(), "false", false);
  ExpectRejects(AlgebraicType::Bool(), "0");
  ExpectRejects(AlgebraicType::Bool(), R"("true")");
  ExpectAccepts(AlgebraicType::String(), R"("ok")", std::string("ok"));
  ExpectRejects(AlgebraicType::String(), "1");
  ExpectRejects(AlgebraicType::String(), "null");
  // A Json built in code may hold bytes that are not UTF-8; they are not a String.
  EXPECT_FALSE(ValueFromJson(AlgebraicType::String(), Json(std::string("\xc3"))).ok());
}

// A huge or deeply nested offending input yields a short message, quickly, without
// serializing the input or recursing through it.
TEST(JsonAccept, MismatchOnHugeDeepInputIsShortAndBounded) {
  const int levels = 200'000;
  const Json deep = Json::parse(std::string(levels, '[') + std::string(levels, ']'));
  auto v = ValueFromJson(T(TypeKind::kU8), deep);
  ASSERT_FALSE(v.ok());
  EXPECT_LT(v.status().message().size(), size_t{200});
  Json wide = Json::array();
  for (int i = 0; i < 100'000; ++i) wide.push_back("xxxxxxxxxx");
  auto w = ValueFromJson(AlgebraicType::Identity(), Json::object({{"__identity__", wide}}));
  ASSERT_FALSE(w.ok());
  EXPECT_LT(w.status().message().size(), size_t{200});
  // Invalid UTF-8 in an offending string does not break the message.
  auto s = ValueFromJson(T(TypeKind::kU8), Json(std::string("\xff\xfe")));
  ASSERT_FALSE(s.ok());
}

// A String value that is not UTF-8 (only constructible in code) becomes null, so the
// result of ValueToJson always serializes.
TEST(JsonEmit, NonUtf8StringBecomesNull) {
  const Json j = ValueToJson(AlgebraicType::String(), std::string("\xc0\x80"));
  EXPECT_TRUE(j.is_null());
  EXPECT_EQ(j.dump(), "null");
}

// TypeToJson uses SpacetimeDB's shape for every kind.
TEST(JsonType, TypeToJsonUsesSpacetimeDbShape) {
  EXPECT_EQ(TypeToJson(T(TypeKind::kU64)).dump(), R"({"U64":[]})");
  EXPECT_EQ(TypeToJson(AlgebraicType::Ref(3)).dump(), R"({"Ref":3})");
  EXPECT_EQ(TypeToJson(AlgebraicType::Array(AlgebraicType::String())).dump(),
            R"({"Array":{"String":[]}})");
  EXPECT_EQ(TypeToJson(AlgebraicType::Product({Element{"x", AlgebraicType::Bool()},
                                               Element{std::nullopt, T(TypeKind::kI8)}}))
                .dump(),
            R"({"Product":{"elements":[{"algebraic_type":{"Bool":[]},"name":{"some":"x"}},)"
            R"({"algebraic_type":{"I8":[]},"name":{"none":[]}}]}})");
  EXPECT_EQ(TypeToJson(AlgebraicType::Sum({Element{"A", AlgebraicType::Unit()}})).dump(),
            R"({"Sum":{"variants":[{"algebraic_type":{"Product":{"elements":[]}},)"
            R"("name":{"some":"A"}}]}})");
}

}  // namespace
}  // namespace stdb::sats
