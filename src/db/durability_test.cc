// Tests of a durable Database: state survives a restart (log replay, snapshots, module
// updates, sequences), results wait for durability (confirmed reads) and a failed
// commit log stops writes with a reason. Damaged files are made with the helpers in
// log/faulty_fs.h; faults while running come from a FaultyFileSystem.
#include "db/durability.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "db/database.h"
#include "db/db_test_util.h"
#include "log/faulty_fs.h"
#include "log/log_record_test_util.h"
#include "log/segment.h"
#include "log/snapshot.h"

namespace stdb::db {
namespace {

namespace fs = std::filesystem;
using testing::CallHttp;
using testing::FakeOutbox;
using testing::RunSql;
using testing::StringArg;

constexpr int64_t kNow = 1700000000000000;
const U256 kOwner = U256{{1, 2, 3, 4}};

U256 Id(uint64_t n) { return U256{{n, 0, 0, 0x5eed}}; }

std::unique_ptr<module::ModuleHost> LoadModule(const char* path) {
  auto host = module::ModuleHost::Load(path);
  EXPECT_TRUE(host.ok()) << host.status().ToString();
  return host.ok() ? std::move(host).value() : nullptr;
}

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stdb-durability-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }

  DurabilityOptions Durable() {
    DurabilityOptions d;
    d.dir = dir_;
    d.fs = fs_;
    d.snapshot_every_tx = snapshot_every_tx_;
    d.segment_bytes = segment_bytes_;
    return d;
  }

  Result<std::unique_ptr<Database>> Create(const char* module = QUICKSTART_CHAT_MODULE) {
    Database::Options o{"chat", Id(1000), kOwner, &clock_};
    o.dir = dir_;  // the module log too, so a test can see init ran once
    o.durability = Durable();
    return Database::Create(std::move(o), LoadModule(module));
  }

  // Opens (or reopens) the database; fails the test if it cannot.
  void Open(const char* module = QUICKSTART_CHAT_MODULE) {
    db_.reset();
    auto db = Create(module);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  Status Send(std::string_view text) {
    return CallHttp(*db_, Caller{Id(7), 0}, "send_message", StringArg(text));
  }

  // Rows of `table` as text ("<hex>" per row), sorted, via SQL as the owner.
  std::vector<std::string> Rows(const std::string& query) {
    auto r = RunSql(*db_, Caller{kOwner, 0}, query);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    if (!r.ok()) return out;
    for (const Bytes& row : (*r)[0].rows) out.push_back(ToHex(row));
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> Files(const fs::path& sub) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_ / sub)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
  log::FileSystem* fs_ = &log::FileSystem::Posix();
  uint64_t snapshot_every_tx_ = 1'000'000;
  uint64_t segment_bytes_ = log::kDefaultSegmentBytes;
  ManualClock clock_{kNow};
  std::unique_ptr<Database> db_;
};

TEST_F(DurabilityTest, CommittedTransactionsSurviveARestartAndInitRunsOnce) {
  Open();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Send("m" + std::to_string(i)).ok());
  ASSERT_TRUE(RunSql(*db_, Caller{kOwner, 0}, "DELETE FROM message WHERE text = 'm3'").ok());
  const auto before = Rows("SELECT * FROM message");
  ASSERT_EQ(before.size(), 49u);
  Open();
  EXPECT_EQ(Rows("SELECT * FROM message"), before);
  // init ran once, when the database was created: its log line is not there twice.
  size_t inits = 0;
  for (const auto& line : db_->module_log().Tail(100)) {
    inits += line.message == "quickstart chat initialized";
  }
  EXPECT_EQ(inits, 1u);
  ASSERT_TRUE(Send("after").ok());
  Open();
  EXPECT_EQ(Rows("SELECT * FROM message").size(), 50u);
}

