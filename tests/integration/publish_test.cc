// Publishing modules over HTTP (PUT /v1/database/:name): creating databases, updates by
// the owner, who may publish, and rejection of files that are not modules.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

using Json = nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::unique_ptr<ServerProcess>> StartEmpty() { return ServerProcess::Start({}); }

Result<net::HttpResponse> Publish(const ServerProcess& server, const std::string& name,
                                  const std::string& bytes, const std::optional<std::string>& token,
                                  const std::string& query = "") {
  return Http("PUT", server.HttpUrl("/v1/database/" + name + query), bytes,
              token ? Bearer(*token) : Headers{});
}

Result<net::HttpResponse> CallOn(const ServerProcess& server, const std::string& db,
                                 const std::string& reducer, const std::string& args,
                                 const std::optional<std::string>& token = std::nullopt) {
  return Http("POST", server.HttpUrl("/v1/database/" + db + "/call/" + reducer), args,
              token ? Bearer(*token) : Headers{});
}

// The rows of the first result of `sql` on `db`, or an error with the status and body.
Result<Json> SqlRows(const ServerProcess& server, const std::string& db, const std::string& sql,
                     const std::optional<std::string>& token = std::nullopt) {
  STDB_ASSIGN_OR_RETURN(auto res, Http("POST", server.HttpUrl("/v1/database/" + db + "/sql"), sql,
                                       token ? Bearer(*token) : Headers{}));
  if (res.status != 200) {
    return Status(ErrorCode::kInternal, std::to_string(res.status) + " " + res.body);
  }
  Json j = Json::parse(res.body, nullptr, false);
  if (!j.is_array() || j.empty()) return Status(ErrorCode::kInternal, "bad /sql body " + res.body);
  return j[0]["rows"];
}

TEST(Publish, CreatesANewDatabaseThatServesAtOnce) {
  // Proves PUT of a module under a new name creates the database (201) and serves it.
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  ASSERT_OK_AND_ASSIGN(auto owner, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto res,
                       Publish(*server, "fresh", ReadFile(kQuickstartModule), owner.token));
  ASSERT_EQ(res.status, 201) << res.body;
  Json j = Json::parse(res.body, nullptr, false);
  EXPECT_EQ(j["database"], "fresh") << res.body;
  EXPECT_EQ(j["created"], true) << res.body;
  EXPECT_TRUE(j["identity"].is_string()) << res.body;

  ASSERT_OK_AND_ASSIGN(auto schema, Http("GET", server->HttpUrl("/v1/database/fresh/schema")));
  EXPECT_EQ(schema.status, 200);
  ASSERT_OK_AND_ASSIGN(auto call, CallOn(*server, "fresh", "send_message", R"(["first"])"));
  EXPECT_EQ(call.status, 200) << call.body;
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server, {.database = "fresh"}));
  ASSERT_OK_AND_ASSIGN(auto applied,
                       SubscribeAndWait(*conn.client, 1, 1, {"SELECT * FROM message"}));
  ASSERT_OK_AND_ASSIGN(auto rows, DecodeRows(MessageRowType(), applied.rows.tables.at(0).rows));
  EXPECT_EQ(MessageTexts(rows), std::vector<std::string>{"first"});
}

TEST(Publish, AModuleLargerThanOneMebibyteIsAccepted) {
  // Proves uploads are not held to the 1 MiB limit of other request bodies: a module
  // padded to over 4 MiB (the loader ignores bytes past its segments) publishes.
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  ASSERT_OK_AND_ASSIGN(auto owner, MintIdentity(*server));
  std::string module = ReadFile(kQuickstartModule);
  module.resize(module.size() + (4 << 20), '\0');
  ASSERT_OK_AND_ASSIGN(auto res, Publish(*server, "padded", module, owner.token));
  EXPECT_EQ(res.status, 201) << res.body;
  ASSERT_OK_AND_ASSIGN(auto call, CallOn(*server, "padded", "send_message", R"(["big"])"));
  EXPECT_EQ(call.status, 200) << call.body;
}

