// Tests of SubscriptionManager: initial rows, sharing of identical queries, routing of
// committed changes, unsubscribing, errors, and a model-based property that a client
// which applies its initial rows and every update always holds exactly what its queries
// select.
#include "subscribe/manager.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

#include "store/store_test_util.h"

namespace stdb::subscribe {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;
using store::testing::PeopleSchema;
using store::testing::PersonRow;
using store::testing::U64Key;

// Table 1: scores (player u8, points i32, won bool), no primary key.
store::TableSchema ScoresSchema() {
  return store::TableSchema{
      1, "scores",
      AlgebraicType::Product({Element{"player", AlgebraicType(TypeKind::kU8)},
                              Element{"points", AlgebraicType(TypeKind::kI32)},
                              Element{"won", AlgebraicType::Bool()}}),
      std::nullopt, true};
}

// Table 2: vault (secret u64), private.
store::TableSchema VaultSchema() {
  return store::TableSchema{
      2, "vault", AlgebraicType::Product({Element{"secret", AlgebraicType(TypeKind::kU64)}}),
      std::nullopt, false};
}

Bytes ScoreRow(uint8_t player, int32_t points, bool won) {
  Bytes out;
  ByteWriter w(out);
  w.U8(player);
  w.Fixed(points);
  w.U8(won ? 1 : 0);
  return out;
}

store::Store MakeStore() { return store::Store({PeopleSchema(0), ScoresSchema(), VaultSchema()}); }

// Applies inserts and deletes in one transaction and returns its delta.
store::TxDelta Commit(store::Store& store, const std::vector<std::pair<store::TableId, Bytes>>& ins,
                      const std::vector<std::pair<store::TableId, Bytes>>& del = {}) {
  store::Transaction tx(store);
  for (const auto& [t, row] : del) {
    auto r = tx.DeleteRow(t, row);
    EXPECT_TRUE(r.ok() && *r) << "delete failed";
  }
  for (const auto& [t, row] : ins) EXPECT_TRUE(tx.Insert(t, row).ok()) << "insert failed";
  return tx.Commit();
}

std::vector<Bytes> RowsOf(const protocol::BsatnRowList& l) {
  std::vector<Bytes> out;
  for (ByteView r : l.Rows()) out.emplace_back(r.begin(), r.end());
  return out;
}

std::vector<std::string> Queries(std::initializer_list<const char*> q) {
  return std::vector<std::string>(q.begin(), q.end());
}

TEST(SubscriptionManager, SubscribeReturnsTheMatchingCurrentRows) {
  // Proves a subscription's initial rows are the rows its query selects right now, one
  // SingleTableRows per query named after its table.
  store::Store store = MakeStore();
  Commit(store, {{0, PersonRow(1, "ann")},
                 {0, PersonRow(2, "bob")},
                 {0, PersonRow(3, "cy")},
                 {1, ScoreRow(1, 10, true)}});
  SubscriptionManager m;
  auto rows = m.Subscribe(
      7, 0, Queries({"SELECT * FROM people WHERE id >= 2", "SELECT * FROM scores"}), store, false);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->tables.size(), 2u);
  EXPECT_EQ(rows->tables[0].table, "people");
  EXPECT_EQ(RowsOf(rows->tables[0].rows),
            (std::vector<Bytes>{PersonRow(2, "bob"), PersonRow(3, "cy")}));
  EXPECT_EQ(rows->tables[1].table, "scores");
  EXPECT_EQ(RowsOf(rows->tables[1].rows), (std::vector<Bytes>{ScoreRow(1, 10, true)}));
  EXPECT_EQ(m.query_count(), 2u);
  EXPECT_EQ(m.client_count(), 1u);
}

