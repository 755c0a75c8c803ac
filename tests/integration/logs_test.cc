// Module logs end to end: GET /v1/database/:name/logs (levels, num_lines, owner-only
// access, follow streams, survival across a restart, shutdown with a follower attached)
// and `spacetime logs` run as a child process (last N lines, errors, -f until SIGINT).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kDb = "logdb";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The JSON objects of an NDJSON body.
Result<std::vector<Json>> ParseLines(const std::string& body) {
  std::vector<Json> out;
  for (const auto& line : SplitLines(body)) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded()) return DecodeError("not a JSON line: " + line);
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<std::string> Column(const std::vector<Json>& lines, const char* key) {
  std::vector<std::string> out;
  for (const auto& j : lines)
    out.push_back(j.value(key, Json()).is_string() ? j[key].get<std::string>() : "");
  return out;
}

// A server with the edge_cases module published as "logdb" by `owner`.
struct LogServer {
  std::unique_ptr<ServerProcess> server;
  Identity owner;
};

Result<LogServer> StartLogServer() {
  STDB_ASSIGN_OR_RETURN(auto server, ServerProcess::Start({}));
  STDB_ASSIGN_OR_RETURN(auto owner, MintIdentity(*server));
  STDB_ASSIGN_OR_RETURN(auto res, Http("PUT", server->HttpUrl(std::string("/v1/database/") + kDb),
                                       ReadFile(kEdgeCasesModule), Bearer(owner.token)));
  if (res.status != 201) return InternalError("publish failed: " + res.body);
  return LogServer{std::move(server), std::move(owner)};
}

std::string LogsUrl(const ServerProcess& server, const std::string& query = "",
                    const std::string& db = kDb) {
  return server.HttpUrl("/v1/database/" + db + "/logs" + query);
}

Status LogLevels(const ServerProcess& server, const std::string& message) {
  STDB_ASSIGN_OR_RETURN(
      auto res,
      Http("POST", server.HttpUrl(std::string("/v1/database/") + kDb + "/call/log_levels"),
           Json::array({message}).dump()));
  if (res.status != 200) return InternalError("log_levels failed: " + res.body);
  return Status::Ok();
}

// A GET /logs?follow=true stream read on its own thread.
class Follower {
 public:
  Follower(std::string url, std::string token) {
    thread_ = std::thread([this, url = std::move(url), token = std::move(token)] {
      net::HttpStreamHandler handler;
      handler.on_head = [this](int status, const std::map<std::string, std::string>& headers) {
        std::lock_guard lock(mu_);
        status_ = status;
        headers_ = headers;
      };
      handler.on_body = [this](std::string_view data) {
        std::lock_guard lock(mu_);
        body_.append(data);
        cv_.notify_all();
        return true;
      };
      handler.cancelled = [this] { return stop_.load(); };
      auto result = net::HttpStream("GET", url, Bearer(token), "", handler);
      std::lock_guard lock(mu_);
      result_ = std::move(result);
      done_ = true;
      cv_.notify_all();
    });
  }
  ~Follower() { Stop(); }

  // Waits until the body received so far contains `text`.
  bool WaitFor(const std::string& text) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kReceiveTimeout, [&] {
      return body_.find(text) != std::string::npos || done_;
    }) && body_.find(text) != std::string::npos;
  }
  // Waits until the stream has ended by itself.
  bool WaitDone() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kReceiveTimeout, [&] { return done_; });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::string body() {
    std::lock_guard lock(mu_);
    return body_;
  }
  int status() {
    std::lock_guard lock(mu_);
    return status_;
  }
  std::map<std::string, std::string> headers() {
    std::lock_guard lock(mu_);
    return headers_;
  }
  std::optional<Result<net::HttpStreamResult>> result() {
    std::lock_guard lock(mu_);
    return result_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string body_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::optional<Result<net::HttpStreamResult>> result_;
  bool done_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(Logs, ReturnsEveryLevelWithTheReducerName) {
  // Proves GET /logs returns the reducer's lines as JSON lines with level, ts, target.
  ASSERT_OK_AND_ASSIGN(auto s, StartLogServer());
  ASSERT_OK(LogLevels(*s.server, "hello"));
  ASSERT_OK_AND_ASSIGN(auto res, Http("GET", LogsUrl(*s.server), "", Bearer(s.owner.token)));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.headers["content-type"], "application/x-ndjson");
  ASSERT_OK_AND_ASSIGN(auto lines, ParseLines(res.body));
  EXPECT_EQ(Column(lines, "level"),
            (std::vector<std::string>{"Error", "Warn", "Info", "Debug", "Trace"}));
  EXPECT_EQ(Column(lines, "message"),
            (std::vector<std::string>{"hello (error)", "hello (warn)", "hello (info)",
                                      "hello (debug)", "hello (trace)"}));
  for (const auto& j : lines) {
    EXPECT_EQ(j["target"], "log_levels") << j.dump();
    EXPECT_TRUE(j["ts"].is_number_integer()) << j.dump();
  }
  // The server log still gets the lines it shows at its level (info and above).
  EXPECT_NE(s.server->Log().find("hello (warn)"), std::string::npos);
}