TEST_F(DurabilityTest, SequencesNeverHandOutAValueAgainAfterARestart) {
  Open(SDK_TEST_MODULE);
  const Caller owner{kOwner, 0};
  ASSERT_TRUE(RunSql(*db_, owner,
                     "INSERT INTO player (id, name, level, x, y, team) VALUES (0, 'a', 1, 0, 0, 't')")
                  .ok());
  ASSERT_TRUE(RunSql(*db_, owner, "DELETE FROM player WHERE name = 'a'").ok());
  Open(SDK_TEST_MODULE);
  ASSERT_TRUE(RunSql(*db_, owner,
                     "INSERT INTO player (id, name, level, x, y, team) VALUES (0, 'b', 1, 0, 0, 't')")
                  .ok());
  auto r = RunSql(*db_, owner, "SELECT id FROM player WHERE name = 'b'");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)[0].rows.size(), 1u);
  // id 1 went to 'a' (deleted since); 'b' gets 2, not 1 again.
  EXPECT_EQ(ToHex((*r)[0].rows[0]), "0200000000000000");
}

TEST_F(DurabilityTest, SnapshotsAreTakenAndOldSegmentsRemoved) {
  snapshot_every_tx_ = 40;
  segment_bytes_ = 4096;
  Open();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(Send("message number " + std::to_string(i)).ok());
  const auto before = Rows("SELECT * FROM message");
  Open();  // closing waits for the snapshot in progress
  auto snaps = Files("snapshots");
  EXPECT_EQ(snaps.size(), 2u) << "the newest two snapshots are kept";
  auto segments = Files("log");
  ASSERT_FALSE(segments.empty());
  // Every segment left holds records after the older snapshot, or the one just before.
  auto older = log::ParseSnapshotFileName(snaps.front());
  ASSERT_TRUE(older.has_value());
  EXPECT_GT(*log::ParseSegmentFileName(segments.front()), 0u) << "the first segment was removed";
  EXPECT_LE(*log::ParseSegmentFileName(segments.front()), *older + 1);
  EXPECT_EQ(Rows("SELECT * FROM message"), before);
}

TEST_F(DurabilityTest, ADamagedNewestSnapshotStopsStartUpAndNamesTheWayOut) {
  snapshot_every_tx_ = 30;
  Open();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Send("m" + std::to_string(i)).ok());
  const auto before = Rows("SELECT * FROM message");
  db_.reset();
  auto snaps = Files("snapshots");
  ASSERT_EQ(snaps.size(), 2u);
  const fs::path newest = dir_ / "snapshots" / snaps.back();
  ASSERT_TRUE(log::TruncateFile(newest, fs::file_size(newest) / 2).ok());
  auto failed = Create();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), ErrorCode::kDecode);
  EXPECT_NE(failed.status().message().find(newest.string()), std::string::npos)
      << failed.status().message();
  EXPECT_NE(failed.status().message().find(snaps.front()), std::string::npos)
      << "offers the previous snapshot: " << failed.status().message();
  // Doing what the message says recovers every transaction.
  fs::rename(newest, dir_ / "damaged.stdbsnap");
  Open();
  EXPECT_EQ(Rows("SELECT * FROM message"), before);
}

TEST_F(DurabilityTest, ATornTailIsCutOffAndAppendingContinues) {
  Open();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Send("m" + std::to_string(i)).ok());
  db_.reset();
  const fs::path segment = dir_ / "log" / Files("log").back();
  const auto size = fs::file_size(segment);
  ASSERT_TRUE(log::TruncateFile(segment, size - 3).ok());  // the last record is torn
  Open();
  EXPECT_EQ(Rows("SELECT * FROM message").size(), 9u);
  ASSERT_TRUE(Send("next").ok());
  Open();
  EXPECT_EQ(Rows("SELECT * FROM message").size(), 10u);
}

TEST_F(DurabilityTest, AFlippedBitInTheMiddleOfTheLogStopsStartUp) {
  Open();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Send("message " + std::to_string(i)).ok());
  db_.reset();
  const fs::path segment = dir_ / "log" / Files("log").back();
  ASSERT_TRUE(log::FlipBit(segment, fs::file_size(segment) / 2, 3).ok());
  auto failed = Create();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), ErrorCode::kDecode);
  EXPECT_NE(failed.status().message().find(segment.string()), std::string::npos)
      << failed.status().message();
}

