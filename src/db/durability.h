// Durability of one database: recovery from its snapshots and commit log, replaying
// records into a store, taking snapshots in the background, and holding results back
// until their transaction is durable (confirmed reads).
//
//   <database folder>/log/        commit log segments (docs/commit-log.md)
//   <database folder>/snapshots/  snapshots (docs/snapshots.md)
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/bytes.h"
#include "base/status.h"
#include "log/commit_log.h"
#include "log/file.h"
#include "log/record.h"
#include "log/snapshot.h"
#include "module/schema.h"
#include "store/tx.h"

namespace stdb::db {

struct DurabilityOptions {
  std::filesystem::path dir;  // the database folder; log/ and snapshots/ go under it
  log::FileSystem* fs = &log::FileSystem::Posix();
  // A snapshot is taken once this many transactions, or this many bytes of log, were
  // written since the last one (whichever comes first).
  uint64_t snapshot_every_tx = 1'000'000;
  uint64_t snapshot_every_bytes = 256ull << 20;
  uint64_t segment_bytes = log::kDefaultSegmentBytes;
};

std::filesystem::path LogDir(const std::filesystem::path& db_dir);
std::filesystem::path SnapshotDir(const std::filesystem::path& db_dir);

// What recovery rebuilt from disk.
struct Recovered {
  bool fresh = true;  // nothing on disk: a new database
  Bytes module_def;   // EncodeModuleDef of the schema `store` follows (when !fresh)
  store::Store store;
  log::LogEnd end;    // where the log continues
  std::optional<uint64_t> snapshot_offset;
  uint64_t records_replayed = 0;
};

// Rebuilds a database's state: the newest snapshot, then every later record of the log
// (row changes only; reducers are not run). A torn log tail is cut off (end.notices
// says so). A damaged snapshot or a damaged record before the tail stops recovery with
// kDecode naming the file and byte offset, and says what to do (the previous snapshot,
// when there is one, plus the log holds everything); nothing on disk is changed then.
Result<Recovered> Recover(const std::string& db_name, const DurabilityOptions& options);

// Applies one record to `store` (its rows are moved out of `record`). `module_def` is
// the schema `store` follows; a kSchema record replaces both. kDecode if the record does
// not fit the store (a delete of a row that is not there, an insert that breaks a
// constraint, an unknown table or sequence).
Status ApplyRecord(log::TxRecord& record, store::Store& store, Bytes& module_def);

// A store with `new_def`'s tables holding the rows of `from`'s tables of the same name
// (a module update; the tables' row types were checked to be unchanged). Sequences
// continue after the values `from` reached.
Result<store::Store> MigrateStore(const store::Store& from, const module::ModuleDef& new_def);

// The sequence positions of table `id` (for a record or a snapshot).
void AppendSequencePositions(const store::Store& store, store::TableId id,
                             std::vector<log::SequencePosition>& out);

// Copies the whole state into a snapshot (on the worker: the pause writes see).
log::SnapshotData CaptureSnapshot(const store::Store& store, const Bytes& module_def,
                                  uint64_t offset);

// Files for a backup (`spacetime backup`): a consistent, durable state of one database,
// opened for reading so that pruning cannot take them away while they are copied.
struct BackupFile {
  std::string name;  // relative to the database folder ("log/<...>.stdblog")
  int fd = -1;       // owned by the BackupSet
  uint64_t bytes = 0;
};
struct BackupSet {
  std::vector<BackupFile> files;
  // The last transaction the copy holds (nullopt: none yet).
  std::optional<uint64_t> offset;
  BackupSet() = default;
  BackupSet(BackupSet&& other) noexcept : files(std::move(other.files)), offset(other.offset) {
    other.files.clear();
  }
  BackupSet& operator=(BackupSet&&) = delete;
  ~BackupSet();
  // Adds an open file; kIo naming `path` if it cannot be opened.
  Status Add(const std::filesystem::path& path, std::string name);
};

// Results that may leave only once the transactions before them are durable.
//
// Every result the database produces (a transaction's messages to its subscribers, the
// reply to an HTTP request) is handed to Release with the number of records appended so
// far. Each result runs once all of those records are durable, in the order released;
// if the log fails, every waiting result runs with the failure instead (the client is
// told, never acknowledged). The worker never runs results. Where they run: when a group
// of records becomes durable and the results it frees make at most
// kReleaseInlineSendsMax sends (queued messages), the log's writer runs them itself
// right after its fsync, which saves a thread wake-up per group (measured: ~13k futex
// calls and ~7k context switches per 300k transactions); larger batches go to the
// queue's own thread, so fanning a transaction out to a thousand subscribers delays
// neither the next transaction nor the next fsync. One runner at a time keeps the order.
//
// Bounded: at most kReleaseWaitingMax results (kReleaseWaitingBytesMax bytes of
// messages) wait; Release then blocks the worker until the log catches up, which fills
// the database's request queue, so new requests are refused with kOverloaded.
//
// Thread safety: Release from the worker; OnDurable/OnFailure from the log's writer;
// Close from the owner once nothing else calls in. An action must not destroy the queue
// (the release thread cannot join itself): databases are owned by the registry, never by
// what an action releases.
inline constexpr size_t kReleaseWaitingMax = 65536;
inline constexpr uint64_t kReleaseWaitingBytesMax = 256ull << 20;
// The most sends the log's writer runs itself after one fsync (see above).
inline constexpr uint64_t kReleaseInlineSendsMax = 128;

class ReleaseQueue {
 public:
  // `failed` is null when the transaction is durable, else why it never will be.
  using Action = std::function<void(const Status* failed)>;

