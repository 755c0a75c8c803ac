// Thread safety: two mutexes. `mu` guards the queue, the durable offset, the failure
// and the counters; the worker holds it only to queue a record. `segments_mu` guards the
// list of segment files and where the durable prefix ends in them; the writer takes it
// to publish a roll or a new durable end, and RemoveSegmentsBefore / DurablePrefix take
// it for their file work, so they never block Append. Lock order: segments_mu, then mu.
// The active file and the encode buffer belong to the writer thread alone.
//
// Invariants:
//   - segments is ascending and non-empty after Open; segments.back() is the active
//     segment, the only one still written to.
//   - Every record in a segment other than the active one is durable.
//   - held_bytes / held_records count the records appended and not yet written or
//     dropped (queued and in the writer's current batch).
//   - durable_end.offset <= the last offset appended; it only grows.
#include "log/commit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "base/thread.h"

namespace stdb::log {
namespace fs = std::filesystem;

namespace {

// A queued record and its framed size (for the queue's byte bound).
struct Pending {
  TxRecord record;
  uint64_t bytes = 0;  // framed: kFrameHeaderBytes + the payload
  std::chrono::steady_clock::time_point appended;
};

// Where the durable prefix of the log ends.
struct DurableEnd {
  std::optional<uint64_t> offset;  // the last durable record
  uint64_t segment = 0;            // first offset of the segment its end lies in
  uint64_t bytes = 0;              // bytes of that segment up to the end of the prefix
};

}  // namespace

struct CommitLog::Impl {
  explicit Impl(Options o) : options(std::move(o)), fs(*options.fs) {}

  const Options options;
  FileSystem& fs;

  // ---- guarded by mu
  std::mutex mu;
  std::condition_variable writer_cv;  // records queued, or closing
  std::condition_variable space_cv;   // held bytes released, or the log failed
  std::deque<Pending> pending;
  uint64_t held_bytes = 0;
  size_t held_records = 0;
  uint64_t next_offset = 0;
  std::optional<uint64_t> durable;
  Status failure;
  bool closing = false;
  bool held = false;  // Hold: the appender is adding to one group; see CommitLog::Hold
  bool closed = false;
  Stats stats;

  // ---- guarded by segments_mu
  std::mutex segments_mu;
  std::vector<uint64_t> segments;  // first offsets of the segment files, ascending
  DurableEnd durable_end;

  // ---- writer thread only (and Open / Close, before and after it runs)
  std::unique_ptr<WritableFile> file;
  uint64_t file_first = 0;   // first offset of the active segment
  Bytes buffer;              // the frames of the group being written
  uint64_t buffer_last = 0;  // offset of the last record in buffer
  size_t buffer_records = 0;
  // When each record in buffer was appended (only with options.on_group), and the
  // scratch vector of their waits.
  std::vector<std::chrono::steady_clock::time_point> buffer_appended;
  std::vector<std::chrono::nanoseconds> waits;
  // The active segment was a prepared file of zeros: cut its rest at a roll and Close.
  bool file_preallocated = false;

  // ---- the next segment's file of zeros (options.preallocate), guarded by spare_mu
  std::mutex spare_mu;
  std::condition_variable spare_cv;  // a spare is wanted, or stopping
  bool spare_wanted = false;
  bool spare_ready = false;
  // Set by Close: the preparer stops, between 1 MiB writes of a spare in progress too.
  std::atomic<bool> spare_stop{false};
  // Writer thread only: the segment a spare was last asked for (one try per segment, so
  // a full disk is retried at the next segment, not on every group).
  std::optional<uint64_t> spare_asked_for;
  std::thread preparer;
  std::thread writer;

  fs::path SegmentPath(uint64_t first) const { return options.dir / SegmentFileName(first); }
  // Not a segment name (ReadLog and the segment list ignore it).
  fs::path SparePath() const { return options.dir / "next-segment.stdblog-spare"; }

