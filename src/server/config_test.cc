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

TEST(Config, WebSocketLimitsComeFromFlagsEnvironmentAndTheFile) {
  // Proves the four WebSocket settings keep their documented defaults when unset, and are
  // read from flags, SPDB_WS_* variables and Spacetime.toml, down to their lowest values.
  TempDir dir;
  const Setting db_path{dir.path.string(), "--db-path"};
  auto defaults = Resolve({{"db-path", db_path}});
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->ws_outbox_messages, 16384u);
  EXPECT_EQ(defaults->ws_outbox_bytes, 64u << 20);
  EXPECT_EQ(defaults->ws_max_message_bytes, 16u << 20);
  EXPECT_EQ(defaults->ws_idle_timeout_secs, 60u);

  Settings flags{{"db-path", db_path},
                 {"ws-outbox-messages", Setting{"1", "--ws-outbox-messages"}},
                 {"ws-outbox-bytes", Setting{"4096", "--ws-outbox-bytes"}},
                 {"ws-max-message-bytes", Setting{"1024", "--ws-max-message-bytes"}},
                 {"ws-idle-timeout", Setting{"0", "--ws-idle-timeout"}}};
  auto from_flags = Resolve(flags);
  ASSERT_TRUE(from_flags.ok()) << from_flags.status().ToString();
  EXPECT_EQ(from_flags->ws_outbox_messages, 1u);
  EXPECT_EQ(from_flags->ws_outbox_bytes, 4096u);
  EXPECT_EQ(from_flags->ws_max_message_bytes, 1024u);
  EXPECT_EQ(from_flags->ws_idle_timeout_secs, 0u);  // never

  Settings env = Env({{"SPDB_WS_OUTBOX_MESSAGES", "200"},
                      {"SPDB_WS_OUTBOX_BYTES", "1048576"},
                      {"SPDB_WS_MAX_MESSAGE_BYTES", "65536"},
                      {"SPDB_WS_IDLE_TIMEOUT", "5"}});
  EXPECT_EQ(env.at("ws-outbox-messages").source, "SPDB_WS_OUTBOX_MESSAGES");
  EXPECT_EQ(env.at("ws-outbox-bytes").source, "SPDB_WS_OUTBOX_BYTES");
  EXPECT_EQ(env.at("ws-max-message-bytes").source, "SPDB_WS_MAX_MESSAGE_BYTES");
  EXPECT_EQ(env.at("ws-idle-timeout").source, "SPDB_WS_IDLE_TIMEOUT");
  auto file = FromToml("ws-outbox-messages = 300\nws-outbox-bytes = 8192\n"
                       "ws-max-message-bytes = \"2048\"\nws-idle-timeout = 86400\n",
                       "Spacetime.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->at("ws-idle-timeout").source, "Spacetime.toml: ws-idle-timeout");
  auto from_file = Resolve(Merge(*file, {{"db-path", db_path}}));
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->ws_outbox_messages, 300u);
  EXPECT_EQ(from_file->ws_outbox_bytes, 8192u);
  EXPECT_EQ(from_file->ws_max_message_bytes, 2048u);
  EXPECT_EQ(from_file->ws_idle_timeout_secs, 86400u);
  // The usual precedence: a flag beats the environment, which beats the file.
  Settings all = Merge(Merge(*file, env), {{"db-path", db_path},
                                           {"ws-idle-timeout", Setting{"9", "--ws-idle-timeout"}}});
  auto merged = Resolve(all);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->ws_outbox_messages, 200u);
  EXPECT_EQ(merged->ws_outbox_bytes, 1048576u);
  EXPECT_EQ(merged->ws_max_message_bytes, 65536u);
  EXPECT_EQ(merged->ws_idle_timeout_secs, 9u);
}

TEST(Config, BadWebSocketLimitsAreOneLineErrorsNamingTheSetting) {
  // Proves out-of-range and non-numeric WebSocket settings stop start-up with one line
  // that names the setting's source and quotes the value, wherever the value came from.
  TempDir dir;
  const Setting db_path{dir.path.string(), "--db-path"};
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"ws-outbox-messages", "0"},         {"ws-outbox-messages", "16777217"},
      {"ws-outbox-messages", "many"},      {"ws-outbox-messages", "-1"},
      {"ws-outbox-bytes", "4095"},         {"ws-outbox-bytes", "1MiB"},
      {"ws-outbox-bytes", "17179869185"},  {"ws-outbox-bytes", "99999999999999999999999"},
      {"ws-max-message-bytes", "1023"},    {"ws-max-message-bytes", "1073741825"},
      {"ws-max-message-bytes", "2e6"},     {"ws-max-message-bytes", ""},
      {"ws-idle-timeout", "86401"},        {"ws-idle-timeout", "-5"},
      {"ws-idle-timeout", "1.5"},          {"ws-idle-timeout", "60s"},
      {"ws-idle-timeout", " 60"}};
  for (const auto& [key, value] : bad) {
    const std::vector<std::string> sources = {"--" + key, "SPDB_X", "Spacetime.toml: " + key};
    for (const std::string& source : sources) {
      SCOPED_TRACE(source + " = '" + value + "'");
      auto r = Resolve({{key, Setting{value, source}}, {"db-path", db_path}});
      ASSERT_FALSE(r.ok());
      const std::string& m = r.status().message();
      EXPECT_EQ(m.rfind(source + ": ", 0), 0u) << m;
      EXPECT_NE(m.find("'" + value + "'"), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
  }
  // Through the real readers: a variable and a file value that parse as settings but
  // not as numbers in range.
  auto env = Resolve(Merge(Env({{"SPDB_WS_IDLE_TIMEOUT", "soon"}}), {{"db-path", db_path}}));
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().message().rfind("SPDB_WS_IDLE_TIMEOUT: ", 0), 0u)
      << env.status().message();
  auto file = FromToml("ws-outbox-bytes = -4096\n", "Spacetime.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto negative = Resolve(Merge(*file, {{"db-path", db_path}}));
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().message().rfind("Spacetime.toml: ws-outbox-bytes: ", 0), 0u)
      << negative.status().message();
  // A TOML value of the wrong type is refused when the file is read, naming the key.
  auto fractional = FromToml("ws-max-message-bytes = 1.5\n", "Spacetime.toml");
  ASSERT_FALSE(fractional.ok());
  EXPECT_NE(fractional.status().message().find("'ws-max-message-bytes'"), std::string::npos)
      << fractional.status().message();
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

namespace stdb::server {
namespace {

TEST(Config, LogFormatIsAutoTextOrJsonFromAnySource) {
  TempDir dir;
  const Setting db_path{dir.path.string(), "--db-path"};
  auto unset = Resolve({{"db-path", db_path}});
  ASSERT_TRUE(unset.ok()) << unset.status().ToString();
  EXPECT_EQ(unset->log_format, "auto");
  auto env = Env({{"SPDB_LOG_FORMAT", "json"}});
  EXPECT_EQ(env.at("log-format").source, "SPDB_LOG_FORMAT");
  auto json = Resolve(Merge(env, {{"db-path", db_path}}));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(json->log_format, "json");
  auto file = FromToml("log-format = \"text\"\n", "Spacetime.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto text = Resolve(Merge(*file, {{"db-path", db_path}}));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->log_format, "text");
  auto bad = Resolve({{"log-format", Setting{"yaml", "--log-format"}}, {"db-path", db_path}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "--log-format: 'yaml' is not a log format (auto, text, json)");
}

}  // namespace
}  // namespace stdb::server