TEST_F(DurabilityTest, ModuleUpdatesAreReplayed) {
  Open(SDK_TEST_MODULE);
  const Caller owner{kOwner, 0};
  ASSERT_TRUE(RunSql(*db_, owner,
                     "INSERT INTO player (id, name, level, x, y, team) VALUES (0, 'a', 1, 0, 0, 't')")
                  .ok());
  // A compatible update keeps the row; after a restart it is still there.
  std::promise<Status> updated;
  ASSERT_TRUE(db_->UpdateModule(LoadModule(SDK_TEST_MODULE), false, std::nullopt,
                                [&](Status s) { updated.set_value(s); })
                  .ok());
  ASSERT_TRUE(updated.get_future().get().ok());
  Open(SDK_TEST_MODULE);
  EXPECT_EQ(Rows("SELECT * FROM player").size(), 1u);
  // A clearing update empties the tables, also after a restart.
  std::promise<Status> cleared;
  ASSERT_TRUE(db_->UpdateModule(LoadModule(SDK_TEST_MODULE), true, std::nullopt,
                                [&](Status s) { cleared.set_value(s); })
                  .ok());
  ASSERT_TRUE(cleared.get_future().get().ok());
  Open(SDK_TEST_MODULE);
  EXPECT_TRUE(Rows("SELECT * FROM player").empty());
}

TEST_F(DurabilityTest, AModuleThatDoesNotFitTheStoredDataIsRefused) {
  Open();
  ASSERT_TRUE(Send("kept").ok());
  db_.reset();
  auto other = Create(SDK_TEST_MODULE);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(other.status().message().find("does not match the stored data"), std::string::npos)
      << other.status().message();
  Open();  // the data was not touched
  EXPECT_EQ(Rows("SELECT * FROM message").size(), 1u);
}

class FailingDiskTest : public DurabilityTest {
 protected:
  void SetUp() override {
    DurabilityTest::SetUp();
    fs_ = &faulty_;
  }
  log::FaultyFileSystem faulty_;
};

TEST_F(FailingDiskTest, GroupCommitCoversManyTransactionsPerFsync) {
  Open();
  auto outbox = std::make_shared<FakeOutbox>();
  ASSERT_TRUE(db_->Connect(1, Caller{Id(1), 1}, "t", outbox).ok());
  outbox->WaitFor(1);
  const uint64_t syncs_before = faulty_.syncs.load();
  constexpr int kCalls = 2000;
  for (uint32_t i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(
        db_->HandleMessage(1, protocol::CallReducer{i, 0, "send_message", StringArg("x" + std::to_string(i))})
            .ok());
  }
  auto all = outbox->WaitFor(1 + kCalls);
  ASSERT_EQ(all.size(), 1u + kCalls);
  const uint64_t syncs = faulty_.syncs.load() - syncs_before;
  EXPECT_GE(syncs, 1u);
  EXPECT_LT(syncs, uint64_t{kCalls}) << "one fsync must cover several transactions";
}

