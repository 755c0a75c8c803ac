#include "store/index.h"

#include <algorithm>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <cstring>

#include "base/assert.h"

namespace stdb::store {

Index::RangeProbe Index::Probe(const IndexRange& range) const {
  RangeProbe p;
  p.prefix_len = range.prefix_len;
  const bool ok = spec_.SliceKey(range.prefix, range.prefix_len, p.prefix);
  STDB_ASSERT_MSG(ok, "index range not validated");
  p.lower = &range.lower;
  p.upper = &range.upper;
  return p;
}

namespace {

// An entry of a hash index: a RowId whose row holds the key. `id` is mutable so that an
// entry can move to another row with the same key (Replace) without leaving its slot:
// hash and equality depend on the key only. Erasing and re-inserting instead wears out
// boost's open-addressing tables: an erasure from a group that once overflowed lowers
// the table's max load, and reaching it rehashes every entry, rereading every row's key
// (~10 ms for 100,000 rows, about every 40,000 updates of the transfer benchmark).
struct Slot {
  mutable uint32_t id;
};

// Hash and equality of entries by their rows' keys, with lookups by KeyColumns.
struct KeyHash {
  using is_transparent = void;
  const Index* index;
  size_t operator()(Slot s) const {
    KeyColumns k;
    index->SliceRow(s.id, k);
    return KeySpec::Hash(k);
  }
  size_t operator()(const KeyColumns& k) const { return KeySpec::Hash(k); }
};
struct KeyEq {
  using is_transparent = void;
  const Index* index;
  bool operator()(Slot a, Slot b) const {
    if (a.id == b.id) return true;
    KeyColumns ka, kb;
    index->SliceRow(a.id, ka);
    index->SliceRow(b.id, kb);
    return KeysEqual(ka, kb);
  }
  bool operator()(const KeyColumns& k, Slot s) const {
    KeyColumns kr;
    index->SliceRow(s.id, kr);
    return KeysEqual(k, kr);
  }
  bool operator()(Slot s, const KeyColumns& k) const { return (*this)(k, s); }
};

Status HashRangeError(const IndexSchema& s) {
  return Status(ErrorCode::kInvalidArgument,
                "index '" + s.name + "' is a hash index: it answers only lookups that fix all " +
                    std::to_string(s.columns.size()) + " of its columns");
}

class UniqueHashIndex final : public Index {
 public:
  UniqueHashIndex(const IndexSchema& schema, KeySpec spec, const RowStore& rows)
      : Index(schema, std::move(spec), rows), set_(0, KeyHash{this}, KeyEq{this}) {}

  std::optional<RowId> FindEqual(const KeyColumns& key) const override {
    auto it = set_.find(key);
    if (it == set_.end()) return std::nullopt;
    return it->id;
  }
  void Insert(RowId id) override {
    const bool fresh = set_.insert(Slot{static_cast<uint32_t>(id)}).second;
    STDB_ASSERT_MSG(fresh, "unique index insert of a duplicate key");
  }
  void Erase(RowId id) override { set_.erase(Find(id)); }
  void Replace(RowId old_id, RowId new_id) override {
    Find(old_id)->id = static_cast<uint32_t>(new_id);
  }
  Status Scan(const IndexRange& range, std::vector<RowId>& out) const override {
    if (range.prefix_len != spec_.column_count()) return HashRangeError(schema_);
    const RangeProbe p = Probe(range);
    if (auto id = FindEqual(p.prefix)) out.push_back(*id);
    return Status::Ok();
  }
  size_t BytesUsed() const override {
    // boost's flat containers: a slot per bucket plus one metadata byte per slot.
    return set_.bucket_count() * (sizeof(Slot) + 1);
  }

 private:
  using Set = boost::unordered_flat_set<Slot, KeyHash, KeyEq>;
  // The entry of live row `id`. REQUIRES: it is indexed.
  Set::iterator Find(RowId id) {
    KeyColumns k;
    SliceRow(id, k);
    auto it = set_.find(k);
    STDB_ASSERT(it != set_.end() && it->id == id);
    return it;
  }

  Set set_;
};

class MultiHashIndex final : public Index {
 public:
  MultiHashIndex(const IndexSchema& schema, KeySpec spec, const RowStore& rows)
      : Index(schema, std::move(spec), rows), map_(0, KeyHash{this}, KeyEq{this}) {}

