// CommitLog: appends records to the log's segments on its own thread, with group
// commit: while one batch is being written and fsynced, the database keeps executing
// and queueing records; the next write + fsync covers everything queued meanwhile.
//
// The database worker calls Append (cheap: it moves the record into a queue); the
// writer thread encodes, CRCs, writes and fsyncs, then reports the new durable offset
// through Options::on_durable. If a write or fsync fails, nothing more becomes durable
// (a failed fsync cannot be retried safely: the kernel may have dropped the dirty
// pages), Options::on_failure is called once, and Append refuses further records.
//
// Bounded: at most kPendingBytesMax bytes of rows (kPendingRecordsMax records) wait for
// the writer; Append then blocks the worker until the writer catches up. That is the
// database's backpressure: its request queue fills and new requests are refused with
// kOverloaded instead of memory growing without limit.
//
// Thread safety: Append/Close from one thread (the database worker); the others from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "base/status.h"
#include "log/file.h"
#include "log/record.h"
#include "log/segment.h"

namespace stdb::log {

inline constexpr uint64_t kPendingBytesMax = 64ull << 20;
inline constexpr size_t kPendingRecordsMax = 65536;
inline constexpr uint64_t kDefaultSegmentBytes = 64ull << 20;
// With Options::preallocate, the next segment's file of zeros is prepared once the
// active segment holds this much (or half of segment_bytes, if less).
inline constexpr uint64_t kSpareAfterBytes = 4ull << 20;

class CommitLog {
 public:
  struct Options {
    std::filesystem::path dir;  // the log folder (segments)
    FileSystem* fs = &FileSystem::Posix();
    // A segment is closed (fsynced) and a new one started once it is this large.
    uint64_t segment_bytes = kDefaultSegmentBytes;
    // Prepare the next segment in the background as a file of segment_bytes zeros
    // (written and fsynced) once the active one holds kSpareAfterBytes, so that appending
    // to it overwrites allocated blocks: each group's fdatasync then flushes data only,
    // not block allocations and the file's size. The zeros past the last record are cut
    // at each roll and at Close; after a crash, ReadLog reads them, and the last group's
    // pages that reached the disk out of order, as a torn tail (kGroupBytesMax). Off by
    // default (tests that count fsyncs); the database turns it on.
    bool preallocate = false;
    // Called on the writer thread after each successful fsync with the offset of the
    // last record now durable. Must not block for long and must not call Append.
    std::function<void(uint64_t durable_offset)> on_durable;
    // Called once, on the writer thread, when a write or fsync fails.
    std::function<void(const Status& why)> on_failure;
    // Called on the writer thread after each group is durable, before on_durable: how
    // long its write + fsync took and, per record of the group, how long it waited from
    // Append to durable (for metrics). Must not block for long.
    struct Group {
      std::chrono::nanoseconds write_and_sync{0};
      std::span<const std::chrono::nanoseconds> waits;
    };
    std::function<void(const Group&)> on_group;
  };

  // Opens the log for appending where ReadLog left it (`end`): cuts the torn tail off
  // the last segment (or starts a new segment at end.next_offset) and starts the
  // writer thread. Records up to end.next_offset - 1 count as durable already.
  static Result<std::unique_ptr<CommitLog>> Open(Options options, const LogEnd& end);
  // Close()s.
  ~CommitLog();
  CommitLog(const CommitLog&) = delete;
  CommitLog& operator=(const CommitLog&) = delete;

  // Queues `record` for writing. REQUIRES: record.offset == next_offset(). Returns the
  // failure status once the log has failed (the record is then dropped). Blocks while the
  // pending bounds are exceeded.
  Status Append(TxRecord record);
  // Group commit shaped by the appender: between Hold and Release the writer leaves the
  // records appended alone (an Append that must wait for room releases the hold), so that a batch of
  // transactions run together becomes one group (one write, one fsync) instead of the
  // writer taking the first of them alone and the rest after its fsync. The appending
  // thread calls both; Release wakes the writer. Close writes held records too.
  void Hold();
  void Release();
  // The offset the next appended record must carry.
  uint64_t next_offset() const;
  // The offset of the last durable record; nullopt if none is durable yet.
  std::optional<uint64_t> durable_offset() const;
  // OK, or why the log stopped accepting records.
  Status failure() const;

  // Writes and fsyncs everything queued, then stops the writer thread. Idempotent.
  // Returns failure() (so a clean shutdown can report a failed log).
  Status Close();

  // Removes segments every record of which is below `offset` (covered by a snapshot at
  // offset - 1). Never removes the segment being written.
  Status RemoveSegmentsBefore(uint64_t offset);

  // A consistent, durable prefix of the log for backups: the segments holding records
  // [from_offset, up_to_offset] and, for each, how many of its bytes to copy (the last
  // one is cut after record up_to_offset, the durable offset when this was called).
  // Files are opened here (as read-only descriptors) so a concurrent RemoveSegmentsBefore
  // cannot take them away while they are copied. If no record at or after from_offset is
  // durable yet, returns no segments and leaves up_to_offset unchanged; kNotFound if
  // records from from_offset on were removed; kIo if a file cannot be opened.
  struct SegmentCopy {
    std::string file_name;
    int fd = -1;  // owned by the caller (close it)
    uint64_t bytes = 0;
  };
  Result<std::vector<SegmentCopy>> DurablePrefix(uint64_t from_offset, uint64_t& up_to_offset);

  // Totals since Open, for benchmarks and metrics.
  struct Stats {
    uint64_t records = 0;
    uint64_t syncs = 0;
    uint64_t bytes = 0;
    uint64_t preallocated_segments = 0;  // segments started from a prepared file of zeros
  };
  Stats stats() const;

 private:
  CommitLog(Options options);
  void WriterLoop();
  // ... private members are the implementer's choice.
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stdb::log
