// RapidCheck properties of TokenAuthority::Verify: whatever the input, it returns a
// kUnauthenticated rejection (never a crash, never an exception, never an acceptance)
// unless the input is exactly a token we issued.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "auth/auth_test_util.h"
#include "auth/token.h"

namespace stdb::auth {
namespace {

constexpr std::string_view kTokenAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

std::unique_ptr<TokenAuthority> NewAuthority(const Clock& clock) {
  auto key = SigningKey::Generate();
  STDB_ASSERT(key.ok());
  auto authority = TokenAuthority::FromKey(std::move(key).value(), clock);
  STDB_ASSERT(authority.ok());
  return std::move(authority).value();
}

// Asserts (inside a RapidCheck property) that `text` is rejected as unauthenticated.
void AssertRejected(const TokenAuthority& authority, std::string_view text) {
  const auto result = authority.Verify(text);
  RC_ASSERT(!result.ok());
  RC_ASSERT(result.status().code() == ErrorCode::kUnauthenticated);
}

// One edit of a token: replace, insert or delete a character, or cut the text short.
struct Mutation {
  enum Kind { kReplace, kInsert, kDelete, kTruncate } kind;
  size_t position;  // reduced modulo the current length when applied
  char c;
};

std::string Apply(std::string text, const Mutation& m) {
  if (text.empty()) return text;
  const size_t at = m.position % text.size();
  switch (m.kind) {
    case Mutation::kReplace:
      text[at] = m.c;
      break;
    case Mutation::kInsert:
      text.insert(text.begin() + static_cast<long>(at), m.c);
      break;
    case Mutation::kDelete:
      text.erase(at, 1);
      break;
    case Mutation::kTruncate:
      text.resize(at);
      break;
  }
  return text;
}

rc::Gen<Mutation> GenMutation() {
  return rc::gen::apply(
      [](int kind, size_t position, char c) {
        return Mutation{static_cast<Mutation::Kind>(kind), position, c};
      },
      rc::gen::inRange(0, 4), rc::gen::inRange<size_t>(0, size_t{1} << 20),
      rc::gen::oneOf(rc::gen::elementOf(std::string(kTokenAlphabet)), rc::gen::arbitrary<char>()));
}

TEST(TokenProperty, VerifyRejectsArbitraryStrings) {
  // Proves random bytes, and random text over the token alphabet, are never accepted.
  ManualClock clock(1'700'000'000'000'000);
  const auto authority = NewAuthority(clock);
  EXPECT_TRUE(rc::check("random bytes are rejected",
                        [&](const std::string& text) { AssertRejected(*authority, text); }));
  EXPECT_TRUE(rc::check("random token-alphabet text is rejected", [&] {
    const auto text =
        *rc::gen::container<std::string>(rc::gen::elementOf(std::string(kTokenAlphabet)));
    AssertRejected(*authority, text);
  }));
}

TEST(TokenProperty, VerifyRejectsWellFormedTokensWithRandomContent) {
  // Proves texts that pass the structural checks (right header, base64url parts, 64-byte
  // signature) but carry random payloads and signatures are still rejected.
  ManualClock clock(1'700'000'000'000'000);
  const auto authority = NewAuthority(clock);
  const std::string header =
      Base64UrlEncode(AsBytes(std::string_view(R"({"alg":"ES256","typ":"JWT"})")));
  EXPECT_TRUE(rc::check("random signed-looking tokens are rejected",
                        [&](const std::string& payload, const std::vector<uint8_t>& seed) {
                          Bytes signature(kSignatureBytes);
                          for (size_t i = 0; i < signature.size() && i < seed.size(); ++i)
                            signature[i] = seed[i];
                          AssertRejected(*authority, header + "." +
                                                         Base64UrlEncode(AsBytes(payload)) + "." +
                                                         Base64UrlEncode(signature));
                        }));
}

TEST(TokenProperty, VerifyRejectsEveryMutationOfAValidToken) {
  // Proves any sequence of random edits that changes a valid token makes it invalid.
  ManualClock clock(1'700'000'000'000'000);
  const auto authority = NewAuthority(clock);
  auto minted = authority->CreateIdentity();
  ASSERT_TRUE(minted.ok());
  auto short_lived = authority->IssueShortLived(minted->claims, 3600);
  ASSERT_TRUE(short_lived.ok());
  for (const std::string& token : {minted->token, *short_lived}) {
    ASSERT_TRUE(authority->Verify(token).ok());
    EXPECT_TRUE(rc::check("mutated tokens are rejected", [&] {
      const auto mutations = *rc::gen::resize(
          8, rc::gen::nonEmpty(rc::gen::container<std::vector<Mutation>>(GenMutation())));
      std::string mutated = token;
      for (const Mutation& m : mutations) mutated = Apply(std::move(mutated), m);
      RC_PRE(mutated != token);
      // Tags which part the first edit lands in, to show every part is exercised.
      const size_t first = mutations[0].position % token.size();
      const size_t dot1 = token.find('.');
      const size_t dot2 = token.find('.', dot1 + 1);
      RC_TAG(first < dot1 ? "header" : first < dot2 ? "payload" : "signature");
      AssertRejected(*authority, mutated);
    }));
  }
}

}  // namespace
}  // namespace stdb::auth
