// The `spacetime` CLI against a real server: every command's exit code and output, run
// as a user runs them (a child process with its own config file, stdin not a terminal).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "auth/identity.h"
#include "child_process.h"
#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start({.module_path = std::nullopt}));
    dir_ = server_->data_dir().parent_path();
    config_ = (dir_ / "cli.json").string();
  }

  // Runs `spacetime args...` with the test's config (or `config`) and no -s.
  Ran RunRaw(std::vector<std::string> args, const std::string& config = "") {
    args.insert(args.begin(), kCliBinary);
    auto child = Child::Spawn(std::move(args), config.empty() ? config_ : config);
    if (!child.ok()) return {-1, "", child.status().ToString()};
    auto status = (*child)->Wait();
    if (!status || !WIFEXITED(*status)) return {-1, (*child)->out(), "did not exit"};
    return {WEXITSTATUS(*status), (*child)->out(), (*child)->err()};
  }
  // The same, against the test's server.
  Ran Run(std::vector<std::string> args, const std::string& config = "") {
    args.insert(args.end(), {"-s", server_->HttpUrl("")});
    return RunRaw(std::move(args), config);
  }

  // Publishes quickstart_chat as `db` with the test's identity, which then owns it.
  void PublishChat(const std::string& db) {
    Ran r = Run({"publish", db, "-b", kQuickstartModule});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
  }

  std::unique_ptr<ServerProcess> server_;
  fs::path dir_;
  std::string config_;
};

// One line, "error: ...", on stderr, exit code 1.
void ExpectOneLineError(const Ran& r, const std::string& contains) {
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(r.err.starts_with("error: ")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(contains), std::string::npos) << r.err;
}

