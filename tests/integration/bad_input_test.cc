// Malformed WebSocket input: the offending connection is closed with a reason saying what
// was wrong, and the server keeps serving everyone else.
#include <gtest/gtest.h>

#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

using protocol::ReducerOutcome;

struct BadFrame {
  std::string name;  // the test name suffix
  Bytes frame;
  bool binary = true;
  std::vector<std::string> subprotocols = kV3Only;
  std::string reason;  // a fragment the close reason must contain
  int close_code = 0;  // the expected WebSocket close code
};

// Names the case in gtest's output instead of dumping its bytes.
void PrintTo(const BadFrame& c, std::ostream* os) { *os << c.name; }

Bytes Encode(const protocol::ClientMessage& message) {
  Bytes out;
  protocol::EncodeClientMessage(message, out);
  return out;
}

Bytes Concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<BadFrame> BadFrames() {
  const Bytes call = Encode(protocol::CallReducer{1, 0, "send_message", StringArg("hello")});
  const Bytes query = Encode(protocol::OneOffQuery{1, "SELECT * FROM message"});
  // Subscribe (tag 0) whose query count claims four billion strings.
  const Bytes garbage = {0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                         0xff, 0xff, 0xff, 0xff, 'j',  'u',  'n',  'k'};
  const std::string text = "{\"CallReducer\": {}}";
  return {
      {"GarbageBytes", garbage, true, kV3Only, "truncated or invalid Subscribe", 1007},
      {"TruncatedCallReducer", Bytes(call.begin(), call.end() - 3), true, kV3Only,
       "truncated or invalid CallReducer", 1007},
      {"UnknownMessageTag",
       {0x09, 0x00, 0x00, 0x00, 0x00},
       true,
       kV3Only,
       "unknown client message tag 9",
       1007},
      {"TextFrame", Bytes(text.begin(), text.end()), false, kV3Only, "text frames", 1003},
      {"EmptyFrame", {}, true, kV3Only, "empty frame", 1007},
      {"UnsubscribeWithUnknownFlags",
       {0x01, 1, 0, 0, 0, 1, 0, 0, 0, 7},
       true,
       kV3Only,
       "Unsubscribe",
       1007},
      {"TwoMessagesInOneV2Frame", Concat(query, query), true, kV2Only, "trailing bytes", 1007},
      {"GarbageAfterAValidV3Message", Concat(query, {0x03, 0x01}), true, kV3Only,
       "truncated or invalid CallReducer", 1007},
  };
}

// Every case shares one server: each proves the server survives its frame, so a later
// case also runs against a server that has already survived the earlier ones.
class BadInput
    : public SharedServerTest<SharedModule::kQuickstartChat, ::testing::TestWithParam<BadFrame>> {};

TEST_P(BadInput, ClosesTheOffendingConnectionWithAReasonAndServesOthers) {
  // Proves a bad frame closes only its own connection, with a close reason naming the
  // problem, while a second client keeps calling reducers and receiving updates.
  const BadFrame& c = GetParam();
  ASSERT_OK_AND_ASSIGN(auto bystander, ConnectAndGreet(server()));
  ASSERT_OK(SubscribeAndWait(*bystander.client, 1, 1, {"SELECT * FROM message"}).status());
  ASSERT_OK_AND_ASSIGN(auto offender, ConnectAndGreet(server(), {.subprotocols = c.subprotocols}));

  ASSERT_OK(offender.client->SendRaw(c.frame, c.binary));
  ASSERT_OK_AND_ASSIGN(auto close, ReceiveClose(*offender.client));
  EXPECT_NE(close.second.find(c.reason), std::string::npos)
      << "close reason '" << close.second << "' lacks '" << c.reason << "'";
  EXPECT_EQ(close.first, c.close_code) << close.second;

  // The other client still works, and sees the offender's disconnect only as a user row
  // change it did not subscribe to (that is, not at all).
  ASSERT_OK_AND_ASSIGN(auto result,
                       CallWs(*bystander.client, 2, "send_message", StringArg("still up")));
  ASSERT_EQ(result.outcome.kind, ReducerOutcome::Kind::kOk)
      << Describe(protocol::ServerMessage(result));
  EXPECT_EQ(result.outcome.update.query_sets.size(), 1u);
  // A new client can connect and work too.
  ASSERT_OK_AND_ASSIGN(auto newcomer, ConnectAndGreet(server()));
  ASSERT_OK_AND_ASSIGN(auto applied,
                       SubscribeAndWait(*newcomer.client, 1, 1, {"SELECT * FROM message"}));
  EXPECT_GE(applied.rows.tables.at(0).rows.count(), 1u);
  EXPECT_TRUE(server().Running());
}

INSTANTIATE_TEST_SUITE_P(WebSocket, BadInput, ::testing::ValuesIn(BadFrames()),
                         [](const ::testing::TestParamInfo<BadFrame>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stdb::integration
