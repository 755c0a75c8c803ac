// spacetimedb: the stdb server.
//
//   spacetimedb [start] [--module <file>] [--database <name>] [--bind-address <ip:port>]
//               [--db-path <dir>] [--node-name <name>] [--config <Spacetime.toml>]
//               [--in-memory] [--snapshot-every-tx N] [--snapshot-every-bytes N]
//               [--log-segment-bytes N] [--restore <backup dir>] [--ws-outbox-messages N]
//               [--ws-outbox-bytes N] [--ws-max-message-bytes N] [--ws-idle-timeout S]
//
// Settings come from flags, then SPDB_* environment variables, then Spacetime.toml
// (docs/configuration.md). A bad setting stops start-up with one line naming it.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "auth/identity.h"
#include "auth/token.h"
#include "base/log.h"
#include "db/registry.h"
#include "net/server.h"
#include "obs/build_info.h"
#include "server/config.h"

namespace stdb::server {
namespace {

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "spacetimedb: " << message << "\n";
  std::exit(2);
}

// Takes an exclusive lock on <db_path>/.lock for the life of the process, so that a
// second server on the same data directory stops before it reads or writes anything
// there (two writers on one commit log would corrupt it). The file holds the owner's
// pid for the error message; the lock (flock) goes away with the process, even on
// SIGKILL, so a stale file never blocks a restart.
void LockDataDirectory(const std::filesystem::path& db_path) {
  std::error_code ec;
  std::filesystem::create_directories(db_path, ec);
  if (ec) Fail("cannot create data directory " + db_path.string() + ": " + ec.message());
  const std::filesystem::path lock_path = db_path / ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) Fail("cannot open " + lock_path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK) Fail("cannot lock " + lock_path.string() + ": " + std::strerror(err));
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    Fail("data directory " + db_path.string() + " is in use by another server" +
         (holder.empty() ? "" : " (pid " + holder + ")") +
         "; stop it first or choose another --db-path");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message of a second server gets vaguer.
    LogWarn("server", "cannot write the pid into " + lock_path.string() + ": " + std::strerror(errno));
  }
  // The descriptor stays open (and the lock held) until the process exits.
}

LogSeverity SeverityOf(const std::string& level) {
  if (level == "error") return LogSeverity::kError;
  if (level == "warn") return LogSeverity::kWarn;
  if (level == "debug") return LogSeverity::kDebug;
  if (level == "trace") return LogSeverity::kTrace;
  return LogSeverity::kInfo;
}

// Settings from the command line, each tagged with the flag that set it.
Settings ParseFlags(int argc, char** argv, std::optional<std::string>& config_file,
                    std::optional<std::string>& restore_dir) {
  CLI::App app{"stdb server: hosts real-time databases", "spacetimedb"};
  std::map<std::string, std::string> values;
  auto flag = [&](const std::string& names, const std::string& key, const std::string& help) {
    app.add_option(names, values[key], help);
  };
  flag("--module,-m", "module", "module file (.so) to load at start-up");
  flag("--database,-d", "database", "database name for --module (default: the file's stem)");
  flag("--bind-address,--listen-addr,-l", "bind-address", "<ip>:<port> to listen on (default 127.0.0.1:3000)");
  flag("--db-path,--data-dir", "db-path", "data directory (default ./stdb-data)");
  flag("--node-name", "node-name", "this node's name in logs (default: the host name)");
  flag("--io-threads", "io-threads", "network threads (default 2)");
  flag("--log-level", "log-level", "error, warn, info (default), debug or trace");
  flag("--log-format", "log-format",
       "auto (default: text on a terminal, else JSON lines), text or json");
  flag("--snapshot-every-tx", "snapshot-every-tx", "take a snapshot every N transactions (default 1000000)");
  flag("--snapshot-every-bytes", "snapshot-every-bytes", "or every N bytes of commit log (default 268435456)");
  flag("--log-segment-bytes", "log-segment-bytes", "commit log segment size (default 67108864)");
  flag("--ws-outbox-messages", "ws-outbox-messages",
       "messages queued for one client before it is disconnected as too slow (default 16384)");
  flag("--ws-outbox-bytes", "ws-outbox-bytes",
       "bytes queued for one client before it is disconnected as too slow (default 67108864)");
  flag("--ws-max-message-bytes", "ws-max-message-bytes",
       "largest message a client may send (default 16777216)");
  flag("--ws-idle-timeout", "ws-idle-timeout",
       "seconds without a message or pong before a client is dropped; pinged at half (default 60, 0 = never)");
  bool in_memory = false;
  app.add_flag("--in-memory", in_memory, "keep data in memory only: no commit log, nothing survives a restart");
  std::string config;
  app.add_option("--config,-c", config, "configuration file (default ./Spacetime.toml if present)");
  std::string restore;
  app.add_option("--restore", restore,
                 "copy a backup folder (written by `spacetime backup`) into the data directory "
                 "as its database, then start");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  if (!config.empty()) config_file = config;
  if (!restore.empty()) restore_dir = restore;
  Settings out;
  if (in_memory) out["in-memory"] = Setting{"true", "--in-memory"};
  for (const auto& [key, value] : values) {
    if (value.empty()) continue;
    std::string source = "--" + key;
    out[key] = Setting{value, source};
  }
  return out;
}

