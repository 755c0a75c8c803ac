// The SDK's value types and BSATN encoding, checked against the layout in
// docs/module-abi.md and against the server's own decoder (harness.h).
#include "stdb/bsatn.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "harness.h"
#include "stdb/rng.h"
#include "stdb/struct.h"
#include "stdb/types.h"
#include "test_module_types.h"

// A struct with a user-written constructor (not an aggregate), nested in an aggregate:
// STDB_STRUCT accepts both, checking member order by type where it cannot by address.
namespace shapes {

struct Circle {
  Circle() : radius(1) {}
  Circle(int32_t r, std::string l) : radius(r), label(std::move(l)) {}
  int32_t radius;
  std::string label;

  friend bool operator==(const Circle&, const Circle&) = default;
};
STDB_STRUCT(Circle, radius, label);

struct Drawing {
  std::vector<Circle> circles;
  Circle frame;

  friend bool operator==(const Drawing&, const Drawing&) = default;
};
STDB_STRUCT(Drawing, circles, frame);

}  // namespace shapes

namespace {

using stdb_test::Bytes;
using stdb_test::DecodeWithServer;
using stdb_test::ServerView;
using test_module::Color;
using test_module::Everything;
using test_module::Point;

// Encodes `value` with the SDK, decodes it back with the SDK, and has the server decode
// the SDK's type and bytes: the server must see `server_type` and re-encode the same
// bytes.
template <typename T>
void ExpectRoundTrip(const T& value, const std::string& server_type) {
  SCOPED_TRACE(server_type);
  const Bytes bytes = stdb::bsatn::encode(value);
  EXPECT_TRUE(stdb::bsatn::decode<T>(bytes) == value);
  const ServerView view = DecodeWithServer(stdb::bsatn::type_of<T>(), bytes);
  ASSERT_EQ(view.error, "");
  EXPECT_EQ(view.type, server_type);
  EXPECT_EQ(view.reencoded, bytes);
}

Everything SampleEverything() {
  Everything e{};
  e.flag = true;
  e.i8 = -8;
  e.i16 = -16000;
  e.i32 = -32;
  e.i64 = std::numeric_limits<int64_t>::min();
  e.u8 = 200;
  e.u16 = 65000;
  e.u32 = 4'000'000'000u;
  e.u64 = std::numeric_limits<uint64_t>::max();
  e.i128 = -(static_cast<stdb::i128>(1) << 100);
  e.u128 = static_cast<stdb::u128>(1) << 127;
  e.i256 = stdb::I256::from_i64(-5);
  e.u256 = stdb::U256{{1, 2, 3, 4}};
  e.f32 = 1.5f;
  e.f64 = -2.25;
  e.text = "héllo";
  e.bytes = {0, 1, 255};
  e.words = {"a", "", "bc"};
  e.maybe = 7;
  e.identity = stdb::Identity(stdb::U256{{9, 8, 7, 6}});
  e.connection_id = stdb::ConnectionId(12345);
  e.timestamp = stdb::Timestamp::from_micros_since_epoch(1'700'000'000'000'000);
  e.duration = stdb::TimeDuration::from_millis(-250);
  e.schedule = stdb::ScheduleAt::time(stdb::Timestamp::from_micros_since_epoch(5));
  e.point = Point{3, -4};
  e.color = Color::Blue;
  e.path = {Point{1, 2}, Point{3, 4}};
  e.nested = std::vector<std::optional<Color>>{Color::Red, std::nullopt};
  return e;
}

TEST(Bsatn, ScalarsRoundTripAsTheServerTypes) {
  // Every builtin scalar keeps its value and has the server's kind.
  ExpectRoundTrip(true, "Bool");
  ExpectRoundTrip(int8_t{-128}, "I8");
  ExpectRoundTrip(uint8_t{255}, "U8");
  ExpectRoundTrip(int16_t{-300}, "I16");
  ExpectRoundTrip(uint16_t{60000}, "U16");
  ExpectRoundTrip(int32_t{-70000}, "I32");
  ExpectRoundTrip(uint32_t{4'000'000'000u}, "U32");
  ExpectRoundTrip(std::numeric_limits<int64_t>::min(), "I64");
  ExpectRoundTrip(std::numeric_limits<uint64_t>::max(), "U64");
  ExpectRoundTrip(static_cast<long long>(-1), "I64");
  ExpectRoundTrip(static_cast<unsigned long long>(1) << 63, "U64");
  ExpectRoundTrip(-(static_cast<stdb::i128>(1) << 126), "I128");
  ExpectRoundTrip(~static_cast<stdb::u128>(0), "U128");
  ExpectRoundTrip(stdb::I256::from_i64(-1), "I256");
  ExpectRoundTrip(stdb::U256{{1, 0, 0, 1ull << 63}}, "U256");
  ExpectRoundTrip(3.5f, "F32");
  ExpectRoundTrip(-1e300, "F64");
}

TEST(Bsatn, IntegersAreFixedWidthLittleEndian) {
  // Integers are their little-endian bytes, bool one byte.
  EXPECT_EQ(stdb::bsatn::encode(uint32_t{0x01020304}), (Bytes{4, 3, 2, 1}));
  EXPECT_EQ(stdb::bsatn::encode(int16_t{-2}), (Bytes{0xfe, 0xff}));
  EXPECT_EQ(stdb::bsatn::encode(true), (Bytes{1}));
  EXPECT_EQ(stdb::bsatn::encode(stdb::U256::from_u64(1)).size(), 32u);
  EXPECT_EQ(stdb::bsatn::encode(stdb::U256::from_u64(1))[0], 1);
}

TEST(Bsatn, StringsArraysAndBytesAreLengthPrefixed) {
  // Strings and byte vectors are u32 length + bytes; arrays are u32 count + elements.
  EXPECT_EQ(stdb::bsatn::encode(std::string("hi")), (Bytes{2, 0, 0, 0, 'h', 'i'}));
  EXPECT_EQ(stdb::bsatn::encode(std::vector<uint8_t>{7, 8}), (Bytes{2, 0, 0, 0, 7, 8}));
  EXPECT_EQ(stdb::bsatn::encode(std::vector<int16_t>{1, -1}),
            (Bytes{2, 0, 0, 0, 1, 0, 0xff, 0xff}));
  ExpectRoundTrip(std::string("héllo wörld"), "String");
  ExpectRoundTrip(std::vector<uint8_t>{0, 1, 2, 255}, "Array<U8>");
  ExpectRoundTrip(std::vector<bool>{true, false, true}, "Array<Bool>");
  ExpectRoundTrip(std::vector<std::vector<std::string>>{{"a"}, {}, {"b", "c"}},
                  "Array<Array<String>>");
  ExpectRoundTrip(std::vector<int64_t>{}, "Array<I64>");
}

TEST(Bsatn, OptionIsASumWithSomeFirst) {
  // Option<T> is tag 0 + T for some and tag 1 for none.
  EXPECT_EQ(stdb::bsatn::encode(std::optional<int32_t>()), (Bytes{1}));
  EXPECT_EQ(stdb::bsatn::encode(std::optional<int32_t>(5)), (Bytes{0, 5, 0, 0, 0}));
  ExpectRoundTrip(std::optional<std::string>("x"), "Option<String>");
  ExpectRoundTrip(std::optional<std::string>(), "Option<String>");
  ExpectRoundTrip(std::optional<std::optional<bool>>(std::optional<bool>()),
                  "Option<Option<Bool>>");
}

TEST(Bsatn, SpecialTypesHaveTheReservedShapes) {
  // Identity, ConnectionId, Timestamp, TimeDuration and ScheduleAt are the server's
  // special types, not look-alikes.
  ExpectRoundTrip(stdb::Identity(stdb::U256{{1, 2, 3, 4}}), "Identity");
  ExpectRoundTrip(stdb::ConnectionId(~static_cast<stdb::u128>(0) - 5), "ConnectionId");
  ExpectRoundTrip(stdb::Timestamp::from_micros_since_epoch(-1), "Timestamp");
  ExpectRoundTrip(stdb::TimeDuration::from_seconds(90), "TimeDuration");
  ExpectRoundTrip(stdb::ScheduleAt::interval(stdb::TimeDuration::from_millis(10)), "ScheduleAt");
  ExpectRoundTrip(stdb::ScheduleAt::time(stdb::Timestamp::from_micros_since_epoch(77)),
                  "ScheduleAt");
  EXPECT_EQ(stdb::bsatn::encode(stdb::ScheduleAt::time(stdb::Timestamp()))[0], 1);
  EXPECT_EQ(stdb::bsatn::encode(stdb::Timestamp::from_micros_since_epoch(1)),
            (Bytes{1, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(Bsatn, StructsAreProductsNamedByTheirMembers) {
  // STDB_STRUCT gives a product whose element names are the member names, nested.
  ExpectRoundTrip(Point{1, -2}, "(x: I32, y: I32)");
  EXPECT_EQ(stdb::bsatn::encode(Point{1, 2}), (Bytes{1, 0, 0, 0, 2, 0, 0, 0}));
  ExpectRoundTrip(
      SampleEverything(),
      "(flag: Bool, i8: I8, i16: I16, i32: I32, i64: I64, u8: U8, u16: U16, u32: U32, "
      "u64: U64, i128: I128, u128: U128, i256: I256, u256: U256, f32: F32, f64: F64, "
      "text: String, bytes: Array<U8>, words: Array<String>, maybe: Option<I32>, "
      "identity: Identity, connection_id: ConnectionId, timestamp: Timestamp, "
      "duration: TimeDuration, schedule: ScheduleAt, point: (x: I32, y: I32), "
      "color: {Red: () | Green: () | Blue: ()}, path: Array<(x: I32, y: I32)>, "
      "nested: Option<Array<Option<{Red: () | Green: () | Blue: ()}>>>)");
}

TEST(Bsatn, StructsWithConstructorsWork) {
  // Non-aggregate structs decode into a default-constructed value, member by member.
  ExpectRoundTrip(shapes::Drawing{{shapes::Circle(2, "a"), shapes::Circle()},
                                  shapes::Circle(9, "frame")},
                  "(circles: Array<(radius: I32, label: String)>, "
                  "frame: (radius: I32, label: String))");
}

TEST(Bsatn, EnumsAreSumsOfUnitVariants) {
  // STDB_ENUM variants are unit sum variants whose tag is their position.
  ExpectRoundTrip(Color::Green, "{Red: () | Green: () | Blue: ()}");
  EXPECT_EQ(stdb::bsatn::encode(Color::Blue), (Bytes{2}));
}

TEST(Bsatn, TruncatedInputNamesWhatWasBeingRead) {
  // A short input fails with DecodeError naming the struct field it stopped in.
  Bytes bytes = stdb::bsatn::encode(Point{1, 2});
  bytes.resize(6);
  try {
    (void)stdb::bsatn::decode<Point>(bytes);
    FAIL() << "decoded a truncated Point";
  } catch (const stdb::bsatn::DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("field 'y'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("needed 4 bytes, 2 left"), std::string::npos);
  }
}

TEST(Bsatn, HostileLengthsAreRejectedBeforeAllocating) {
  // A count larger than the remaining bytes could hold fails without reserving memory.
  const Bytes huge_array{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
  EXPECT_THROW((void)stdb::bsatn::decode<std::vector<uint64_t>>(huge_array),
               stdb::bsatn::DecodeError);
  EXPECT_THROW((void)stdb::bsatn::decode<std::string>(huge_array), stdb::bsatn::DecodeError);
  EXPECT_THROW((void)stdb::bsatn::decode<std::vector<uint8_t>>(huge_array),
               stdb::bsatn::DecodeError);
}

TEST(Bsatn, InvalidTagsAndTrailingBytesAreRejected) {
  // Bytes outside the encoding's range are errors, not silently mapped.
  EXPECT_THROW((void)stdb::bsatn::decode<bool>(Bytes{2}), stdb::bsatn::DecodeError);
  EXPECT_THROW((void)stdb::bsatn::decode<std::optional<bool>>(Bytes{2}),
               stdb::bsatn::DecodeError);
  EXPECT_THROW((void)stdb::bsatn::decode<Color>(Bytes{3}), stdb::bsatn::DecodeError);
  EXPECT_THROW((void)stdb::bsatn::decode<stdb::ScheduleAt>(Bytes{2, 0, 0, 0, 0, 0, 0, 0, 0}),
               stdb::bsatn::DecodeError);
  EXPECT_THROW((void)stdb::bsatn::decode<uint8_t>(Bytes{1, 2}), stdb::bsatn::DecodeError);
}

TEST(Identity, HexIsBigEndianLikeSpacetimeDb) {
  // The least significant byte prints last; parsing is the inverse and strict.
  uint8_t le[32] = {};
  le[0] = 0x01;
  le[31] = 0xab;
  const stdb::Identity id = stdb::Identity::from_le_bytes(le);
  const std::string hex = id.to_hex();
  EXPECT_EQ(hex, "ab" + std::string(60, '0') + "01");
  EXPECT_EQ(stdb::Identity::from_hex(hex), id);
  EXPECT_EQ(stdb::Identity::from_hex("0x" + hex), id);
  EXPECT_EQ(stdb::Identity::from_hex("AB" + std::string(60, '0') + "01"), id);
  EXPECT_EQ(stdb::Identity::from_hex(hex.substr(1)), std::nullopt);
  EXPECT_EQ(stdb::Identity::from_hex("zz" + hex.substr(2)), std::nullopt);
  EXPECT_EQ(stdb::ConnectionId(0x1234).to_hex(), std::string(28, '0') + "1234");
  EXPECT_EQ(stdb::ConnectionId::from_hex(std::string(28, '0') + "1234"),
            stdb::ConnectionId(0x1234));
}

TEST(Identity, WorksAsAMapKey) {
  // Identity is hashable and ordered, so both standard maps accept it.
  const stdb::Identity a(stdb::U256::from_u64(1));
  const stdb::Identity b(stdb::U256{{0, 0, 0, 1}});
  std::unordered_map<stdb::Identity, int> hashed{{a, 1}, {b, 2}};
  std::map<stdb::Identity, int> ordered{{b, 2}, {a, 1}};
  EXPECT_EQ(hashed.at(b), 2);
  EXPECT_EQ(ordered.begin()->first, a);
  EXPECT_LT(a, b);
  std::unordered_map<stdb::ConnectionId, int> connections{{stdb::ConnectionId(5), 5}};
  EXPECT_EQ(connections.at(stdb::ConnectionId(5)), 5);
}

TEST(Timestamp, DurationsAddAndSubtract) {
  // Timestamp and TimeDuration arithmetic is in microseconds.
  const auto t = stdb::Timestamp::from_micros_since_epoch(1'000'000);
  const auto later = t + stdb::TimeDuration::from_seconds(2);
  EXPECT_EQ(later.micros_since_epoch(), 3'000'000);
  EXPECT_EQ((later - t).micros(), 2'000'000);
  EXPECT_EQ((later - stdb::TimeDuration::from_millis(500)).micros_since_epoch(), 2'500'000);
  EXPECT_LT(t, later);
}

TEST(Rng, IsXoshiro256StarStarSeededWithSplitMix64) {
  // The sequence for a seed is fixed (replay depends on it), and values stay in range.
  stdb::Rng rng(42);
  EXPECT_EQ(rng.next_u64(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(rng.next_u64(), 0x6104d9866d113a7eull);
  EXPECT_EQ(rng.next_u64(), 0xae17533239e499a1ull);
  stdb::Rng a(7);
  stdb::Rng b(7);
  stdb::Rng c(8);
  EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.next_u64(), c.next_u64());
  int counts[6] = {};
  for (int i = 0; i < 6000; ++i) {
    const uint64_t v = a.next_below(6);
    ASSERT_LT(v, 6u);
    ++counts[v];
    const double d = a.next_double();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
  for (int n : counts) EXPECT_GT(n, 800);
  EXPECT_EQ(a.next_below(0), 0u);
  EXPECT_EQ(a.next_below(1), 0u);
}

}  // namespace
