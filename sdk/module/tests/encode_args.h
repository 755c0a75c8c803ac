// Encodes reducer arguments with the SDK, for tests that call reducers by hand.
#pragma once

#include <cstdint>
#include <vector>

#include "stdb/bsatn.h"

namespace stdb_test {

// The BSATN product of `values`: their encodings back to back, as the host passes them.
template <typename... T>
std::vector<uint8_t> EncodeArgs(const T&... values) {
  std::vector<uint8_t> out;
  stdb::bsatn::Writer w(out);
  (stdb::bsatn::Traits<T>::Encode(w, values), ...);
  return out;
}

}  // namespace stdb_test
