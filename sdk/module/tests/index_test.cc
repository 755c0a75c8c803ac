// Unique columns, indexes, sequences and schedule tables through the C ABI: the bytes
// the SDK sends (ranges as docs/module-abi.md "Index ranges" specifies them) and what
// the accessors return, against the fake host's reference implementation.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "encode_args.h"
#include "harness.h"
#include "stdb/bsatn.h"
#include "test_module_types.h"

namespace {

using stdb_test::Bytes;
using stdb_test::EncodeArgs;
using stdb_test::ModuleRunner;

std::string Hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // ids 1..5 in this order (the sequence allocates them).
    Add("ann", 1, 0, 0, "red");
    Add("bob", 2, 1, 5, "red");
    Add("cat", 3, 1, 2, "blue");
    Add("dan", 3, 1, -1, "red");
    Add("eve", 4, 2, 2, "blue");
  }

  void Add(const std::string& name, uint32_t level, int32_t x, int32_t y, const std::string& team) {
    const auto r = runner_.Call("add_player", EncodeArgs(name, level, x, y, team));
    ASSERT_EQ(r.code, STDB_REDUCER_OK) << r.error;
  }

  std::string LastLog() {
    const auto& logs = runner_.host().logs();
    return logs.empty() ? "" : logs.back().text;
  }

  // The ids in a LogRows line "n=<k> <id>:... <id>:...".
  std::vector<uint64_t> LoggedIds() {
    std::istringstream in(LastLog());
    std::string word;
    std::vector<uint64_t> ids;
    in >> word;  // n=<k>
    while (in >> word) ids.push_back(std::stoull(word.substr(0, word.find(':'))));
    return ids;
  }

  std::vector<test_module::Player> Players() {
    std::vector<test_module::Player> out;
    for (const Bytes& row : runner_.host().Rows("player")) {
      out.push_back(stdb::bsatn::decode<test_module::Player>(row));
    }
    return out;
  }

  ModuleRunner runner_{STDB_TEST_MODULE_PATH};
};

TEST_F(IndexTest, InsertReturnsTheRowWithItsAllocatedId) {
  // An auto-increment column inserted as 0 comes back filled in, from 1 upwards.
  EXPECT_EQ(runner_.host().logs()[0].text, "added 1:ann:1:0,0:red");
  EXPECT_EQ(LastLog(), "added 5:eve:4:2,2:blue");
  EXPECT_EQ(Players().size(), 5u);
}

