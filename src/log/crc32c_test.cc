#include "log/crc32c.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <string>

namespace stdb::log {
namespace {

// A bit-at-a-time CRC32C straight from the definition (reflected polynomial 0x82F63B78),
// independent of both the table and the SSE4.2 paths of Crc32c.
uint32_t BitwiseCrc32c(ByteView data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t byte : data) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

TEST(Crc32c, MatchesPublishedCheckValues) {
  // Proves the polynomial and bit order are CRC32C's (RFC 3720 B.4 and the catalogue's
  // check value), not plain CRC32's.
  EXPECT_EQ(Crc32c(AsBytes("123456789")), 0xE3069283u);
  EXPECT_EQ(Crc32c(Bytes(32, 0x00)), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(Bytes(32, 0xFF)), 0x62A8AB43u);
  Bytes ascending(32);
  for (size_t i = 0; i < ascending.size(); ++i) ascending[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(ByteView()), 0u);
}

TEST(Crc32c, AgreesWithABitwiseReferenceAtEveryLengthAndAlignment) {
  // Proves the 8-byte hardware loop and its byte tail (or the table) give the definition's
  // value whatever the length and the start address.
  Bytes data(300);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t start = 0; start < 8; ++start) {
    for (size_t len = 0; start + len <= data.size(); len += 1 + len / 8) {
      const ByteView piece = ByteView(data).subspan(start, len);
      ASSERT_EQ(Crc32c(piece), BitwiseCrc32c(piece)) << start << " " << len;
    }
  }
}

TEST(Crc32c, IncrementalEqualsOneShot) {
  // Proves Crc32c(b, Crc32c(a)) == Crc32c(a ++ b) for any split (RapidCheck property).
  EXPECT_TRUE(rc::check("incremental == one shot",
                        [](const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
                          Bytes ab = a;
                          ab.insert(ab.end(), b.begin(), b.end());
                          RC_ASSERT(Crc32c(b, Crc32c(a)) == Crc32c(ab));
                          RC_ASSERT(Crc32c(ab) == BitwiseCrc32c(ab));
                        }));
}

TEST(Crc32c, DetectsEverySingleBitFlip) {
  // Proves a flipped bit anywhere in a block changes the CRC (what the snapshot and log
  // checks rely on).
  Bytes data(64, 0x5A);
  const uint32_t good = Crc32c(data);
  for (size_t i = 0; i < data.size() * 8; ++i) {
    data[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    EXPECT_NE(Crc32c(data), good) << i;
    data[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
  }
}

}  // namespace
}  // namespace stdb::log