TEST(SubscriptionManager, IdenticalQueriesSpelledDifferentlyShareOneEntry) {
  // Proves quoting, case of keywords, whitespace, qualifiers, aliases, literal side,
  // != vs <> and hex vs decimal do not create separate queries; a different predicate does.
  store::Store store = MakeStore();
  SubscriptionManager m;
  const std::vector<std::string> same = {
      "SELECT * FROM people WHERE id = 1 AND name != 'x'",
      R"(select * from "people" where "people"."id" = 1 and "name" <> 'x')",
      "SELECT p.* FROM people AS p WHERE (1 = p.id) AND ('x' <> p.name);",
      "SELECT *\n  FROM people  -- everyone\n WHERE id=0x01 AND name!='x'",
  };
  ClientId client = 1;
  for (const auto& q : same) {
    ASSERT_TRUE(m.Subscribe(client++, 0, {q}, store, false).ok()) << q;
  }
  EXPECT_EQ(m.query_count(), 1u);
  ASSERT_TRUE(m.Subscribe(client++, 0,
                          Queries({"SELECT * FROM people WHERE id = 2 AND name != 'x'"}), store,
                          false)
                  .ok());
  ASSERT_TRUE(m.Subscribe(client++, 0,
                          Queries({"SELECT * FROM people WHERE name != 'x' AND id = 1"}), store,
                          false)
                  .ok());
  ASSERT_TRUE(m.Subscribe(client++, 0, Queries({"SELECT * FROM people"}), store, false).ok());
  EXPECT_EQ(m.query_count(), 4u);
  EXPECT_EQ(m.client_count(), 7u);
}

TEST(SubscriptionManager, OnCommitRoutesChangesOnlyToMatchingSubscribers) {
  // Proves each client gets the inserts and deletes its queries select and nothing else,
  // clients in id order, one ClientUpdate per client with its sets in id order.
  store::Store store = MakeStore();
  Commit(store, {{0, PersonRow(1, "ann")}, {0, PersonRow(5, "eve")}});
  SubscriptionManager m;
  ASSERT_TRUE(
      m.Subscribe(30, 0, Queries({"SELECT * FROM people WHERE id < 3"}), store, false).ok());
  ASSERT_TRUE(
      m.Subscribe(10, 9, Queries({"SELECT * FROM people WHERE id >= 3"}), store, false).ok());
  ASSERT_TRUE(m.Subscribe(10, 2, Queries({"SELECT * FROM people"}), store, false).ok());
  ASSERT_TRUE(m.Subscribe(20, 0, Queries({"SELECT * FROM scores"}), store, false).ok());
  ASSERT_TRUE(
      m.Subscribe(40, 0, Queries({"SELECT * FROM people WHERE id = 99"}), store, false).ok());

  auto updates = m.OnCommit(
      Commit(store, {{0, PersonRow(2, "bo")}, {0, PersonRow(4, "di")}}, {{0, PersonRow(5, "eve")}}),
      store);
  ASSERT_EQ(updates.size(), 2u);  // 20 watches only scores, 40 matches nothing
  EXPECT_EQ(updates[0].client, 10u);
  EXPECT_EQ(updates[1].client, 30u);

  const auto& c10 = updates[0].query_sets;
  ASSERT_EQ(c10.size(), 2u);
  EXPECT_EQ(c10[0].query_set_id, 2u);
  ASSERT_EQ(c10[0].tables.size(), 1u);
  EXPECT_EQ(c10[0].tables[0].table_name, "people");
  EXPECT_EQ(RowsOf(c10[0].tables[0].inserts),
            (std::vector<Bytes>{PersonRow(2, "bo"), PersonRow(4, "di")}));
  EXPECT_EQ(RowsOf(c10[0].tables[0].deletes), (std::vector<Bytes>{PersonRow(5, "eve")}));
  EXPECT_EQ(c10[1].query_set_id, 9u);
  EXPECT_EQ(RowsOf(c10[1].tables[0].inserts), (std::vector<Bytes>{PersonRow(4, "di")}));
  EXPECT_EQ(RowsOf(c10[1].tables[0].deletes), (std::vector<Bytes>{PersonRow(5, "eve")}));

  const auto& c30 = updates[1].query_sets;
  ASSERT_EQ(c30.size(), 1u);
  EXPECT_EQ(RowsOf(c30[0].tables[0].inserts), (std::vector<Bytes>{PersonRow(2, "bo")}));
  EXPECT_TRUE(c30[0].tables[0].deletes.empty());

  // A change to a table nobody watches, or an empty delta, reaches nobody.
  EXPECT_TRUE(m.OnCommit(Commit(store, {{2, U64Key(1)}}), store).empty());
  EXPECT_TRUE(m.OnCommit(store::TxDelta{}, store).empty());
}

