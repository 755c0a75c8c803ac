// The WebSocket protocol against a real server: subprotocol negotiation, the connection
// handshake, subscriptions, reducer calls and their fan-out, and v3 batching.
#include <gtest/gtest.h>

#include "auth/identity.h"
#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

using protocol::ReducerOutcome;
using protocol::ServerMessage;

// The single message row inserted by one send_message, from a TransactionUpdate's query
// sets: checks the shape (one set, one table, one insert, no delete) and returns it.
Result<sats::AlgebraicValue> SingleInsertedMessage(const protocol::TransactionUpdate& update,
                                                   uint32_t query_set_id) {
  if (update.query_sets.size() != 1 || update.query_sets[0].query_set_id != query_set_id ||
      update.query_sets[0].tables.size() != 1 ||
      update.query_sets[0].tables[0].table_name != "message" ||
      update.query_sets[0].tables[0].inserts.count() != 1 ||
      update.query_sets[0].tables[0].deletes.count() != 0) {
    return Status(ErrorCode::kInternal, "expected one inserted message row in query set " +
                                            std::to_string(query_set_id) + ", got " +
                                            Describe(ServerMessage(update)));
  }
  STDB_ASSIGN_OR_RETURN(auto rows,
                        DecodeRows(MessageRowType(), update.query_sets[0].tables[0].inserts));
  return rows.at(0);
}

// Handshake tests write nothing another test reads: they share one server.
class WebSocketHandshake : public SharedChatServerTest {};

TEST_F(WebSocketHandshake, V3IsPreferredWhenBothSubprotocolsAreOffered) {
  // Proves the server picks v3 over v2 whatever the order of the client's offer.
  for (const auto& offer : std::vector<std::vector<std::string>>{
           {"v3.bsatn.spacetimedb", "v2.bsatn.spacetimedb"},
           {"v2.bsatn.spacetimedb", "v3.bsatn.spacetimedb"},
           {"v1.bsatn.spacetimedb", "v2.bsatn.spacetimedb", "v3.bsatn.spacetimedb"}}) {
    ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(server(), {.subprotocols = offer}));
    EXPECT_EQ(conn.client->protocol(), "v3.bsatn.spacetimedb");
  }
}

TEST(WebSocket, V2AloneIsAcceptedAndServesAFullSession) {
  // Proves a v2-only client gets v2 and can subscribe and call reducers.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server, {.subprotocols = kV2Only}));
  EXPECT_EQ(conn.client->protocol(), "v2.bsatn.spacetimedb");
  ASSERT_OK_AND_ASSIGN(auto applied,
                       SubscribeAndWait(*conn.client, 1, 1, {"SELECT * FROM message"}));
  EXPECT_EQ(applied.rows.tables.at(0).rows.count(), 0u);
  ASSERT_OK_AND_ASSIGN(auto result, CallWs(*conn.client, 2, "send_message", StringArg("v2 works")));
  ASSERT_EQ(result.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(result));
  ASSERT_OK_AND_ASSIGN(auto row, SingleInsertedMessage(result.outcome.update, 1));
  EXPECT_EQ(MessageText(row), "v2 works");
}

TEST_F(WebSocketHandshake, NoSupportedSubprotocolIsRejectedWithHttp400) {
  // Proves a handshake offering no subprotocol, or only ones the server does not speak,
  // fails with HTTP 400 and a message naming the supported ones.
  for (const auto& offer : std::vector<std::vector<std::string>>{
           {}, {"v1.bsatn.spacetimedb"}, {"v1.json.spacetimedb", "graphql-ws"}}) {
    auto conn = ConnectWs(server(), {.subprotocols = offer});
    ASSERT_FALSE(conn.ok()) << "offer of " << offer.size() << " subprotocols was accepted";
    EXPECT_NE(conn.status().message().find("HTTP 400"), std::string::npos)
        << conn.status().message();
    EXPECT_NE(conn.status().message().find("v3.bsatn.spacetimedb"), std::string::npos)
        << conn.status().message();
  }
}

