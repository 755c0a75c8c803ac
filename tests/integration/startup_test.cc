// Start-up configuration errors, seen from outside: the real server binary, its exit
// code and what it prints.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "server_process.h"

namespace stdb::integration {
namespace {

struct ServerRun {
  int exit_code = -1;
  std::string output;  // stderr and stdout
};

// Runs the server with `args` (a shell fragment) and environment prefix `env`.
ServerRun RunServer(const std::string& env, const std::string& args) {
  const std::string command = env + " " + kServerBinary + " start " + args + " 2>&1";
  ServerRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe) != nullptr) run.output += buf.data();
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST(Startup, EachBadSettingStopsStartUpWithOneLineNamingIt) {
  // Proves bad addresses, directories and module paths from flags, environment and
  // Spacetime.toml are refused before the server starts, one line each, exit code 2.
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("stdb-startup-" + std::to_string(::getpid())))
                              .string();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/Spacetime.toml") << "bind-address = \"nowhere\"\n";
  struct Case {
    std::string env, args, expected_prefix;
  };
  const Case cases[] = {
      {"", "--bind-address foo --db-path " + dir + "/d", "spacetimedb: --bind-address: "},
      {"", "--listen-addr 127.0.0.1:70000 --db-path " + dir + "/d", "spacetimedb: --bind-address: "},
      {"SPDB_BIND_ADDRESS=x:1", "--db-path " + dir + "/d", "spacetimedb: SPDB_BIND_ADDRESS: "},
      {"", "--db-path " + dir + "/d --module " + dir + "/missing.so", "spacetimedb: --module: "},
      {"SPDB_MODULE_PATH=" + dir + "/missing.so", "--db-path " + dir + "/d",
       "spacetimedb: SPDB_MODULE_PATH: "},
      {"", "--data-dir /proc/stdb-cannot-create", "spacetimedb: --db-path: "},
      {"", "--config " + dir + "/Spacetime.toml --db-path " + dir + "/d",
       "spacetimedb: " + dir + "/Spacetime.toml: bind-address: "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.env + " " + c.args);
    const ServerRun run = RunServer(c.env, c.args);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.output.rfind(c.expected_prefix, 0), 0u) << run.output;
    EXPECT_EQ(std::count(run.output.begin(), run.output.end(), '\n'), 1) << run.output;
  }
  std::filesystem::remove_all(dir);
}

// Every regular file under `dir` with its size.
std::map<std::string, uintmax_t> FileSizes(const std::filesystem::path& dir) {
  std::map<std::string, uintmax_t> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[e.path().string()] = e.file_size();
  }
  return out;
}

TEST(Startup, ASecondServerOnTheSameDataDirectoryStopsBeforeTouchingIt) {
  // Proves two servers never share a data directory: the second stops with one line
  // naming the first's pid and writes nothing (no schema record appended to the live
  // commit log), while a crashed server's lock never blocks a restart.
  auto first = ServerProcess::Start({.module_path = kQuickstartModule});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const auto data = (*first)->data_dir();
  const auto before = FileSizes(data / "databases");
  // The first server's port: without the lock the second would fail only at bind, after
  // writing to the data directory (and never hang serving beside the first).
  const ServerRun second =
      RunServer("", "--db-path " + data.string() + " --bind-address 127.0.0.1:" +
                        std::to_string((*first)->port()) + " --module " +
                        kQuickstartModule + " --database chat");
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_NE(second.output.find("data directory " + data.string() +
                               " is in use by another server (pid "),
            std::string::npos)
      << second.output;
  EXPECT_EQ(std::count(second.output.begin(), second.output.end(), '\n'), 1) << second.output;
  EXPECT_EQ(FileSizes(data / "databases"), before);
  ASSERT_TRUE((*first)->Kill().ok());
  const auto restarted = (*first)->StartAgain();
  EXPECT_TRUE(restarted.ok()) << restarted.ToString();
}

}  // namespace
}  // namespace stdb::integration
