// Store (all tables of a database) and Transaction (a reducer's view of it).
//
// A Transaction mutates the tables in place and keeps an undo log, so reads inside the
// transaction see its own writes at no extra cost, and Rollback restores the exact prior
// state (same rows in the same slots). Commit returns the net row changes (TxDelta).
//
// Thread safety: owned by the database worker thread. One transaction at a time.
#pragma once

#include <boost/container/small_vector.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "store/table.h"

namespace stdb::store {

class Store {
 public:
  Store() = default;
  explicit Store(std::vector<TableSchema> schemas);

  size_t table_count() const { return tables_.size(); }
  Table& table(TableId id) { return *tables_.at(id); }
  const Table& table(TableId id) const { return *tables_.at(id); }
  std::optional<TableId> FindTable(std::string_view name) const;

 private:
  std::vector<std::unique_ptr<Table>> tables_;
};

// Copies every row of `from` into the empty table `to`, which has the same row type but
// possibly other indexes, constraints and sequences (a module update). Rows are stored
// as they are (sequences are not applied); each sequence of `to` continues after both
// the value `from`'s sequence reached and the largest value in the column. Fails with
// kInvalidArgument naming the table and index if the rows break a unique constraint of
// `to`; `to` is then incomplete and must be discarded.
Status CopyRows(const Table& from, Table& to);

// The net changes of one table in one transaction: rows that are present after it and
// were not before (inserts), and rows that were present before and are not after
// (deletes). A row inserted and deleted in the same transaction appears in neither.
struct TableDelta {
  TableId table_id = 0;
  std::vector<Bytes> inserts;
  std::vector<Bytes> deletes;
};

struct TxDelta {
  std::vector<TableDelta> tables;  // only tables with changes, ordered by table id
  bool empty() const { return tables.empty(); }
};

class Transaction {
 public:
  explicit Transaction(Store& store);
  ~Transaction();  // rolls back if neither Commit nor Rollback was called
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Store& store() { return store_; }

  // Inserts `row` into `table`; a byte-equal existing row makes this a no-op. Returns
  // the stored row's id. Errors (bad row, unique violation, unknown table) leave the
  // transaction as it was.
  Result<RowId> Insert(TableId table, Bytes row);
  // Deletes the row whose primary key is `key`; returns whether one was deleted.
  Result<bool> DeleteByPrimaryKey(TableId table, ByteView key);
  // Deletes the row byte-equal to `row`; returns whether one was deleted.
  Result<bool> DeleteRow(TableId table, ByteView row);
  // Replaces the row with the same primary key as `row`. kNotFound if there is none.
  Status UpdateByPrimaryKey(TableId table, Bytes row);
  // Replaces the row whose key in unique index `index` equals that of `row`; returns the
  // new row's id. kNotFound if there is none; a conflict in another unique index fails
  // with kUniqueViolation and leaves the old row in place. Sequences are not applied.
  Result<RowId> UpdateByIndex(TableId table, IndexId index, Bytes row);
  // Deletes live row `row` of `table`. REQUIRES: it is live.
  void DeleteById(TableId table, RowId row);
  // Deletes every row in `range` of index `index`; returns how many.
  Result<uint64_t> DeleteByIndexRange(TableId table, IndexId index, const IndexRange& range);

  // Ends the transaction, keeping its changes; returns them.
  TxDelta Commit();
  // Ends the transaction, undoing every change.
  void Rollback();

 private:
  struct UndoEntry {
    TableId table;
    RowId row;
    std::optional<Bytes> removed;  // set for a delete: the removed bytes to restore
  };
  struct DeltaBuilder;
  struct BuilderPool;  // recycles DeltaBuilders per thread

  Result<Table*> GetTable(TableId id);
  DeltaBuilder& DeltaFor(TableId table);
  void RecordInsert(TableId table, ByteView row);
  void RecordDelete(TableId table, const Bytes& row);
  void RemoveAndRecord(Table& table, TableId table_id, RowId id);
  // Ends the transaction's bookkeeping: ids it freed become reusable.
  void ReleaseFreedIds();

  Store& store_;
  // Most transactions change a few rows of a few tables: these start inline, and the
  // builders come from a per-thread pool, so such a transaction allocates nothing here.
  boost::container::small_vector<UndoEntry, 8> undo_;
  // The tables changed so far, in the order first changed (Commit sorts by table id).
  boost::container::small_vector<std::pair<TableId, std::unique_ptr<DeltaBuilder>>, 4> deltas_;
  bool done_ = false;
};

}  // namespace stdb::store
