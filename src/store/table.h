// Table: the rows of one relation in memory, with its indexes and sequences.
//
// Rows are stored as their BSATN bytes (RowStore): that is the form reducers hand us,
// subscribers receive and the commit log writes, so a row is encoded once and never
// converted on the hot path. Indexes hold RowIds and read keys from the rows.
//
// Thread safety: a Table is owned by its database's worker thread; nothing else touches it.
//
// Invariants:
//   - every live row is a valid BSATN value of schema().row_type;
//   - no two live rows are byte-equal (tables are sets, as in SpacetimeDB);
//   - no two live rows have equal keys in a unique index (the primary key included);
//   - every index holds exactly the live rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "store/index.h"
#include "store/index_range.h"
#include "store/row_store.h"
#include "store/schema.h"

namespace stdb::store {

class Table {
 public:
  // Completes the schema's indexes (NormaliseIndexes with no extra constraints) if the
  // primary key is not backed by one yet. REQUIRES: a valid schema (module validation).
  explicit Table(TableSchema schema);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const TableSchema& schema() const { return schema_; }
  size_t size() const { return rows_.live(); }
  // Bytes held by rows and indexes (for memory accounting and benchmarks).
  size_t BytesUsed() const;

  struct InsertOutcome {
    RowId id;
    bool inserted;  // false: a byte-equal row already existed (no change)
  };
  // Inserts `row`. Auto-increment columns that are 0 get their sequence's next value
  // first (docs/module-abi.md "Sequences"); Get(id) returns the stored bytes. Fails with
  // kDecode if it is not a valid row of the schema and with kUniqueViolation if another
  // row has the same key in a unique index (the message names the table and the index);
  // the table is unchanged on failure (a sequence value may have been used up).
  // `apply_sequences` = false stores the row as given (updates).
  Result<InsertOutcome> Insert(Bytes row, bool apply_sequences = true);

  struct Replacement {
    RowId id;       // the new row's
    Bytes removed;  // the old row's bytes
  };
  // Replaces live row `old_id` by `row` (an update): the new row gets a new id, and
  // indexes whose key the update leaves alone move their entry to it in place. Fails
  // with kUniqueViolation, changing nothing, if another row holds the new key of a
  // unique index. The old id is not reused before ReleaseFreedIds. REQUIRES: the table
  // has a unique index; `row` is a valid row of the schema, not byte-equal to the old one.
  Result<Replacement> Replace(RowId old_id, ByteView row);

  // Puts `row` back into slot `id`, which must be free. Used to undo a delete exactly.
  // REQUIRES: the row was previously live at `id` and no conflicting row is live.
  void Restore(RowId id, Bytes row);

  // Removes the live row `id` and returns its bytes. Its id is not given to another row
  // before ReleaseFreedIds. REQUIRES: IsLive(id).
  Bytes Remove(RowId id);
  // Lets later inserts reuse the ids of rows removed so far (the end of a transaction).
  void ReleaseFreedIds() { rows_.ReleaseFreed(); }

  bool IsLive(RowId id) const { return rows_.IsLive(id); }
  // The bytes of live row `id`. REQUIRES: IsLive(id). Valid until the row is removed.
  ByteView Get(RowId id) const;

  // The live row whose primary key column equals `key` (BSATN of that column).
  std::optional<RowId> FindByPrimaryKey(ByteView key) const;
  // The live row byte-equal to `row`; none if `row` is not a valid row.
  std::optional<RowId> FindRow(ByteView row) const;
  // The same for a row already known to be valid (skips validation).
  std::optional<RowId> FindValidRow(ByteView row) const;

  // ---- Indexes (schema().indexes; an IndexId is a position there).
  size_t index_count() const { return schema_.indexes.size(); }
  // The key of `row` in index `index`: the concatenated BSATN of its columns.
  Bytes KeyOf(IndexId index, ByteView row) const;
  // The live row whose key in unique index `index` equals `key`.
  // REQUIRES: schema().indexes[index].unique.
  std::optional<RowId> FindUnique(IndexId index, ByteView key) const;
  // The live rows in `range` of index `index`, in index order (btree) or any order
  // (hash). kInvalidArgument for a non-equality range on a hash index. The range must
  // be valid for the index (DecodeIndexRange checks bytes from outside).
  Result<std::vector<RowId>> ScanIndex(IndexId index, const IndexRange& range) const;

  // ---- Sequences: the next value each auto-increment column will get.
  // REQUIRES: column is in schema().sequences.
  uint64_t NextSequenceValue(uint16_t column) const;
  // Sets the next value of the sequence of `column` (recovery restores the position the
  // log or a snapshot recorded; 0 = exhausted). kInvalidArgument if `column` has none.
  Status SetNextSequenceValue(uint16_t column, uint64_t next);
  // Moves every sequence past the largest value in its column and, for columns that are
  // sequences in `previous` too, past the value `previous` reached (a module update
  // copies rows into a new table; values are never reused).
  void ContinueSequencesAfter(const Table& previous);

  // Calls f(RowId, ByteView) for every live row, in slot order.
  template <typename F>
  void ForEach(F&& f) const {
    const size_t n = rows_.capacity();
    for (RowId id = 0; id < n; ++id) {
      if (rows_.IsLive(id)) f(id, rows_.Get(id));
    }
  }
  // Ids of all live rows, in slot order (a snapshot for scans that may mutate).
  std::vector<RowId> LiveIds() const;

  // The primary key bytes of a valid row. REQUIRES: schema has a primary key.
  ByteView PrimaryKeyOf(ByteView row) const;

 private:
  class RowSet;
  Status ApplySequences(Bytes& row);
  void IndexRow(RowId id);
  // The kUniqueViolation for a clash in unique index `ix` (names the table and columns).
  Status UniqueViolation(const Index& ix) const;

  TableSchema schema_;
  RowStore rows_;
  std::vector<std::unique_ptr<Index>> indexes_;
  // A unique index used to find byte-equal rows; without one, row_set_ does that.
  std::optional<IndexId> identity_index_;
  std::unique_ptr<RowSet> row_set_;
  std::vector<uint64_t> sequence_next_;  // parallel to schema_.sequences
};

}  // namespace stdb::store
