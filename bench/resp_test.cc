// Tests of the RESP2 encoder and parser (bench/resp.h) that both load generators use to
// talk to Redis: a reply split anywhere must come out whole, once.
#include "bench/resp.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace stdb::bench {
namespace {

// A command is an array of bulk strings, lengths in bytes.
TEST(Resp, CommandIsAnArrayOfBulkStrings) {
  std::string out;
  AppendRespCommand({"SUBSCRIBE", "region:7", ""}, out);
  EXPECT_EQ(out, "*3\r\n$9\r\nSUBSCRIBE\r\n$8\r\nregion:7\r\n$0\r\n\r\n");
}

// A pub/sub message split at every possible byte comes out whole, once, after its last
// byte; what precedes it does not disturb it.
TEST(Resp, ParserWaitsForTheWholeValueAtAnySplit) {
  const std::string stream =
      "+PONG\r\n*3\r\n$9\r\nsubscribe\r\n$8\r\nregion:7\r\n:1\r\n"
      "*3\r\n$7\r\nmessage\r\n$8\r\nregion:7\r\n$11\r\n7:1:2:12345\r\n";
  for (size_t split = 0; split <= stream.size(); ++split) {
    RespParser p;
    std::vector<RespValue> values;
    for (std::string_view part :
         {std::string_view(stream).substr(0, split), std::string_view(stream).substr(split)}) {
      p.Feed(part);
      while (true) {
        auto v = p.Next();
        ASSERT_TRUE(v.ok()) << v.status().ToString();
        if (!v->has_value()) break;
        values.push_back(std::move(**v));
      }
    }
    ASSERT_EQ(values.size(), 3u) << "split at " << split;
    EXPECT_EQ(values[0].type, RespValue::Type::kSimple);
    EXPECT_EQ(values[0].text, "PONG");
    ASSERT_EQ(values[1].elements.size(), 3u);
    EXPECT_EQ(values[1].elements[2].integer, 1);
    ASSERT_EQ(values[2].elements.size(), 3u);
    EXPECT_EQ(values[2].elements[0].text, "message");
    EXPECT_EQ(values[2].elements[2].text, "7:1:2:12345");
  }
}

// Errors, integers and nulls are told apart; a bulk string may hold CR LF.
TEST(Resp, ParserReadsEveryType) {
  RespParser p;
  p.Feed("-ERR no\r\n:-42\r\n$-1\r\n*-1\r\n$4\r\na\r\nb\r\n");
  std::vector<RespValue> values;
  while (true) {
    auto v = p.Next();
    ASSERT_TRUE(v.ok());
    if (!v->has_value()) break;
    values.push_back(std::move(**v));
  }
  ASSERT_EQ(values.size(), 5u);
  EXPECT_EQ(values[0].type, RespValue::Type::kError);
  EXPECT_EQ(values[0].text, "ERR no");
  EXPECT_EQ(values[1].integer, -42);
  EXPECT_EQ(values[2].type, RespValue::Type::kNull);
  EXPECT_EQ(values[3].type, RespValue::Type::kNull);
  EXPECT_EQ(values[4].text, "a\r\nb");
}

// Malformed input is an error, not a value or a wait.
TEST(Resp, ParserRejectsMalformedInput) {
  for (const char* bad : {"?x\r\n", ":12a\r\n", "$-2\r\n", "$3\r\nabcd\r\n", "*-5\r\n"}) {
    RespParser p;
    p.Feed(bad);
    EXPECT_FALSE(p.Next().ok()) << bad;
  }
  std::string deep;
  for (int i = 0; i <= kRespDepthMax + 1; ++i) deep += "*1\r\n";
  RespParser p;
  p.Feed(deep + ":1\r\n");
  EXPECT_FALSE(p.Next().ok());
}

}  // namespace
}  // namespace stdb::bench
