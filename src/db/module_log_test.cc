// Tests of ModuleLog: the bounded ring, the JSON line format, the file with its rotation
// and reload, followers (backlog split, wake-ups, the drop of a slow follower), and a
// Database writing its reducers' lines with the reducer name and the database's clock.
#include "db/module_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "db/database.h"
#include "db/db_test_util.h"

namespace stdb::db {
namespace {

namespace fs = std::filesystem;
using module::LogLevel;

LogRecord Line(int64_t ts, std::string message, std::string target = "r",
               LogLevel level = LogLevel::kInfo) {
  return LogRecord{ts, level, std::move(target), std::move(message)};
}

std::vector<std::string> Messages(const std::vector<LogRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.message);
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t CountLines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

class ModuleLogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stdb_module_log_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<ModuleLog> OpenLog(ModuleLog::Options options = {}) {
    options.dir = dir_;
    auto log = ModuleLog::Open(options);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  fs::path dir_;
};

// ---- Format ----

TEST(ModuleLogFormat, JsonLineRoundTripsEveryLevel) {
  // Proves a record survives LogRecordToJson / LogRecordFromJson for each level.
  for (auto level :
       {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug, LogLevel::kTrace}) {
    const LogRecord r = Line(1700000000123456, "hello \"world\"\n\ttab", "send_message", level);
    auto back = LogRecordFromJson(LogRecordToJson(r));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, r);
  }
}

TEST(ModuleLogFormat, JsonLineHasSpacetimeDbShape) {
  // Proves the wire shape: level name, ts in micros, target (null when unknown), message.
  EXPECT_EQ(LogRecordToJson(Line(5, "hi", "init", LogLevel::kWarn)),
            R"({"level":"Warn","ts":5,"target":"init","message":"hi"})");
  EXPECT_EQ(LogRecordToJson(Line(5, "hi", "")),
            R"({"level":"Info","ts":5,"target":null,"message":"hi"})");
}

TEST(ModuleLogFormat, InvalidUtf8IsReplacedNotThrown) {
  // Proves a module message with invalid UTF-8 still yields one valid JSON line.
  const std::string json = LogRecordToJson(Line(1, std::string("a\xff") + "b"));
  auto back = LogRecordFromJson(json);
  ASSERT_TRUE(back.ok()) << json;
  EXPECT_EQ(back->message,
            "a\xEF\xBF\xBD"
            "b");
}

TEST(ModuleLogFormat, MalformedLinesAreRejected) {
  // Proves the parser refuses torn or foreign lines instead of inventing records.
  for (const char* bad :
       {"", "{", "[]", R"({"level":"Info","ts":1})", R"({"level":"Loud","ts":1,"message":"x"})",
        R"({"level":"Info","ts":"1","message":"x"})"}) {
    EXPECT_FALSE(LogRecordFromJson(bad).ok()) << bad;
  }
}

TEST(ModuleLogFormat, LongMessageIsCutAtACharacterBoundary) {
  // Proves truncation never splits a UTF-8 sequence and says how much was cut.
  std::string message = "ab" + std::string("\xC3\xA9") + "cd";  // "abécd", é is 2 bytes
  const std::string cut = TruncateLogMessage(message, 3);       // would split é
  EXPECT_EQ(cut, "ab [4 bytes truncated]");
  EXPECT_EQ(TruncateLogMessage("short", 10), "short");
}

// ---- Ring ----

TEST(ModuleLogRing, KeepsTheNewestLinesUpToTheLineBound) {
  // Proves the ring drops the oldest lines once it holds ring_lines_max lines.
  auto log = ModuleLog::Open({.ring_lines_max = 3});
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 5; ++i) (*log)->Append(Line(i, "m" + std::to_string(i)));
  EXPECT_EQ(Messages((*log)->Tail(100)), (std::vector<std::string>{"m2", "m3", "m4"}));
  EXPECT_EQ(Messages((*log)->Tail(2)), (std::vector<std::string>{"m3", "m4"}));
  EXPECT_TRUE((*log)->Tail(0).empty());
}

TEST(ModuleLogRing, KeepsTheNewestLinesUpToTheByteBound) {
  // Proves the byte bound applies before the line bound when lines are large.
  auto log = ModuleLog::Open({.ring_lines_max = 1000, .ring_bytes_max = 3000});
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 10; ++i) (*log)->Append(Line(i, std::string(1000, 'a' + i)));
  auto tail = (*log)->Tail(1000);
  ASSERT_EQ(tail.size(), 2u);  // each line costs 1000 bytes plus its overhead
  EXPECT_EQ(tail.back().message[0], 'j');
}

