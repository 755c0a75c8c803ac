// Schedule tables: Scheduler on its own, and scheduled reducers run by a Database whose
// time comes from a ManualClock (docs/module-abi.md "Schedule tables").
#include "db/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "db/database.h"
#include "db/db_test_util.h"

namespace stdb::db {
namespace {

using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;
using testing::CallHttp;
using testing::RunSql;

constexpr int64_t kNow = 1700000000000000;
const U256 kOwner{{7, 7, 7, 7}};
const U256 kModule{{1000, 0, 0, 0}};

// ---- Scheduler alone: a table (id u64 pk, at ScheduleAt).

store::TableSchema TickSchema() {
  store::TableSchema s;
  s.name = "ticks";
  s.row_type = AlgebraicType::Product(
      {Element{"id", AlgebraicType(TypeKind::kU64)}, Element{"at", AlgebraicType::ScheduleAt()}});
  s.primary_key = 0;
  s.schedule = store::ScheduleSchema{"tick", 1};
  return s;
}
Bytes TickRow(uint64_t id, bool time, int64_t micros) {
  Bytes out;
  ByteWriter w(out);
  w.U64(id);
  w.U8(time ? 1 : 0);
  w.I64(micros);
  return out;
}
Bytes Key(uint64_t id) {
  Bytes out;
  ByteWriter(out).U64(id);
  return out;
}

TEST(Scheduler, FollowsCommitsAndPopsInDueOrder) {
  // Proves Time rows are due at their time, Interval rows d after the commit, deletes
  // cancel, a re-inserted row is rescheduled from its new value, and Interval(0) never
  // fires.
  store::Store store({TickSchema()});
  Scheduler sched;
  store::TxDelta delta;
  delta.tables.push_back(store::TableDelta{
      0,
      {TickRow(1, true, 500), TickRow(2, false, 100), TickRow(3, true, 50), TickRow(4, false, 0)},
      {}});
  sched.OnCommit(store, delta, 1000);
  EXPECT_EQ(sched.size(), 3u);
  EXPECT_EQ(sched.NextDue(), 50);
  // Row 3 is deleted before it fires; row 1 moves to 2000.
  store::TxDelta change;
  change.tables.push_back(store::TableDelta{
      0, {TickRow(1, true, 2000)}, {TickRow(3, true, 50), TickRow(1, true, 500)}});
  sched.OnCommit(store, change, 1000);
  EXPECT_EQ(sched.NextDue(), 1100);
  EXPECT_FALSE(sched.PopDue(1099).has_value());
  auto a = sched.PopDue(5000);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->key, Key(2));
  EXPECT_EQ(a->at_micros, 1100);
  EXPECT_EQ(a->interval_micros, 100);
  auto b = sched.PopDue(5000);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->key, Key(1));
  EXPECT_EQ(b->at_micros, 2000);
  EXPECT_EQ(b->interval_micros, 0);
  EXPECT_FALSE(sched.PopDue(5000).has_value());
  EXPECT_EQ(sched.size(), 0u);
}

TEST(Scheduler, ManyReschedulesStayBounded) {
  // Proves superseded heap entries are compacted: rescheduling one row many times keeps
  // the scheduler at one live entry and the next due time right.
  store::Store store({TickSchema()});
  Scheduler sched;
  for (int i = 0; i < 10000; ++i) {
    store::TxDelta d;
    d.tables.push_back(store::TableDelta{0, {TickRow(1, true, 10000 - i)}, {}});
    sched.OnCommit(store, d, 0);
  }
  EXPECT_EQ(sched.size(), 1u);
  EXPECT_EQ(sched.NextDue(), 1);
}

// ---- Scheduled reducers in a Database (the SDK test module's tick_schedule / fired).

struct Fired {
  uint64_t n = 0, tick_id = 0;
  std::string note;
  bool from_module = false, has_connection = false;
  int64_t at = 0;
};

class ScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(&clock_); }
  void Open(const Clock* clock) {
    auto host = module::ModuleHost::Load(SDK_TEST_MODULE);
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    auto db = Database::Create(Database::Options{"sched", kModule, kOwner, clock},
                               std::move(host).value());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  void Schedule(const std::string& note, int64_t at, int64_t interval) {
    Bytes args;
    ByteWriter w(args);
    w.String(note);
    w.I64(at);
    w.I64(interval);
    ASSERT_TRUE(CallHttp(*db_, Caller{kOwner, 0}, "schedule_call", args).ok());
  }

  // The rows of `fired`, read through SQL (which also lets due schedules run first).
  std::vector<Fired> FiredRows() {
    auto r = RunSql(*db_, Caller{kOwner, 0}, "SELECT * FROM fired");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<Fired> out;
    if (!r.ok()) return out;
    for (const Bytes& row : (*r)[0].rows) {
      ByteReader rd(row);
      Fired f;
      uint32_t len = 0;
      uint8_t from = 0, conn = 0;
      EXPECT_TRUE(rd.Fixed(f.n) && rd.Fixed(f.tick_id) && rd.Fixed(len));
      f.note.assign(reinterpret_cast<const char*>(row.data() + rd.position()), len);
      ByteReader rest(ByteView(row).subspan(rd.position() + len));
      EXPECT_TRUE(rest.Fixed(from) && rest.Fixed(conn) && rest.Fixed(f.at));
      f.from_module = from != 0;
      f.has_connection = conn != 0;
      out.push_back(f);
    }
    std::sort(out.begin(), out.end(), [](const Fired& a, const Fired& b) { return a.n < b.n; });
    return out;
  }
  size_t ScheduledRows() {
    auto r = RunSql(*db_, Caller{kOwner, 0}, "SELECT * FROM tick_schedule");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? (*r)[0].rows.size() : 0;
  }

  ManualClock clock_{kNow};
  std::unique_ptr<Database> db_;
};

