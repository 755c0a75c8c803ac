#include "log/commit_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "log/faulty_fs.h"
#include "log/log_record_test_util.h"

namespace stdb::log {
namespace {

namespace fs = std::filesystem;
using testing::Offsets;
using testing::Range;
using testing::ReadAll;
using testing::SampleRecord;
using testing::TempDir;

constexpr auto kWaitTimeout = std::chrono::seconds(20);
// With SampleRecord's frames (about 200 bytes), two records per segment.
constexpr uint64_t kSmallSegmentBytes = 300;

// Records what the writer thread reports, and lets a test hold the writer inside
// on_durable (so records queue up behind it deterministically).
class Observer {
 public:
  void OnDurable(uint64_t offset) {
    std::unique_lock lock(mu_);
    durable_.push_back(offset);
    in_callback_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_; });
    in_callback_ = false;
  }
  void OnFailure(const Status& why) {
    std::lock_guard lock(mu_);
    failures_.push_back(why);
    cv_.notify_all();
  }
  CommitLog::Options Options(const fs::path& dir, FileSystem& fs,
                             uint64_t segment_bytes = kDefaultSegmentBytes) {
    return {.dir = dir,
            .fs = &fs,
            .segment_bytes = segment_bytes,
            .on_durable = [this](uint64_t o) { OnDurable(o); },
            .on_failure = [this](const Status& s) { OnFailure(s); }};
  }

  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  // Waits until the writer is inside on_durable (held there if Hold was called).
  bool WaitInCallback() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitTimeout, [&] { return in_callback_; });
  }
  bool WaitDurable(uint64_t offset) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitTimeout,
                        [&] { return !durable_.empty() && durable_.back() >= offset; });
  }
  bool WaitFailure() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitTimeout, [&] { return !failures_.empty(); });
  }
  std::vector<uint64_t> durable() {
    std::lock_guard lock(mu_);
    return durable_;
  }
  std::vector<Status> failures() {
    std::lock_guard lock(mu_);
    return failures_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<uint64_t> durable_;
  std::vector<Status> failures_;
  bool hold_ = false;
  bool in_callback_ = false;
};

std::unique_ptr<CommitLog> OpenLog(const CommitLog::Options& options) {
  LogEnd end;
  ReadAll(*options.fs, options.dir, 0, &end);
  auto log = CommitLog::Open(options, end);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(log).value() : nullptr;
}

void AppendRange(CommitLog& log, uint64_t first, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) ASSERT_TRUE(log.Append(SampleRecord(first + i)).ok());
}

// A record with nothing but its offset: the smallest frame, for tests of the bounds.
TxRecord TinyRecord(uint64_t offset) {
  TxRecord r;
  r.offset = offset;
  return r;
}

std::vector<std::string> SegmentNames(const fs::path& dir) {
  auto names = FileSystem::Posix().List(dir);
  EXPECT_TRUE(names.ok());
  return names.ok() ? *names : std::vector<std::string>{};
}

TEST(CommitLog, GroupCommitCoversManyRecordsWithOneFsync) {
  // Proves records queued while the writer is busy share one write and one fsync, and
  // on_durable reports increasing offsets ending at the last record.
  TempDir dir;
  FaultyFileSystem faulty;
  Observer obs;
  obs.Hold();
  auto log = OpenLog(obs.Options(dir.path(), faulty));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(SampleRecord(0)).ok());
  ASSERT_TRUE(obs.WaitInCallback());
  const uint64_t syncs_before = faulty.syncs.load();
  AppendRange(*log, 1, 999);
  obs.Release();
  ASSERT_TRUE(log->Close().ok());

  const auto durable = obs.durable();
  ASSERT_FALSE(durable.empty());
  for (size_t i = 1; i < durable.size(); ++i) EXPECT_LT(durable[i - 1], durable[i]);
  EXPECT_EQ(durable.back(), 999u);
  EXPECT_EQ(log->durable_offset(), 999u);
  // The 999 records queued behind the held writer went out with one fsync.
  EXPECT_EQ(faulty.syncs.load() - syncs_before, 1u);
  const CommitLog::Stats stats = log->stats();
  EXPECT_EQ(stats.records, 1000u);
  EXPECT_LT(stats.syncs, stats.records);
  EXPECT_LE(stats.syncs, 2u);
  EXPECT_EQ(Offsets(ReadAll(faulty, dir.path())), Range(0, 1000));
}

