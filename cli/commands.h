// The `spacetime` subcommands. Each returns the process exit code and prints errors as
// one line: what failed, why, and what to do.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace stdb::cli {

struct BuildOptions {
  std::filesystem::path project = ".";
  bool debug = false;
};
// Configures and builds a module project with CMake; on success sets `module_file`.
int Build(const BuildOptions& options, std::filesystem::path* module_file = nullptr);

struct PublishOptions {
  std::string database;
  BuildOptions build;
  std::optional<std::filesystem::path> bin_path;  // skip the build, upload this file
  bool delete_data = false;
  std::optional<std::string> server;
};
int Publish(const PublishOptions& options);

int Call(const std::optional<std::string>& server, const std::string& database,
         const std::string& reducer, const std::vector<std::string>& args);

int Sql(const std::optional<std::string>& server, const std::string& database,
        const std::string& query, bool json);

struct LogsOptions {
  std::string database;
  std::optional<size_t> num_lines;  // nullopt: every line the server keeps
  bool follow = false;              // keep printing new lines until Ctrl-C or server close
  bool json = false;                // print the server's JSON lines unchanged
  std::optional<std::string> server;
};
// Prints a database's module log (owner only), one line per entry. With `follow`, runs
// until Ctrl-C (exit 0) or until the server ends the stream.
int Logs(const LogsOptions& options);

// Writes a consistent copy of a running database (owner only) into `dir` (new or empty):
// its newest snapshot, the commit log after it up to the durable offset, its module and
// metadata. `spacetimedb start --restore <dir>` starts from it. Shows progress on a
// terminal; an interrupted or damaged transfer is reported, never left looking complete.
int Backup(const std::optional<std::string>& server, const std::string& database,
           const std::filesystem::path& dir);

struct GenerateOptions {
  std::string lang;                  // "typescript" or "cpp"
  std::filesystem::path out_dir;
  std::string source;                // a database name, or a module file (contains '/' or ends in .so)
  std::optional<std::string> server;
};
// Writes client bindings for a database's (or module file's) schema into out_dir.
int Generate(const GenerateOptions& options);

struct SubscribeOptions {
  std::string database;
  std::vector<std::string> queries;
  std::optional<size_t> num_updates;   // exit after this many updates (-n)
  std::optional<double> timeout_secs;  // exit after this long (-t); an error if -n is unmet
  bool print_initial = false;          // also print the subscription's initial rows
  std::optional<std::string> server;
};
// Subscribes to `queries` and prints each transaction's changes to them as one JSON line
// {"<table>": {"deletes": [rows], "inserts": [rows]}}, rows keyed by column name, until
// Ctrl-C, -n updates, or -t seconds.
int Subscribe(const SubscribeOptions& options);

struct InitOptions {
  std::string lang = "cpp";
  std::filesystem::path dir;
};
// Writes a module project (CMakeLists.txt, src/lib.cc, .gitignore) into a new or empty
// folder; `spacetime build` builds it as it is.
int Init(const InitOptions& options);

struct DeleteOptions {
  std::string database;
  bool yes = false;  // skip the question (required when stdin is not a terminal)
  std::optional<std::string> server;
};
// Deletes a database and all its data (owner only).
int Delete(const DeleteOptions& options);

// Prints the server's databases (name, identity, owner, state), or their JSON.
int List(const std::optional<std::string>& server, bool json);

// Prints a database's identity, owner, module, tables and reducers, or their JSON.
int Describe(const std::optional<std::string>& server, const std::string& database, bool json);

struct ServerOptions {
  std::string action;  // add, remove, list, set-default, ping
  std::string name;    // nickname (add/remove/set-default) or server (ping; empty: default)
  std::string url;     // add
  bool make_default = false;
};
// Manages the servers the CLI knows by nickname, and pings one.
int ServerCommand(const ServerOptions& options);

// Stores an identity for the server: `token` (checked with the server first), else a
// new identity minted by the server unless one is stored already.
int Login(const std::optional<std::string>& server, const std::optional<std::string>& token);
// Forgets the stored identity for the server.
int Logout(const std::optional<std::string>& server);
// Prints the identity (and with `show_token` the token) stored for the server.
int Identity(const std::optional<std::string>& server, bool show_token);

// Runs the `spacetimedb` server binary (next to this one, else on PATH) with `args`.
int Start(const std::vector<std::string>& args);

// Runs a program (argv[0] looked up on PATH) and returns its exit code, or -1 if it
// could not be started.
int RunProgram(const std::vector<std::string>& argv);

}  // namespace stdb::cli