  ReleaseQueue();
  // Close.
  ~ReleaseQueue();
  ReleaseQueue(const ReleaseQueue&) = delete;
  ReleaseQueue& operator=(const ReleaseQueue&) = delete;

  // `after_records`: the action waits until this many records are durable. `bytes`: what
  // it holds (for the bound). `sends`: how many messages it queues (what it costs to run).
  // Blocks while the queue is over its bounds; `before_wait`, if set, is called (without
  // the lock) before such a wait, to start whatever lets the waiting results leave.
  void Release(uint64_t after_records, Action action, uint64_t bytes = 0, uint64_t sends = 1,
               const std::function<void()>& before_wait = {});
  // Called by the log's writer; may run the results it frees (see above).
  void OnDurable(uint64_t durable_offset);
  void OnFailure(const Status& why);
  // The failure, if the log failed.
  std::optional<Status> failure() const;
  // Blocks until at least `records` records are durable (or the log failed); false if
  // the log failed.
  bool WaitDurable(uint64_t records);
  // Runs what can run (everything, once the log is closed and so durable or failed) and
  // stops the thread. Results released later never run. Idempotent.
  void Close();

 private:
  struct Waiting {
    uint64_t after_records;
    Action action;
    uint64_t bytes;
    uint64_t sends;
  };
  void Run();
  // Under mu_: whether the front result may run now.
  bool CanRun() const;
  // Under mu_: whether Release may add a result of `bytes` now.
  bool HasRoom(uint64_t bytes) const;

  mutable std::mutex mu_;
  std::condition_variable durable_cv_;  // durable_records_, failure_, room in waiting_
  std::condition_variable ready_cv_;    // wakes the thread: a result may be ready
  std::deque<Waiting> waiting_;
  uint64_t durable_records_ = 0;
  uint64_t waiting_bytes_ = 0;
  std::optional<Status> failure_;
  bool closing_ = false;
  // Results are being run (by the thread or by OnDurable's caller) outside the lock; the
  // other runner waits, so results never overtake each other.
  bool running_ = false;
  std::vector<Waiting> inline_ready_;  // OnDurable's scratch (the log's writer only)
  // Set with failure_: lets the worker check for a failure on every transaction without
  // taking the lock.
  std::atomic<bool> failed_{false};
  std::thread thread_;
  friend class Durability;
};

// A database's commit log, snapshots and release queue, owned by its Database.
//
// Snapshots: the worker calls MaybeSnapshot after each record; past the thresholds it
// copies the state (CaptureSnapshot) and hands it to a background thread, which waits
// until the log is durable through the snapshot's offset, writes it (WriteSnapshot),
// keeps the newest two snapshots and removes log segments wholly before the older one.
// Bounded: one snapshot in progress; thresholds crossed meanwhile wait for it.
class Durability {
 public:
  // Opens the log where recovery ended (`end`). `db_name` scopes log lines.
  // `on_failure` is called once, on the log's writer thread, if the log fails (after the
  // waiting results were told).
  static Result<std::unique_ptr<Durability>> Open(std::string db_name, DurabilityOptions options,
                                                  const log::LogEnd& end,
                                                  std::function<void(const Status&)> on_failure);
  ~Durability();  // Close()s

