#include "auth/signing_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "auth/identity.h"
#include "auth/openssl_util.h"
#include "base/assert.h"

namespace stdb::auth {
namespace fs = std::filesystem;
using internal::BignumPtr;
using internal::BioPtr;
using internal::DrainOpenSslErrors;
using internal::EcdsaSigPtr;
using internal::MdCtxPtr;

void SigningKey::PkeyFree::operator()(evp_pkey_st* pkey) const { EVP_PKEY_free(pkey); }

namespace {

// Bytes in each of r and s, the size of a P-256 scalar.
constexpr size_t kScalarBytes = kSignatureBytes / 2;

// Message signed and verified when a key is loaded, to catch a key that parses but cannot
// sign (for example a private scalar that does not match the embedded public point).
constexpr std::string_view kSelfTestMessage = "stdb signing key self-test";

// The passphrase callback: refuses, so OpenSSL never prompts on the terminal for an
// encrypted key; reading one fails instead.
int RefusePassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

std::string ErrnoText(int err) { return std::strerror(err); }

// Copies the contents of a memory BIO.
std::string MemBioText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  STDB_ASSERT(len >= 0);
  return std::string(data, static_cast<size_t>(len));
}

Result<std::string> PublicKeyToPem(EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey) != 1) {
    return InternalError("cannot encode public key as PEM: " + DrainOpenSslErrors());
  }
  return MemBioText(bio.get());
}

// True if `path` exists (following symlinks); kIo if that cannot be determined.
Result<bool> FileExists(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  const int err = errno;
  if (err == ENOENT) return false;
  return IoError("cannot stat " + path.string() + ": " + ErrnoText(err));
}

// Reads a whole key file of at most kKeyFileBytesMax bytes.
Result<std::string> ReadKeyFile(const fs::path& path) {
  // O_NONBLOCK: a FIFO planted at the path must not hang startup; it fails S_ISREG below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return IoError("cannot open " + path.string() + ": " + ErrnoText(errno));
  struct stat st {};
  Status status;
  std::string text;
  if (::fstat(fd, &st) != 0) {
    status = IoError("cannot stat " + path.string() + ": " + ErrnoText(errno));
  } else if (!S_ISREG(st.st_mode)) {
    status = IoError("cannot read " + path.string() + ": not a regular file");
  } else if (static_cast<uint64_t>(st.st_size) > kKeyFileBytesMax) {
    status = InvalidArgument(path.string() + " is corrupt: " + std::to_string(st.st_size) +
                             " bytes, more than a key file's " + std::to_string(kKeyFileBytesMax));
  } else {
    text.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    // Bounded by the size just checked: each successful read makes progress.
    while (done < text.size()) {
      const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = IoError("cannot read " + path.string() + ": " + ErrnoText(errno));
        break;
      }
      if (n == 0) break;  // the file shrank while we read it; parse what we have
      done += static_cast<size_t>(n);
    }
    text.resize(done);
  }
  ::close(fd);
  if (!status.ok()) return status;
  return text;
}

Status WriteAllAndSync(int fd, std::string_view contents, const fs::path& path) {
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("cannot write " + path.string() + ": " + ErrnoText(errno));
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return IoError("cannot sync " + path.string() + ": " + ErrnoText(errno));
  return Status::Ok();
}

Status SyncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory " + dir.string() + ": " + ErrnoText(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("cannot sync directory " + dir.string() + ": " + ErrnoText(err));
  return Status::Ok();
}

// How WriteFileDurably puts the finished file in place.
enum class Placement {
  kReplace,    // rename over any existing file
  kNoReplace,  // hard-link; kAlreadyExists if the name is taken (the existing file wins)
};

