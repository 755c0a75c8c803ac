#include "store/row_store.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "base/assert.h"

namespace stdb::store {

RowStore::RowStore(std::optional<size_t> fixed_width) {
  // A zero-width row (a table of unit rows) is stored as a variable row of length 0.
  if (fixed_width && *fixed_width > 0 && *fixed_width <= kPageBytes) {
    fixed_width_ = *fixed_width;
    rows_per_page_ = kPageBytes / fixed_width_;
  }
}

ByteView RowStore::Get(RowId id) const {
  STDB_ASSERT(IsLive(id));
  if (fixed_width_ != 0) return {FixedSlot(id), fixed_width_};
  const uint8_t* block = blocks_[id].get();
  uint32_t len;
  std::memcpy(&len, block, 4);
  return {block + 4, len};
}

RowId RowStore::NewSlot() {
  if (!free_.empty()) {
    const RowId id = free_.back();
    free_.pop_back();
    return id;
  }
  STDB_ASSERT_MSG(slots_ < std::numeric_limits<uint32_t>::max(), "table full (2^32 rows)");
  const RowId id = slots_++;
  if ((id >> 6) >= live_bits_.size()) live_bits_.push_back(0);
  if (fixed_width_ != 0) {
    if (id / rows_per_page_ >= pages_.size()) {
      pages_.push_back(std::make_unique_for_overwrite<uint8_t[]>(rows_per_page_ * fixed_width_));
    }
  } else {
    blocks_.emplace_back();
  }
  return id;
}

void RowStore::SetLive(RowId id, bool live) {
  const uint64_t bit = uint64_t{1} << (id & 63);
  if (live) {
    live_bits_[id >> 6] |= bit;
    ++live_;
  } else {
    live_bits_[id >> 6] &= ~bit;
    --live_;
  }
}

RowId RowStore::Add(ByteView row) {
  const RowId id = NewSlot();
  if (fixed_width_ != 0) {
    STDB_ASSERT(row.size() == fixed_width_);
    std::memcpy(FixedSlot(id), row.data(), fixed_width_);
  } else {
    auto block = std::make_unique_for_overwrite<uint8_t[]>(4 + row.size());
    const auto len = static_cast<uint32_t>(row.size());
    std::memcpy(block.get(), &len, 4);
    if (!row.empty()) std::memcpy(block.get() + 4, row.data(), row.size());
    block_bytes_ += 4 + row.size();
    blocks_[id] = std::move(block);
  }
  SetLive(id, true);
  return id;
}

void RowStore::AddAt(RowId id, ByteView row) {
  STDB_ASSERT(id < slots_ && !IsLive(id));
  // Undo runs in reverse order, so the slot was freed recently: search from the back,
  // first among the slots freed in this transaction.
  auto take = [&](std::vector<uint32_t>& list) {
    auto it = std::find(list.rbegin(), list.rend(), static_cast<uint32_t>(id));
    if (it == list.rend()) return false;
    list.erase(std::next(it).base());
    return true;
  };
  const bool found = take(freed_) || take(free_);
  STDB_ASSERT(found);
  free_.push_back(static_cast<uint32_t>(id));
  const RowId got = Add(row);
  STDB_ASSERT(got == id);
}

void RowStore::Remove(RowId id) {
  STDB_ASSERT(IsLive(id));
  SetLive(id, false);
  if (fixed_width_ == 0) {
    uint32_t len;
    std::memcpy(&len, blocks_[id].get(), 4);
    block_bytes_ -= 4 + size_t{len};
    blocks_[id].reset();
  }
  freed_.push_back(static_cast<uint32_t>(id));
}

void RowStore::ReleaseFreed() {
  free_.insert(free_.end(), freed_.begin(), freed_.end());
  freed_.clear();
}

size_t RowStore::BytesUsed() const {
  return pages_.size() * kPageBytes + block_bytes_ + blocks_.capacity() * sizeof(blocks_[0]) +
         live_bits_.capacity() * 8 + (free_.capacity() + freed_.capacity()) * 4;
}

}  // namespace stdb::store