TEST(SubscriptionManager, SubscribersOfOneQueryShareTheEncodedRows) {
  // Proves the rows of one query's update are encoded once and shared by every client.
  store::Store store = MakeStore();
  SubscriptionManager m;
  for (ClientId c = 1; c <= 3; ++c) {
    ASSERT_TRUE(m.Subscribe(c, 0, Queries({"SELECT * FROM people"}), store, false).ok());
  }
  auto updates = m.OnCommit(Commit(store, {{0, PersonRow(1, "a")}}), store);
  ASSERT_EQ(updates.size(), 3u);
  const Bytes* first = &updates[0].query_sets[0].tables[0].inserts.encoded();
  for (const auto& u : updates) EXPECT_EQ(&u.query_sets[0].tables[0].inserts.encoded(), first);
}

TEST(SubscriptionManager, DeletesCarryTheExactBytesOfTheEarlierInsert) {
  // Proves a row without a primary key is deleted on the client by the very bytes it was
  // inserted with (protocol.md: the SDK identifies such rows by their bytes).
  store::Store store = MakeStore();
  SubscriptionManager m;
  ASSERT_TRUE(
      m.Subscribe(1, 0, Queries({"SELECT * FROM scores WHERE won = true"}), store, false).ok());
  const Bytes row = ScoreRow(3, -7, true);
  auto ins = m.OnCommit(Commit(store, {{1, row}}), store);
  ASSERT_EQ(ins.size(), 1u);
  const auto inserted = RowsOf(ins[0].query_sets[0].tables[0].inserts);
  auto del = m.OnCommit(Commit(store, {}, {{1, row}}), store);
  ASSERT_EQ(del.size(), 1u);
  EXPECT_EQ(RowsOf(del[0].query_sets[0].tables[0].deletes), inserted);
  EXPECT_TRUE(del[0].query_sets[0].tables[0].inserts.empty());
}

TEST(SubscriptionManager, UnsubscribeReturnsDroppedRowsOnlyWhenAsked) {
  // Proves Unsubscribe with dropped rows returns the set's current rows, without returns
  // none, and afterwards the set receives no updates and its id may be reused.
  store::Store store = MakeStore();
  Commit(store, {{0, PersonRow(1, "a")}, {0, PersonRow(2, "b")}});
  SubscriptionManager m;
  ASSERT_TRUE(m.Subscribe(1, 4, Queries({"SELECT * FROM people WHERE id = 2"}), store, false).ok());
  ASSERT_TRUE(m.Subscribe(1, 5, Queries({"SELECT * FROM scores"}), store, false).ok());
  auto dropped = m.Unsubscribe(1, 4, true, store);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  ASSERT_TRUE(dropped->has_value());
  ASSERT_EQ((*dropped)->tables.size(), 1u);
  EXPECT_EQ((*dropped)->tables[0].table, "people");
  EXPECT_EQ(RowsOf((*dropped)->tables[0].rows), (std::vector<Bytes>{PersonRow(2, "b")}));
  auto quiet = m.Unsubscribe(1, 5, false, store);
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(quiet->has_value());
  EXPECT_EQ(m.query_count(), 0u);
  EXPECT_EQ(m.client_count(), 0u);
  EXPECT_TRUE(
      m.OnCommit(Commit(store, {{0, PersonRow(2, "c")}}, {{0, PersonRow(2, "b")}}), store).empty());
  auto again = m.Unsubscribe(1, 4, true, store);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(again.status().message().find("query set id 4"), std::string::npos);
  EXPECT_TRUE(m.Subscribe(1, 4, Queries({"SELECT * FROM people"}), store, false).ok());
}

