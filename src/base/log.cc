#include "base/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace stdb {
namespace {

std::atomic<int> g_max_severity{static_cast<int>(LogSeverity::kInfo)};
std::mutex g_mu;

const char* Name(LogSeverity s) {
  switch (s) {
    case LogSeverity::kError: return "ERROR";
    case LogSeverity::kWarn: return "WARN";
    case LogSeverity::kInfo: return "INFO";
    case LogSeverity::kDebug: return "DEBUG";
    case LogSeverity::kTrace: return "TRACE";
  }
  return "INFO";
}

}  // namespace

void SetLogSeverity(LogSeverity max) { g_max_severity.store(static_cast<int>(max)); }

void LogLine(LogSeverity severity, std::string_view scope, std::string_view message) {
  if (static_cast<int>(severity) > g_max_severity.load(std::memory_order_relaxed)) return;
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard lock(g_mu);
  std::fprintf(stderr, "%s.%03dZ %-5s [%.*s] %.*s\n", stamp, static_cast<int>(millis),
               Name(severity), static_cast<int>(scope.size()), scope.data(),
               static_cast<int>(message.size()), message.data());
}

}  // namespace stdb
