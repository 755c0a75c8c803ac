// Scheduler: when each row of a database's schedule tables is due
// (docs/module-abi.md "Schedule tables").
//
// It only keeps time; the database's worker runs the reducers. Due times come from the
// rows' ScheduleAt column: Time(t) is due at t; Interval(d) is due d after the row was
// inserted and then every d. Entries follow committed changes (OnCommit), so a deleted
// row is never fired and an updated row is rescheduled from its new value.
//
// Bounded: one entry per row of the schedule tables, plus superseded heap entries, which
// are compacted away when they outnumber the live ones.
//
// Thread safety: owned by the database's worker thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "store/tx.h"

namespace stdb::db {

// a + b, clamped to the int64 range (a due time past the end of time never comes).
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? INT64_MAX : INT64_MIN;
}

class Scheduler {
 public:
  struct Due {
    store::TableId table = 0;
    Bytes key;                    // primary key (BSATN) of the row
    int64_t at_micros = 0;        // when it was due
    int64_t interval_micros = 0;  // > 0 for Interval rows
  };

  // Forgets everything and schedules every row of the store's schedule tables.
  void Reset(const store::Store& store, int64_t now_micros);
  // Follows a committed transaction's changes to schedule tables.
  void OnCommit(const store::Store& store, const store::TxDelta& delta, int64_t now_micros);
  // The earliest due time, if anything is scheduled.
  std::optional<int64_t> NextDue();
  // Removes and returns one entry due at or before `now_micros`.
  std::optional<Due> PopDue(int64_t now_micros);
  // Schedules the row `key` of `table` (again) at `at_micros`.
  void Schedule(store::TableId table, const Bytes& key, int64_t at_micros, int64_t interval_micros);
  bool Contains(store::TableId table, const Bytes& key) const {
    return entries_.contains({table, key});
  }
  size_t size() const { return entries_.size(); }

  // The due time and interval a row's ScheduleAt value asks for, inserted at `now`;
  // nullopt for an Interval that is not positive (never fires).
  static std::optional<std::pair<int64_t, int64_t>> DueOf(const store::TableSchema& schema,
                                                          ByteView row, int64_t now_micros);

 private:
  using Key = std::pair<store::TableId, Bytes>;
  struct Entry {
    int64_t at = 0;
    int64_t interval = 0;
    uint64_t generation = 0;
  };
  struct HeapItem {
    int64_t at;
    uint64_t generation;
    Key key;
    bool operator>(const HeapItem& o) const {
      return at != o.at ? at > o.at : generation > o.generation;
    }
  };
  void AddRow(const store::TableSchema& schema, ByteView row, int64_t now_micros);
  bool IsCurrent(const HeapItem& item) const;
  void DropStale();
  void Compact();

  std::map<Key, Entry> entries_;
  std::priority_queue<HeapItem, std::vector<HeapItem>, std::greater<>> heap_;
  uint64_t generation_ = 0;
};

}  // namespace stdb::db
