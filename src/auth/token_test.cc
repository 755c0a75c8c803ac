#include "auth/token.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "auth/auth_test_util.h"
#include "auth/base64url.h"
#include "auth/identity.h"

namespace stdb::auth {
namespace {

using Json = nlohmann::json;
using testing::DecodePart;
using testing::ScopedTempDir;
using testing::SigningInput;
using testing::Split;

constexpr int64_t kStartSeconds = 1'700'000'000;
constexpr std::string_view kHeader = R"({"alg":"ES256","typ":"JWT"})";

// Checks `result` is a kUnauthenticated rejection whose message contains `says`.
void ExpectRejected(const Result<Claims>& result, std::string_view says = "") {
  ASSERT_FALSE(result.ok()) << "accepted a token that should be rejected";
  EXPECT_EQ(result.status().code(), ErrorCode::kUnauthenticated) << result.status().ToString();
  EXPECT_NE(result.status().message().find(says), std::string::npos)
      << "message '" << result.status().message() << "' does not say '" << says << "'";
}

// An authority over an in-memory key, plus a second handle on the same key for forging
// tokens with arbitrary contents that carry a valid signature.
class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto generated = SigningKey::Generate();
    ASSERT_TRUE(generated.ok());
    auto pem = (*generated)->PrivateKeyPem();
    ASSERT_TRUE(pem.ok());
    auto forger = SigningKey::FromPrivateKeyPem(*pem, "test");
    ASSERT_TRUE(forger.ok());
    forger_ = std::move(forger).value();
    auto authority = TokenAuthority::FromKey(std::move(generated).value(), clock_);
    ASSERT_TRUE(authority.ok()) << authority.status().ToString();
    authority_ = std::move(authority).value();
  }

  // BASE64URL(header) "." BASE64URL(payload) "." signature by our key.
  std::string Signed(std::string_view header_json, std::string_view payload_json) const {
    return SignedText(SigningInput(header_json, payload_json));
  }
  // `signing_input` "." its signature by our key, whatever the input is.
  std::string SignedText(const std::string& signing_input) const {
    auto signature = forger_->Sign(AsBytes(signing_input));
    EXPECT_TRUE(signature.ok());
    return signing_input + "." + Base64UrlEncode(*signature);
  }

  TokenAuthority::Minted Mint() const {
    auto minted = authority_->CreateIdentity();
    EXPECT_TRUE(minted.ok()) << minted.status().ToString();
    return std::move(minted).value();
  }

  ManualClock clock_{kStartSeconds * 1'000'000};
  std::unique_ptr<SigningKey> forger_;
  std::unique_ptr<TokenAuthority> authority_;
};

TEST_F(TokenTest, MintedTokenVerifiesToTheSameClaims) {
  // Proves the issue -> verify round trip returns exactly the minted claims.
  const auto minted = Mint();
  EXPECT_EQ(minted.claims.issuer, "localhost");
  EXPECT_EQ(minted.claims.issued_at_s, kStartSeconds);
  EXPECT_FALSE(minted.claims.expires_at_s.has_value());
  auto verified = authority_->Verify(minted.token);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, minted.claims);
}

TEST_F(TokenTest, MintedTokenCarriesTheDocumentedHeaderAndClaims) {
  // Proves the wire form: fixed ES256 header; hex_identity == DeriveIdentity(iss, sub).
  const auto minted = Mint();
  const auto parts = Split(minted.token);
  EXPECT_EQ(DecodePart(parts.header), kHeader);
  EXPECT_EQ(Base64UrlDecode(parts.signature)->size(), kSignatureBytes);
  const Json payload = Json::parse(DecodePart(parts.payload));
  const std::string sub = payload.at("sub");
  EXPECT_EQ(payload.at("iss"), "localhost");
  EXPECT_EQ(payload.at("aud"), Json::array({"spacetimedb"}));
  EXPECT_EQ(payload.at("iat"), kStartSeconds);
  EXPECT_FALSE(payload.contains("exp"));
  EXPECT_EQ(payload.at("hex_identity"), IdentityToHex(DeriveIdentity("localhost", sub)));
  EXPECT_EQ(payload.at("hex_identity"), IdentityToHex(minted.claims.identity));
  // The subject is a version-4 UUID: 8-4-4-4-12 hex digits.
  ASSERT_EQ(sub.size(), 36u);
  EXPECT_EQ(sub[8], '-');
  EXPECT_EQ(sub[13], '-');
  EXPECT_EQ(sub[14], '4');
  EXPECT_EQ(sub[18], '-');
  EXPECT_EQ(sub[23], '-');
}

