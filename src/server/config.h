// Server configuration: command-line flags, SPDB_* environment variables and a
// Spacetime.toml file, in that order of precedence (docs/configuration.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace stdb::server {

struct Config {
  std::optional<std::filesystem::path> module_path;
  std::string bind_host = "127.0.0.1";
  uint16_t bind_port = 3000;
  std::filesystem::path db_path = "stdb-data";
  std::string database;  // default: the module file's stem
  std::string node_name;
  int io_threads = 2;
  std::string log_level = "info";
  // auto: text when stderr is a terminal, JSON lines otherwise (base/log.h).
  std::string log_format = "auto";
  // Durability (docs/configuration.md): in_memory keeps no commit log or snapshots.
  bool in_memory = false;
  uint64_t snapshot_every_tx = 1'000'000;
  uint64_t snapshot_every_bytes = 256ull << 20;
  uint64_t log_segment_bytes = 64ull << 20;
  // WebSocket clients (net/ws_limits.h): outbox bounds, largest client message, idle
  // timeout in seconds (0: never).
  uint64_t ws_outbox_messages = 16384;
  uint64_t ws_outbox_bytes = 64ull << 20;
  uint64_t ws_max_message_bytes = 16ull << 20;
  uint64_t ws_idle_timeout_secs = 60;
};

// One setting's raw text and where it came from ("--bind-address", "SPDB_BIND_ADDRESS",
// "Spacetime.toml: bind-address"), so errors can name it.
struct Setting {
  std::string value;
  std::string source;
};

// Raw settings by key: module, bind-address, db-path, database, node-name, io-threads,
// log-level, log-format, in-memory, snapshot-every-tx, snapshot-every-bytes, log-segment-bytes,
// ws-outbox-messages, ws-outbox-bytes, ws-max-message-bytes, ws-idle-timeout.
using Settings = std::map<std::string, Setting>;

// The keys above, as accepted in Spacetime.toml.
const std::vector<std::string>& SettingKeys();

// Reads settings from the environment through `getenv` (injectable for tests).
Settings FromEnvironment(const std::function<const char*(const char*)>& getenv);

// Parses a Spacetime.toml document. Unknown keys and non-string/integer values are errors
// naming the key.
Result<Settings> FromToml(std::string_view text, const std::string& file_name);

// Overlays `high` on `low` (high wins).
Settings Merge(Settings low, const Settings& high);

// Validates and converts settings. Errors are one line naming the setting and its source.
// Creates the db path if needed and checks it is writable; checks the module exists.
Result<Config> Resolve(const Settings& settings);

// Parses "<ip>:<port>" or "[<ipv6>]:<port>".
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view text);

}  // namespace stdb::server
