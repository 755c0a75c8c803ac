// ModuleLog: the log lines a database's reducers write, kept per database.
//
// Each line is a LogRecord (time, level, the reducer that wrote it, message). The log
// keeps the newest lines in a bounded in-memory ring, serves them to readers
// (GET /v1/database/:name/logs), hands new lines to followers as they arrive, and, for a
// database with a directory, appends every line to `<dir>/module.log` as one JSON object
// per line (format in docs/data-dir.md), so that the lines survive a restart.
//
// Disk: Append only buffers; Flush writes the buffer with write(2) and never fsyncs, so
// the database's worker thread never waits for the disk to make the data durable. The
// database flushes after every reducer (transaction), and Append flushes by itself when
// the buffer passes kModuleLogWriteBufferBytesMax. A crash can lose lines the kernel has
// not yet written back; a torn last line is skipped when the file is read again.
// Rotation: before a write would take module.log past `file_bytes_max`, module.log is
// renamed to module.log.1 (replacing the previous one) and a fresh module.log begins; so
// at most two files of about `file_bytes_max` each are kept. Open fills the ring from the
// tail of module.log.1 and module.log.
//
// Followers: Follow registers a LogFollower with a bounded queue. Append never blocks on a
// follower: one whose queue is full is dropped (its stream ends with a line saying that
// lines were dropped) and the reader may ask again.
//
// Thread safety: every method may be called from any thread. The ring, the followers and
// the write buffer are guarded by one mutex; file writes by a second one, so readers of
// the ring never wait for the disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "module/host.h"

namespace stdb::db {

// Bounded: the ring keeps the newest lines up to this many lines or this many bytes
// (message + reducer name + a fixed per-line overhead), whichever is reached first; older
// lines leave the ring (they stay in the files until rotation removes them).
inline constexpr size_t kModuleLogRingLinesMax = 10'000;
inline constexpr size_t kModuleLogRingBytesMax = 8 << 20;
// Bounded: module.log is rotated to module.log.1 before it would grow past this size.
inline constexpr uint64_t kModuleLogFileBytesMax = 16 << 20;
// Bounded: a longer message is cut to this many bytes (at a UTF-8 character boundary)
// and marked as truncated, so one line cannot take the whole ring.
inline constexpr size_t kModuleLogMessageBytesMax = 64 << 10;
// Bounded: lines waiting to be written; past this Append writes them at once.
inline constexpr size_t kModuleLogWriteBufferBytesMax = 1 << 20;
// Bounded: lines queued for one follower that has not taken them yet. A follower whose
// queue would pass either bound is dropped (see LogFollower).
inline constexpr size_t kLogFollowerLinesMax = 4096;
inline constexpr size_t kLogFollowerBytesMax = 4 << 20;
// Bounded: followers per database; Follow refuses more with kOverloaded.
inline constexpr size_t kLogFollowersMax = 64;

// One module log line.
struct LogRecord {
  int64_t ts_micros = 0;  // microseconds since the Unix epoch (the database's Clock)
  module::LogLevel level = module::LogLevel::kInfo;
  std::string target;  // the reducer that wrote the line; empty when not known
  std::string message;

  bool operator==(const LogRecord&) const = default;
};

// "Error", "Warn", "Info", "Debug", "Trace" (SpacetimeDB's spelling in log JSON).
std::string_view LogLevelJsonName(module::LogLevel level);

// The record as one line of JSON without the newline (docs/http-api.md):
// {"level":"Info","ts":<micros>,"target":"<reducer>"|null,"message":"..."}.
// Invalid UTF-8 in the message is replaced by U+FFFD.
std::string LogRecordToJson(const LogRecord& record);
// Parses one line written by LogRecordToJson. Fails with kDecode on anything else.
Result<LogRecord> LogRecordFromJson(std::string_view line);

// Cuts `message` to at most `bytes_max` bytes plus a marker saying how much was cut,
// without splitting a UTF-8 sequence. Shorter messages are returned unchanged.
std::string TruncateLogMessage(std::string message, size_t bytes_max);

// A reader of new lines (see ModuleLog::Follow).
//
// Thread safety: all methods may be called from any thread; the writer pushes while
// the reader takes.
class LogFollower {
 public:
  LogFollower(size_t lines_max, size_t bytes_max);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  struct Batch {
    std::vector<LogRecord> records;  // in the order they were written
    // The follower fell behind: lines after `records` were not queued for it. The reader
    // should say so; no more lines will come.
    bool dropped = false;
    // No more lines will come (dropped, the log was closed, or Close was called).
    bool ended = false;
  };
  // Takes every queued line.
  Batch Take();

