// Indexes, unique constraints, sequences and index ranges of store::Table/Transaction.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "store/index_range.h"
#include "store/tx.h"

namespace stdb::store {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;

// t(id u64 pk auto-inc, x i32, y i32, name string): btree xy(x, y), hash by_name(name),
// btree by_id(id) which the primary key makes unique.
TableSchema PointSchema() {
  TableSchema s;
  s.name = "t";
  s.row_type = AlgebraicType::Product(
      {Element{"id", AlgebraicType(TypeKind::kU64)}, Element{"x", AlgebraicType(TypeKind::kI32)},
       Element{"y", AlgebraicType(TypeKind::kI32)}, Element{"name", AlgebraicType::String()}});
  s.primary_key = 0;
  s.indexes = {IndexSchema{"xy", IndexAlgorithm::kBTree, {1, 2}, false},
               IndexSchema{"by_name", IndexAlgorithm::kHash, {3}, false},
               IndexSchema{"by_id", IndexAlgorithm::kBTree, {0}, false}};
  s.sequences = {0};
  NormaliseIndexes(s, {});
  return s;
}
constexpr IndexId kXY = 0, kByName = 1, kById = 2;

struct Point {
  uint64_t id;
  int32_t x, y;
  std::string name;
  auto operator<=>(const Point&) const = default;
};

Bytes Row(const Point& p) {
  Bytes out;
  ByteWriter w(out);
  w.U64(p.id);
  w.Fixed(p.x);
  w.Fixed(p.y);
  w.String(p.name);
  return out;
}
Point Parse(ByteView row) {
  Point p;
  std::memcpy(&p.id, row.data(), 8);
  std::memcpy(&p.x, row.data() + 8, 4);
  std::memcpy(&p.y, row.data() + 12, 4);
  p.name = std::string(AsStringView(row.subspan(20)));
  return p;
}
Bytes I32(int32_t v) {
  Bytes out;
  ByteWriter(out).Fixed(v);
  return out;
}
Bytes Str(const std::string& s) {
  Bytes out;
  ByteWriter(out).String(s);
  return out;
}
Bytes Cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<Point> Scan(const Table& t, IndexId ix, const IndexRange& r) {
  auto ids = t.ScanIndex(ix, r);
  EXPECT_TRUE(ids.ok()) << ids.status().ToString();
  std::vector<Point> out;
  if (!ids.ok()) return out;
  for (RowId id : *ids) out.push_back(Parse(t.Get(id)));
  return out;
}

IndexRange Range(uint16_t prefix_len, Bytes prefix, KeyBound lo, KeyBound hi) {
  IndexRange r;
  r.prefix_len = prefix_len;
  r.prefix = std::move(prefix);
  r.lower = std::move(lo);
  r.upper = std::move(hi);
  return r;
}

TEST(TableIndex, BTreeScansAreOrderedByValueIncludingNegativeNumbers) {
  // Proves the btree orders signed integers numerically (not by their LE bytes) and
  // multi-column keys lexicographically, and that each kind of range returns exactly
  // the matching rows in key order.
  Table t(PointSchema());
  const std::vector<std::pair<int, int>> xy = {{5, 1}, {-3, 7}, {5, -2}, {0, 0},    {-300, 2},
                                               {5, 9}, {2, 2},  {-3, 6}, {70000, 1}};
  for (auto [x, y] : xy) ASSERT_TRUE(t.Insert(Row({0, x, y, "p"})).ok());
  auto xs = [](const std::vector<Point>& v) {
    std::vector<std::pair<int, int>> out;
    for (const auto& p : v) out.emplace_back(p.x, p.y);
    return out;
  };
  using V = std::vector<std::pair<int, int>>;
  EXPECT_EQ(xs(Scan(t, kXY, IndexRange::All())),
            (V{{-300, 2}, {-3, 6}, {-3, 7}, {0, 0}, {2, 2}, {5, -2}, {5, 1}, {5, 9}, {70000, 1}}));
  EXPECT_EQ(xs(Scan(t, kXY, IndexRange::Prefix(I32(5), 1))), (V{{5, -2}, {5, 1}, {5, 9}}));
  EXPECT_EQ(xs(Scan(t, kXY, IndexRange::Prefix(Cat(I32(5), I32(1)), 2))), (V{{5, 1}}));
  EXPECT_EQ(
      xs(Scan(t, kXY, Range(1, I32(5), KeyBound::Excluded(I32(-2)), KeyBound::Included(I32(9))))),
      (V{{5, 1}, {5, 9}}));
  EXPECT_EQ(xs(Scan(t, kXY, Range(0, {}, KeyBound::Included(I32(-3)), KeyBound::Excluded(I32(5))))),
            (V{{-3, 6}, {-3, 7}, {0, 0}, {2, 2}}));
  EXPECT_EQ(xs(Scan(t, kXY, Range(0, {}, KeyBound::Excluded(I32(5)), KeyBound::Unbounded()))),
            (V{{70000, 1}}));
  EXPECT_EQ(xs(Scan(t, kXY, Range(0, {}, KeyBound::Unbounded(), KeyBound::Included(I32(-3))))),
            (V{{-300, 2}, {-3, 6}, {-3, 7}}));
  EXPECT_TRUE(Scan(t, kXY, IndexRange::Prefix(I32(4), 1)).empty());
}

TEST(TableIndex, HashIndexAnswersOnlyWholeKeyLookups) {
  // Proves a non-unique hash index finds every row with a key (through deletes of the
  // first row inserted with it) and refuses a range with a message naming the index.
  Table t(PointSchema());
  std::vector<RowId> ann;
  for (int i = 0; i < 5; ++i) {
    auto r = t.Insert(Row({0, i, 0, i % 2 == 0 ? "ann" : "bob"}));
    ASSERT_TRUE(r.ok());
    if (i % 2 == 0) ann.push_back(r->id);
  }
  EXPECT_EQ(Scan(t, kByName, IndexRange::Prefix(Str("ann"), 1)).size(), 3u);
  t.Remove(ann[0]);  // the first "ann" row, which heads the hash entry
  auto rest = Scan(t, kByName, IndexRange::Prefix(Str("ann"), 1));
  ASSERT_EQ(rest.size(), 2u);
  for (const auto& p : rest) EXPECT_EQ(p.name, "ann");
  EXPECT_TRUE(Scan(t, kByName, IndexRange::Prefix(Str("cy"), 1)).empty());
  auto bad = t.ScanIndex(kByName, IndexRange::All());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("index 'by_name' is a hash index"), std::string::npos)
      << bad.status().message();
}