// Writes `contents` to a fresh temporary file in `dir` with permissions `mode`, syncs it,
// moves it to dir/name and syncs the directory. The final name never holds a partial file.
Status WriteFileDurably(const fs::path& dir, std::string_view name, std::string_view contents,
                        mode_t mode, Placement placement) {
  const fs::path final_path = dir / name;
  const fs::path temp_path = dir / ("." + std::string(name) + ".tmp-" + ToHex(RandomBytes(8)));
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return IoError("cannot create " + temp_path.string() + ": " + ErrnoText(errno));
  // fchmod makes the mode exact whatever the process umask is.
  Status status = ::fchmod(fd, mode) == 0
                      ? WriteAllAndSync(fd, contents, temp_path)
                      : IoError("cannot chmod " + temp_path.string() + ": " + ErrnoText(errno));
  if (::close(fd) != 0 && status.ok()) {
    status = IoError("cannot close " + temp_path.string() + ": " + ErrnoText(errno));
  }
  if (status.ok() && placement == Placement::kReplace) {
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
      status = IoError("cannot rename " + temp_path.string() + " to " + final_path.string() + ": " +
                       ErrnoText(errno));
    }
  } else if (status.ok()) {
    if (::link(temp_path.c_str(), final_path.c_str()) != 0) {
      const int err = errno;
      status = err == EEXIST ? Status(ErrorCode::kAlreadyExists, final_path.string() + " exists")
                             : IoError("cannot link " + temp_path.string() + " to " +
                                       final_path.string() + ": " + ErrnoText(err));
    }
  }
  // After a successful rename the temporary name is gone; in every other case remove it.
  if (placement == Placement::kNoReplace || !status.ok()) ::unlink(temp_path.c_str());
  if (!status.ok()) return status;
  return SyncDir(dir);
}

}  // namespace

SigningKey::SigningKey(Pkey pkey, std::string public_pem)
    : pkey_(std::move(pkey)), public_pem_(std::move(public_pem)) {
  STDB_ASSERT(pkey_ != nullptr);
  STDB_ASSERT(!public_pem_.empty());
}

SigningKey::~SigningKey() = default;

Result<std::unique_ptr<SigningKey>> SigningKey::Adopt(Pkey pkey, std::string_view origin) {
  STDB_ASSERT(pkey != nullptr);
  STDB_ASSIGN_OR_RETURN(std::string public_pem, PublicKeyToPem(pkey.get()));
  std::unique_ptr<SigningKey> key(new SigningKey(std::move(pkey), std::move(public_pem)));
  // The self-test also performs the key's first signing and verifying operations here,
  // before the key is shared, so any state OpenSSL initializes lazily on first use is in
  // place before concurrent callers arrive.
  auto signature = key->Sign(AsBytes(kSelfTestMessage));
  if (!signature.ok() || !key->Verify(AsBytes(kSelfTestMessage), *signature)) {
    return InvalidArgument(std::string(origin) +
                           " is corrupt: the key fails a sign-and-verify self-test");
  }
  return key;
}

Result<std::unique_ptr<SigningKey>> SigningKey::Generate() {
  Pkey pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!pkey) return InternalError("cannot generate a P-256 key: " + DrainOpenSslErrors());
  auto key = Adopt(std::move(pkey), "a freshly generated key");
  if (!key.ok()) return InternalError(key.status().message());
  return key;
}