Settings LoadTomlFile(const std::optional<std::string>& explicit_file) {
  std::string file = explicit_file.value_or("");
  if (file.empty()) {
    if (const char* env = std::getenv("SPDB_CONFIG"); env != nullptr && *env != '\0') file = env;
  }
  const bool required = !file.empty();
  if (file.empty()) file = "Spacetime.toml";
  std::ifstream in(file);
  if (!in) {
    if (required) Fail("cannot read configuration file '" + file + "'");
    return {};
  }
  std::stringstream text;
  text << in.rdbuf();
  auto settings = FromToml(text.str(), file);
  if (!settings.ok()) Fail(settings.status().message());
  return std::move(settings).value();
}

int Run(int argc, char** argv) {
  // `spacetimedb start ...` and `spacetimedb ...` are the same; `version` prints it.
  std::vector<char*> args(argv, argv + argc);
  if (args.size() > 1 && std::string(args[1]) == "version") {
    std::cout << "spacetimedb (stdb) " << obs::kVersion << " (commit " << obs::BuildCommit() << ")\n";
    return 0;
  }
  if (args.size() > 1 && std::string(args[1]) == "start") args.erase(args.begin() + 1);

  // Block termination signals before any thread starts; a dedicated thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::optional<std::string> config_file;
  std::optional<std::string> restore_dir;
  Settings flags = ParseFlags(static_cast<int>(args.size()), args.data(), config_file, restore_dir);
  Settings settings = Merge(Merge(LoadTomlFile(config_file), FromEnvironment(&std::getenv)), flags);
  auto config = Resolve(settings);
  if (!config.ok()) Fail(config.status().message());
  SetLogSeverity(SeverityOf(config->log_level));
  if (config->log_format != "auto") {
    SetLogFormat(config->log_format == "json" ? LogFormat::kJson : LogFormat::kText);
  }
  const std::string scope = "server/" + config->node_name;

  LockDataDirectory(config->db_path);
  auto tokens = auth::TokenAuthority::OpenOrCreate(config->db_path, SystemClock::Get());
  if (!tokens.ok()) Fail(tokens.status().message());
  std::optional<db::DurabilityOptions> durability;
  if (!config->in_memory) {
    durability = db::DurabilityOptions{.snapshot_every_tx = config->snapshot_every_tx,
                                       .snapshot_every_bytes = config->snapshot_every_bytes,
                                       .segment_bytes = config->log_segment_bytes};
  } else {
    LogWarn(scope, "--in-memory: no commit log; every database starts empty after a restart");
  }
  db::Registry registry(
      config->db_path / "databases", SystemClock::Get(),
      [](std::string_view name) { return auth::DeriveIdentity("stdb:database", name); }, durability);
  if (restore_dir) {
    if (config->in_memory) Fail("--restore needs durable storage; drop --in-memory");
    auto restored = registry.Restore(*restore_dir);
    if (!restored.ok()) Fail(restored.status().message());
  }
  for (const Status& problem : registry.LoadAll()) {
    // Damaged stored data stops start-up: serving without it would look like lost data.
    if (problem.code() == ErrorCode::kDecode) {
      registry.StopAll();
      Fail(problem.message());
    }
    LogError(scope, problem.message());
  }
  if (config->module_path) {
    if (Status s = db::Registry::ValidateName(config->database); !s.ok()) {
      Fail("--database: " + s.message());
    }
    auto published = registry.PublishFile(config->database, *config->module_path, /*clear=*/false);
    if (!published.ok()) {
      Fail("--module '" + config->module_path->string() + "': " + published.status().message());
    }
  }

  net::ServerOptions server_options{config->bind_host, config->bind_port, config->io_threads, {}};
  server_options.ws.outbox_messages_max = config->ws_outbox_messages;
  server_options.ws.outbox_bytes_max = config->ws_outbox_bytes;
  server_options.ws.client_message_bytes_max = config->ws_max_message_bytes;
  server_options.ws.idle_timeout = std::chrono::seconds(config->ws_idle_timeout_secs);
  net::Server server(std::move(server_options), registry, **tokens);
  auto port = server.Start();
  if (!port.ok()) Fail("--bind-address: " + port.status().message());
  std::string url = "http://" + config->bind_host + ":" + std::to_string(*port);
  LogInfo(scope, "stdb " + std::string(obs::kVersion) + " listening on " + url + ", data in " +
                     config->db_path.string());
  for (const auto& name : registry.Names()) {
    LogInfo(scope, "database '" + name + "': ws://" + config->bind_host + ":" +
                       std::to_string(*port) + "/v1/database/" + name + "/subscribe");
  }

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    LogInfo(scope, "shutting down");
    server.Stop();
  });
  server.Wait();
  if (waiter.joinable()) {
    // Stop came from elsewhere: wake the signal thread so it can exit.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  }
  // Connected sessions and their databases hold each other, so neither the server's nor
  // the registry's destructor is sure to stop a database's worker. Stop them now, while
  // the network's io_context still exists (queued work may still send to sessions), so
  // that no module code runs after main returns and exit destroys the module's statics.
  registry.StopAll();
  return 0;
}

}  // namespace
}  // namespace stdb::server

int main(int argc, char** argv) { return stdb::server::Run(argc, argv); }