TEST_F(WebSocketHandshake, AnUnknownCompressionIsRejectedWithHttp400) {
  // Proves ?compression= with an unknown algorithm fails the handshake with HTTP 400
  // naming the value.
  auto conn = ConnectWs(server(), {.query = "?compression=Bogus"});
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(conn.status().message().find("HTTP 400"), std::string::npos) << conn.status().message();
  EXPECT_NE(conn.status().message().find("Bogus"), std::string::npos) << conn.status().message();
}

TEST_F(WebSocketHandshake, InitialConnectionComesFirstWithIdentityConnectionIdAndToken) {
  // Proves the first message is InitialConnection with a nonzero identity and connection
  // id and a token for that identity; with a token, the identity is the token's.
  ASSERT_OK_AND_ASSIGN(auto anonymous, ConnectAndGreet(server()));
  EXPECT_NE(anonymous.hello.identity, U256{});
  EXPECT_NE(anonymous.hello.connection_id, u128{0});
  EXPECT_FALSE(anonymous.hello.token.empty());
  // The token is one the server accepts for that identity.
  ASSERT_OK_AND_ASSIGN(auto ws_token, Http("POST", server().HttpUrl("/v1/identity/websocket-token"),
                                           "", Bearer(anonymous.hello.token)));
  EXPECT_EQ(ws_token.status, 200) << ws_token.body;

  ASSERT_OK_AND_ASSIGN(auto id, MintIdentity(server()));
  ASSERT_OK_AND_ASSIGN(auto known, ConnectAndGreet(server(), {.token = id.token}));
  EXPECT_EQ(known.hello.identity, id.identity);
  EXPECT_EQ(auth::IdentityToHex(known.hello.identity), id.hex);
  EXPECT_NE(known.hello.connection_id, anonymous.hello.connection_id);
}

TEST(WebSocket, ReconnectingWithTheIssuedTokenYieldsTheSameIdentity) {
  // Proves the token from InitialConnection, sent back as a header or as ?token=, brings
  // the same identity (a new connection id), and the user row follows it.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  protocol::InitialConnection first;
  {
    ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server));
    first = conn.hello;
    ASSERT_OK_AND_ASSIGN(auto named, CallWs(*conn.client, 1, "set_name", StringArg("ada")));
    ASSERT_TRUE(named.outcome.kind == ReducerOutcome::Kind::kOk ||
                named.outcome.kind == ReducerOutcome::Kind::kOkEmpty)
        << Describe(ServerMessage(named));
  }
  ASSERT_OK_AND_ASSIGN(auto by_header, ConnectAndGreet(*server, {.token = first.token}));
  EXPECT_EQ(by_header.hello.identity, first.identity);
  EXPECT_NE(by_header.hello.connection_id, first.connection_id);
  ASSERT_OK_AND_ASSIGN(auto by_query, ConnectAndGreet(*server, {.query = "?token=" + first.token}));
  EXPECT_EQ(by_query.hello.identity, first.identity);

  // The returning user keeps the name set on the first connection.
  ASSERT_OK_AND_ASSIGN(auto applied,
                       SubscribeAndWait(*by_header.client, 1, 1, {"SELECT * FROM user"}));
  ASSERT_OK_AND_ASSIGN(auto users, DecodeRows(UserRowType(), applied.rows.tables.at(0).rows));
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(IdentityOf(Field(users[0], 0)), first.identity);
  EXPECT_EQ(Field(users[0], 1), sats::AlgebraicValue::Some(std::string("ada")));
  EXPECT_EQ(Field(users[0], 2), sats::AlgebraicValue(true));
}