  // Arms `wake` to be called once, on the writer's thread, when a line is queued or the
  // follower ends. Returns false without arming if Take would return something now (a
  // line, or the end), so that a reader never waits for what is already there. `wake`
  // must not block: it is called with the follower's lock held.
  bool ArmWake(std::function<void()> wake);

  // Stops following: no line is queued after this returns and an armed wake is dropped,
  // never to be called (so whatever it refers to may go away). Idempotent.
  void Close();

 private:
  friend class ModuleLog;
  // Called by the writer. Returns false when the follower takes no more lines (it was
  // closed, ended, or has just been dropped because its queue is full).
  bool Push(const LogRecord& record);
  // Ends the follower after what is queued (the log is closing).
  void End();
  void WakeLocked();

  const size_t lines_max_;
  const size_t bytes_max_;
  std::mutex mu_;
  std::deque<LogRecord> queue_;
  size_t queue_bytes_ = 0;
  bool dropped_ = false;
  bool ended_ = false;
  bool closed_ = false;
  std::function<void()> wake_;
};

class ModuleLog {
 public:
  struct Options {
    // The database's folder; module.log is written there. nullopt: memory only.
    std::optional<std::filesystem::path> dir;
    size_t ring_lines_max = kModuleLogRingLinesMax;
    size_t ring_bytes_max = kModuleLogRingBytesMax;
    uint64_t file_bytes_max = kModuleLogFileBytesMax;
    size_t follower_lines_max = kLogFollowerLinesMax;
    size_t follower_bytes_max = kLogFollowerBytesMax;
  };

  // Opens the log: creates `dir` if needed, fills the ring from the tail of module.log.1
  // and module.log (lines that do not parse, such as a torn last line, are skipped) and
  // opens module.log for appending. Fails with kIo when the folder or file cannot be
  // created or read.
  static Result<std::unique_ptr<ModuleLog>> Open(Options options);
  // Writes what is buffered and ends every follower.
  ~ModuleLog();
  ModuleLog(const ModuleLog&) = delete;
  ModuleLog& operator=(const ModuleLog&) = delete;

  // Records one line: into the ring, to every follower, and into the write buffer (which
  // is written at once when it passes kModuleLogWriteBufferBytesMax). The message is
  // truncated to kModuleLogMessageBytesMax. Never blocks on a reader.
  void Append(LogRecord record);

  // Writes the buffered lines to module.log (write(2), no fsync), rotating first when the
  // file would pass file_bytes_max. A write error is reported to the server log once per
  // run of errors and the buffered lines are dropped from the file (they stay in the
  // ring). Does nothing for a memory-only log.
  void Flush();

  // The newest `lines_max` lines in the ring, oldest first.
  std::vector<LogRecord> Tail(size_t lines_max) const;

  // Registers a follower and, atomically with that, copies the newest `backlog_max`
  // lines to `backlog`: every line is either in the backlog or queued for the follower,
  // never both and never neither. Fails with kOverloaded when kLogFollowersMax followers
  // are registered. The caller must Close the follower when done with it.
  Result<std::shared_ptr<LogFollower>> Follow(size_t backlog_max, std::vector<LogRecord>* backlog);

  // Ends every follower (each after what is already queued for it); later Follow calls
  // still work. Used when the database stops.
  void EndFollowers();

  // For tests: the number of registered, still-open followers.
  size_t follower_count() const;

 private:
  explicit ModuleLog(Options options);
  Status Load();
  Status LoadFile(const std::filesystem::path& path);
  Status OpenForAppend();
  void PushRingLocked(LogRecord record);
  void WriteLocked(const std::string& data);  // file_mu_ held
  void PruneFollowersLocked();

  const Options options_;

  mutable std::mutex mu_;  // guards the members below up to file_mu_
  std::deque<LogRecord> ring_;
  size_t ring_bytes_ = 0;
  std::vector<std::weak_ptr<LogFollower>> followers_;
  std::string write_buffer_;

  std::mutex file_mu_;  // guards the file state below; taken before mu_, never after
  int fd_ = -1;
  uint64_t file_bytes_ = 0;
  bool write_failing_ = false;  // the last write failed (reported once per run of errors)
};

}  // namespace stdb::db