TEST(CommitLog, ShortWritesStillProduceAReadableLog) {
  // Proves a file layer that writes 7 bytes at a time loses nothing.
  TempDir dir;
  FaultyFileSystem faulty;
  faulty.max_write_bytes = 7;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), faulty));
  ASSERT_NE(log, nullptr);
  AppendRange(*log, 0, 50);
  ASSERT_TRUE(log->Close().ok());
  EXPECT_GE(faulty.appends.load(), log->stats().bytes / 7);
  const auto got = ReadAll(faulty, dir.path());
  ASSERT_EQ(got.size(), 50u);
  for (uint64_t i = 0; i < 50; ++i) EXPECT_TRUE(got[i] == SampleRecord(i)) << i;
}

// A write or fsync failure: on_failure once, the durable offset stays at the last good
// fsync, later Appends fail, and the log on disk still reads back its durable prefix.
void ExpectFailureStopsTheLog(std::atomic<bool> FaultyFileSystem::*fault, std::string_view why) {
  TempDir dir;
  FaultyFileSystem faulty;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), faulty));
  ASSERT_NE(log, nullptr);
  AppendRange(*log, 0, 10);
  ASSERT_TRUE(obs.WaitDurable(9));
  (faulty.*fault) = true;
  ASSERT_TRUE(log->Append(SampleRecord(10)).ok());
  ASSERT_TRUE(obs.WaitFailure());
  EXPECT_EQ(log->durable_offset(), 9u);
  const Status later = log->Append(SampleRecord(11));
  EXPECT_EQ(later.code(), ErrorCode::kIo);
  EXPECT_NE(later.message().find(why), std::string::npos) << later.message();
  EXPECT_EQ(log->Close().code(), ErrorCode::kIo);

  const auto failures = obs.failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].message().find(why), std::string::npos) << failures[0].message();
  EXPECT_EQ(obs.durable().back(), 9u);
  EXPECT_EQ(log->durable_offset(), 9u);
  (faulty.*fault) = false;
  LogEnd end;
  const auto got = ReadAll(faulty, dir.path(), 0, &end);
  ASSERT_GE(got.size(), 10u);
  EXPECT_EQ(Offsets(got).front(), 0u);
  EXPECT_LE(got.size(), 11u);
}

TEST(CommitLog, FailedFsyncStopsTheLog) {
  // Proves a failed fsync is never retried and nothing after it is reported durable.
  ExpectFailureStopsTheLog(&FaultyFileSystem::fail_sync, "fsync failed");
}

TEST(CommitLog, FailedWriteStopsTheLogAndLeavesATornTail) {
  // Proves a half-written group stops the log, and recovery cuts the half record off.
  ExpectFailureStopsTheLog(&FaultyFileSystem::fail_append, "write failed");
  TempDir dir;
  FaultyFileSystem faulty;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), faulty));
  ASSERT_NE(log, nullptr);
  AppendRange(*log, 0, 3);
  ASSERT_TRUE(obs.WaitDurable(2));
  faulty.fail_append = true;
  ASSERT_TRUE(log->Append(SampleRecord(3)).ok());
  EXPECT_FALSE(log->Close().ok());
  LogEnd end;
  EXPECT_EQ(Offsets(ReadAll(faulty, dir.path(), 0, &end)), Range(0, 3));
  ASSERT_EQ(end.notices.size(), 1u);
  EXPECT_NE(end.notices[0].find("torn record"), std::string::npos);
}

TEST(CommitLog, SegmentsRollAndOldOnesCanBeRemoved) {
  // Proves segments roll at segment_bytes, RemoveSegmentsBefore removes only segments
  // wholly below the offset and never the active one, and appending continues after.
  TempDir dir;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), FileSystem::Posix(), kSmallSegmentBytes));
  ASSERT_NE(log, nullptr);
  AppendRange(*log, 0, 20);
  ASSERT_TRUE(obs.WaitDurable(19));
  const auto names = SegmentNames(dir.path());
  ASSERT_EQ(names.size(), 10u);
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], SegmentFileName(2 * i));

  ASSERT_TRUE(log->RemoveSegmentsBefore(11).ok());
  EXPECT_EQ(SegmentNames(dir.path()).front(), SegmentFileName(10));
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), 11)), Range(11, 9));

  ASSERT_TRUE(log->RemoveSegmentsBefore(1000).ok());
  EXPECT_EQ(SegmentNames(dir.path()), std::vector<std::string>{SegmentFileName(18)});
  AppendRange(*log, 20, 5);
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), 18)), Range(18, 7));
}

