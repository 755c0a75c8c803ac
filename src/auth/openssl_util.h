// Internal to src/auth: owning handles for OpenSSL objects and a reader of OpenSSL's
// per-thread error queue. Not part of the library's interface.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace stdb::auth::internal {

// unique_ptr deleter calling an OpenSSL free function.
template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { Free(p); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG, ECDSA_SIG_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_free>>;

// BIO_free returns int, so it needs its own deleter.
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// Returns the reasons queued on this thread's OpenSSL error queue, oldest first, joined
// by "; ", and empties the queue (so a stale error never explains a later failure).
std::string DrainOpenSslErrors();

}  // namespace stdb::auth::internal