TEST(WebSocket, SubscribeAppliedCarriesTheCurrentRowsOfEveryQuery) {
  // Proves SubscribeApplied returns every current row of each subscribed table, decodable
  // with the table's row type.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto sender, MintIdentity(*server));
  for (const std::string text : {"one", "two", "three"}) {
    ASSERT_OK_AND_ASSIGN(auto call,
                         CallHttp(*server, "send_message", "[\"" + text + "\"]", sender.token));
    ASSERT_EQ(call.status, 200) << call.body;
  }
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(
      auto applied,
      SubscribeAndWait(*conn.client, 7, 3, {"SELECT * FROM message", "SELECT * FROM user"}));
  const auto* messages = FindTable(applied.rows, "message");
  const auto* users = FindTable(applied.rows, "user");
  ASSERT_NE(messages, nullptr) << Describe(ServerMessage(applied));
  ASSERT_NE(users, nullptr) << Describe(ServerMessage(applied));
  ASSERT_OK_AND_ASSIGN(auto message_rows, DecodeRows(MessageRowType(), messages->rows));
  std::vector<std::string> texts = MessageTexts(message_rows);
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "three", "two"}));
  for (const auto& row : message_rows) EXPECT_EQ(IdentityOf(Field(row, 0)), sender.identity);

  ASSERT_OK_AND_ASSIGN(auto user_rows, DecodeRows(UserRowType(), users->rows));
  ASSERT_EQ(user_rows.size(), 1u) << "only the connected client has a user row";
  EXPECT_EQ(IdentityOf(Field(user_rows[0], 0)), conn.hello.identity);
  EXPECT_EQ(Field(user_rows[0], 1), sats::AlgebraicValue::None());
  EXPECT_EQ(Field(user_rows[0], 2), sats::AlgebraicValue(true));
}

TEST(WebSocket, CallerGetsItsOwnChangesAndOthersGetTransactionUpdatesInCommitOrder) {
  // Proves, over many pipelined calls, that the caller receives one ReducerResult Ok per
  // call (in request order, carrying its own subscription's insert) and never a separate
  // TransactionUpdate, while another subscriber receives one TransactionUpdate per
  // transaction in the same commit order.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto caller, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto watcher, ConnectAndGreet(*server));
  ASSERT_OK(SubscribeAndWait(*caller.client, 1, 10, {"SELECT * FROM message"}).status());
  ASSERT_OK(SubscribeAndWait(*watcher.client, 1, 20, {"SELECT * FROM message"}).status());

  constexpr int kCalls = 60;
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_OK(caller.client->Send(protocol::CallReducer{
        static_cast<uint32_t>(100 + i), 0, "send_message", StringArg("m" + std::to_string(i))}));
  }
  for (int i = 0; i < kCalls; ++i) {
    SCOPED_TRACE("call " + std::to_string(i));
    ASSERT_OK_AND_ASSIGN(auto result, ReceiveAs<protocol::ReducerResult>(*caller.client));
    EXPECT_EQ(result.request_id, static_cast<uint32_t>(100 + i));
    ASSERT_EQ(result.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(result));
    ASSERT_OK_AND_ASSIGN(auto row, SingleInsertedMessage(result.outcome.update, 10));
    EXPECT_EQ(MessageText(row), "m" + std::to_string(i));
    EXPECT_EQ(IdentityOf(Field(row, 0)), caller.hello.identity);
  }
  for (int i = 0; i < kCalls; ++i) {
    SCOPED_TRACE("update " + std::to_string(i));
    ASSERT_OK_AND_ASSIGN(auto update, ReceiveAs<protocol::TransactionUpdate>(*watcher.client));
    ASSERT_OK_AND_ASSIGN(auto row, SingleInsertedMessage(update, 20));
    EXPECT_EQ(MessageText(row), "m" + std::to_string(i));
  }
  ASSERT_OK(ExpectNothingPending(*caller.client, 1000));
  ASSERT_OK(ExpectNothingPending(*watcher.client, 1000));
}

