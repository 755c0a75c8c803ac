#include "cli/common.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/table_format.h"
#include "sats/bsatn.h"
#include "sats/json.h"

namespace stdb::cli {
namespace fs = std::filesystem;
using Json = nlohmann::json;

int Error(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

fs::path SelfDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : self.parent_path();
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string p(path);
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    if (::access((fs::path(p.substr(start, end - start)) / program).c_str(), X_OK) == 0)
      return true;
    start = end + 1;
  }
  return false;
}

// The module SDK: $STDB_SDK_DIR, else the source tree this CLI was built from, else an
// installed copy next to the binary.
std::optional<fs::path> SdkDir() {
  if (const char* env = std::getenv("STDB_SDK_DIR"); env != nullptr && *env != '\0')
    return fs::path(env);
  for (fs::path candidate : {fs::path(STDB_SOURCE_DIR) / "sdk" / "module",
                             SelfDir() / ".." / "share" / "stdb" / "sdk" / "module"}) {
    if (fs::exists(candidate / "cmake" / "StdbModule.cmake")) return candidate;
  }
  return std::nullopt;
}

// The token for `server`, minting and saving an identity on first use.
std::optional<std::string> EnsureToken(CliConfig& config, const std::string& server) {
  if (auto t = config.TokenFor(server)) return t;
  auto res = net::HttpRequest("POST", server + "/v1/identity", {}, "");
  if (!res.ok()) {
    Error(res.status().message());
    return std::nullopt;
  }
  Json j = Json::parse(res->body, nullptr, false);
  if (res->status != 200 || !j.is_object() || !j.contains("token")) {
    Error("the server at " + server + " did not issue an identity (HTTP " +
          std::to_string(res->status) + ")");
    return std::nullopt;
  }
  config.SetToken(server, j["token"].get<std::string>());
  if (Status s = config.Save(); !s.ok()) std::cerr << "warning: " << s.message() << "\n";
  return j["token"].get<std::string>();
}

std::string ServerMessage(const net::HttpResponse& res) {
  std::string body = res.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body.empty() ? "HTTP " + std::to_string(res.status) : body;
}

// Loads config and resolves the server; prints and returns nullopt on failure.
std::optional<std::pair<CliConfig, std::string>> Connect(const std::optional<std::string>& flag) {
  auto config = CliConfig::Load();
  if (!config.ok()) {
    Error(config.status().message());
    return std::nullopt;
  }
  std::string server = config->ResolveServer(flag);
  return std::make_pair(std::move(config).value(), server);
}

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) { g_interrupted = 1; }
}  // namespace

void CatchInterrupts() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool Interrupted() { return g_interrupted != 0; }

Result<module::ModuleDef> FetchModuleDef(const std::string& server, const std::string& database) {
  auto res =
      net::HttpRequest("GET", server + "/v1/database/" + database + "/schema?format=bsatn", {}, "");
  if (!res.ok()) return res.status();
  if (res->status != 200) {
    return Status(res->status == 404 ? ErrorCode::kNotFound : ErrorCode::kInvalidArgument,
                  "cannot read the schema of '" + database + "': " + ServerMessage(*res));
  }
  auto def = module::DecodeModuleDef(AsBytes(res->body));
  if (!def.ok()) {
    return Status(def.status().code(), "the server sent a schema this CLI cannot read (" +
                                           def.status().message() +
                                           "); is the CLI older than the server?");
  }
  // Names from the server become file names and identifiers: hold them to the rules a
  // published module follows.
  if (Status s = module::ValidateModuleDef(*def); !s.ok())
    return InvalidArgument("the server sent an invalid schema: " + s.message());
  return def;
}

nlohmann::json RowToJson(const sats::AlgebraicType& row_type, ByteView row) {
  auto value = sats::DecodeBsatnExact(row_type, row);
  if (!value.ok()) return Json{{"undecodable_row", ToHex(row)}};
  Json array = sats::ValueToJson(row_type, *value);
  if (!array.is_array() || array.size() != row_type.elements().size()) return array;
  Json out = Json::object();
  for (size_t i = 0; i < array.size(); ++i) {
    const auto& name = row_type.elements()[i].name;
    out[name ? *name : std::to_string(i)] = array[i];
  }
  return out;
}

Result<std::string> SqlAsText(const std::string& server, const std::string& database,
                              const std::string& token, const std::string& query, bool json) {
  auto res = net::HttpRequest("POST", server + "/v1/database/" + database + "/sql",
                              {{"Authorization", "Bearer " + token}}, query);
  if (!res.ok()) return res.status();
  if (res->status != 200) return InvalidArgument(ServerMessage(*res));
  Json results = Json::parse(res->body, nullptr, false);
  if (!results.is_array()) return InvalidArgument("the server sent a malformed SQL result");
  if (json) return results.dump(2) + "\n";
  std::string out;
  for (size_t i = 0; i < results.size(); ++i) {
    if (i > 0) out += "\n";
    out += FormatSqlTable(results[i]);
  }
  return out;
}

std::string WebSocketBase(const std::string& server) {
  const size_t scheme = server.find("://");
  return "ws" + (scheme == std::string::npos ? "://" + server : server.substr(scheme));
}

}  // namespace stdb::cli
