// libFuzzer target for the store's external inputs: rows and index ranges as a module
// sends them through the host ABI (docs/module-abi.md "Index ranges").
//
// Input: a sequence of operations on one table t(id u64 pk auto-inc, x i8, name string)
// with a btree on (x, name), a non-unique hash on name and a unique btree on (name, x):
//   0 len bytes   insert the next `len` input bytes as a row (valid or not)
//   1 k           delete the live row number k (mod the number of rows)
//   2 ix len bytes decode `len` bytes as a range of index ix and scan it
//   3             roll the transaction back; 4 commit it
// Checks after every operation: invalid rows and ranges are refused without a change;
// every index holds exactly the live rows; a scan returns exactly the rows a brute-force
// filter of the range selects, in (key, row id) order for btrees; rollback restores the
// committed rows.
#include <algorithm>
#include <map>
#include <tuple>

#include "base/bytes.h"
#include "fuzz_check.h"
#include "store/index_range.h"
#include "store/key.h"
#include "store/tx.h"

namespace stdb::fuzz {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;
using store::IndexAlgorithm;
using store::IndexSchema;
using store::KeyBound;
using store::RowId;

store::TableSchema Schema() {
  store::TableSchema s;
  s.name = "t";
  s.row_type = AlgebraicType::Product({Element{"id", AlgebraicType(TypeKind::kU64)},
                                       Element{"x", AlgebraicType(TypeKind::kI8)},
                                       Element{"name", AlgebraicType::String()}});
  s.primary_key = 0;
  s.indexes = {IndexSchema{"x_name", IndexAlgorithm::kBTree, {1, 2}, false},
               IndexSchema{"by_name", IndexAlgorithm::kHash, {2}, false},
               IndexSchema{"name_x", IndexAlgorithm::kBTree, {2, 1}, true}};
  s.sequences = {0};
  store::NormaliseIndexes(s, {});
  return s;
}

using Rows = std::map<RowId, Bytes>;

Rows Contents(const store::Table& t) {
  Rows out;
  t.ForEach([&](RowId id, ByteView row) { out[id] = Bytes(row.begin(), row.end()); });
  return out;
}

// Whether `row` lies in `range` of index `ix`, by comparing its key columns one by one.
bool InRange(const store::TableSchema& schema, store::IndexId ix, const store::IndexRange& r,
             ByteView row) {
  const store::KeySpec spec(schema, schema.indexes[ix].columns);
  store::KeyColumns k, prefix;
  spec.SliceRow(row, k);
  FUZZ_CHECK(spec.SliceKey(r.prefix, r.prefix_len, prefix));
  if (spec.ComparePrefix(k, prefix, r.prefix_len) != 0) return false;
  if (!r.lower.unbounded()) {
    const int c = spec.CompareColumn(r.prefix_len, k.col[r.prefix_len], r.lower.value);
    if (c < 0 || (c == 0 && r.lower.kind == KeyBound::Kind::kExcluded)) return false;
  }
  if (!r.upper.unbounded()) {
    const int c = spec.CompareColumn(r.prefix_len, k.col[r.prefix_len], r.upper.value);
    if (c > 0 || (c == 0 && r.upper.kind == KeyBound::Kind::kExcluded)) return false;
  }
  return true;
}

void CheckIndexes(const store::Table& t, const Rows& rows) {
  FUZZ_CHECK(t.size() == rows.size());
  for (store::IndexId ix = 0; ix < t.index_count(); ++ix) {
    const bool hash = t.schema().indexes[ix].algorithm == IndexAlgorithm::kHash;
    if (!hash) {
      auto all = t.ScanIndex(ix, store::IndexRange::All());
      FUZZ_CHECK(all.ok() && all->size() == rows.size());
    }
    for (const auto& [id, row] : rows) {
      const Bytes key = t.KeyOf(ix, row);
      auto found = t.ScanIndex(
          ix, store::IndexRange::Prefix(key, static_cast<uint16_t>(
                                                 t.schema().indexes[ix].columns.size())));
      FUZZ_CHECK(found.ok());
      FUZZ_CHECK(std::find(found->begin(), found->end(), id) != found->end());
      if (t.schema().indexes[ix].unique) FUZZ_CHECK(t.FindUnique(ix, key) == id);
    }
  }
}

void Run(ByteView in) {
  store::Store store({Schema()});
  const store::Table& t = store.table(0);
  auto tx = std::make_unique<store::Transaction>(store);
  Rows committed;
  ByteReader r(in);
  uint8_t op = 0;
  for (int steps = 0; steps < 256 && r.Fixed(op); ++steps) {
    switch (op % 5) {
      case 0: {
        uint8_t len = 0;
        if (!r.Fixed(len) || r.remaining() < len) return;
        const ByteView row = in.subspan(r.position(), len);
        (void)r.Skip(len);
        const Rows before = Contents(t);
        auto res = tx->Insert(0, Bytes(row.begin(), row.end()));
        if (!res.ok()) FUZZ_CHECK(Contents(t) == before);
        break;
      }
      case 1: {
        uint8_t k = 0;
        if (!r.Fixed(k)) return;
        const Rows rows = Contents(t);
        if (rows.empty()) break;
        auto it = rows.begin();
        std::advance(it, k % rows.size());
        tx->DeleteById(0, it->first);
        break;
      }
      case 2: {
        uint8_t ix = 0, len = 0;
        if (!r.Fixed(ix) || !r.Fixed(len) || r.remaining() < len) return;
        const ByteView bytes = in.subspan(r.position(), len);
        (void)r.Skip(len);
        ix %= static_cast<uint8_t>(t.index_count() + 1);  // one past the end: an unknown id
        auto range = store::DecodeIndexRange(t.schema(), ix, bytes);
        if (!range.ok()) break;
        FUZZ_CHECK(ix < t.index_count());
        FUZZ_CHECK(store::EncodeIndexRange(*range) == Bytes(bytes.begin(), bytes.end()));
        auto got = t.ScanIndex(ix, *range);
        const bool hash = t.schema().indexes[ix].algorithm == IndexAlgorithm::kHash;
        const bool whole_key = range->prefix_len == t.schema().indexes[ix].columns.size();
        FUZZ_CHECK(got.ok() == (!hash || whole_key));
        if (!got.ok()) break;
        std::vector<RowId> want;
        for (const auto& [id, row] : Contents(t)) {
          if (InRange(t.schema(), ix, *range, row)) want.push_back(id);
        }
        std::vector<RowId> sorted_got = *got;
        std::sort(sorted_got.begin(), sorted_got.end());
        FUZZ_CHECK(sorted_got == want);
        if (!hash) {
          const store::KeySpec spec(t.schema(), t.schema().indexes[ix].columns);
          for (size_t i = 1; i < got->size(); ++i) {
            store::KeyColumns a, b;
            spec.SliceRow(t.Get((*got)[i - 1]), a);
            spec.SliceRow(t.Get((*got)[i]), b);
            const int c = spec.ComparePrefix(a, b, a.n);
            FUZZ_CHECK(c < 0 || (c == 0 && (*got)[i - 1] < (*got)[i]));
          }
        }
        break;
      }
      case 3:
        tx->Rollback();
        FUZZ_CHECK(Contents(t) == committed);
        tx = std::make_unique<store::Transaction>(store);
        break;
      case 4:
        tx->Commit();
        committed = Contents(t);
        tx = std::make_unique<store::Transaction>(store);
        break;
    }
    CheckIndexes(t, Contents(t));
  }
}

}  // namespace
}  // namespace stdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stdb::fuzz::Run(stdb::ByteView(data, size));
  return 0;
}