TEST_F(ScheduleTest, ATimeRowFiresOnceAtItsTimeAsTheModuleAndIsThenDeleted) {
  // Proves a Time(t) row runs its reducer at t (not before), once, with the database's
  // identity and no connection id, and its row is gone afterwards.
  Schedule("once", kNow + 1000, 0);
  EXPECT_EQ(ScheduledRows(), 1u);
  clock_.Set(kNow + 999);
  EXPECT_TRUE(FiredRows().empty());
  clock_.Set(kNow + 1000);
  auto fired = FiredRows();
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].note, "once");
  EXPECT_TRUE(fired[0].from_module);
  EXPECT_FALSE(fired[0].has_connection);
  EXPECT_EQ(fired[0].at, kNow + 1000);
  EXPECT_EQ(ScheduledRows(), 0u);
  clock_.Set(kNow + 100000);
  EXPECT_EQ(FiredRows().size(), 1u);
}

TEST_F(ScheduleTest, AnIntervalRowRepeatsWithoutBurstsUntilDeleted) {
  // Proves Interval(d) fires every d after the insert, skips ticks missed during a stall
  // instead of firing them all at once, and stops when its row is deleted.
  Schedule("every", 0, 100);
  clock_.Set(kNow + 100);
  EXPECT_EQ(FiredRows().size(), 1u);
  clock_.Set(kNow + 200);
  EXPECT_EQ(FiredRows().size(), 2u);
  clock_.Set(kNow + 5000);  // 48 ticks missed: one call, then every 100 again
  EXPECT_EQ(FiredRows().size(), 3u);
  clock_.Set(kNow + 5100);
  EXPECT_EQ(FiredRows().size(), 4u);
  Bytes id;
  ByteWriter(id).U64(FiredRows()[0].tick_id);
  ASSERT_TRUE(CallHttp(*db_, Caller{kOwner, 0}, "cancel_tick", id).ok());
  clock_.Set(kNow + 10000);
  EXPECT_EQ(FiredRows().size(), 4u);
  EXPECT_EQ(ScheduledRows(), 0u);
}

TEST_F(ScheduleTest, AFailingOneOffCallIsDroppedAndAnUpdatedRowIsRescheduled) {
  // Proves a one-off call whose reducer fails removes its row (no retry loop), and a
  // reducer that moves its own Time row to later runs again at the new time.
  Schedule("fail", kNow + 10, 0);
  Schedule("again", kNow + 20, 0);
  clock_.Set(kNow + 20);
  auto fired = FiredRows();
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].note, "again");
  EXPECT_EQ(ScheduledRows(), 1u);  // "fail" removed; "again" moved to +1 s as "moved"
  clock_.Set(kNow + 20 + 1'000'000);
  fired = FiredRows();
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[1].note, "moved");
  EXPECT_EQ(ScheduledRows(), 0u);
}

TEST_F(ScheduleTest, AOneOffRowIsDeletedEvenWhenItsReducerChangedOtherColumns) {
  // Proves the Time row is found by primary key after the call: a reducer that updates a
  // column other than the time does not keep it alive (it would fire again at once).
  Schedule("touch", kNow + 5, 0);
  clock_.Set(kNow + 5);
  EXPECT_EQ(FiredRows().size(), 1u);
  EXPECT_EQ(ScheduledRows(), 0u);
  clock_.Set(kNow + 10'000'000);
  EXPECT_EQ(FiredRows().size(), 1u);
}

TEST_F(ScheduleTest, DueTimesPastTheEndOfTimeNeverComeInsteadOfOverflowing) {
  // Proves Interval(INT64_MAX) saturates rather than wrapping to a time in the past
  // (which made it fire continuously), and a Time near INT64_MIN fires once.
  Schedule("huge", 0, INT64_MAX);
  Schedule("ancient", INT64_MIN + 1, 0);
  clock_.Set(kNow + 1'000'000'000'000);
  auto fired = FiredRows();
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].note, "ancient");
  EXPECT_EQ(ScheduledRows(), 1u);
}

TEST_F(ScheduleTest, AReducerThatDeletesItsIntervalRowStopsIt) {
  // Proves deleting the row from inside its own scheduled call ends the repetition.
  Schedule("stop", 0, 50);
  clock_.Set(kNow + 50);
  EXPECT_EQ(FiredRows().size(), 1u);
  clock_.Set(kNow + 500);
  EXPECT_EQ(FiredRows().size(), 1u);
  EXPECT_EQ(ScheduledRows(), 0u);
}

TEST_F(ScheduleTest, TheWorkerWakesByItselfOnTheRealClock) {
  // Proves the worker sleeps until the next due row and runs it without any request
  // arriving (with the system clock): an interval of 20 ms fires repeatedly.
  db_.reset();
  Open(&SystemClock::Get());
  Schedule("real", 0, 20'000);
  size_t seen = 0;
  for (int i = 0; i < 200 && seen < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto r = db_->module_log().Tail(1000);
    seen = 0;
    for (const auto& line : r) seen += line.message.rfind("tick ", 0) == 0;
  }
  EXPECT_GE(seen, 3u);
}

}  // namespace
}  // namespace stdb::db