TEST_F(DurabilityTest, ABatchsMessagesOverTheHeldBoundStillArriveInCommitOrder) {
  // Proves that the messages of transactions for confirmed clients, handed to the
  // release queue in entries of at most kHeldSendsMax, reach every client complete and
  // in commit order. Each call makes 1 reply + kSubscribers updates, so calls that one
  // worker batch takes together (all but the first, in practice: each takes ~1 ms)
  // fill entries that hold two messages for many clients.
  Open();
  constexpr ClientId kSubscribers = kHeldSendsMax / 2 + 88;
  constexpr uint32_t kCalls = 10;
  std::vector<std::shared_ptr<FakeOutbox>> outboxes;
  for (ClientId id = 1; id <= kSubscribers + 1; ++id) {
    outboxes.push_back(std::make_shared<FakeOutbox>());
    ASSERT_TRUE(db_->Connect(id, Caller{Id(id), id}, "t", outboxes.back()).ok());
    ASSERT_TRUE(db_->HandleMessage(id, protocol::Subscribe{1, 0, {"SELECT * FROM message"}}).ok());
    outboxes.back()->WaitFor(2);  // InitialConnection, SubscribeApplied
  }
  for (uint32_t i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(db_->HandleMessage(1, protocol::CallReducer{i, 0, "send_message",
                                                             StringArg("m" + std::to_string(i))})
                    .ok());
  }
  // The text a message row ends with (the row's last field).
  auto ends_with = [](ByteView row, const std::string& text) {
    return row.size() >= text.size() &&
           std::equal(text.begin(), text.end(), row.end() - static_cast<ptrdiff_t>(text.size()));
  };
  auto caller = outboxes[0]->WaitFor(2 + kCalls);
  ASSERT_EQ(caller.size(), 2u + kCalls);
  for (uint32_t i = 0; i < kCalls; ++i) {
    const auto* r = std::get_if<protocol::ReducerResult>(&caller[2 + i]);
    ASSERT_NE(r, nullptr) << "message " << 2 + i;
    EXPECT_EQ(r->request_id, i);
    EXPECT_EQ(r->outcome.kind, protocol::ReducerOutcome::Kind::kOk);
  }
  for (size_t c = 1; c < outboxes.size(); ++c) {
    auto all = outboxes[c]->WaitFor(2 + kCalls);
    ASSERT_EQ(all.size(), 2u + kCalls) << "client " << c + 1;
    for (uint32_t i = 0; i < kCalls; ++i) {
      const auto* u = std::get_if<protocol::TransactionUpdate>(&all[2 + i]);
      ASSERT_NE(u, nullptr) << "client " << c + 1 << " message " << 2 + i;
      ASSERT_EQ(u->query_sets.size(), 1u);
      ASSERT_EQ(u->query_sets[0].tables.size(), 1u);
      auto rows = u->query_sets[0].tables[0].inserts.Rows();
      ASSERT_EQ(rows.size(), 1u);
      EXPECT_TRUE(ends_with(rows[0], "m" + std::to_string(i)))
          << "client " << c + 1 << " got transaction " << i << " out of order";
    }
  }
}

TEST_F(DurabilityTest, MetricsCountFsyncsAndTheTransactionsEachMadeDurable) {
  Open();
  auto m = obs::Global().ForDatabase("chat");
  const auto fsyncs = m->fsync_seconds.Collect().histogram;
  const auto per_fsync = m->transactions_per_fsync.Collect().histogram;
  const auto commits = m->commit_seconds.Collect().histogram;
  constexpr int kCalls = 25;
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(Send("m" + std::to_string(i)).ok());
  const auto fsyncs_after = m->fsync_seconds.Collect().histogram;
  const auto per_fsync_after = m->transactions_per_fsync.Collect().histogram;
  const auto commits_after = m->commit_seconds.Collect().histogram;
  // Each Send is acknowledged once durable: every record has been through an fsync.
  EXPECT_EQ(commits_after.sample_count - commits.sample_count, uint64_t{kCalls});
  EXPECT_EQ(per_fsync_after.sample_sum - per_fsync.sample_sum, kCalls);
  EXPECT_EQ(per_fsync_after.sample_count - per_fsync.sample_count,
            fsyncs_after.sample_count - fsyncs.sample_count);
  EXPECT_GE(fsyncs_after.sample_count - fsyncs.sample_count, 1u);
  EXPECT_GT(fsyncs_after.sample_sum, fsyncs.sample_sum);
}