TEST(Logs, NumLinesSelectsTheNewestAndIsBounded) {
  // Proves num_lines picks the newest lines and bad values are refused with 400.
  ASSERT_OK_AND_ASSIGN(auto s, StartLogServer());
  ASSERT_OK(LogLevels(*s.server, "first"));
  ASSERT_OK(LogLevels(*s.server, "second"));
  const Headers auth = Bearer(s.owner.token);
  ASSERT_OK_AND_ASSIGN(auto two, Http("GET", LogsUrl(*s.server, "?num_lines=2"), "", auth));
  ASSERT_EQ(two.status, 200) << two.body;
  ASSERT_OK_AND_ASSIGN(auto lines, ParseLines(two.body));
  EXPECT_EQ(Column(lines, "message"),
            (std::vector<std::string>{"second (debug)", "second (trace)"}));
  ASSERT_OK_AND_ASSIGN(auto none, Http("GET", LogsUrl(*s.server, "?num_lines=0"), "", auth));
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(none.body, "");
  ASSERT_OK_AND_ASSIGN(auto all, Http("GET", LogsUrl(*s.server, "?follow=false"), "", auth));
  EXPECT_EQ(SplitLines(all.body).size(), 10u);
  for (const char* bad : {"?num_lines=1000001", "?num_lines=99999999999999999999999",
                          "?num_lines=-1", "?num_lines=ten", "?num_lines=", "?follow=yes"}) {
    ASSERT_OK_AND_ASSIGN(auto res, Http("GET", LogsUrl(*s.server, bad), "", auth));
    EXPECT_EQ(res.status, 400) << bad << ": " << res.body;
  }
}

TEST(Logs, OnlyTheOwnerMayReadThem) {
  // Proves 401 without a token, 403 for another identity or an unowned database, 404
  // for an unknown database.
  ASSERT_OK_AND_ASSIGN(auto s, StartLogServer());
  ASSERT_OK_AND_ASSIGN(auto anonymous, Http("GET", LogsUrl(*s.server)));
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  ASSERT_OK_AND_ASSIGN(auto other, MintIdentity(*s.server));
  ASSERT_OK_AND_ASSIGN(auto stranger, Http("GET", LogsUrl(*s.server), "", Bearer(other.token)));
  EXPECT_EQ(stranger.status, 403) << stranger.body;
  EXPECT_NE(stranger.body.find("only the owner"), std::string::npos) << stranger.body;
  ASSERT_OK_AND_ASSIGN(auto follow,
                       Http("GET", LogsUrl(*s.server, "?follow=true"), "", Bearer(other.token)));
  EXPECT_EQ(follow.status, 403) << follow.body;
  ASSERT_OK_AND_ASSIGN(auto unknown,
                       Http("GET", LogsUrl(*s.server, "", "nope"), "", Bearer(s.owner.token)));
  EXPECT_EQ(unknown.status, 404) << unknown.body;

  // A database loaded with --module has no owner until a publish claims it.
  ASSERT_OK_AND_ASSIGN(auto chat, ServerProcess::StartChat());
  ASSERT_OK_AND_ASSIGN(auto someone, MintIdentity(*chat));
  ASSERT_OK_AND_ASSIGN(auto unowned, Http("GET", chat->DbUrl("logs"), "", Bearer(someone.token)));
  EXPECT_EQ(unowned.status, 403) << unowned.body;
  EXPECT_NE(unowned.body.find("no owner"), std::string::npos) << unowned.body;
}