TEST(Publish, RepublishingTheSameModuleByTheOwnerKeepsDataAndClients) {
  // Proves an update by the owner answers 200 (not created), keeps every row, and leaves
  // connected clients connected and working.
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  ASSERT_OK_AND_ASSIGN(auto owner, MintIdentity(*server));
  const std::string module = ReadFile(kQuickstartModule);
  ASSERT_OK_AND_ASSIGN(auto created, Publish(*server, "chat", module, owner.token));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_OK_AND_ASSIGN(auto call, CallOn(*server, "chat", "send_message", R"(["kept"])"));
  ASSERT_EQ(call.status, 200) << call.body;
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server));

  ASSERT_OK_AND_ASSIGN(auto updated, Publish(*server, "chat", module, owner.token));
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Json::parse(updated.body, nullptr, false)["created"], false) << updated.body;

  ASSERT_OK_AND_ASSIGN(auto rows, SqlRows(*server, "chat", "SELECT * FROM message"));
  ASSERT_EQ(rows.size(), 1u) << rows.dump();
  EXPECT_EQ(rows[0][2], "kept");
  ASSERT_OK_AND_ASSIGN(auto result, CallWs(*conn.client, 1, "send_message", StringArg("after")));
  EXPECT_EQ(result.outcome.kind, protocol::ReducerOutcome::Kind::kOk)
      << Describe(protocol::ServerMessage(result));
}

TEST(Publish, PublishingToAnotherIdentitysDatabaseIsForbidden) {
  // Proves only the owner may publish to an existing database: another identity gets 403
  // and the database keeps its module and data.
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  ASSERT_OK_AND_ASSIGN(auto owner, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto intruder, MintIdentity(*server));
  const std::string module = ReadFile(kQuickstartModule);
  ASSERT_OK_AND_ASSIGN(auto created, Publish(*server, "chat", module, owner.token));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_OK_AND_ASSIGN(auto call, CallOn(*server, "chat", "send_message", R"(["mine"])"));
  ASSERT_EQ(call.status, 200) << call.body;

  ASSERT_OK_AND_ASSIGN(auto res, Publish(*server, "chat", module, intruder.token));
  EXPECT_EQ(res.status, 403) << res.body;
  EXPECT_NE(res.body.find("owner"), std::string::npos) << res.body;
  ASSERT_OK_AND_ASSIGN(auto clear, Publish(*server, "chat", module, intruder.token, "?clear=true"));
  EXPECT_EQ(clear.status, 403) << clear.body;

  ASSERT_OK_AND_ASSIGN(auto rows, SqlRows(*server, "chat", "SELECT * FROM message"));
  EXPECT_EQ(rows.size(), 1u) << rows.dump();
}

TEST(Publish, ADatabaseStartedFromTheCommandLineIsClaimedByItsFirstPublisher) {
  // Proves a database with no owner (loaded with --module) is claimed by the first
  // identity that publishes to it, and others are refused afterwards.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto first, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto second, MintIdentity(*server));
  const std::string module = ReadFile(kQuickstartModule);
  ASSERT_OK_AND_ASSIGN(auto claimed, Publish(*server, "chat", module, first.token));
  EXPECT_EQ(claimed.status, 200) << claimed.body;
  ASSERT_OK_AND_ASSIGN(auto refused, Publish(*server, "chat", module, second.token));
  EXPECT_EQ(refused.status, 403) << refused.body;
}

TEST(Publish, WithoutAValidTokenIsUnauthorized) {
  // Proves publishing needs a token: none, or one the server did not issue, is a 401 and
  // creates nothing.
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  const std::string module = ReadFile(kQuickstartModule);
  ASSERT_OK_AND_ASSIGN(auto none, Publish(*server, "chat", module, std::nullopt));
  EXPECT_EQ(none.status, 401) << none.body;
  ASSERT_OK_AND_ASSIGN(auto garbage, Publish(*server, "chat", module, "garbage"));
  EXPECT_EQ(garbage.status, 401) << garbage.body;
  ASSERT_OK_AND_ASSIGN(auto schema, Http("GET", server->HttpUrl("/v1/database/chat/schema")));
  EXPECT_EQ(schema.status, 404) << "no database was created";
}

TEST(Publish, AnInvalidDatabaseNameIsRejected) {
  // Proves a name outside [a-z0-9_-] is a 400 that explains the rule.
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  ASSERT_OK_AND_ASSIGN(auto owner, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto res,
                       Publish(*server, "Bad.Name", ReadFile(kQuickstartModule), owner.token));
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_NE(res.body.find("database name"), std::string::npos) << res.body;
}

struct NotAModule {
  std::string name;
  std::string bytes;
  std::string expected;  // a fragment of the 400 body
};