TEST_F(FailingDiskTest, AFailedFsyncIsNeverAcknowledgedAndStopsWrites) {
  Open();
  ASSERT_TRUE(Send("durable").ok());
  auto confirmed = std::make_shared<FakeOutbox>();
  auto unconfirmed = std::make_shared<FakeOutbox>();
  ASSERT_TRUE(db_->Connect(1, Caller{Id(1), 1}, "t", confirmed).ok());
  ASSERT_TRUE(db_->Connect(2, Caller{Id(2), 2}, "t", unconfirmed, /*confirmed=*/false).ok());
  confirmed->WaitFor(1);
  unconfirmed->WaitFor(1);
  // The unconfirmed client hears of its connection before its connect record is
  // durable: a confirmed call makes every earlier record durable first, so that the
  // failing fsync below is that of "early" and not of a connect record (which would make
  // the database refuse "early" itself).
  ASSERT_TRUE(Send("barrier").ok());
  faulty_.fail_sync = true;
  // A client that opted out of confirmed reads hears of its commit at once; the fsync of
  // its record is the one that fails.
  ASSERT_TRUE(db_->HandleMessage(2, protocol::CallReducer{1, 0, "send_message", StringArg("early")})
                  .ok());
  auto early = unconfirmed->Nth<protocol::ReducerResult>(1);
  EXPECT_EQ(early.outcome.kind, protocol::ReducerOutcome::Kind::kOk);
  // The HTTP caller is told its transaction failed, never that it committed.
  Status s = Send("lost");
  EXPECT_EQ(s.code(), ErrorCode::kIo) << s.ToString();
  EXPECT_NE(s.message().find("fsync"), std::string::npos) << s.message();
  // A confirmed WebSocket client is closed with the reason, never sent the update.
  auto reason = confirmed->WaitClosed();
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("commit log failed"), std::string::npos) << *reason;
  // Later writes are refused and say why.
  Status later = Send("refused");
  EXPECT_EQ(later.code(), ErrorCode::kIo);
  EXPECT_NE(later.message().find("accepts no writes"), std::string::npos) << later.message();
  // After a restart on a healthy disk, what was acknowledged is there and what was
  // refused is not ("early" and "lost" may or may not have reached the disk).
  faulty_.fail_sync = false;
  Open();
  auto rows = Rows("SELECT text FROM message");
  EXPECT_NE(std::find(rows.begin(), rows.end(), ToHex(StringArg("durable"))), rows.end());
  EXPECT_EQ(std::find(rows.begin(), rows.end(), ToHex(StringArg("refused"))), rows.end());
}

TEST_F(FailingDiskTest, ShortWritesStillMakeADurableLog) {
  faulty_.max_write_bytes = 7;
  Open();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Send("short write " + std::to_string(i)).ok());
  Open();
  EXPECT_EQ(Rows("SELECT * FROM message").size(), 20u);
}

// ---- ReleaseQueue ----

// Records which thread ran which result, in order (a failed result as its negative).
struct RunLog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> ran;
  std::vector<std::thread::id> threads;

  ReleaseQueue::Action Action(int n) {
    return [this, n](const Status* failed) {
      std::lock_guard lock(mu);
      ran.push_back(failed == nullptr ? n : -n);
      threads.push_back(std::this_thread::get_id());
      cv.notify_all();
    };
  }
  bool WaitFor(size_t count) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, testing::kWaitTimeout, [&] { return ran.size() >= count; });
  }
  std::vector<int> Ran() {
    std::lock_guard lock(mu);
    return ran;
  }
  std::thread::id ThreadOf(size_t i) {
    std::lock_guard lock(mu);
    return threads.at(i);
  }
};

// Calls OnDurable from another thread, as the log's writer does; returns that thread's id.
std::thread::id OnDurableFromWriter(ReleaseQueue& q, uint64_t offset) {
  std::thread::id id;
  std::thread writer([&] {
    id = std::this_thread::get_id();
    q.OnDurable(offset);
  });
  writer.join();
  return id;
}

TEST(DurabilityGroupTest, AFullReleaseQueueHandsAHeldGroupToTheWriter) {
  // Proves the worker cannot wedge itself: a release that finds the queue full while the
  // worker holds its commit group hands the group to the writer first, so the results
  // waiting in the queue become durable, run, and make room.
  log::testing::TempDir dir;
  DurabilityOptions options;
  options.dir = dir.path();
  auto d = Durability::Open("held", options, log::LogEnd{}, nullptr);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  RunLog ran;
  (*d)->HoldGroup();
  (*d)->Append(log::TxRecord{}, 0);
  (*d)->ReleaseAfterAppended(ran.Action(1), kReleaseWaitingBytesMax - 10, 1);
  (*d)->Append(log::TxRecord{}, 0);
  auto second = std::async(std::launch::async, [&] {
    (*d)->ReleaseAfterAppended(ran.Action(2), 100, 1);  // over the byte bound: waits
  });
  const auto state = second.wait_for(testing::kWaitTimeout);
  (*d)->ReleaseGroup();  // lets a wedged release finish, so a failure does not hang
  second.wait();
  EXPECT_EQ(state, std::future_status::ready) << "the release waited on its own held group";
  ASSERT_TRUE(ran.WaitFor(2));
  EXPECT_EQ(ran.Ran(), (std::vector<int>{1, 2}));
}

