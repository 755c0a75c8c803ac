// Tests of planning and execution beyond what tests/sql/*.slt shows: that indexed point
// queries on a large table do not scan (counted rows, not time), the bounds on work and
// result size, and the JoinSpec the subscription binder hands the subscribe engine.
#include "sql/plan.h"

#include <gtest/gtest.h>

#include "sats/bsatn.h"
#include "sql/parser.h"

namespace stdb::sql {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;

constexpr uint64_t kBigRows = 1'000'000;

// (id u64 primary key, x i32, y i32) with a btree index on (x, y), as in issue 3's
// benchmark table; `rows` rows with x = id % 1000, y = id / 1000.
store::Store BigStore(uint64_t rows) {
  store::TableSchema s;
  s.table_id = 0;
  s.name = "big";
  s.row_type = AlgebraicType::Product({Element{"id", AlgebraicType(TypeKind::kU64)},
                                       Element{"x", AlgebraicType(TypeKind::kI32)},
                                       Element{"y", AlgebraicType(TypeKind::kI32)}});
  s.primary_key = 0;
  s.indexes.push_back(store::IndexSchema{"big_x_y", store::IndexAlgorithm::kBTree, {1, 2}, false});
  store::NormaliseIndexes(s, {});
  store::Store store({s});
  store::Transaction tx(store);
  for (uint64_t id = 0; id < rows; ++id) {
    Bytes row;
    ByteWriter w(row);
    w.U64(id);
    w.Fixed(static_cast<int32_t>(id % 1000));
    w.Fixed(static_cast<int32_t>(id / 1000));
    EXPECT_TRUE(tx.Insert(0, std::move(row)).ok());
  }
  tx.Commit();
  return store;
}

struct QueryRun {
  std::string plan;
  ExecStats stats;
  Result<std::vector<Bytes>> rows = InternalError("not run");
};

QueryRun RunQuery(const std::string& text, const store::Store& store) {
  QueryRun r;
  auto stmt = ParseSelect(text);
  EXPECT_TRUE(stmt.ok()) << text << ": " << stmt.status().ToString();
  if (!stmt.ok()) return r;
  auto plan = PlanSelect(*stmt, store);
  EXPECT_TRUE(plan.ok()) << text << ": " << plan.status().ToString();
  if (!plan.ok()) return r;
  r.plan = plan->Explain();
  r.rows = ExecuteSelect(*plan, store, &r.stats);
  return r;
}

TEST(Plan, IndexedPointQueriesOnAMillionRowsDoNotScan) {
  // Proves point and prefix queries on a 1,000,000-row table go through an index and
  // examine only the rows they return, while an unindexed predicate scans every row.
  const store::Store store = BigStore(kBigRows);
  ASSERT_EQ(store.table(0).size(), kBigRows);

  QueryRun pk = RunQuery("SELECT * FROM big WHERE id = 777777", store);
  EXPECT_EQ(pk.plan, "big: unique lookup big_id_key (id = 777777)");
  ASSERT_TRUE(pk.rows.ok());
  EXPECT_EQ(pk.rows->size(), 1u);
  EXPECT_EQ(pk.stats.rows_examined, 1u);

  QueryRun point = RunQuery("SELECT id FROM big WHERE x = 777 AND y = 777", store);
  EXPECT_EQ(point.plan, "big: index scan big_x_y (x = 777, y = 777)");
  ASSERT_TRUE(point.rows.ok());
  ASSERT_EQ(point.rows->size(), 1u);
  EXPECT_LE(point.stats.rows_examined, 1u);

  QueryRun range = RunQuery("SELECT COUNT(*) FROM big WHERE x = 5 AND y >= 10 AND y < 20", store);
  EXPECT_EQ(range.plan, "big: index scan big_x_y (x = 5, y >= 10, y < 20)");
  ASSERT_TRUE(range.rows.ok());
  EXPECT_EQ(range.stats.rows_examined, 10u);

  QueryRun scan = RunQuery("SELECT COUNT(*) FROM big WHERE y = 3", store);
  EXPECT_EQ(scan.plan, "big: full scan");
  ASSERT_TRUE(scan.rows.ok());
  EXPECT_EQ(scan.stats.rows_examined, kBigRows);
}

store::Store SameKeyStore(uint64_t rows) {
  store::TableSchema s;
  s.table_id = 0;
  s.name = "t";
  s.row_type = AlgebraicType::Product(
      {Element{"id", AlgebraicType(TypeKind::kU64)}, Element{"k", AlgebraicType(TypeKind::kU8)}});
  store::Store store({s});
  store::Transaction tx(store);
  for (uint64_t id = 0; id < rows; ++id) {
    Bytes row;
    ByteWriter w(row);
    w.U64(id);
    w.U8(0);
    EXPECT_TRUE(tx.Insert(0, std::move(row)).ok());
  }
  tx.Commit();
  return store;
}

TEST(Plan, ResultsAboveTheRowCapAreRefused) {
  // Proves a join whose result exceeds kSqlResultRowsMax fails with a message instead of
  // growing without bound (1100 x 1100 rows share one key).
  const store::Store store = SameKeyStore(1100);
  QueryRun r = RunQuery("SELECT a.id FROM t a JOIN t b ON a.k = b.k", store);
  ASSERT_FALSE(r.rows.ok());
  EXPECT_NE(r.rows.status().message().find("more than 1000000 rows"), std::string::npos)
      << r.rows.status().ToString();
}

TEST(Plan, QueriesExaminingTooManyRowsAreRefused) {
  // Proves the work bound: COUNT(*) over a 5000 x 5000 join (25M matches) stops at
  // kSqlRowsExaminedMax with a message, though its result is one row.
  const store::Store store = SameKeyStore(5000);
  QueryRun r = RunQuery("SELECT COUNT(*) FROM t a JOIN t b ON a.k = b.k", store);
  ASSERT_FALSE(r.rows.ok());
  EXPECT_NE(r.rows.status().message().find("examines more than"), std::string::npos)
      << r.rows.status().ToString();
  EXPECT_EQ(r.stats.rows_examined, kSqlRowsExaminedMax + 1);
}

TEST(BindSubscription, AJoinCarriesTheOtherTableAndItsIndex) {
  // Proves the bound join names the looked-up table, both join columns and the index the
  // subscribe engine uses, with WHERE sources renumbered so 0 is the selected table.
  store::TableSchema player{
      0, "player",
      AlgebraicType::Product({Element{"id", AlgebraicType(TypeKind::kU64)},
                              Element{"team", AlgebraicType(TypeKind::kU64)}}),
      0, true};
  store::TableSchema team{1, "team",
                          AlgebraicType::Product({Element{"name", AlgebraicType::String()},
                                                  Element{"id", AlgebraicType(TypeKind::kU64)}}),
                          1, true};
  store::NormaliseIndexes(player, {});
  store::NormaliseIndexes(team, {});
  const store::Store store({player, team});
  auto stmt = ParseSelect(
      "SELECT t.* FROM player p JOIN team t ON p.team = t.id WHERE p.id = 1 AND t.name = 'x'");
  ASSERT_TRUE(stmt.ok());
  // team is selected, so player (its primary key is id, not team) is looked up: refused.
  auto refused = BindSubscription(*stmt, store);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("join column p.team has no index"), std::string::npos)
      << refused.status().ToString();
  auto ok = ParseSelect(
      "SELECT p.* FROM player p JOIN team t ON t.id = p.team WHERE t.name = 'x' AND p.id = 1");
  ASSERT_TRUE(ok.ok());
  auto q = BindSubscription(*ok, store);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->table_id, 0u);
  ASSERT_TRUE(q->join.has_value());
  EXPECT_EQ(q->join->other_table_id, 1u);
  EXPECT_EQ(q->join->other_table_name, "team");
  EXPECT_EQ(q->join->column, 1u);
  EXPECT_EQ(q->join->other_column, 1u);
  EXPECT_EQ(store.table(1).schema().indexes[q->join->other_index].columns,
            std::vector<uint16_t>{1});
  ASSERT_NE(q->where, nullptr);
  EXPECT_EQ(q->where->lhs->source, 1u);  // t.name: the other table
  EXPECT_EQ(q->where->rhs->source, 0u);  // p.id: the selected table
}

}  // namespace
}  // namespace stdb::sql
