#include "auth/signing_key.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "auth/auth_test_util.h"
#include "auth/base64url.h"
#include "auth/openssl_util.h"

namespace stdb::auth {
namespace {

using testing::ScopedTempDir;
namespace fs = std::filesystem;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::unique_ptr<SigningKey> MustGenerate() {
  auto key = SigningKey::Generate();
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

// PEM of a freshly generated key of any type OpenSSL knows ("ED25519", or "EC" + curve).
std::string OtherKeyPem(const char* type, const char* curve = nullptr) {
  internal::PkeyPtr pkey(curve ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve)
                               : EVP_PKEY_Q_keygen(nullptr, nullptr, type));
  EXPECT_NE(pkey, nullptr);
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// The P-256 key of RFC 7515 appendix A.3 (d, x, y as printed there), as PKCS#8 PEM.
constexpr std::string_view kRfc7515KeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjpsQnnGQmL+YBIff\n"
    "H1136cspYG6+0iY7X1fCE9+E9LKhRANCAAR/zc4ncPbEXUGDy+5v20t7WAczNXvp\n"
    "7xO6z248e9FURcfxRM0bvZt+hyzf7bnuufSzaV1uqQskrYpGIyiFiOWt\n"
    "-----END PRIVATE KEY-----\n";

TEST(SigningKey, SignsSixtyFourByteSignaturesThatVerify) {
  // Proves Sign and Verify agree on the raw r||s form for many messages.
  auto key = MustGenerate();
  for (int i = 0; i < 50; ++i) {
    const std::string message = "message " + std::to_string(i);
    auto signature = key->Sign(AsBytes(message));
    ASSERT_TRUE(signature.ok()) << signature.status().ToString();
    EXPECT_EQ(signature->size(), kSignatureBytes);
    EXPECT_TRUE(key->Verify(AsBytes(message), *signature));
  }
}

TEST(SigningKey, VerifiesTheEs256ExampleOfRfc7515) {
  // Proves interoperability: a signature made by another implementation (the RFC's) verifies,
  // so our r||s layout and base64url match the JWS specification.
  auto key = SigningKey::FromPrivateKeyPem(kRfc7515KeyPem, "rfc7515");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const std::string signing_input =
      "eyJhbGciOiJFUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
      "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
  auto signature = Base64UrlDecode(
      "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
      "pmWQxfKTUJqPP3-Kg6NU1Q");
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE((*key)->Verify(AsBytes(signing_input), *signature));
  EXPECT_FALSE((*key)->Verify(AsBytes(signing_input + "x"), *signature));
}

TEST(SigningKey, VerifyRejectsAlteredMessagesAndSignatures) {
  // Proves a changed message, a flipped bit, a wrong length, out-of-range scalars and another
  // key's signature all fail verification without error.
  auto key = MustGenerate();
  auto other = MustGenerate();
  const std::string message = "the signed text";
  auto signature = key->Sign(AsBytes(message));
  ASSERT_TRUE(signature.ok());
  const Bytes good(signature->begin(), signature->end());

  EXPECT_FALSE(key->Verify(AsBytes(std::string("the signed texT")), good));
  for (size_t bit = 0; bit < kSignatureBytes * 8; bit += 7) {
    Bytes flipped = good;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(key->Verify(AsBytes(message), flipped)) << bit;
  }
  EXPECT_FALSE(key->Verify(AsBytes(message), Bytes(good.begin(), good.end() - 1)));
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(key->Verify(AsBytes(message), longer));
  EXPECT_FALSE(key->Verify(AsBytes(message), Bytes()));
  EXPECT_FALSE(key->Verify(AsBytes(message), Bytes(kSignatureBytes, 0x00)));
  EXPECT_FALSE(key->Verify(AsBytes(message), Bytes(kSignatureBytes, 0xff)));
  EXPECT_FALSE(other->Verify(AsBytes(message), good));
}

TEST(SigningKey, OpenOrCreateWritesAPrivateFileOnlyTheOwnerCanRead) {
  // Proves a new key pair lands as id_ecdsa (mode 0600) and id_ecdsa.pub, with no temp files.
  ScopedTempDir dir;
  const fs::path key_dir = dir.path() / "keys" / "nested";
  auto key = SigningKey::OpenOrCreate(key_dir);
  ASSERT_TRUE(key.ok()) << key.status().ToString();

  struct stat st {};
  ASSERT_EQ(::stat((key_dir / "id_ecdsa").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(ReadText(key_dir / "id_ecdsa").starts_with("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_EQ(ReadText(key_dir / "id_ecdsa.pub"), (*key)->PublicKeyPem());
  EXPECT_TRUE((*key)->PublicKeyPem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(key_dir)) {
    ++files;
    EXPECT_FALSE(entry.path().filename().string().starts_with(".")) << entry.path();
  }
  EXPECT_EQ(files, 2u);
}

TEST(SigningKey, ReopenedKeyVerifiesSignaturesMadeBeforeTheRestart) {
  // Proves the key persists: a second OpenOrCreate loads the same key pair.
  ScopedTempDir dir;
  auto first = SigningKey::OpenOrCreate(dir.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto signature = (*first)->Sign(AsBytes(std::string_view("before restart")));
  ASSERT_TRUE(signature.ok());
  const std::string private_before = ReadText(dir.path() / "id_ecdsa");

  auto second = SigningKey::OpenOrCreate(dir.path());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE((*second)->SamePublicKey(**first));
  EXPECT_EQ((*second)->PublicKeyPem(), (*first)->PublicKeyPem());
  EXPECT_TRUE((*second)->Verify(AsBytes(std::string_view("before restart")), *signature));
  EXPECT_EQ(ReadText(dir.path() / "id_ecdsa"), private_before);
}

TEST(SigningKey, CorruptPrivateKeyFileFailsNamingTheFile) {
  // Proves garbage, a truncated PEM and a public key in the private file are reported clearly.
  ScopedTempDir dir;
  const fs::path private_path = dir.path() / "id_ecdsa";
  const std::string real_pem = std::string(kRfc7515KeyPem);
  for (const std::string& bad :
       {std::string("not a key at all\n"), std::string(), real_pem.substr(0, real_pem.size() / 2),
        MustGenerate()->PublicKeyPem()}) {
    WriteText(private_path, bad);
    fs::remove(dir.path() / "id_ecdsa.pub");
    auto key = SigningKey::OpenOrCreate(dir.path());
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(key.status().message().find(private_path.string()), std::string::npos)
        << key.status().message();
    EXPECT_NE(key.status().message().find("corrupt"), std::string::npos) << key.status().message();
  }
}

TEST(SigningKey, KeyOfTheWrongTypeOrCurveFailsNamingTheFile) {
  // Proves an Ed25519 key or a P-384 key is refused with a message naming file and problem.
  ScopedTempDir dir;
  const fs::path private_path = dir.path() / "id_ecdsa";
  struct Case {
    std::string pem;
    std::string says;
  };
  for (const Case& c :
       {Case{OtherKeyPem("ED25519"), "ED25519"}, Case{OtherKeyPem("EC", "P-384"), "secp384r1"}}) {
    WriteText(private_path, c.pem);
    auto key = SigningKey::OpenOrCreate(dir.path());
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(key.status().message().find(private_path.string()), std::string::npos)
        << key.status().message();
    EXPECT_NE(key.status().message().find(c.says), std::string::npos) << key.status().message();
    EXPECT_NE(key.status().message().find("P-256"), std::string::npos) << key.status().message();
  }
}

TEST(SigningKey, EncryptedPrivateKeyFailsWithoutPromptingForAPassphrase) {
  // Proves an encrypted PEM is refused at once instead of blocking on a terminal prompt.
  auto key = MustGenerate();
  internal::PkeyPtr pkey;
  {
    auto pem = key->PrivateKeyPem();
    ASSERT_TRUE(pem.ok());
    internal::BioPtr in(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    pkey.reset(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr));
    ASSERT_NE(pkey, nullptr);
  }
  internal::BioPtr out(BIO_new(BIO_s_mem()));
  char passphrase[] = "secret";
  ASSERT_EQ(
      PEM_write_bio_PrivateKey(out.get(), pkey.get(), EVP_aes_256_cbc(),
                               reinterpret_cast<unsigned char*>(passphrase), 6, nullptr, nullptr),
      1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out.get(), &data);
  const std::string encrypted(data, static_cast<size_t>(len));
  ASSERT_NE(encrypted.find("ENCRYPTED"), std::string::npos);

  auto loaded = SigningKey::FromPrivateKeyPem(encrypted, "/some/dir/id_ecdsa");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find("/some/dir/id_ecdsa"), std::string::npos);
}

TEST(SigningKey, TraditionalEcPrivateKeyPemIsAccepted) {
  // Proves a SEC1 "EC PRIVATE KEY" file (as older tools write) loads like PKCS#8.
  internal::PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_NE(pkey, nullptr);
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), pkey.get(), nullptr, nullptr, 0,
                                                 nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  const std::string pem(data, static_cast<size_t>(len));
  ASSERT_TRUE(pem.starts_with("-----BEGIN EC PRIVATE KEY-----"));
  auto key = SigningKey::FromPrivateKeyPem(pem, "sec1");
  EXPECT_TRUE(key.ok()) << key.status().ToString();
}

TEST(SigningKey, PublicKeyFileOfAnotherKeyFailsNamingIt) {
  // Proves a mismatched id_ecdsa.pub is detected rather than silently served.
  ScopedTempDir dir;
  ASSERT_TRUE(SigningKey::OpenOrCreate(dir.path()).ok());
  WriteText(dir.path() / "id_ecdsa.pub", MustGenerate()->PublicKeyPem());
  auto key = SigningKey::OpenOrCreate(dir.path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(key.status().message().find((dir.path() / "id_ecdsa.pub").string()), std::string::npos)
      << key.status().message();

  WriteText(dir.path() / "id_ecdsa.pub", "garbage");
  key = SigningKey::OpenOrCreate(dir.path());
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.status().message().find("id_ecdsa.pub is corrupt"), std::string::npos)
      << key.status().message();
}

TEST(SigningKey, MissingPublicKeyFileIsRewrittenFromThePrivateKey) {
  // Proves id_ecdsa.pub is derivable and restored when only it is lost.
  ScopedTempDir dir;
  auto first = SigningKey::OpenOrCreate(dir.path());
  ASSERT_TRUE(first.ok());
  fs::remove(dir.path() / "id_ecdsa.pub");
  auto second = SigningKey::OpenOrCreate(dir.path());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE((*second)->SamePublicKey(**first));
  EXPECT_EQ(ReadText(dir.path() / "id_ecdsa.pub"), (*first)->PublicKeyPem());
}

TEST(SigningKey, PublicKeyWithoutPrivateKeyIsRefused) {
  // Proves a lost private key is not silently replaced by one that mismatches the public file.
  ScopedTempDir dir;
  ASSERT_TRUE(SigningKey::OpenOrCreate(dir.path()).ok());
  fs::remove(dir.path() / "id_ecdsa");
  auto key = SigningKey::OpenOrCreate(dir.path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(key.status().message().find((dir.path() / "id_ecdsa").string()), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path() / "id_ecdsa"));
}

TEST(SigningKey, UnreadableOrOversizedKeyFileFailsNamingIt) {
  // Proves a key path that cannot be read (a directory here, which fails even for root) is
  // an I/O error naming it, and an oversized file is refused before parsing.
  ScopedTempDir dir;
  fs::create_directory(dir.path() / "id_ecdsa");
  auto key = SigningKey::OpenOrCreate(dir.path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), ErrorCode::kIo);
  EXPECT_NE(key.status().message().find((dir.path() / "id_ecdsa").string()), std::string::npos)
      << key.status().message();

  fs::remove(dir.path() / "id_ecdsa");
  WriteText(dir.path() / "id_ecdsa", std::string(kKeyFileBytesMax + 1, 'A'));
  key = SigningKey::OpenOrCreate(dir.path());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(key.status().message().find("id_ecdsa is corrupt"), std::string::npos)
      << key.status().message();
}

TEST(SigningKey, DirectoryThatCannotBeCreatedFailsNamingIt) {
  // Proves a key dir blocked by a regular file is an I/O error naming the directory.
  ScopedTempDir dir;
  WriteText(dir.path() / "blocker", "x");
  auto key = SigningKey::OpenOrCreate(dir.path() / "blocker" / "keys");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), ErrorCode::kIo);
  EXPECT_NE(key.status().message().find("blocker"), std::string::npos) << key.status().message();
}

}  // namespace
}  // namespace stdb::auth