TEST(ModuleLogRing, AppendTruncatesOversizedMessages) {
  // Proves one huge message cannot take the whole ring: it is cut to the message bound.
  auto log = ModuleLog::Open({});
  ASSERT_TRUE(log.ok());
  (*log)->Append(Line(1, std::string(kModuleLogMessageBytesMax + 100, 'x')));
  const auto tail = (*log)->Tail(1);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_LT(tail[0].message.size(), kModuleLogMessageBytesMax + 40);
  EXPECT_TRUE(tail[0].message.ends_with("[100 bytes truncated]"));
}

// ---- File ----

TEST_F(ModuleLogFileTest, LinesReachTheFileOnFlushAndSurviveReopen) {
  // Proves Append buffers, Flush writes JSON lines, and a reopened log has them again.
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  log->Append(Line(1, "one", "init"));
  log->Append(Line(2, "two", "", LogLevel::kError));
  EXPECT_EQ(ReadFile(dir_ / "module.log"), "");
  log->Flush();
  EXPECT_EQ(CountLines(ReadFile(dir_ / "module.log")), 2u);
  log.reset();

  auto again = OpenLog();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->Tail(10),
            (std::vector<LogRecord>{Line(1, "one", "init"), Line(2, "two", "", LogLevel::kError)}));
}

TEST_F(ModuleLogFileTest, DestructorWritesWhatIsBuffered) {
  // Proves lines appended without a Flush are still written when the log closes.
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  log->Append(Line(1, "last words"));
  log.reset();
  EXPECT_EQ(CountLines(ReadFile(dir_ / "module.log")), 1u);
}

TEST_F(ModuleLogFileTest, RotationKeepsOneOldFileAndReloadReadsBoth) {
  // Proves module.log rotates to module.log.1 at file_bytes_max, only one old file is
  // kept, and a reopened log fills its ring from module.log.1 then module.log.
  auto log = OpenLog({.file_bytes_max = 400});
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 40; ++i) {
    log->Append(Line(i, "line-" + std::to_string(i)));
    log->Flush();  // one write per line, as the database does per transaction
  }
  log.reset();
  EXPECT_TRUE(fs::exists(dir_ / "module.log.1"));
  EXPECT_FALSE(fs::exists(dir_ / "module.log.2"));
  EXPECT_LE(fs::file_size(dir_ / "module.log"), 400u);
  EXPECT_LE(fs::file_size(dir_ / "module.log.1"), 400u);
  const size_t kept =
      CountLines(ReadFile(dir_ / "module.log")) + CountLines(ReadFile(dir_ / "module.log.1"));
  EXPECT_LT(kept, 40u);

  auto again = OpenLog({.file_bytes_max = 400});
  ASSERT_NE(again, nullptr);
  const auto tail = again->Tail(1000);
  ASSERT_EQ(tail.size(), kept);
  EXPECT_EQ(tail.back().message, "line-39");
  for (size_t i = 1; i < tail.size(); ++i) EXPECT_EQ(tail[i].ts_micros, tail[i - 1].ts_micros + 1);
}

TEST_F(ModuleLogFileTest, ReloadKeepsOnlyWhatTheRingHolds) {
  // Proves the ring bound applies to lines read back from the files too.
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 20; ++i) log->Append(Line(i, "m" + std::to_string(i)));
  log.reset();
  auto again = OpenLog({.ring_lines_max = 5});
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Messages(again->Tail(100)),
            (std::vector<std::string>{"m15", "m16", "m17", "m18", "m19"}));
}

TEST_F(ModuleLogFileTest, TornLastLineIsSkippedAndTheNextLineStandsAlone) {
  // Proves a crash mid-line loses only that line: it is skipped on reload, and the next
  // line written starts on a line of its own.
  fs::create_directories(dir_);
  {
    std::ofstream out(dir_ / "module.log", std::ios::binary);
    out << LogRecordToJson(Line(1, "whole")) << "\n"
        << R"({"level":"Info","ts":2,"mes)";
  }
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(Messages(log->Tail(10)), std::vector<std::string>{"whole"});
  log->Append(Line(3, "after"));
  log.reset();
  auto again = OpenLog();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Messages(again->Tail(10)), (std::vector<std::string>{"whole", "after"}));
}

TEST_F(ModuleLogFileTest, AFullWriteBufferIsWrittenWithoutWaitingForFlush) {
  // Proves the write buffer is bounded: past kModuleLogWriteBufferBytesMax, Append writes.
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  const std::string big(32 << 10, 'b');
  const size_t lines = kModuleLogWriteBufferBytesMax / big.size() + 1;
  for (size_t i = 0; i < lines; ++i) log->Append(Line(static_cast<int64_t>(i), big));
  EXPECT_GE(fs::file_size(dir_ / "module.log"), kModuleLogWriteBufferBytesMax);
}

