// Known byte layouts of every BSATN kind (docs/bsatn.md, protocol.md) and decoder
// robustness against hostile input. Properties over random types live in
// bsatn_property_test.cc.
#include "sats/bsatn.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <new>

#include "base/bytes.h"
#include "sats/json.h"

// Allocation probe: while armed, records the largest single operator-new request, so a
// test can show that a hostile length does not turn into a large allocation. This
// replaces the global operator new for the whole sats_test binary; it only forwards to
// malloc, so other tests are unaffected.
namespace {
std::atomic<bool> g_probe_armed{false};
std::atomic<size_t> g_probe_max_bytes{0};
}  // namespace

// GCC 12 at -O2 inlines this replacement pair and then warns that free() meets memory
// from operator new; both ends are the replacements below, which use malloc/free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  if (g_probe_armed.load(std::memory_order_relaxed)) {
    size_t seen = g_probe_max_bytes.load(std::memory_order_relaxed);
    while (n > seen && !g_probe_max_bytes.compare_exchange_weak(seen, n)) {
    }
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace stdb::sats {
namespace {

// Arms the allocation probe for its lifetime.
class AllocationProbe {
 public:
  AllocationProbe() {
    g_probe_max_bytes = 0;
    g_probe_armed = true;
  }
  ~AllocationProbe() { g_probe_armed = false; }
  size_t max_bytes() const { return g_probe_max_bytes.load(); }
};

// Bytes from hex text; spaces are ignored.
Bytes H(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c != ' ') hex += c;
  }
  auto b = FromHex(hex);
  STDB_ASSERT(b.ok());
  return *b;
}