TEST(TableIndex, UniqueIndexesRefuseDuplicatesNamingTableAndIndex) {
  // Proves a unique-key clash fails with kUniqueViolation naming the table, the index and
  // its column, leaves the table unchanged, and that a byte-equal row is a no-op.
  TableSchema s = PointSchema();
  s.indexes.push_back(IndexSchema{"xy_unique", IndexAlgorithm::kHash, {1, 2}, true});
  Table t(std::move(s));
  auto a = t.Insert(Row({1, 1, 2, "a"}));
  ASSERT_TRUE(a.ok());
  auto same = t.Insert(Row({1, 1, 2, "a"}));
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->inserted);
  EXPECT_EQ(same->id, a->id);
  auto pk = t.Insert(Row({1, 3, 4, "b"}));
  ASSERT_FALSE(pk.ok());
  EXPECT_EQ(pk.status().code(), ErrorCode::kUniqueViolation);
  EXPECT_EQ(pk.status().message(),
            "duplicate key in unique index 'by_id' of table 't' (column 'id')");
  auto xy = t.Insert(Row({2, 1, 2, "c"}));
  ASSERT_FALSE(xy.ok());
  EXPECT_EQ(xy.status().message(),
            "duplicate key in unique index 'xy_unique' of table 't' (columns 'x', 'y')");
  EXPECT_EQ(t.size(), 1u);
}

TEST(TableIndex, SequencesFillZeroColumnsAndLeaveGivenValues) {
  // Proves inserting 0 into an auto-increment column stores 1, 2, 3..., a non-zero value
  // is kept without moving the sequence, and a rolled-back value is not reused.
  Store store({PointSchema()});
  {
    Transaction tx(store);
    auto a = tx.Insert(0, Row({0, 1, 1, "a"}));
    auto b = tx.Insert(0, Row({0, 2, 2, "b"}));
    auto c = tx.Insert(0, Row({100, 3, 3, "c"}));
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_EQ(Parse(store.table(0).Get(*a)).id, 1u);
    EXPECT_EQ(Parse(store.table(0).Get(*b)).id, 2u);
    EXPECT_EQ(Parse(store.table(0).Get(*c)).id, 100u);
    tx.Commit();
  }
  {
    Transaction tx(store);
    ASSERT_TRUE(tx.Insert(0, Row({0, 4, 4, "d"})).ok());  // takes 3, then rolls back
    tx.Rollback();
  }
  Transaction tx(store);
  auto e = tx.Insert(0, Row({0, 5, 5, "e"}));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Parse(store.table(0).Get(*e)).id, 4u);
  EXPECT_EQ(store.table(0).NextSequenceValue(0), 5u);
}

