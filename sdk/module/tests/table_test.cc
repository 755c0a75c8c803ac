// Table handles: insert, find, update, delete, count and scans across host batches.
#include <gtest/gtest.h>

#include <string>

#include "encode_args.h"
#include "harness.h"
#include "stdb/bsatn.h"
#include "test_module_types.h"

namespace {

using stdb_test::Bytes;
using stdb_test::EncodeArgs;
using stdb_test::ModuleRunner;
using test_module::Item;

class TableTest : public ::testing::Test {
 protected:
  std::vector<Item> Items() {
    std::vector<Item> items;
    for (const Bytes& row : runner_.host().Rows("item")) {
      items.push_back(stdb::bsatn::decode<Item>(row));
    }
    return items;
  }

  std::string LastLog() {
    const auto& logs = runner_.host().logs();
    return logs.empty() ? "" : logs.back().text;
  }

  void Fill(uint32_t count) {
    ASSERT_EQ(runner_.Call("fill_items", EncodeArgs(count)).code, STDB_REDUCER_OK);
  }

  ModuleRunner runner_{STDB_TEST_MODULE_PATH};
};

TEST_F(TableTest, InsertFindUpdateAndDeleteByPrimaryKey) {
  // The primary-key operations reach the host with keys it decodes as the key column.
  ASSERT_EQ(runner_.Call("put_item", EncodeArgs(uint64_t{5}, std::string("five"), int64_t{50}))
                .code,
            STDB_REDUCER_OK);
  EXPECT_EQ(Items(), (std::vector<Item>{{5, "five", 50}}));

  const auto updated = runner_.Call("set_value", EncodeArgs(uint64_t{5}, int64_t{55}));
  ASSERT_EQ(updated.code, STDB_REDUCER_OK) << updated.error;
  EXPECT_EQ(Items(), (std::vector<Item>{{5, "five", 55}}));

  const auto missing = runner_.Call("set_value", EncodeArgs(uint64_t{6}, int64_t{1}));
  EXPECT_EQ(missing.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(missing.error, "no item 6");

  ASSERT_EQ(runner_.Call("delete_item", EncodeArgs(uint64_t{6})).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "absent");
  ASSERT_EQ(runner_.Call("delete_item", EncodeArgs(uint64_t{5})).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "deleted");
  EXPECT_TRUE(Items().empty());
}

TEST_F(TableTest, RemoveDeletesOnlyAnIdenticalRow) {
  // remove() matches the whole row, not just the key.
  Fill(3);
  ASSERT_EQ(runner_.Call("remove_item", EncodeArgs(Item{1, "item 1", 999})).code,
            STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "absent");
  ASSERT_EQ(runner_.Call("remove_item", EncodeArgs(Item{1, "item 1", 1})).code,
            STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "removed");
  EXPECT_EQ(Items(), (std::vector<Item>{{0, "item 0", 0}, {2, "item 2", 2}}));
}

TEST_F(TableTest, ScanVisitsEveryRowAcrossManyBatches) {
  // 1000 rows in batches of 7: every row once, one iter_next per batch, scan closed.
  Fill(1000);
  runner_.host().set_batch_rows(7);
  ASSERT_EQ(runner_.Call("scan_items").code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "rows=1000 sum=499500 count=1000");
  EXPECT_EQ(runner_.host().iter_next_calls(), 143u);  // ceil(1000 / 7)
  EXPECT_EQ(runner_.host().scans_started(), 1u);
  EXPECT_EQ(runner_.host().scans_open(), 0u);
  EXPECT_EQ(runner_.host().bad_closes(), 0u);
}

TEST_F(TableTest, ScanAcceptsExhaustionReportedByAnEmptyFinalBatch) {
  // A host may also say "exhausted" in a separate call with no rows.
  Fill(1000);
  runner_.host().set_batch_rows(7);
  runner_.host().set_exhausted_with_last_batch(false);
  ASSERT_EQ(runner_.Call("scan_items").code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "rows=1000 sum=499500 count=1000");
  EXPECT_EQ(runner_.host().iter_next_calls(), 144u);
  EXPECT_EQ(runner_.host().scans_open(), 0u);
}

TEST_F(TableTest, ScanOfAnEmptyTableYieldsNothing) {
  // An empty table is one exhausted batch.
  ASSERT_EQ(runner_.Call("scan_items").code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "rows=0 sum=0 count=0");
  EXPECT_EQ(runner_.host().iter_next_calls(), 1u);
  EXPECT_EQ(runner_.host().scans_open(), 0u);
}

TEST_F(TableTest, BreakingOutOfAScanClosesIt) {
  // Leaving the loop early destroys the iterator, which closes the host scan once.
  Fill(100);
  runner_.host().set_batch_rows(10);
  ASSERT_EQ(runner_.Call("scan_first", EncodeArgs(uint32_t{5})).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "seen=5");
  EXPECT_EQ(runner_.host().scans_started(), 1u);
  EXPECT_EQ(runner_.host().scans_open(), 0u);
  EXPECT_EQ(runner_.host().bad_closes(), 0u);
}

TEST_F(TableTest, DeletingRowsDuringAScanIsSafe) {
  // Deleting the current row while scanning neither skips nor repeats rows.
  Fill(100);
  runner_.host().set_batch_rows(10);
  ASSERT_EQ(runner_.Call("scan_and_delete").code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "seen=100");
  const std::vector<Item> left = Items();
  ASSERT_EQ(left.size(), 50u);
  for (const Item& item : left) EXPECT_EQ(item.id % 2, 0u);
  EXPECT_EQ(runner_.host().scans_open(), 0u);
}

TEST_F(TableTest, EmptyBatchThatIsNotLastFailsInsteadOfLooping) {
  // A host that returns no rows without exhaustion gets an error, and the scan is closed
  // even though the iterator never finished constructing.
  Fill(3);
  runner_.host().set_empty_batch_bug(true);
  const auto failed = runner_.Call("scan_items");
  EXPECT_EQ(failed.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(failed.error,
            "table 'item': the host returned an empty batch for a scan that is not exhausted");
  EXPECT_EQ(runner_.host().scans_open(), 0u);

  ASSERT_EQ(runner_.Call("scan_catching").code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(),
            "scan failed: table 'item': the host returned an empty batch for a scan that is "
            "not exhausted");
  EXPECT_EQ(runner_.host().scans_open(), 0u);
}

TEST_F(TableTest, InsertingAnIdenticalRowChangesNothing) {
  // Re-inserting the same row is a no-op at the host and not an error.
  Fill(2);
  Fill(2);
  EXPECT_EQ(Items().size(), 2u);
}

}  // namespace
