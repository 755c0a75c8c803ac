#include "server/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace stdb::server {
namespace {

namespace fs = std::filesystem;

// A scratch directory removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    // mkdtemp replaces the six trailing 'X's of the template with a unique suffix.
    std::string tmpl = (fs::temp_directory_path() / "stdb-config-").string() + std::string(6, 'X');
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
};

Settings Env(const std::map<std::string, std::string>& vars) {
  return FromEnvironment([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(Config, FlagsOverrideEnvironmentWhichOverridesTheFile) {
  // Proves the documented precedence, setting by setting.
  TempDir dir;
  auto file = FromToml("bind-address = \"127.0.0.1:1111\"\nnode-name = \"from-file\"\n"
                       "db-path = \"" + (dir.path / "file").string() + "\"\n",
                       "Spacetime.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Settings env = Env({{"SPDB_BIND_ADDRESS", "127.0.0.1:2222"},
                      {"SPDB_DB_PATH", (dir.path / "env").string()}});
  Settings flags{{"bind-address", Setting{"127.0.0.1:3333", "--bind-address"}}};
  auto config = Resolve(Merge(Merge(*file, env), flags));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->bind_port, 3333);               // flag beats env and file
  EXPECT_EQ(config->db_path, dir.path / "env");     // env beats file
  EXPECT_EQ(config->node_name, "from-file");        // file beats default
  EXPECT_TRUE(fs::is_directory(dir.path / "env"));  // created on demand
}

TEST(Config, EveryEnvironmentVariableIsRead) {
  // Proves the SPDB_* names map to their settings and record their source.
  Settings env = Env({{"SPDB_MODULE_PATH", "m.so"},
                      {"SPDB_BIND_ADDRESS", "0.0.0.0:1"},
                      {"SPDB_DB_PATH", "d"},
                      {"SPDB_NODE_NAME", "n"}});
  EXPECT_EQ(env.at("module").value, "m.so");
  EXPECT_EQ(env.at("bind-address").source, "SPDB_BIND_ADDRESS");
  EXPECT_EQ(env.at("db-path").value, "d");
  EXPECT_EQ(env.at("node-name").value, "n");
}

TEST(Config, DurabilitySettingsAreReadAndChecked) {
  // Proves the durability settings come from the environment and TOML, and that bad
  // values are refused naming the setting.
  TempDir dir;
  Settings env = Env({{"SPDB_IN_MEMORY", "true"}, {"SPDB_SNAPSHOT_EVERY_TX", "500"}});
  auto toml = FromToml("snapshot-every-bytes = 4096\nlog-segment-bytes = 8192\nin-memory = false\n",
                       "Spacetime.toml");
  ASSERT_TRUE(toml.ok()) << toml.status().ToString();
  Settings all = Merge(*toml, env);
  all["db-path"] = Setting{dir.path.string(), "--db-path"};
  auto config = Resolve(all);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->in_memory);  // the environment wins over the file
  EXPECT_EQ(config->snapshot_every_tx, 500u);
  EXPECT_EQ(config->snapshot_every_bytes, 4096u);
  EXPECT_EQ(config->log_segment_bytes, 8192u);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"in-memory", "yes"}, {"snapshot-every-tx", "0"}, {"snapshot-every-tx", "-5"},
      {"snapshot-every-bytes", "1k"}, {"log-segment-bytes", "100"}};
  for (const auto& [key, value] : bad) {
    auto r = Resolve({{key, Setting{value, "SPDB_X"}}, {"db-path", Setting{dir.path.string(), "--db-path"}}});
    ASSERT_FALSE(r.ok()) << key << "=" << value;
    EXPECT_EQ(r.status().message().rfind("SPDB_X: ", 0), 0u) << r.status().message();
  }
}

TEST(Config, BadAddressIsOneLineNamingTheSetting) {
  // Proves an unparseable address stops start-up with a message naming its source.
  for (const std::string bad : {"foo", "127.0.0.1", "127.0.0.1:99999", "1.2.3:80", "[::1]80"}) {
    auto config = Resolve({{"bind-address", Setting{bad, "SPDB_BIND_ADDRESS"}}});
    ASSERT_FALSE(config.ok()) << bad;
    const std::string& m = config.status().message();
    EXPECT_EQ(m.rfind("SPDB_BIND_ADDRESS: ", 0), 0u) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos);
  }
  auto v6 = ParseHostPort("[::1]:3000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 3000);
}

TEST(Config, MissingModuleAndUnwritableDirectoryAreRefused) {
  // Proves the two file-system settings are checked before the server starts.
  TempDir dir;
  auto missing = Resolve({{"db-path", Setting{dir.path.string(), "--db-path"}},
                          {"module", Setting{(dir.path / "nope.so").string(), "--module"}}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message().rfind("--module: ", 0), 0u);

  if (geteuid() != 0) {  // root can write anywhere; the check would be vacuous
    fs::create_directory(dir.path / "ro");
    fs::permissions(dir.path / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    auto ro = Resolve({{"db-path", Setting{(dir.path / "ro").string(), "--db-path"}}});
    ASSERT_FALSE(ro.ok());
    EXPECT_NE(ro.status().message().find("not writable"), std::string::npos);
  }
  // A path whose parent is a file cannot be created, whoever runs the test.
  std::ofstream(dir.path / "file") << "x";
  auto blocked = Resolve({{"db-path", Setting{(dir.path / "file" / "sub").string(), "--data-dir"}}});
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().message().rfind("--data-dir: ", 0), 0u);
}

TEST(Config, TomlRejectsUnknownKeysAndBadSyntaxNamingTheFile) {
  // Proves a typo in Spacetime.toml is reported rather than silently ignored.
  auto unknown = FromToml("bind_adress = \"127.0.0.1:1\"\n", "Spacetime.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown setting 'bind_adress'"), std::string::npos);
  auto syntax = FromToml("bind-address = \n", "Spacetime.toml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().message().rfind("Spacetime.toml:1: ", 0), 0u);
  auto wrong_type = FromToml("module = [1, 2]\n", "Spacetime.toml");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("'module'"), std::string::npos);
  auto number = FromToml("io-threads = 4\n", "Spacetime.toml");
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number->at("io-threads").value, "4");
}

TEST(Config, DatabaseNameDefaultsToTheModuleFileStem) {
  // Proves `--module x/quickstart_chat.so` alone serves database `quickstart_chat`.
  TempDir dir;
  std::ofstream(dir.path / "quickstart_chat.so") << "x";
  auto config = Resolve({{"db-path", Setting{(dir.path / "data").string(), "--db-path"}},
                         {"module", Setting{(dir.path / "quickstart_chat.so").string(), "--module"}}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->database, "quickstart_chat");
}

}  // namespace
}  // namespace stdb::server
