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

  // The server URL for `flag` (a nickname added with `server add`, "local", or a URL),
  // else the configured default, else kDefaultServer.
  std::string ResolveServer(const std::optional<std::string>& flag) const;
  // A URL as ResolveServer normalises it ("host:port" -> "http://host:port", no
  // trailing '/').
  static std::string NormaliseUrl(std::string url);

  // Servers by nickname (`spacetime server add|list|set-default|remove`).
  const std::map<std::string, std::string>& servers() const { return servers_; }
  // Adds or replaces nickname -> url. kInvalidArgument for a nickname that is not
  // 1-32 of [A-Za-z0-9._-] or looks like a URL.
  Status AddServer(const std::string& nickname, const std::string& url);
  // kNotFound if there is no such nickname. Removing the default clears the default.
  Status RemoveServer(const std::string& nickname);
  // `server`: a nickname or a URL. kNotFound for a word that is neither.
  Status SetDefault(const std::string& server);
  // The default as configured (a nickname or URL), if any.
  const std::optional<std::string>& default_server() const { return default_server_; }

  std::optional<std::string> TokenFor(const std::string& server) const;
  void SetToken(const std::string& server, std::string token);
  // Forgets the token for `server`; false if there was none.
  bool RemoveToken(const std::string& server);
  // Writes the file (mode 0600: it holds credentials).
  Status Save() const;

 private:
  std::filesystem::path path_;
  std::optional<std::string> default_server_;
  std::map<std::string, std::string> servers_;  // nickname -> URL
  std::map<std::string, std::string> tokens_;   // server URL -> token
};

}  // namespace stdb::cli
