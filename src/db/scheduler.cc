#include "db/scheduler.h"

#include <cstring>

#include "sats/bsatn.h"

namespace stdb::db {

std::optional<std::pair<int64_t, int64_t>> Scheduler::DueOf(const store::TableSchema& schema,
                                                            ByteView row, int64_t now_micros) {
  auto slice = sats::ColumnSlice(schema.row_type, row, schema.schedule->at_column);
  STDB_ASSERT_MSG(slice.ok() && slice->size() == 9, "ScheduleAt column of an invalid row");
  int64_t micros;
  std::memcpy(&micros, slice->data() + 1, 8);
  if ((*slice)[0] == 1) return std::pair<int64_t, int64_t>{micros, 0};  // Time(t)
  if (micros <= 0) return std::nullopt;                                 // Interval(d <= 0)
  return std::pair<int64_t, int64_t>{SaturatingAdd(now_micros, micros), micros};
}

void Scheduler::Reset(const store::Store& store, int64_t now_micros) {
  entries_.clear();
  heap_ = {};
  for (store::TableId t = 0; t < store.table_count(); ++t) {
    const store::Table& table = store.table(t);
    if (!table.schema().schedule) continue;
    table.ForEach([&](store::RowId, ByteView row) { AddRow(table.schema(), row, now_micros); });
  }
}

void Scheduler::AddRow(const store::TableSchema& schema, ByteView row, int64_t now_micros) {
  auto due = DueOf(schema, row, now_micros);
  auto pk = sats::ColumnSlice(schema.row_type, row, *schema.primary_key);
  STDB_ASSERT(pk.ok());
  const Bytes key(pk->begin(), pk->end());
  if (!due) {
    entries_.erase({schema.table_id, key});
    return;
  }
  Schedule(schema.table_id, key, due->first, due->second);
}

void Scheduler::OnCommit(const store::Store& store, const store::TxDelta& delta,
                         int64_t now_micros) {
  for (const store::TableDelta& td : delta.tables) {
    const store::TableSchema& schema = store.table(td.table_id).schema();
    if (!schema.schedule) continue;
    for (const Bytes& row : td.deletes) {
      auto pk = sats::ColumnSlice(schema.row_type, row, *schema.primary_key);
      STDB_ASSERT(pk.ok());
      entries_.erase({td.table_id, Bytes(pk->begin(), pk->end())});
    }
    for (const Bytes& row : td.inserts) AddRow(schema, row, now_micros);
  }
  if (heap_.size() > 64 && heap_.size() > 2 * entries_.size()) Compact();
}

void Scheduler::Schedule(store::TableId table, const Bytes& key, int64_t at_micros,
                         int64_t interval_micros) {
  const uint64_t gen = ++generation_;
  entries_[{table, key}] = Entry{at_micros, interval_micros, gen};
  heap_.push(HeapItem{at_micros, gen, {table, key}});
}

bool Scheduler::IsCurrent(const HeapItem& item) const {
  auto it = entries_.find(item.key);
  return it != entries_.end() && it->second.generation == item.generation;
}

void Scheduler::DropStale() {
  while (!heap_.empty() && !IsCurrent(heap_.top())) heap_.pop();
}

std::optional<int64_t> Scheduler::NextDue() {
  DropStale();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().at;
}

std::optional<Scheduler::Due> Scheduler::PopDue(int64_t now_micros) {
  DropStale();
  if (heap_.empty() || heap_.top().at > now_micros) return std::nullopt;
  HeapItem item = heap_.top();
  heap_.pop();
  auto it = entries_.find(item.key);
  Due due{item.key.first, std::move(item.key.second), item.at, it->second.interval};
  entries_.erase(it);
  return due;
}

void Scheduler::Compact() {
  std::vector<HeapItem> live;
  live.reserve(entries_.size());
  for (const auto& [key, e] : entries_) live.push_back(HeapItem{e.at, e.generation, key});
  heap_ = decltype(heap_)(std::greater<>(), std::move(live));
}

}  // namespace stdb::db