TEST(Logs, FollowStreamsLinesWrittenAfterTheRequest) {
  // Proves follow=true sends the backlog, then each new line as it is written, over a
  // chunked response that stays open until the client goes away.
  ASSERT_OK_AND_ASSIGN(auto s, StartLogServer());
  ASSERT_OK(LogLevels(*s.server, "before"));
  Follower follower(LogsUrl(*s.server, "?follow=true&num_lines=1"), s.owner.token);
  ASSERT_TRUE(follower.WaitFor("before (trace)")) << follower.body();
  EXPECT_EQ(follower.status(), 200);
  EXPECT_EQ(follower.headers()["transfer-encoding"], "chunked");
  ASSERT_OK(LogLevels(*s.server, "after"));
  ASSERT_TRUE(follower.WaitFor("after (trace)")) << follower.body();
  ASSERT_OK_AND_ASSIGN(auto lines, ParseLines(follower.body()));
  EXPECT_EQ(Column(lines, "message"),
            (std::vector<std::string>{"before (trace)", "after (error)", "after (warn)",
                                      "after (info)", "after (debug)", "after (trace)"}));
  follower.Stop();
  // The server is unharmed by the client going away and serves new requests.
  ASSERT_OK(LogLevels(*s.server, "later"));
  ASSERT_OK_AND_ASSIGN(auto res,
                       Http("GET", LogsUrl(*s.server, "?num_lines=1"), "", Bearer(s.owner.token)));
  EXPECT_NE(res.body.find("later (trace)"), std::string::npos) << res.body;
}

TEST(Logs, ServerShutdownDoesNotWaitForFollowers) {
  // Proves a server with an open follow stream stops cleanly on SIGTERM, and the
  // follower sees its stream end.
  ASSERT_OK_AND_ASSIGN(auto s, StartLogServer());
  ASSERT_OK(LogLevels(*s.server, "x"));
  Follower follower(LogsUrl(*s.server, "?follow=true"), s.owner.token);
  ASSERT_TRUE(follower.WaitFor("x (trace)")) << follower.body();
  const auto stop = s.server->Stop();
  EXPECT_TRUE(stop.clean) << stop.description;
  ASSERT_TRUE(follower.WaitDone());
  auto result = follower.result();
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status().message();
  EXPECT_EQ((*result)->status, 200);
}

TEST(Logs, LinesSurviveARestart) {
  // Proves the log is read back from module.log when the server starts again.
  ASSERT_OK_AND_ASSIGN(auto s, StartLogServer());
  ASSERT_OK(LogLevels(*s.server, "durable"));
  const Headers auth = Bearer(s.owner.token);
  ASSERT_OK_AND_ASSIGN(auto before, Http("GET", LogsUrl(*s.server), "", auth));
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_TRUE(fs::exists(s.server->data_dir() / "databases" / kDb / "module.log"));
  ASSERT_OK(s.server->Restart());
  ASSERT_OK_AND_ASSIGN(auto after, Http("GET", LogsUrl(*s.server), "", auth));
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.body, before.body);
  ASSERT_OK(LogLevels(*s.server, "again"));
  ASSERT_OK_AND_ASSIGN(auto more, Http("GET", LogsUrl(*s.server), "", auth));
  EXPECT_EQ(SplitLines(more.body).size(), 10u);
}

// ---- spacetime logs ----


class CliLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start({}));
    config_ = (server_->data_dir().parent_path() / "cli.json").string();
    // The CLI's own identity publishes, so it owns the database.
    ASSERT_OK_AND_ASSIGN(auto publish, Run({"publish", kDb, "-b", kEdgeCasesModule}));
    ASSERT_EQ(publish.first, 0) << publish.second;
  }

  // Runs `spacetime args... -s <server>` to completion: (exit code, stdout + stderr).
  Result<std::pair<int, std::string>> Run(std::vector<std::string> args,
                                          const std::string& config = "") {
    STDB_ASSIGN_OR_RETURN(auto child, SpawnCli(std::move(args), config));
    auto status = child->Wait();
    if (!status || !WIFEXITED(*status)) return InternalError("spacetime did not exit");
    return std::make_pair(WEXITSTATUS(*status), child->out() + child->err());
  }

  Result<std::unique_ptr<Child>> SpawnCli(std::vector<std::string> args,
                                          const std::string& config = "") {
    args.insert(args.begin(), kCliBinary);
    args.insert(args.end(), {"-s", server_->HttpUrl("")});
    return Child::Spawn(std::move(args), config.empty() ? config_ : config);
  }

  std::unique_ptr<ServerProcess> server_;
  std::string config_;
};

