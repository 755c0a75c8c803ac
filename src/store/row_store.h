// RowStore: the bytes of a table's rows, addressed by a stable RowId.
//
// Rows of a fixed-width row type (every column a fixed-width scalar) are packed into
// 64 KiB pages with no per-row header, so a (u64, i32, i32) row costs 16 bytes plus a
// liveness bit. Other rows are one heap block each (length + bytes). A freed slot is
// reused by a later insert, but only after ReleaseFreed (the end of the transaction that
// freed it), so a scan snapshot taken inside a transaction never meets a new row under
// an old id. A RowId stays valid while its row is live.
//
// Thread safety: owned by the table's worker thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.h"

namespace stdb::store {

using RowId = uint64_t;

class RowStore {
 public:
  // `fixed_width`: the width of every row if the row type is fixed-width.
  explicit RowStore(std::optional<size_t> fixed_width);
  RowStore(const RowStore&) = delete;
  RowStore& operator=(const RowStore&) = delete;

  size_t live() const { return live_; }
  // One past the highest slot ever used.
  size_t capacity() const { return slots_; }
  bool IsLive(RowId id) const { return id < slots_ && (live_bits_[id >> 6] >> (id & 63) & 1) != 0; }
  ByteView Get(RowId id) const;

  // Stores `row` in a free slot (or a new one) and returns it.
  RowId Add(ByteView row);
  // Stores `row` in slot `id`, which must be free (undo of a removal).
  void AddAt(RowId id, ByteView row);
  // Frees slot `id`; it is reused only after ReleaseFreed. REQUIRES: IsLive(id).
  void Remove(RowId id);
  // Makes the slots freed since the last call available for reuse.
  void ReleaseFreed();

  // Bytes held for rows (pages and blocks), for memory accounting.
  size_t BytesUsed() const;

 private:
  static constexpr size_t kPageBytes = 64 << 10;
  RowId NewSlot();
  void SetLive(RowId id, bool live);
  uint8_t* FixedSlot(RowId id) const {
    return pages_[id / rows_per_page_].get() + (id % rows_per_page_) * fixed_width_;
  }

  size_t fixed_width_ = 0;  // 0: variable-width rows
  size_t rows_per_page_ = 0;
  std::vector<std::unique_ptr<uint8_t[]>> pages_;   // fixed-width rows
  std::vector<std::unique_ptr<uint8_t[]>> blocks_;  // variable rows: u32 length + bytes
  std::vector<uint64_t> live_bits_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> freed_;  // freed in the current transaction; not reused yet
  size_t slots_ = 0;
  size_t live_ = 0;
  size_t block_bytes_ = 0;
};

}  // namespace stdb::store