  std::optional<RowId> FindEqual(const KeyColumns& key) const override {
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->first.id;
  }
  void Insert(RowId id) override {
    KeyColumns k;
    SliceRow(id, k);
    auto it = map_.find(k);
    if (it == map_.end()) {
      map_.emplace(Slot{static_cast<uint32_t>(id)}, std::vector<uint32_t>{});
    } else {
      it->second.push_back(static_cast<uint32_t>(id));
    }
  }
  void Erase(RowId id) override {
    auto it = FindKey(id);
    auto& rest = it->second;
    if (it->first.id != id) {
      *FindInRest(rest, id) = rest.back();
      rest.pop_back();
    } else if (rest.empty()) {
      map_.erase(it);
    } else {
      it->first.id = rest.back();  // another row of the key heads the entry, in place
      rest.pop_back();
    }
  }
  void Replace(RowId old_id, RowId new_id) override {
    auto it = FindKey(old_id);
    if (it->first.id == old_id) {
      it->first.id = static_cast<uint32_t>(new_id);
    } else {
      *FindInRest(it->second, old_id) = static_cast<uint32_t>(new_id);
    }
  }
  Status Scan(const IndexRange& range, std::vector<RowId>& out) const override {
    if (range.prefix_len != spec_.column_count()) return HashRangeError(schema_);
    const RangeProbe p = Probe(range);
    auto it = map_.find(p.prefix);
    if (it == map_.end()) return Status::Ok();
    out.push_back(it->first.id);
    out.insert(out.end(), it->second.begin(), it->second.end());
    return Status::Ok();
  }
  size_t BytesUsed() const override {
    size_t n = map_.bucket_count() * (sizeof(Slot) + sizeof(std::vector<uint32_t>) + 1);
    for (const auto& [head, rest] : map_) n += rest.capacity() * sizeof(uint32_t);
    return n;
  }

 private:
  using Map = boost::unordered_flat_map<Slot, std::vector<uint32_t>, KeyHash, KeyEq>;
  // The entry of the key of live row `id`. REQUIRES: the row is indexed.
  Map::iterator FindKey(RowId id) {
    KeyColumns k;
    SliceRow(id, k);
    auto it = map_.find(k);
    STDB_ASSERT(it != map_.end());
    return it;
  }
  static std::vector<uint32_t>::iterator FindInRest(std::vector<uint32_t>& rest, RowId id) {
    auto pos = std::find(rest.begin(), rest.end(), static_cast<uint32_t>(id));
    STDB_ASSERT(pos != rest.end());
    return pos;
  }

  Map map_;
};

class BTreeIndex final : public Index {
 public:
  BTreeIndex(const IndexSchema& schema, KeySpec spec, const RowStore& rows)
      : Index(schema, std::move(spec), rows) {}

  std::optional<RowId> FindEqual(const KeyColumns& key) const override {
    RangeProbe p;
    p.prefix = key;
    p.prefix_len = key.n;
    const KeyBound unbounded;
    p.lower = p.upper = &unbounded;
    auto [leaf, pos] = Seek(p);
    if (leaf == leaves_.size()) return std::nullopt;
    const uint32_t id = leaves_[leaf]->ids[pos];
    return PastEnd(id, p) ? std::nullopt : std::optional<RowId>(id);
  }

  void Insert(RowId rid) override {
    const auto id = static_cast<uint32_t>(rid);
    if (leaves_.empty()) {  // leaves are never empty otherwise (Erase drops them)
      leaves_.push_back(std::make_unique<Leaf>());
      leaves_[0]->ids[0] = id;
      leaves_[0]->n = 1;
      last_.push_back(id);
      return;
    }
    // The first leaf whose last entry is not below `id`, else the last leaf.
    size_t li = FirstLeafNotBelow([&](uint32_t e) { return EntryLess(e, id); });
    if (li == leaves_.size()) li = leaves_.size() - 1;
    Leaf& leaf = *leaves_[li];
    const size_t pos = LowerBoundIn(leaf, [&](uint32_t e) { return EntryLess(e, id); });
    if (leaf.n == kLeafCap) {
      if (pos == kLeafCap && li + 1 == leaves_.size()) {
        // Appending in key order: start a new leaf and keep this one full.
        auto fresh = std::make_unique<Leaf>();
        fresh->ids[0] = id;
        fresh->n = 1;
        leaves_.push_back(std::move(fresh));
        last_.push_back(id);
        return;
      }
      Split(li);
      Insert(rid);
      return;
    }
    std::memmove(&leaf.ids[pos + 1], &leaf.ids[pos], (leaf.n - pos) * sizeof(uint32_t));
    leaf.ids[pos] = id;
    ++leaf.n;
    last_[li] = leaf.ids[leaf.n - 1];
  }

  void Erase(RowId rid) override {
    const auto id = static_cast<uint32_t>(rid);
    const size_t li = FirstLeafNotBelow([&](uint32_t e) { return EntryLess(e, id); });
    STDB_ASSERT(li < leaves_.size());
    Leaf& leaf = *leaves_[li];
    const size_t pos = LowerBoundIn(leaf, [&](uint32_t e) { return EntryLess(e, id); });
    STDB_ASSERT(pos < leaf.n && leaf.ids[pos] == id);
    std::memmove(&leaf.ids[pos], &leaf.ids[pos + 1], (leaf.n - pos - 1) * sizeof(uint32_t));
    --leaf.n;
    if (leaf.n == 0) {
      leaves_.erase(leaves_.begin() + static_cast<ptrdiff_t>(li));
      last_.erase(last_.begin() + static_cast<ptrdiff_t>(li));
      return;
    }
    if (leaf.n < kLeafCap / 4 && li + 1 < leaves_.size() &&
        leaf.n + leaves_[li + 1]->n <= kLeafCap / 2) {
      // Merge sparse neighbours so deletes do not leave a trail of near-empty leaves.
      Leaf& next = *leaves_[li + 1];
      std::memcpy(&leaf.ids[leaf.n], next.ids, next.n * sizeof(uint32_t));
      leaf.n += next.n;
      leaves_.erase(leaves_.begin() + static_cast<ptrdiff_t>(li + 1));
      last_.erase(last_.begin() + static_cast<ptrdiff_t>(li + 1));
    }
    last_[li] = leaf.ids[leaf.n - 1];
  }