TEST(WebSocket, AClientWithNoAffectedSubscriptionReceivesNothing) {
  // Proves clients whose query sets a transaction does not touch (or that have none)
  // receive no message for it.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto caller, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto watcher, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto other_table, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto filtered_out, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto unsubscribed, ConnectAndGreet(*server));
  ASSERT_OK(SubscribeAndWait(*watcher.client, 1, 1, {"SELECT * FROM message"}).status());
  ASSERT_OK(SubscribeAndWait(*other_table.client, 1, 1, {"SELECT * FROM user"}).status());
  ASSERT_OK(SubscribeAndWait(*filtered_out.client, 1, 1,
                             {"SELECT * FROM message WHERE text = 'something else'"})
                .status());

  ASSERT_OK_AND_ASSIGN(auto result, CallWs(*caller.client, 1, "send_message", StringArg("hi")));
  ASSERT_EQ(result.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(result));
  // The positive control: the subscribed client does get the update.
  ASSERT_OK_AND_ASSIGN(auto update, ReceiveAs<protocol::TransactionUpdate>(*watcher.client));
  ASSERT_OK(SingleInsertedMessage(update, 1).status());
  // The caller's result has been sent, so every update of that transaction has been
  // queued: each barrier's reply must be the next message.
  for (auto* client :
       {other_table.client.get(), filtered_out.client.get(), unsubscribed.client.get()}) {
    ASSERT_OK(ExpectNothingPending(*client, 50));
    auto extra = client->Receive(kQuietTimeout);
    EXPECT_FALSE(extra.ok()) << "unexpected " << Describe(*extra);
  }
}

TEST(WebSocket, ReducerErrorsAreReducerResultErrWithTheMessage) {
  // Proves a reducer that returns an error, or throws, yields ReducerResult Err with its
  // message, rolls back, and sends subscribers nothing.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto caller, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto watcher, ConnectAndGreet(*server));
  ASSERT_OK(SubscribeAndWait(*watcher.client, 1, 1, {"SELECT * FROM message"}).status());
  ASSERT_OK_AND_ASSIGN(auto result, CallWs(*caller.client, 1, "send_message", StringArg("")));
  EXPECT_EQ(result.outcome.kind, ReducerOutcome::Kind::kErr) << Describe(ServerMessage(result));
  EXPECT_EQ(result.outcome.message, "Messages must not be empty");
  ASSERT_OK(ExpectNothingPending(*watcher.client, 2));

  ASSERT_OK_AND_ASSIGN(auto edge,
                       ServerProcess::Start({.module_path = kEdgeCasesModule, .database = "edge"}));
  ASSERT_OK_AND_ASSIGN(auto edge_caller, ConnectAndGreet(*edge));
  ASSERT_OK_AND_ASSIGN(auto edge_watcher, ConnectAndGreet(*edge));
  ASSERT_OK(SubscribeAndWait(*edge_watcher.client, 1, 1, {"SELECT * FROM item"}).status());
  ASSERT_OK_AND_ASSIGN(auto thrown,
                       CallWs(*edge_caller.client, 1, "throw_error", StringArg("kaboom")));
  EXPECT_EQ(thrown.outcome.kind, ReducerOutcome::Kind::kErr) << Describe(ServerMessage(thrown));
  EXPECT_NE(thrown.outcome.message.find("kaboom"), std::string::npos) << thrown.outcome.message;
  ASSERT_OK(ExpectNothingPending(*edge_watcher.client, 2, "SELECT * FROM item"));
}