TEST(TableIndex, SequenceOfANarrowColumnReportsExhaustion) {
  // Proves an i8 sequence stops at 127 with an error naming the column and table.
  TableSchema s;
  s.name = "small";
  s.row_type = AlgebraicType::Product({Element{"n", AlgebraicType(TypeKind::kI8)}});
  s.sequences = {0};
  Table t(std::move(s));
  for (int i = 1; i <= 127; ++i) ASSERT_TRUE(t.Insert(Bytes{0}).ok()) << i;
  auto r = t.Insert(Bytes{0});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sequence of column 'n' in table 'small' is exhausted"),
            std::string::npos)
      << r.status().message();
}

TEST(TableIndex, UpdateByIndexKeepsTheOldRowOnAConflictAndRollbackRestoresIndexes) {
  // Proves update through a unique index replaces the row, a clash in another unique
  // index fails and leaves the old row, and rollback restores every index exactly.
  TableSchema s = PointSchema();
  s.indexes.push_back(IndexSchema{"name_unique", IndexAlgorithm::kHash, {3}, true});
  Store store({std::move(s)});
  {
    Transaction tx(store);
    ASSERT_TRUE(tx.Insert(0, Row({0, 1, 1, "a"})).ok());
    ASSERT_TRUE(tx.Insert(0, Row({0, 2, 2, "b"})).ok());
    tx.Commit();
  }
  const Table& t = store.table(0);
  const auto before = Scan(t, kXY, IndexRange::All());
  Transaction tx(store);
  auto up = tx.UpdateByIndex(0, kById, Row({1, 9, 9, "a2"}));
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(Parse(t.Get(*up)), (Point{1, 9, 9, "a2"}));
  auto clash = tx.UpdateByIndex(0, kById, Row({2, 2, 2, "a2"}));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), ErrorCode::kUniqueViolation);
  EXPECT_EQ(Scan(t, kByName, IndexRange::Prefix(Str("b"), 1)), (std::vector<Point>{{2, 2, 2, "b"}}));
  EXPECT_EQ(Scan(t, kXY, IndexRange::All()),
            (std::vector<Point>{{2, 2, 2, "b"}, {1, 9, 9, "a2"}}));
  auto missing = tx.UpdateByIndex(0, kById, Row({7, 0, 0, "z"}));
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  auto not_unique = tx.UpdateByIndex(0, kXY, Row({1, 9, 9, "q"}));
  EXPECT_EQ(not_unique.status().code(), ErrorCode::kInvalidArgument);
  auto deleted = tx.DeleteByIndexRange(
      0, kXY, Range(0, {}, KeyBound::Included(I32(2)), KeyBound::Unbounded()));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 2u);
  EXPECT_EQ(t.size(), 0u);
  tx.Rollback();
  EXPECT_EQ(Scan(t, kXY, IndexRange::All()), before);
  EXPECT_EQ(Scan(t, kByName, IndexRange::Prefix(Str("a"), 1)).size(), 1u);
  EXPECT_FALSE(t.FindUnique(kById, Bytes{9, 0, 0, 0, 0, 0, 0, 0}).has_value());
  ASSERT_TRUE(t.FindByPrimaryKey(Bytes{1, 0, 0, 0, 0, 0, 0, 0}).has_value());
}