// Copies what DurablePrefix returned into `to` and closes the descriptors.
void CopySegments(std::vector<CommitLog::SegmentCopy> copies, const fs::path& to) {
  ASSERT_TRUE(FileSystem::Posix().CreateDirectories(to).ok());
  for (const CommitLog::SegmentCopy& c : copies) {
    Bytes data(c.bytes);
    ASSERT_EQ(::pread(c.fd, data.data(), data.size(), 0), static_cast<ssize_t>(c.bytes));
    ::close(c.fd);
    ASSERT_TRUE(FileSystem::Posix().WriteFileDurably(to / c.file_name, data).ok());
  }
}

TEST(CommitLog, DurablePrefixCopiesExactlyTheDurableRecords) {
  // Proves a backup built from DurablePrefix reads back as records [from, up_to] with
  // no torn tail, across segments, and leaves out a segment whose start failed.
  TempDir dir;
  FaultyFileSystem faulty;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), faulty, kSmallSegmentBytes));
  ASSERT_NE(log, nullptr);
  AppendRange(*log, 0, 15);
  ASSERT_TRUE(obs.WaitDurable(14));
  // Record 15 fills segment 14; record 16 would start a new segment, which fails.
  ASSERT_TRUE(log->Append(SampleRecord(15)).ok());
  ASSERT_TRUE(obs.WaitDurable(15));
  faulty.fail_sync = true;
  ASSERT_TRUE(log->Append(SampleRecord(16)).ok());
  ASSERT_TRUE(obs.WaitFailure());

  uint64_t up_to = 0;
  auto copies = log->DurablePrefix(5, up_to);
  ASSERT_TRUE(copies.ok()) << copies.status().ToString();
  EXPECT_EQ(up_to, 15u);
  ASSERT_FALSE(copies->empty());
  EXPECT_EQ(copies->front().file_name, SegmentFileName(4));
  EXPECT_EQ(copies->back().file_name, SegmentFileName(14));
  const fs::path backup = dir.path() / "backup";
  CopySegments(std::move(copies).value(), backup);
  LogEnd end;
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), backup, 5, &end)), Range(5, 11));
  EXPECT_TRUE(end.notices.empty());
  EXPECT_EQ(end.next_offset, 16u);
}

TEST(CommitLog, DurablePrefixStopsBeforeUnsyncedBytesOfTheActiveSegment) {
  // Proves the last copy is cut at the durable end, not at the file's size.
  TempDir dir;
  FaultyFileSystem faulty;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), faulty));
  ASSERT_NE(log, nullptr);
  AppendRange(*log, 0, 4);
  ASSERT_TRUE(obs.WaitDurable(3));
  faulty.fail_sync = true;
  ASSERT_TRUE(log->Append(SampleRecord(4)).ok());
  ASSERT_TRUE(obs.WaitFailure());
  uint64_t up_to = 0;
  auto copies = log->DurablePrefix(0, up_to);
  ASSERT_TRUE(copies.ok());
  EXPECT_EQ(up_to, 3u);
  ASSERT_EQ(copies->size(), 1u);
  EXPECT_LT((*copies)[0].bytes, fs::file_size(dir.path() / SegmentFileName(0)));
  const fs::path backup = dir.path() / "backup";
  CopySegments(std::move(copies).value(), backup);
  LogEnd end;
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), backup, 0, &end)), Range(0, 4));
  EXPECT_TRUE(end.notices.empty());
}

TEST(CommitLog, DurablePrefixOfRemovedRecordsIsNotFound) {
  // Proves a backup cannot silently start later than asked.
  TempDir dir;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), FileSystem::Posix(), kSmallSegmentBytes));
  ASSERT_NE(log, nullptr);
  AppendRange(*log, 0, 8);
  ASSERT_TRUE(obs.WaitDurable(7));
  ASSERT_TRUE(log->RemoveSegmentsBefore(4).ok());
  uint64_t up_to = 0;
  EXPECT_EQ(log->DurablePrefix(1, up_to).status().code(), ErrorCode::kNotFound);
  auto copies = log->DurablePrefix(4, up_to);
  ASSERT_TRUE(copies.ok());
  EXPECT_EQ(up_to, 7u);
  CopySegments(std::move(copies).value(), dir.path() / "backup");
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path() / "backup", 4)), Range(4, 4));
}