TEST(ReleaseQueueTest, ResultsRunInOrderOnlyOnceDurableAndNeverOnTheReleasingThread) {
  // Proves the release contract the fan-out relies on: nothing runs on the releasing
  // (worker) thread, nothing runs before its records are durable, and results leave in
  // the order released even when later ones became durable first. Few results run on
  // the thread that reported them durable (the log's writer).
  ReleaseQueue q;
  RunLog log;
  q.Release(1, log.Action(1));
  q.Release(3, log.Action(2));
  q.Release(2, log.Action(3));  // durable before 2's records, but released after it
  q.Release(5, log.Action(4));
  EXPECT_TRUE(log.Ran().empty());
  const auto writer1 = OnDurableFromWriter(q, 0);  // 1 record durable
  ASSERT_TRUE(log.WaitFor(1));
  EXPECT_EQ(log.ThreadOf(0), writer1);
  const auto writer2 = OnDurableFromWriter(q, 2);  // 3 records
  ASSERT_TRUE(log.WaitFor(3));
  EXPECT_EQ(log.Ran(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(log.ThreadOf(1), writer2);
  EXPECT_EQ(log.ThreadOf(2), writer2);
  q.OnFailure(IoError("disk gone"));
  ASSERT_TRUE(log.WaitFor(4));
  q.Close();
  EXPECT_EQ(log.Ran(), (std::vector<int>{1, 2, 3, -4}));
  for (size_t i = 0; i < 4; ++i) EXPECT_NE(log.ThreadOf(i), std::this_thread::get_id()) << i;
}

TEST(ReleaseQueueTest, AFanOutOverTheInlineLimitRunsOnTheQueuesOwnThread) {
  ReleaseQueue q;
  RunLog log;
  q.Release(1, log.Action(1), 0, kReleaseInlineSendsMax + 1);
  const auto writer = OnDurableFromWriter(q, 0);
  ASSERT_TRUE(log.WaitFor(1));
  EXPECT_NE(log.ThreadOf(0), writer);
  EXPECT_NE(log.ThreadOf(0), std::this_thread::get_id());
  // Small results together over the limit go to the thread too.
  q.Release(2, log.Action(2), 0, kReleaseInlineSendsMax / 2 + 1);
  q.Release(2, log.Action(3), 0, kReleaseInlineSendsMax / 2 + 1);
  const auto writer2 = OnDurableFromWriter(q, 1);
  ASSERT_TRUE(log.WaitFor(3));
  EXPECT_EQ(log.Ran(), (std::vector<int>{1, 2, 3}));
  EXPECT_NE(log.ThreadOf(1), writer2);
  EXPECT_NE(log.ThreadOf(2), writer2);
}

TEST(ReleaseQueueTest, AResultNeverOvertakesOneStillRunningOnTheOtherThread) {
  // A large fan-out runs on the queue's thread and is slow; the writer then reports the
  // next small result durable. It must wait for the fan-out, not run first.
  ReleaseQueue q;
  RunLog log;
  std::promise<void> unblock;
  std::shared_future<void> unblocked = unblock.get_future().share();
  std::promise<void> started;
  q.Release(1, [&, unblocked](const Status* failed) {
    started.set_value();
    unblocked.wait();
    log.Action(1)(failed);
  }, 0, kReleaseInlineSendsMax + 1);
  q.Release(2, log.Action(2));
  OnDurableFromWriter(q, 0);
  ASSERT_EQ(started.get_future().wait_for(testing::kWaitTimeout), std::future_status::ready);
  OnDurableFromWriter(q, 1);  // result 2 is durable, but 1 is still running
  EXPECT_TRUE(log.Ran().empty());
  unblock.set_value();
  ASSERT_TRUE(log.WaitFor(2));
  EXPECT_EQ(log.Ran(), (std::vector<int>{1, 2}));
}

TEST(ReleaseQueueTest, CloseRunsWhatWaitsWithAFailureIfItNeverBecameDurable) {
  ReleaseQueue q;
  std::atomic<int> ok{0}, failed{0};
  q.Release(0, [&](const Status* f) { (f ? failed : ok)++; });
  q.Release(7, [&](const Status* f) { (f ? failed : ok)++; });
  q.Close();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(failed.load(), 1);
}

}  // namespace
}  // namespace stdb::db
