// Helpers shared by the src/auth tests: a temporary directory and hand-built tokens.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "auth/base64url.h"
#include "auth/identity.h"
#include "base/bytes.h"

namespace stdb::auth::testing {

// A fresh directory under the system temp dir, removed with its contents on destruction.
class ScopedTempDir {
 public:
  ScopedTempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("stdb_auth_test_" + ToHex(RandomBytes(8)))) {
    std::filesystem::create_directories(path_);
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// BASE64URL(header) "." BASE64URL(payload): the text a signature covers.
inline std::string SigningInput(std::string_view header_json, std::string_view payload_json) {
  return Base64UrlEncode(AsBytes(header_json)) + "." + Base64UrlEncode(AsBytes(payload_json));
}

// The three base64url parts of a token.
struct SplitParts {
  std::string header, payload, signature;
};
inline SplitParts Split(std::string_view token) {
  const size_t a = token.find('.');
  const size_t b = token.find('.', a + 1);
  return {std::string(token.substr(0, a)), std::string(token.substr(a + 1, b - a - 1)),
          std::string(token.substr(b + 1))};
}

// Decodes one base64url part as text; fails the test if it does not decode.
inline std::string DecodePart(std::string_view part) {
  auto bytes = Base64UrlDecode(part);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? std::string(AsStringView(*bytes)) : std::string();
}

}  // namespace stdb::auth::testing