TEST_F(IndexTest, UniqueColumnsFindUpdateAndRemoveByTheirKey) {
  // find by the unique name and by the primary key accessor; update replaces by key.
  ASSERT_EQ(runner_.Call("find_by_name", EncodeArgs(std::string("cat"))).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "found 3:cat:3:1,2:blue");
  ASSERT_EQ(runner_.Call("find_by_name", EncodeArgs(std::string("zed"))).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "no zed");
  ASSERT_EQ(runner_.Call("find_by_id", EncodeArgs(uint64_t{2})).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "found 2:bob:2:1,5:red");

  // rename_player updates by id (new name), then by name (level + 1).
  const auto renamed = runner_.Call("rename_player", EncodeArgs(uint64_t{2}, std::string("rob")));
  ASSERT_EQ(renamed.code, STDB_REDUCER_OK) << renamed.error;
  EXPECT_EQ(LastLog(), "renamed 2:rob:2:1,5:red");
  ASSERT_EQ(runner_.Call("find_by_name", EncodeArgs(std::string("rob"))).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "found 2:rob:3:1,5:red");

  // Taking another row's unique name fails the reducer with the host's message.
  const auto clash = runner_.Call("rename_player", EncodeArgs(uint64_t{2}, std::string("ann")));
  EXPECT_EQ(clash.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(clash.error, "table 'player': duplicate key in unique index 'player_name_key'");
  const auto dup =
      runner_.Call("add_player", EncodeArgs(std::string("ann"), 9u, 9, 9, std::string("red")));
  EXPECT_EQ(dup.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(dup.error, "table 'player': duplicate key in unique index 'player_name_key'");

  ASSERT_EQ(runner_.Call("remove_by_name", EncodeArgs(std::string("rob"))).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "removed");
  EXPECT_EQ(Hex(runner_.host().last_range()),
            "0100"
            "03000000"
            "726f62"
            "0202");
  ASSERT_EQ(runner_.Call("remove_by_name", EncodeArgs(std::string("rob"))).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "absent");
  ASSERT_EQ(runner_.Call("erase_by_id", EncodeArgs(uint64_t{1})).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "erased");
  EXPECT_EQ(Hex(runner_.host().last_range()),
            "0100"
            "0100000000000000"
            "0202");
  EXPECT_EQ(Players().size(), 3u);
}

TEST_F(IndexTest, UpdatingARowThatIsNotThereFails) {
  // update() by a unique key that no row has is STDB_ERR_NOT_FOUND, reported as such.
  const auto r = runner_.Call("rename_player", EncodeArgs(uint64_t{42}, std::string("x")));
  EXPECT_EQ(r.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(r.error, "no player 42");
}

struct FilterCase {
  uint32_t which;
  std::string range_hex;
  std::vector<uint64_t> ids;
};

TEST_F(IndexTest, FiltersEncodeTheirRangeAndReturnRowsInKeyOrder) {
  // Each filter form sends the StdbIndexRange bytes of the ABI and gets the rows in
  // index order (ties in insertion order).
  const std::vector<FilterCase> cases = {
      {0,
       "0100"
       "03000000"
       "0202",
       {3, 4}},  // level == 3
      {1,
       "0000"
       "0002000000"
       "0104000000",
       {2, 3, 4}},  // 2 <= level < 4
      {2,
       "0000"
       "0002000000"
       "0004000000",
       {2, 3, 4, 5}},  // 2 <= level <= 4
      {3,
       "0000"
       "0003000000"
       "02",
       {3, 4, 5}},  // level >= 3
      {4,
       "0000"
       "02"
       "0103000000",
       {1, 2}},  // level < 3
      {5,
       "0000"
       "02"
       "0003000000",
       {1, 2, 3, 4}},  // level <= 3
      {6,
       "0100"
       "01000000"
       "0202",
       {4, 3, 2}},  // x == 1, by y
      {7,
       "0200"
       "01000000"
       "02000000"
       "0202",
       {3}},  // (x, y) == (1, 2)
      {8,
       "0100"
       "01000000"
       "0002000000"
       "02",
       {3, 2}},  // x == 1, y >= 2
      {9,
       "0100"
       "01000000"
       "0100000000"
       "02",
       {3, 2}},  // x == 1, y > 0
      {10,
       "0000"
       "0202",
       {1, 4, 3, 2, 5}},  // every row, by (x, y)
      {11,
       "0200"
       "03000000"
       "726564"
       "03000000"
       "0202",
       {4}},  // hash: team, level
  };
  for (const FilterCase& c : cases) {
    const auto r = runner_.Call("filter_players", EncodeArgs(c.which));
    ASSERT_EQ(r.code, STDB_REDUCER_OK) << c.which << ": " << r.error;
    EXPECT_EQ(Hex(runner_.host().last_range()), c.range_hex) << c.which;
    EXPECT_EQ(LoggedIds(), c.ids) << c.which << ": " << LastLog();
  }
  EXPECT_EQ(runner_.host().scans_open(), 0u);
  EXPECT_EQ(runner_.host().bad_closes(), 0u);
}

TEST_F(IndexTest, IndexScansFetchManyBatches) {
  // An index scan is read batch by batch like a table scan, and closed at the end.
  runner_.host().set_batch_rows(1);
  ASSERT_EQ(runner_.Call("filter_players", EncodeArgs(uint32_t{10})).code, STDB_REDUCER_OK);
  EXPECT_EQ(LoggedIds(), (std::vector<uint64_t>{1, 4, 3, 2, 5}));
  ASSERT_EQ(runner_.Call("collect_level", EncodeArgs(uint32_t{3})).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "collected 2");
  EXPECT_EQ(runner_.host().scans_open(), 0u);
  EXPECT_EQ(runner_.host().bad_closes(), 0u);
}

TEST_F(IndexTest, RemoveDeletesTheRangeAndCountsIt) {
  // remove(args) takes filter's arguments and returns how many rows went.
  ASSERT_EQ(runner_.Call("remove_at", EncodeArgs(int32_t{1})).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "removed 3");
  EXPECT_EQ(Hex(runner_.host().last_range()),
            "0100"
            "01000000"
            "0202");
  ASSERT_EQ(runner_.Call("remove_levels", EncodeArgs(uint32_t{4}, uint32_t{9})).code,
            STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "removed 1");
  EXPECT_EQ(Hex(runner_.host().last_range()),
            "0000"
            "0004000000"
            "0009000000");
  ASSERT_EQ(runner_.Call("remove_levels", EncodeArgs(uint32_t{4}, uint32_t{9})).code,
            STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "removed 0");
  const auto left = Players();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].name, "ann");
}

TEST_F(IndexTest, AScheduleTableAllocatesIdsAndItsReducerTakesTheRow) {
  // Inserting into a schedule table allocates scheduled_id; the host calls the reducer
  // with the row (here the test plays the host).
  ASSERT_EQ(runner_.Call("schedule_tick", EncodeArgs(std::string("a"))).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "scheduled 1");
  ASSERT_EQ(runner_.Call("schedule_tick", EncodeArgs(std::string("b"))).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "scheduled 2");
  const Bytes row = runner_.host().Rows("tick_schedule").at(1);
  ASSERT_EQ(runner_.Call("tick", row).code, STDB_REDUCER_OK);
  EXPECT_EQ(LastLog(), "tick 2 b");
  const auto tick = stdb::bsatn::decode<test_module::Tick>(row);
  EXPECT_EQ(tick.scheduled_at, stdb::ScheduleAt::interval(stdb::TimeDuration::from_seconds(1)));
}

}  // namespace