  // The preparer thread: writes the spare whenever one is wanted. A failure (a full
  // disk) only means the next segment starts as an empty file, as without preallocation;
  // the partial file is removed.
  void PrepareLoop() {
    std::unique_lock lock(spare_mu);
    while (true) {
      spare_cv.wait(lock, [&] { return spare_stop.load() || (spare_wanted && !spare_ready); });
      if (spare_stop.load()) return;
      lock.unlock();
      const bool ok = fs.WriteZeros(SparePath(), options.segment_bytes, &spare_stop).ok();
      if (!ok) fs.Remove(SparePath()).IgnoreError();
      lock.lock();
      spare_wanted = false;
      spare_ready = ok;
    }
  }

  bool SpareReady() {
    std::lock_guard lock(spare_mu);
    return spare_ready;
  }

  // Writer thread, before each group: asks for the next segment's spare once the active
  // segment holds kSpareAfterBytes (so an idle database keeps no spare).
  void MaybeAskForSpare() {
    if (!options.preallocate || spare_asked_for == file_first) return;
    const uint64_t after = std::min(options.segment_bytes / 2, kSpareAfterBytes);
    if (file->size() < after) return;
    spare_asked_for = file_first;
    std::lock_guard lock(spare_mu);
    if (spare_ready) return;
    spare_wanted = true;
    spare_cv.notify_one();
  }

  // Takes the spare as segment `first`'s file if one is ready: renamed, then opened to
  // overwrite its zeros. nullptr if none is ready (or it cannot be used).
  std::unique_ptr<WritableFile> TakeSpare(uint64_t first) {
    if (!options.preallocate) return nullptr;
    std::lock_guard lock(spare_mu);
    if (!spare_ready) return nullptr;
    spare_ready = false;
    std::unique_ptr<WritableFile> f;
    if (fs.Rename(SparePath(), SegmentPath(first)).ok()) {
      auto opened = fs.OpenOverwrite(SegmentPath(first));
      if (opened.ok()) f = std::move(opened).value();
    }
    return f;
  }

  // Creates segment `first` (cutting any file of that name), writes and syncs its
  // header, and makes its directory entry durable.
  Status StartSegment(uint64_t first) {
    std::unique_ptr<WritableFile> f = TakeSpare(first);
    const bool preallocated = f != nullptr;
    if (!f) {
      STDB_ASSIGN_OR_RETURN(f, fs.OpenAppend(SegmentPath(first), 0));
    }
    Bytes header;
    AppendSegmentHeader(first, header);
    STDB_RETURN_IF_ERROR(f->Append(header));
    STDB_RETURN_IF_ERROR(f->Sync());
    STDB_RETURN_IF_ERROR(fs.SyncDirectory(options.dir));
    file = std::move(f);
    file_first = first;
    file_preallocated = preallocated;
    if (preallocated) {
      std::lock_guard lock(mu);
      stats.preallocated_segments += 1;
    }
    return Status::Ok();
  }

  // Cuts the active segment's unused zeros (before a roll or at Close).
  Status CutSpareTail() {
    if (!file || !file_preallocated) return Status::Ok();
    file_preallocated = false;
    return file->Truncate();
  }

  // Writes and fsyncs the buffered group, then publishes and reports it as durable.
  Status Flush() {
    if (buffer_records == 0) return Status::Ok();
    const auto start = std::chrono::steady_clock::now();
    // A group over kGroupBytesMax is one large record (WriteBatch). Its frame header
    // goes to the disk first, up to the end of the page it ends in: after a crash its
    // checked length tells ReadLog how far the torn record may reach.
    size_t head = buffer.size();
    if (buffer.size() > kGroupBytesMax) {
      constexpr uint64_t kPage = 4096;
      const uint64_t at = file->size();
      const uint64_t page_end = (at + kFrameHeaderBytes + kPage - 1) / kPage * kPage;
      head = static_cast<size_t>(std::min<uint64_t>(buffer.size(), page_end - at));
    }
    for (size_t from = 0; from < buffer.size(); from = head, head = buffer.size()) {
      if (Status s = file->Append(ByteView(buffer.data() + from, head - from)); !s.ok()) {
        return IoError("commit log write failed: " + s.message());
      }
      if (Status s = file->Sync(); !s.ok()) {
        return IoError("commit log fsync failed: " + s.message());
      }
    }
    {
      std::lock_guard lock(segments_mu);
      durable_end = DurableEnd{buffer_last, file_first, file->size()};
    }
    {
      std::lock_guard lock(mu);
      STDB_ASSERT(!durable || *durable < buffer_last);
      durable = buffer_last;
      stats.records += buffer_records;
      stats.syncs += 1;
      stats.bytes += buffer.size();
    }
    buffer.clear();
    buffer_records = 0;
    if (options.on_group) {
      const auto end = std::chrono::steady_clock::now();
      waits.clear();
      for (const auto& t : buffer_appended) waits.push_back(end - t);
      buffer_appended.clear();
      options.on_group(Options::Group{end - start, waits});
    }
    if (options.on_durable) options.on_durable(buffer_last);
    return Status::Ok();
  }