TEST(ModuleLogMemory, ALogWithoutAFolderWritesNoFile) {
  // Proves a memory-only log (unit-test databases) works and Flush is a no-op.
  auto log = ModuleLog::Open({});
  ASSERT_TRUE(log.ok());
  (*log)->Append(Line(1, "kept in memory"));
  (*log)->Flush();
  EXPECT_EQ(Messages((*log)->Tail(5)), std::vector<std::string>{"kept in memory"});
}

// ---- Followers ----

TEST(ModuleLogFollow, BacklogAndFollowerSplitTheLinesWithoutGapOrOverlap) {
  // Proves Follow's backlog ends where the follower's queue begins.
  auto log = ModuleLog::Open({});
  ASSERT_TRUE(log.ok());
  (*log)->Append(Line(1, "old-1"));
  (*log)->Append(Line(2, "old-2"));
  std::vector<LogRecord> backlog;
  auto follower = (*log)->Follow(1, &backlog);
  ASSERT_TRUE(follower.ok());
  EXPECT_EQ(Messages(backlog), std::vector<std::string>{"old-2"});
  (*log)->Append(Line(3, "new-3"));
  auto batch = (*follower)->Take();
  EXPECT_EQ(Messages(batch.records), std::vector<std::string>{"new-3"});
  EXPECT_FALSE(batch.ended);
  EXPECT_TRUE((*follower)->Take().records.empty());
  (*follower)->Close();
}

TEST(ModuleLogFollow, WakeFiresOnceWhenALineArrives) {
  // Proves ArmWake refuses to arm while lines are queued, and an armed wake runs once.
  auto log = ModuleLog::Open({});
  ASSERT_TRUE(log.ok());
  std::vector<LogRecord> backlog;
  auto follower = std::move((*log)->Follow(0, &backlog)).value();
  int wakes = 0;
  ASSERT_TRUE(follower->ArmWake([&] { ++wakes; }));
  (*log)->Append(Line(1, "a"));
  (*log)->Append(Line(2, "b"));
  EXPECT_EQ(wakes, 1);
  EXPECT_FALSE(follower->ArmWake([&] { ++wakes; }));  // "a" and "b" are waiting
  EXPECT_EQ(Messages(follower->Take().records), (std::vector<std::string>{"a", "b"}));
  follower->Close();
}

TEST(ModuleLogFollow, CloseDropsAnArmedWake) {
  // Proves no wake runs after Close, so the reader's state may go away at once.
  auto log = ModuleLog::Open({});
  ASSERT_TRUE(log.ok());
  std::vector<LogRecord> backlog;
  auto follower = std::move((*log)->Follow(0, &backlog)).value();
  bool woken = false;
  ASSERT_TRUE(follower->ArmWake([&] { woken = true; }));
  follower->Close();
  (*log)->Append(Line(1, "nobody listens"));
  EXPECT_FALSE(woken);
  EXPECT_EQ((*log)->follower_count(), 0u);
  EXPECT_TRUE(follower->Take().ended);
}

TEST(ModuleLogFollow, ASlowFollowerIsDroppedAndTheWriterGoesOn) {
  // Proves a follower whose queue is full is ended with `dropped`, keeps what was queued,
  // and the writer neither blocks nor keeps queueing for it.
  auto log = ModuleLog::Open({.follower_lines_max = 3});
  ASSERT_TRUE(log.ok());
  std::vector<LogRecord> backlog;
  auto slow = std::move((*log)->Follow(0, &backlog)).value();
  auto fast = std::move((*log)->Follow(0, &backlog)).value();
  for (int i = 0; i < 10; ++i) {
    (*log)->Append(Line(i, "m" + std::to_string(i)));
    if (i % 2 == 1) {
      EXPECT_EQ(fast->Take().records.size(), 2u);
    }
  }
  auto batch = slow->Take();
  EXPECT_EQ(Messages(batch.records), (std::vector<std::string>{"m0", "m1", "m2"}));
  EXPECT_TRUE(batch.dropped);
  EXPECT_TRUE(batch.ended);
  EXPECT_EQ((*log)->follower_count(), 1u);  // only `fast`
  EXPECT_EQ((*log)->Tail(100).size(), 10u);
  slow->Close();
  fast->Close();
}

TEST(ModuleLogFollow, AFollowerIsDroppedAtItsByteBoundToo) {
  // Proves the follower queue is bounded by bytes as well as lines.
  auto log = ModuleLog::Open({.follower_lines_max = 1000, .follower_bytes_max = 2500});
  ASSERT_TRUE(log.ok());
  std::vector<LogRecord> backlog;
  auto follower = std::move((*log)->Follow(0, &backlog)).value();
  for (int i = 0; i < 5; ++i) (*log)->Append(Line(i, std::string(1000, 'x')));
  auto batch = follower->Take();
  EXPECT_EQ(batch.records.size(), 2u);
  EXPECT_TRUE(batch.dropped);
  follower->Close();
}