TEST(SubscriptionManager, InvalidSubscriptionsFailAndRegisterNothing) {
  // Proves every refused subscription names its problem with the right code and leaves
  // no query or client behind, even when earlier queries of the set were valid.
  store::Store store = MakeStore();
  SubscriptionManager m;
  ASSERT_TRUE(m.Subscribe(1, 0, Queries({"SELECT * FROM people"}), store, false).ok());
  struct Case {
    std::vector<std::string> queries;
    ErrorCode code;
    const char* fragment;
  };
  const std::vector<Case> cases = {
      {{}, ErrorCode::kInvalidArgument, "at least one query"},
      {{"SELECT id FROM people"}, ErrorCode::kUnsupported, "whole rows"},
      {{"SELECT * FROM people LIMIT 1"}, ErrorCode::kUnsupported, "LIMIT"},
      {{"SELECT * FROM vault"}, ErrorCode::kPermissionDenied, "table 'vault' is private"},
      {{"SELECT * FROM scores", "SELECT * FROM nope"},
       ErrorCode::kNotFound,
       "unknown table 'nope'"},
      {{"SELECT * FROM scores", "SELEC"}, ErrorCode::kDecode, "expected SELECT"},
      {{"SELECT * FROM scores WHERE won = 1"}, ErrorCode::kTypeMismatch, "column 'won'"},
      {std::vector<std::string>(kQueriesPerSetMax + 1, "SELECT * FROM scores"),
       ErrorCode::kInvalidArgument, "too many queries"},
  };
  for (const Case& c : cases) {
    for (ClientId client : {ClientId{1}, ClientId{2}}) {
      auto r = m.Subscribe(client, 1, c.queries, store, false);
      ASSERT_FALSE(r.ok()) << c.fragment;
      EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
      EXPECT_NE(r.status().message().find(c.fragment), std::string::npos) << r.status().ToString();
      EXPECT_EQ(m.query_count(), 1u) << c.fragment;
      EXPECT_EQ(m.client_count(), 1u) << c.fragment;
    }
  }
  auto dup = m.Subscribe(1, 0, Queries({"SELECT * FROM scores"}), store, false);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("query set id 0 is already in use"), std::string::npos);
  EXPECT_EQ(m.query_count(), 1u);
  // The original set still receives its updates.
  EXPECT_EQ(m.OnCommit(Commit(store, {{0, PersonRow(1, "a")}}), store).size(), 1u);
  // The owner may read the private table.
  EXPECT_TRUE(m.Subscribe(2, 0, Queries({"SELECT * FROM vault"}), store, true).ok());
}

TEST(SubscriptionManager, QuerySetsPerClientAreBounded) {
  // Proves the kQuerySetsPerClientMax bound: one more set is refused with a message.
  store::Store store = MakeStore();
  SubscriptionManager m;
  for (QuerySetId s = 0; s < kQuerySetsPerClientMax; ++s) {
    ASSERT_TRUE(m.Subscribe(1, s, Queries({"SELECT * FROM people"}), store, false).ok()) << s;
  }
  auto r = m.Subscribe(1, kQuerySetsPerClientMax, Queries({"SELECT * FROM people"}), store, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too many subscriptions"), std::string::npos);
  EXPECT_EQ(m.query_count(), 1u);
  m.RemoveClient(1);
  EXPECT_EQ(m.query_count(), 0u);
}

TEST(SubscriptionManager, TheSameQueryTwiceInASetCountsOnce) {
  // Proves a set listing one query twice (however spelled) gets its rows and updates once.
  store::Store store = MakeStore();
  Commit(store, {{0, PersonRow(1, "a")}});
  SubscriptionManager m;
  auto rows = m.Subscribe(1, 0, Queries({"SELECT * FROM people", "select * from \"people\""}),
                          store, false);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->tables.size(), 1u);
  auto updates = m.OnCommit(Commit(store, {{0, PersonRow(2, "b")}}), store);
  ASSERT_EQ(updates.size(), 1u);
  ASSERT_EQ(updates[0].query_sets.size(), 1u);
  EXPECT_EQ(updates[0].query_sets[0].tables.size(), 1u);
  ASSERT_TRUE(m.Unsubscribe(1, 0, false, store).ok());
  EXPECT_EQ(m.query_count(), 0u);
}

