// The tables of FakeHost (harness.h) and the index, constraint and sequence logic of the
// fake, kept apart from the ABI plumbing in harness.cc. Internal to the harness: it uses
// the server's SATS types, so SDK test files must not include it.
//
// The fake follows docs/module-abi.md with the simplest data structures that do: rows in
// a vector, every lookup a linear pass, btree order by sorting the matches on their
// decoded key values (sats::Compare). It is a reference to test the SDK against, not a
// model of the store's performance.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "harness.h"
#include "sats/types.h"
#include "sats/value.h"

namespace stdb_test::fake {

struct Index {
  std::string name;
  uint8_t algorithm = 0;  // 0 btree, 1 hash
  std::vector<uint16_t> columns;
  bool unique = false;
};

struct Table {
  std::string name;
  stdb::sats::AlgebraicType row_type;
  std::optional<uint16_t> pk;
  std::vector<Bytes> rows;
  std::vector<Index> indexes;        // index id == position
  std::vector<uint16_t> sequences;   // auto-increment columns
  std::vector<uint64_t> next_value;  // per sequence; starts at 1
};

// A table with the indexes of `schema`, numbered as docs/module-abi.md "Index ids" says.
Table MakeTable(const TableSchema& schema, stdb::sats::AlgebraicType row_type);

// The key of `row` in `index`: its columns' BSATN, concatenated.
Bytes KeyOf(const Table& t, const Index& index, stdb::ByteView row);

// A decoded StdbIndexRange.
struct Bound {
  uint8_t tag = 2;  // 0 included, 1 excluded, 2 unbounded
  stdb::sats::AlgebraicValue value;
};
struct Range {
  uint16_t prefix_len = 0;
  Bytes prefix;
  Bound lower;
  Bound upper;
};

// Decodes range bytes against `index`; kDecode if they do not decode exactly,
// kInvalidArgument for a non-equality range on a hash index.
stdb::Result<Range> DecodeRange(const Table& t, const Index& index, stdb::ByteView bytes);

// Positions in t.rows of the rows in `range`, in key order for a btree index.
std::vector<size_t> Matching(const Table& t, const Index& index, const Range& range);

// Fills the sequence columns of `row` that are 0 with their next values.
void ApplySequences(Table& t, Bytes& row);

// The name of a unique index in which `row` has the key of a row other than `except`,
// if any.
std::optional<std::string> UniqueConflict(const Table& t, stdb::ByteView row,
                                          std::optional<size_t> except);

}  // namespace stdb_test::fake
