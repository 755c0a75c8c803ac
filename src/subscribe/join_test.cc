// Join subscriptions: SubscriptionManager keeps `SELECT t.* FROM t JOIN u ON ...` views
// up to date from transaction deltas (subscribe/join_delta.h).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "sats/bsatn.h"
#include "sql/parser.h"
#include "subscribe/manager.h"

namespace stdb::subscribe {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;
using store::IndexAlgorithm;
using store::IndexSchema;

// a(id u64 pk, k u8, v bool): no index on k.
// b(id u64 pk, k u8, w i32): non-unique hash index on k.
// c(id u64 pk, k u8): btree index on k.
store::TableSchema Table(store::TableId id, std::string name, std::vector<Element> cols,
                         std::vector<IndexSchema> indexes) {
  store::TableSchema s;
  s.table_id = id;
  s.name = std::move(name);
  cols.insert(cols.begin(), Element{"id", AlgebraicType(TypeKind::kU64)});
  s.row_type = AlgebraicType::Product(std::move(cols));
  s.primary_key = 0;
  s.indexes = std::move(indexes);
  store::NormaliseIndexes(s, {});
  return s;
}
store::Store MakeStore() {
  return store::Store(
      {Table(0, "a", {{"k", AlgebraicType(TypeKind::kU8)}, {"v", AlgebraicType::Bool()}}, {}),
       Table(1, "b", {{"k", AlgebraicType(TypeKind::kU8)}, {"w", AlgebraicType(TypeKind::kI32)}},
             {IndexSchema{"b_k", IndexAlgorithm::kHash, {1}, false}}),
       Table(2, "c", {{"k", AlgebraicType(TypeKind::kU8)}},
             {IndexSchema{"c_k", IndexAlgorithm::kBTree, {1}, false}})});
}

Bytes Row(store::TableId t, uint64_t id, uint8_t k, int32_t extra) {
  Bytes out;
  ByteWriter w(out);
  w.U64(id);
  w.U8(k);
  if (t == 0) w.U8(extra & 1);
  if (t == 1) w.Fixed(extra);
  return out;
}

using Bag = std::multiset<Bytes>;

// The query evaluated by brute force over every pair of rows.
Bag FromScratch(const std::string& text, const store::Store& store) {
  auto stmt = sql::ParseSelect(text);
  EXPECT_TRUE(stmt.ok());
  auto q = sql::BindSubscription(*stmt, store);
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  Bag bag;
  const auto& j = *q->join;
  store.table(q->table_id).ForEach([&](store::RowId, ByteView t) {
    store.table(j.other_table_id).ForEach([&](store::RowId, ByteView u) {
      auto a = sats::ColumnSlice(q->row_type, t, j.column);
      auto b = sats::ColumnSlice(j.other_row_type, u, j.other_column);
      if (Bytes(a->begin(), a->end()) == Bytes(b->begin(), b->end()) && q->MatchesPair(t, u)) {
        bag.emplace(t.begin(), t.end());
      }
    });
  });
  return bag;
}

const std::vector<std::string> kQueries = {
    "SELECT a.* FROM a JOIN b ON a.k = b.k",
    "SELECT a.* FROM a JOIN b ON a.k = b.k WHERE b.w > 0 AND a.v = true",
    "SELECT b.* FROM b JOIN c ON b.k = c.k WHERE c.id > 2 OR b.w < 0",
    "SELECT c.* FROM c JOIN b ON c.k = b.k",
    "SELECT x.* FROM c x JOIN c y ON x.k = y.k WHERE y.id != 1",
};

TEST(JoinSubscription, AJoinWithoutAnIndexOnTheLookedUpSideIsRefused) {
  // Proves the binder's rule reaches subscribers: b JOIN a looks rows of a up by a.k,
  // which has no index, so the subscription fails with a message saying what to add.
  store::Store store = MakeStore();
  SubscriptionManager m;
  auto r = m.Subscribe(1, 0, {"SELECT b.* FROM b JOIN a ON b.k = a.k"}, store, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a.k has no index"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(m.query_count(), 0u);
}

TEST(JoinSubscription, RowsEnterAndLeaveWhenEitherSideChanges) {
  // Proves an insert on the joined side brings matching rows in (once per match), an
  // update of the join key moves them out, and a delete sends the exact bytes inserted.
  store::Store store = MakeStore();
  auto commit = [&](std::vector<std::pair<store::TableId, Bytes>> ins,
                    std::vector<std::pair<store::TableId, uint64_t>> del = {}) {
    store::Transaction tx(store);
    for (auto& [t, id] : del) {
      Bytes key;
      ByteWriter(key).U64(id);
      EXPECT_TRUE(tx.DeleteByPrimaryKey(t, key).ok());
    }
    for (auto& [t, row] : ins) EXPECT_TRUE(tx.Insert(t, row).ok());
    return tx.Commit();
  };
  commit({{0, Row(0, 1, 5, 1)}, {0, Row(0, 2, 6, 0)}});
  SubscriptionManager m;
  auto init = m.Subscribe(1, 0, {kQueries[0]}, store, false);
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->tables[0].rows.Rows().size(), 0u);
  // Two b rows with k = 5: a#1 enters twice (the view is a multiset, one per pair).
  auto up = m.OnCommit(commit({{1, Row(1, 10, 5, 0)}, {1, Row(1, 11, 5, 0)}}), store);
  ASSERT_EQ(up.size(), 1u);
  const auto& t = up[0].query_sets[0].tables[0];
  EXPECT_EQ(t.table_name, "a");
  ASSERT_EQ(t.inserts.Rows().size(), 2u);
  EXPECT_EQ(Bytes(t.inserts.Rows()[0].begin(), t.inserts.Rows()[0].end()), Row(0, 1, 5, 1));
  EXPECT_EQ(t.deletes.Rows().size(), 0u);
  // Moving a#1 to k = 6 (an update: delete + insert) takes both copies out.
  auto moved = m.OnCommit(commit({{0, Row(0, 1, 6, 1)}}, {{0, 1}}), store);
  ASSERT_EQ(moved.size(), 1u);
  const auto& mt = moved[0].query_sets[0].tables[0];
  EXPECT_EQ(mt.inserts.Rows().size(), 0u);
  ASSERT_EQ(mt.deletes.Rows().size(), 2u);
  EXPECT_EQ(Bytes(mt.deletes.Rows()[1].begin(), mt.deletes.Rows()[1].end()), Row(0, 1, 5, 1));
  // A change on b that matches nothing sends nothing.
  EXPECT_TRUE(m.OnCommit(commit({{1, Row(1, 12, 9, 0)}}), store).empty());
}

RC_GTEST_PROP(JoinSubscription, ViewsEqualTheJoinEvaluatedFromScratch, ()) {
  // Random transactions (inserts, key-changing updates, deletes on every table, several
  // per transaction): for every join query, initial rows plus all updates applied equal
  // the join evaluated by brute force over all pairs, and every delete removes a row the
  // client holds.
  store::Store store = MakeStore();
  SubscriptionManager m;
  std::vector<Bag> views(kQueries.size());
  for (size_t i = 0; i < kQueries.size(); ++i) {
    auto init = m.Subscribe(i + 1, 0, {kQueries[i]}, store, false);
    RC_ASSERT(init.ok());
  }
  const int txs = *rc::gen::inRange(1, 30);
  for (int n = 0; n < txs; ++n) {
    store::Transaction tx(store);
    const int ops = *rc::gen::inRange(1, 5);
    for (int i = 0; i < ops; ++i) {
      const auto t = static_cast<store::TableId>(*rc::gen::inRange(0, 3));
      const uint64_t id = *rc::gen::inRange<uint64_t>(0, 6);
      const auto k = static_cast<uint8_t>(*rc::gen::inRange(0, 3));
      const int32_t extra = *rc::gen::inRange(-2, 3);
      Bytes key;
      ByteWriter(key).U64(id);
      switch (*rc::gen::inRange(0, 3)) {
        case 0:
          tx.Insert(t, Row(t, id, k, extra)).status().IgnoreError();
          break;
        case 1:
          tx.UpdateByPrimaryKey(t, Row(t, id, k, extra)).IgnoreError();
          break;
        default:
          tx.DeleteByPrimaryKey(t, key).status().IgnoreError();
      }
    }
    const store::TxDelta delta = tx.Commit();
    for (const ClientUpdate& u : m.OnCommit(delta, store)) {
      Bag& bag = views[u.client - 1];
      for (const auto& qs : u.query_sets) {
        for (const auto& t : qs.tables) {
          for (ByteView r : t.deletes.Rows()) {
            auto it = bag.find(Bytes(r.begin(), r.end()));
            RC_ASSERT(it != bag.end());
            bag.erase(it);
          }
          for (ByteView r : t.inserts.Rows()) bag.emplace(r.begin(), r.end());
        }
      }
    }
    for (size_t i = 0; i < kQueries.size(); ++i) {
      RC_ASSERT(views[i] == FromScratch(kQueries[i], store));
    }
  }
  // A late subscriber's initial rows agree too.
  for (size_t i = 0; i < kQueries.size(); ++i) {
    auto init = m.Subscribe(100 + i, 0, {kQueries[i]}, store, false);
    RC_ASSERT(init.ok());
    Bag bag;
    for (ByteView r : init->tables[0].rows.Rows()) bag.emplace(r.begin(), r.end());
    RC_ASSERT(bag == FromScratch(kQueries[i], store));
  }
  
}

}  // namespace
}  // namespace stdb::subscribe
