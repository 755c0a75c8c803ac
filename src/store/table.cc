#include "store/table.h"

#include <algorithm>

#include "sats/bsatn.h"

namespace stdb::store {

std::optional<size_t> TableSchema::FindColumn(std::string_view name) const {
  for (size_t i = 0; i < column_count(); ++i) {
    if (column_name(i) == name) return i;
  }
  return std::nullopt;
}

Table::Table(TableSchema schema) : schema_(std::move(schema)) {
  STDB_ASSERT(schema_.row_type.is_product());
  STDB_ASSERT(!schema_.primary_key || *schema_.primary_key < schema_.column_count());
}

ByteView Table::PrimaryKeyOf(ByteView row) const {
  STDB_ASSERT(schema_.primary_key.has_value());
  auto slice = sats::ColumnSlice(schema_.row_type, row, *schema_.primary_key);
  STDB_ASSERT_MSG(slice.ok(), "primary key of an invalid row");
  return *slice;
}

Result<Table::InsertOutcome> Table::Insert(Bytes row) {
  if (Status s = sats::ValidateBsatn(schema_.row_type, row); !s.ok()) {
    return DecodeError("invalid row for table '" + schema_.name + "': " + s.message());
  }
  if (auto existing = FindRow(row)) return InsertOutcome{*existing, false};
  if (schema_.primary_key) {
    if (pk_index_.contains(Key(PrimaryKeyOf(row)))) {
      return Status(ErrorCode::kUniqueViolation,
                    "duplicate primary key in table '" + schema_.name + "' (column '" +
                        schema_.column_name(*schema_.primary_key) + "')");
    }
  }
  RowId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = slots_.size();
    slots_.emplace_back();
  }
  slots_[id].row = std::move(row);
  slots_[id].live = true;
  Index(id);
  return InsertOutcome{id, true};
}

void Table::Index(RowId id) {
  const ByteView row(slots_[id].row);
  const bool fresh = row_index_.emplace(Key(row), id).second;
  STDB_ASSERT(fresh);
  if (schema_.primary_key) {
    const bool pk_fresh = pk_index_.emplace(Key(PrimaryKeyOf(row)), id).second;
    STDB_ASSERT(pk_fresh);
  }
  ++live_count_;
}

void Table::Restore(RowId id, Bytes row) {
  STDB_ASSERT(id < slots_.size() && !slots_[id].live);
  // The slot is on the free list (it was freed by the Remove being undone, and undo
  // runs in reverse order, so nothing after it still holds the slot).
  // Search from the back: the slot was freed recently, so it is near the end.
  auto it = std::find(free_.rbegin(), free_.rend(), id);
  STDB_ASSERT(it != free_.rend());
  free_.erase(std::next(it).base());
  slots_[id].row = std::move(row);
  slots_[id].live = true;
  Index(id);
}

Bytes Table::Remove(RowId id) {
  STDB_ASSERT(IsLive(id));
  Slot& slot = slots_[id];
  const ByteView row(slot.row);
  if (schema_.primary_key) pk_index_.erase(Key(PrimaryKeyOf(row)));
  row_index_.erase(Key(row));
  slot.live = false;
  --live_count_;
  free_.push_back(id);
  return std::move(slot.row);
}

ByteView Table::Get(RowId id) const {
  STDB_ASSERT(IsLive(id));
  return slots_[id].row;
}

std::optional<RowId> Table::FindByPrimaryKey(ByteView key) const {
  auto it = pk_index_.find(Key(key));
  if (it == pk_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<RowId> Table::FindRow(ByteView row) const {
  auto it = row_index_.find(Key(row));
  if (it == row_index_.end()) return std::nullopt;
  return it->second;
}

std::vector<RowId> Table::LiveIds() const {
  std::vector<RowId> ids;
  ids.reserve(live_count_);
  ForEach([&](RowId id, ByteView) { ids.push_back(id); });
  return ids;
}

}  // namespace stdb::store
