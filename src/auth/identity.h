// Identities and connection ids: their text form, their derivation from token claims, and
// the cryptographically random bytes that new subjects and connection ids come from.
//
// An Identity is a 256-bit value held as stdb::U256 (little-endian limbs, the BSATN layout).
// Its text form is 64 lower-case hex digits of the big-endian view (most significant byte
// first), as SpacetimeDB prints it. Byte i of the big-endian view is byte 31 - i of the
// BSATN encoding.
//
// Thread safety: every function here may be called from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/int256.h"
#include "base/status.h"

namespace stdb::auth {

// Bytes in an identity; its hex text has twice as many digits.
inline constexpr size_t kIdentityBytes = 32;

// Returns the 64-digit lower-case big-endian hex text of `identity`, without a prefix.
std::string IdentityToHex(const U256& identity);

// Parses identity text: an optional "0x" / "0X" prefix, then exactly 64 hex digits of
// either case, most significant first. Fails with kDecode on any other length or digit.
Result<U256> IdentityFromHex(std::string_view hex);

// Derives the identity of the user `subject` at token issuer `issuer`. Deterministic: the
// same pair always gives the same identity, on every host and version.
//
// Layout (big-endian view): bytes 0..1 are 0xc2 0x00 (the tag SpacetimeDB identities
// start with); bytes 2..31 are the first 30 bytes of SHA-256(issuer + "|" + subject).
// This derivation is our own: it is NOT SpacetimeDB's (which uses BLAKE3 and a checksum),
// so an identity derived here differs from the one SpacetimeDB derives for the same
// claims. Like SpacetimeDB's, the "|" joint is ambiguous when the issuer contains '|'
// ("a|b", "c" and "a", "b|c" collide); issuers are URLs or host names, which we accept.
U256 DeriveIdentity(std::string_view issuer, std::string_view subject);

// The most RandomBytes returns in one call; larger requests are programmer errors.
inline constexpr size_t kRandomBytesMax = 1 << 20;

// Returns `n` cryptographically random bytes from OpenSSL's CSPRNG (RAND_bytes). Used for
// subjects, connection ids and temporary file names; never for replayable randomness (see
// base/random.h). REQUIRES: n <= kRandomBytesMax. Aborts with a message if the CSPRNG
// fails: continuing with predictable "random" secrets would be worse than stopping.
Bytes RandomBytes(size_t n);

// Returns a random 128-bit connection id, never zero (zero means "no connection").
u128 RandomConnectionId();

}  // namespace stdb::auth
