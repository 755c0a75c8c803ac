// Table indexes over RowIds: the key of an entry is read from the row itself, so an
// index entry costs about 4-8 bytes whatever the key's size.
//
//   - HashIndex: point lookups of a whole key; unique (a hash set of RowIds) or not
//     (a hash map from one row of each key to the others with the same key).
//   - BTreeIndex: entries ordered by (key, RowId) in sorted leaves of up to kLeafCap
//     RowIds under one sorted directory of leaves; equality, prefix and range scans.
//
// An index never owns rows: Insert is called after the row is in the RowStore and Erase
// before it leaves it.
//
// Thread safety: owned by the table's worker thread.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "base/status.h"
#include "store/index_range.h"
#include "store/key.h"
#include "store/row_store.h"

namespace stdb::store {

class Index {
 public:
  Index(const IndexSchema& schema, KeySpec spec, const RowStore& rows)
      : schema_(schema), spec_(std::move(spec)), rows_(rows) {}
  virtual ~Index() = default;
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  const IndexSchema& schema() const { return schema_; }
  const KeySpec& spec() const { return spec_; }

  // Some live row whose key equals `key` (all columns).
  virtual std::optional<RowId> FindEqual(const KeyColumns& key) const = 0;
  virtual void Insert(RowId id) = 0;
  virtual void Erase(RowId id) = 0;
  // Moves the entry of `old_id` to `new_id`, whose row has the same key in this index
  // (an update that leaves the key alone). Both rows are in the RowStore. The hash
  // indexes rewrite the entry in place (see Slot in index.cc for why); others erase and
  // insert.
  virtual void Replace(RowId old_id, RowId new_id) {
    Erase(old_id);
    Insert(new_id);
  }
  // Appends the rows in `range` (validated against this index) to `out`.
  virtual Status Scan(const IndexRange& range, std::vector<RowId>& out) const = 0;
  virtual size_t BytesUsed() const = 0;

  void SliceRow(RowId id, KeyColumns& out) const { spec_.SliceRow(rows_.Get(id), out); }

 protected:
  // The prefix columns and bound values of a range, sliced (REQUIRES: valid range).
  struct RangeProbe {
    KeyColumns prefix;
    size_t prefix_len = 0;
    const KeyBound* lower = nullptr;
    const KeyBound* upper = nullptr;
  };
  RangeProbe Probe(const IndexRange& range) const;

  const IndexSchema& schema_;
  KeySpec spec_;
  const RowStore& rows_;
};

// Creates the index for `schema` (REQUIRES: a valid, normalised index of the table).
std::unique_ptr<Index> MakeIndex(const IndexSchema& schema, KeySpec spec, const RowStore& rows);

}  // namespace stdb::store
