// The HTTP API of a real server: identities and tokens, reducer calls with JSON
// arguments, SQL, the schema, and how each rejects bad requests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "auth/signing_key.h"
#include "auth/token.h"
#include "base/clock.h"
#include "sats/json.h"
#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

using Json = nlohmann::json;

Json ParseJson(const std::string& text) {
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// Tests that write nothing another test reads share one server.
class HttpReadOnly : public SharedChatServerTest {};

// The `text` column of every row of the first /sql result.
std::vector<std::string> SqlMessageTexts(const std::string& body) {
  std::vector<std::string> out;
  Json j = ParseJson(body);
  if (!j.is_array() || j.empty()) return out;
  for (const auto& row : j[0]["rows"]) out.push_back(row.at(2).get<std::string>());
  return out;
}

TEST_F(HttpReadOnly, PingAndHealthAnswerOk) {
  // Proves the liveness endpoints answer 200 without a token.
  ASSERT_OK_AND_ASSIGN(auto ping, Http("GET", server().HttpUrl("/v1/ping")));
  EXPECT_EQ(ping.status, 200);
  ASSERT_OK_AND_ASSIGN(auto health, Http("GET", server().HttpUrl("/health")));
  EXPECT_EQ(health.status, 200);
}

TEST_F(HttpReadOnly, PostIdentityReturnsAFreshIdentityAndToken) {
  // Proves POST /v1/identity mints a distinct identity each time, with a JWT-shaped token.
  ASSERT_OK_AND_ASSIGN(auto a, MintIdentity(server()));
  ASSERT_OK_AND_ASSIGN(auto b, MintIdentity(server()));
  EXPECT_EQ(a.hex.size(), 64u);
  EXPECT_EQ(std::count(a.token.begin(), a.token.end(), '.'), 2) << a.token;
  EXPECT_NE(a.hex, b.hex);
  EXPECT_NE(a.token, b.token);
}

TEST_F(HttpReadOnly, WebsocketTokenForAGoodTokenConnectsAsTheSameIdentity) {
  // Proves a short-lived token from /v1/identity/websocket-token authenticates a WebSocket
  // (as ?token=) as the identity it was issued for.
  ASSERT_OK_AND_ASSIGN(auto id, MintIdentity(server()));
  ASSERT_OK_AND_ASSIGN(auto res, Http("POST", server().HttpUrl("/v1/identity/websocket-token"), "",
                                      Bearer(id.token)));
  ASSERT_EQ(res.status, 200) << res.body;
  Json j = ParseJson(res.body);
  ASSERT_TRUE(j.is_object() && j.contains("token") && j["token"].is_string()) << res.body;
  const std::string short_lived = j["token"].get<std::string>();
  EXPECT_NE(short_lived, id.token);

  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(server(), {.query = "?token=" + short_lived}));
  EXPECT_EQ(conn.hello.identity, id.identity);
}

