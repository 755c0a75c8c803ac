#include "store/tx.h"

#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>

#include "sats/bsatn.h"

namespace stdb::store {

Store::Store(std::vector<TableSchema> schemas) {
  tables_.reserve(schemas.size());
  for (size_t i = 0; i < schemas.size(); ++i) {
    STDB_ASSERT(schemas[i].table_id == i);
    tables_.push_back(std::make_unique<Table>(std::move(schemas[i])));
  }
}

std::optional<TableId> Store::FindTable(std::string_view name) const {
  for (const auto& t : tables_) {
    if (t->schema().name == name) return t->schema().table_id;
  }
  return std::nullopt;
}

Status CopyRows(const Table& from, Table& to) {
  Status status = Status::Ok();
  from.ForEach([&](RowId, ByteView row) {
    if (!status.ok()) return;
    auto r = to.Insert(Bytes(row.begin(), row.end()), /*apply_sequences=*/false);
    if (!r.ok()) {
      status =
          InvalidArgument("incompatible module update: the rows of table '" + to.schema().name +
                          "' do not fit its new schema: " + r.status().message());
    }
  });
  STDB_RETURN_IF_ERROR(status);
  to.ContinueSequencesAfter(from);
  return Status::Ok();
}

// Tracks one table's net changes. A row deleted after being inserted in this
// transaction cancels the insert (and vice versa), so the result is the net effect.
struct Transaction::DeltaBuilder {
  // Rows in the order recorded; a cancelled one is reset. A few rows are searched by
  // scanning; past kScanMax, `at` indexes them by their bytes (views into the Bytes held
  // in `rows`, whose heap buffers never move).
  struct Rows {
    static constexpr size_t kScanMax = 16;
    std::vector<std::optional<Bytes>> rows;
    boost::unordered_flat_map<std::string_view, size_t> at;