TEST(TableIndex, RandomOperationsKeepEveryIndexEqualToABruteForceFilter) {
  // Proves, for random inserts, deletes and updates (enough to split and merge btree
  // leaves; updates that keep or change each index's key, moving hash entries in place)
  // and random ranges, that every index answers exactly what filtering all rows answers,
  // in (key, row id) order for the btree.
  rc::check([](const std::vector<std::tuple<uint8_t, int8_t, int8_t, uint8_t>>& ops,
               const std::vector<std::tuple<int8_t, int8_t, uint8_t, uint8_t>>& ranges) {
    Table t(PointSchema());
    std::map<RowId, Point> model;
    for (int rep = 0; rep < 4; ++rep) {
      for (auto [op, x, y, n] : ops) {
        if (op % 3 != 0 && !model.empty()) {
          auto it = model.begin();
          std::advance(it, (static_cast<size_t>(x) & 0xff) % model.size());
          if (op % 3 == 1) {
            t.Remove(it->first);
            model.erase(it);
            continue;
          }
          // An update of the row's other columns: x and y from this op, the name from n.
          const Point p{it->second.id, y / 8, it->second.y, std::string(n % 3, 'n')};
          if (p == it->second) continue;  // Replace requires a change
          auto r = t.Replace(it->first, Row(p));
          RC_ASSERT(r.ok());
          RC_ASSERT(Parse(r->removed) == it->second);
          model.erase(it);
          model[r->id] = Parse(t.Get(r->id));
          continue;
        }
        const Point p{0, x / 8, y / 8, std::string(n % 3, 'n')};
        auto r = t.Insert(Row(p));
        RC_ASSERT(r.ok());
        RC_ASSERT(r->inserted);
        model[r->id] = Parse(t.Get(r->id));
      }
      t.ReleaseFreedIds();  // later reps reuse the ids of removed and replaced rows
    }
    for (auto [a, b, kind, name] : ranges) {
      const int32_t lo = a / 8, hi = b / 8;
      const bool lo_incl = kind & 1, hi_incl = kind & 2, prefix = kind & 4;
      IndexRange r =
          prefix ? Range(1, I32(lo), hi_incl ? KeyBound::Included(I32(hi)) : KeyBound::Unbounded(),
                         KeyBound::Unbounded())
                 : Range(0, {}, lo_incl ? KeyBound::Included(I32(lo)) : KeyBound::Excluded(I32(lo)),
                         hi_incl ? KeyBound::Included(I32(hi)) : KeyBound::Excluded(I32(hi)));
      std::vector<std::tuple<int32_t, int32_t, RowId>> want;
      for (const auto& [id, p] : model) {
        const bool in =
            prefix ? (p.x == lo && (!hi_incl || p.y >= hi))
                   : ((lo_incl ? p.x >= lo : p.x > lo) && (hi_incl ? p.x <= hi : p.x < hi));
        if (in) want.emplace_back(p.x, p.y, id);
      }
      std::sort(want.begin(), want.end());
      auto got_ids = t.ScanIndex(kXY, r);
      RC_ASSERT(got_ids.ok());
      std::vector<std::tuple<int32_t, int32_t, RowId>> got;
      for (RowId id : *got_ids) got.emplace_back(model.at(id).x, model.at(id).y, id);
      RC_ASSERT(got == want);
      const std::string key(name % 3, 'n');
      auto by_name = t.ScanIndex(kByName, IndexRange::Prefix(Str(key), 1));
      RC_ASSERT(by_name.ok());
      std::vector<RowId> expect;
      for (const auto& [id, p] : model) {
        if (p.name == key) expect.push_back(id);
      }
      std::sort(by_name->begin(), by_name->end());
      RC_ASSERT(*by_name == expect);
    }
    for (const auto& [id, p] : model) {
      Bytes key;
      ByteWriter(key).U64(p.id);
      RC_ASSERT(t.FindUnique(kById, key) == std::optional<RowId>(id));
    }
  });
}

TEST(IndexRangeBytes, RoundTripAndEveryMalformedFormIsRefused) {
  // Proves EncodeIndexRange/DecodeIndexRange agree, and that truncation, a bad bound tag,
  // a prefix longer than the index, a bound after a full prefix, an invalid value and
  // trailing bytes are kDecode errors naming the index and table.
  TableSchema s = PointSchema();
  const IndexRange r = Range(1, I32(-4), KeyBound::Included(I32(2)), KeyBound::Excluded(I32(8)));
  const Bytes b = EncodeIndexRange(r);
  auto back = DecodeIndexRange(s, kXY, b);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->prefix_len, 1);
  EXPECT_EQ(back->prefix, I32(-4));
  EXPECT_EQ(back->lower.kind, KeyBound::Kind::kIncluded);
  EXPECT_EQ(back->upper.value, I32(8));
  auto fails = [&](IndexId ix, const Bytes& bytes, std::string_view fragment) {
    auto d = DecodeIndexRange(s, ix, bytes);
    ASSERT_FALSE(d.ok()) << fragment;
    EXPECT_NE(d.status().message().find(fragment), std::string::npos) << d.status().message();
  };
  for (size_t n = 0; n < b.size(); ++n) {
    fails(kXY, Bytes(b.begin(), b.begin() + static_cast<ptrdiff_t>(n)),
          "bad range for index 'xy' of table 't'");
  }
  fails(kXY, Cat(b, Bytes{0}), "trailing bytes");
  fails(kXY, Bytes{0, 0, 3, 2}, "bad bound tag 3");
  fails(kXY, Bytes{3, 0}, "prefix of 3 columns but the index has 2");
  fails(kByName, Cat(Cat(Bytes{1, 0}, Str("a")), Bytes{0, 1, 0, 0, 0, 'b', 2}),
        "a bound after a prefix that fixes every column");
  fails(kByName, Cat(Bytes{1, 0}, Bytes{1, 0, 0, 0, 0xff, 2, 2}), "column 'name'");
  fails(9, Bytes{0, 0, 2, 2}, "table 't' has no index 9");
}

}  // namespace
}  // namespace stdb::store

