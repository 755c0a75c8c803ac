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

U256 FromBigEndian(const BigEndian& bytes) {
  U256 v;
  for (size_t i = 0; i < kIdentityBytes; ++i) {
    const size_t le = kIdentityBytes - 1 - i;
    v.limbs[le / 8] |= uint64_t{bytes[i]} << (8 * (le % 8));
  }
  return v;
}

}  // namespace

std::string IdentityToHex(const U256& identity) { return U256ToHex(identity); }

Result<U256> IdentityFromHex(std::string_view hex) {
  auto v = U256FromHex(hex);
  if (!v.ok()) return DecodeError("identity: " + v.status().message());
  return v;
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
