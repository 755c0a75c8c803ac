#include "server/config.h"

#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <fstream>
#include <toml++/toml.h>

namespace stdb::server {
namespace fs = std::filesystem;

const std::vector<std::string>& SettingKeys() {
  static const std::vector<std::string> kKeys = {
      "module",    "bind-address", "db-path",           "database",
      "node-name", "io-threads",   "log-level",         "log-format", "in-memory",
      "snapshot-every-tx", "snapshot-every-bytes", "log-segment-bytes",
      "ws-outbox-messages", "ws-outbox-bytes", "ws-max-message-bytes", "ws-idle-timeout"};
  return kKeys;
}

Settings FromEnvironment(const std::function<const char*(const char*)>& getenv) {
  static const std::vector<std::pair<const char*, const char*>> kVars = {
      {"SPDB_MODULE_PATH", "module"},     {"SPDB_BIND_ADDRESS", "bind-address"},
      {"SPDB_DB_PATH", "db-path"},        {"SPDB_DATABASE", "database"},
      {"SPDB_NODE_NAME", "node-name"},    {"SPDB_IO_THREADS", "io-threads"},
      {"SPDB_LOG_LEVEL", "log-level"},     {"SPDB_LOG_FORMAT", "log-format"},
      {"SPDB_IN_MEMORY", "in-memory"},
      {"SPDB_SNAPSHOT_EVERY_TX", "snapshot-every-tx"},
      {"SPDB_SNAPSHOT_EVERY_BYTES", "snapshot-every-bytes"},
      {"SPDB_LOG_SEGMENT_BYTES", "log-segment-bytes"},
      {"SPDB_WS_OUTBOX_MESSAGES", "ws-outbox-messages"},
      {"SPDB_WS_OUTBOX_BYTES", "ws-outbox-bytes"},
      {"SPDB_WS_MAX_MESSAGE_BYTES", "ws-max-message-bytes"},
      {"SPDB_WS_IDLE_TIMEOUT", "ws-idle-timeout"}};
  Settings out;
  for (const auto& [var, key] : kVars) {
    if (const char* v = getenv(var); v != nullptr && *v != '\0') out[key] = Setting{v, var};
  }
  return out;
}

Result<Settings> FromToml(std::string_view text, const std::string& file_name) {
  toml::table parsed;
  try {
    parsed = toml::parse(text, file_name);
  } catch (const toml::parse_error& err) {
    return InvalidArgument(file_name + ":" + std::to_string(err.source().begin.line) + ": " +
                           std::string(err.description()));
  }
  Settings out;
  const auto& keys = SettingKeys();
  for (const auto& [k, node] : parsed) {
    const std::string key(k.str());
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return InvalidArgument(file_name + ": unknown setting '" + key + "'");
    }
    std::string value;
    if (auto s = node.value<std::string>()) {
      value = *s;
    } else if (auto i = node.value<int64_t>(); i && node.is_integer()) {
      value = std::to_string(*i);
    } else if (auto b = node.value<bool>(); b && node.is_boolean()) {
      value = *b ? "true" : "false";
    } else {
      return InvalidArgument(file_name + ": setting '" + key + "' must be a string or an integer");
    }
    out[key] = Setting{value, file_name + ": " + key};
  }
  return out;
}

