// Server log lines: "<time> <level> [<scope>] <message>" to stderr, one line per call.
// Thread-safe. (Structured JSON logs arrive with the observability work in src/obs.)
#pragma once

#include <string_view>

namespace stdb {

enum class LogSeverity { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };

// Lines above this severity are dropped. Default: kInfo.
void SetLogSeverity(LogSeverity max);

void LogLine(LogSeverity severity, std::string_view scope, std::string_view message);

inline void LogError(std::string_view scope, std::string_view m) { LogLine(LogSeverity::kError, scope, m); }
inline void LogWarn(std::string_view scope, std::string_view m) { LogLine(LogSeverity::kWarn, scope, m); }
inline void LogInfo(std::string_view scope, std::string_view m) { LogLine(LogSeverity::kInfo, scope, m); }
inline void LogDebug(std::string_view scope, std::string_view m) { LogLine(LogSeverity::kDebug, scope, m); }

}  // namespace stdb