TEST(CommitLog, AppendBlocksWhileThePendingQueueIsFull) {
  // Proves the queue bound: with the writer stalled, the record past kPendingRecordsMax
  // waits until the writer catches up, and then nothing is lost.
  TempDir dir;
  Observer obs;
  obs.Hold();
  auto log = OpenLog(obs.Options(dir.path(), FileSystem::Posix()));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(TinyRecord(0)).ok());
  ASSERT_TRUE(obs.WaitInCallback());
  for (uint64_t i = 1; i < kPendingRecordsMax; ++i) {
    ASSERT_TRUE(log->Append(TinyRecord(i)).ok());
  }
  std::atomic<bool> appended{false};
  std::thread worker([&] {
    EXPECT_TRUE(log->Append(TinyRecord(kPendingRecordsMax)).ok());
    appended = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(appended.load());
  obs.Release();
  worker.join();
  EXPECT_TRUE(appended.load());
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(log->durable_offset(), kPendingRecordsMax);
  EXPECT_EQ(ReadAll(FileSystem::Posix(), dir.path()).size(), kPendingRecordsMax + 1);
}

TEST(CommitLog, AHeldGroupIsWrittenWithOneFsyncWhenReleased) {
  // Proves Hold keeps the writer off records appended meanwhile (none is durable while
  // held, however long) and Release hands all of them over as one group.
  TempDir dir;
  FaultyFileSystem faulty;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), faulty));
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(SampleRecord(0)).ok());
  ASSERT_TRUE(obs.WaitDurable(0));
  const uint64_t syncs_before = faulty.syncs.load();
  log->Hold();
  AppendRange(*log, 1, 50);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(log->durable_offset(), 0u) << "the writer took records of a held group";
  log->Release();
  ASSERT_TRUE(obs.WaitDurable(50));
  EXPECT_EQ(faulty.syncs.load() - syncs_before, 1u);
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(Offsets(ReadAll(faulty, dir.path())), Range(0, 51));
}

TEST(CommitLog, AHeldGroupThatFillsTheBoundsIsWrittenWithoutWaitingForRelease) {
  // Proves the hold yields to the pending bound: an appender that holds its group past
  // kPendingRecordsMax records does not wait forever for room only Release would make.
  TempDir dir;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), FileSystem::Posix()));
  ASSERT_NE(log, nullptr);
  log->Hold();
  for (uint64_t i = 0; i <= kPendingRecordsMax + 10; ++i) {
    ASSERT_TRUE(log->Append(TinyRecord(i)).ok());
  }
  ASSERT_TRUE(obs.WaitDurable(kPendingRecordsMax - 1));
  log->Release();
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(log->durable_offset(), kPendingRecordsMax + 10);
}

TEST(CommitLog, ReopenContinuesAfterTheLastRecord) {
  // Proves records appended after a restart follow the old ones, and Close is idempotent.
  TempDir dir;
  Observer obs;
  {
    auto log = OpenLog(obs.Options(dir.path(), FileSystem::Posix()));
    ASSERT_NE(log, nullptr);
    AppendRange(*log, 0, 3);
    ASSERT_TRUE(log->Close().ok());
    ASSERT_TRUE(log->Close().ok());
  }
  auto log = OpenLog(obs.Options(dir.path(), FileSystem::Posix()));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_offset(), 3u);
  EXPECT_EQ(log->durable_offset(), 2u);
  AppendRange(*log, 3, 2);
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path())), Range(0, 5));
}

}  // namespace
}  // namespace stdb::log

