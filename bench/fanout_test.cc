// Tests of the fan-out load generator's parsers and bookkeeping (bench/fanout_*.h): the
// parts that decide whether a run counts its rows right.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <string>
#include <utility>
#include <vector>

#include "bench/fanout_driver.h"
#include "bench/fanout_proc.h"

namespace stdb::bench::fanout {
namespace {

std::vector<std::pair<uint64_t, int64_t>> Rows(std::string_view payload, Status* status) {
  std::vector<std::pair<uint64_t, int64_t>> rows;
  *status = ParseRowText(payload, [&](uint64_t id, int64_t stamp) { rows.emplace_back(id, stamp); });
  return rows;
}

// The peers' payload gives each row's id and stamp, whatever x and y look like.
TEST(RowText, GivesIdAndStampOfEveryRow) {
  Status s;
  auto rows = Rows("7:1.5:-2:1700000000123456;107:0:1e+10:-5", &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], std::make_pair(uint64_t{7}, int64_t{1700000000123456}));
  EXPECT_EQ(rows[1], std::make_pair(uint64_t{107}, int64_t{-5}));
}

// A row with too few or too many fields, or a bad number, fails the payload.
TEST(RowText, RejectsMalformedRows) {
  for (const char* bad : {"", "7:1:2", "7:1:2:3:4", "x:1:2:3", "7:1:2:3.5", "7:1:2:3;", ";7:1:2:3"}) {
    Status s;
    Rows(bad, &s);
    EXPECT_FALSE(s.ok()) << "'" << bad << "'";
  }
}

// Transactions walk the table in blocks that wrap, and with rows_per_tx = regions each
// transaction puts exactly one row in every region.
TEST(Workload, BlocksWrapAndCoverEveryRegion) {
  Workload w{1000, 10, 10};
  ASSERT_TRUE(w.Valid().ok());
  EXPECT_EQ(w.FirstRow(0), 0u);
  EXPECT_EQ(w.FirstRow(99), 990u);
  EXPECT_EQ(w.FirstRow(100), 0u);
  std::vector<int> per_region(10, 0);
  for (uint64_t id = w.FirstRow(42); id < w.FirstRow(42) + w.rows_per_tx; ++id) {
    ++per_region[w.RegionOf(id)];
  }
  EXPECT_EQ(per_region, std::vector<int>(10, 1));
  EXPECT_FALSE((Workload{1000, 10, 300}).Valid().ok());
  EXPECT_FALSE((Workload{1000, 0, 10}).Valid().ok());
}

// A subscriber counts rows of its own region and records delays only in the window; a
// row of another region fails it.
TEST(Subscriber, CountsItsRegionAndFailsOnAForeignRow) {
  Workload w{100, 10, 10};
  Window window;
  window.from_micros = 1000;
  window.to_micros = 2000;
  Tally tally;
  Subscriber s(3, w, window, tally);
  s.OnRow(13, 500, 900);    // before the window: counted, not measured
  s.OnRow(23, 1500, 1700);  // in it: 200 us
  EXPECT_EQ(s.rows(), 2u);
  EXPECT_EQ(tally.rows_in_window, 1u);
  EXPECT_EQ(tally.delay.count(), 1u);
  EXPECT_EQ(tally.delay.max_micros(), 200u);
  EXPECT_NE(s.state(), Subscriber::State::kFailed);
  s.OnRow(14, 1500, 1600);
  EXPECT_EQ(s.state(), Subscriber::State::kFailed);
  EXPECT_EQ(s.rows(), 2u);
}

// A failure while stopping is expected and leaves the subscriber as it was.
TEST(Subscriber, IgnoresFailuresOnceStopping) {
  Workload w;
  Window window;
  Tally tally;
  Subscriber s(0, w, window, tally);
  s.OnConnected();
  s.OnSubscribed();
  s.MarkStopping();
  s.Fail(IoError("connection reset"));
  EXPECT_EQ(s.state(), Subscriber::State::kSubscribed);
}

// The command name may hold spaces and parentheses; fields count from the last ')'.
TEST(ProcStat, ParsesAfterTheLastParenthesis) {
  auto s = ParseProcStat(
      "4242 (post gres: (x) idle) S 17 4242 4242 0 -1 4194560 500 0 0 0 123 45 0 0 20 0 1 0 "
      "100 1000 10");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->ppid, 17);
  EXPECT_EQ(s->cpu_ticks, 168u);
  EXPECT_FALSE(ParseProcStat("4242 (x) S").ok());
}

// This process is the root of a tree that includes a child it starts.
TEST(ProcStat, TreeIncludesChildren) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  auto tree = ProcessTree(getpid());
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(tree.ok());
  bool found = false;
  for (const auto& p : *tree) found = found || p.pid == child;
  EXPECT_TRUE(found);
  EXPECT_TRUE(ProcessTreeCpuMicros(getpid()).ok());
  auto pss = ProcessTreePssBytes(getpid());
  ASSERT_TRUE(pss.ok()) << pss.status().ToString();
  EXPECT_GT(*pss, 0u);
  auto rss = ResidentBytes(getpid());
  ASSERT_TRUE(rss.ok());
  EXPECT_GT(*rss, 0u);
}

}  // namespace
}  // namespace stdb::bench::fanout
