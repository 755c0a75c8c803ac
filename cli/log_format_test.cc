#include "cli/log_format.h"

#include <gtest/gtest.h>

#include <vector>

namespace stdb::cli {
namespace {

TEST(LogFormat, PrintsTimeLevelReducerAndMessage) {
  // Proves the human form of a log line: RFC 3339 time, upper-case level, [reducer].
  EXPECT_EQ(FormatLogLine(
                R"({"level":"Info","ts":1700000000123456,"target":"send_message","message":"hi"})"),
            "2023-11-14T22:13:20.123456Z INFO [send_message] hi");
}

TEST(LogFormat, OmitsAnUnknownReducerAndKeepsOneLinePerEntry) {
  // Proves a null target prints no brackets and a multi-line message stays on one line.
  EXPECT_EQ(FormatLogLine(R"({"level":"Warn","ts":0,"target":null,"message":"a\nb\r"})"),
            "1970-01-01T00:00:00.000000Z WARN a\\nb\\r");
}

TEST(LogFormat, PrintsOtherLinesUnchanged) {
  // Proves something that is not a log record is shown as it came, not dropped.
  EXPECT_EQ(FormatLogLine("not json"), "not json");
  EXPECT_EQ(FormatLogLine(R"({"level":"Info"})"), R"({"level":"Info"})");
}

TEST(LineSplitter, ReassemblesLinesSplitAcrossPieces) {
  // Proves lines split between pieces come out whole and in order.
  LineSplitter splitter;
  std::vector<std::string> lines;
  auto emit = [&](std::string_view line) { lines.emplace_back(line); };
  splitter.Feed("one\ntw", emit);
  splitter.Feed("o\n", emit);
  splitter.Feed("three", emit);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(splitter.rest(), "three");
}

TEST(LineSplitter, APartialLineIsBounded) {
  // Proves a stream without newlines does not grow the buffer past kLineBytesMax.
  LineSplitter splitter;
  size_t emitted = 0;
  const std::string piece(1 << 20, 'x');
  for (int i = 0; i < 10; ++i) {
    splitter.Feed(piece, [&](std::string_view line) { emitted += line.size(); });
  }
  EXPECT_LE(splitter.rest().size(), LineSplitter::kLineBytesMax);
  EXPECT_GT(emitted, 0u);
}

}  // namespace
}  // namespace stdb::cli