namespace stdb::log {
namespace {

uint64_t FileBytes(const fs::path& p) { return fs::file_size(p); }

TEST(CommitLog, PreallocatedSegmentsAreOverwrittenAndTheirZerosCutAtRollAndClose) {
  // Proves a segment started from a prepared file of zeros holds the same records as an
  // appended one: while open it is longer than its records (the zeros), a copy taken
  // then (a crash) reads every durable record with the zeros as a torn tail, and rolls
  // and Close cut the zeros, so a clean log reads back without notices.
  TempDir dir;
  Observer obs;
  constexpr uint64_t kSegmentBytes = 4096;  // about 20 records
  CommitLog::Options options = obs.Options(dir.path(), FileSystem::Posix(), kSegmentBytes);
  options.preallocate = true;
  auto log = OpenLog(options);
  ASSERT_NE(log, nullptr);
  // Records one at a time until two segments started from prepared files (the preparer
  // runs beside the writer, so how many records that takes varies).
  uint64_t next = 0;
  while (log->stats().preallocated_segments < 2 && next < 20000) {
    ASSERT_TRUE(log->Append(SampleRecord(next)).ok());
    ASSERT_TRUE(obs.WaitDurable(next));
    ++next;
  }
  ASSERT_GE(log->stats().preallocated_segments, 2u) << next << " records";
  // The next segment's spare (being prepared, or ready) is not a segment.
  std::vector<std::string> names;
  for (const auto& n : SegmentNames(dir.path())) {
    if (ParseSegmentFileName(n)) names.push_back(n);
  }
  ASSERT_GE(names.size(), 3u);
  // The active segment still has zeros after its records; the others were cut.
  const std::string active = names.back();
  EXPECT_EQ(FileBytes(dir.path() / active), kSegmentBytes);
  for (size_t i = 0; i + 1 < names.size(); ++i) {
    EXPECT_LT(FileBytes(dir.path() / names[i]), kSegmentBytes + 300) << names[i];
  }

  // A crash now: the copy reads every durable record; the zeros are a torn tail.
  const fs::path crashed = dir.path() / "crashed";
  fs::create_directories(crashed);
  for (const auto& n : names) fs::copy_file(dir.path() / n, crashed / n);
  LogEnd crashed_end;
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), crashed, 0, &crashed_end)), Range(0, next));
  ASSERT_EQ(crashed_end.notices.size(), 1u);
  EXPECT_NE(crashed_end.notices[0].find("zero-filled tail"), std::string::npos)
      << crashed_end.notices[0];
  EXPECT_EQ(crashed_end.next_offset, next);

  ASSERT_TRUE(log->Close().ok());
  fs::remove_all(crashed);
  EXPECT_FALSE(fs::exists(dir.path() / "next-segment.stdblog-spare"));
  LogEnd end;
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), 0, &end)), Range(0, next));
  EXPECT_TRUE(end.notices.empty()) << end.notices[0];
  EXPECT_LT(FileBytes(dir.path() / active), kSegmentBytes);

  // Appending continues after a restart, into preallocated segments again.
  log = OpenLog(options);
  ASSERT_NE(log, nullptr);
  AppendRange(*log, next, 100);
  ASSERT_TRUE(obs.WaitDurable(next + 99));
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), 0, &end)), Range(0, next + 100));
  EXPECT_TRUE(end.notices.empty());
}

TEST(CommitLog, GroupsStayWithinReadLogsTornTailWindow) {
  // Proves no write + fsync covers more than kGroupBytesMax bytes (ReadLog treats
  // damage that far from the end of the last segment as corruption), except a larger
  // record, which is written alone with its frame header synced first, so its checked
  // length bounds a torn tail.
  TempDir dir;
  FaultyFileSystem faulty;
  Observer obs;
  auto log = OpenLog(obs.Options(dir.path(), faulty));
  ASSERT_NE(log, nullptr);
  obs.Hold();  // the first record's group is held, so the rest queue up as one batch
  for (uint64_t i = 0; i < 12; ++i) {
    TxRecord r = SampleRecord(i);
    r.args.assign(200u << 10, static_cast<uint8_t>(i));
    ASSERT_TRUE(log->Append(std::move(r)).ok());
    if (i == 0) {
      ASSERT_TRUE(obs.WaitInCallback());
    }
  }
  obs.Release();
  ASSERT_TRUE(obs.WaitDurable(11));
  {
    std::lock_guard lock(faulty.sync_mu);
    ASSERT_GE(faulty.bytes_per_sync.size(), 4u);  // the header, record 0, >= 2 groups
    for (uint64_t b : faulty.bytes_per_sync) EXPECT_LE(b, kGroupBytesMax);
    faulty.bytes_per_sync.clear();
  }
  TxRecord big = SampleRecord(12);
  big.args.assign(3u << 20, 0x5a);
  ASSERT_TRUE(log->Append(std::move(big)).ok());
  ASSERT_TRUE(obs.WaitDurable(12));
  {
    std::lock_guard lock(faulty.sync_mu);
    ASSERT_EQ(faulty.bytes_per_sync.size(), 2u);
    EXPECT_GE(faulty.bytes_per_sync[0], kFrameHeaderBytes);  // the header's page first
    EXPECT_LE(faulty.bytes_per_sync[0], 4096u);
    EXPECT_GT(faulty.bytes_per_sync[1], kGroupBytesMax);
    EXPECT_GT(faulty.bytes_per_sync[0] + faulty.bytes_per_sync[1], 3u << 20);
  }
  ASSERT_TRUE(log->Close().ok());
  LogEnd end;
  EXPECT_EQ(Offsets(ReadAll(FileSystem::Posix(), dir.path(), 0, &end)), Range(0, 13));
  EXPECT_TRUE(end.notices.empty());
}

}  // namespace
}  // namespace stdb::log