    void Add(ByteView row) {
      rows.emplace_back(Bytes(row.begin(), row.end()));
      if (rows.size() == kScanMax + 1) {
        for (size_t i = 0; i < rows.size(); ++i) {
          if (rows[i]) at.emplace(AsStringView(*rows[i]), i);
        }
      } else if (rows.size() > kScanMax) {
        at.emplace(AsStringView(*rows.back()), rows.size() - 1);
      }
    }
    // Removes `row` if present; returns whether it was.
    bool Cancel(ByteView row) {
      if (rows.size() <= kScanMax) {
        for (auto& r : rows) {
          if (r && r->size() == row.size() && std::equal(row.begin(), row.end(), r->begin())) {
            r.reset();
            return true;
          }
        }
        return false;
      }
      auto it = at.find(AsStringView(row));
      if (it == at.end()) return false;
      rows[it->second].reset();
      at.erase(it);
      return true;
    }
    std::vector<Bytes> Take() {
      std::vector<Bytes> out;
      out.reserve(rows.size());
      for (auto& r : rows) {
        if (r) out.push_back(std::move(*r));
      }
      return out;
    }
    // Empties the rows for reuse; whether the buffers are small enough to keep.
    bool Reset() {
      rows.clear();
      at.clear();
      return rows.capacity() <= kScanMax && at.bucket_count() == 0;  // never indexed
    }
  };
  Rows inserts;
  Rows deletes;
};

namespace {

// Builders of ended transactions, for the next transaction on this thread (a database's
// worker runs one per reducer call). Bounded: at most kPooledBuildersMax are kept, and
// only small ones (a large transaction's buffers are freed with it).
constexpr size_t kPooledBuildersMax = 16;

}  // namespace

struct Transaction::BuilderPool {
  std::vector<std::unique_ptr<DeltaBuilder>> free;
  static BuilderPool& ForThisThread() {
    thread_local BuilderPool pool;
    return pool;
  }
  std::unique_ptr<DeltaBuilder> Take() {
    if (free.empty()) return std::make_unique<DeltaBuilder>();
    std::unique_ptr<DeltaBuilder> b = std::move(free.back());
    free.pop_back();
    return b;
  }
  void Give(std::unique_ptr<DeltaBuilder> b) {
    const bool small_inserts = b->inserts.Reset();
    const bool small_deletes = b->deletes.Reset();
    if (small_inserts && small_deletes && free.size() < kPooledBuildersMax) {
      free.push_back(std::move(b));
    }
  }
};

Transaction::Transaction(Store& store) : store_(store) {}

Transaction::~Transaction() {
  if (!done_) Rollback();
}

Result<Table*> Transaction::GetTable(TableId id) {
  if (id >= store_.table_count()) return NotFound("no table with id " + std::to_string(id));
  return &store_.table(id);
}

Transaction::DeltaBuilder& Transaction::DeltaFor(TableId table) {
  // Few tables per transaction: a scan, most recent first (runs of changes to one table).
  for (auto it = deltas_.rbegin(); it != deltas_.rend(); ++it) {
    if (it->first == table) return *it->second;
  }
  deltas_.emplace_back(table, BuilderPool::ForThisThread().Take());
  return *deltas_.back().second;
}

void Transaction::RecordInsert(TableId table, ByteView row) {
  DeltaBuilder& d = DeltaFor(table);
  if (!d.deletes.Cancel(row)) d.inserts.Add(row);
}

void Transaction::RecordDelete(TableId table, const Bytes& row) {
  DeltaBuilder& d = DeltaFor(table);
  if (!d.inserts.Cancel(row)) d.deletes.Add(row);
}

Result<RowId> Transaction::Insert(TableId table_id, Bytes row) {
  STDB_ASSERT(!done_);
  STDB_ASSIGN_OR_RETURN(Table * table, GetTable(table_id));
  STDB_ASSIGN_OR_RETURN(auto outcome, table->Insert(std::move(row)));
  if (outcome.inserted) {
    undo_.push_back(UndoEntry{table_id, outcome.id, std::nullopt});
    RecordInsert(table_id, table->Get(outcome.id));
  }
  return outcome.id;
}

void Transaction::RemoveAndRecord(Table& table, TableId table_id, RowId id) {
  Bytes removed = table.Remove(id);
  RecordDelete(table_id, removed);
  undo_.push_back(UndoEntry{table_id, id, std::move(removed)});
}

Result<bool> Transaction::DeleteByPrimaryKey(TableId table_id, ByteView key) {
  STDB_ASSERT(!done_);
  STDB_ASSIGN_OR_RETURN(Table * table, GetTable(table_id));
  if (!table->schema().primary_key) {
    return InvalidArgument("table '" + table->schema().name + "' has no primary key");
  }
  auto id = table->FindByPrimaryKey(key);
  if (!id) return false;
  RemoveAndRecord(*table, table_id, *id);
  return true;
}

Result<bool> Transaction::DeleteRow(TableId table_id, ByteView row) {
  STDB_ASSERT(!done_);
  STDB_ASSIGN_OR_RETURN(Table * table, GetTable(table_id));
  if (Status s = sats::ValidateBsatn(table->schema().row_type, row); !s.ok()) {
    return DecodeError("invalid row for table '" + table->schema().name + "': " + s.message());
  }
  auto id = table->FindValidRow(row);
  if (!id) return false;
  RemoveAndRecord(*table, table_id, *id);
  return true;
}

void Transaction::DeleteById(TableId table_id, RowId row) {
  STDB_ASSERT(!done_);
  RemoveAndRecord(store_.table(table_id), table_id, row);
}

Result<uint64_t> Transaction::DeleteByIndexRange(TableId table_id, IndexId index,
                                                 const IndexRange& range) {
  STDB_ASSERT(!done_);
  STDB_ASSIGN_OR_RETURN(Table * table, GetTable(table_id));
  if (index >= table->index_count()) {
    return InvalidArgument("table '" + table->schema().name + "' has no index " +
                           std::to_string(index));
  }
  STDB_ASSIGN_OR_RETURN(std::vector<RowId> ids, table->ScanIndex(index, range));
  for (RowId id : ids) RemoveAndRecord(*table, table_id, id);
  return ids.size();
}

Status Transaction::UpdateByPrimaryKey(TableId table_id, Bytes row) {
  STDB_ASSERT(!done_);
  STDB_ASSIGN_OR_RETURN(Table * table, GetTable(table_id));
  if (!table->schema().primary_key) {
    return InvalidArgument("table '" + table->schema().name + "' has no primary key to update by");
  }
  return UpdateByIndex(table_id, table->schema().primary_index(), std::move(row)).status();
}

Result<RowId> Transaction::UpdateByIndex(TableId table_id, IndexId index, Bytes row) {
  STDB_ASSERT(!done_);
  STDB_ASSIGN_OR_RETURN(Table * table, GetTable(table_id));
  const TableSchema& schema = table->schema();
  if (index >= table->index_count() || !schema.indexes[index].unique) {
    return InvalidArgument("table '" + schema.name + "' has no unique index " +
                           std::to_string(index) + " to update by");
  }
  if (Status s = sats::ValidateBsatn(schema.row_type, row); !s.ok()) {
    return DecodeError("invalid row for table '" + schema.name + "': " + s.message());
  }
  auto old_id = table->FindUnique(index, table->KeyOf(index, row));
  if (!old_id) {
    return NotFound("no row in table '" + schema.name + "' with that key in index '" +
                    schema.indexes[index].name + "' to update");
  }
  const ByteView old_row = table->Get(*old_id);
  if (old_row.size() == row.size() && std::equal(row.begin(), row.end(), old_row.begin())) {
    return *old_id;  // unchanged
  }
  // A byte-equal row elsewhere is impossible: it would hold the same unique key.
  STDB_ASSIGN_OR_RETURN(auto replaced, table->Replace(*old_id, row));
  RecordDelete(table_id, replaced.removed);
  undo_.push_back(UndoEntry{table_id, *old_id, std::move(replaced.removed)});
  undo_.push_back(UndoEntry{table_id, replaced.id, std::nullopt});
  RecordInsert(table_id, table->Get(replaced.id));
  return replaced.id;
}

TxDelta Transaction::Commit() {
  STDB_ASSERT(!done_);
  done_ = true;
  TxDelta delta;
  std::sort(deltas_.begin(), deltas_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [t, builder] : deltas_) {
    TableDelta td{t, builder->inserts.Take(), builder->deletes.Take()};
    if (!td.inserts.empty() || !td.deletes.empty()) delta.tables.push_back(std::move(td));
  }
  ReleaseFreedIds();
  return delta;
}

void Transaction::ReleaseFreedIds() {
  // Every table this transaction touched has a delta builder (each change records one).
  BuilderPool& pool = BuilderPool::ForThisThread();
  for (auto& [t, builder] : deltas_) {
    store_.table(t).ReleaseFreedIds();
    pool.Give(std::move(builder));
  }
  undo_.clear();
  deltas_.clear();
}

void Transaction::Rollback() {
  STDB_ASSERT(!done_);
  done_ = true;
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    Table& table = store_.table(it->table);
    if (it->removed) {
      table.Restore(it->row, std::move(*it->removed));
    } else {
      table.Remove(it->row);
    }
  }
  ReleaseFreedIds();
}

}  // namespace stdb::store