namespace stdb::store {
namespace {

TEST(TableIds, AnIdFreedInATransactionIsNotReusedBeforeItEnds) {
  // Proves a scan snapshot of ids taken inside a transaction cannot meet a new row under
  // the id of a row deleted earlier in the same transaction; after commit ids are reused.
  Store store({PointSchema()});
  Transaction tx(store);
  auto a = tx.Insert(0, Row({0, 1, 1, "a"}));
  ASSERT_TRUE(a.ok());
  tx.DeleteById(0, *a);
  auto b = tx.Insert(0, Row({0, 2, 2, "b"}));
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*b, *a);
  tx.Commit();
  Transaction tx2(store);
  auto c = tx2.Insert(0, Row({0, 3, 3, "c"}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, *a);
  tx2.Rollback();
  EXPECT_EQ(store.table(0).size(), 1u);
}

}  // namespace
}  // namespace stdb::store

namespace stdb::store {
namespace {

TEST(CopyRows, ANewUniqueConstraintThatRowsBreakIsRefusedAndSequencesContinue) {
  // Proves a module update's copy into the new schema refuses rows that break a new
  // unique constraint (naming the table and index), and that a sequence continues after
  // both the old sequence and the largest stored value, so ids are never reused.
  Table from(PointSchema());
  ASSERT_TRUE(from.Insert(Row({0, 1, 1, "same"})).ok());   // id 1
  ASSERT_TRUE(from.Insert(Row({50, 2, 2, "same"})).ok());  // explicit id 50
  ASSERT_TRUE(from.Insert(Row({0, 3, 3, "other"})).ok());  // id 2
  TableSchema unique_names = PointSchema();
  unique_names.indexes.push_back(IndexSchema{"name_key", IndexAlgorithm::kHash, {3}, true});
  Table strict(std::move(unique_names));
  Status s = CopyRows(from, strict);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("the rows of table 't' do not fit its new schema: duplicate key in "
                             "unique index 'name_key'"),
            std::string::npos)
      << s.message();
  Table to(PointSchema());
  ASSERT_TRUE(CopyRows(from, to).ok());
  EXPECT_EQ(to.size(), 3u);
  EXPECT_EQ(to.NextSequenceValue(0), 51u);
}

}  // namespace
}  // namespace stdb::store

namespace stdb::store {
namespace {

TEST(TableIndex, MalformedRowsAndKeysFromOutsideAreRefusedNotTrusted) {
  // Proves bytes from a module that are not a valid row or key (too short, a string
  // length past the end) are a kDecode error or "no such row", never a read out of
  // bounds or an assertion: DeleteRow validates before using the identity index.
  Store store({PointSchema()});
  Transaction tx(store);
  ASSERT_TRUE(tx.Insert(0, Row({0, 1, 1, "a"})).ok());
  for (const Bytes& bad :
       {Bytes{1, 2, 3}, Bytes(16, 0), Cat(Bytes(16, 0), Bytes{0xff, 0xff, 0, 0})}) {
    auto r = tx.DeleteRow(0, bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kDecode);
    EXPECT_FALSE(store.table(0).FindRow(bad).has_value());
  }
  EXPECT_EQ(store.table(0).size(), 1u);
  const TableSchema& s = store.table(0).schema();
  EXPECT_TRUE(ValidateKey(s, kXY, Cat(I32(1), I32(2))).ok());
  EXPECT_EQ(ValidateKey(s, kXY, I32(1)).code(), ErrorCode::kDecode);
  EXPECT_EQ(ValidateKey(s, kByName, Bytes{9, 0, 0, 0, 'a'}).code(), ErrorCode::kDecode);
  EXPECT_NE(ValidateKey(s, kByName, Bytes{1}).message().find("bad key for index 'by_name'"),
            std::string::npos);
  EXPECT_EQ(ValidateKey(s, 99, {}).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace stdb::store
