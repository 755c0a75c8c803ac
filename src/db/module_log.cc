#include "db/module_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/assert.h"
#include "base/log.h"

namespace stdb::db {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr const char* kFileName = "module.log";
constexpr const char* kOldFileName = "module.log.1";

// What one ring line costs beyond its strings (the record and the deque's share).
constexpr size_t kRecordOverheadBytes = sizeof(LogRecord) + 16;

size_t RecordBytes(const LogRecord& r) {
  return r.message.size() + r.target.size() + kRecordOverheadBytes;
}

std::optional<module::LogLevel> LevelFromJsonName(std::string_view name) {
  for (auto level : {module::LogLevel::kError, module::LogLevel::kWarn, module::LogLevel::kInfo,
                     module::LogLevel::kDebug, module::LogLevel::kTrace}) {
    if (LogLevelJsonName(level) == name) return level;
  }
  return std::nullopt;
}

std::string ErrnoText() { return std::strerror(errno); }

// Writes all of `data` to `fd`, retrying short writes and EINTR.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string_view LogLevelJsonName(module::LogLevel level) {
  switch (level) {
    case module::LogLevel::kError:
      return "Error";
    case module::LogLevel::kWarn:
      return "Warn";
    case module::LogLevel::kInfo:
      return "Info";
    case module::LogLevel::kDebug:
      return "Debug";
    case module::LogLevel::kTrace:
      return "Trace";
  }
  return "Info";
}

std::string LogRecordToJson(const LogRecord& record) {
  // In SpacetimeDB's key order, for readers that look at the raw lines.
  nlohmann::ordered_json j;
  j["level"] = LogLevelJsonName(record.level);
  j["ts"] = record.ts_micros;
  j["target"] = nullptr;
  if (!record.target.empty()) j["target"] = record.target;
  j["message"] = record.message;
  // Module messages are not checked for UTF-8 on the way in; replace what is not.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<LogRecord> LogRecordFromJson(std::string_view line) {
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return DecodeError("a module log line is not JSON");
  auto level = j.find("level");
  auto ts = j.find("ts");
  auto target = j.find("target");
  auto message = j.find("message");
  if (level == j.end() || !level->is_string() || ts == j.end() || !ts->is_number_integer() ||
      message == j.end() || !message->is_string() ||
      (target != j.end() && !target->is_string() && !target->is_null())) {
    return DecodeError("a module log line lacks level, ts or message");
  }
  auto parsed_level = LevelFromJsonName(level->get<std::string>());
  if (!parsed_level) return DecodeError("a module log line has an unknown level");
  LogRecord r;
  r.ts_micros = ts->get<int64_t>();
  r.level = *parsed_level;
  if (target != j.end() && target->is_string()) r.target = target->get<std::string>();
  r.message = message->get<std::string>();
  return r;
}

std::string TruncateLogMessage(std::string message, size_t bytes_max) {
  if (message.size() <= bytes_max) return message;
  size_t cut = bytes_max;
  // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  const size_t dropped = message.size() - cut;
  message.resize(cut);
  message += " [" + std::to_string(dropped) + " bytes truncated]";
  return message;
}

// ---------------------------------------------------------------------------------------
// LogFollower

LogFollower::LogFollower(size_t lines_max, size_t bytes_max)
    : lines_max_(lines_max), bytes_max_(bytes_max) {
  STDB_ASSERT(lines_max > 0);
  STDB_ASSERT(bytes_max > 0);
}

LogFollower::~LogFollower() { Close(); }

LogFollower::Batch LogFollower::Take() {
  std::lock_guard lock(mu_);
  Batch batch;
  batch.records.assign(std::make_move_iterator(queue_.begin()),
                       std::make_move_iterator(queue_.end()));
  queue_.clear();
  queue_bytes_ = 0;
  batch.dropped = dropped_;
  batch.ended = ended_ || closed_;
  return batch;
}

bool LogFollower::ArmWake(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  if (!queue_.empty() || ended_ || closed_) return false;
  wake_ = std::move(wake);
  return true;
}

void LogFollower::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  queue_.clear();
  queue_bytes_ = 0;
  wake_ = nullptr;
}

