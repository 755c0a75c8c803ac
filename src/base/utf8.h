// UTF-8 validation. BSATN strings and JSON text must be valid UTF-8 (as in SpacetimeDB,
// whose decoder rejects anything else), so every String value can be printed as JSON.
#pragma once

#include <string_view>

namespace stdb {

// True if `s` is well-formed UTF-8 (Unicode 15, table 3-7): no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.
bool IsValidUtf8(std::string_view s);

}  // namespace stdb