  // Closes the active segment (everything in it was synced by the Flush before) and
  // starts the next one at `first`.
  Status Roll(uint64_t first) {
    STDB_ASSERT(buffer_records == 0);
    // Only the last segment may end in zeros (ReadLog reads them as a torn tail).
    if (Status s = CutSpareTail(); !s.ok()) {
      return IoError("commit log cannot close segment " + SegmentFileName(file_first) + ": " +
                     s.message());
    }
    if (Status s = StartSegment(first); !s.ok()) {
      return IoError("commit log cannot start segment " + SegmentFileName(first) + ": " +
                     s.message());
    }
    std::lock_guard lock(segments_mu);
    STDB_ASSERT(segments.empty() || segments.back() < first);
    segments.push_back(first);
    return Status::Ok();
  }

  // Frames the batch into groups, one write + one fsync per group; a group ends at the
  // end of the batch, where the segment reaches segment_bytes, or before it would pass
  // kGroupBytesMax (ReadLog's torn-tail window; a larger record is a group alone).
  Status WriteBatch(std::deque<Pending>& batch) {
    // A segment that was not prepared (the first one, or the one a restart appends to)
    // is left for a prepared one as soon as one is ready: appends are cheaper there.
    MaybeAskForSpare();
    bool leave_unprepared = options.preallocate && !file_preallocated && SpareReady();
    for (Pending& p : batch) {
      const uint64_t size = file->size() + buffer.size();
      const bool leave = std::exchange(leave_unprepared, false);  // before the first record only
      if ((size >= options.segment_bytes || leave) && size > kSegmentHeaderBytes) {
        STDB_RETURN_IF_ERROR(Flush());
        STDB_RETURN_IF_ERROR(Roll(p.record.offset));
      } else if (buffer_records > 0 && buffer.size() + p.bytes > kGroupBytesMax) {
        STDB_RETURN_IF_ERROR(Flush());
      }
      AppendFramedRecord(p.record, p.bytes - kFrameHeaderBytes, buffer);
      if (options.on_group) buffer_appended.push_back(p.appended);
      buffer_last = p.record.offset;
      ++buffer_records;
    }
    return Flush();
  }

