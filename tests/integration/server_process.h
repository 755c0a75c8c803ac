// ServerProcess: a real `spacetimedb` server running as a child process on 127.0.0.1,
// for integration tests that drive it over real sockets.
//
// Each instance owns a fresh temporary directory holding the server's data directory
// (<tmp>/data) and its captured stdout and stderr (<tmp>/server.log). The server listens
// on port 0, so the kernel picks a free port and no two servers can race for one; the
// port is read back from the server's "listening on http://127.0.0.1:<port>" log line.
// Start returns once GET /v1/ping answers 200.
//
// The destructor stops the server (SIGTERM, then SIGKILL after kStopGrace), reaps it and
// removes the temporary directory. If the current test has failed, it first prints the
// captured log, so a failure shows what the server said. A server that does not exit
// cleanly (status 0) after SIGTERM fails the current test: a crash or sanitizer report at
// shutdown is a bug. A server the test ended itself with Kill is not counted as unclean.
//
// Thread safety: none; one test thread owns an instance.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace stdb::integration {

// Paths baked in by CMake (tests/integration/CMakeLists.txt).
inline constexpr const char* kServerBinary = STDB_SERVER_BINARY;
inline constexpr const char* kCliBinary = STDB_CLI_BINARY;
inline constexpr const char* kQuickstartModule = STDB_QUICKSTART_MODULE;
inline constexpr const char* kEdgeCasesModule = STDB_EDGE_CASES_MODULE;
// An ELF shared library that is not a module (it lacks the module ABI exports).
inline constexpr const char* kNotAModuleLibrary = STDB_NOT_A_MODULE_LIBRARY;
// A module whose schema fails validation: an index on a column that does not exist
// (src/module/testdata/fixture_module.cc, kind 4).
inline constexpr const char* kInvalidSchemaModule = STDB_INVALID_SCHEMA_MODULE;

// How long Start waits for the server to answer /v1/ping (sanitizer builds start slowly).
inline constexpr auto kStartTimeout = std::chrono::seconds(30);
// How long Stop waits after SIGTERM before sending SIGKILL.
inline constexpr auto kStopGrace = std::chrono::seconds(10);

class ServerProcess {
 public:
  struct Options {
    // Loaded at start-up as database `database` (--module / --database); none: the
    // server starts with no database and tests publish one over HTTP.
    std::optional<std::string> module_path;
    std::string database = "chat";
    std::vector<std::string> extra_args;
    // StartAgain (and Restart) listen on the port the server had before instead of a
    // fresh one, for clients that must find the restarted server where they left it.
    // The port may be taken by another process in between; StartAgain then fails.
    bool keep_port = false;
  };

  // Starts a server and waits until it serves /v1/ping. On failure (the binary cannot be
  // spawned, exits early, or is not ready within kStartTimeout) returns an error whose
  // message includes the captured log; nothing is left running or on disk.
  [[nodiscard]] static Result<std::unique_ptr<ServerProcess>> Start(Options options);
  // Starts quickstart_chat as database "chat".
  [[nodiscard]] static Result<std::unique_ptr<ServerProcess>> StartChat();

  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  const std::string& database() const { return options_.database; }
  // The server's data directory (its signing key lives here).
  std::filesystem::path data_dir() const { return temp_dir_ / "data"; }

  // "http://127.0.0.1:<port>" + path.
  std::string HttpUrl(std::string_view path) const;
  // http URL of /v1/database/<database()>/<suffix> (suffix without a leading '/').
  std::string DbUrl(std::string_view suffix = "") const;
  // ws URL of /v1/database/<db>/subscribe + query ("?compression=Gzip", ...).
  std::string SubscribeUrl(std::string_view query = "") const;
  std::string SubscribeUrl(std::string_view db, std::string_view query) const;

  // Everything the server has written to stdout and stderr so far.
  std::string Log() const;

  // True while the child has not exited (reaps it if it has).
  bool Running();

  // Stops the server: SIGTERM, then SIGKILL after `grace`. Returns the wait status text
  // ("exited with status 0", "killed by signal 9 after SIGTERM timed out", ...) and
  // whether the exit was clean. Idempotent.
  struct StopResult {
    bool clean = false;
    std::string description;
  };
  StopResult Stop(std::chrono::milliseconds grace = kStopGrace);

  // Stops the server (as Stop) and starts a new one on the same data directory (as
  // StartAgain). Fails if the stop was not clean or the new server is not ready within
  // kStartTimeout.
  [[nodiscard]] Status Restart();

  // Kills the server with SIGKILL, as a crash or power cut would end it, and reaps it.
  // OK if the server was running and SIGKILL ended it; otherwise (it had already exited,
  // or was stopped) an error that says how it ended. Either way the server is no longer
  // running afterwards, and its log stays readable through Log() until StartAgain.
  [[nodiscard]] Status Kill();

  // Starts a new server on the same data directory, with the same extra_args but without
  // --module: the databases are reloaded from the data directory. The port changes
  // unless Options::keep_port; the old server's log moves to server-<n>.log. REQUIRES: the server has been stopped or
  // killed. Fails if the new server is not ready within kStartTimeout.
  [[nodiscard]] Status StartAgain();

 private:
  ServerProcess(Options options, std::filesystem::path temp_dir);
  Status Spawn();
  Status WaitUntilReady();

  Options options_;
  std::filesystem::path temp_dir_;
  pid_t pid_ = -1;
  std::optional<int> wait_status_;  // set once the child has been reaped
  uint16_t port_ = 0;
  bool stopped_ = false;
  bool killed_ = false;  // ended by Kill: the test meant it, so it is not an unclean stop
  int restarts_ = 0;
};

}  // namespace stdb::integration
