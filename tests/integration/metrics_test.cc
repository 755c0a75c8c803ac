// Observability of a real server: GET /v1/metrics (Prometheus text) moves by exactly
// what a known workload did, and the server's log lines are JSON objects carrying the
// database and the request id.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

using Json = nlohmann::json;

// Series -> value from the text format: "name{labels} value" lines, comments skipped.
// A malformed line fails the parse.
Result<std::map<std::string, double>> ParseMetrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos || space == 0) {
      return Status(ErrorCode::kInvalidArgument, "not a sample line: " + line);
    }
    try {
      out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      return Status(ErrorCode::kInvalidArgument, "not a number in: " + line);
    }
  }
  return out;
}

Result<std::map<std::string, double>> Scrape(const ServerProcess& server) {
  STDB_ASSIGN_OR_RETURN(auto res, Http("GET", server.HttpUrl("/v1/metrics")));
  if (res.status != 200) {
    return Status(ErrorCode::kInternal, "GET /v1/metrics: " + std::to_string(res.status));
  }
  if (res.headers["content-type"].rfind("text/plain; version=0.0.4", 0) != 0) {
    return Status(ErrorCode::kInternal, "content type " + res.headers["content-type"]);
  }
  return ParseMetrics(res.body);
}

double Get(const std::map<std::string, double>& m, const std::string& series) {
  auto it = m.find(series);
  return it == m.end() ? -1 : it->second;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerProcess::Options options;
    options.module_path = kQuickstartModule;
    options.database = "chat";
    options.extra_args = {"--log-format", "json"};
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start(std::move(options)));
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) PrintServerLog(*server_);
  }
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(MetricsTest, CountersMoveByWhatTheWorkloadDid) {
  ASSERT_OK_AND_ASSIGN(auto subscriber, ConnectAndGreet(*server_));
  ASSERT_OK_AND_ASSIGN(auto caller, ConnectAndGreet(*server_));
  ASSERT_OK(SubscribeAndWait(*subscriber.client, 1, 1, {"SELECT * FROM message"}).status());
  ASSERT_OK_AND_ASSIGN(auto before, Scrape(*server_));

  // 5 messages and one the module refuses over WebSocket, 3 over HTTP.
  for (uint32_t i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(auto r, CallWs(*caller.client, 10 + i, "send_message",
                                        StringArg("ws " + std::to_string(i))));
    ASSERT_EQ(r.outcome.kind, protocol::ReducerOutcome::Kind::kOk) << r.outcome.message;
  }
  ASSERT_OK_AND_ASSIGN(auto refused, CallWs(*caller.client, 20, "send_message",
                                            StringArg("")));
  ASSERT_EQ(refused.outcome.kind, protocol::ReducerOutcome::Kind::kErr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(auto r, CallHttp(*server_, "send_message", "[\"http " + std::to_string(i) + "\"]"));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // The subscriber's 8 updates have been written once it has read them.
  for (int i = 0; i < 8; ++i) {
    ASSERT_OK(ReceiveAs<protocol::TransactionUpdate>(*subscriber.client).status());
  }
  ASSERT_OK_AND_ASSIGN(auto after, Scrape(*server_));
  auto delta = [&](const std::string& series) { return Get(after, series) - Get(before, series); };

  const std::string db = "{database=\"chat\"}";
  const std::string send = "{database=\"chat\",reducer=\"send_message\"}";
  EXPECT_EQ(delta("stdb_reducer_calls_total" + send), 9);
  EXPECT_EQ(delta("stdb_reducer_failures_total" + send), 1);
  EXPECT_EQ(delta("stdb_reducer_duration_seconds_count" + db), 9);
  // 8 committed transactions: each evaluated against the subscriptions, logged, made
  // durable by some fsync.
  EXPECT_EQ(delta("stdb_subscription_evaluation_duration_seconds_count" + db), 8);
  EXPECT_EQ(delta("stdb_commit_duration_seconds_count" + db), 8);
  EXPECT_EQ(delta("stdb_transactions_per_fsync_sum" + db), 8);
  EXPECT_GE(delta("stdb_fsync_duration_seconds_count" + db), 1);
  EXPECT_EQ(delta("stdb_fsync_duration_seconds_count" + db),
            delta("stdb_transactions_per_fsync_count" + db));
  // 6 ReducerResults to the caller and 8 TransactionUpdates to the subscriber.
  EXPECT_EQ(delta("stdb_messages_sent_total"), 14);
  EXPECT_GT(delta("stdb_sent_bytes_total"), 14);
  // 3 calls and the second scrape (each scrape counts itself).
  EXPECT_EQ(delta("stdb_http_requests_total"), 4);
  // Gauges: the state now.
  EXPECT_EQ(Get(after, "stdb_table_rows{database=\"chat\",table=\"message\"}"), 8);
  EXPECT_EQ(Get(after, "stdb_connected_clients" + db), 2);
  EXPECT_EQ(Get(after, "stdb_websocket_connections"), 2);
  EXPECT_EQ(Get(after, "stdb_subscription_query_sets" + db), 1);
  EXPECT_EQ(Get(after, "stdb_subscription_queries" + db), 1);
  EXPECT_GT(Get(after, "stdb_process_resident_memory_bytes"), 1 << 20);
  EXPECT_EQ(Get(after, "stdb_slow_client_disconnects_total"), 0);
  bool build_info = false;
  for (const auto& [series, value] : after) {
    if (series.rfind("stdb_build_info{", 0) == 0) build_info = value == 1;
  }
  EXPECT_TRUE(build_info);

  // A client that leaves takes its connection and subscriptions with it.
  subscriber.client.reset();
  Status gone = Status(ErrorCode::kInternal, "still connected");
  for (int i = 0; i < 200 && !gone.ok(); ++i) {
    ASSERT_OK_AND_ASSIGN(auto now, Scrape(*server_));
    if (Get(now, "stdb_connected_clients" + db) == 1 &&
        Get(now, "stdb_subscription_query_sets" + db) == 0 && Get(now, "stdb_websocket_connections") == 1) {
      gone = Status::Ok();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  EXPECT_TRUE(gone.ok()) << "the departed client still counts";
}

TEST_F(MetricsTest, LogLinesAreJsonWithTheDatabaseAndTheRequestId) {
  ASSERT_OK_AND_ASSIGN(auto named, Http("POST", server_->DbUrl("call/send_message"), "[\"traced\"]",
                                        {{"X-Request-Id", "trace-77"}}));
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(named.headers["x-request-id"], "trace-77");
  ASSERT_OK_AND_ASSIGN(auto unnamed, CallHttp(*server_, "send_message", "[\"plain\"]"));
  ASSERT_EQ(unnamed.status, 200) << unnamed.body;
  const std::string generated = unnamed.headers["x-request-id"];
  EXPECT_EQ(generated.rfind("h", 0), 0u) << generated;

  // Every line is one JSON object with a time, a level and a message; the module's line
  // for each call names the database and that call's request id.
  std::istringstream log(server_->Log());
  std::string line;
  int lines = 0;
  std::map<std::string, std::string> request_of;  // message -> request_id
  while (std::getline(log, line)) {
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(j.is_object()) << "not a JSON object: " << line;
    ASSERT_TRUE(j.contains("time") && j.contains("level") && j.contains("message")) << line;
    ++lines;
    if (j.value("database", "") == "chat" && j.contains("request_id")) {
      request_of[j["message"].get<std::string>()] = j["request_id"].get<std::string>();
    }
  }
  EXPECT_GT(lines, 2);
  EXPECT_EQ(request_of["traced"], "trace-77");
  EXPECT_EQ(request_of["plain"], generated);
}

}  // namespace
}  // namespace stdb::integration