TEST(ModuleLogFollow, EndFollowersEndsEachAfterWhatIsQueued) {
  // Proves a closing log ends its followers (wakes them) without losing queued lines.
  auto log = ModuleLog::Open({});
  ASSERT_TRUE(log.ok());
  std::vector<LogRecord> backlog;
  auto follower = std::move((*log)->Follow(0, &backlog)).value();
  (*log)->Append(Line(1, "before the end"));
  (*log)->EndFollowers();
  auto batch = follower->Take();
  EXPECT_EQ(Messages(batch.records), std::vector<std::string>{"before the end"});
  EXPECT_TRUE(batch.ended);
  EXPECT_FALSE(batch.dropped);
  bool woken = false;
  EXPECT_FALSE(follower->ArmWake([&] { woken = true; }));
  follower->Close();
}

TEST(ModuleLogFollow, FollowersAreBoundedPerDatabase) {
  // Proves Follow refuses a follower beyond kLogFollowersMax, and a closed one frees a slot.
  auto log = ModuleLog::Open({});
  ASSERT_TRUE(log.ok());
  std::vector<LogRecord> backlog;
  std::vector<std::shared_ptr<LogFollower>> followers;
  for (size_t i = 0; i < kLogFollowersMax; ++i) {
    followers.push_back(std::move((*log)->Follow(0, &backlog)).value());
  }
  auto refused = (*log)->Follow(0, &backlog);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kOverloaded);
  followers.back()->Close();
  EXPECT_TRUE((*log)->Follow(0, &backlog).ok());
  for (auto& f : followers) f->Close();
}

TEST(ModuleLogFollow, AFollowerOnAnotherThreadSeesEveryLineInOrder) {
  // Proves the writer and a reader on another thread, waiting through ArmWake, agree on
  // every line and its order (run under tsan for the data-race check).
  auto log = ModuleLog::Open({.follower_lines_max = 100000, .follower_bytes_max = 64 << 20});
  ASSERT_TRUE(log.ok());
  std::vector<LogRecord> backlog;
  auto follower = std::move((*log)->Follow(0, &backlog)).value();
  constexpr int kLines = 5000;
  std::vector<int64_t> seen;
  std::thread reader([&] {
    std::mutex mu;
    std::condition_variable cv;
    bool woken = false;
    while (seen.size() < kLines) {
      auto batch = follower->Take();
      for (const auto& r : batch.records) seen.push_back(r.ts_micros);
      if (batch.ended) break;
      if (!batch.records.empty()) continue;
      {
        std::lock_guard lock(mu);
        woken = false;
      }
      if (!follower->ArmWake([&] {
            std::lock_guard lock(mu);
            woken = true;
            cv.notify_one();
          })) {
        continue;
      }
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, testing::kWaitTimeout, [&] { return woken; }));
    }
  });
  for (int i = 0; i < kLines; ++i) (*log)->Append(Line(i, "x"));
  reader.join();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kLines));
  for (int i = 0; i < kLines; ++i) EXPECT_EQ(seen[i], i);
  follower->Close();
}

// ---- Database ----

TEST(ModuleLogDatabase, ReducerLinesCarryTheReducerNameAndTheDatabaseClock) {
  // Proves a Database records its reducers' lines with level, reducer and clock time,
  // and writes them to <dir>/module.log after the transaction.
  const fs::path dir =
      fs::temp_directory_path() / ("stdb_module_log_db_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ManualClock clock(1700000000000000);
  auto host = module::ModuleHost::Load(QUICKSTART_CHAT_MODULE);
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  Database::Options options{"chat", U256{{1, 0, 0, 0}}, U256{{2, 0, 0, 0}}, &clock};
  options.dir = dir;
  auto db = Database::Create(std::move(options), std::move(host).value());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  clock.Advance(5);
  ASSERT_TRUE(testing::CallHttp(**db, Caller{U256{{3, 0, 0, 0}}, 0}, "send_message",
                                testing::StringArg("hello logs"))
                  .ok());
  const auto tail = (*db)->module_log().Tail(10);
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0],
            (LogRecord{1700000000000000, LogLevel::kInfo, "init", "quickstart chat initialized"}));
  EXPECT_EQ(tail[1], (LogRecord{1700000000000005, LogLevel::kInfo, "send_message", "hello logs"}));
  // The call's completion runs after the reducer's flush.
  EXPECT_EQ(CountLines(ReadFile(dir / "module.log")), 2u);
  (*db)->Stop();
  db->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace stdb::db
