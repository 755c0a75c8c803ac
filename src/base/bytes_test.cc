// Hex conversion and the bounds-checked little-endian reader and writer.
#include "base/bytes.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cctype>

namespace stdb {
namespace {

// FromHex(ToHex(b)) is b for any bytes, with or without a 0x prefix, in either case.
RC_GTEST_PROP(Hex, RoundTripsAnyBytes, (const std::vector<uint8_t>& b)) {
  const std::string hex = ToHex(b);
  RC_ASSERT(hex.size() == 2 * b.size());
  auto plain = FromHex(hex);
  RC_ASSERT(plain.ok());
  RC_ASSERT(*plain == b);
  std::string upper = "0X" + hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto prefixed = FromHex(upper);
  RC_ASSERT(prefixed.ok());
  RC_ASSERT(*prefixed == b);
}

// ToHex is lower-case, most significant nibble first, without a prefix.
TEST(Hex, ToHexIsLowerCaseWithoutPrefix) {
  EXPECT_EQ(ToHex(Bytes{0x00, 0x0f, 0xab, 0xff}), "000fabff");
  EXPECT_EQ(ToHex(Bytes{}), "");
}

// Odd lengths and non-hex digits are rejected with kDecode; "0x" alone is empty.
TEST(Hex, BadHexIsRejected) {
  for (std::string_view bad : {"0", "abc", "0x1", "zz", "0g", "g0", "12 34", "0x0x00", "-1"}) {
    auto r = FromHex(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kDecode) << bad;
    }
  }
  auto empty = FromHex("0x");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// ByteWriter lays values out little-endian, and LengthPrefixed writes a u32 length first.
TEST(ByteWriter, WritesLittleEndianAndLengthPrefixes) {
  Bytes out;
  ByteWriter w(out);
  w.U16(0x0102);
  w.U32(0x03040506);
  w.I64(-2);
  w.String("hi");
  EXPECT_EQ(ToHex(out),
            "0201"
            "06050403"
            "feffffffffffffff"
            "02000000"
            "6869");
  EXPECT_EQ(w.size(), out.size());
}

// ByteReader never reads past its end; a failed read leaves the position unchanged.
TEST(ByteReader, ReadsAreBoundsChecked) {
  const Bytes data = {0x01, 0x02, 0x03};
  ByteReader r(data);
  uint32_t u32 = 0;
  EXPECT_FALSE(r.Fixed(u32));
  EXPECT_EQ(r.position(), 0u);
  uint16_t u16 = 0;
  ASSERT_TRUE(r.Fixed(u16));
  EXPECT_EQ(u16, 0x0201);
  ByteView v;
  EXPECT_FALSE(r.Take(2, v));
  EXPECT_FALSE(r.Skip(2));
  ASSERT_TRUE(r.Take(1, v));
  EXPECT_EQ(v[0], 0x03);
  EXPECT_TRUE(r.at_end());
  EXPECT_TRUE(r.Skip(0));
}

// A length prefix larger than the remaining input fails instead of reading past the end.
TEST(ByteReader, LengthPrefixedRejectsLengthBeyondInput) {
  const Bytes huge = {0xff, 0xff, 0xff, 0xff, 'a'};
  ByteReader r(huge);
  ByteView v;
  EXPECT_FALSE(r.LengthPrefixed(v));
  const Bytes ok = {0x01, 0x00, 0x00, 0x00, 'a', 'b'};
  ByteReader r2(ok);
  ASSERT_TRUE(r2.LengthPrefixed(v));
  EXPECT_EQ(AsStringView(v), "a");
  EXPECT_EQ(r2.remaining(), 1u);
}

}  // namespace
}  // namespace stdb
