// The CLI's own configuration: which server to talk to and the identity token it uses
// there, kept in a JSON file ($STDB_CLI_CONFIG, else $HOME/.config/stdb/cli.json).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "base/status.h"

namespace stdb::cli {

inline constexpr const char* kDefaultServer = "http://127.0.0.1:3000";

class CliConfig {
 public:
  // Loads the file, or starts empty if it does not exist. Fails on an unreadable or
  // malformed file (naming it).
  static Result<CliConfig> Load();
  static std::filesystem::path DefaultPath();

  // The server URL for `flag` (a URL, or "local"), else the configured default.
  std::string ResolveServer(const std::optional<std::string>& flag) const;

  std::optional<std::string> TokenFor(const std::string& server) const;
  void SetToken(const std::string& server, std::string token);
  // Writes the file (mode 0600: it holds credentials).
  Status Save() const;

 private:
  std::filesystem::path path_;
  std::optional<std::string> default_server_;
  std::map<std::string, std::string> tokens_;  // server URL -> token
};

}  // namespace stdb::cli