bool LogFollower::Push(const LogRecord& record) {
  std::lock_guard lock(mu_);
  if (closed_ || ended_) return false;
  const size_t bytes = RecordBytes(record);
  if (queue_.size() >= lines_max_ || queue_bytes_ + bytes > bytes_max_) {
    // Full: the reader has fallen behind. Dropping it keeps the writer from waiting and
    // memory bounded; what is queued is still delivered, then the end.
    dropped_ = true;
    ended_ = true;
    WakeLocked();
    return false;
  }
  queue_.push_back(record);
  queue_bytes_ += bytes;
  WakeLocked();
  return true;
}

void LogFollower::End() {
  std::lock_guard lock(mu_);
  ended_ = true;
  WakeLocked();
}

void LogFollower::WakeLocked() {
  if (!wake_) return;
  auto wake = std::move(wake_);
  wake_ = nullptr;
  wake();
}

// ---------------------------------------------------------------------------------------
// ModuleLog

ModuleLog::ModuleLog(Options options) : options_(std::move(options)) {
  STDB_ASSERT(options_.ring_lines_max > 0);
  STDB_ASSERT(options_.file_bytes_max > 0);
}

Result<std::unique_ptr<ModuleLog>> ModuleLog::Open(Options options) {
  std::unique_ptr<ModuleLog> log(new ModuleLog(std::move(options)));
  if (log->options_.dir) STDB_RETURN_IF_ERROR(log->Load());
  return log;
}

ModuleLog::~ModuleLog() {
  Flush();
  EndFollowers();
  if (fd_ >= 0) ::close(fd_);
}

Status ModuleLog::Load() {
  const fs::path& dir = *options_.dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create " + dir.string() + ": " + ec.message());
  // Oldest first, so the ring ends with the newest lines.
  STDB_RETURN_IF_ERROR(LoadFile(dir / kOldFileName));
  STDB_RETURN_IF_ERROR(LoadFile(dir / kFileName));
  return OpenForAppend();
}

