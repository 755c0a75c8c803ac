#include "base/int256.h"

#include <algorithm>
#include <cstring>

#include "base/bytes.h"

namespace stdb {
namespace {

// Divides the magnitude in place by 10 and returns the remainder.
uint32_t DivMod10(std::array<uint64_t, 4>& limbs) {
  u128 rem = 0;
  for (int i = 3; i >= 0; --i) {
    const u128 cur = (rem << 64) | limbs[i];
    limbs[i] = static_cast<uint64_t>(cur / 10);
    rem = cur % 10;
  }
  return static_cast<uint32_t>(rem);
}

bool IsZero(const std::array<uint64_t, 4>& l) { return (l[0] | l[1] | l[2] | l[3]) == 0; }

std::string MagnitudeToDecimal(std::array<uint64_t, 4> limbs) {
  if (IsZero(limbs)) return "0";
  std::string s;
  while (!IsZero(limbs)) s.push_back(static_cast<char>('0' + DivMod10(limbs)));
  std::reverse(s.begin(), s.end());
  return s;
}

void Negate(std::array<uint64_t, 4>& l) {
  uint64_t carry = 1;
  for (auto& limb : l) {
    const uint64_t inv = ~limb;
    limb = inv + carry;
    carry = (carry && limb == 0) ? 1 : 0;
  }
}

// Parses an unsigned decimal magnitude into 256 bits. Fails on overflow.
Result<std::array<uint64_t, 4>> ParseMagnitude(std::string_view s) {
  if (s.empty()) return DecodeError("empty number");
  std::array<uint64_t, 4> l{};
  for (char c : s) {
    if (c < '0' || c > '9') return DecodeError("invalid decimal digit in '" + std::string(s) + "'");
    u128 carry = static_cast<uint64_t>(c - '0');
    for (auto& limb : l) {
      const u128 cur = static_cast<u128>(limb) * 10 + carry;
      limb = static_cast<uint64_t>(cur);
      carry = cur >> 64;
    }
    if (carry != 0) return DecodeError("number out of range: " + std::string(s));
  }
  return l;
}

}  // namespace

std::string U256ToHex(const U256& v) {
  Bytes be(32);
  std::memcpy(be.data(), v.limbs.data(), 32);
  std::reverse(be.begin(), be.end());
  return ToHex(be);
}

Result<U256> U256FromHex(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.size() != 64) {
    return DecodeError("expected 64 hex digits, got " + std::to_string(hex.size()));
  }
  // Checked before FromHex, which would strip a second "0x".
  const bool digits = std::all_of(hex.begin(), hex.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
  if (!digits) return DecodeError("a character is not a hex digit");
  STDB_ASSIGN_OR_RETURN(Bytes be, FromHex(hex));
  std::reverse(be.begin(), be.end());
  U256 v;
  std::memcpy(v.limbs.data(), be.data(), 32);
  return v;
}

std::string ToDecimal(u128 v) {
  return MagnitudeToDecimal({static_cast<uint64_t>(v), static_cast<uint64_t>(v >> 64), 0, 0});
}

std::string ToDecimal(i128 v) {
  if (v >= 0) return ToDecimal(static_cast<u128>(v));
  return "-" + ToDecimal(static_cast<u128>(0) - static_cast<u128>(v));
}

std::string ToDecimal(const U256& v) { return MagnitudeToDecimal(v.limbs); }

std::string ToDecimal(const I256& v) {
  if (!v.is_negative()) return MagnitudeToDecimal(v.limbs);
  auto l = v.limbs;
  Negate(l);
  return "-" + MagnitudeToDecimal(l);
}

Result<U256> ParseU256(std::string_view s) {
  STDB_ASSIGN_OR_RETURN(auto l, ParseMagnitude(s));
  return U256{l};
}

Result<I256> ParseI256(std::string_view s) {
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  STDB_ASSIGN_OR_RETURN(auto l, ParseMagnitude(s));
  // Magnitude limit: 2^255 - 1 for positive, 2^255 for negative.
  const bool top = (l[3] >> 63) != 0;
  if (top) {
    const bool is_min = l[3] == (uint64_t{1} << 63) && l[2] == 0 && l[1] == 0 && l[0] == 0;
    if (!neg || !is_min) return DecodeError("number out of range for i256");
  }
  if (neg) Negate(l);
  return I256{l};
}

Result<u128> ParseU128(std::string_view s) {
  STDB_ASSIGN_OR_RETURN(auto l, ParseMagnitude(s));
  if (l[2] != 0 || l[3] != 0) return DecodeError("number out of range for u128");
  return static_cast<u128>(l[1]) << 64 | l[0];
}

Result<i128> ParseI128(std::string_view s) {
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  STDB_ASSIGN_OR_RETURN(auto l, ParseMagnitude(s));
  if (l[2] != 0 || l[3] != 0) return DecodeError("number out of range for i128");
  const u128 mag = static_cast<u128>(l[1]) << 64 | l[0];
  const u128 limit = static_cast<u128>(1) << 127;
  if (neg) {
    if (mag > limit) return DecodeError("number out of range for i128");
    return static_cast<i128>(static_cast<u128>(0) - mag);
  }
  if (mag >= limit) return DecodeError("number out of range for i128");
  return static_cast<i128>(mag);
}

}  // namespace stdb