std::vector<NotAModule> NotAModuleCases() {
  std::mt19937 rng(20240607);  // fixed seed: the same bytes every run
  std::string random(64 << 10, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  random[0] = 'x';  // never an ELF magic by accident
  return {
      {"empty body", "", "empty"},
      {"random bytes", random, "not an ELF"},
      {"a text file", "#!/bin/sh\necho this is not a module\n", "not an ELF"},
      {"an executable (/bin/true)", ReadFile("/bin/true"), "executable"},
      {"a shared library without the module ABI", ReadFile(kNotAModuleLibrary), "does not export"},
      {"a truncated module", ReadFile(kQuickstartModule).substr(0, 4096), "truncated"},
      {"a module with an invalid schema", ReadFile(kInvalidSchemaModule),
       "table 't': index 'by_x' names unknown column index 5"},
  };
}

TEST(Publish, FilesThatAreNotModulesAreRejectedWith400AndTheOldModuleKeepsServing) {
  // Proves a body that is not a loadable stdb module is a 400 saying what is wrong, for
  // an existing database (which keeps its module, data and clients) and a new name
  // (which is not created).
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  ASSERT_OK_AND_ASSIGN(auto owner, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto created,
                       Publish(*server, "chat", ReadFile(kQuickstartModule), owner.token));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_OK_AND_ASSIGN(auto call, CallOn(*server, "chat", "send_message", R"(["before"])"));
  ASSERT_EQ(call.status, 200) << call.body;
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server));

  uint32_t request_id = 0;
  for (const auto& c : NotAModuleCases()) {
    SCOPED_TRACE(c.name);
    ASSERT_OK_AND_ASSIGN(auto update, Publish(*server, "chat", c.bytes, owner.token));
    EXPECT_EQ(update.status, 400) << update.body;
    EXPECT_NE(update.body.find(c.expected), std::string::npos) << update.body;
    ASSERT_OK_AND_ASSIGN(auto fresh, Publish(*server, "other", c.bytes, owner.token));
    EXPECT_EQ(fresh.status, 400) << fresh.body;

    // The old module still serves HTTP and its connected client.
    ASSERT_OK_AND_ASSIGN(auto after, CallOn(*server, "chat", "send_message", R"(["still here"])"));
    EXPECT_EQ(after.status, 200) << after.body;
    ASSERT_OK_AND_ASSIGN(auto result,
                         CallWs(*conn.client, ++request_id, "set_name", StringArg("ok")));
    EXPECT_EQ(result.outcome.kind, protocol::ReducerOutcome::Kind::kOk)
        << Describe(protocol::ServerMessage(result));
  }
  ASSERT_OK_AND_ASSIGN(auto rows, SqlRows(*server, "chat", "SELECT * FROM message"));
  EXPECT_EQ(rows.size(), 1 + NotAModuleCases().size()) << rows.dump();
  ASSERT_OK_AND_ASSIGN(auto other, Http("GET", server->HttpUrl("/v1/database/other/schema")));
  EXPECT_EQ(other.status, 404);
  EXPECT_TRUE(server->Running());
}

TEST(Publish, AnIncompatibleUpdateNeedsClearAndClearReplacesTheSchema) {
  // Proves publishing a module with different tables over a database is a 400 that keeps
  // the old module, and with ?clear=true replaces it, dropping the data and closing
  // connected clients with a reason.
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  ASSERT_OK_AND_ASSIGN(auto owner, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto created,
                       Publish(*server, "db", ReadFile(kQuickstartModule), owner.token));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_OK_AND_ASSIGN(auto call, CallOn(*server, "db", "send_message", R"(["old"])"));
  ASSERT_EQ(call.status, 200) << call.body;
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server, {.database = "db"}));

  const std::string edge = ReadFile(kEdgeCasesModule);
  ASSERT_OK_AND_ASSIGN(auto refused, Publish(*server, "db", edge, owner.token));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("incompatible"), std::string::npos) << refused.body;
  ASSERT_OK_AND_ASSIGN(auto rows, SqlRows(*server, "db", "SELECT * FROM message"));
  EXPECT_EQ(rows.size(), 1u);

  ASSERT_OK_AND_ASSIGN(auto cleared, Publish(*server, "db", edge, owner.token, "?clear=true"));
  EXPECT_EQ(cleared.status, 200) << cleared.body;
  ASSERT_OK_AND_ASSIGN(auto close, ReceiveClose(*conn.client));
  EXPECT_NE(close.second.find("module was replaced"), std::string::npos) << close.second;
  ASSERT_OK_AND_ASSIGN(auto items, SqlRows(*server, "db", "SELECT * FROM item"));
  EXPECT_EQ(items.size(), 0u);
  ASSERT_OK_AND_ASSIGN(auto old_table, Http("POST", server->HttpUrl("/v1/database/db/sql"),
                                            "SELECT * FROM message"));
  EXPECT_EQ(old_table.status, 404) << old_table.body;
}