TEST(WebSocket, UnknownReducersAndBadArgumentsAreReducerResultErrors) {
  // Proves calls that cannot run (unknown reducer, lifecycle reducer, arguments of the
  // wrong type, short or with trailing bytes) each get an error ReducerResult naming the
  // problem, and the connection keeps working.
  ASSERT_OK_AND_ASSIGN(auto server,
                       ServerProcess::Start({.module_path = kEdgeCasesModule, .database = "edge"}));
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server));
  using sats::AlgebraicType;
  using sats::AlgebraicValue;
  using sats::TypeKind;
  const AlgebraicType u64(TypeKind::kU64), i32(TypeKind::kI32), str = AlgebraicType::String();
  Bytes good = EncodeArgs(
      {u64, str, i32},
      {AlgebraicValue(uint64_t{1}), AlgebraicValue(std::string("x")), AlgebraicValue(int32_t{5})});
  Bytes trailing = good;
  trailing.push_back(0);
  struct Case {
    std::string name, reducer;
    Bytes args;
    std::string expected;  // a fragment of the error message
  };
  const std::vector<Case> cases = {
      {"unknown reducer", "no_such_reducer", {}, "no_such_reducer"},
      {"lifecycle reducer", "client_connected", {}, "client_connected"},
      {"no arguments", "add_item", {}, "add_item"},
      {"wrong types", "add_item",
       EncodeArgs({str, u64, i32}, {AlgebraicValue(std::string("x")), AlgebraicValue(uint64_t{1}),
                                    AlgebraicValue(int32_t{5})}),
       "add_item"},
      {"truncated", "add_item", Bytes(good.begin(), good.end() - 2), "add_item"},
      {"trailing bytes", "add_item", trailing, "add_item"},
  };
  uint32_t request_id = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_OK_AND_ASSIGN(auto result, CallWs(*conn.client, ++request_id, c.reducer, c.args));
    EXPECT_TRUE(result.outcome.kind == ReducerOutcome::Kind::kErr ||
                result.outcome.kind == ReducerOutcome::Kind::kInternalError)
        << Describe(ServerMessage(result));
    EXPECT_NE(result.outcome.message.find(c.expected), std::string::npos) << result.outcome.message;
  }
  ASSERT_OK_AND_ASSIGN(auto ok, CallWs(*conn.client, ++request_id, "add_item", good));
  EXPECT_NE(ok.outcome.kind, ReducerOutcome::Kind::kErr) << Describe(ServerMessage(ok));
  EXPECT_NE(ok.outcome.kind, ReducerOutcome::Kind::kInternalError) << Describe(ServerMessage(ok));
}

TEST(WebSocket, UnsubscribeWithSendDroppedRowsReturnsExactlyTheRowsThatLeave) {
  // Proves UnsubscribeApplied carries exactly the rows of the dropped query set (not
  // other tables or other rows), that without the flag it carries none, and that the set
  // gets no updates afterwards.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  for (const std::string text : {"a", "b", "b", "c"}) {
    ASSERT_OK_AND_ASSIGN(auto call, CallHttp(*server, "send_message", "[\"" + text + "\"]"));
    ASSERT_EQ(call.status, 200) << call.body;
  }
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server));
  ASSERT_OK(
      SubscribeAndWait(*conn.client, 1, 1, {"SELECT * FROM message WHERE text = 'b'"}).status());
  ASSERT_OK(SubscribeAndWait(*conn.client, 2, 2, {"SELECT * FROM user"}).status());
  ASSERT_OK(
      SubscribeAndWait(*conn.client, 3, 3, {"SELECT * FROM message WHERE text = 'c'"}).status());

  ASSERT_OK(
      conn.client->Send(protocol::Unsubscribe{4, 1, protocol::UnsubscribeFlags::kSendDroppedRows}));
  ASSERT_OK_AND_ASSIGN(auto dropped, ReceiveAs<protocol::UnsubscribeApplied>(*conn.client));
  EXPECT_EQ(dropped.request_id, 4u);
  EXPECT_EQ(dropped.query_set_id, 1u);
  ASSERT_TRUE(dropped.rows.has_value());
  ASSERT_EQ(dropped.rows->tables.size(), 1u) << Describe(ServerMessage(dropped));
  EXPECT_EQ(dropped.rows->tables[0].table, "message");
  ASSERT_OK_AND_ASSIGN(auto rows, DecodeRows(MessageRowType(), dropped.rows->tables[0].rows));
  EXPECT_EQ(MessageTexts(rows), (std::vector<std::string>{"b", "b"}));

  ASSERT_OK(conn.client->Send(protocol::Unsubscribe{5, 3, protocol::UnsubscribeFlags::kDefault}));
  ASSERT_OK_AND_ASSIGN(auto plain, ReceiveAs<protocol::UnsubscribeApplied>(*conn.client));
  EXPECT_EQ(plain.query_set_id, 3u);
  EXPECT_FALSE(plain.rows.has_value()) << Describe(ServerMessage(plain));

  // Neither dropped set hears about new rows; the user set remains.
  ASSERT_OK_AND_ASSIGN(auto b, CallWs(*conn.client, 6, "send_message", StringArg("b")));
  ASSERT_NE(b.outcome.kind, ReducerOutcome::Kind::kErr);
  EXPECT_TRUE(b.outcome.update.query_sets.empty()) << Describe(ServerMessage(b));
  ASSERT_OK_AND_ASSIGN(auto named, CallWs(*conn.client, 7, "set_name", StringArg("n")));
  ASSERT_EQ(named.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(named));
  ASSERT_EQ(named.outcome.update.query_sets.size(), 1u);
  EXPECT_EQ(named.outcome.update.query_sets[0].query_set_id, 2u);

  // Unsubscribing a set that does not exist is an error for that request.
  ASSERT_OK(conn.client->Send(protocol::Unsubscribe{8, 1, protocol::UnsubscribeFlags::kDefault}));
  ASSERT_OK_AND_ASSIGN(auto error, ReceiveAs<protocol::SubscriptionError>(*conn.client));
  EXPECT_EQ(error.request_id, std::optional<uint32_t>(8));
  EXPECT_EQ(error.query_set_id, 1u);
}

