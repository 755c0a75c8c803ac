#include "cli/cli_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace stdb::cli {
namespace fs = std::filesystem;

fs::path CliConfig::DefaultPath() {
  if (const char* p = std::getenv("STDB_CLI_CONFIG"); p != nullptr && *p != '\0') return p;
  const char* home = std::getenv("HOME");
  return fs::path(home != nullptr ? home : ".") / ".config" / "stdb" / "cli.json";
}

Result<CliConfig> CliConfig::Load() {
  CliConfig c;
  c.path_ = DefaultPath();
  std::ifstream in(c.path_);
  if (!in) return c;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("CLI configuration " + c.path_.string() +
                           " is not valid JSON; fix or delete it");
  }
  if (j.contains("default_server") && j["default_server"].is_string()) {
    c.default_server_ = j["default_server"].get<std::string>();
  }
  if (j.contains("servers") && j["servers"].is_object()) {
    for (const auto& [name, url] : j["servers"].items()) {
      if (url.is_string()) c.servers_[name] = url.get<std::string>();
    }
  }
  if (j.contains("tokens") && j["tokens"].is_object()) {
    for (const auto& [server, token] : j["tokens"].items()) {
      if (token.is_string()) c.tokens_[server] = token.get<std::string>();
    }
  }
  return c;
}

std::string CliConfig::NormaliseUrl(std::string s) {
  if (s.find("://") == std::string::npos) s = "http://" + s;
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string CliConfig::ResolveServer(const std::optional<std::string>& flag) const {
  std::string s = flag.value_or(default_server_.value_or(kDefaultServer));
  if (auto it = servers_.find(s); it != servers_.end()) return NormaliseUrl(it->second);
  if (s == "local") s = kDefaultServer;
  return NormaliseUrl(std::move(s));
}

namespace {

bool ValidNickname(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  }
  return true;
}

}  // namespace

Status CliConfig::AddServer(const std::string& nickname, const std::string& url) {
  if (!ValidNickname(nickname) || nickname.find('.') != std::string::npos) {
    return InvalidArgument("server nickname '" + nickname +
                           "' must be 1-32 letters, digits, '_' or '-' (no dots: those look "
                           "like host names)");
  }
  servers_[nickname] = NormaliseUrl(url);
  return Status::Ok();
}

Status CliConfig::RemoveServer(const std::string& nickname) {
  if (servers_.erase(nickname) == 0) return NotFound("no server nicknamed '" + nickname + "'");
  if (default_server_ == nickname) default_server_.reset();
  return Status::Ok();
}

Status CliConfig::SetDefault(const std::string& server) {
  if (!servers_.contains(server) && server != "local" && server.find("://") == std::string::npos) {
    return NotFound("no server nicknamed '" + server + "'; add it with `spacetime server add " +
                    server + " <url>` or give a URL");
  }
  default_server_ = servers_.contains(server) || server == "local" ? server : NormaliseUrl(server);
  return Status::Ok();
}

bool CliConfig::RemoveToken(const std::string& server) { return tokens_.erase(server) > 0; }

std::optional<std::string> CliConfig::TokenFor(const std::string& server) const {
  auto it = tokens_.find(server);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

void CliConfig::SetToken(const std::string& server, std::string token) {
  tokens_[server] = std::move(token);
}

Status CliConfig::Save() const {
  std::error_code ec;
  fs::create_directories(path_.parent_path(), ec);
  nlohmann::json j = nlohmann::json::object();
  if (default_server_) j["default_server"] = *default_server_;
  j["servers"] = servers_;
  j["tokens"] = tokens_;
  const fs::path tmp = path_.string() + ".tmp";
  {
    // Created 0600: it holds tokens, and must never be readable by others, not even
    // between creation and a chmod.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return IoError("cannot write " + tmp.string() + ": " + std::strerror(errno));
    const std::string text = j.dump(2) + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::fchmod(fd, 0600);  // an existing .tmp keeps its old mode through O_CREAT
    if (::close(fd) != 0 || !written) return IoError("cannot write " + tmp.string());
  }
  fs::rename(tmp, path_, ec);
  if (ec) return IoError("cannot write " + path_.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace stdb::cli
