// Durability end to end with real server processes: data survives a restart without a
// re-publish, `spacetime backup` copies a database while it takes writes, and
// `spacetimedb start --restore` serves the copy.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.h"
#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kDb = "chat";

// The texts of every message in database `db` of `server`, via SQL.
Result<std::set<std::string>> Messages(const ServerProcess& server, const std::string& db) {
  STDB_ASSIGN_OR_RETURN(auto res, Http("POST", server.HttpUrl("/v1/database/" + db + "/sql"),
                                       "SELECT text FROM message", {}));
  if (res.status != 200) return InternalError("sql: " + std::to_string(res.status) + " " + res.body);
  Json j = Json::parse(res.body, nullptr, false);
  std::set<std::string> out;
  if (!j.is_array() || j.empty()) return InternalError("sql: unexpected body " + res.body);
  for (const auto& row : j[0]["rows"]) out.insert(row[0].get<std::string>());
  return out;
}

Status Send(const ServerProcess& server, const std::string& text) {
  STDB_ASSIGN_OR_RETURN(auto res, Http("POST", server.HttpUrl(std::string("/v1/database/") + kDb +
                                                              "/call/send_message"),
                                       Json::array({text}).dump(), {}));
  if (res.status != 200) return InternalError("call: " + std::to_string(res.status) + " " + res.body);
  return Status::Ok();
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Small snapshot interval and segments, so a backup meets a snapshot and several
    // segments.
    ASSERT_OK_AND_ASSIGN(server_, ServerProcess::Start({.module_path = std::nullopt,
                                                        .extra_args = {"--snapshot-every-tx", "50",
                                                                       "--log-segment-bytes",
                                                                       "8192"}}));
    config_ = (server_->data_dir().parent_path() / "cli.json").string();
    dir_ = server_->data_dir().parent_path() / "backup";
    // The CLI's identity publishes, so it owns the database and may back it up.
    ASSERT_OK_AND_ASSIGN(auto publish, Run({"publish", kDb, "-b", kQuickstartModule}));
    ASSERT_EQ(publish.first, 0) << publish.second;
  }

  Result<std::pair<int, std::string>> Run(std::vector<std::string> args,
                                          const std::string& config = "") {
    args.insert(args.begin(), kCliBinary);
    args.insert(args.end(), {"-s", server_->HttpUrl("")});
    STDB_ASSIGN_OR_RETURN(auto child, Child::Spawn(std::move(args), config.empty() ? config_ : config));
    auto status = child->Wait();
    if (!status || !WIFEXITED(*status)) return InternalError("spacetime did not exit");
    return std::make_pair(WEXITSTATUS(*status), child->out() + child->err());
  }

  std::unique_ptr<ServerProcess> server_;
  std::string config_;
  fs::path dir_;
};

TEST_F(BackupTest, DataSurvivesARestartWithoutARepublish) {
  for (int i = 0; i < 120; ++i) ASSERT_OK(Send(*server_, "m" + std::to_string(i)));
  ASSERT_OK_AND_ASSIGN(auto before, Messages(*server_, kDb));
  ASSERT_EQ(before.size(), 120u);
  ASSERT_OK(server_->Restart());
  ASSERT_OK_AND_ASSIGN(auto after, Messages(*server_, kDb));
  EXPECT_EQ(after, before);
  EXPECT_NE(server_->Log().find("recovered"), std::string::npos) << "start-up reports recovery";
}

TEST_F(BackupTest, ABackupTakenDuringWritesRestoresEverythingAcknowledgedBeforeIt) {
  for (int i = 0; i < 150; ++i) ASSERT_OK(Send(*server_, "before " + std::to_string(i)));
  // Writes keep coming while the backup runs.
  std::atomic<bool> stop = false;
  std::atomic<int> during = 0;
  std::thread writer([&] {
    while (!stop && Send(*server_, "during " + std::to_string(during)).ok()) ++during;
  });
  auto backup = Run({"backup", kDb, dir_.string()});
  stop = true;
  writer.join();
  ASSERT_OK(backup.status());
  ASSERT_EQ(backup->first, 0) << backup->second;
  EXPECT_NE(backup->second.find("backed up database 'chat'"), std::string::npos) << backup->second;
  EXPECT_TRUE(fs::exists(dir_ / "meta.json"));
  EXPECT_TRUE(fs::exists(dir_ / "log"));

  ASSERT_OK_AND_ASSIGN(auto restored,
                       ServerProcess::Start({.module_path = std::nullopt,
                                             .extra_args = {"--restore", dir_.string()}}));
  ASSERT_OK_AND_ASSIGN(auto rows, Messages(*restored, kDb));
  for (int i = 0; i < 150; ++i) {
    EXPECT_TRUE(rows.contains("before " + std::to_string(i))) << "lost 'before " << i << "'";
  }
  // The copy is a prefix of the history: writes made during the backup are there up to
  // some point and none after it.
  int present = 0;
  while (rows.contains("during " + std::to_string(present))) ++present;
  EXPECT_EQ(rows.size(), 150u + static_cast<size_t>(present));
  EXPECT_LE(present, during.load());
  // The restored database takes writes.
  ASSERT_OK(Send(*restored, "after restore"));
  ASSERT_OK_AND_ASSIGN(auto again, Messages(*restored, kDb));
  EXPECT_TRUE(again.contains("after restore"));
  EXPECT_EQ(again.size(), rows.size() + 1);
}

TEST_F(BackupTest, MistakesGetOneClearLine) {
  // A folder that is not empty is refused before anything is fetched.
  fs::create_directories(dir_);
  { std::ofstream(dir_ / "keep.txt") << "x"; }
  ASSERT_OK_AND_ASSIGN(auto busy, Run({"backup", kDb, dir_.string()}));
  EXPECT_EQ(busy.first, 1);
  EXPECT_NE(busy.second.find("is not empty"), std::string::npos) << busy.second;
  // Another identity may not back the database up.
  const std::string other = (server_->data_dir().parent_path() / "other.json").string();
  ASSERT_OK_AND_ASSIGN(auto stranger, Run({"backup", kDb, (dir_ / "x").string()}, other));
  EXPECT_EQ(stranger.first, 1);
  EXPECT_NE(stranger.second.find("only the owner"), std::string::npos) << stranger.second;
  // A folder that is not a backup is refused by --restore with exit code 2, and the
  // server does not start.
  const fs::path data = dir_.parent_path() / "restore-data";
  const std::string command = std::string(kServerBinary) + " start --bind-address 127.0.0.1:0 --db-path " +
                              data.string() + " --restore " + dir_.string() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << output;
  EXPECT_NE(output.find("is not a database backup"), std::string::npos) << output;
}

}  // namespace
}  // namespace stdb::integration
