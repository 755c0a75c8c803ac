// Fuzz target for token verification: any text presented as a bearer token must be
// rejected with kUnauthenticated (it is not signed by our key), never crash or throw.
#include <cstdint>
#include <string_view>

#include "auth/signing_key.h"
#include "auth/token.h"
#include "base/clock.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static stdb::ManualClock clock(1'700'000'000'000'000);
  static const auto authority = [] {
    auto key = stdb::auth::SigningKey::Generate();
    FUZZ_CHECK(key.ok());
    auto a = stdb::auth::TokenAuthority::FromKey(std::move(key).value(), clock);
    FUZZ_CHECK(a.ok());
    return std::move(a).value();
  }();
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  auto claims = authority->Verify(token);
  // A random input cannot carry a valid ES256 signature from a key generated just now.
  FUZZ_CHECK(!claims.ok());
  FUZZ_CHECK(claims.status().code() == stdb::ErrorCode::kUnauthenticated);
  return 0;
}
