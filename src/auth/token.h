// Tokens: the ES256 JSON Web Tokens (RFC 7519) that carry a client's identity, and the
// TokenAuthority that issues and verifies them (POST /v1/identity,
// POST /v1/identity/websocket-token, GET /v1/identity/public-key; see docs/protocol.md).
//
// Token format: BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature), each
// part base64url without padding (auth/base64url.h).
//   header     {"alg":"ES256","typ":"JWT"}, exactly these bytes when we issue.
//   payload    a JSON object:
//                hex_identity  IdentityToHex(DeriveIdentity(iss, sub)) (auth/identity.h)
//                sub           the subject: a random UUID-like string for minted identities
//                iss           the issuer, e.g. "localhost"
//                aud           ["spacetimedb"]
//                iat           issue time, integer seconds since the Unix epoch
//                exp           expiry, integer seconds since the Unix epoch; absent for
//                              long-lived tokens
//   signature  ES256 over the ASCII bytes of BASE64URL(header) "." BASE64URL(payload):
//              64 bytes, r || s, each 32 bytes big-endian zero-padded (not DER).
//
// Thread safety: a TokenAuthority is immutable after OpenOrCreate / FromKey returns.
// CreateIdentity, IssueShortLived, Verify and PublicKeyPem may be called concurrently from
// any number of threads (each call uses its own OpenSSL contexts; the key is only read).
//
// Invariants: every token this authority returns verifies with Verify until its exp; a
// Claims value returned by Verify or CreateIdentity has
// identity == DeriveIdentity(issuer, subject).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/identity.h"
#include "auth/signing_key.h"
#include "base/clock.h"
#include "base/int256.h"
#include "base/status.h"

namespace stdb::auth {

// What a valid token says about its bearer.
struct Claims {
  U256 identity;                        // always DeriveIdentity(issuer, subject)
  std::string issuer;                   // "iss"
  std::string subject;                  // "sub"
  int64_t issued_at_s = 0;              // "iat", seconds since the Unix epoch
  std::optional<int64_t> expires_at_s;  // "exp"; nullopt: the token never expires

  friend bool operator==(const Claims&, const Claims&) = default;
};

// Bounded: Verify rejects longer tokens before decoding anything. Our tokens are about
// 400 bytes; the bound leaves room for long issuers and subjects while keeping a hostile
// header or payload small enough to parse cheaply.
inline constexpr size_t kTokenBytesMax = 8 << 10;

// Issuer strings are at most this long; OpenOrCreate rejects longer ones.
inline constexpr size_t kIssuerBytesMax = 1024;

// The audience our tokens carry in "aud", as SpacetimeDB's do.
inline constexpr std::string_view kAudience = "spacetimedb";

class TokenAuthority {
 public:
  // Loads the signing key from dir/id_ecdsa and dir/id_ecdsa.pub, creating both if absent
  // (see SigningKey::OpenOrCreate for the files and every failure, each naming its file).
  // `issuer` becomes "iss" in minted tokens; it must be non-empty valid UTF-8 of at most
  // kIssuerBytesMax bytes, else kInvalidArgument. `clock` must outlive the authority.
  [[nodiscard]] static Result<std::unique_ptr<TokenAuthority>> OpenOrCreate(
      const std::filesystem::path& dir, const Clock& clock, std::string issuer = "localhost");

  // As OpenOrCreate, with a key already in memory (tests; embedding without a data dir).
  [[nodiscard]] static Result<std::unique_ptr<TokenAuthority>> FromKey(
      std::unique_ptr<SigningKey> key, const Clock& clock, std::string issuer = "localhost");

  TokenAuthority(const TokenAuthority&) = delete;
  TokenAuthority& operator=(const TokenAuthority&) = delete;

  // The PEM of the public key tokens are verified with (GET /v1/identity/public-key).
  const std::string& PublicKeyPem() const { return key_->PublicKeyPem(); }
  const std::string& issuer() const { return issuer_; }

  // A freshly minted identity and its long-lived token.
  struct Minted {
    Claims claims;
    std::string token;
  };

  // Mints a new identity: a random UUID-like subject (122 random bits) under our issuer,
  // issued now, with no expiry. Fails with kInternal only if signing fails.
  [[nodiscard]] Result<Minted> CreateIdentity() const;

  // Issues a token for the same identity (same iss and sub) issued now and expiring
  // ttl_s seconds from now; for POST /v1/identity/websocket-token. Fails with
  // kInvalidArgument if ttl_s <= 0, if now + ttl_s overflows, or if claims.identity is not
  // DeriveIdentity(claims.issuer, claims.subject); with kInternal if signing fails.
  [[nodiscard]] Result<std::string> IssueShortLived(const Claims& claims, int64_t ttl_s) const;

  // Verifies `token` and returns its claims. Accepts exactly the tokens whose:
  //   - text is at most kTokenBytesMax bytes of three canonical base64url parts;
  //   - header is a JSON object with "alg" == "ES256", "typ" == "JWT" and no "crit";
  //   - signature is valid under our key (no other key is trusted);
  //   - payload is a JSON object with non-empty string "iss" and "sub", integer "iat",
  //     integer "exp" if present with now < exp (now from the clock, in whole seconds),
  //     "aud" if present equal to or containing "spacetimedb", and "hex_identity" if
  //     present equal to DeriveIdentity(iss, sub).
  // Any other "iss" is accepted: only our key signs, so a token carrying an older issuer
  // name (after a configuration change) is still ours. Unknown claims are ignored.
  // Every rejection is kUnauthenticated with a message saying what is wrong; the message
  // quotes no text from the token (only the exp time when it has passed). Never crashes and
  // never throws, whatever the input.
  [[nodiscard]] Result<Claims> Verify(std::string_view token) const;

 private:
  TokenAuthority(std::unique_ptr<SigningKey> key, const Clock& clock, std::string issuer);

  // Signs `claims` into a token. Fails with kInvalidArgument if a string is not valid
  // UTF-8, kInternal if signing fails.
  Result<std::string> Encode(const Claims& claims) const;
  int64_t NowSeconds() const;

  const std::unique_ptr<SigningKey> key_;  // never null
  const Clock& clock_;
  const std::string issuer_;
};

}  // namespace stdb::auth