TEST(WebSocket, SubscribingToAnUnknownTableIsASubscriptionErrorNamingIt) {
  // Proves a query on a missing table (or bad SQL) gets SubscriptionError with the
  // request and set ids and a message naming the problem, registers nothing, and leaves
  // the connection usable (the same set id can then be subscribed).
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server));
  ASSERT_OK(conn.client->Send(
      protocol::Subscribe{1, 5, {"SELECT * FROM message", "SELECT * FROM nosuchtable"}}));
  ASSERT_OK_AND_ASSIGN(auto error, ReceiveAs<protocol::SubscriptionError>(*conn.client));
  EXPECT_EQ(error.request_id, std::optional<uint32_t>(1));
  EXPECT_EQ(error.query_set_id, 5u);
  EXPECT_NE(error.error.find("nosuchtable"), std::string::npos) << error.error;

  ASSERT_OK(conn.client->Send(protocol::Subscribe{2, 6, {"SELEKT * FROM message"}}));
  ASSERT_OK_AND_ASSIGN(auto syntax, ReceiveAs<protocol::SubscriptionError>(*conn.client));
  EXPECT_EQ(syntax.query_set_id, 6u);
  EXPECT_FALSE(syntax.error.empty());

  ASSERT_OK(SubscribeAndWait(*conn.client, 3, 5, {"SELECT * FROM message"}).status());
  ASSERT_OK_AND_ASSIGN(auto result, CallWs(*conn.client, 4, "send_message", StringArg("x")));
  ASSERT_EQ(result.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(result));
  ASSERT_EQ(result.outcome.update.query_sets.size(), 1u) << "only the good set 5 is live";
  EXPECT_EQ(result.outcome.update.query_sets[0].query_set_id, 5u);
}

TEST(WebSocket, WhereColumnEqualsLiteralFiltersInitialRowsAndUpdatesHoweverSpelled) {
  // Proves WHERE col = 'literal' (plain, quoted as the TypeScript SDK sends typed
  // queries, and lower-case with a qualified column) restricts both the initial rows and
  // later updates to matching rows.
  const std::vector<std::string> spellings = {
      "SELECT * FROM message WHERE text = 'hello'",
      R"(SELECT * FROM "message" WHERE "message"."text" = 'hello')",
      "select * from message where message.text = 'hello'",
  };
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  for (const std::string text : {"hello", "other", "hello"}) {
    ASSERT_OK_AND_ASSIGN(auto call, CallHttp(*server, "send_message", "[\"" + text + "\"]"));
    ASSERT_EQ(call.status, 200) << call.body;
  }
  std::vector<Connected> watchers;
  for (const auto& query : spellings) {
    SCOPED_TRACE(query);
    ASSERT_OK_AND_ASSIGN(auto watcher, ConnectAndGreet(*server));
    ASSERT_OK_AND_ASSIGN(auto applied, SubscribeAndWait(*watcher.client, 1, 1, {query}));
    ASSERT_EQ(applied.rows.tables.size(), 1u);
    ASSERT_OK_AND_ASSIGN(auto rows, DecodeRows(MessageRowType(), applied.rows.tables[0].rows));
    EXPECT_EQ(MessageTexts(rows), (std::vector<std::string>{"hello", "hello"}));
    watchers.push_back(std::move(watcher));
  }

  // A non-matching commit first, then a matching one: if the first leaked through, it
  // would arrive first.
  ASSERT_OK_AND_ASSIGN(auto caller, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto r1, CallWs(*caller.client, 1, "send_message", StringArg("other")));
  ASSERT_EQ(r1.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(r1));
  ASSERT_OK_AND_ASSIGN(auto r2, CallWs(*caller.client, 2, "send_message", StringArg("hello")));
  ASSERT_EQ(r2.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(r2));
  for (size_t i = 0; i < watchers.size(); ++i) {
    SCOPED_TRACE(spellings[i]);
    ASSERT_OK_AND_ASSIGN(auto update, ReceiveAs<protocol::TransactionUpdate>(*watchers[i].client));
    ASSERT_OK_AND_ASSIGN(auto row, SingleInsertedMessage(update, 1));
    EXPECT_EQ(MessageText(row), "hello");
    ASSERT_OK(ExpectNothingPending(*watchers[i].client, 9));
  }
}

