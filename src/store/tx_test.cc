#include "store/tx.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <map>

#include "store/store_test_util.h"

namespace stdb::store {
namespace {

using testing::PeopleSchema;
using testing::PersonRow;
using testing::U64Key;

std::map<uint64_t, std::string> Contents(const Store& s) {
  std::map<uint64_t, std::string> out;
  s.table(0).ForEach([&](RowId, ByteView row) {
    uint64_t id;
    std::memcpy(&id, row.data(), 8);
    out[id] = std::string(AsStringView(row.subspan(12)));
  });
  return out;
}

TEST(Transaction, CommitReturnsNetInsertsAndDeletes) {
  // Proves the delta reports each changed row once with its exact bytes.
  Store store({PeopleSchema()});
  {
    Transaction tx(store);
    ASSERT_TRUE(tx.Insert(0, PersonRow(1, "a")).ok());
    ASSERT_TRUE(tx.Insert(0, PersonRow(2, "b")).ok());
    tx.Commit();
  }
  Transaction tx(store);
  ASSERT_TRUE(tx.Insert(0, PersonRow(3, "c")).ok());
  ASSERT_TRUE(*tx.DeleteByPrimaryKey(0, U64Key(1)));
  ASSERT_TRUE(tx.UpdateByPrimaryKey(0, PersonRow(2, "B")).ok());
  TxDelta d = tx.Commit();
  ASSERT_EQ(d.tables.size(), 1u);
  const auto& td = d.tables[0];
  EXPECT_EQ(td.inserts, (std::vector<Bytes>{PersonRow(3, "c"), PersonRow(2, "B")}));
  EXPECT_EQ(td.deletes, (std::vector<Bytes>{PersonRow(1, "a"), PersonRow(2, "b")}));
}

TEST(Transaction, InsertThenDeleteInOneTransactionLeavesNoDelta) {
  // Proves changes that cancel out are not reported to subscribers.
  Store store({PeopleSchema()});
  Transaction tx(store);
  ASSERT_TRUE(tx.Insert(0, PersonRow(1, "a")).ok());
  ASSERT_TRUE(*tx.DeleteRow(0, PersonRow(1, "a")));
  EXPECT_TRUE(tx.Commit().empty());
}

TEST(Transaction, RollbackRestoresEveryRowExactly) {
  // Proves a failed reducer leaves no trace in the tables.
  Store store({PeopleSchema()});
  {
    Transaction tx(store);
    for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(tx.Insert(0, PersonRow(i, "x")).ok());
    tx.Commit();
  }
  auto before = Contents(store);
  {
    Transaction tx(store);
    ASSERT_TRUE(*tx.DeleteByPrimaryKey(0, U64Key(3)));
    ASSERT_TRUE(tx.Insert(0, PersonRow(3, "new")).ok());
    ASSERT_TRUE(tx.UpdateByPrimaryKey(0, PersonRow(4, "upd")).ok());
    ASSERT_TRUE(tx.Insert(0, PersonRow(100, "y")).ok());
    tx.Rollback();
  }
  EXPECT_EQ(Contents(store), before);
  EXPECT_EQ(store.table(0).FindByPrimaryKey(U64Key(3)).has_value(), true);
}

TEST(Transaction, UpdateOfMissingKeyIsNotFound) {
  // Proves update-by-key does not silently insert.
  Store store({PeopleSchema()});
  Transaction tx(store);
  EXPECT_EQ(tx.UpdateByPrimaryKey(0, PersonRow(9, "z")).code(), ErrorCode::kNotFound);
  EXPECT_EQ(tx.Insert(5, PersonRow(1, "a")).status().code(), ErrorCode::kNotFound);
  tx.Rollback();
}

TEST(Transaction, DeltaListsTablesByIdWhateverOrderTheyChanged) {
  TableSchema second = PeopleSchema();
  second.table_id = 1;
  Store store({PeopleSchema(), second});
  Transaction tx(store);
  ASSERT_TRUE(tx.Insert(1, PersonRow(1, "later table first")).ok());
  ASSERT_TRUE(tx.Insert(0, PersonRow(2, "b")).ok());
  ASSERT_TRUE(tx.Insert(1, PersonRow(3, "c")).ok());
  TxDelta d = tx.Commit();
  ASSERT_EQ(d.tables.size(), 2u);
  EXPECT_EQ(d.tables[0].table_id, 0u);
  EXPECT_EQ(d.tables[0].inserts.size(), 1u);
  EXPECT_EQ(d.tables[1].table_id, 1u);
  EXPECT_EQ(d.tables[1].inserts.size(), 2u);
}

TEST(Transaction, RandomOperationsMatchAModelAndRollbackRestoresIt) {
  // Proves, for random operation sequences, that committed state follows a simple map
  // model, the delta equals the difference of states, and rollback is exact.
  rc::check([](const std::vector<std::tuple<uint8_t, uint8_t, uint8_t>>& ops, bool commit) {
    Store store({PeopleSchema()});
    std::map<uint64_t, std::string> model;
    {
      Transaction seed(store);
      for (uint64_t i = 0; i < 8; ++i) {
        RC_ASSERT(seed.Insert(0, PersonRow(i, "s")).ok());
        model[i] = "s";
      }
      seed.Commit();
    }
    const auto before = model;
    Transaction tx(store);
    for (auto [op, key_raw, val] : ops) {
      const uint64_t key = key_raw % 16;
      const std::string name(1, static_cast<char>('a' + val % 4));
      switch (op % 3) {
        case 0: {
          auto r = tx.Insert(0, PersonRow(key, name));
          const bool clash = model.contains(key) && model[key] != name;
          RC_ASSERT(r.ok() == !clash);
          if (!clash) model[key] = name;
          break;
        }
        case 1: {
          auto r = tx.DeleteByPrimaryKey(0, U64Key(key));
          RC_ASSERT(r.ok() && *r == model.contains(key));
          model.erase(key);
          break;
        }
        default: {
          Status s = tx.UpdateByPrimaryKey(0, PersonRow(key, name));
          RC_ASSERT(s.ok() == model.contains(key));
          if (s.ok()) model[key] = name;
        }
      }
    }
    RC_ASSERT(Contents(store) == model);
    if (!commit) {
      tx.Rollback();
      RC_ASSERT(Contents(store) == before);
      return;
    }
    TxDelta d = tx.Commit();
    std::map<uint64_t, std::string> applied = before;
    for (const auto& td : d.tables) {
      for (const auto& row : td.deletes) {
        uint64_t id;
        std::memcpy(&id, row.data(), 8);
        RC_ASSERT(applied.erase(id) == 1u);
      }
      for (const auto& row : td.inserts) {
        uint64_t id;
        std::memcpy(&id, row.data(), 8);
        RC_ASSERT(applied.emplace(id, std::string(AsStringView(ByteView(row).subspan(12)))).second);
      }
    }
    RC_ASSERT(applied == model);
  });
}

}  // namespace
}  // namespace stdb::store
