#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "base/utf8.h"

namespace stdb {
namespace {

std::atomic<int> g_max_severity{static_cast<int>(LogSeverity::kInfo)};
std::atomic<int> g_format{-1};  // -1: not chosen yet (DefaultLogFormat on first use)
std::mutex g_mu;
thread_local RequestId t_request_id;

const char* Name(LogSeverity s, bool lower) {
  switch (s) {
    case LogSeverity::kError: return lower ? "error" : "ERROR";
    case LogSeverity::kWarn: return lower ? "warn" : "WARN";
    case LogSeverity::kInfo: return lower ? "info" : "INFO";
    case LogSeverity::kDebug: return lower ? "debug" : "DEBUG";
    case LogSeverity::kTrace: return lower ? "trace" : "TRACE";
  }
  return lower ? "info" : "INFO";
}

bool RequestIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '/' || c == '-';
}

// Length of the UTF-8 sequence a lead byte starts (1 for anything invalid as a lead).
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// Appends `s` as the inside of a JSON string: quotes, backslashes and control
// characters escaped; bytes that are not UTF-8 (module log text is not validated)
// become U+FFFD, so the line stays valid JSON.
void AppendJsonText(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = SequenceLength(c);
      if (i + n <= s.size() && IsValidUtf8(s.substr(i, n))) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out.append("\\ufffd");
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

void AppendJsonField(std::string_view key, std::string_view value, std::string& out) {
  out.append(",\"");
  out.append(key);
  out.append("\":\"");
  AppendJsonText(value, out);
  out.push_back('"');
}

}  // namespace

RequestId::RequestId(std::string_view text) {
  for (char c : text.substr(0, kMaxBytes)) text_[len_++] = RequestIdChar(c) ? c : '_';
}

const RequestId& CurrentRequestId() { return t_request_id; }

ScopedRequestId::ScopedRequestId(const RequestId& id) : previous_(t_request_id) { t_request_id = id; }
ScopedRequestId::~ScopedRequestId() { t_request_id = previous_; }

void SetLogSeverity(LogSeverity max) { g_max_severity.store(static_cast<int>(max)); }
void SetLogFormat(LogFormat format) { g_format.store(static_cast<int>(format)); }

LogFormat DefaultLogFormat() { return isatty(STDERR_FILENO) ? LogFormat::kText : LogFormat::kJson; }

std::string FormatLogLine(LogFormat format, int64_t unix_micros, LogSeverity severity,
                          std::string_view scope, std::string_view message,
                          std::string_view request_id) {
  const std::time_t secs = static_cast<std::time_t>(unix_micros / 1000000);
  const int millis = static_cast<int>((unix_micros / 1000) % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[40];
  const size_t n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof(stamp) - n, ".%03dZ", millis);

  std::string out;
  out.reserve(96 + scope.size() + message.size() + request_id.size());
  if (format == LogFormat::kText) {
    char head[64];
    std::snprintf(head, sizeof(head), "%s %-5s [", stamp, Name(severity, false));
    out.append(head);
    out.append(scope);
    out.append("] ");
    if (!request_id.empty()) {
      out.append("(");
      out.append(request_id);
      out.append(") ");
    }
    out.append(message);
    out.push_back('\n');
    return out;
  }
  out.append("{\"time\":\"");
  out.append(stamp);
  out.append("\",\"level\":\"");
  out.append(Name(severity, true));
  out.push_back('"');
  const size_t slash = scope.find('/');
  const std::string_view target = scope.substr(0, slash);
  AppendJsonField("target", target, out);
  if (slash != std::string_view::npos) {
    const std::string_view key = target == "db" ? "database" : target == "server" ? "node" : "name";
    AppendJsonField(key, scope.substr(slash + 1), out);
  }
  AppendJsonField("message", message, out);
  if (!request_id.empty()) AppendJsonField("request_id", request_id, out);
  out.append("}\n");
  return out;
}

void LogLine(LogSeverity severity, std::string_view scope, std::string_view message) {
  if (static_cast<int>(severity) > g_max_severity.load(std::memory_order_relaxed)) return;
  int format = g_format.load(std::memory_order_relaxed);
  if (format < 0) {
    format = static_cast<int>(DefaultLogFormat());
    g_format.store(format, std::memory_order_relaxed);
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string line = FormatLogLine(static_cast<LogFormat>(format), now, severity, scope,
                                         message, t_request_id.view());
  std::lock_guard lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace stdb
