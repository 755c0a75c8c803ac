// `spacetime` commands that manage databases, servers and identities: init, delete,
// list, describe, server add|list|set-default|remove|ping, login, logout, identity.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "auth/base64url.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/table_format.h"

namespace stdb::cli {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// The "hex_identity" claim of a token, read without verifying it (the server verifies
// tokens; this is only for showing which identity the CLI would use).
std::optional<std::string> TokenIdentity(const std::string& token) {
  const size_t a = token.find('.');
  const size_t b = a == std::string::npos ? a : token.find('.', a + 1);
  if (b == std::string::npos) return std::nullopt;
  auto payload = auth::Base64UrlDecode(std::string_view(token).substr(a + 1, b - a - 1));
  if (!payload.ok()) return std::nullopt;
  Json j = Json::parse(payload->begin(), payload->end(), nullptr, false);
  if (!j.is_object() || !j.contains("hex_identity") || !j["hex_identity"].is_string())
    return std::nullopt;
  return j["hex_identity"].get<std::string>();
}

// A readable type name from the schema JSON's "type_name" (else the SATS JSON).
std::string TypeName(const Json& column) {
  if (column.contains("type_name") && column["type_name"].is_string())
    return column["type_name"].get<std::string>();
  return column.value("type", Json()).dump();
}

bool Confirm(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace

int Init(const InitOptions& options) {
  if (options.lang != "cpp") return Error("--lang must be 'cpp' (the only module language)");
  fs::path dir = fs::absolute(options.dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "hello/"
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    return Error(dir.string() + " is not empty; choose a new folder");
  std::string name = dir.filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "module_" + name;
  fs::create_directories(dir / "src", ec);
  if (ec) return Error("cannot create " + (dir / "src").string() + ": " + ec.message());
  const std::string cmake =
      "# An stdb module: `spacetime build` compiles it to build/" + name +
      ".so,\n"
      "# `spacetime publish <database>` uploads it to a running server.\n"
      "cmake_minimum_required(VERSION 3.25)\n"
      "project(" +
      name +
      " LANGUAGES CXX)\n\n"
      "if(NOT COMMAND stdb_add_module)\n"
      "  # `spacetime build` passes STDB_SDK_DIR; set it yourself to build with plain cmake.\n"
      "  include(\"${STDB_SDK_DIR}/cmake/StdbModule.cmake\")\n"
      "endif()\n\n"
      "stdb_add_module(" +
      name + " src/lib.cc)\n";
  const std::string lib =
      R"(// A module: tables are structs, reducers are functions run as transactions.
// Reference: docs/module-sdk.md in the stdb repository.
#include <stdb/module.h>

#include <string>

struct Person {
  uint64_t id;
  std::string name;
};
STDB_STRUCT(Person, id, name);
STDB_TABLE(Person, person, stdb::Public);
STDB_PRIMARY_KEY(person, id);
STDB_AUTO_INC(person, id);  // insert with id 0 allocates one

// spacetime call <database> add '"Alice"'
stdb::Outcome add(stdb::ReducerContext& ctx, std::string name) {
  if (name.empty()) return stdb::Err("name must not be empty");
  ctx.db[person].insert(Person{0, std::move(name)});
  return stdb::Ok();
}
STDB_REDUCER(add, name);

// spacetime call <database> say_hello
stdb::Outcome say_hello(stdb::ReducerContext& ctx) {
  for (const Person& p : ctx.db[person]) ctx.log_info("Hello, " + p.name + "!");
  ctx.log_info("Hello, World!");
  return stdb::Ok();
}
STDB_REDUCER(say_hello);
)";
  for (const auto& [path, text] : {std::pair<fs::path, std::string>{dir / "CMakeLists.txt", cmake},
                                   {dir / "src" / "lib.cc", lib},
                                   {dir / ".gitignore", "build/\n"}}) {
    std::ofstream out(path);
    out << text;
    if (!out) return Error("cannot write " + path.string());
  }
  std::cout << "Created a C++ module project in " << dir.string() << "\n"
            << "Next: cd " << options.dir.string()
            << " && spacetime build && spacetime publish <database>\n";
  return 0;
}

int Delete(const DeleteOptions& options) {
  auto conn = Connect(options.server);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  auto token = config.TokenFor(server);
  if (!token)
    return Error("not logged in to " + server + "; only a database's owner can delete it");
  if (!options.yes) {
    if (!::isatty(STDIN_FILENO))
      return Error("deleting '" + options.database + "' needs confirmation: pass --yes");
    if (!Confirm("Delete database '" + options.database + "' on " + server +
                 " and all its data? This cannot be undone.")) {
      return Error("not deleted");
    }
  }
  auto res = net::HttpRequest("DELETE", server + "/v1/database/" + options.database,
                              {{"Authorization", "Bearer " + *token}}, "", std::chrono::minutes(2));
  if (!res.ok()) return Error(res.status().message());
  if (res->status != 200) return Error("delete failed: " + ServerMessage(*res));
  std::cout << "Deleted database '" << options.database << "'\n";
  return 0;
}

int List(const std::optional<std::string>& server_flag, bool json) {
  auto conn = Connect(server_flag);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  auto res = net::HttpRequest("GET", server + "/v1/database", {}, "");
  if (!res.ok()) return Error(res.status().message());
  if (res->status != 200) return Error(ServerMessage(*res));
  Json j = Json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("databases") || !j["databases"].is_array())
    return Error("the server sent a malformed database list");
  if (json) {
    std::cout << j["databases"].dump(2) << "\n";
    return 0;
  }
  const auto token = config.TokenFor(server);
  const auto me = token ? TokenIdentity(*token) : std::nullopt;
  std::vector<std::vector<std::string>> rows;
  for (const auto& db : j["databases"]) {
    if (!db.is_object()) continue;
    const Json owner = db.value("owner", Json());
    std::string owned =
        owner.is_string()
            ? (me && owner == *me ? "you" : owner.get<std::string>().substr(0, 16) + "...")
            : "-";
    rows.push_back({db.value("name", ""), db.value("identity", ""), owned,
                    db.value("running", false) ? "running" : "not loaded (see server log)"});
  }
  std::cout << FormatTextTable({"name", "identity", "owner", "state"}, rows) << "(" << rows.size()
            << (rows.size() == 1 ? " database)\n" : " databases)\n");
  return 0;
}

int Describe(const std::optional<std::string>& server_flag, const std::string& database,
             bool json) {
  auto conn = Connect(server_flag);
  if (!conn) return 1;
  const std::string& server = conn->second;
  auto res = net::HttpRequest("GET", server + "/v1/database/" + database, {}, "");
  if (!res.ok()) return Error(res.status().message());
  if (res->status != 200) return Error(ServerMessage(*res));
  Json j = Json::parse(res->body, nullptr, false);
  if (!j.is_object()) return Error("the server sent a malformed description");
  if (json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "database  " << j.value("name", "") << "\n"
            << "identity  " << j.value("identity", "") << "\n"
            << "owner     "
            << (j.value("owner", Json()).is_string() ? j["owner"].get<std::string>() : "-") << "\n"
            << "module    " << j.value("module", "") << "\n"
            << "state     "
            << (j.value("running", false) ? "running" : "not loaded (see the server log)") << "\n";
  if (!j.contains("schema") || !j["schema"].is_object()) return 0;
  const Json& schema = j["schema"];
  std::cout << "\ntables\n";
  for (const auto& t : schema.value("tables", Json::array())) {
    std::string columns;
    for (const auto& c : t.value("columns", Json::array())) {
      if (!columns.empty()) columns += ", ";
      columns += c.value("name", "?") + ": " + TypeName(c);
    }
    std::string extra;
    if (t.contains("primary_key") && t["primary_key"].is_array() && !t["primary_key"].empty()) {
      extra += "  primary key (";
      for (size_t i = 0; i < t["primary_key"].size(); ++i)
        extra += (i ? ", " : "") + t["primary_key"][i].get<std::string>();
      extra += ")";
    }
    std::cout << "  " << t.value("name", "?") << (t.value("public", true) ? "" : " (private)")
              << " (" << columns << ")" << extra << "\n";
  }
  std::cout << "\nreducers\n";
  for (const auto& r : schema.value("reducers", Json::array())) {
    std::string params;
    for (const auto& p : r.value("params", Json::array())) {
      if (!params.empty()) params += ", ";
      params += p.value("name", "?") + ": " + TypeName(p);
    }
    const Json lifecycle = r.value("lifecycle", Json());
    std::cout << "  " << r.value("name", "?") << "(" << params << ")"
              << (lifecycle.is_string() ? "  [" + lifecycle.get<std::string>() + "]" : "") << "\n";
  }
  return 0;
}

int ServerCommand(const ServerOptions& options) {
  auto config = CliConfig::Load();
  if (!config.ok()) return Error(config.status().message());
  if (options.action == "add") {
    auto url = net::ParseUrl(CliConfig::NormaliseUrl(options.url));
    if (!url.ok()) return Error("server URL: " + url.status().message());
    if (Status s = config->AddServer(options.name, options.url); !s.ok()) return Error(s.message());
    if (options.make_default) (void)config->SetDefault(options.name);
    if (Status s = config->Save(); !s.ok()) return Error(s.message());
    std::cout << "Added server '" << options.name << "' = " << CliConfig::NormaliseUrl(options.url)
              << (options.make_default ? " (default)" : "") << "\n";
    return 0;
  }
  if (options.action == "remove") {
    if (Status s = config->RemoveServer(options.name); !s.ok()) return Error(s.message());
    if (Status s = config->Save(); !s.ok()) return Error(s.message());
    std::cout << "Removed server '" << options.name << "'\n";
    return 0;
  }
  if (options.action == "set-default") {
    if (Status s = config->SetDefault(options.name); !s.ok()) return Error(s.message());
    if (Status s = config->Save(); !s.ok()) return Error(s.message());
    std::cout << "Default server: " << options.name << " (" << config->ResolveServer(std::nullopt)
              << ")\n";
    return 0;
  }
  if (options.action == "list") {
    const std::string def = config->ResolveServer(std::nullopt);
    std::vector<std::vector<std::string>> rows;
    bool default_listed = false;
    for (const auto& [name, url] : config->servers()) {
      const bool is_default = config->default_server() == name;
      default_listed |= is_default;
      rows.push_back({is_default ? "*" : "", name, url, config->TokenFor(url) ? "yes" : "no"});
    }
    if (!default_listed) rows.push_back({"*", "", def, config->TokenFor(def) ? "yes" : "no"});
    std::cout << FormatTextTable({"default", "nickname", "url", "logged in"}, rows);
    return 0;
  }
  // ping
  const std::string server =
      config->ResolveServer(options.name.empty() ? std::nullopt : std::optional(options.name));
  auto res = net::HttpRequest("GET", server + "/v1/ping", {}, "", std::chrono::seconds(5));
  if (!res.ok()) return Error(res.status().message());
  if (res->status != 200)
    return Error("server " + server + " answered HTTP " + std::to_string(res->status));
  std::cout << "Server is online: " << server << "\n";
  return 0;
}

int Login(const std::optional<std::string>& server_flag, const std::optional<std::string>& token) {
  auto conn = Connect(server_flag);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  if (token) {
    // Checked with the server before it is kept: a typo must not replace a good token.
    auto res = net::HttpRequest("POST", server + "/v1/identity/websocket-token",
                                {{"Authorization", "Bearer " + *token}}, "");
    if (!res.ok()) return Error(res.status().message());
    if (res->status != 200) return Error("the server refused the token: " + ServerMessage(*res));
    config.SetToken(server, *token);
    if (Status s = config.Save(); !s.ok()) return Error(s.message());
  } else if (auto existing = config.TokenFor(server)) {
    std::cout << "Already logged in to " << server << " as "
              << TokenIdentity(*existing).value_or("(unreadable token)")
              << "; `spacetime logout` first for a new identity\n";
    return 0;
  } else if (!EnsureToken(config, server)) {
    return 1;
  }
  std::cout << "Logged in to " << server << " as "
            << TokenIdentity(*config.TokenFor(server)).value_or("(unreadable token)") << "\n";
  return 0;
}

int Logout(const std::optional<std::string>& server_flag) {
  auto conn = Connect(server_flag);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  if (!config.RemoveToken(server)) {
    std::cout << "Not logged in to " << server << "\n";
    return 0;
  }
  if (Status s = config.Save(); !s.ok()) return Error(s.message());
  std::cout << "Logged out of " << server << " (the identity's token is forgotten)\n";
  return 0;
}

int Identity(const std::optional<std::string>& server_flag, bool show_token) {
  auto conn = Connect(server_flag);
  if (!conn) return 1;
  auto& [config, server] = *conn;
  auto token = config.TokenFor(server);
  if (!token) return Error("not logged in to " + server + "; run `spacetime login`");
  auto identity = TokenIdentity(*token);
  if (!identity)
    return Error("the stored token for " + server +
                 " is unreadable; run `spacetime logout` and `spacetime login`");
  std::cout << *identity << "\n";
  if (show_token) std::cout << *token << "\n";
  return 0;
}

}  // namespace stdb::cli
