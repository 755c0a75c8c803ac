// Shared helpers for the fuzz targets. FUZZ_CHECK is always on (it is STDB_ASSERT): a
// failed check aborts, which libFuzzer reports as a crash and run_corpus as a failure.
#pragma once

#include <string>
#include <vector>

#include "base/assert.h"
#include "sats/types.h"

#define FUZZ_CHECK(cond) STDB_ASSERT(cond)
#define FUZZ_CHECK_MSG(cond, msg) STDB_ASSERT_MSG(cond, msg)

namespace stdb::fuzz {

// True if ValueToJson's keys identify every sum variant uniquely, so ValueFromJson must
// give back the same value: within each sum, names are distinct and no name equals the
// decimal index of an unnamed variant (the key ValueToJson writes for it). Types that
// break this are legal SATS but have no unambiguous JSON form (docs/json.md).
inline bool JsonUnambiguous(const sats::AlgebraicType& type) {
  if (type.kind() == sats::TypeKind::kArray) return JsonUnambiguous(type.array_element());
  const auto& els = type.elements();
  if (type.is_sum()) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < els.size(); ++i) {
      keys.push_back(els[i].name ? *els[i].name : std::to_string(i));
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      for (size_t k = i + 1; k < keys.size(); ++k) {
        if (keys[i] == keys[k]) return false;
      }
    }
  }
  for (const auto& el : els) {
    if (!JsonUnambiguous(el.type)) return false;
  }
  return true;
}

}  // namespace stdb::fuzz
