#include "base/log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

namespace stdb {
namespace {

// 2026-11-30T18:06:37.030Z
constexpr int64_t kTime = 1796061997030000;

TEST(LogTest, JsonLinesAreOneObjectWithTheDatabaseAndRequestId) {
  const std::string line =
      FormatLogLine(LogFormat::kJson, kTime, LogSeverity::kWarn, "db/chat",
                    "said \"hi\"\n\tand \x01 left", "c0ffee:17");
  ASSERT_EQ(line.back(), '\n');
  ASSERT_EQ(line.find('\n'), line.size() - 1) << "one line";
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2026-11-30T18:06:37.030Z");
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["target"], "db");
  EXPECT_EQ(j["database"], "chat");
  EXPECT_EQ(j["message"], "said \"hi\"\n\tand \x01 left");
  EXPECT_EQ(j["request_id"], "c0ffee:17");
}

TEST(LogTest, JsonNamesTheNodeAndLeavesOutAnEmptyRequestId) {
  auto server = nlohmann::json::parse(
      FormatLogLine(LogFormat::kJson, kTime, LogSeverity::kInfo, "server/n1", "up", ""));
  EXPECT_EQ(server["target"], "server");
  EXPECT_EQ(server["node"], "n1");
  EXPECT_FALSE(server.contains("request_id"));
  auto plain = nlohmann::json::parse(
      FormatLogLine(LogFormat::kJson, kTime, LogSeverity::kError, "http", "x", ""));
  EXPECT_EQ(plain["target"], "http");
  EXPECT_EQ(plain["level"], "error");
  EXPECT_FALSE(plain.contains("database"));
}

TEST(LogTest, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const std::string line = FormatLogLine(LogFormat::kJson, kTime, LogSeverity::kInfo, "db/x",
                                         std::string("a\xff" "b\xc3\xa9" "c\xe2\x82", 8), "");
  auto j = nlohmann::json::parse(line);  // throws on invalid UTF-8
  EXPECT_EQ(j["message"], "a\xef\xbf\xbd" "b\xc3\xa9" "c\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(LogTest, TextLinesKeepTheReadableShape) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kTime, LogSeverity::kInfo, "db/chat", "hello", ""),
            "2026-11-30T18:06:37.030Z INFO  [db/chat] hello\n");
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kTime, LogSeverity::kError, "http", "bad", "r-9"),
            "2026-11-30T18:06:37.030Z ERROR [http] (r-9) bad\n");
}

TEST(LogTest, RequestIdsAreBoundedSanitisedAndScopedPerThread) {
  RequestId id(std::string(100, 'a') + "\"");
  EXPECT_EQ(id.view().size(), RequestId::kMaxBytes);
  EXPECT_EQ(RequestId("a b\"c").view(), "a_b_c");
  EXPECT_TRUE(CurrentRequestId().empty());
  {
    ScopedRequestId outer(RequestId("outer"));
    {
      ScopedRequestId inner(RequestId("inner"));
      EXPECT_EQ(CurrentRequestId().view(), "inner");
      std::thread([] { EXPECT_TRUE(CurrentRequestId().empty()); }).join();
    }
    EXPECT_EQ(CurrentRequestId().view(), "outer");
  }
  EXPECT_TRUE(CurrentRequestId().empty());
}

}  // namespace
}  // namespace stdb
