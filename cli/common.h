// Helpers every `spacetime` command shares: one-line errors, the server and token to
// use, where the module SDK and the server binary are.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "cli/cli_config.h"
#include "module/schema.h"
#include "net/client.h"

namespace stdb::cli {

// Prints "error: <message>" on one line to stderr and returns 1 (the exit code).
int Error(const std::string& message);

// The folder of the running binary.
std::filesystem::path SelfDir();
// True if `program` is an executable in a PATH folder.
bool OnPath(const std::string& program);

// The module SDK: $STDB_SDK_DIR, else the source tree this CLI was built from, else an
// installed copy next to the binary.
std::optional<std::filesystem::path> SdkDir();

// The token for `server`, minting and saving an identity on first use. Prints the error
// and returns nullopt on failure.
std::optional<std::string> EnsureToken(CliConfig& config, const std::string& server);

// The server's error text (the body without trailing newlines), else "HTTP <status>".
std::string ServerMessage(const net::HttpResponse& res);

// Loads the CLI config and resolves the server (`flag`: a URL, a nickname or "local");
// prints and returns nullopt on failure.
std::optional<std::pair<CliConfig, std::string>> Connect(const std::optional<std::string>& flag);

// From now on SIGINT/SIGTERM set a flag instead of ending the process, so a long-running
// command (logs -f, subscribe) stops reading and exits cleanly instead of dying mid-line.
void CatchInterrupts();
bool Interrupted();

// The schema of `database` on `server` (GET /schema?format=bsatn), decoded.
Result<module::ModuleDef> FetchModuleDef(const std::string& server, const std::string& database);

// Runs SQL on the server (POST /sql) and returns the results as aligned tables (or, with
// `json`, the server's JSON indented).
Result<std::string> SqlAsText(const std::string& server, const std::string& database,
                              const std::string& token, const std::string& query,
                              bool json = false);

// A row as JSON keyed by column name ({"id": 1, "name": "x"}) from its BSATN bytes;
// {"undecodable_row": "<hex>"} if the bytes do not match the type.
nlohmann::json RowToJson(const sats::AlgebraicType& row_type, ByteView row);

// A URL of `server` (http://host:port) with the ws:// scheme: "ws://host:port".
std::string WebSocketBase(const std::string& server);

}  // namespace stdb::cli
