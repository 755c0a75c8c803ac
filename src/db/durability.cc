#include "db/durability.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "base/thread.h"
#include "db/outbox.h"
#include "obs/metrics.h"

namespace stdb::db {
namespace fs = std::filesystem;

fs::path LogDir(const fs::path& db_dir) { return db_dir / "log"; }
fs::path SnapshotDir(const fs::path& db_dir) { return db_dir / "snapshots"; }

// ---------------------------------------------------------------------------------------
// Replaying records.

Result<store::Store> MigrateStore(const store::Store& from, const module::ModuleDef& new_def) {
  store::Store next(new_def.TableSchemas());
  for (const auto& t : new_def.tables) {
    auto old_id = from.FindTable(t.name);
    if (!old_id) continue;
    STDB_RETURN_IF_ERROR(store::CopyRows(from.table(*old_id), next.table(*next.FindTable(t.name))));
  }
  return next;
}

namespace {

Status BadRecord(const log::TxRecord& record, const std::string& why) {
  return DecodeError("record at offset " + std::to_string(record.offset) + " " + why);
}

Status ApplySequences(const std::vector<log::SequencePosition>& positions, store::Store& store,
                      const std::function<Status(const std::string&)>& bad) {
  for (const auto& p : positions) {
    if (p.table_id >= store.table_count()) {
      return bad("sets a sequence of table " + std::to_string(p.table_id) + ", which does not exist");
    }
    Status s = store.table(p.table_id).SetNextSequenceValue(p.column, p.next);
    if (!s.ok()) return bad("does not fit the schema: " + s.message());
  }
  return Status::Ok();
}

Result<module::ModuleDef> DecodeSchema(ByteView bytes) {
  auto def = module::DecodeModuleDef(bytes);
  if (!def.ok()) return DecodeError("holds a schema that does not decode: " + def.status().message());
  return def;
}

}  // namespace

Status ApplyRecord(log::TxRecord& record, store::Store& store, Bytes& module_def) {
  auto bad = [&](const std::string& why) { return BadRecord(record, why); };
  if (record.kind == log::RecordKind::kSchema) {
    auto def = DecodeSchema(record.module_def);
    if (!def.ok()) return bad(def.status().message());
    if (record.clear) {
      store = store::Store(def->TableSchemas());
    } else {
      auto next = MigrateStore(store, *def);
      if (!next.ok()) return bad("cannot move the rows into its schema: " + next.status().message());
      store = std::move(next).value();
    }
    module_def = std::move(record.module_def);
    return Status::Ok();
  }
  for (auto& changes : record.delta.tables) {
    if (changes.table_id >= store.table_count()) {
      return bad("changes table " + std::to_string(changes.table_id) + ", which does not exist");
    }
    store::Table& table = store.table(changes.table_id);
    for (const Bytes& row : changes.deletes) {
      auto id = table.FindRow(row);
      if (!id) return bad("deletes a row that table '" + table.schema().name + "' does not hold");
      table.Remove(*id);
    }
    table.ReleaseFreedIds();
    for (Bytes& row : changes.inserts) {
      auto inserted = table.Insert(std::move(row), /*apply_sequences=*/false);
      if (!inserted.ok()) {
        return bad("inserts a row table '" + table.schema().name +
                   "' cannot take: " + inserted.status().message());
      }
      if (!inserted->inserted) {
        return bad("inserts a row table '" + table.schema().name + "' already holds");
      }
    }
  }
  return ApplySequences(record.sequences, store, bad);
}

void AppendSequencePositions(const store::Store& store, store::TableId id,
                             std::vector<log::SequencePosition>& out) {
  const store::Table& table = store.table(id);
  for (uint16_t column : table.schema().sequences) {
    out.push_back(log::SequencePosition{id, column, table.NextSequenceValue(column)});
  }
}

log::SnapshotData CaptureSnapshot(const store::Store& store, const Bytes& module_def,
                                  uint64_t offset) {
  log::SnapshotData data;
  data.offset = offset;
  data.module_def = module_def;
  data.tables.reserve(store.table_count());
  for (store::TableId id = 0; id < store.table_count(); ++id) {
    const store::Table& table = store.table(id);
    log::TableSnapshot& t = data.tables.emplace_back();
    t.table_id = id;
    t.name = table.schema().name;
    AppendSequencePositions(store, id, t.sequences);
    // Sized first, so the copy is one allocation and no regrowth.
    size_t bytes = 0;
    table.ForEach([&](store::RowId, ByteView row) { bytes += 4 + row.size(); });
    t.rows.reserve(bytes);
    table.ForEach([&](store::RowId, ByteView row) { log::AppendSnapshotRow(t, row); });
  }
  return data;
}

// ---------------------------------------------------------------------------------------
// Recovery.

namespace {

// Builds the store a snapshot describes.
Status LoadSnapshot(const fs::path& path, log::SnapshotData& data, Recovered& out) {
  auto def = DecodeSchema(data.module_def);
  if (!def.ok()) return DecodeError("snapshot " + path.string() + " " + def.status().message());
  store::Store loaded(def->TableSchemas());
  for (const auto& t : data.tables) {
    if (t.table_id >= loaded.table_count() || loaded.table(t.table_id).schema().name != t.name) {
      return DecodeError("snapshot " + path.string() + " holds table '" + t.name +
                         "', which its schema does not have at position " +
                         std::to_string(t.table_id));
    }
    store::Table& table = loaded.table(t.table_id);
    Status row_status = Status::Ok();
    Status walk = log::ForEachSnapshotRow(t, [&](ByteView row) {
      if (!row_status.ok()) return;
      auto r = table.Insert(Bytes(row.begin(), row.end()), /*apply_sequences=*/false);
      if (!r.ok()) {
        row_status = r.status();
      } else if (!r->inserted) {
        row_status = DecodeError("a row appears twice");
      }
    });
    if (!walk.ok()) return walk;
    if (!row_status.ok()) {
      return DecodeError("snapshot " + path.string() + ", table '" + t.name +
                         "': " + row_status.message());
    }
  }
  for (const auto& t : data.tables) {
    Status s = ApplySequences(t.sequences, loaded, [&](const std::string& why) {
      return DecodeError("snapshot " + path.string() + " " + why);
    });
    STDB_RETURN_IF_ERROR(s);
  }
  out.store = std::move(loaded);
  out.module_def = std::move(data.module_def);
  out.fresh = false;
  out.snapshot_offset = data.offset;
  return Status::Ok();
}

// What to do about a damaged snapshot: which earlier state and log cover everything.
std::string SnapshotAdvice(const DurabilityOptions& options, const std::vector<uint64_t>& snaps,
                           const fs::path& damaged) {
  auto segments = options.fs->List(LogDir(options.dir));
  std::optional<uint64_t> first_segment;
  if (segments.ok()) {
    for (const auto& name : *segments) {
      if (auto o = log::ParseSegmentFileName(name)) {
        first_segment = first_segment ? std::min(*first_segment, *o) : *o;
      }
    }
  }
  const std::optional<uint64_t> previous =
      snaps.size() >= 2 ? std::optional<uint64_t>(snaps[snaps.size() - 2]) : std::nullopt;
  const uint64_t needed_from = previous ? *previous + 1 : 0;
  const bool covered = first_segment && *first_segment <= needed_from;
  std::string base = previous ? "the previous snapshot " +
                                    (SnapshotDir(options.dir) / log::SnapshotFileName(*previous)).string() +
                                    " (offset " + std::to_string(*previous) + ") and the log after it"
                              : "the commit log from offset 0";
  if (covered) {
    return "Nothing was changed on disk. " + base + " hold every transaction: move " +
           damaged.string() + " out of " + SnapshotDir(options.dir).string() +
           " and start again to recover from them.";
  }
  return "Nothing was changed on disk. No earlier snapshot with a complete log is left; restore "
         "the database from a backup (spacetimedb start --restore <dir>).";
}

}  // namespace

Result<Recovered> Recover(const std::string& db_name, const DurabilityOptions& options) {
  log::FileSystem& fs = *options.fs;
  const std::string who = "database '" + db_name + "': ";
  Recovered out;
  auto snaps = log::ListSnapshots(fs, SnapshotDir(options.dir));
  if (!snaps.ok()) return Status(snaps.status().code(), who + snaps.status().message());
  uint64_t from = 0;
  if (!snaps->empty()) {
    const fs::path path = SnapshotDir(options.dir) / log::SnapshotFileName(snaps->back());
    auto data = log::ReadSnapshot(fs, path);
    Status loaded = data.ok() ? LoadSnapshot(path, *data, out) : data.status();
    if (!loaded.ok()) {
      return Status(ErrorCode::kDecode, who + "the newest snapshot is damaged: " + loaded.message() +
                                            ". " + SnapshotAdvice(options, *snaps, path));
    }
    from = *out.snapshot_offset + 1;
  }
  auto end = log::ReadLog(fs, LogDir(options.dir), from, [&](log::TxRecord&& record) -> Status {
    if (out.fresh && record.kind != log::RecordKind::kSchema) {
      return BadRecord(record, "is not a schema record, but the log has no schema before it");
    }
    STDB_RETURN_IF_ERROR(ApplyRecord(record, out.store, out.module_def));
    out.fresh = false;
    ++out.records_replayed;
    return Status::Ok();
  });
  if (!end.ok()) {
    return Status(end.status().code(),
                  who + "the commit log is damaged: " + end.status().message() +
                      ". Nothing was changed on disk and the database was not started. Records "
                      "before the damage are intact (offset " +
                      std::to_string(from + out.records_replayed) +
                      " is the first that cannot be read). Restore the database from a backup "
                      "(spacetimedb start --restore <dir>), or keep a copy of " +
                      LogDir(options.dir).string() + " and ask for help before changing it.");
  }
  // A snapshot with no log after it (a backup taken right after a snapshot): the log
  // starts again after the snapshot.
  if (!end->last_segment && from > 0) end->next_offset = from;
  if (end->next_offset < from) {
    return Status(ErrorCode::kDecode,
                  who + "the commit log ends at offset " + std::to_string(end->next_offset) +
                      ", before the newest snapshot (offset " + std::to_string(from - 1) +
                      "): log segments are missing from " + LogDir(options.dir).string());
  }
  out.end = std::move(end).value();
  return out;
}

// ---------------------------------------------------------------------------------------
// ReleaseQueue.

ReleaseQueue::ReleaseQueue()
    : thread_([this] {
        SetThreadName("stdb-release");
        Run();
      }) {}

ReleaseQueue::~ReleaseQueue() { Close(); }

bool ReleaseQueue::HasRoom(uint64_t bytes) const {
  return failure_.has_value() || closing_ ||
         (waiting_.size() < kReleaseWaitingMax &&
          waiting_bytes_ + bytes <= kReleaseWaitingBytesMax) ||
         waiting_.empty();
}

void ReleaseQueue::Release(uint64_t after_records, Action action, uint64_t bytes, uint64_t sends,
                           const std::function<void()>& before_wait) {
  std::unique_lock lock(mu_);
  if (!HasRoom(bytes) && before_wait) {
    lock.unlock();
    before_wait();
    lock.lock();
  }
  durable_cv_.wait(lock, [&] { return HasRoom(bytes); });
  if (closing_) return;
  const bool wake = waiting_.empty();  // otherwise the thread is already due to look
  waiting_.push_back(Waiting{after_records, std::move(action), bytes, sends});
  waiting_bytes_ += bytes;
  if (wake) ready_cv_.notify_one();
}

void ReleaseQueue::Run() {
  // Why results that can no longer become durable did not: the log failed, or the
  // database closed it first.
  static const Status kStopped(ErrorCode::kIo,
                               "the database stopped before the transaction was durable");
  std::deque<std::pair<Waiting, const Status*>> ready;
  std::unique_lock lock(mu_);
  while (true) {
    ready_cv_.wait(lock, [&] { return !running_ && ((closing_ && waiting_.empty()) || CanRun()); });
    if (waiting_.empty()) return;  // closing, and everything has run
    // Take every result that may leave now, and run them in order without the lock, so
    // the worker can keep releasing meanwhile.
    const std::optional<Status> failure = failure_;
    while (CanRun()) {
      Waiting& w = waiting_.front();
      const Status* why = w.after_records <= durable_records_ ? nullptr
                          : failure                           ? &*failure
                                                              : &kStopped;
      waiting_bytes_ -= w.bytes;
      ready.emplace_back(std::move(w), why);
      waiting_.pop_front();
    }
    durable_cv_.notify_all();  // room for a worker blocked on the bound
    running_ = true;
    lock.unlock();
    {
      // One wake-up per connection per kReleaseInlineSendsMax sends: a long run (a
      // stalled fsync freed thousands of results) must not hold every connection's
      // writes until its end, or their outboxes would fill and they would be dropped.
      std::optional<SendBatch> batch;
      uint64_t batched = 0;
      for (auto& [w, why] : ready) {
        if (!batch) batch.emplace();
        w.action(why);
        batched += w.sends;
        if (batched >= kReleaseInlineSendsMax) {
          batch.reset();
          batched = 0;
        }
      }
    }
    ready.clear();
    lock.lock();
    running_ = false;
  }
}

bool ReleaseQueue::CanRun() const {
  return !waiting_.empty() && (failure_.has_value() || closing_ ||
                               waiting_.front().after_records <= durable_records_);
}

void ReleaseQueue::Close() {
  {
    std::lock_guard lock(mu_);
    if (closing_ && !thread_.joinable()) return;
    // The owner closes the log first: what still waits then will never become durable.
    closing_ = true;
  }
  ready_cv_.notify_all();
  durable_cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void ReleaseQueue::OnDurable(uint64_t durable_offset) {
  std::unique_lock lock(mu_);
  durable_records_ = std::max(durable_records_, durable_offset + 1);
  // Run the freed results here if they are few and nobody else is running results.
  size_t ready = 0;
  uint64_t sends = 0;
  if (!running_ && !failure_ && !closing_) {
    while (ready < waiting_.size() && waiting_[ready].after_records <= durable_records_ &&
           sends <= kReleaseInlineSendsMax) {
      sends += waiting_[ready++].sends;
    }
  }
  if (ready == 0 || sends > kReleaseInlineSendsMax) {
    lock.unlock();
    ready_cv_.notify_one();
    durable_cv_.notify_all();
    return;
  }
  for (size_t i = 0; i < ready; ++i) {
    waiting_bytes_ -= waiting_.front().bytes;
    inline_ready_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  running_ = true;
  lock.unlock();
  durable_cv_.notify_all();  // the durable offset moved; room for a worker on the bound
  {
    SendBatch batch;  // one wake-up per connection for the whole group
    for (Waiting& w : inline_ready_) w.action(nullptr);
  }
  inline_ready_.clear();
  lock.lock();
  running_ = false;
  // Results that became ready meanwhile (released already durable) go to the thread; a
  // Close that came meanwhile needs the thread to look again too.
  const bool look = CanRun() || closing_;
  lock.unlock();
  if (look) ready_cv_.notify_one();
}

void ReleaseQueue::OnFailure(const Status& why) {
  {
    std::lock_guard lock(mu_);
    if (!failure_) failure_ = why;
    failed_ = true;
  }
  ready_cv_.notify_one();
  durable_cv_.notify_all();
}

std::optional<Status> ReleaseQueue::failure() const {
  if (!failed_) return std::nullopt;
  std::lock_guard lock(mu_);
  return failure_;
}

bool ReleaseQueue::WaitDurable(uint64_t records) {
  std::unique_lock lock(mu_);
  durable_cv_.wait(lock, [&] { return failure_.has_value() || durable_records_ >= records; });
  return !failure_.has_value();
}

// ---------------------------------------------------------------------------------------
// Durability.

Durability::Durability(std::string db_name, DurabilityOptions options)
    : scope_("db/" + db_name), options_(std::move(options)) {}

Result<std::unique_ptr<Durability>> Durability::Open(std::string db_name,
                                                     DurabilityOptions options,
                                                     const log::LogEnd& end,
                                                     std::function<void(const Status&)> on_failure) {
  std::shared_ptr<obs::DatabaseMetrics> metrics = obs::Global().ForDatabase(db_name);
  std::unique_ptr<Durability> d(new Durability(std::move(db_name), std::move(options)));
  log::FileSystem& fs = *d->options_.fs;
  STDB_RETURN_IF_ERROR(fs.CreateDirectories(LogDir(d->options_.dir)));
  STDB_RETURN_IF_ERROR(fs.CreateDirectories(SnapshotDir(d->options_.dir)));
  for (const auto& notice : end.notices) LogWarn(d->scope_, "commit log: " + notice);
  log::CommitLog::Options lo;
  lo.dir = LogDir(d->options_.dir);
  lo.fs = &fs;
  lo.segment_bytes = d->options_.segment_bytes;
  lo.preallocate = true;
  ReleaseQueue* releases = &d->releases_;
  lo.on_durable = [releases](uint64_t offset) { releases->OnDurable(offset); };
  lo.on_group = [metrics](const log::CommitLog::Options::Group& g) {
    metrics->fsync_seconds.Observe(std::chrono::duration<double>(g.write_and_sync).count());
    metrics->transactions_per_fsync.Observe(static_cast<double>(g.waits.size()));
    for (const auto wait : g.waits) {
      metrics->commit_seconds.Observe(std::chrono::duration<double>(wait).count());
    }
  };
  d->on_failure_ = std::move(on_failure);
  lo.on_failure = [d = d.get()](const Status& why) { d->Fail(why); };
  if (end.next_offset > 0) d->releases_.OnDurable(end.next_offset - 1);
  STDB_ASSIGN_OR_RETURN(d->log_, log::CommitLog::Open(std::move(lo), end));
  d->next_offset_ = end.next_offset;
  d->snap_thread_ = std::thread(&Durability::SnapshotLoop, d.get());
  return d;
}

Durability::~Durability() { Close(); }

void Durability::Append(log::TxRecord record, uint64_t approx_bytes) {
  record.offset = next_offset_;
  Status s = log_->Append(std::move(record));
  if (!s.ok()) {
    Fail(s.code() == ErrorCode::kIo
             ? s
             : Status(ErrorCode::kIo, "a transaction could not be written to the commit log (" +
                                          s.message() + ")"));
    return;
  }
  ++next_offset_;
  ++tx_since_snapshot_;
  bytes_since_snapshot_ += approx_bytes;
}

void Durability::ReleaseAfterAppended(ReleaseQueue::Action action, uint64_t bytes,
                                      uint64_t sends) {
  releases_.Release(next_offset_, std::move(action), bytes, sends, [this] { log_->Release(); });
}

void Durability::Fail(const Status& why) {
  if (failed_once_.exchange(true)) return;
  LogError(scope_, "the commit log failed; the database accepts no more writes: " + why.message());
  releases_.OnFailure(why);
  if (on_failure_) on_failure_(why);
}

void Durability::MaybeSnapshot(const store::Store& store, const Bytes& module_def) {
  if (next_offset_ == 0 || (tx_since_snapshot_ < options_.snapshot_every_tx &&
                            bytes_since_snapshot_ < options_.snapshot_every_bytes)) {
    return;
  }
  {
    std::lock_guard lock(snap_mu_);
    if (snap_busy_ || snap_pending_ || snap_stop_) return;  // one at a time; retried later
  }
  const auto start = std::chrono::steady_clock::now();
  log::SnapshotData data = CaptureSnapshot(store, module_def, next_offset_ - 1);
  const auto pause = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  LogInfo(scope_, "snapshot at offset " + std::to_string(data.offset) + ": state copied in " +
                      std::to_string(pause) + " us (the pause writes see); written in the background");
  tx_since_snapshot_ = 0;
  bytes_since_snapshot_ = 0;
  {
    std::lock_guard lock(snap_mu_);
    snap_pending_ = std::move(data);
    ++snap_started_;
  }
  snap_cv_.notify_all();
}

Status Durability::WaitForSnapshots() {
  std::unique_lock lock(snap_mu_);
  snap_cv_.wait(lock, [&] { return snap_done_ >= snap_started_; });
  return snap_last_;
}

void Durability::SnapshotLoop() {
  SetThreadName("stdb-snapshot");
  while (true) {
    log::SnapshotData data;
    {
      std::unique_lock lock(snap_mu_);
      snap_cv_.wait(lock, [&] { return snap_stop_ || snap_pending_.has_value(); });
      if (!snap_pending_) return;  // stopping, nothing left to write
      data = std::move(*snap_pending_);
      snap_pending_.reset();
      snap_busy_ = true;
    }
    // A snapshot may only exist once the log holds everything before it: otherwise a
    // crash could leave a snapshot ahead of a log that misses the records in between.
    Status s = releases_.WaitDurable(data.offset + 1)
                   ? WriteAndPrune(data)
                   : Status(ErrorCode::kIo, "the commit log failed before the snapshot was written");
    {
      std::lock_guard lock(snap_mu_);
      snap_busy_ = false;
      ++snap_done_;
      snap_last_ = s;
    }
    snap_cv_.notify_all();
  }
}

Status Durability::WriteAndPrune(const log::SnapshotData& data) {
  log::FileSystem& fs = *options_.fs;
  const fs::path dir = SnapshotDir(options_.dir);
  const auto start = std::chrono::steady_clock::now();
  auto size = log::WriteSnapshot(fs, dir, data);
  if (!size.ok()) {
    LogError(scope_, "snapshot at offset " + std::to_string(data.offset) +
                         " not written (the log still holds everything): " + size.status().message());
    return size.status();
  }
  uint64_t rows = 0;
  for (const auto& t : data.tables) rows += t.row_count;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  LogInfo(scope_, "snapshot at offset " + std::to_string(data.offset) + " written: " +
                      std::to_string(rows) + " rows, " + std::to_string(*size) + " bytes, " +
                      std::to_string(ms) + " ms");
  // Keep the newest two snapshots, and the log from the older one on: if the newest is
  // ever found damaged, the older one plus the log still rebuild everything.
  auto snaps = log::ListSnapshots(fs, dir);
  if (!snaps.ok() || snaps->size() < 2) return snaps.status();
  for (size_t i = 0; i + 2 < snaps->size(); ++i) {
    Status removed = fs.Remove(dir / log::SnapshotFileName((*snaps)[i]));
    if (!removed.ok()) LogWarn(scope_, removed.message());
  }
  Status pruned = log_->RemoveSegmentsBefore((*snaps)[snaps->size() - 2] + 1);
  if (!pruned.ok()) LogWarn(scope_, "old log segments not removed: " + pruned.message());
  return Status::Ok();
}

BackupSet::~BackupSet() {
  for (auto& f : files) {
    if (f.fd >= 0) ::close(f.fd);
  }
}

Status BackupSet::Add(const fs::path& path, std::string name) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return IoError("cannot stat " + path.string() + ": " + std::strerror(errno));
  }
  files.push_back(BackupFile{std::move(name), fd, static_cast<uint64_t>(st.st_size)});
  return Status::Ok();
}

Result<BackupSet> Durability::Backup() {
  // A snapshot can be pruned between listing and opening it (two newer ones were
  // written meanwhile): list again then.
  Status last = Status::Ok();
  for (int attempt = 0; attempt < 5; ++attempt) {
    BackupSet set;
    auto snaps = log::ListSnapshots(*options_.fs, SnapshotDir(options_.dir));
    if (!snaps.ok()) return snaps.status();
    uint64_t from = 0;
    if (!snaps->empty()) {
      const std::string name = log::SnapshotFileName(snaps->back());
      last = set.Add(SnapshotDir(options_.dir) / name, "snapshots/" + name);
      if (!last.ok()) continue;
      from = snaps->back() + 1;
      set.offset = snaps->back();
    }
    uint64_t up_to = 0;
    auto segments = log_->DurablePrefix(from, up_to);
    if (!segments.ok()) {
      last = segments.status();
      continue;
    }
    for (auto& s : *segments) {
      set.files.push_back(BackupFile{"log/" + s.file_name, s.fd, s.bytes});
    }
    if (!segments->empty() && (!set.offset || up_to > *set.offset)) set.offset = up_to;
    return set;
  }
  return last;
}

void Durability::Close() {
  if (closed_) return;
  closed_ = true;
  if (log_ == nullptr) return;  // Open failed before the log and the snapshot thread existed
  Status s = log_->Close();
  if (!s.ok()) LogError(scope_, "commit log closed after a failure: " + s.message());
  const log::CommitLog::Stats st = log_->stats();
  if (st.records > 0) {
    char per[32];
    std::snprintf(per, sizeof per, "%.1f", st.syncs ? double(st.records) / double(st.syncs) : 0.0);
    LogInfo(scope_, "commit log closed: " + std::to_string(st.records) + " records in " +
                        std::to_string(st.syncs) + " fsyncs (" + per + " records per fsync), " +
                        std::to_string(st.bytes) + " bytes written");
  }
  {
    std::lock_guard lock(snap_mu_);
    snap_stop_ = true;
  }
  snap_cv_.notify_all();
  if (snap_thread_.joinable()) snap_thread_.join();
  // The log is closed, so everything is durable or failed: the last results leave now.
  releases_.Close();
}

}  // namespace stdb::db