  // Worker thread: appends a record (its offset is set here). `approx_bytes` counts
  // toward snapshots. If the record cannot be appended (the log has failed, or the record
  // is over log::kRecordBytesMax), the database fails as if the log had (Fail): the
  // transaction is committed in memory but will never be durable, so nothing after it
  // may be acknowledged.
  void Append(log::TxRecord record, uint64_t approx_bytes);
  // Worker thread: the records appended between HoldGroup and ReleaseGroup form one
  // commit group (CommitLog::Hold).
  void HoldGroup() { log_->Hold(); }
  void ReleaseGroup() { log_->Release(); }
  // Worker thread: queues `action` to run once every record appended so far is durable
  // (ReleaseQueue::Release). If the release queue is full this blocks until results
  // leave it, which needs their records written: a held group is released first.
  void ReleaseAfterAppended(ReleaseQueue::Action action, uint64_t bytes, uint64_t sends);
  // Stops durability for good: every waiting result and every later one gets `why`, and
  // the database's failure hook runs. Any thread; only the first failure counts.
  void Fail(const Status& why);
  // Records appended so far (the next record's offset).
  uint64_t records() const { return next_offset_; }
  ReleaseQueue& releases() { return releases_; }
  std::optional<Status> failure() const { return releases_.failure(); }

  // Worker thread: takes a snapshot if the thresholds are crossed.
  void MaybeSnapshot(const store::Store& store, const Bytes& module_def);
  // Blocks until every snapshot handed over so far is written (or failed); returns the
  // last one's status. For tests and benchmarks.
  Status WaitForSnapshots();

  log::CommitLog& commit_log() { return *log_; }
  // The newest snapshot and the log after it up to the durable offset. Any thread.
  Result<BackupSet> Backup();
  const DurabilityOptions& options() const { return options_; }

  // Drains and fsyncs the log (releasing what waits), waits for a snapshot in progress,
  // stops both threads. Idempotent.
  void Close();

 private:
  Durability(std::string db_name, DurabilityOptions options);
  void SnapshotLoop();
  Status WriteAndPrune(const log::SnapshotData& data);

  bool closed_ = false;
  const std::string scope_;
  const DurabilityOptions options_;
  std::function<void(const Status&)> on_failure_;
  std::atomic<bool> failed_once_{false};
  ReleaseQueue releases_;
  std::unique_ptr<log::CommitLog> log_;
  uint64_t next_offset_ = 0;
  uint64_t tx_since_snapshot_ = 0;
  uint64_t bytes_since_snapshot_ = 0;

  std::mutex snap_mu_;
  std::condition_variable snap_cv_;
  std::optional<log::SnapshotData> snap_pending_;
  bool snap_busy_ = false;
  bool snap_stop_ = false;
  uint64_t snap_started_ = 0;  // snapshots handed to the thread
  uint64_t snap_done_ = 0;     // snapshots finished (written or failed)
  Status snap_last_ = Status::Ok();
  std::thread snap_thread_;
};

// Holds a Durability's commit group open between Open and Close or destruction
// (Durability::HoldGroup); does nothing without a Durability (in-memory databases).
class GroupHold {
 public:
  explicit GroupHold(Durability* durability) : durability_(durability) {}
  ~GroupHold() { Close(); }
  GroupHold(const GroupHold&) = delete;
  GroupHold& operator=(const GroupHold&) = delete;
  void Open() {
    if (durability_ != nullptr && !open_) durability_->HoldGroup();
    open_ = durability_ != nullptr;
  }
  void Close() {
    if (open_) durability_->ReleaseGroup();
    open_ = false;
  }

 private:
  Durability* const durability_;
  bool open_ = false;
};

}  // namespace stdb::db