TEST(WebSocket, OneOffQueryReturnsRowsOrAnError) {
  // Proves OneOffQuery answers with the matching rows, decodable as the table's rows, and
  // with an error naming an unknown table; it subscribes to nothing.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  for (const std::string text : {"x", "y"}) {
    ASSERT_OK_AND_ASSIGN(auto call, CallHttp(*server, "send_message", "[\"" + text + "\"]"));
    ASSERT_EQ(call.status, 200) << call.body;
  }
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server));
  ASSERT_OK(conn.client->Send(protocol::OneOffQuery{11, "SELECT * FROM message WHERE text = 'y'"}));
  ASSERT_OK_AND_ASSIGN(auto result, ReceiveAs<protocol::OneOffQueryResult>(*conn.client));
  EXPECT_EQ(result.request_id, 11u);
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.rows.tables.size(), 1u);
  EXPECT_EQ(result.rows.tables[0].table, "message") << "the SDK looks rows up by table name";
  ASSERT_OK_AND_ASSIGN(auto rows, DecodeRows(MessageRowType(), result.rows.tables[0].rows));
  EXPECT_EQ(MessageTexts(rows), std::vector<std::string>{"y"});

  ASSERT_OK(conn.client->Send(protocol::OneOffQuery{12, "SELECT * FROM nosuchtable"}));
  ASSERT_OK_AND_ASSIGN(auto error, ReceiveAs<protocol::OneOffQueryResult>(*conn.client));
  EXPECT_EQ(error.request_id, 12u);
  EXPECT_FALSE(error.ok);
  EXPECT_NE(error.error.find("nosuchtable"), std::string::npos) << error.error;

  ASSERT_OK_AND_ASSIGN(auto call, CallWs(*conn.client, 13, "send_message", StringArg("z")));
  EXPECT_TRUE(call.outcome.update.query_sets.empty()) << Describe(ServerMessage(call));
}

TEST(WebSocket, MessagesSentBeforeInitialConnectionArrivesAreAccepted) {
  // Proves a client may send Subscribe and CallReducer right after the socket opens: the
  // server answers them, in order, after InitialConnection.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto client, ConnectWs(*server));
  ASSERT_OK(client->Send(protocol::Subscribe{1, 1, {"SELECT * FROM message"}}));
  ASSERT_OK(client->Send(protocol::CallReducer{2, 0, "send_message", StringArg("early")}));
  ASSERT_OK_AND_ASSIGN(auto hello, ReceiveAs<protocol::InitialConnection>(*client));
  EXPECT_NE(hello.identity, U256{});
  ASSERT_OK_AND_ASSIGN(auto applied, ReceiveAs<protocol::SubscribeApplied>(*client));
  EXPECT_EQ(applied.request_id, 1u);
  ASSERT_OK_AND_ASSIGN(auto result, ReceiveAs<protocol::ReducerResult>(*client));
  EXPECT_EQ(result.request_id, 2u);
  ASSERT_EQ(result.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(result));
  ASSERT_OK_AND_ASSIGN(auto row, SingleInsertedMessage(result.outcome.update, 1));
  EXPECT_EQ(MessageText(row), "early");
}

