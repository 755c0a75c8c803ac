// Index keys: reading, comparing and hashing the key columns of BSATN rows.
//
// A key is the concatenated BSATN of an index's columns. Key types (IsKeyType) have a
// canonical BSATN form, so two keys are equal exactly when their bytes are equal, and
// hashing the bytes is consistent with equality. Ordering is by value: integers
// numerically, strings by bytes, bool false < true, enums by tag, lexicographic over
// columns (docs/module-abi.md "Keys, indexes and constraints").
//
// Thread safety: a KeySpec is immutable after construction.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "store/schema.h"

namespace stdb::store {

// Bounded: an index has at most this many columns (checked at publish).
inline constexpr size_t kIndexColumnsMax = 16;

// The column values of one key, as slices of a row or of a key's bytes.
struct KeyColumns {
  std::array<ByteView, kIndexColumnsMax> col;
  size_t n = 0;
};

// Whether two keys have the same columns, byte for byte (how hash indexes compare).
bool KeysEqual(const KeyColumns& a, const KeyColumns& b);

class KeySpec {
 public:
  // REQUIRES: every column exists, is a key type, and there are 1..kIndexColumnsMax.
  KeySpec(const TableSchema& schema, const std::vector<uint16_t>& columns);

  size_t column_count() const { return cols_.size(); }

  // Slices the key columns of a valid row.
  void SliceRow(ByteView row, KeyColumns& out) const;
  // Slices the first `n` columns of a key's bytes. False if the bytes are not exactly
  // n valid column values.
  bool SliceKey(ByteView key, size_t n, KeyColumns& out) const;
  // The bytes taken by `n` consecutive values of columns first..first+n-1 at the start
  // of `data`, or nullopt if they do not fit (values are not validated).
  std::optional<size_t> ValuesWidth(ByteView data, size_t first, size_t n) const;
  // Appends the key of a valid row.
  void AppendKey(ByteView row, Bytes& out) const;

  // Compares column `i` of two keys by value: <0, 0, >0.
  int CompareColumn(size_t i, ByteView a, ByteView b) const;
  // Compares the first `n` columns.
  int ComparePrefix(const KeyColumns& a, const KeyColumns& b, size_t n) const;

  // Hash of a key's concatenated bytes, computed from its columns.
  static uint64_t Hash(const KeyColumns& k);

 private:
  enum class Kind : uint8_t { kUnsigned, kSigned, kBool, kString, kTag };
  struct Col {
    uint16_t column;
    Kind kind;
    uint8_t width;                   // bytes of a fixed-width value; 0 for strings
    std::optional<uint32_t> offset;  // fixed offset in every row, if all earlier columns are fixed
  };
  // The width of the value at the start of `data` for column `c`, or nullopt.
  static std::optional<size_t> ValueWidth(const Col& c, ByteView data);

  const sats::AlgebraicType* row_type_;
  std::vector<Col> cols_;
};

// The width of every value of `type` if it is fixed (scalars, special scalars, enums
// without payloads, products of those), else nullopt.
std::optional<size_t> FixedWidth(const sats::AlgebraicType& type);

}  // namespace stdb::store