TEST_F(TokenTest, EachMintedIdentityIsNew) {
  // Proves CreateIdentity draws a fresh subject, hence a fresh identity, every time.
  const auto a = Mint();
  const auto b = Mint();
  EXPECT_NE(a.claims.subject, b.claims.subject);
  EXPECT_NE(a.claims.identity, b.claims.identity);
}

TEST_F(TokenTest, ShortLivedTokenKeepsTheIdentityAndExpiresOnTime) {
  // Proves IssueShortLived keeps iss/sub/identity, and Verify honours exp via the clock.
  const auto minted = Mint();
  clock_.Advance(10'000'000);
  auto token = authority_->IssueShortLived(minted.claims, 60);
  ASSERT_TRUE(token.ok()) << token.status().ToString();

  auto verified = authority_->Verify(*token);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->identity, minted.claims.identity);
  EXPECT_EQ(verified->subject, minted.claims.subject);
  EXPECT_EQ(verified->issued_at_s, kStartSeconds + 10);
  EXPECT_EQ(verified->expires_at_s, kStartSeconds + 70);

  clock_.Set((kStartSeconds + 69) * 1'000'000 + 999'999);
  EXPECT_TRUE(authority_->Verify(*token).ok());
  clock_.Set((kStartSeconds + 70) * 1'000'000);
  ExpectRejected(authority_->Verify(*token), "expired");
  // The long-lived token is unaffected by time passing.
  clock_.Advance(int64_t{10} * 365 * 86400 * 1'000'000);
  EXPECT_TRUE(authority_->Verify(minted.token).ok());
}

TEST_F(TokenTest, IssueShortLivedRefusesBadLifetimesAndInconsistentClaims) {
  // Proves the preconditions of IssueShortLived are checked, not assumed.
  const auto minted = Mint();
  for (const int64_t ttl_s : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::max()}) {
    auto token = authority_->IssueShortLived(minted.claims, ttl_s);
    ASSERT_FALSE(token.ok()) << ttl_s;
    EXPECT_EQ(token.status().code(), ErrorCode::kInvalidArgument);
  }
  Claims forged = minted.claims;
  forged.subject = "someone else";
  auto token = authority_->IssueShortLived(forged, 60);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), ErrorCode::kInvalidArgument);
  Claims huge = minted.claims;
  huge.subject = std::string(kTokenBytesMax, 's');
  huge.identity = DeriveIdentity(huge.issuer, huge.subject);
  token = authority_->IssueShortLived(huge, 60);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), ErrorCode::kInvalidArgument);
}

TEST(TokenAuthority, TokensIssuedBeforeARestartVerifyAfterIt) {
  // Proves the key persists across OpenOrCreate: old tokens stay valid after a restart.
  ScopedTempDir dir;
  ManualClock clock(kStartSeconds * 1'000'000);
  std::string token;
  std::string public_pem;
  Claims claims;
  {
    auto authority = TokenAuthority::OpenOrCreate(dir.path(), clock);
    ASSERT_TRUE(authority.ok()) << authority.status().ToString();
    auto minted = (*authority)->CreateIdentity();
    ASSERT_TRUE(minted.ok());
    token = minted->token;
    claims = minted->claims;
    public_pem = (*authority)->PublicKeyPem();
  }
  auto restarted = TokenAuthority::OpenOrCreate(dir.path(), clock, "other-issuer");
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  EXPECT_EQ((*restarted)->PublicKeyPem(), public_pem);
  auto verified = (*restarted)->Verify(token);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, claims);
}

