// UTF-8 validation against an independent reference decoder.
#include "base/utf8.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>

namespace stdb {
namespace {

// Reference: decodes each sequence arithmetically and checks its code point's range,
// minimal length and that it is not a surrogate.
bool ReferenceValid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3F);
    }
    const uint32_t min = len == 1 ? 0 : len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// Every string of one, two or three bytes is judged as the reference judges it.
TEST(Utf8, AgreesWithReferenceOnEveryShortString) {
  std::string s;
  for (uint32_t n = 0; n < (1u << 24); ++n) {
    s.assign({static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)});
    ASSERT_EQ(IsValidUtf8(s), ReferenceValid(s)) << std::hex << n;
    if ((n & 0xFFFF) == 0) {
      const std::string_view one(s.data() + 2, 1);
      ASSERT_EQ(IsValidUtf8(one), ReferenceValid(one));
    }
    if ((n & 0xFF) == 0) {
      const std::string_view two(s.data() + 1, 2);
      ASSERT_EQ(IsValidUtf8(two), ReferenceValid(two));
    }
  }
}

// Longer random strings, biased to lead and continuation bytes, agree with the reference.
RC_GTEST_PROP(Utf8, AgreesWithReferenceOnRandomStrings, ()) {
  const auto bytes = *rc::gen::container<std::vector<uint8_t>>(
      rc::gen::oneOf(rc::gen::inRange<uint8_t>(0x80, 0xC0), rc::gen::inRange<uint8_t>(0xC0, 0xFF),
                     rc::gen::inRange<uint8_t>(0xF0, 0xF5), rc::gen::arbitrary<uint8_t>()));
  const std::string s(bytes.begin(), bytes.end());
  RC_ASSERT(IsValidUtf8(s) == ReferenceValid(s));
}

// The boundary cases named by the standard: overlongs, surrogates, beyond U+10FFFF.
TEST(Utf8, RejectsOverlongsSurrogatesAndBeyondUnicode) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(IsValidUtf8(std::string_view("\0", 1)));
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\x80"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\x80"));  // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x98\x80\xF0"));
}

}  // namespace
}  // namespace stdb
