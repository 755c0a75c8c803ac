#include "auth/base64url.h"

#include <array>

#include "base/assert.h"

namespace stdb::auth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// kInvalid marks a byte outside the alphabet in the reverse table.
constexpr int8_t kInvalid = -1;

constexpr std::array<int8_t, 256> MakeReverseTable() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr std::array<int8_t, 256> kReverse = MakeReverseTable();

}  // namespace

std::string Base64UrlEncode(ByteView data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t group = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8 | data[i + 2];
    out.push_back(kAlphabet[group >> 18 & 63]);
    out.push_back(kAlphabet[group >> 12 & 63]);
    out.push_back(kAlphabet[group >> 6 & 63]);
    out.push_back(kAlphabet[group & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t group = uint32_t{data[i]} << 16;
    out.push_back(kAlphabet[group >> 18 & 63]);
    out.push_back(kAlphabet[group >> 12 & 63]);
  } else if (rest == 2) {
    const uint32_t group = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8;
    out.push_back(kAlphabet[group >> 18 & 63]);
    out.push_back(kAlphabet[group >> 12 & 63]);
    out.push_back(kAlphabet[group >> 6 & 63]);
  }
  STDB_ASSERT(out.size() == (data.size() * 4 + 2) / 3);
  return out;
}

Result<Bytes> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return DecodeError("base64url text has an impossible length");
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  uint32_t group = 0;  // the 6-bit values of the current (up to 4-character) group
  size_t in_group = 0;
  for (const char c : text) {
    const int8_t v = kReverse[static_cast<uint8_t>(c)];
    if (v == kInvalid) return DecodeError("base64url text has a character outside the alphabet");
    group = group << 6 | static_cast<uint32_t>(v);
    if (++in_group == 4) {
      out.push_back(static_cast<uint8_t>(group >> 16));
      out.push_back(static_cast<uint8_t>(group >> 8));
      out.push_back(static_cast<uint8_t>(group));
      group = 0;
      in_group = 0;
    }
  }
  // A tail of 2 characters carries 12 bits for 1 byte, a tail of 3 carries 18 bits for
  // 2 bytes; the 4 or 2 bits left over must be zero for the text to be canonical.
  if (in_group == 2) {
    if ((group & 0xf) != 0) return DecodeError("base64url text has non-zero trailing bits");
    out.push_back(static_cast<uint8_t>(group >> 4));
  } else if (in_group == 3) {
    if ((group & 0x3) != 0) return DecodeError("base64url text has non-zero trailing bits");
    out.push_back(static_cast<uint8_t>(group >> 10));
    out.push_back(static_cast<uint8_t>(group >> 2));
  }
  STDB_ASSERT(out.size() == text.size() * 3 / 4);
  return out;
}

}  // namespace stdb::auth