TEST(SubscriptionManager, RemoveClientReleasesEverythingButSharedQueriesStay) {
  // Proves RemoveClient forgets all of a client's sets; a query shared with another
  // client stays until its last subscriber leaves.
  store::Store store = MakeStore();
  SubscriptionManager m;
  ASSERT_TRUE(
      m.Subscribe(1, 0, Queries({"SELECT * FROM people", "SELECT * FROM scores"}), store, false)
          .ok());
  ASSERT_TRUE(m.Subscribe(1, 1, Queries({"SELECT * FROM people WHERE id = 1"}), store, false).ok());
  ASSERT_TRUE(m.Subscribe(2, 0, Queries({"SELECT * FROM people"}), store, false).ok());
  EXPECT_EQ(m.query_count(), 3u);
  m.RemoveClient(1);
  EXPECT_EQ(m.query_count(), 1u);
  EXPECT_EQ(m.client_count(), 1u);
  auto updates =
      m.OnCommit(Commit(store, {{0, PersonRow(1, "a")}, {1, ScoreRow(1, 1, true)}}), store);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].client, 2u);
  m.RemoveClient(2);
  m.RemoveClient(3);  // unknown: no effect
  EXPECT_EQ(m.query_count(), 0u);
  EXPECT_EQ(m.client_count(), 0u);
  EXPECT_TRUE(m.OnCommit(Commit(store, {{0, PersonRow(2, "b")}}), store).empty());
}

// ---- Property: a client's cache always equals its queries evaluated from scratch ----

// A comparison on one column of a small integer or string domain.
struct Cmp {
  size_t column;
  sql::CompareOp op;
  int64_t number;    // integer and bool columns
  std::string text;  // string columns
};

struct Pred {
  sql::Expr::Kind kind = sql::Expr::Kind::kCompare;
  Cmp cmp;
  std::vector<Pred> children;  // two for AND / OR
  friend bool operator<(const Pred& a, const Pred& b) { return a.Key() < b.Key(); }
  std::string Key() const {
    if (kind == sql::Expr::Kind::kCompare) {
      return "(" + std::to_string(cmp.column) + sql::CompareOpText(cmp.op) +
             std::to_string(cmp.number) + "'" + cmp.text + ")";
    }
    return std::string(kind == sql::Expr::Kind::kAnd ? "and" : "or") + children[0].Key() +
           children[1].Key();
  }
};

struct RefQuery {
  store::TableId table;
  std::optional<Pred> where;
  std::string Key() const { return std::to_string(table) + (where ? where->Key() : ""); }
};

// The decoded columns of a row of people (id, name) or scores (player, points, won).
struct RowValues {
  std::vector<int64_t> numbers;  // by column; unused for strings
  std::vector<std::string> texts;
};

RowValues Decode(store::TableId table, ByteView row) {
  RowValues v;
  ByteReader r(row);
  if (table == 0) {
    uint64_t id = 0;
    ByteView name;
    RC_ASSERT(r.Fixed(id) && r.LengthPrefixed(name));
    v.numbers = {static_cast<int64_t>(id), 0};
    v.texts = {"", std::string(AsStringView(name))};
  } else {
    uint8_t player = 0, won = 0;
    int32_t points = 0;
    RC_ASSERT(r.Fixed(player) && r.Fixed(points) && r.Fixed(won));
    v.numbers = {player, points, won};
    v.texts = {"", "", ""};
  }
  return v;
}

