// Table: the rows of one relation in memory.
//
// Rows are stored as their BSATN bytes: that is the form reducers hand us, the form
// subscribers receive and the form the commit log writes, so a row is encoded once and
// never converted on the hot path.
//
// Thread safety: a Table is owned by its database's worker thread; nothing else touches it.
//
// Invariants:
//   - every live row is a valid BSATN value of schema().row_type;
//   - no two live rows are byte-equal (tables are sets, as in SpacetimeDB);
//   - with a primary key, no two live rows have byte-equal key columns;
//   - row_index_ and pk_index_ map exactly the live rows; their string_view keys point
//     into the row's own heap buffer, which does not move while the row is live.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "store/index_range.h"
#include "store/schema.h"

namespace stdb::store {

using RowId = uint64_t;

class Table {
 public:
  explicit Table(TableSchema schema);
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const TableSchema& schema() const { return schema_; }
  size_t size() const { return live_count_; }

  struct InsertOutcome {
    RowId id;
    bool inserted;  // false: a byte-equal row already existed (no change)
  };
  // Inserts `row`. Auto-increment columns that are 0 get their sequence's next value
  // first (docs/module-abi.md "Sequences"); Get(id) returns the stored bytes. Fails with
  // kDecode if it is not a valid row of the schema and with kUniqueViolation if another
  // row has the same key in a unique index (the message names the table and the index);
  // the table is unchanged on failure (a sequence value may have been used up).
  Result<InsertOutcome> Insert(Bytes row);

  // Puts `row` back into slot `id`, which must be free. Used to undo a delete exactly.
  // REQUIRES: the row was previously live at `id` and no conflicting row is live.
  void Restore(RowId id, Bytes row);

  // Removes the live row `id` and returns its bytes. REQUIRES: IsLive(id).
  Bytes Remove(RowId id);

  bool IsLive(RowId id) const { return id < slots_.size() && slots_[id].live; }
  // The bytes of live row `id`. REQUIRES: IsLive(id). Valid until the row is removed.
  ByteView Get(RowId id) const;

  // The live row whose primary key column equals `key` (BSATN of that column).
  std::optional<RowId> FindByPrimaryKey(ByteView key) const;
  // The live row byte-equal to `row`.
  std::optional<RowId> FindRow(ByteView row) const;

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

  // Calls f(RowId, ByteView) for every live row, in slot order.
  template <typename F>
  void ForEach(F&& f) const {
    for (RowId id = 0; id < slots_.size(); ++id) {
      if (slots_[id].live) f(id, ByteView(slots_[id].row));
    }
  }
  // Ids of all live rows, in slot order (a snapshot for scans that may mutate).
  std::vector<RowId> LiveIds() const;

  // The primary key bytes of a valid row. REQUIRES: schema has a primary key.
  ByteView PrimaryKeyOf(ByteView row) const;

 private:
  struct Slot {
    Bytes row;
    bool live = false;
  };
  static std::string_view Key(ByteView b) { return AsStringView(b); }
  void Index(RowId id);

  TableSchema schema_;
  std::vector<Slot> slots_;
  std::vector<RowId> free_;
  size_t live_count_ = 0;
  boost::unordered_flat_map<std::string_view, RowId> row_index_;
  boost::unordered_flat_map<std::string_view, RowId> pk_index_;
};

}  // namespace stdb::store
