// The storage benchmark's workload (issue 3, "Numbers to report"): a table of
// (id u64 primary key, x i32, y i32) with a btree index on (x, y), plus variants that
// put the numbers in context. Rows are a pure function of their ordinal, so any row
// can be rebuilt (to reinsert it after a delete) without keeping a copy.
//
// Keys are pseudo-random from a fixed seed: ids are a bijective mix of the ordinal
// (distinct, scattered over all of u64, as client-chosen or hashed ids would be); x
// takes kXValues values (about ten rows share each x, like entities in map cells); y
// is spread over all of i32.
//
// Thread safety: everything here is used from the benchmark's single thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "base/bytes.h"
#include "store/tx.h"

namespace stdb::bench {

// The table size the issue asks about.
inline constexpr size_t kRows = 1'000'000;
// Distinct x values: with kRows rows about ten rows share an x.
inline constexpr uint32_t kXValues = 100'000;

enum class Variant : uint8_t {
  kXY,        // the table: primary key (hash) + btree (x, y)
  kNoIndex,   // primary key only: what the (x, y) btree costs
  kHashX,     // kXY plus a non-unique hash index on x: lookups "by hash index"
  kWithName,  // kXY plus a string column `name`: a variable-width row
};

const char* VariantName(Variant v);

// The i-th row's column values.
struct RowSpec {
  uint64_t id;
  int32_t x;
  int32_t y;
};
RowSpec RowAt(uint64_t i);

// BSATN of the i-th row of `v`'s table.
Bytes EncodeRow(Variant v, uint64_t i);
// Appends the same bytes to `out` (cleared first), reusing its capacity.
void EncodeRowInto(Variant v, uint64_t i, Bytes& out);

// The normalised schema of `v`'s table (table id 0); the primary key is backed by an
// implicit unique hash index as in a published module.
store::TableSchema MakeSchema(Variant v);

// Index ids of a variant's table.
struct IndexIds {
  store::IndexId pk;
  store::IndexId xy;
  std::optional<store::IndexId> hash_x;
};
IndexIds IndexesOf(const store::TableSchema& schema);

// A store holding one table of variant `v`, empty.
std::unique_ptr<store::Store> MakeStore(Variant v);

// Inserts rows [begin, end) into table 0 of `s`. rows_per_tx == 0 calls Table::Insert
// directly (no transaction, no delta); otherwise each store::Transaction inserts up to
// rows_per_tx rows and commits. Crashes on any failure: the workload has no duplicates.
void Load(store::Store& s, Variant v, uint64_t begin, uint64_t end, size_t rows_per_tx);

// Key bytes for lookups.
Bytes U64Key(uint64_t v);
Bytes I32Key(int32_t v);
Bytes XYKey(int32_t x, int32_t y);

// The process's resident set size in bytes (/proc/self/statm).
size_t ResidentBytes();
// Returns freed heap pages to the kernel so that RSS growth measured afterwards is not
// hidden by memory freed earlier in the process (glibc malloc_trim).
void TrimHeap();

// A fixed-seed permutation of [0, n), for visiting rows in random order.
std::vector<uint32_t> ShuffledOrdinals(size_t n, uint64_t seed);

}  // namespace stdb::bench