Settings Merge(Settings low, const Settings& high) {
  for (const auto& [k, v] : high) low[k] = v;
  return low;
}

Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgument("expected [<ipv6>]:<port>");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return InvalidArgument("expected <ip>:<port>");
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec) return InvalidArgument("'" + host + "' is not an IP address");
  unsigned port = 0;
  auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (err != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return InvalidArgument("'" + std::string(port_text) + "' is not a port number");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

namespace {

Status Named(const Setting& s, const std::string& problem) {
  return InvalidArgument(s.source + ": " + problem);
}

// A whole number in [min, max].
Result<uint64_t> ParseCount(const Setting& s, uint64_t min, uint64_t max) {
  uint64_t n = 0;
  const auto& v = s.value;
  auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (err != std::errc() || end != v.data() + v.size() || n < min || n > max) {
    return Named(s, "'" + v + "' is not a whole number between " + std::to_string(min) + " and " +
                        std::to_string(max));
  }
  return n;
}

Status CheckWritableDir(const Setting& s, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Named(s, "cannot create directory '" + dir.string() + "': " + ec.message());
  if (!fs::is_directory(dir, ec)) return Named(s, "'" + dir.string() + "' is not a directory");
  const fs::path probe = dir / (".write-test-" + std::to_string(::getpid()));
  {
    std::ofstream out(probe);
    if (!out) return Named(s, "directory '" + dir.string() + "' is not writable");
  }
  fs::remove(probe, ec);
  return Status::Ok();
}

}  // namespace

Result<Config> Resolve(const Settings& settings) {
  Config c;
  if (auto it = settings.find("bind-address"); it != settings.end()) {
    auto hp = ParseHostPort(it->second.value);
    if (!hp.ok()) {
      return Named(it->second, "invalid address '" + it->second.value + "': " + hp.status().message());
    }
    c.bind_host = hp->first;
    c.bind_port = hp->second;
  }
  if (auto it = settings.find("db-path"); it != settings.end()) {
    if (it->second.value.empty()) return Named(it->second, "empty path");
    c.db_path = it->second.value;
  }
  Setting db_path_setting = settings.contains("db-path") ? settings.at("db-path")
                                                           : Setting{c.db_path.string(), "--db-path (default)"};
  STDB_RETURN_IF_ERROR(CheckWritableDir(db_path_setting, c.db_path));
  if (auto it = settings.find("module"); it != settings.end()) {
    std::error_code ec;
    if (!fs::is_regular_file(it->second.value, ec)) {
      return Named(it->second, "module file '" + it->second.value + "' does not exist");
    }
    c.module_path = it->second.value;
  }
  if (auto it = settings.find("database"); it != settings.end()) {
    c.database = it->second.value;
  } else if (c.module_path) {
    c.database = c.module_path->stem().string();
  }
  if (auto it = settings.find("node-name"); it != settings.end()) c.node_name = it->second.value;
  if (c.node_name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    c.node_name = host;
  }
  if (auto it = settings.find("io-threads"); it != settings.end()) {
    int n = 0;
    const auto& v = it->second.value;
    auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (err != std::errc() || end != v.data() + v.size() || n < 1 || n > 256) {
      return Named(it->second, "'" + v + "' is not a thread count between 1 and 256");
    }
    c.io_threads = n;
  }
  if (auto it = settings.find("log-level"); it != settings.end()) {
    const auto& v = it->second.value;
    if (v != "error" && v != "warn" && v != "info" && v != "debug" && v != "trace") {
      return Named(it->second, "'" + v + "' is not a log level (error, warn, info, debug, trace)");
    }
    c.log_level = v;
  }
  if (auto it = settings.find("log-format"); it != settings.end()) {
    const auto& v = it->second.value;
    if (v != "auto" && v != "text" && v != "json") {
      return Named(it->second, "'" + v + "' is not a log format (auto, text, json)");
    }
    c.log_format = v;
  }
  if (auto it = settings.find("in-memory"); it != settings.end()) {
    const auto& v = it->second.value;
    if (v != "true" && v != "false") return Named(it->second, "'" + v + "' is not true or false");
    c.in_memory = v == "true";
  }
  if (auto it = settings.find("snapshot-every-tx"); it != settings.end()) {
    STDB_ASSIGN_OR_RETURN(c.snapshot_every_tx, ParseCount(it->second, 1, UINT64_MAX));
  }
  if (auto it = settings.find("snapshot-every-bytes"); it != settings.end()) {
    STDB_ASSIGN_OR_RETURN(c.snapshot_every_bytes, ParseCount(it->second, 1, UINT64_MAX));
  }
  if (auto it = settings.find("log-segment-bytes"); it != settings.end()) {
    STDB_ASSIGN_OR_RETURN(c.log_segment_bytes, ParseCount(it->second, 4096, 1ull << 40));
  }
  if (auto it = settings.find("ws-outbox-messages"); it != settings.end()) {
    STDB_ASSIGN_OR_RETURN(c.ws_outbox_messages, ParseCount(it->second, 1, 1ull << 24));
  }
  if (auto it = settings.find("ws-outbox-bytes"); it != settings.end()) {
    STDB_ASSIGN_OR_RETURN(c.ws_outbox_bytes, ParseCount(it->second, 4096, 1ull << 34));
  }
  if (auto it = settings.find("ws-max-message-bytes"); it != settings.end()) {
    STDB_ASSIGN_OR_RETURN(c.ws_max_message_bytes, ParseCount(it->second, 1024, 1ull << 30));
  }
  if (auto it = settings.find("ws-idle-timeout"); it != settings.end()) {
    STDB_ASSIGN_OR_RETURN(c.ws_idle_timeout_secs, ParseCount(it->second, 0, 86400));
  }
  return c;
}

}  // namespace stdb::server