Result<std::unique_ptr<SigningKey>> SigningKey::FromPrivateKeyPem(std::string_view pem,
                                                                  std::string_view origin) {
  const std::string where(origin);
  if (pem.size() > kKeyFileBytesMax) {
    return InvalidArgument(where + " is corrupt: larger than a key file can be");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return InternalError("cannot allocate a BIO: " + DrainOpenSslErrors());
  Pkey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (!pkey) {
    return InvalidArgument(where + " is corrupt: not an unencrypted PEM private key (" +
                           DrainOpenSslErrors() + ")");
  }
  if (EVP_PKEY_is_a(pkey.get(), "EC") != 1) {
    const char* type = EVP_PKEY_get0_type_name(pkey.get());
    return InvalidArgument(where + " holds a " + (type ? type : "non-EC") +
                           " key; tokens need an EC P-256 (ES256) key");
  }
  char group[64] = {};
  size_t group_len = 0;
  if (EVP_PKEY_get_group_name(pkey.get(), group, sizeof(group), &group_len) != 1 ||
      (std::string_view(group) != "prime256v1" && std::string_view(group) != "P-256")) {
    DrainOpenSslErrors();
    return InvalidArgument(where + " holds an EC key on curve '" + group +
                           "'; tokens need curve P-256 (ES256)");
  }
  return Adopt(std::move(pkey), where);
}

Result<std::unique_ptr<SigningKey>> SigningKey::OpenOrCreate(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create key directory " + dir.string() + ": " + ec.message());
  const fs::path private_path = dir / kPrivateKeyFileName;
  const fs::path public_path = dir / kPublicKeyFileName;

  STDB_ASSIGN_OR_RETURN(const bool has_private, FileExists(private_path));
  if (!has_private) {
    STDB_ASSIGN_OR_RETURN(const bool has_public, FileExists(public_path));
    if (has_public) {
      return InvalidArgument(public_path.string() + " exists but " + private_path.string() +
                             " does not; refusing to create a key pair that would not match "
                             "it (remove " +
                             public_path.string() + " to start over)");
    }
    STDB_ASSIGN_OR_RETURN(auto fresh, Generate());
    STDB_ASSIGN_OR_RETURN(std::string private_pem, fresh->PrivateKeyPem());
    const Status written =
        WriteFileDurably(dir, kPrivateKeyFileName, private_pem, 0600, Placement::kNoReplace);
    OPENSSL_cleanse(private_pem.data(), private_pem.size());
    // kAlreadyExists: another process created the key first; load and use its key.
    if (!written.ok() && written.code() != ErrorCode::kAlreadyExists) return written;
  }

  STDB_ASSIGN_OR_RETURN(std::string private_pem, ReadKeyFile(private_path));
  auto key = FromPrivateKeyPem(private_pem, private_path.string());
  OPENSSL_cleanse(private_pem.data(), private_pem.size());
  if (!key.ok()) return key.status();

  STDB_ASSIGN_OR_RETURN(const bool has_public, FileExists(public_path));
  if (!has_public) {
    STDB_RETURN_IF_ERROR(WriteFileDurably(dir, kPublicKeyFileName, (*key)->PublicKeyPem(), 0644,
                                          Placement::kReplace));
    return key;
  }
  STDB_ASSIGN_OR_RETURN(const std::string public_pem, ReadKeyFile(public_path));
  BioPtr bio(BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())));
  if (!bio) return InternalError("cannot allocate a BIO: " + DrainOpenSslErrors());
  const Pkey public_key(PEM_read_bio_PUBKEY(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (!public_key) {
    return InvalidArgument(public_path.string() + " is corrupt: not a PEM public key (" +
                           DrainOpenSslErrors() + ")");
  }
  if (EVP_PKEY_eq(public_key.get(), (*key)->pkey_.get()) != 1) {
    DrainOpenSslErrors();
    return InvalidArgument(public_path.string() + " does not match the private key in " +
                           private_path.string());
  }
  return key;
}

Result<std::string> SigningKey::PrivateKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return InternalError("cannot encode private key as PEM: " + DrainOpenSslErrors());
  }
  std::string pem = MemBioText(bio.get());
  // The memory BIO's buffer held the secret; wipe it before BIO_free releases it.
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

bool SigningKey::SamePublicKey(const SigningKey& other) const {
  const bool same = EVP_PKEY_eq(pkey_.get(), other.pkey_.get()) == 1;
  ERR_clear_error();
  return same;
}

Result<Signature> SigningKey::Sign(ByteView message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::vector<uint8_t> der(128);  // a P-256 DER signature is at most 72 bytes
  size_t der_len = der.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), der.data(), &der_len, message.data(), message.size()) != 1) {
    return InternalError("ES256 signing failed: " + DrainOpenSslErrors());
  }
  STDB_ASSERT(der_len <= der.size());
  const unsigned char* p = der.data();
  const EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return InternalError("cannot decode OpenSSL's signature: " + DrainOpenSslErrors());
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Signature out{};
  if (BN_bn2binpad(r, out.data(), kScalarBytes) != static_cast<int>(kScalarBytes) ||
      BN_bn2binpad(s, out.data() + kScalarBytes, kScalarBytes) != static_cast<int>(kScalarBytes)) {
    return InternalError("ES256 signature scalar does not fit in 32 bytes");
  }
  return out;
}

bool SigningKey::Verify(ByteView message, ByteView signature) const {
  if (signature.size() != kSignatureBytes) return false;
  BignumPtr r(BN_bin2bn(signature.data(), kScalarBytes, nullptr));
  BignumPtr s(BN_bin2bn(signature.data() + kScalarBytes, kScalarBytes, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  // ECDSA_SIG_set0 took ownership of r and s.
  (void)r.release();
  (void)s.release();

  const int der_len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (der_len <= 0) {
    ERR_clear_error();
    return false;
  }
  std::vector<uint8_t> der(static_cast<size_t>(der_len));
  unsigned char* p = der.data();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // EVP_DigestVerify returns 1 for a valid signature, 0 for an invalid one and a negative
  // value for other failures (r or s out of range among them): only 1 accepts.
  const bool valid =
      i2d_ECDSA_SIG(sig.get(), &p) == der_len && ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size()) == 1;
  ERR_clear_error();
  return valid;
}

}  // namespace stdb::auth