bool Eval(const Pred& p, store::TableId table, const RowValues& v) {
  if (p.kind == sql::Expr::Kind::kAnd)
    return Eval(p.children[0], table, v) && Eval(p.children[1], table, v);
  if (p.kind == sql::Expr::Kind::kOr)
    return Eval(p.children[0], table, v) || Eval(p.children[1], table, v);
  const bool is_text = table == 0 && p.cmp.column == 1;
  const int c = is_text ? v.texts[1].compare(p.cmp.text)
                        : (v.numbers[p.cmp.column] < p.cmp.number   ? -1
                           : v.numbers[p.cmp.column] > p.cmp.number ? 1
                                                                    : 0);
  switch (p.cmp.op) {
    case sql::CompareOp::kEq:
      return c == 0;
    case sql::CompareOp::kNe:
      return c != 0;
    case sql::CompareOp::kLt:
      return c < 0;
    case sql::CompareOp::kLe:
      return c <= 0;
    case sql::CompareOp::kGt:
      return c > 0;
    case sql::CompareOp::kGe:
      return c >= 0;
  }
  return false;
}

const char* const kPeopleColumns[] = {"id", "name"};
const char* const kScoreColumns[] = {"player", "points", "won"};
const char* const kNames[] = {"", "a", "b", "c"};

Pred GenPred(store::TableId table, int depth) {
  Pred p;
  if (depth > 0 && *rc::gen::inRange(0, 3) == 0) {
    p.kind = *rc::gen::arbitrary<bool>() ? sql::Expr::Kind::kAnd : sql::Expr::Kind::kOr;
    p.children = {GenPred(table, depth - 1), GenPred(table, depth - 1)};
    return p;
  }
  p.cmp.column = *rc::gen::inRange<size_t>(0, table == 0 ? 2 : 3);
  p.cmp.op = static_cast<sql::CompareOp>(*rc::gen::inRange(0, 6));
  if (table == 0 && p.cmp.column == 1) {
    p.cmp.text = kNames[*rc::gen::inRange(0, 4)];
  } else if (table == 1 && p.cmp.column == 2) {
    p.cmp.number = *rc::gen::inRange(0, 2);
  } else if (table == 1 && p.cmp.column == 1) {
    p.cmp.number = *rc::gen::inRange(-3, 4);
  } else {
    p.cmp.number = *rc::gen::inRange(0, 6);
  }
  return p;
}

// SQL text for `p`, in a randomly chosen spelling.
std::string Render(const Pred& p, store::TableId table, const std::string& qualifier) {
  if (p.kind != sql::Expr::Kind::kCompare) {
    return "(" + Render(p.children[0], table, qualifier) +
           (p.kind == sql::Expr::Kind::kAnd ? ") AND (" : ")  or\n(") +
           Render(p.children[1], table, qualifier) + ")";
  }
  std::string col = (table == 0 ? kPeopleColumns : kScoreColumns)[p.cmp.column];
  if (*rc::gen::arbitrary<bool>()) col = "\"" + col + "\"";
  if (!qualifier.empty() && *rc::gen::arbitrary<bool>()) col = qualifier + "." + col;
  std::string lit;
  if (table == 0 && p.cmp.column == 1) {
    lit = "'" + p.cmp.text + "'";
  } else if (table == 1 && p.cmp.column == 2) {
    lit = p.cmp.number ? "TRUE" : "false";
  } else {
    lit = std::to_string(p.cmp.number);
  }
  const char* op = sql::CompareOpText(p.cmp.op);
  if (p.cmp.op == sql::CompareOp::kNe && *rc::gen::arbitrary<bool>()) op = "<>";
  return col + " " + op + " " + lit;
}

