// Server log lines to stderr, one line per call, in one of two formats:
//   text  "<time> <LEVEL> [<scope>] <message>"                      (for a terminal)
//   json  {"time":"…","level":"info","target":"db","database":"chat",
//          "message":"…","request_id":"…"}                        (one object per line)
// The default is text when stderr is a terminal and JSON otherwise (a container, a
// file, a log shipper); the server's --log-format overrides it.
//
// A scope is "<target>" or "<target>/<name>": "db/<database>" gives the JSON field
// "database", "server/<node>" gives "node", any other name gives "name".
//
// Request ids: a ScopedRequestId marks the work done on this thread for one request
// (an HTTP request, a WebSocket client's message); every line logged meanwhile carries
// it. A Database's queue hands the id of the enqueuing thread to the worker, so a
// reducer's log lines carry the id of the request that called it.
//
// Thread-safe; a line is written with one fwrite under a lock, so lines never interleave.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stdb {

enum class LogSeverity { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };
enum class LogFormat { kText, kJson };

// Lines above this severity are dropped. Default: kInfo.
void SetLogSeverity(LogSeverity max);
void SetLogFormat(LogFormat format);
// Text if stderr is a terminal, else JSON: the format used until SetLogFormat.
LogFormat DefaultLogFormat();

// A request's id: at most kMaxBytes of [A-Za-z0-9._:/-]; a fixed-size value so that
// handing it to another thread never allocates.
class RequestId {
 public:
  static constexpr size_t kMaxBytes = 47;
  RequestId() = default;
  // Keeps the first kMaxBytes allowed characters; other characters become '_'.
  explicit RequestId(std::string_view text);
  std::string_view view() const { return {text_, len_}; }
  bool empty() const { return len_ == 0; }

 private:
  char text_[kMaxBytes] = {};
  uint8_t len_ = 0;
};

// The id of the request this thread works for (empty if none).
const RequestId& CurrentRequestId();

// Sets CurrentRequestId() for its lifetime, then restores the previous one.
class ScopedRequestId {
 public:
  explicit ScopedRequestId(const RequestId& id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  RequestId previous_;
};

void LogLine(LogSeverity severity, std::string_view scope, std::string_view message);

// One line (with its '\n') as LogLine writes it; `unix_micros` is the time. Exposed for
// tests.
std::string FormatLogLine(LogFormat format, int64_t unix_micros, LogSeverity severity,
                          std::string_view scope, std::string_view message,
                          std::string_view request_id);

inline void LogError(std::string_view scope, std::string_view m) { LogLine(LogSeverity::kError, scope, m); }
inline void LogWarn(std::string_view scope, std::string_view m) { LogLine(LogSeverity::kWarn, scope, m); }
inline void LogInfo(std::string_view scope, std::string_view m) { LogLine(LogSeverity::kInfo, scope, m); }
inline void LogDebug(std::string_view scope, std::string_view m) { LogLine(LogSeverity::kDebug, scope, m); }

}  // namespace stdb