TEST_F(CliLogsTest, PrintsTheLastNLinesReadably) {
  // Proves `spacetime logs -n 2` prints exactly the newest two entries as
  // "<RFC 3339> <LEVEL> [<reducer>] <message>", and --json prints the raw lines.
  ASSERT_OK(LogLevels(*server_, "cli"));
  ASSERT_OK_AND_ASSIGN(auto run, Run({"logs", kDb, "-n", "2"}));
  ASSERT_EQ(run.first, 0) << run.second;
  const auto lines = SplitLines(run.second);
  ASSERT_EQ(lines.size(), 2u) << run.second;
  const std::regex stamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  EXPECT_TRUE(std::regex_match(lines[0].substr(0, 27), stamp)) << lines[0];
  EXPECT_EQ(lines[0].substr(27), " DEBUG [log_levels] cli (debug)");
  EXPECT_EQ(lines[1].substr(27), " TRACE [log_levels] cli (trace)");

  ASSERT_OK_AND_ASSIGN(auto json, Run({"logs", kDb, "--num-lines", "1", "--json"}));
  ASSERT_EQ(json.first, 0) << json.second;
  Json j = Json::parse(json.second, nullptr, false);
  ASSERT_TRUE(j.is_object()) << json.second;
  EXPECT_EQ(j["message"], "cli (trace)");
  EXPECT_EQ(j["level"], "Trace");
}

TEST_F(CliLogsTest, ErrorsAreOneLine) {
  // Proves an unknown database and a non-owner each get one clear error line, exit 1.
  ASSERT_OK_AND_ASSIGN(auto unknown, Run({"logs", "nope"}));
  EXPECT_EQ(unknown.first, 1);
  EXPECT_EQ(unknown.second, "error: no database named 'nope'\n");
  const std::string other_config = (server_->data_dir().parent_path() / "other.json").string();
  ASSERT_OK_AND_ASSIGN(auto stranger, Run({"logs", kDb}, other_config));
  EXPECT_EQ(stranger.first, 1);
  EXPECT_EQ(stranger.second, "error: only the owner of database 'logdb' may read its logs\n");
}

TEST_F(CliLogsTest, FollowPrintsNewLinesUntilInterrupted) {
  // Proves `spacetime logs -f` prints a line written while it runs, and exits 0 on SIGINT.
  ASSERT_OK(LogLevels(*server_, "old"));
  ASSERT_OK_AND_ASSIGN(auto child, SpawnCli({"logs", kDb, "-f"}));
  ASSERT_TRUE(child->WaitForOutput("old (trace)\n")) << child->out() << child->err();
  ASSERT_OK(LogLevels(*server_, "new"));
  ASSERT_TRUE(child->WaitForOutput("INFO [log_levels] new (info)\n")) << child->out();
  ASSERT_TRUE(child->WaitForOutput("new (trace)\n")) << child->out();
  child->Signal(SIGINT);
  auto status = child->Wait();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status << child->err();
  EXPECT_EQ(SplitLines(child->out()).size(), 10u) << child->out();
}

TEST_F(CliLogsTest, FollowEndsCleanlyWhenTheServerStops) {
  // Proves `spacetime logs -f` exits 0 with a note when the server goes away.
  ASSERT_OK(LogLevels(*server_, "bye"));
  ASSERT_OK_AND_ASSIGN(auto child, SpawnCli({"logs", kDb, "-f"}));
  ASSERT_TRUE(child->WaitForOutput("bye (trace)\n")) << child->out() << child->err();
  EXPECT_TRUE(server_->Stop().clean);
  auto status = child->Wait();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status << child->err();
  EXPECT_NE(child->err().find("the server closed the connection"), std::string::npos)
      << child->err();
}

}  // namespace
}  // namespace stdb::integration