  void Fail(const Status& why) {
    STDB_ASSERT(!why.ok());
    buffer.clear();
    buffer_records = 0;
    buffer_appended.clear();
    {
      std::lock_guard lock(mu);
      STDB_ASSERT(failure.ok());
      failure = why;
      space_cv.notify_all();
    }
    if (options.on_failure) options.on_failure(why);
  }
};

CommitLog::CommitLog(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

CommitLog::~CommitLog() { Close().IgnoreError(); }

Result<std::unique_ptr<CommitLog>> CommitLog::Open(Options options, const LogEnd& end) {
  STDB_ASSERT(options.fs != nullptr);
  STDB_RETURN_IF_ERROR(options.fs->CreateDirectories(options.dir));
  std::unique_ptr<CommitLog> log(new CommitLog(std::move(options)));
  Impl& m = *log->impl_;
  m.next_offset = end.next_offset;
  if (end.next_offset > 0) m.durable = end.next_offset - 1;

  if (end.last_segment && end.last_segment_valid_bytes >= kSegmentHeaderBytes) {
    const auto first = ParseSegmentFileName(end.last_segment->filename().string());
    if (!first) return InvalidArgument("not a log segment: " + end.last_segment->string());
    STDB_ASSIGN_OR_RETURN(m.file, m.fs.OpenAppend(*end.last_segment, end.last_segment_valid_bytes));
    m.file_first = *first;
  } else {
    // No segment yet, or the last one has a torn header: (re)start it at next_offset.
    if (end.last_segment && end.last_segment->filename() != SegmentFileName(end.next_offset)) {
      return InvalidArgument("log segment " + end.last_segment->string() +
                             " does not start at offset " + std::to_string(end.next_offset));
    }
    STDB_RETURN_IF_ERROR(m.StartSegment(end.next_offset));
  }

  STDB_ASSIGN_OR_RETURN(const auto names, m.fs.List(m.options.dir));
  for (const std::string& name : names) {
    const auto first = ParseSegmentFileName(name);
    if (first && *first <= m.file_first) m.segments.push_back(*first);
  }
  STDB_ASSERT(!m.segments.empty() && m.segments.back() == m.file_first);
  m.durable_end = DurableEnd{m.durable, m.file_first, m.file->size()};
  m.writer = std::thread([raw = log.get()] {
    SetThreadName("stdb-log");
    raw->WriterLoop();
  });
  if (m.options.preallocate) {
    // A spare left by a crash is not trusted (it may be partly written): made again.
    m.fs.Remove(m.SparePath()).IgnoreError();
    m.preparer = std::thread([&m] {
      SetThreadName("stdb-log-prep");
      m.PrepareLoop();
    });
  }
  return log;
}

void CommitLog::WriterLoop() {
  Impl& m = *impl_;
  while (true) {
    std::deque<Pending> batch;
    bool failed = false;
    {
      std::unique_lock lock(m.mu);
      // A held group is taken when released (Append releases it before waiting for room).
      m.writer_cv.wait(lock, [&] { return m.closing || (!m.pending.empty() && !m.held); });
      if (m.pending.empty()) return;  // closing, and everything is written
      batch.swap(m.pending);
      failed = !m.failure.ok();
    }
    // After a failure nothing more may become durable: queued records are dropped.
    if (!failed) {
      if (Status s = m.WriteBatch(batch); !s.ok()) m.Fail(s);
    }
    uint64_t bytes = 0;
    for (const Pending& p : batch) bytes += p.bytes;
    std::lock_guard lock(m.mu);
    m.held_bytes -= bytes;
    m.held_records -= batch.size();
    m.space_cv.notify_all();
  }
}

Status CommitLog::Append(TxRecord record) {
  Impl& m = *impl_;
  const uint64_t payload_bytes = RecordPayloadBytes(record);
  if (payload_bytes > kRecordBytesMax) {
    return InvalidArgument("log record " + std::to_string(record.offset) + " is " +
                           std::to_string(payload_bytes) + " bytes, over the maximum of " +
                           std::to_string(kRecordBytesMax));
  }
  const uint64_t bytes = kFrameHeaderBytes + payload_bytes;
  // From here, not from after a wait for room: time blocked on the bound is commit time.
  const auto appended = m.options.on_group ? std::chrono::steady_clock::now()
                                           : std::chrono::steady_clock::time_point{};
  std::unique_lock lock(m.mu);
  STDB_ASSERT_MSG(!m.closing, "CommitLog::Append after Close");
  STDB_ASSERT_MSG(record.offset == m.next_offset, "log record offset out of sequence");
  // Backpressure: wait for the writer while the held records are over the bounds. A
  // record is always admitted when nothing is held, so one larger than the byte bound
  // still gets written.
  auto room = [&] {
    return !m.failure.ok() || m.held_records == 0 ||
           (m.held_bytes + bytes <= kPendingBytesMax && m.held_records < kPendingRecordsMax);
  };
  if (!room()) {
    // Only the writer makes room: a held group gives way, or this wait would never end.
    m.held = false;
    m.writer_cv.notify_one();
    m.space_cv.wait(lock, room);
  }
  if (!m.failure.ok()) return m.failure;
  m.pending.push_back(Pending{std::move(record), bytes, appended});
  m.held_bytes += bytes;
  m.held_records += 1;
  m.next_offset += 1;
  if (!m.held) m.writer_cv.notify_one();
  return Status::Ok();
}

void CommitLog::Hold() {
  std::lock_guard lock(impl_->mu);
  impl_->held = true;
}

void CommitLog::Release() {
  std::lock_guard lock(impl_->mu);
  impl_->held = false;
  if (!impl_->pending.empty()) impl_->writer_cv.notify_one();
}

uint64_t CommitLog::next_offset() const {
  std::lock_guard lock(impl_->mu);
  return impl_->next_offset;
}

std::optional<uint64_t> CommitLog::durable_offset() const {
  std::lock_guard lock(impl_->mu);
  return impl_->durable;
}

Status CommitLog::failure() const {
  std::lock_guard lock(impl_->mu);
  return impl_->failure;
}

Status CommitLog::Close() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (m.closed) return m.failure;
    m.closing = true;
    m.writer_cv.notify_all();
  }
  if (m.writer.joinable()) m.writer.join();
  {
    std::lock_guard lock(m.spare_mu);
    m.spare_stop.store(true);
    m.spare_cv.notify_all();
  }
  if (m.preparer.joinable()) m.preparer.join();
  if (m.options.preallocate) m.fs.Remove(m.SparePath()).IgnoreError();
  // A clean shutdown leaves no zeros after the last record (no torn-tail notice on the
  // next start). A failure here loses nothing: the zeros read as a torn tail.
  bool failed = false;
  {
    std::lock_guard lock(m.mu);
    failed = !m.failure.ok();
  }
  if (!failed) m.CutSpareTail().IgnoreError();
  m.file.reset();
  std::lock_guard lock(m.mu);
  STDB_ASSERT(m.pending.empty() && m.held_records == 0);
  m.closed = true;
  return m.failure;
}