std::string RenderQuery(const RefQuery& q) {
  const std::string table = q.table == 0 ? "people" : "scores";
  std::string text;
  std::string qualifier;
  switch (*rc::gen::inRange(0, 3)) {
    case 0:
      text = "SELECT * FROM " + table;
      qualifier = table;
      break;
    case 1:
      text = "select * from \"" + table + "\"";
      qualifier = "\"" + table + "\"";
      break;
    default:
      text = "SELECT t.* FROM " + table + " AS t";
      qualifier = "t";
      break;
  }
  if (q.where) text += " WHERE " + Render(*q.where, q.table, qualifier);
  return text;
}

using Bag = std::multiset<std::pair<std::string, Bytes>>;

// What a client holding `queries` (deduplicated as the manager does) should see.
Bag Expected(const std::vector<RefQuery>& queries, const store::Store& store) {
  Bag bag;
  std::set<std::string> seen;
  for (const RefQuery& q : queries) {
    if (!seen.insert(q.Key()).second) continue;
    const std::string name = store.table(q.table).schema().name;
    store.table(q.table).ForEach([&](store::RowId, ByteView row) {
      if (!q.where || Eval(*q.where, q.table, Decode(q.table, row)))
        bag.emplace(name, Bytes(row.begin(), row.end()));
    });
  }
  return bag;
}

void AddRows(Bag& bag, const protocol::QueryRows& rows) {
  for (const auto& t : rows.tables) {
    for (ByteView r : t.rows.Rows()) bag.emplace(t.table, Bytes(r.begin(), r.end()));
  }
}

// Runs a random transaction on people (insert / update / delete by key) and scores
// (insert / delete of a row); failed operations are skipped, as a reducer might.
store::TxDelta RandomTransaction(store::Store& store) {
  store::Transaction tx(store);
  const int ops = *rc::gen::inRange(1, 6);
  for (int i = 0; i < ops; ++i) {
    const uint64_t id = *rc::gen::inRange<uint64_t>(0, 6);
    const std::string name = kNames[*rc::gen::inRange(0, 4)];
    switch (*rc::gen::inRange(0, 5)) {
      case 0:
        tx.Insert(0, PersonRow(id, name)).status().IgnoreError();
        break;
      case 1:
        tx.UpdateByPrimaryKey(0, PersonRow(id, name)).IgnoreError();
        break;
      case 2:
        tx.DeleteByPrimaryKey(0, U64Key(id)).status().IgnoreError();
        break;
      case 3:
        tx.Insert(1, ScoreRow(static_cast<uint8_t>(*rc::gen::inRange(0, 6)),
                              *rc::gen::inRange(-3, 4), *rc::gen::arbitrary<bool>()))
            .status()
            .IgnoreError();
        break;
      default: {
        auto ids = store.table(1).LiveIds();
        if (ids.empty()) break;
        const ByteView row = store.table(1).Get(*rc::gen::elementOf(ids));
        tx.DeleteRow(1, Bytes(row.begin(), row.end())).status().IgnoreError();
      }
    }
  }
  return tx.Commit();
}

