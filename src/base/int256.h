// 128- and 256-bit integers. 128-bit uses the compiler's __int128; 256-bit is four
// little-endian 64-bit limbs (limb 0 least significant), stored exactly as BSATN lays
// them out, so encoding is a memcpy.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace stdb {

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

struct U256 {
  std::array<uint64_t, 4> limbs{};  // little-endian limbs

  static U256 FromU64(uint64_t v) { return U256{{v, 0, 0, 0}}; }
  bool is_zero() const { return (limbs[0] | limbs[1] | limbs[2] | limbs[3]) == 0; }
  friend bool operator==(const U256&, const U256&) = default;
  friend std::strong_ordering operator<=>(const U256& a, const U256& b) {
    for (int i = 3; i >= 0; --i) {
      if (a.limbs[i] != b.limbs[i]) return a.limbs[i] <=> b.limbs[i];
    }
    return std::strong_ordering::equal;
  }
};

// Two's-complement 256-bit signed integer.
struct I256 {
  std::array<uint64_t, 4> limbs{};

  static I256 FromI64(int64_t v) {
    const uint64_t fill = v < 0 ? ~uint64_t{0} : 0;
    return I256{{static_cast<uint64_t>(v), fill, fill, fill}};
  }
  bool is_negative() const { return (limbs[3] >> 63) != 0; }
  friend bool operator==(const I256&, const I256&) = default;
  friend std::strong_ordering operator<=>(const I256& a, const I256& b) {
    if (a.is_negative() != b.is_negative()) {
      return a.is_negative() ? std::strong_ordering::less : std::strong_ordering::greater;
    }
    for (int i = 3; i >= 0; --i) {
      if (a.limbs[i] != b.limbs[i]) return a.limbs[i] <=> b.limbs[i];
    }
    return std::strong_ordering::equal;
  }
};

// The 64 lower-case hex digits of `v`, most significant first (big-endian), no prefix:
// the text form of an Identity.
std::string U256ToHex(const U256& v);
// Parses exactly 64 hex digits (either case, most significant first), after an optional
// single "0x" / "0X". Fails with kDecode on any other length or character.
Result<U256> U256FromHex(std::string_view hex);

// Decimal text of the value.
std::string ToDecimal(u128 v);
std::string ToDecimal(i128 v);
std::string ToDecimal(const U256& v);
std::string ToDecimal(const I256& v);

// Parses decimal text (optional leading '-' for the signed forms). Fails on overflow,
// empty input or any non-digit.
Result<u128> ParseU128(std::string_view s);
Result<i128> ParseI128(std::string_view s);
Result<U256> ParseU256(std::string_view s);
Result<I256> ParseI256(std::string_view s);

}  // namespace stdb