TEST(TokenAuthority, RejectsAnIssuerThatCannotBeEncoded) {
  // Proves the issuer is validated up front instead of failing every later issue.
  ManualClock clock(0);
  for (const std::string& issuer :
       {std::string(), std::string("\xff\xfe"), std::string(kIssuerBytesMax + 1, 'i')}) {
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.ok());
    auto authority = TokenAuthority::FromKey(std::move(key).value(), clock, issuer);
    ASSERT_FALSE(authority.ok());
    EXPECT_EQ(authority.status().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(TokenAuthority, CorruptKeyFileFailsNamingTheFile) {
  // Proves a corrupt id_ecdsa stops the authority with a message naming the file.
  ScopedTempDir dir;
  {
    std::ofstream out(dir.path() / "id_ecdsa");
    out << "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n";
  }
  ManualClock clock(0);
  auto authority = TokenAuthority::OpenOrCreate(dir.path(), clock);
  ASSERT_FALSE(authority.ok());
  EXPECT_EQ(authority.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(authority.status().message().find((dir.path() / "id_ecdsa").string()),
            std::string::npos)
      << authority.status().message();
}

TEST_F(TokenTest, TokenSignedByAnotherKeyIsRejected) {
  // Proves only our key is trusted: another server's valid token fails the signature check.
  auto other_key = SigningKey::Generate();
  ASSERT_TRUE(other_key.ok());
  auto other = TokenAuthority::FromKey(std::move(other_key).value(), clock_);
  ASSERT_TRUE(other.ok());
  auto foreign = (*other)->CreateIdentity();
  ASSERT_TRUE(foreign.ok());
  ASSERT_TRUE((*other)->Verify(foreign->token).ok());
  ExpectRejected(authority_->Verify(foreign->token), "bad signature");
}

TEST_F(TokenTest, TamperedPayloadIsRejected) {
  // Proves any change to the signed payload (a different subject; one character) is caught.
  const auto minted = Mint();
  const auto parts = Split(minted.token);
  Json payload = Json::parse(DecodePart(parts.payload));
  payload["sub"] = "admin";
  payload["hex_identity"] = IdentityToHex(DeriveIdentity("localhost", "admin"));
  const std::string swapped =
      parts.header + "." + Base64UrlEncode(AsBytes(payload.dump())) + "." + parts.signature;
  ExpectRejected(authority_->Verify(swapped), "bad signature");

  std::string one_char = minted.token;
  const size_t at = parts.header.size() + 1 + parts.payload.size() / 2;
  one_char[at] = one_char[at] == 'A' ? 'B' : 'A';
  ExpectRejected(authority_->Verify(one_char), "bad signature");
}

TEST_F(TokenTest, TamperedSignatureIsRejected) {
  // Proves flipped signature bits and a signature moved from another token are caught.
  const auto a = Mint();
  const auto b = Mint();
  const auto parts = Split(a.token);
  auto signature = Base64UrlDecode(parts.signature);
  ASSERT_TRUE(signature.ok());
  for (const size_t byte : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    Bytes flipped = *signature;
    flipped[byte] ^= 0x01;
    ExpectRejected(
        authority_->Verify(parts.header + "." + parts.payload + "." + Base64UrlEncode(flipped)),
        "bad signature");
  }
  ExpectRejected(
      authority_->Verify(parts.header + "." + parts.payload + "." + Split(b.token).signature),
      "bad signature");
  // A DER signature (what OpenSSL emits natively) is not the JWS form.
  ExpectRejected(authority_->Verify(parts.header + "." + parts.payload + "." +
                                    Base64UrlEncode(Bytes(72, 0x30))),
                 "64 bytes");
}

TEST_F(TokenTest, OtherAlgorithmsAreRejected) {
  // Proves alg "none", HS256 (keyed with our public key: the classic key-confusion attack),
  // ES384, a missing typ and critical extensions are all refused.
  const auto minted = Mint();
  const std::string payload = DecodePart(Split(minted.token).payload);
  const std::string none_header = R"({"alg":"none","typ":"JWT"})";
  ExpectRejected(authority_->Verify(SigningInput(none_header, payload) + "."), "unsigned");
  ExpectRejected(authority_->Verify(SigningInput(none_header, payload) + ".AAAA"), "alg none");
  ExpectRejected(authority_->Verify(Signed(none_header, payload)), "alg none");

  const std::string hs_input = SigningInput(R"({"alg":"HS256","typ":"JWT"})", payload);
  const std::string& secret = authority_->PublicKeyPem();
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  ASSERT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                      reinterpret_cast<const unsigned char*>(hs_input.data()), hs_input.size(), mac,
                      sizeof(mac), &mac_len),
            nullptr);
  ExpectRejected(authority_->Verify(hs_input + "." + Base64UrlEncode(ByteView(mac, mac_len))),
                 "not ES256");

  for (const char* header : {R"({"alg":"ES384","typ":"JWT"})", R"({"alg":"es256","typ":"JWT"})",
                             R"({"alg":["ES256"],"typ":"JWT"})", R"({"typ":"JWT"})"}) {
    auto result = authority_->Verify(Signed(header, payload));
    ExpectRejected(result, "alg");
  }
  ExpectRejected(authority_->Verify(Signed(R"({"alg":"ES256"})", payload)), "typ");
  ExpectRejected(authority_->Verify(Signed(R"({"alg":"ES256","typ":"JWS"})", payload)), "typ");
  ExpectRejected(
      authority_->Verify(Signed(R"({"alg":"ES256","typ":"JWT","crit":["exp"]})", payload)),
      "critical");
  // Header members we do not use are ignored when the token is otherwise valid.
  EXPECT_TRUE(
      authority_->Verify(Signed(R"({"alg":"ES256","typ":"JWT","kid":"k1"})", payload)).ok());
}

TEST_F(TokenTest, MalformedTextIsRejected) {
  // Proves empty, garbage, wrongly split, non-base64url and truncated texts are refused.
  const auto minted = Mint();
  ExpectRejected(authority_->Verify(""), "empty");
  for (const char* garbage : {"garbage", ".", "..", "...", "a.b", "a.b.c.d", "a..c", ".b.c", "a.b.",
                              "Bearer x.y.z", "\0\0\0", "é.é.é"}) {
    ExpectRejected(authority_->Verify(garbage));
  }
  const auto parts = Split(minted.token);
  ExpectRejected(authority_->Verify(" " + minted.token), "base64url");
  ExpectRejected(authority_->Verify(minted.token + "\n"), "base64url");
  ExpectRejected(authority_->Verify(minted.token + "="), "base64url");
  ExpectRejected(authority_->Verify(minted.token + "." + parts.signature), "three");
  // Every proper prefix of a valid token is rejected.
  for (size_t n = 0; n < minted.token.size(); ++n) {
    ExpectRejected(authority_->Verify(std::string_view(minted.token).substr(0, n)));
  }
  // Standard base64 ('+', '/', padding) is not base64url.
  std::string standard = minted.token;
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  if (standard != minted.token) ExpectRejected(authority_->Verify(standard));
}

TEST_F(TokenTest, HugeInputsAreRejectedBeforeParsing) {
  // Proves the kTokenBytesMax bound: a 16 MiB string and an oversized validly signed token.
  ExpectRejected(authority_->Verify(std::string(16 << 20, 'A')), "longer than");
  const std::string big_payload =
      R"({"iss":"localhost","sub":")" + std::string(kTokenBytesMax, 'x') + R"(","iat":1})";
  ExpectRejected(authority_->Verify(Signed(kHeader, big_payload)), "longer than");
  // Deeply nested JSON within the bound parses without exhausting the stack.
  const std::string nested = std::string(3000, '[') + std::string(3000, ']');
  ExpectRejected(authority_->Verify(SigningInput(nested, "{}") + ".AAAA"), "JSON object");
  const std::string nested_payload = R"({"iss":"localhost","sub":"x","iat":1,"n":)" +
                                     std::string(2500, '[') + std::string(2500, ']') + "}";
  auto deep = authority_->Verify(Signed(kHeader, nested_payload));
  EXPECT_TRUE(deep.ok()) << deep.status().ToString();
}

TEST_F(TokenTest, SignedTokensWithInvalidClaimsAreRejected) {
  // Proves claim checks hold even for payloads carrying our valid signature.
  const std::string other_identity = IdentityToHex(DeriveIdentity("localhost", "y"));
  const std::string late = std::to_string(kStartSeconds + 100);
  struct Case {
    std::string payload;
    std::string says;
  };
  const std::vector<Case> cases = {
      {R"([])", "JSON object"},
      {R"("x")", "JSON object"},
      {R"({"iss":"localhost","sub":"x","iat":1)", "JSON object"},
      {R"({"sub":"x","iat":1})", "iss"},
      {R"({"iss":"","sub":"x","iat":1})", "iss"},
      {R"({"iss":7,"sub":"x","iat":1})", "iss"},
      {R"({"iss":"localhost","iat":1})", "sub"},
      {R"({"iss":"localhost","sub":"","iat":1})", "sub"},
      {R"({"iss":"localhost","sub":"x"})", "iat"},
      {R"({"iss":"localhost","sub":"x","iat":"1"})", "iat"},
      {R"({"iss":"localhost","sub":"x","iat":1.5})", "iat"},
      {R"({"iss":"localhost","sub":"x","iat":1,"exp":"never"})", "exp"},
      {R"({"iss":"localhost","sub":"x","iat":1,"exp":18446744073709551615})", "exp"},
      {R"({"iss":"localhost","sub":"x","iat":1,"exp":)" + std::to_string(kStartSeconds) + "}",
       "expired"},
      {R"({"iss":"localhost","sub":"x","iat":1,"aud":"other"})", "audience"},
      {R"({"iss":"localhost","sub":"x","iat":1,"aud":["other"]})", "audience"},
      {R"({"iss":"localhost","sub":"x","iat":1,"hex_identity":")" + other_identity + R"("})",
       "hex_identity"},
      {R"({"iss":"localhost","sub":"x","iat":1,"hex_identity":"c200"})", "hex_identity"},
      {R"({"iss":"localhost","sub":"x","iat":1,"hex_identity":5})", "hex_identity"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.payload);
    ExpectRejected(authority_->Verify(Signed(kHeader, c.payload)), c.says);
  }
  ExpectRejected(authority_->Verify(SignedText(Base64UrlEncode(AsBytes(kHeader)) + ".!!!!")),
                 "payload is not base64url");

  // The minimal accepted payload: iss, sub, iat; the other claims are optional.
  for (const std::string& ok :
       {std::string(R"({"iss":"localhost","sub":"x","iat":-5})"),
        R"({"iss":"elsewhere","sub":"x","iat":1,"exp":)" + late + "}",
        std::string(R"({"iss":"localhost","sub":"x","iat":1,"aud":"spacetimedb","extra":[1]})"),
        std::string(R"({"iss":"localhost","sub":"x","iat":1,"aud":["a","spacetimedb"]})")}) {
    auto verified = authority_->Verify(Signed(kHeader, ok));
    ASSERT_TRUE(verified.ok()) << ok << ": " << verified.status().ToString();
    EXPECT_EQ(verified->identity, DeriveIdentity(verified->issuer, "x"));
  }
}

TEST_F(TokenTest, EverySingleBitFlipOfATokenIsRejected) {
  // Proves exhaustively over one token that no one-bit change anywhere is accepted.
  const auto minted = Mint();
  for (size_t i = 0; i < minted.token.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = minted.token;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      auto result = authority_->Verify(flipped);
      ASSERT_FALSE(result.ok()) << "accepted with byte " << i << " bit " << bit << " flipped";
      ASSERT_EQ(result.status().code(), ErrorCode::kUnauthenticated);
    }
  }
}

TEST_F(TokenTest, ConcurrentIssueAndVerifyAgree) {
  // Proves the thread-safety contract: several threads mint, issue and verify at once.
  constexpr int kThreads = 4;
  constexpr int kRounds = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  const auto shared = Mint();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        auto minted = authority_->CreateIdentity();
        if (!minted.ok()) ++failures;
        if (minted.ok() && !(authority_->Verify(minted->token).ok())) ++failures;
        auto short_lived = authority_->IssueShortLived(shared.claims, 60);
        if (!short_lived.ok() || !authority_->Verify(*short_lived).ok()) ++failures;
        if (authority_->Verify(shared.token + "x").ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace stdb::auth