RC_GTEST_PROP(SubscriptionProperty, AppliedUpdatesEqualQueriesEvaluatedFromScratch, ()) {
  // Random subscribes, unsubscribes, disconnects and transactions: after every step each
  // query set's initial rows plus all updates applied equal its queries run from scratch,
  // updates arrive one per client in client order with sets in id order, and every
  // delete removes a row the client holds.
  store::Store store = MakeStore();
  for (int i = 0; i < 3; ++i) RandomTransaction(store);
  SubscriptionManager m;
  // client -> set -> (its queries, the rows the client holds for it)
  std::map<ClientId, std::map<QuerySetId, std::pair<std::vector<RefQuery>, Bag>>> clients;
  const int steps = *rc::gen::inRange(1, 25);
  for (int step = 0; step < steps; ++step) {
    const int action = *rc::gen::inRange(0, 10);
    if (action < 3) {  // subscribe
      const ClientId client = *rc::gen::inRange<ClientId>(1, 4);
      const QuerySetId set = *rc::gen::inRange<QuerySetId>(0, 4);
      std::vector<RefQuery> queries;
      std::vector<std::string> texts;
      const int n = *rc::gen::inRange(1, 4);
      for (int i = 0; i < n; ++i) {
        RefQuery q{static_cast<store::TableId>(*rc::gen::inRange(0, 2)), std::nullopt};
        if (*rc::gen::inRange(0, 4) != 0) q.where = GenPred(q.table, 2);
        texts.push_back(RenderQuery(q));
        queries.push_back(std::move(q));
      }
      auto rows = m.Subscribe(client, set, texts, store, false);
      if (clients[client].contains(set)) {
        RC_ASSERT(!rows.ok());
        continue;
      }
      if (!rows.ok()) RC_FAIL(rows.status().ToString());
      Bag bag;
      AddRows(bag, *rows);
      clients[client][set] = {queries, bag};
    } else if (action == 3) {  // unsubscribe
      const ClientId client = *rc::gen::inRange<ClientId>(1, 4);
      const QuerySetId set = *rc::gen::inRange<QuerySetId>(0, 4);
      auto dropped = m.Unsubscribe(client, set, true, store);
      if (!clients[client].contains(set)) {
        RC_ASSERT(!dropped.ok());
        continue;
      }
      RC_ASSERT(dropped.ok() && dropped->has_value());
      Bag gone;
      AddRows(gone, **dropped);
      RC_ASSERT(gone == clients[client][set].second);
      clients[client].erase(set);
    } else if (action == 4) {  // disconnect
      const ClientId client = *rc::gen::inRange<ClientId>(1, 4);
      m.RemoveClient(client);
      clients.erase(client);
    } else {  // a transaction
      auto updates = m.OnCommit(RandomTransaction(store), store);
      ClientId last = 0;
      for (const ClientUpdate& u : updates) {
        RC_ASSERT(u.client > last);  // one update per client, in client order
        last = u.client;
        RC_ASSERT(!u.query_sets.empty());
        // Applied as the client sees them: encoded with the shared pieces, sent as bytes,
        // decoded.
        const Bytes wire = protocol::EncodeServerMessage(
                               protocol::ServerMessage(protocol::TransactionUpdate{u.query_sets}))
                               .Flatten();
        ByteReader reader(wire);
        auto decoded = protocol::DecodeServerMessage(reader);
        RC_ASSERT(decoded.ok() && reader.at_end());
        const auto& sets = std::get<protocol::TransactionUpdate>(*decoded).query_sets;
        QuerySetId last_set = 0;
        for (size_t i = 0; i < sets.size(); ++i) {
          const auto& qs = sets[i];
          RC_ASSERT(i == 0 || qs.query_set_id > last_set);
          last_set = qs.query_set_id;
          RC_ASSERT(clients[u.client].contains(qs.query_set_id));
          Bag& bag = clients[u.client][qs.query_set_id].second;
          RC_ASSERT(!qs.tables.empty());
          for (const auto& t : qs.tables) {
            RC_ASSERT(!(t.inserts.empty() && t.deletes.empty()));
            for (ByteView r : t.deletes.Rows()) {
              auto it = bag.find({t.table_name, Bytes(r.begin(), r.end())});
              RC_ASSERT(it != bag.end());  // deletes only rows the client holds
              bag.erase(it);
            }
            for (ByteView r : t.inserts.Rows())
              bag.emplace(t.table_name, Bytes(r.begin(), r.end()));
          }
        }
      }
    }
    size_t sets = 0;
    for (auto& [client, client_sets] : clients) {
      for (auto& [set, state] : client_sets) {
        ++sets;
        RC_ASSERT(state.second == Expected(state.first, store));
      }
    }
    if (sets == 0) RC_ASSERT(m.query_count() == 0u);
  }
  for (const auto& [client, sets] : clients) m.RemoveClient(client);
  RC_ASSERT(m.query_count() == 0u);
  RC_ASSERT(m.client_count() == 0u);
}

}  // namespace
}  // namespace stdb::subscribe
