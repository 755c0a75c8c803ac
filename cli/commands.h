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

// Runs the `spacetimedb` server binary (next to this one, else on PATH) with `args`.
int Start(const std::vector<std::string>& args);

// Runs a program (argv[0] looked up on PATH) and returns its exit code, or -1 if it
// could not be started.
int RunProgram(const std::vector<std::string>& argv);

}  // namespace stdb::cli