  Status Scan(const IndexRange& range, std::vector<RowId>& out) const override {
    const RangeProbe p = Probe(range);
    auto [li, pos] = Seek(p);
    for (; li < leaves_.size(); ++li, pos = 0) {
      const Leaf& leaf = *leaves_[li];
      for (; pos < leaf.n; ++pos) {
        if (PastEnd(leaf.ids[pos], p)) return Status::Ok();
        out.push_back(leaf.ids[pos]);
      }
    }
    return Status::Ok();
  }

  size_t BytesUsed() const override {
    return leaves_.size() * sizeof(Leaf) + leaves_.capacity() * sizeof(leaves_[0]) +
           last_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr uint32_t kLeafCap = 128;
  struct Leaf {
    uint32_t n = 0;
    uint32_t ids[kLeafCap];
  };

  // Entries are ordered by (key, RowId).
  bool EntryLess(uint32_t a, uint32_t b) const {
    if (a == b) return false;
    KeyColumns ka, kb;
    SliceRow(a, ka);
    SliceRow(b, kb);
    const int c = spec_.ComparePrefix(ka, kb, ka.n);
    return c != 0 ? c < 0 : a < b;
  }
  // Whether entry `id` sorts before the first entry of the range.
  bool BeforeStart(uint32_t id, const RangeProbe& p) const {
    KeyColumns k;
    SliceRow(id, k);
    if (int c = spec_.ComparePrefix(k, p.prefix, p.prefix_len); c != 0) return c < 0;
    if (p.lower->unbounded()) return false;
    const int d = spec_.CompareColumn(p.prefix_len, k.col[p.prefix_len], p.lower->value);
    return d < 0 || (d == 0 && p.lower->kind == KeyBound::Kind::kExcluded);
  }
  // Whether entry `id` (not before the start) sorts after the last entry of the range.
  bool PastEnd(uint32_t id, const RangeProbe& p) const {
    KeyColumns k;
    SliceRow(id, k);
    if (int c = spec_.ComparePrefix(k, p.prefix, p.prefix_len); c != 0) return c > 0;
    if (p.upper->unbounded()) return false;
    const int d = spec_.CompareColumn(p.prefix_len, k.col[p.prefix_len], p.upper->value);
    return d > 0 || (d == 0 && p.upper->kind == KeyBound::Kind::kExcluded);
  }

  template <typename Below>
  size_t FirstLeafNotBelow(Below below) const {
    size_t lo = 0, hi = last_.size();
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (below(last_[mid])) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  template <typename Below>
  static size_t LowerBoundIn(const Leaf& leaf, Below below) {
    size_t lo = 0, hi = leaf.n;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (below(leaf.ids[mid])) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  // The first entry not before the start of the range: (leaf, position), or
  // (leaves_.size(), 0) if there is none.
  std::pair<size_t, size_t> Seek(const RangeProbe& p) const {
    auto below = [&](uint32_t e) { return BeforeStart(e, p); };
    const size_t li = FirstLeafNotBelow(below);
    if (li == leaves_.size()) return {li, 0};
    return {li, LowerBoundIn(*leaves_[li], below)};
  }
  void Split(size_t li) {
    Leaf& full = *leaves_[li];
    auto right = std::make_unique<Leaf>();
    const uint32_t half = full.n / 2;
    right->n = full.n - half;
    std::memcpy(right->ids, &full.ids[half], right->n * sizeof(uint32_t));
    full.n = half;
    last_.insert(last_.begin() + static_cast<ptrdiff_t>(li + 1), right->ids[right->n - 1]);
    last_[li] = full.ids[half - 1];
    leaves_.insert(leaves_.begin() + static_cast<ptrdiff_t>(li + 1), std::move(right));
  }

  std::vector<std::unique_ptr<Leaf>> leaves_;
  // The last entry of each leaf, so the directory search reads one array and the rows,
  // not every leaf it passes (one cache miss less per comparison).
  std::vector<uint32_t> last_;
};

}  // namespace

std::unique_ptr<Index> MakeIndex(const IndexSchema& schema, KeySpec spec, const RowStore& rows) {
  if (schema.algorithm == IndexAlgorithm::kBTree) {
    return std::make_unique<BTreeIndex>(schema, std::move(spec), rows);
  }
  if (schema.unique) return std::make_unique<UniqueHashIndex>(schema, std::move(spec), rows);
  return std::make_unique<MultiHashIndex>(schema, std::move(spec), rows);
}

}  // namespace stdb::store