TEST(Publish, PrivateTablesAreReadableOnlyByTheOwner) {
  // Proves a private table is visible to the database owner (over /sql, subscriptions and
  // one-off queries) and refused, naming the table, to anyone else.
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  ASSERT_OK_AND_ASSIGN(auto owner, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto other, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto created,
                       Publish(*server, "edge", ReadFile(kEdgeCasesModule), owner.token));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_OK_AND_ASSIGN(auto put,
                       CallOn(*server, "edge", "put_secret", R"([7, "hidden"])", owner.token));
  ASSERT_EQ(put.status, 200) << put.body;

  ASSERT_OK_AND_ASSIGN(auto rows, SqlRows(*server, "edge", "SELECT * FROM secret", owner.token));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][1], "hidden");
  ASSERT_OK_AND_ASSIGN(auto denied, Http("POST", server->HttpUrl("/v1/database/edge/sql"),
                                         "SELECT * FROM secret", Bearer(other.token)));
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_NE(denied.body.find("secret"), std::string::npos) << denied.body;

  ASSERT_OK_AND_ASSIGN(auto mine,
                       ConnectAndGreet(*server, {.token = owner.token, .database = "edge"}));
  ASSERT_OK_AND_ASSIGN(auto applied,
                       SubscribeAndWait(*mine.client, 1, 1, {"SELECT * FROM secret"}));
  EXPECT_EQ(applied.rows.tables.at(0).rows.count(), 1u);

  ASSERT_OK_AND_ASSIGN(auto theirs,
                       ConnectAndGreet(*server, {.token = other.token, .database = "edge"}));
  ASSERT_OK(theirs.client->Send(protocol::Subscribe{1, 1, {"SELECT * FROM secret"}}));
  ASSERT_OK_AND_ASSIGN(auto error, ReceiveAs<protocol::SubscriptionError>(*theirs.client));
  EXPECT_NE(error.error.find("secret"), std::string::npos) << error.error;
  ASSERT_OK(theirs.client->Send(protocol::OneOffQuery{2, "SELECT * FROM secret"}));
  ASSERT_OK_AND_ASSIGN(auto one_off, ReceiveAs<protocol::OneOffQueryResult>(*theirs.client));
  EXPECT_FALSE(one_off.ok);
  EXPECT_NE(one_off.error.find("secret"), std::string::npos) << one_off.error;
}

TEST(Publish, SqlDmlByTheOwnerReachesSubscribersAndIsForbiddenToOthers) {
  // Proves the owner's INSERT over /sql answers rows_affected, commits a transaction that
  // subscribers receive, and that DML from another identity is refused with 403.
  ASSERT_OK_AND_ASSIGN(auto server, StartEmpty());
  ASSERT_OK_AND_ASSIGN(auto owner, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto other, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto created,
                       Publish(*server, "dml", ReadFile(kQuickstartModule), owner.token));
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server, {.database = "dml"}));
  ASSERT_OK_AND_ASSIGN(auto applied,
                       SubscribeAndWait(*conn.client, 1, 1, {"SELECT * FROM message"}));
  EXPECT_EQ(applied.rows.tables.at(0).rows.count(), 0u);

  ASSERT_OK_AND_ASSIGN(auto ins, Http("POST", server->HttpUrl("/v1/database/dml/sql"),
                                      "INSERT INTO message VALUES (0x01, 5, 'via sql')",
                                      Bearer(owner.token)));
  ASSERT_EQ(ins.status, 200) << ins.body;
  Json j = Json::parse(ins.body, nullptr, false);
  ASSERT_TRUE(j.is_array() && j.size() == 1) << ins.body;
  EXPECT_EQ(j[0]["rows_affected"], 1) << ins.body;
  ASSERT_OK_AND_ASSIGN(auto update, ReceiveAs<protocol::TransactionUpdate>(*conn.client));
  EXPECT_EQ(update.query_sets.size(), 1u);

  ASSERT_OK_AND_ASSIGN(auto denied, Http("POST", server->HttpUrl("/v1/database/dml/sql"),
                                         "DELETE FROM message", Bearer(other.token)));
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_NE(denied.body.find("only the database owner"), std::string::npos) << denied.body;
  ASSERT_OK_AND_ASSIGN(auto rows, SqlRows(*server, "dml", "SELECT text FROM message"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "via sql");
}

}  // namespace
}  // namespace stdb::integration