TEST_F(CliTest, EveryCommandHasHelp) {
  for (std::vector<std::string> cmd : {std::vector<std::string>{},
                                       {"init"},
                                       {"build"},
                                       {"publish"},
                                       {"delete"},
                                       {"list"},
                                       {"describe"},
                                       {"call"},
                                       {"sql"},
                                       {"subscribe"},
                                       {"logs"},
                                       {"generate"},
                                       {"backup"},
                                       {"server"},
                                       {"server", "add"},
                                       {"server", "list"},
                                       {"server", "set-default"},
                                       {"server", "ping"},
                                       {"server", "remove"},
                                       {"login"},
                                       {"logout"},
                                       {"identity"},
                                       {"client"},
                                       {"client", "connect"},
                                       {"version"}}) {
    std::string name;
    for (const auto& c : cmd) name += c + " ";
    cmd.push_back("--help");
    Ran r = RunRaw(cmd);
    EXPECT_EQ(r.code, 0) << name << r.err;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << name << r.out;
  }
  Ran version = RunRaw({"version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.out.find("spacetime (stdb) 0.1.0 (commit "), std::string::npos) << version.out;
  Ran unknown = RunRaw({"frobnicate"});
  EXPECT_NE(unknown.code, 0);
}

TEST_F(CliTest, ServerNicknamesTheDefaultAndPing) {
  Ran bad_name = RunRaw({"server", "add", "my.server", "http://127.0.0.1:1"});
  ExpectOneLineError(bad_name, "nickname");
  Ran bad_url = RunRaw({"server", "add", "x", "ftp://127.0.0.1:1"});
  ExpectOneLineError(bad_url, "scheme");

  ASSERT_EQ(RunRaw({"server", "add", "here", server_->HttpUrl("")}).code, 0);
  ASSERT_EQ(RunRaw({"server", "add", "dead", "127.0.0.1:9"}).code, 0);
  Ran listed = RunRaw({"server", "list"});
  EXPECT_EQ(listed.code, 0);
  EXPECT_NE(listed.out.find("here"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("http://127.0.0.1:9"), std::string::npos) << listed.out;

  Ran ping_here = RunRaw({"server", "ping", "here"});
  EXPECT_EQ(ping_here.code, 0) << ping_here.err;
  EXPECT_NE(ping_here.out.find("Server is online: " + server_->HttpUrl("")), std::string::npos);
  ExpectOneLineError(RunRaw({"server", "ping", "dead"}), "127.0.0.1:9");

  // The default server is used by commands without -s, including by nickname in -s.
  ExpectOneLineError(RunRaw({"server", "set-default", "nowhere"}), "no server nicknamed");
  ASSERT_EQ(RunRaw({"server", "set-default", "here"}).code, 0);
  EXPECT_EQ(RunRaw({"server", "ping"}).code, 0);
  EXPECT_EQ(RunRaw({"list"}).code, 0);
  EXPECT_EQ(RunRaw({"list", "-s", "here"}).code, 0);
  ExpectOneLineError(RunRaw({"list", "-s", "dead"}), "127.0.0.1:9");
  Ran star = RunRaw({"server", "list"});
  EXPECT_NE(star.out.find("*"), std::string::npos) << star.out;

  ASSERT_EQ(RunRaw({"server", "remove", "here"}).code, 0);
  ExpectOneLineError(RunRaw({"server", "remove", "here"}), "no server nicknamed 'here'");
  // The default went with it: back to http://127.0.0.1:3000.
  Ran after = RunRaw({"server", "list"});
  EXPECT_NE(after.out.find("http://127.0.0.1:3000"), std::string::npos) << after.out;
}

TEST_F(CliTest, LoginLogoutAndIdentity) {
  ExpectOneLineError(Run({"identity"}), "not logged in");
  Ran login = Run({"login"});
  ASSERT_EQ(login.code, 0) << login.err;
  Ran who = Run({"identity", "--token"});
  ASSERT_EQ(who.code, 0) << who.err;
  std::istringstream lines(who.out);
  std::string identity, token;
  std::getline(lines, identity);
  std::getline(lines, token);
  EXPECT_EQ(identity.size(), 64u) << who.out;
  EXPECT_NE(login.out.find(identity), std::string::npos) << login.out;
  // The identity is the one the server sees for this token.
  PublishChat("chat");
  ASSERT_OK_AND_ASSIGN(auto hello, ConnectAndGreet(*server_, {.token = token}));
  EXPECT_EQ(auth::IdentityToHex(hello.hello.identity), identity);

  Ran again = Run({"login"});
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out.find("Already logged in"), std::string::npos) << again.out;
  ExpectOneLineError(Run({"login", "--token", "not.a.token"}), "refused the token");

  ASSERT_EQ(Run({"logout"}).code, 0);
  ExpectOneLineError(Run({"identity"}), "not logged in");
  // A saved token brings the same identity back.
  ASSERT_EQ(Run({"login", "--token", token}).code, 0);
  Ran back = Run({"identity"});
  EXPECT_EQ(back.out, identity + "\n");
}

TEST_F(CliTest, ListDescribeAndDelete) {
  PublishChat("chat");
  PublishChat("other");
  Ran list = Run({"list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find(" chat "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("you"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("(2 databases)"), std::string::npos) << list.out;
  Ran list_json = Run({"list", "--json"});
  Json dbs = Json::parse(list_json.out, nullptr, false);
  ASSERT_TRUE(dbs.is_array()) << list_json.out;
  EXPECT_EQ(dbs.size(), 2u);

  Ran describe = Run({"describe", "chat"});
  ASSERT_EQ(describe.code, 0) << describe.err;
  for (const char* part :
       {"database  chat",
        "user (identity: Identity, name: Option<String>, online: Bool)  primary key (identity)",
        "message (sender: Identity, sent: Timestamp, text: String)", "send_message(text: String)",
        "init()  [init]"}) {
    EXPECT_NE(describe.out.find(part), std::string::npos) << part << "\n" << describe.out;
  }
  Json described = Json::parse(Run({"describe", "chat", "--json"}).out, nullptr, false);
  ASSERT_TRUE(described.is_object());
  EXPECT_EQ(described["schema"]["tables"].size(), 2u);
  ExpectOneLineError(Run({"describe", "nope"}), "no database named 'nope'");

  // A client connected to the database is closed with the reason.
  ASSERT_OK_AND_ASSIGN(auto watcher, ConnectAndGreet(*server_, {.database = "chat"}));

  ExpectOneLineError(Run({"delete", "chat"}), "pass --yes");
  const std::string stranger = (dir_ / "stranger.json").string();
  ExpectOneLineError(Run({"delete", "chat", "--yes"}, stranger), "not logged in");
  ASSERT_EQ(Run({"login"}, stranger).code, 0);
  ExpectOneLineError(Run({"delete", "chat", "--yes"}, stranger), "only the owner");

  Ran deleted = Run({"delete", "chat", "--yes"});
  ASSERT_EQ(deleted.code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "Deleted database 'chat'\n");
  ASSERT_OK_AND_ASSIGN(auto closed, ReceiveClose(*watcher.client));
  EXPECT_NE(closed.second.find("deleted"), std::string::npos) << closed.second;
  ExpectOneLineError(Run({"describe", "chat"}), "no database named 'chat'");
  ExpectOneLineError(Run({"delete", "chat", "--yes"}), "no database named 'chat'");
  EXPECT_FALSE(fs::exists(server_->data_dir() / "databases" / "chat"));
  Ran left = Run({"list"});
  EXPECT_EQ(left.out.find(" chat "), std::string::npos) << left.out;
  EXPECT_NE(left.out.find("(1 database)"), std::string::npos) << left.out;

  // Gone for good: a restart does not bring it back, and the name can be used again.
  ASSERT_OK(server_->Restart());
  ExpectOneLineError(Run({"describe", "chat"}), "no database named 'chat'");
  PublishChat("chat");
  Ran sql = Run({"sql", "chat", "SELECT * FROM message"});
  EXPECT_NE(sql.out.find("(0 rows)"), std::string::npos) << sql.out;
}

TEST_F(CliTest, SubscribePrintsEachUpdateAsItArrives) {
  PublishChat("chat");
  ASSERT_EQ(Run({"call", "chat", "send_message", "\"first\""}).code, 0);
  std::vector<std::string> args = {kCliBinary,
                                   "subscribe",
                                   "chat",
                                   "SELECT * FROM message",
                                   "-n",
                                   "2",
                                   "-t",
                                   "30",
                                   "--print-initial-update",
                                   "-s",
                                   server_->HttpUrl("")};
  ASSERT_OK_AND_ASSIGN(auto sub, Child::Spawn(args, config_));
  ASSERT_TRUE(sub->WaitForOutput("first")) << sub->out() << sub->err();
  ASSERT_EQ(Run({"call", "chat", "send_message", "\"second\""}).code, 0);
  ASSERT_EQ(Run({"call", "chat", "set_name", "\"ann\""}).code, 0);  // not subscribed
  ASSERT_EQ(Run({"call", "chat", "send_message", "\"third\""}).code, 0);
  auto status = sub->Wait();
  ASSERT_TRUE(status && WIFEXITED(*status)) << sub->err();
  EXPECT_EQ(WEXITSTATUS(*status), 0) << sub->err();
  std::vector<Json> lines;
  std::istringstream in(sub->out());
  for (std::string line; std::getline(in, line);)
    lines.push_back(Json::parse(line, nullptr, false));
  ASSERT_EQ(lines.size(), 3u) << sub->out();
  EXPECT_EQ(lines[0]["message"]["inserts"][0]["text"], "first");
  EXPECT_EQ(lines[1]["message"]["inserts"][0]["text"], "second");
  EXPECT_EQ(lines[1]["message"]["inserts"].size(), 1u);
  EXPECT_TRUE(lines[1]["message"]["deletes"].empty());
  EXPECT_EQ(lines[2]["message"]["inserts"][0]["text"], "third");
  EXPECT_EQ(lines[2]["message"]["inserts"][0]["sender"].get<std::string>().size(), 66u);

  ExpectOneLineError(Run({"subscribe", "chat", "SELECT * FROM nope", "-t", "10"}),
                     "subscription failed");
  ExpectOneLineError(Run({"subscribe", "chat", "SELECT * FROM message", "-n", "1", "-t", "3"}),
                     "timed out after 0 of 1 updates");
  ExpectOneLineError(Run({"subscribe", "nope", "SELECT * FROM message"}),
                     "no database named 'nope'");
  Ran zero =
      Run({"subscribe", "chat", "SELECT * FROM message", "-n", "0", "--print-initial-update"});
  EXPECT_EQ(zero.code, 0) << zero.err;
  EXPECT_NE(zero.out.find("third"), std::string::npos) << zero.out;
}

// Every file under `dir`, relative path -> contents.
std::map<std::string, std::string> ReadTree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    out[fs::relative(e.path(), dir).string()] =
        std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

TEST_F(CliTest, GenerateFromADatabaseOrAModuleFile) {
  // Proves `generate` reads the same schema from a running database as from the module
  // file (identical bindings), and refuses bad input with one line.
  PublishChat("chat");
  const fs::path from_db = dir_ / "from_db", from_file = dir_ / "from_file";
  Ran db = Run({"generate", "--lang", "typescript", "--out-dir", from_db.string(), "chat"});
  ASSERT_EQ(db.code, 0) << db.err;
  Ran file = RunRaw(
      {"generate", "--lang", "typescript", "--out-dir", from_file.string(), kQuickstartModule});
  ASSERT_EQ(file.code, 0) << file.err;
  const auto files = ReadTree(from_db);
  ASSERT_TRUE(files.contains("index.ts"));
  EXPECT_TRUE(files.contains("user_table.ts"));
  EXPECT_TRUE(files.contains("send_message_reducer.ts"));
  EXPECT_NE(files.at("user_table.ts").find("identity: __t.identity().primaryKey()"),
            std::string::npos)
      << files.at("user_table.ts");
  EXPECT_EQ(files, ReadTree(from_file));
  EXPECT_NE(db.out.find("Wrote " + std::to_string(files.size()) + " files"), std::string::npos)
      << db.out;

  ExpectOneLineError(Run({"generate", "--lang", "typescript", "-o", (dir_ / "x").string(), "nope"}),
                     "no database named 'nope'");
  ExpectOneLineError(RunRaw({"generate", "--lang", "typescript", "-o", (dir_ / "x").string(),
                             (dir_ / "missing.so").string()}),
                     "no module file");
  ExpectOneLineError(
      RunRaw({"generate", "--lang", "typescript", "-o", (dir_ / "x").string(), config_}),
      "cannot load");
  EXPECT_NE(RunRaw({"generate", "--lang", "rust", "-o", (dir_ / "x").string(), "chat"}).code, 0);
}

TEST_F(CliTest, TheInteractiveClientRunsAScriptFromAPipe) {
  // Proves `client connect` without a terminal runs one command per line, each after the
  // previous one's result (a subscription applied before `get`, a call's result before
  // the next line), and that any failure makes the exit code 1 with the error on stderr.
  PublishChat("chat");
  ASSERT_EQ(Run({"call", "chat", "send_message", "\"earlier\""}).code, 0);
  auto script = [&](const std::string& lines) {
    const std::string cmd = "printf '" + lines + "' | " + kCliBinary +
                            " client connect ws://127.0.0.1:" + std::to_string(server_->port()) +
                            " chat";
    auto child = Child::Spawn({"/bin/bash", "-c", cmd}, config_);
    if (!child.ok()) return Ran{-1, "", child.status().ToString()};
    auto status = (*child)->Wait();
    if (!status || !WIFEXITED(*status)) return Ran{-1, (*child)->out(), "did not exit"};
    return Ran{WEXITSTATUS(*status), (*child)->out(), (*child)->err()};
  };
  Ran ok = script(
      "sub SELECT * FROM message\\nget message\\ncall send_message \"piped\"\\nget message\\n");
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("subscription #1 applied: 1 row"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("(1 row)"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("call send_message: ok"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("(2 rows)"), std::string::npos) << ok.out;
  EXPECT_TRUE(ok.err.empty()) << ok.err;

  Ran bad = script("call send_message \"\"\\nget nope\\n");
  EXPECT_EQ(bad.code, 1) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("call send_message failed: Messages must not be empty"), std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("error: no table named 'nope'"), std::string::npos) << bad.err;
}

TEST_F(CliTest, InitBuildsAndPublishesANewModule) {
  const fs::path project = dir_ / "hello";
  Ran init = RunRaw({"init", "--lang", "cpp", project.string()});
  ASSERT_EQ(init.code, 0) << init.err;
  EXPECT_TRUE(fs::exists(project / "CMakeLists.txt"));
  EXPECT_TRUE(fs::exists(project / "src" / "lib.cc"));
  ExpectOneLineError(RunRaw({"init", "--lang", "cpp", project.string()}), "not empty");

  Ran publish = Run({"publish", "hello", "-p", project.string()});
  ASSERT_EQ(publish.code, 0) << publish.out << publish.err;
  EXPECT_NE(publish.out.find("Created new database 'hello'"), std::string::npos) << publish.out;
  ASSERT_EQ(Run({"call", "hello", "add", "\"Ann\""}).code, 0);
  ExpectOneLineError(Run({"call", "hello", "add", "\"\""}), "name must not be empty");
  Ran sql = Run({"sql", "hello", "SELECT * FROM person"});
  EXPECT_NE(sql.out.find("\"Ann\""), std::string::npos) << sql.out;
  ASSERT_EQ(Run({"call", "hello", "say_hello"}).code, 0);
  Ran logs = Run({"logs", "hello"});
  EXPECT_NE(logs.out.find("Hello, Ann!"), std::string::npos) << logs.out;
}

}  // namespace
}  // namespace stdb::integration
