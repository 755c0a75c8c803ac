// The quickstart chat module's behaviour, loaded as the server loads it and run against
// the SDK's fake host.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "encode_args.h"
#include "harness.h"
#include "stdb/bsatn.h"
#include "stdb/struct.h"
#include "stdb/types.h"

namespace {

// The module's row types, declared again here to decode its rows.
struct User {
  stdb::Identity identity;
  std::optional<std::string> name;
  bool online;
};
STDB_STRUCT(User, identity, name, online);

struct Message {
  stdb::Identity sender;
  stdb::Timestamp sent;
  std::string text;
};
STDB_STRUCT(Message, sender, sent, text);

using stdb_test::EncodeArgs;
using stdb_test::MakeContext;

class ChatTest : public ::testing::Test {
 protected:
  std::vector<User> Users() {
    std::vector<User> out;
    for (const auto& row : runner_.host().Rows("user")) {
      out.push_back(stdb::bsatn::decode<User>(row));
    }
    return out;
  }
  std::vector<Message> Messages() {
    std::vector<Message> out;
    for (const auto& row : runner_.host().Rows("message")) {
      out.push_back(stdb::bsatn::decode<Message>(row));
    }
    return out;
  }

  stdb_test::ModuleRunner runner_{QUICKSTART_CHAT_MODULE_PATH};
  const StdbReducerContext alice_ = MakeContext(0xa1, 0x01, 1'000);
  const StdbReducerContext bob_ = MakeContext(0xb0, 0x02, 2'000);
};

TEST_F(ChatTest, SchemaIsTheQuickstartSchema) {
  // Two public tables, user keyed by identity, and the five reducers with lifecycles.
  const auto& schema = runner_.schema();
  ASSERT_EQ(schema.tables.size(), 2u);
  EXPECT_EQ(schema.tables[0].name, "user");
  EXPECT_EQ(schema.tables[0].row_type,
            "(identity: Identity, name: Option<String>, online: Bool)");
  EXPECT_EQ(schema.tables[0].primary_key, 0);
  EXPECT_TRUE(schema.tables[0].is_public);
  EXPECT_EQ(schema.tables[1].name, "message");
  EXPECT_EQ(schema.tables[1].row_type, "(sender: Identity, sent: Timestamp, text: String)");
  EXPECT_EQ(schema.tables[1].primary_key, std::nullopt);
  EXPECT_TRUE(schema.tables[1].is_public);

  ASSERT_EQ(schema.reducers.size(), 5u);
  EXPECT_EQ(schema.reducers[0].name, "set_name");
  EXPECT_EQ(schema.reducers[0].params, "(name: String)");
  EXPECT_EQ(schema.reducers[1].name, "send_message");
  EXPECT_EQ(schema.reducers[1].params, "(text: String)");
  EXPECT_EQ(schema.reducers[2].name, "init");
  EXPECT_EQ(schema.reducers[2].lifecycle, 1);
  EXPECT_EQ(schema.reducers[3].name, "client_connected");
  EXPECT_EQ(schema.reducers[3].lifecycle, 2);
  EXPECT_EQ(schema.reducers[4].name, "client_disconnected");
  EXPECT_EQ(schema.reducers[4].lifecycle, 3);
}

TEST_F(ChatTest, ConnectingCreatesAnOnlineUserWithoutAName) {
  // First connection inserts the user; a reconnect after disconnect keeps the name.
  ASSERT_EQ(runner_.Call("client_connected", {}, alice_).code, STDB_REDUCER_OK);
  ASSERT_EQ(Users().size(), 1u);
  EXPECT_EQ(Users()[0].identity.to_hex().substr(0, 4), "a1a1");
  EXPECT_EQ(Users()[0].name, std::nullopt);
  EXPECT_TRUE(Users()[0].online);

  ASSERT_EQ(runner_.Call("set_name", EncodeArgs(std::string("alice")), alice_).code,
            STDB_REDUCER_OK);
  ASSERT_EQ(runner_.Call("client_disconnected", {}, alice_).code, STDB_REDUCER_OK);
  EXPECT_FALSE(Users()[0].online);
  ASSERT_EQ(runner_.Call("client_connected", {}, alice_).code, STDB_REDUCER_OK);
  ASSERT_EQ(Users().size(), 1u);
  EXPECT_TRUE(Users()[0].online);
  EXPECT_EQ(Users()[0].name, "alice");
}

TEST_F(ChatTest, SetNameValidatesAndNeedsAKnownUser) {
  // Empty names and unknown users are rejected with the quickstart's messages.
  auto result = runner_.Call("set_name", EncodeArgs(std::string("bob")), bob_);
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "Cannot set name for unknown user");

  ASSERT_EQ(runner_.Call("client_connected", {}, bob_).code, STDB_REDUCER_OK);
  result = runner_.Call("set_name", EncodeArgs(std::string()), bob_);
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "Names must not be empty");
  EXPECT_EQ(Users()[0].name, std::nullopt);
}

TEST_F(ChatTest, SendMessageStoresSenderTimeAndText) {
  // A message row carries the caller and the transaction timestamp.
  ASSERT_EQ(runner_.Call("send_message", EncodeArgs(std::string("hello")), alice_).code,
            STDB_REDUCER_OK);
  ASSERT_EQ(runner_.Call("send_message", EncodeArgs(std::string("hi alice")), bob_).code,
            STDB_REDUCER_OK);
  const auto messages = Messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].text, "hello");
  EXPECT_EQ(messages[0].sent.micros_since_epoch(), 1'000);
  EXPECT_EQ(messages[1].sender.to_hex().substr(0, 4), "b0b0");
  EXPECT_EQ(messages[1].sent.micros_since_epoch(), 2'000);

  const auto empty = runner_.Call("send_message", EncodeArgs(std::string()), alice_);
  EXPECT_EQ(empty.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(empty.error, "Messages must not be empty");
  EXPECT_EQ(Messages().size(), 2u);
}

TEST_F(ChatTest, DisconnectOfAnUnknownUserWarns) {
  // client_disconnected for a user with no row logs a warning and succeeds.
  ASSERT_EQ(runner_.Call("client_disconnected", {}, bob_).code, STDB_REDUCER_OK);
  ASSERT_EQ(runner_.host().logs().size(), 1u);
  EXPECT_EQ(runner_.host().logs()[0].level, STDB_LOG_WARN);
  EXPECT_TRUE(runner_.host().logs()[0].text.starts_with(
      "Disconnect event for unknown user with identity b0b0"));
  EXPECT_TRUE(Users().empty());
}

TEST_F(ChatTest, InitSucceeds) {
  // init has nothing to set up and only logs.
  ASSERT_EQ(runner_.Call("init").code, STDB_REDUCER_OK);
  EXPECT_EQ(runner_.host().logs().size(), 1u);
}

}  // namespace