Status CommitLog::RemoveSegmentsBefore(uint64_t offset) {
  Impl& m = *impl_;
  std::lock_guard lock(m.segments_mu);
  // Segment i holds offsets [segments[i], segments[i + 1]); the last one is active.
  size_t removed = 0;
  Status status;
  while (removed + 1 < m.segments.size() && m.segments[removed + 1] <= offset) {
    status = m.fs.Remove(m.SegmentPath(m.segments[removed]));
    if (!status.ok()) break;
    ++removed;
  }
  m.segments.erase(m.segments.begin(), m.segments.begin() + static_cast<ptrdiff_t>(removed));
  STDB_ASSERT(!m.segments.empty());
  STDB_RETURN_IF_ERROR(status);
  if (removed == 0) return Status::Ok();
  return m.fs.SyncDirectory(m.options.dir);
}

Result<std::vector<CommitLog::SegmentCopy>> CommitLog::DurablePrefix(uint64_t from_offset,
                                                                     uint64_t& up_to_offset) {
  Impl& m = *impl_;
  std::vector<SegmentCopy> out;
  std::lock_guard lock(m.segments_mu);
  const DurableEnd end = m.durable_end;
  if (!end.offset || *end.offset < from_offset) return out;
  if (from_offset < m.segments.front()) {
    return NotFound("log records before offset " + std::to_string(m.segments.front()) +
                    " were removed; cannot copy from offset " + std::to_string(from_offset));
  }
  auto close_all = [&] {
    for (const SegmentCopy& c : out) ::close(c.fd);
  };
  for (size_t i = 0; i < m.segments.size() && m.segments[i] <= *end.offset; ++i) {
    const bool last = i + 1 == m.segments.size();
    if (!last && m.segments[i + 1] <= from_offset) continue;  // all before from_offset
    const std::string name = SegmentFileName(m.segments[i]);
    const fs::path path = m.options.dir / name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      Status s = IoError("cannot open " + path.string() + ": " + std::strerror(errno));
      if (fd >= 0) ::close(fd);
      close_all();
      return s;
    }
    // Segments before the one the durable prefix ends in are complete and synced.
    const uint64_t bytes =
        m.segments[i] == end.segment ? end.bytes : static_cast<uint64_t>(st.st_size);
    STDB_ASSERT(m.segments[i] <= end.segment && bytes <= static_cast<uint64_t>(st.st_size));
    out.push_back(SegmentCopy{name, fd, bytes});
  }
  up_to_offset = *end.offset;
  return out;
}

CommitLog::Stats CommitLog::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace stdb::log