TEST(WebSocket, AV3FrameCarryingSeveralMessagesIsProcessedInOrder) {
  // Proves the messages of one v3 frame run in order: a Subscribe before a call sees the
  // call's row as an update (not as an initial row), and two calls commit in order.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server, {.subprotocols = kV3Only}));
  ASSERT_EQ(conn.client->protocol(), "v3.bsatn.spacetimedb");
  Bytes frame;
  protocol::EncodeClientMessage(protocol::Subscribe{1, 1, {"SELECT * FROM message"}}, frame);
  protocol::EncodeClientMessage(protocol::CallReducer{2, 0, "send_message", StringArg("first")},
                                frame);
  protocol::EncodeClientMessage(protocol::CallReducer{3, 0, "send_message", StringArg("second")},
                                frame);
  ASSERT_OK(conn.client->SendRaw(frame));

  ASSERT_OK_AND_ASSIGN(auto applied, ReceiveAs<protocol::SubscribeApplied>(*conn.client));
  EXPECT_EQ(applied.rows.tables.at(0).rows.count(), 0u) << "the calls ran after the subscribe";
  for (const auto& [request_id, text] :
       std::vector<std::pair<uint32_t, std::string>>{{2, "first"}, {3, "second"}}) {
    ASSERT_OK_AND_ASSIGN(auto result, ReceiveAs<protocol::ReducerResult>(*conn.client));
    EXPECT_EQ(result.request_id, request_id);
    ASSERT_EQ(result.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(result));
    ASSERT_OK_AND_ASSIGN(auto row, SingleInsertedMessage(result.outcome.update, 1));
    EXPECT_EQ(MessageText(row), text);
  }
}

TEST(WebSocket, LifecycleReducersKeepUserOnlineInStepWithConnections) {
  // Proves client_connected and client_disconnected run for WebSocket clients: another
  // subscriber sees a user row come online and go offline.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto watcher, ConnectAndGreet(*server));
  ASSERT_OK(SubscribeAndWait(*watcher.client, 1, 1,
                             {"SELECT * FROM user WHERE online = true",
                              "SELECT * FROM user WHERE online = false"})
                .status());
  U256 visitor_identity;
  {
    ASSERT_OK_AND_ASSIGN(auto visitor, ConnectAndGreet(*server));
    visitor_identity = visitor.hello.identity;
    ASSERT_OK_AND_ASSIGN(auto online, ReceiveAs<protocol::TransactionUpdate>(*watcher.client));
    ASSERT_EQ(online.query_sets.size(), 1u) << Describe(ServerMessage(online));
    const auto& tables = online.query_sets[0].tables;
    ASSERT_EQ(tables.size(), 1u) << Describe(ServerMessage(online));
    ASSERT_OK_AND_ASSIGN(auto rows, DecodeRows(UserRowType(), tables[0].inserts));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(IdentityOf(Field(rows[0], 0)), visitor_identity);
    EXPECT_EQ(Field(rows[0], 2), sats::AlgebraicValue(true));
  }  // the visitor disconnects
  ASSERT_OK_AND_ASSIGN(auto offline, ReceiveAs<protocol::TransactionUpdate>(*watcher.client));
  ASSERT_EQ(offline.query_sets.size(), 1u) << Describe(ServerMessage(offline));
  bool saw_offline = false;
  for (const auto& table : offline.query_sets[0].tables) {
    ASSERT_OK_AND_ASSIGN(auto inserts, DecodeRows(UserRowType(), table.inserts));
    for (const auto& row : inserts) {
      EXPECT_EQ(IdentityOf(Field(row, 0)), visitor_identity);
      saw_offline = saw_offline || Field(row, 2) == sats::AlgebraicValue(false);
    }
  }
  EXPECT_TRUE(saw_offline) << Describe(ServerMessage(offline));
}

}  // namespace
}  // namespace stdb::integration
