// Formats module log lines (the JSON lines of GET /v1/database/:name/logs) for people.
#pragma once

#include <string>
#include <string_view>

namespace stdb::cli {

// One JSON log line {"level","ts","target","message"} as
// "<RFC 3339 time> <LEVEL> [<reducer>] <message>" (the "[<reducer>] " part only when the
// line names one). Newlines and carriage returns in the message print as \n and \r, so
// each entry stays one line. A line that is not a log record prints unchanged.
std::string FormatLogLine(std::string_view json_line);

// Splits a byte stream into lines as it arrives: Feed returns each complete line (without
// its '\n') to `emit`, keeping a partial last line for the next Feed.
// Bounded: a partial line longer than kLineBytesMax is handed over as it is, so a stream
// without newlines cannot grow the buffer without limit.
class LineSplitter {
 public:
  static constexpr size_t kLineBytesMax = 8 << 20;

  template <typename Emit>
  void Feed(std::string_view data, Emit&& emit) {
    pending_.append(data);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
      emit(std::string_view(pending_).substr(start, nl - start));
    }
    pending_.erase(0, start);
    if (pending_.size() > kLineBytesMax) {
      emit(std::string_view(pending_));
      pending_.clear();
    }
  }
  // The partial line left at the end of the stream.
  const std::string& rest() const { return pending_; }

 private:
  std::string pending_;
};

}  // namespace stdb::cli