Bytes Enc(const AlgebraicType& t, const AlgebraicValue& v) {
  Bytes out;
  const Status s = EncodeBsatn(t, v, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// Checks that `v` encodes to exactly `hex` under `t`, and that those bytes decode, skip
// and validate back to `v`.
void ExpectLayout(const AlgebraicType& t, const AlgebraicValue& v, std::string_view hex) {
  const Bytes want = H(hex);
  EXPECT_EQ(ToHex(Enc(t, v)), ToHex(want)) << t.ToString();
  auto d = DecodeBsatnExact(t, want);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(*d == v) << t.ToString();
  EXPECT_TRUE(ValidateBsatn(t, want).ok());
}

AlgebraicType T(TypeKind k) { return AlgebraicType(k); }

// Array<...Array<U16>...> with `levels` arrays.
AlgebraicType NestedArrayType(int levels) {
  AlgebraicType t = T(TypeKind::kU16);
  for (int i = 0; i < levels; ++i) t = AlgebraicType::Array(std::move(t));
  return t;
}

// The value [[...[7]...]] of NestedArrayType(levels), and its encoding.
AlgebraicValue NestedArrayValue(int levels) {
  AlgebraicValue v = uint16_t{7};
  for (int i = 0; i < levels; ++i) v = ArrayValue{{std::move(v)}};
  return v;
}
Bytes NestedArrayBytes(int levels) {
  Bytes b;
  ByteWriter w(b);
  for (int i = 0; i < levels; ++i) w.U32(1);
  w.U16(7);
  return b;
}

// ---- Known layouts ----

// Fixed-width integers are little-endian two's complement at their natural width.
TEST(BsatnLayout, IntegersAreLittleEndianAtTheirWidth) {
  ExpectLayout(T(TypeKind::kU8), uint8_t{0xAB}, "ab");
  ExpectLayout(T(TypeKind::kI8), int8_t{-2}, "fe");
  ExpectLayout(T(TypeKind::kU16), uint16_t{0x1234}, "3412");
  ExpectLayout(T(TypeKind::kI16), int16_t{-2}, "feff");
  ExpectLayout(T(TypeKind::kU32), uint32_t{0x12345678}, "78563412");
  ExpectLayout(T(TypeKind::kI32), int32_t{-1}, "ffffffff");
  ExpectLayout(T(TypeKind::kU64), uint64_t{0x0102030405060708}, "0807060504030201");
  ExpectLayout(T(TypeKind::kI64), int64_t{-2}, "feffffffffffffff");
}

// 128-bit integers are 16 bytes little-endian, low half first.
TEST(BsatnLayout, Int128IsSixteenBytesLittleEndian) {
  const u128 u = static_cast<u128>(0x1112131415161718ULL) << 64 | 0x0102030405060708ULL;
  ExpectLayout(T(TypeKind::kU128), u, "0807060504030201 1817161514131211");
  ExpectLayout(T(TypeKind::kI128), i128{-1}, "ffffffffffffffff ffffffffffffffff");
  ExpectLayout(T(TypeKind::kI128), std::numeric_limits<i128>::min(),
               "0000000000000000 0000000000000080");
}

// 256-bit integers are 32 bytes little-endian: limb 0 (least significant) first.
TEST(BsatnLayout, Int256IsThirtyTwoBytesLittleEndian) {
  ExpectLayout(T(TypeKind::kU256), U256::FromU64(1),
               "0100000000000000 0000000000000000 0000000000000000 0000000000000000");
  ExpectLayout(T(TypeKind::kU256), U256{{0, 0, 0, uint64_t{1} << 63}},
               "0000000000000000 0000000000000000 0000000000000000 0000000000000080");
  ExpectLayout(T(TypeKind::kI256), I256::FromI64(-2),
               "feffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff");
}

// Bool is one byte, 0 or 1.
TEST(BsatnLayout, BoolIsOneByteZeroOrOne) {
  ExpectLayout(AlgebraicType::Bool(), true, "01");
  ExpectLayout(AlgebraicType::Bool(), false, "00");
}

// Floats are their IEEE-754 bits, little-endian.
TEST(BsatnLayout, FloatsAreIeeeBitsLittleEndian) {
  ExpectLayout(T(TypeKind::kF32), 1.0f, "0000803f");
  ExpectLayout(T(TypeKind::kF32), -0.0f, "00000080");
  ExpectLayout(T(TypeKind::kF64), 1.0, "000000000000f03f");
  ExpectLayout(T(TypeKind::kF64), -2.5, "00000000000004c0");
}

// String and bytes carry a u32 length prefix, then the raw bytes.
TEST(BsatnLayout, StringAndBytesAreU32LengthThenBytes) {
  ExpectLayout(AlgebraicType::String(), std::string("hi"), "02000000 6869");
  ExpectLayout(AlgebraicType::String(), std::string(""), "00000000");
  ExpectLayout(AlgebraicType::String(), std::string("é"), "02000000 c3a9");
  ExpectLayout(AlgebraicType::Bytes(), Bytes{1, 2, 3}, "03000000 010203");
}

// Arrays carry a u32 element count, then the elements back to back.
TEST(BsatnLayout, ArrayIsU32CountThenElements) {
  ExpectLayout(AlgebraicType::Array(T(TypeKind::kU16)), ArrayValue{{uint16_t{1}, uint16_t{2}}},
               "02000000 0100 0200");
  ExpectLayout(AlgebraicType::Array(AlgebraicType::String()),
               ArrayValue{{std::string("a"), std::string("")}}, "02000000 01000000 61 00000000");
  ExpectLayout(AlgebraicType::Array(T(TypeKind::kU32)), ArrayValue{}, "00000000");
}

// A product is its fields in declared order, with no names, tags or padding.
TEST(BsatnLayout, ProductIsFieldsInOrderWithoutPadding) {
  const auto t =
      AlgebraicType::Product({Element{"a", T(TypeKind::kU8)}, Element{"b", AlgebraicType::String()},
                              Element{std::nullopt, AlgebraicType::Bool()}});
  ExpectLayout(t, AlgebraicValue::Product({uint8_t{9}, std::string("x"), true}),
               "09 01000000 78 01");
  ExpectLayout(AlgebraicType::Unit(), AlgebraicValue::Unit(), "");
}

// A sum is a u8 variant index, then the payload; unit variants have none.
TEST(BsatnLayout, SumIsTagByteThenPayload) {
  const auto t =
      AlgebraicType::Sum({Element{"A", AlgebraicType::Unit()}, Element{"B", T(TypeKind::kU16)},
                          Element{"C", AlgebraicType::String()}});
  ExpectLayout(t, AlgebraicValue::Sum(0, AlgebraicValue::Unit()), "00");
  ExpectLayout(t, AlgebraicValue::Sum(1, uint16_t{0x0102}), "01 0201");
  ExpectLayout(t, AlgebraicValue::Sum(2, std::string("z")), "02 01000000 7a");
}

// Option is a sum with some = 0 and none = 1.
TEST(BsatnLayout, OptionIsSomeZeroNoneOne) {
  const auto t = AlgebraicType::Option(T(TypeKind::kU32));
  EXPECT_TRUE(t.is_option());
  ExpectLayout(t, AlgebraicValue::Some(uint32_t{5}), "00 05000000");
  ExpectLayout(t, AlgebraicValue::None(), "01");
}

// Identity is a u256 (32 bytes little-endian); ConnectionId a u128 (16 bytes).
TEST(BsatnLayout, IdentityAndConnectionIdAreLittleEndianIntegers) {
  const U256 id{
      {0x0807060504030201ULL, 0x100f0e0d0c0b0a09ULL, 0x1817161514131211ULL, 0x201f1e1d1c1b1a19ULL}};
  ExpectLayout(AlgebraicType::Identity(), AlgebraicValue::Identity(id),
               "0102030405060708 090a0b0c0d0e0f10 1112131415161718 191a1b1c1d1e1f20");
  const u128 c = static_cast<u128>(0x100f0e0d0c0b0a09ULL) << 64 | 0x0807060504030201ULL;
  ExpectLayout(AlgebraicType::ConnectionId(), AlgebraicValue::ConnectionId(c),
               "0102030405060708 090a0b0c0d0e0f10");
}

// Timestamp and TimeDuration are i64 microseconds.
TEST(BsatnLayout, TimestampAndTimeDurationAreI64Micros) {
  ExpectLayout(AlgebraicType::Timestamp(), AlgebraicValue::Timestamp(1'700'000'000'000'000),
               "00401e18240a0600");
  ExpectLayout(AlgebraicType::TimeDuration(), AlgebraicValue::TimeDuration(-1), "ffffffffffffffff");
}

// ScheduleAt is sum { Interval(TimeDuration) = 0, Time(Timestamp) = 1 }.
TEST(BsatnLayout, ScheduleAtIsIntervalZeroTimeOne) {
  const auto t = AlgebraicType::ScheduleAt();
  EXPECT_TRUE(t.is_schedule_at());
  ExpectLayout(t, AlgebraicValue::Sum(0, AlgebraicValue::TimeDuration(1000)),
               "00 e803000000000000");
  ExpectLayout(t, AlgebraicValue::Sum(1, AlgebraicValue::Timestamp(2)), "01 0200000000000000");
}

// A type is its TypeKind tag, then a Ref's u32, a product's or sum's Array of
// {name: Option<String>, type}, or an array's element type.
TEST(BsatnLayout, TypesAreKindTagThenBody) {
  auto expect_type = [](const AlgebraicType& t, std::string_view hex) {
    Bytes out;
    EncodeType(t, out);
    EXPECT_EQ(ToHex(out), ToHex(H(hex))) << t.ToString();
    ByteReader r(out);
    auto d = DecodeType(r);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_TRUE(*d == t);
    EXPECT_TRUE(r.at_end());
  };
  expect_type(T(TypeKind::kU8), "07");
  expect_type(T(TypeKind::kF64), "13");
  expect_type(AlgebraicType::Ref(7), "00 07000000");
  expect_type(AlgebraicType::Array(AlgebraicType::String()), "03 04");
  expect_type(AlgebraicType::Product(
                  {Element{"x", T(TypeKind::kI32)}, Element{std::nullopt, T(TypeKind::kU64)}}),
              "02 02000000 00 01000000 78 0a 01 0d");
  expect_type(AlgebraicType::Option(AlgebraicType::Bool()),
              "01 02000000 00 04000000 736f6d65 05 00 04000000 6e6f6e65 02 00000000");
  expect_type(AlgebraicType::Unit(), "02 00000000");
}

// ---- Decoder robustness ----

// A hostile array count or string length with little input fails without allocating.
TEST(BsatnRobustness, HugeDeclaredLengthsFailWithoutLargeAllocations) {
  const std::vector<std::pair<AlgebraicType, Bytes>> cases = {
      {AlgebraicType::Array(T(TypeKind::kU64)), H("ffffffff 0102030405060708")},
      {AlgebraicType::Array(AlgebraicType::String()), H("ffffffff 00000000")},
      {AlgebraicType::Array(AlgebraicType::Bool()), H("ffffffff 01")},
      {AlgebraicType::Array(AlgebraicType::Option(T(TypeKind::kU8))), H("feffffff 01 01")},
      {AlgebraicType::String(), H("ffffffff 6869")},
      {AlgebraicType::Bytes(), H("f0ffffff 00")},
      {AlgebraicType::Array(AlgebraicType::Unit()), H("ffffffff")},
  };
  for (const auto& [type, bytes] : cases) {
    AllocationProbe probe;
    EXPECT_FALSE(DecodeBsatnExact(type, bytes).ok()) << type.ToString();
    EXPECT_FALSE(ValidateBsatn(type, bytes).ok()) << type.ToString();
    EXPECT_LT(probe.max_bytes(), size_t{4096}) << type.ToString();
  }
}

// A hostile element count in a type fails without allocating.
TEST(BsatnRobustness, HugeTypeElementCountFailsWithoutLargeAllocation) {
  AllocationProbe probe;
  const Bytes b = H("02 ffffffff 01 07");
  ByteReader r(b);
  EXPECT_FALSE(DecodeType(r).ok());
  EXPECT_LT(probe.max_bytes(), size_t{4096});
}

// Arrays of zero-sized elements share one node budget per call, in every direction.
TEST(BsatnRobustness, ZeroSizedElementsAreBoundedPerCall) {
  const auto units = AlgebraicType::Array(AlgebraicType::Unit());
  Bytes at_max;
  ByteWriter(at_max).U32(static_cast<uint32_t>(kBsatnZeroSizedNodesMax));
  auto d = DecodeBsatnExact(units, at_max);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->as<ArrayValue>().elements.size(), kBsatnZeroSizedNodesMax);
  EXPECT_TRUE(ValidateBsatn(units, at_max).ok());
  EXPECT_EQ(ToHex(Enc(units, *d)), ToHex(at_max));

  Bytes over;
  ByteWriter(over).U32(static_cast<uint32_t>(kBsatnZeroSizedNodesMax + 1));
  EXPECT_EQ(DecodeBsatnExact(units, over).status().code(), ErrorCode::kDecode);
  EXPECT_EQ(ValidateBsatn(units, over).code(), ErrorCode::kDecode);
  ArrayValue too_many;
  too_many.elements.resize(kBsatnZeroSizedNodesMax + 1);
  Bytes out;
  EXPECT_EQ(EncodeBsatn(units, too_many, out).code(), ErrorCode::kInvalidArgument);

  // Two arrays in one value draw on the same budget.
  const auto nested = AlgebraicType::Array(units);
  Bytes halves;
  ByteWriter w(halves);
  w.U32(2);
  w.U32(static_cast<uint32_t>(kBsatnZeroSizedNodesMax / 2 + 1));
  w.U32(static_cast<uint32_t>(kBsatnZeroSizedNodesMax / 2 + 1));
  EXPECT_FALSE(DecodeBsatnExact(nested, halves).ok());
  EXPECT_FALSE(ValidateBsatn(nested, halves).ok());

  // A product of units counts each of its nodes.
  const auto pairs = AlgebraicType::Array(AlgebraicType::Product(
      {Element{"a", AlgebraicType::Unit()}, Element{"b", AlgebraicType::Unit()}}));
  Bytes third;
  ByteWriter(third).U32(static_cast<uint32_t>(kBsatnZeroSizedNodesMax / 3 + 1));
  EXPECT_FALSE(DecodeBsatnExact(pairs, third).ok());
  EXPECT_FALSE(ValidateBsatn(pairs, third).ok());
}

// Containers nest at most kBsatnDepthMax deep in values, types and JSON alike.
TEST(BsatnRobustness, DepthLimitIsEnforcedEverywhere) {
  const int ok_levels = kBsatnDepthMax + 1;  // arrays at depths 0..kBsatnDepthMax
  for (int levels : {ok_levels, ok_levels + 1}) {
    const bool ok = levels == ok_levels;
    const auto t = NestedArrayType(levels);
    const auto v = NestedArrayValue(levels);
    const Bytes b = NestedArrayBytes(levels);
    Bytes out;
    EXPECT_EQ(EncodeBsatn(t, v, out).ok(), ok) << levels;
    EXPECT_EQ(DecodeBsatnExact(t, b).ok(), ok) << levels;
    EXPECT_EQ(ValidateBsatn(t, b).ok(), ok) << levels;
    EXPECT_EQ(
        ValueFromJson(t, Json::parse(std::string(levels, '[') + "7" + std::string(levels, ']')))
            .ok(),
        ok)
        << levels;
    Bytes type_bytes;
    EncodeType(t, type_bytes);
    ByteReader r(type_bytes);
    EXPECT_EQ(DecodeType(r).ok(), ok) << levels;
  }
  // A type far deeper than the limit, built in code, still fails cleanly.
  const auto deep = NestedArrayType(10'000);
  EXPECT_FALSE(DecodeBsatnExact(deep, NestedArrayBytes(10'000)).ok());
  EXPECT_FALSE(ValidateBsatn(deep, NestedArrayBytes(10'000)).ok());
}

// A bool byte other than 0 or 1 is rejected by decode and validate, alone or in arrays.
TEST(BsatnRobustness, InvalidBoolByteIsRejected) {
  EXPECT_EQ(DecodeBsatnExact(AlgebraicType::Bool(), H("02")).status().code(), ErrorCode::kDecode);
  EXPECT_FALSE(ValidateBsatn(AlgebraicType::Bool(), H("ff")).ok());
  const auto bools = AlgebraicType::Array(AlgebraicType::Bool());
  EXPECT_FALSE(DecodeBsatnExact(bools, H("02000000 01 02")).ok());
  EXPECT_FALSE(ValidateBsatn(bools, H("02000000 01 02")).ok());
  EXPECT_TRUE(ValidateBsatn(bools, H("02000000 01 00")).ok());
}

// A sum tag at or beyond the variant count is rejected.
TEST(BsatnRobustness, SumTagOutOfRangeIsRejected) {
  const auto opt = AlgebraicType::Option(T(TypeKind::kU8));
  EXPECT_EQ(DecodeBsatnExact(opt, H("02")).status().code(), ErrorCode::kDecode);
  EXPECT_FALSE(ValidateBsatn(opt, H("02")).ok());
  const auto empty = AlgebraicType::Sum({});
  EXPECT_FALSE(DecodeBsatnExact(empty, H("00")).ok());
  EXPECT_FALSE(ValidateBsatn(empty, H("00")).ok());
}

// Strings must be valid UTF-8 in every direction, as in SpacetimeDB.
TEST(BsatnRobustness, InvalidUtf8StringsAreRejected) {
  const auto s = AlgebraicType::String();
  for (std::string_view bad :
       {"02000000 c080", "03000000 eda080", "01000000 ff", "02000000 e282"}) {
    EXPECT_EQ(DecodeBsatnExact(s, H(bad)).status().code(), ErrorCode::kDecode) << bad;
    EXPECT_FALSE(ValidateBsatn(s, H(bad)).ok()) << bad;
  }
  Bytes out;
  EXPECT_EQ(EncodeBsatn(s, std::string("\xff"), out).code(), ErrorCode::kTypeMismatch);
  // Bytes are not text: any byte is fine.
  EXPECT_TRUE(ValidateBsatn(AlgebraicType::Bytes(), H("01000000 ff")).ok());
  // Element names in a type are text.
  const Bytes bad_name = H("02 01000000 00 01000000 ff 07");
  ByteReader r(bad_name);
  EXPECT_FALSE(DecodeType(r).ok());
}

// Malformed types are rejected: unknown kind tags, bad name options, truncation, and
// sums with more variants than a u8 tag can name.
TEST(BsatnRobustness, MalformedTypesAreRejected) {
  for (std::string_view bad :
       {"14", "ff", "02 01000000 02 07", "02 01000000", "00 0100", "03", ""}) {
    const Bytes b = H(bad);
    ByteReader r(b);
    EXPECT_FALSE(DecodeType(r).ok()) << bad;
  }
  auto sum_of = [](uint32_t n) {
    Bytes b;
    ByteWriter w(b);
    w.U8(static_cast<uint8_t>(TypeKind::kSum));
    w.U32(n);
    for (uint32_t i = 0; i < n; ++i) {
      w.U8(1);  // unnamed
      w.U8(static_cast<uint8_t>(TypeKind::kU8));
    }
    return b;
  };
  const Bytes ok = sum_of(256);
  ByteReader r256(ok);
  EXPECT_TRUE(DecodeType(r256).ok());
  const Bytes bad = sum_of(257);
  ByteReader r257(bad);
  EXPECT_FALSE(DecodeType(r257).ok());
}

// An unresolved Ref cannot be encoded or decoded: the caller must resolve it first.
TEST(BsatnRobustness, UnresolvedRefIsUnsupported) {
  const auto ref = AlgebraicType::Ref(3);
  EXPECT_EQ(DecodeBsatnExact(ref, H("00")).status().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(ValidateBsatn(ref, H("00")).code(), ErrorCode::kUnsupported);
  Bytes out;
  EXPECT_EQ(EncodeBsatn(ref, uint8_t{0}, out).code(), ErrorCode::kUnsupported);
}

// Encoding a value of the wrong shape fails with kTypeMismatch.
TEST(BsatnEncode, ValueOfWrongShapeIsTypeMismatch) {
  Bytes out;
  EXPECT_EQ(EncodeBsatn(T(TypeKind::kU8), int32_t{1}, out).code(), ErrorCode::kTypeMismatch);
  const auto pair =
      AlgebraicType::Product({Element{"a", T(TypeKind::kU8)}, Element{"b", T(TypeKind::kU8)}});
  EXPECT_EQ(EncodeBsatn(pair, AlgebraicValue::Product({uint8_t{1}}), out).code(),
            ErrorCode::kTypeMismatch);
  const auto opt = AlgebraicType::Option(T(TypeKind::kU8));
  EXPECT_EQ(EncodeBsatn(opt, AlgebraicValue::Sum(2, AlgebraicValue::Unit()), out).code(),
            ErrorCode::kTypeMismatch);
  EXPECT_EQ(EncodeBsatn(AlgebraicType::Bytes(), ArrayValue{}, out).code(),
            ErrorCode::kTypeMismatch);
}

// A default-constructed SumValue is tag 0 with a unit payload, never a null payload.
TEST(BsatnEncode, DefaultSumValueIsTagZeroUnit) {
  const auto t = AlgebraicType::Sum({Element{"A", AlgebraicType::Unit()}});
  ExpectLayout(t, SumValue{}, "00");
}

// ColumnSlice returns each column's own bytes and rejects bad column indexes.
TEST(BsatnColumnSlice, ReturnsColumnBytesAndRejectsBadIndexes) {
  const auto row_t = AlgebraicType::Product({Element{"id", T(TypeKind::kU32)},
                                             Element{"name", AlgebraicType::String()},
                                             Element{"ok", AlgebraicType::Bool()}});
  const Bytes row = H("07000000 02000000 6869 01");
  auto c1 = ColumnSlice(row_t, row, 1);
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(ToHex(Bytes(c1->begin(), c1->end())), "020000006869");
  auto c2 = ColumnSlice(row_t, row, 2);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(ToHex(Bytes(c2->begin(), c2->end())), "01");
  EXPECT_EQ(ColumnSlice(row_t, row, 3).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ColumnSlice(T(TypeKind::kU32), H("07000000"), 0).ok());
  EXPECT_FALSE(ColumnSlice(row_t, H("07000000 05000000"), 1).ok());
}

}  // namespace
}  // namespace stdb::sats
