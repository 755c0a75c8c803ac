#include "auth/identity.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "base/assert.h"

namespace stdb::auth {
namespace {

using BigEndian = std::array<uint8_t, kIdentityBytes>;

// Big-endian byte i is bits 8*(31-i) .. 8*(31-i)+7 of the 256-bit value.
BigEndian ToBigEndian(const U256& v) {
  BigEndian out{};
  for (size_t i = 0; i < kIdentityBytes; ++i) {
    const size_t le = kIdentityBytes - 1 - i;
    out[i] = static_cast<uint8_t>(v.limbs[le / 8] >> (8 * (le % 8)));
  }
  return out;
}

U256 FromBigEndian(const BigEndian& bytes) {
  U256 v;
  for (size_t i = 0; i < kIdentityBytes; ++i) {
    const size_t le = kIdentityBytes - 1 - i;
    v.limbs[le / 8] |= uint64_t{bytes[i]} << (8 * (le % 8));
  }
  return v;
}

}  // namespace

std::string IdentityToHex(const U256& identity) {
  const BigEndian bytes = ToBigEndian(identity);
  std::string hex = ToHex(ByteView(bytes));
  STDB_ASSERT(hex.size() == 2 * kIdentityBytes);
  return hex;
}

Result<U256> IdentityFromHex(std::string_view hex) {
  std::string_view digits = hex;
  if (digits.size() >= 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
  }
  if (digits.size() != 2 * kIdentityBytes) {
    return DecodeError("identity must be 64 hex digits, got " + std::to_string(digits.size()));
  }
  // Checked here because FromHex would strip a second "0x" and return 31 bytes.
  const auto is_hex_digit = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  if (!std::all_of(digits.begin(), digits.end(), is_hex_digit)) {
    return DecodeError("identity has a character that is not a hex digit");
  }
  STDB_ASSIGN_OR_RETURN(Bytes bytes, FromHex(digits));
  STDB_ASSERT(bytes.size() == kIdentityBytes);
  BigEndian be{};
  std::memcpy(be.data(), bytes.data(), kIdentityBytes);
  return FromBigEndian(be);
}

U256 DeriveIdentity(std::string_view issuer, std::string_view subject) {
  std::string input;
  input.reserve(issuer.size() + 1 + subject.size());
  input.append(issuer).append("|").append(subject);

  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_len = 0;
  const int rc =
      EVP_Digest(input.data(), input.size(), digest.data(), &digest_len, EVP_sha256(), nullptr);
  // SHA-256 over a memory buffer fails only if OpenSSL cannot allocate a context.
  STDB_ASSERT_MSG(rc == 1 && digest_len == 32, "SHA-256 failed");

  BigEndian be{};
  be[0] = 0xc2;
  be[1] = 0x00;
  std::memcpy(be.data() + 2, digest.data(), kIdentityBytes - 2);
  return FromBigEndian(be);
}

Bytes RandomBytes(size_t n) {
  STDB_ASSERT(n <= kRandomBytesMax);
  Bytes out(n);
  if (n == 0) return out;
  const int rc = RAND_bytes(out.data(), static_cast<int>(n));
  STDB_ASSERT_MSG(rc == 1, "RAND_bytes failed: the OS random source is unavailable");
  return out;
}

u128 RandomConnectionId() {
  // The chance of drawing zero is 2^-128 per try; the bound only keeps the loop finite.
  constexpr int kTriesMax = 8;
  for (int attempt = 0; attempt < kTriesMax; ++attempt) {
    const Bytes bytes = RandomBytes(sizeof(u128));
    u128 id = 0;
    std::memcpy(&id, bytes.data(), sizeof(id));
    if (id != 0) return id;
  }
  STDB_UNREACHABLE();
}

}  // namespace stdb::auth