// A token for the same identity, signed with the server's own key but expired long ago:
// read the server's key from its data directory and sign with a clock set in the past.
Result<std::string> ExpiredTokenFor(const ServerProcess& server, const Identity& id) {
  ManualClock past(1'000'000'000LL * 1'000'000);  // 2001-09-09
  STDB_ASSIGN_OR_RETURN(auto authority,
                        auth::TokenAuthority::OpenOrCreate(server.data_dir(), past));
  // The claims of the good token, verified with a clock at the same past time.
  STDB_ASSIGN_OR_RETURN(auto claims, authority->Verify(id.token));
  return authority->IssueShortLived(claims, /*ttl_s=*/60);
}

// A well-formed token for a fresh identity, signed by a key the server has never seen.
Result<std::string> ForeignToken() {
  STDB_ASSIGN_OR_RETURN(auto key, auth::SigningKey::Generate());
  STDB_ASSIGN_OR_RETURN(auto authority,
                        auth::TokenAuthority::FromKey(std::move(key), SystemClock::Get()));
  STDB_ASSIGN_OR_RETURN(auto minted, authority->CreateIdentity());
  return minted.token;
}

TEST_F(HttpReadOnly, WebsocketTokenRejectsBadGarbageForeignAndExpiredTokensWith401) {
  // Proves /v1/identity/websocket-token answers 401 for every token it did not issue or
  // that has expired, and for a missing or malformed Authorization header.
  ASSERT_OK_AND_ASSIGN(auto id, MintIdentity(server()));
  std::string tampered = id.token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  std::string bad_signature = id.token;
  bad_signature.back() = bad_signature.back() == 'A' ? 'B' : 'A';
  ASSERT_OK_AND_ASSIGN(auto expired, ExpiredTokenFor(server(), id));
  ASSERT_OK_AND_ASSIGN(auto foreign, ForeignToken());

  const std::vector<std::pair<std::string, Headers>> cases = {
      {"no Authorization header", {}},
      {"not a Bearer header", {{"Authorization", "Basic dXNlcjpwYXNz"}}},
      {"garbage", Bearer("garbage")},
      {"three empty parts", Bearer("..")},
      {"three garbage parts", Bearer("a.b.c")},
      {"tampered payload", Bearer(tampered)},
      {"bad signature", Bearer(bad_signature)},
      {"signed by another key", Bearer(foreign)},
      {"expired", Bearer(expired)},
  };
  for (const auto& [name, headers] : cases) {
    SCOPED_TRACE(name);
    ASSERT_OK_AND_ASSIGN(
        auto res, Http("POST", server().HttpUrl("/v1/identity/websocket-token"), "", headers));
    EXPECT_EQ(res.status, 401) << res.body;
    EXPECT_FALSE(res.body.empty());
  }
  // The expired token is rejected for its expiry, not for its signature.
  ASSERT_OK_AND_ASSIGN(auto res, Http("POST", server().HttpUrl("/v1/identity/websocket-token"), "",
                                      Bearer(expired)));
  EXPECT_NE(res.body.find("expired"), std::string::npos) << res.body;
  // The good token still works.
  ASSERT_OK_AND_ASSIGN(auto good, Http("POST", server().HttpUrl("/v1/identity/websocket-token"), "",
                                       Bearer(id.token)));
  EXPECT_EQ(good.status, 200) << good.body;
}

TEST(Http, CallWithJsonArgsInsertsARowThatSqlReturns) {
  // Proves POST /call runs the reducer as the token's identity and /sql sees its row.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto id, MintIdentity(*server));
  ASSERT_OK_AND_ASSIGN(auto call,
                       CallHttp(*server, "send_message", R"(["hello over http"])", id.token));
  ASSERT_EQ(call.status, 200) << call.body;

  ASSERT_OK_AND_ASSIGN(auto body, SqlHttp(*server, "SELECT * FROM message"));
  Json j = ParseJson(body);
  ASSERT_TRUE(j.is_array() && j.size() == 1) << body;
  ASSERT_EQ(j[0]["rows"].size(), 1u) << body;
  const Json& row = j[0]["rows"][0];
  EXPECT_EQ(row[2], "hello over http");
  EXPECT_EQ(row[0], "0x" + id.hex) << "the sender is the caller's identity";
  EXPECT_TRUE(j[0].contains("schema") && j[0].contains("total_duration_micros")) << body;
}

TEST(Http, CallWithoutATokenMintsAnIdentityInResponseHeaders) {
  // Proves an anonymous call runs as a freshly minted identity returned in the
  // spacetime-identity and spacetime-identity-token headers.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto call, CallHttp(*server, "send_message", R"(["anonymous"])"));
  ASSERT_EQ(call.status, 200) << call.body;
  ASSERT_TRUE(call.headers.contains("spacetime-identity"));
  ASSERT_TRUE(call.headers.contains("spacetime-identity-token"));
  ASSERT_OK_AND_ASSIGN(auto body, SqlHttp(*server, "SELECT * FROM message"));
  Json j = ParseJson(body);
  ASSERT_EQ(j[0]["rows"].size(), 1u) << body;
  EXPECT_EQ(j[0]["rows"][0][0], "0x" + call.headers["spacetime-identity"]);
}

TEST(Http, ReducerErrorAnswersNon2xxWithTheReducersMessageAndWritesNothing) {
  // Proves a reducer that returns an error yields a non-2xx status carrying its message.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto call, CallHttp(*server, "send_message", R"([""])"));
  EXPECT_TRUE(call.status < 200 || call.status >= 300) << call.status;
  EXPECT_NE(call.body.find("Messages must not be empty"), std::string::npos) << call.body;
  ASSERT_OK_AND_ASSIGN(auto body, SqlHttp(*server, "SELECT * FROM message"));
  EXPECT_TRUE(SqlMessageTexts(body).empty()) << body;
}

TEST(Http, ThrowingReducerAnswersNon2xxWithTheExceptionMessageAndRollsBack) {
  // Proves a reducer that throws after a write yields its message and leaves no row.
  ASSERT_OK_AND_ASSIGN(auto server,
                       ServerProcess::Start({.module_path = kEdgeCasesModule, .database = "edge"}));
  ASSERT_OK_AND_ASSIGN(auto call, CallHttp(*server, "throw_error", R"(["boom from the module"])"));
  EXPECT_TRUE(call.status < 200 || call.status >= 300) << call.status;
  EXPECT_NE(call.body.find("boom from the module"), std::string::npos) << call.body;
  ASSERT_OK_AND_ASSIGN(auto body, SqlHttp(*server, "SELECT * FROM item"));
  EXPECT_EQ(ParseJson(body)[0]["rows"].size(), 0u) << body;
}

TEST_F(HttpReadOnly, UnknownReducerAnswers404NamingIt) {
  // Proves calling a reducer the module does not define is a 404 that names it.
  ASSERT_OK_AND_ASSIGN(auto call, CallHttp(server(), "no_such_reducer", "[]"));
  EXPECT_EQ(call.status, 404);
  EXPECT_NE(call.body.find("no_such_reducer"), std::string::npos) << call.body;
}

TEST(Http, WrongTypeArgsAnswer400NamingTheParameter) {
  // Proves arguments of the wrong type or count are a 400 naming the offending
  // parameter, and the reducer does not run.
  ASSERT_OK_AND_ASSIGN(auto server,
                       ServerProcess::Start({.module_path = kEdgeCasesModule, .database = "edge"}));
  ASSERT_OK_AND_ASSIGN(auto good, CallHttp(*server, "add_item", R"([1, "one", 5])"));
  EXPECT_EQ(good.status, 200) << good.body;

  ASSERT_OK_AND_ASSIGN(auto qty, CallHttp(*server, "add_item", R"([2, "two", "five"])"));
  EXPECT_EQ(qty.status, 400);
  EXPECT_NE(qty.body.find("qty"), std::string::npos) << qty.body;

  ASSERT_OK_AND_ASSIGN(auto label, CallHttp(*server, "add_item", R"([3, 3, 3])"));
  EXPECT_EQ(label.status, 400);
  EXPECT_NE(label.body.find("label"), std::string::npos) << label.body;

  ASSERT_OK_AND_ASSIGN(auto range, CallHttp(*server, "add_item", R"([-4, "four", 4])"));
  EXPECT_EQ(range.status, 400);
  EXPECT_NE(range.body.find("id"), std::string::npos) << range.body;

  ASSERT_OK_AND_ASSIGN(auto count, CallHttp(*server, "add_item", R"([5, "five"])"));
  EXPECT_EQ(count.status, 400) << count.body;

  ASSERT_OK_AND_ASSIGN(auto body, SqlHttp(*server, "SELECT * FROM item"));
  EXPECT_EQ(ParseJson(body)[0]["rows"].size(), 1u) << "only the good call wrote: " << body;
}

TEST_F(HttpReadOnly, MalformedJsonArgsAnswer400) {
  // Proves a body that is not JSON, or not a JSON array, is a 400 saying so.
  for (const std::string body : {R"(["unterminated)", "not json at all", "[1,]"}) {
    SCOPED_TRACE(body);
    ASSERT_OK_AND_ASSIGN(auto call, CallHttp(server(), "send_message", body));
    EXPECT_EQ(call.status, 400);
    EXPECT_NE(call.body.find("JSON"), std::string::npos) << call.body;
  }
  ASSERT_OK_AND_ASSIGN(auto object, CallHttp(server(), "send_message", R"({"text": "hi"})"));
  EXPECT_EQ(object.status, 400);
  EXPECT_NE(object.body.find("array"), std::string::npos) << object.body;
}

TEST_F(HttpReadOnly, SqlOnAnUnknownTableAnswers4xxNamingTheTable) {
  // Proves /sql rejects a query on a table that does not exist with a message naming it.
  ASSERT_OK_AND_ASSIGN(auto res,
                       Http("POST", server().DbUrl("sql"), "SELECT * FROM no_such_table"));
  EXPECT_GE(res.status, 400);
  EXPECT_LT(res.status, 500);
  EXPECT_NE(res.body.find("no_such_table"), std::string::npos) << res.body;
}

TEST(Http, SqlRunsEverySemicolonSeparatedStatement) {
  // Proves /sql answers one result per statement, in order.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto call, CallHttp(*server, "send_message", R"(["x"])"));
  ASSERT_EQ(call.status, 200) << call.body;
  ASSERT_OK_AND_ASSIGN(auto body, SqlHttp(*server, "SELECT * FROM message; SELECT * FROM user"));
  Json j = ParseJson(body);
  ASSERT_TRUE(j.is_array() && j.size() == 2) << body;
  EXPECT_EQ(j[0]["rows"].size(), 1u);
  EXPECT_EQ(j[1]["rows"].size(), 0u) << "an HTTP caller is not a connected user";
}

TEST_F(HttpReadOnly, BodiesOverOneMebibyteAre413ExceptModuleUploads) {
  // Proves a request body above the 1 MiB limit (other than a publish) is refused with
  // 413 before it is read, and the server keeps serving.
  const std::string big(2 << 20, ' ');
  ASSERT_OK_AND_ASSIGN(auto sql, Http("POST", server().DbUrl("sql"), big));
  EXPECT_EQ(sql.status, 413) << sql.body;
  ASSERT_OK_AND_ASSIGN(auto call, Http("POST", server().DbUrl("call/send_message"), big));
  EXPECT_EQ(call.status, 413) << call.body;
  ASSERT_OK_AND_ASSIGN(auto ping, Http("GET", server().HttpUrl("/v1/ping")));
  EXPECT_EQ(ping.status, 200);
}

TEST_F(HttpReadOnly, SchemaListsTablesColumnsAndReducers) {
  // Proves GET /schema describes the module: tables with typed columns and primary keys,
  // and reducers with their parameters and lifecycle.
  ASSERT_OK_AND_ASSIGN(auto res, Http("GET", server().DbUrl("schema")));
  ASSERT_EQ(res.status, 200) << res.body;
  Json j = ParseJson(res.body);
  ASSERT_TRUE(j.is_object() && j.contains("tables") && j.contains("reducers")) << res.body;

  std::map<std::string, Json> tables;
  for (const auto& t : j["tables"]) tables[t["name"].get<std::string>()] = t;
  ASSERT_TRUE(tables.contains("user") && tables.contains("message")) << res.body;
  EXPECT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables["user"]["primary_key"], Json::array({"identity"}));
  EXPECT_EQ(tables["message"]["primary_key"], Json::array());
  // Column types match the row types the WebSocket tests decode with.
  const sats::AlgebraicType user_row = UserRowType();
  ASSERT_EQ(tables["user"]["columns"].size(), user_row.elements().size());
  for (size_t i = 0; i < user_row.elements().size(); ++i) {
    const Json& column = tables["user"]["columns"][i];
    EXPECT_EQ(column["name"], *user_row.elements()[i].name);
    EXPECT_EQ(column["type"], sats::TypeToJson(user_row.elements()[i].type)) << column.dump();
  }

  std::map<std::string, Json> reducers;
  for (const auto& r : j["reducers"]) reducers[r["name"].get<std::string>()] = r;
  ASSERT_TRUE(reducers.contains("set_name") && reducers.contains("send_message")) << res.body;
  ASSERT_EQ(reducers["send_message"]["params"].size(), 1u);
  EXPECT_EQ(reducers["send_message"]["params"][0]["name"], "text");
  EXPECT_TRUE(reducers["send_message"]["lifecycle"].is_null());
  ASSERT_TRUE(reducers.contains("client_connected"));
  EXPECT_FALSE(reducers["client_connected"]["lifecycle"].is_null());
}

TEST_F(HttpReadOnly, UnknownDatabaseAnswers404Everywhere) {
  // Proves every per-database endpoint answers 404 for a database that does not exist.
  const std::string base = server().HttpUrl("/v1/database/nope");
  ASSERT_OK_AND_ASSIGN(auto schema, Http("GET", base + "/schema"));
  EXPECT_EQ(schema.status, 404);
  ASSERT_OK_AND_ASSIGN(auto call, Http("POST", base + "/call/send_message", R"(["x"])"));
  EXPECT_EQ(call.status, 404);
  ASSERT_OK_AND_ASSIGN(auto sql, Http("POST", base + "/sql", "SELECT * FROM message"));
  EXPECT_EQ(sql.status, 404);
  auto ws = ConnectWs(server(), {.database = "nope"});
  ASSERT_FALSE(ws.ok());
  EXPECT_NE(ws.status().message().find("404"), std::string::npos) << ws.status().message();
}

}  // namespace
}  // namespace stdb::integration