Status ModuleLog::LoadFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return IoError("cannot read " + path.string() + ": " + ErrnoText());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const std::string why = ErrnoText();
    ::close(fd);
    return IoError("cannot read " + path.string() + ": " + why);
  }
  // Bounded: only the tail that rotation lets a file reach is read, so a file grown by
  // hand cannot make start-up read without limit.
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint64_t read_max = options_.file_bytes_max + kModuleLogWriteBufferBytesMax;
  const uint64_t start = size > read_max ? size - read_max : 0;
  std::string text(size - start, '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n =
        ::pread(fd, text.data() + got, text.size() - got, static_cast<off_t>(start + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(got);
  size_t pos = 0;
  if (start > 0) {
    // Started mid-file: the first line is partial.
    pos = text.find('\n');
    pos = pos == std::string::npos ? text.size() : pos + 1;
  }
  std::lock_guard lock(mu_);
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    auto record = LogRecordFromJson(std::string_view(text).substr(pos, end - pos));
    if (record.ok()) PushRingLocked(std::move(record).value());
    pos = end + 1;
  }
  return Status::Ok();
}

Status ModuleLog::OpenForAppend() {
  const fs::path path = *options_.dir / kFileName;
  std::lock_guard lock(file_mu_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return IoError("cannot open " + path.string() + ": " + ErrnoText());
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return IoError("cannot stat " + path.string() + ": " + ErrnoText());
  file_bytes_ = static_cast<uint64_t>(st.st_size);
  if (file_bytes_ > 0) {
    // A crash may have left a torn last line; end it so the next line stands alone.
    char last = '\n';
    const int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
      if (::pread(rfd, &last, 1, static_cast<off_t>(file_bytes_ - 1)) != 1) last = '\n';
      ::close(rfd);
    }
    if (last != '\n') WriteLocked("\n");
  }
  return Status::Ok();
}

void ModuleLog::PushRingLocked(LogRecord record) {
  ring_bytes_ += RecordBytes(record);
  ring_.push_back(std::move(record));
  while (ring_.size() > options_.ring_lines_max ||
         (ring_bytes_ > options_.ring_bytes_max && ring_.size() > 1)) {
    ring_bytes_ -= RecordBytes(ring_.front());
    ring_.pop_front();
  }
}

void ModuleLog::PruneFollowersLocked() {
  std::erase_if(followers_, [](const std::weak_ptr<LogFollower>& w) {
    auto f = w.lock();
    if (!f) return true;
    std::lock_guard lock(f->mu_);
    return f->closed_ || f->ended_;
  });
}

void ModuleLog::Append(LogRecord record) {
  record.message = TruncateLogMessage(std::move(record.message), kModuleLogMessageBytesMax);
  bool flush_now = false;
  {
    std::lock_guard lock(mu_);
    if (options_.dir) {
      write_buffer_ += LogRecordToJson(record);
      write_buffer_ += '\n';
      flush_now = write_buffer_.size() >= kModuleLogWriteBufferBytesMax;
    }
    bool prune = false;
    for (const auto& weak : followers_) {
      auto follower = weak.lock();
      if (!follower || !follower->Push(record)) prune = true;
    }
    if (prune) PruneFollowersLocked();
    PushRingLocked(std::move(record));
  }
  if (flush_now) Flush();
}

void ModuleLog::Flush() {
  if (!options_.dir) return;
  std::lock_guard file_lock(file_mu_);
  std::string data;
  {
    std::lock_guard lock(mu_);
    data.swap(write_buffer_);
  }
  if (data.empty() || fd_ < 0) return;
  if (file_bytes_ > 0 && file_bytes_ + data.size() > options_.file_bytes_max) {
    const fs::path dir = *options_.dir;
    std::error_code ec;
    fs::rename(dir / kFileName, dir / kOldFileName, ec);
    if (ec) {
      LogError("module_log", "cannot rotate " + (dir / kFileName).string() + ": " + ec.message());
    } else {
      ::close(fd_);
      fd_ = ::open((dir / kFileName).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      file_bytes_ = 0;
      if (fd_ < 0) {
        LogError("module_log", "cannot open " + (dir / kFileName).string() + ": " + ErrnoText());
        return;
      }
    }
  }
  WriteLocked(data);
}

void ModuleLog::WriteLocked(const std::string& data) {
  if (WriteAll(fd_, data)) {
    file_bytes_ += data.size();
    if (write_failing_) LogInfo("module_log", "writing " + options_.dir->string() + " again");
    write_failing_ = false;
    return;
  }
  // The size is unknown after a partial write; re-read it so rotation stays right.
  struct stat st {};
  if (::fstat(fd_, &st) == 0) file_bytes_ = static_cast<uint64_t>(st.st_size);
  if (!write_failing_) {
    LogError("module_log", "cannot write " + (*options_.dir / kFileName).string() + ": " +
                               ErrnoText() + "; module log lines are kept in memory only");
  }
  write_failing_ = true;
}

std::vector<LogRecord> ModuleLog::Tail(size_t lines_max) const {
  std::lock_guard lock(mu_);
  const size_t n = std::min(lines_max, ring_.size());
  return std::vector<LogRecord>(ring_.end() - static_cast<ptrdiff_t>(n), ring_.end());
}

Result<std::shared_ptr<LogFollower>> ModuleLog::Follow(size_t backlog_max,
                                                       std::vector<LogRecord>* backlog) {
  STDB_ASSERT(backlog != nullptr);
  std::lock_guard lock(mu_);
  PruneFollowersLocked();
  if (followers_.size() >= kLogFollowersMax) {
    return Status(ErrorCode::kOverloaded, "too many log followers on this database (" +
                                              std::to_string(kLogFollowersMax) + "); retry later");
  }
  const size_t n = std::min(backlog_max, ring_.size());
  backlog->assign(ring_.end() - static_cast<ptrdiff_t>(n), ring_.end());
  auto follower =
      std::make_shared<LogFollower>(options_.follower_lines_max, options_.follower_bytes_max);
  followers_.push_back(follower);
  return follower;
}

void ModuleLog::EndFollowers() {
  std::lock_guard lock(mu_);
  for (const auto& weak : followers_) {
    if (auto follower = weak.lock()) follower->End();
  }
  followers_.clear();
}

size_t ModuleLog::follower_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& weak : followers_) {
    auto f = weak.lock();
    if (!f) continue;
    std::lock_guard flock(f->mu_);
    if (!f->closed_ && !f->ended_) ++n;
  }
  return n;
}

}  // namespace stdb::db
