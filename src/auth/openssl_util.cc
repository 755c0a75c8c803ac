#include "auth/openssl_util.h"

#include <array>

namespace stdb::auth::internal {

std::string DrainOpenSslErrors() {
  // Bounded: OpenSSL keeps at most 16 errors per thread; we report the first few.
  constexpr int kReasonsMax = 4;
  std::string out;
  int reported = 0;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    if (reported++ >= kReasonsMax) continue;
    std::array<char, 256> buf{};
    ERR_error_string_n(e, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  ERR_clear_error();
  return out.empty() ? std::string("no OpenSSL error recorded") : out;
}

}  // namespace stdb::auth::internal
