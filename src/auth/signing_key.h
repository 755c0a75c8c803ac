// SigningKey: the server's ES256 key pair (ECDSA over NIST P-256 with SHA-256), which
// signs the tokens it issues, and its two files on disk.
//
// Files, in the directory given to OpenOrCreate:
//   id_ecdsa      the private key, PEM (PKCS#8 "PRIVATE KEY" when we write it; SEC1
//                 "EC PRIVATE KEY" is read too), unencrypted, mode 0600 when we create it.
//   id_ecdsa.pub  the public key, PEM SubjectPublicKeyInfo ("PUBLIC KEY"), mode 0644.
// The names follow SpacetimeDB's; the public file is derivable from the private one and is
// rewritten if missing.
//
// Signatures are the JWS ES256 form (RFC 7518 section 3.4): 64 bytes, r then s, each
// 32 bytes big-endian and zero-padded. OpenSSL produces and consumes DER
// (ECDSA-Sig-Value); Sign and Verify convert.
//
// Thread safety: a SigningKey is immutable after construction. Sign, Verify and the
// accessors may run concurrently from any number of threads; each call uses its own
// OpenSSL contexts and only reads the shared EVP_PKEY (see openssl-threads(7)).
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

struct evp_pkey_st;

namespace stdb::auth {

// Bytes in an ES256 signature (r || s).
inline constexpr size_t kSignatureBytes = 64;
using Signature = std::array<uint8_t, kSignatureBytes>;

// Key files bigger than this are rejected as corrupt; a P-256 PEM is about 250 bytes.
inline constexpr size_t kKeyFileBytesMax = 64 << 10;

inline constexpr std::string_view kPrivateKeyFileName = "id_ecdsa";
inline constexpr std::string_view kPublicKeyFileName = "id_ecdsa.pub";

class SigningKey {
 public:
  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  // Generates a fresh P-256 key pair in memory. Fails with kInternal only if OpenSSL does.
  [[nodiscard]] static Result<std::unique_ptr<SigningKey>> Generate();

  // Parses an unencrypted PEM private key. `origin` (usually the file's path) names the
  // key in error messages. Fails with kInvalidArgument if the text is not a PEM private
  // key, is encrypted (no passphrase is ever prompted for), is not an EC P-256 key, or
  // fails a sign-then-verify self-test.
  [[nodiscard]] static Result<std::unique_ptr<SigningKey>> FromPrivateKeyPem(
      std::string_view pem, std::string_view origin);

  // Loads the key pair from dir/id_ecdsa and dir/id_ecdsa.pub, creating `dir` and both
  // files if the private key does not exist yet, and rewriting id_ecdsa.pub from the
  // private key if only it is missing. New files are written to a temporary name, synced,
  // then moved into place, so a crash never leaves a half-written key; a new private key
  // is linked in without replacing one that appeared meanwhile (a concurrent creator
  // wins and both load its key).
  // Fails, with a message naming the file:
  //   kIo              a file or the directory cannot be read, written or created;
  //   kInvalidArgument a key file is corrupt, too large, encrypted, of the wrong type or
  //                    curve; id_ecdsa.pub does not match id_ecdsa; or id_ecdsa.pub
  //                    exists without id_ecdsa (a new private key would not match the
  //                    public key others may have been given, so we refuse; delete
  //                    id_ecdsa.pub to start over).
  // The private key's permissions are not checked when loading.
  [[nodiscard]] static Result<std::unique_ptr<SigningKey>> OpenOrCreate(
      const std::filesystem::path& dir);

  // The public key as PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----"), as served
  // at GET /v1/identity/public-key.
  const std::string& PublicKeyPem() const { return public_pem_; }

  // The private key as unencrypted PKCS#8 PEM. Secret: callers must not log it.
  [[nodiscard]] Result<std::string> PrivateKeyPem() const;

  // True if `other` holds the same public key.
  bool SamePublicKey(const SigningKey& other) const;

  // Signs SHA-256(message) with ES256. Fails with kInternal only if OpenSSL does.
  [[nodiscard]] Result<Signature> Sign(ByteView message) const;

  // True iff `signature` is a valid ES256 signature of `message` by this key. Returns false
  // (never fails otherwise) for a signature of the wrong length or with r or s out of range.
  bool Verify(ByteView message, ByteView signature) const;

 private:
  // Frees an EVP_PKEY; defined where OpenSSL's headers are included.
  struct PkeyFree {
    void operator()(evp_pkey_st* pkey) const;
  };
  using Pkey = std::unique_ptr<evp_pkey_st, PkeyFree>;

  SigningKey(Pkey pkey, std::string public_pem);

  // Wraps a P-256 key, encoding its public half and running the sign-and-verify self-test.
  // `origin` names the key in error messages.
  static Result<std::unique_ptr<SigningKey>> Adopt(Pkey pkey, std::string_view origin);

  const Pkey pkey_;  // never null; never mutated after construction (see Thread safety)
  const std::string public_pem_;
};

}  // namespace stdb::auth
