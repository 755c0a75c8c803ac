// IndexRange: which keys of an index a lookup, scan or delete covers. The byte form is
// the StdbIndexRange of docs/module-abi.md ("Index ranges"), shared with modules.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"
#include "store/schema.h"

namespace stdb::store {

struct KeyBound {
  enum class Kind : uint8_t { kIncluded = 0, kExcluded = 1, kUnbounded = 2 };
  Kind kind = Kind::kUnbounded;
  Bytes value;  // BSATN of one column value; empty when unbounded

  static KeyBound Included(Bytes v) { return {Kind::kIncluded, std::move(v)}; }
  static KeyBound Excluded(Bytes v) { return {Kind::kExcluded, std::move(v)}; }
  static KeyBound Unbounded() { return {}; }
  bool unbounded() const { return kind == Kind::kUnbounded; }
};

// Keys whose first `prefix_len` columns equal `prefix` and whose next column lies
// between `lower` and `upper`. With prefix_len == the index's column count both bounds
// are unbounded: an equality lookup of a whole key.
struct IndexRange {
  uint16_t prefix_len = 0;
  Bytes prefix;  // concatenated BSATN of the first prefix_len index columns
  KeyBound lower;
  KeyBound upper;

  // Every row (an unbounded scan of the index).
  static IndexRange All() { return {}; }
  // Rows whose first `columns` index columns equal `key` (their concatenated BSATN).
  static IndexRange Prefix(Bytes key, uint16_t columns) {
    IndexRange r;
    r.prefix_len = columns;
    r.prefix = std::move(key);
    return r;
  }
};

// Decodes and validates a range against index `index` of `schema`: the prefix and bound
// values must be valid BSATN of the index column types; kDecode otherwise. The message
// names the table and the index.
Result<IndexRange> DecodeIndexRange(const TableSchema& schema, IndexId index, ByteView bytes);
Bytes EncodeIndexRange(const IndexRange& range);

// Checks that `key` is exactly one valid value per column of index `index` (kDecode
// naming the index and table otherwise; kInvalidArgument for an unknown index).
Status ValidateKey(const TableSchema& schema, IndexId index, ByteView key);

}  // namespace stdb::store
