#include "server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "net/client.h"

extern char** environ;

namespace stdb::integration {
namespace fs = std::filesystem;

namespace {

// Polling interval while waiting for the server to start or stop. Polling (with a
// deadline) is the synchronisation; the interval only bounds the busy-waiting.
constexpr auto kPollInterval = std::chrono::milliseconds(10);

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped with wait status " + std::to_string(status);
}

Result<fs::path> MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/stdb-integ-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return IoError("mkdtemp(" + pattern + "): " + std::strerror(errno));
  }
  return fs::path(pattern);
}

// The port in the server's "listening on http://<host>:<port>" log line, once written.
std::optional<uint16_t> ListeningPort(const std::string& log) {
  constexpr std::string_view kMarker = "listening on http://";
  const size_t at = log.find(kMarker);
  if (at == std::string::npos) return std::nullopt;
  const size_t colon = log.find(':', at + kMarker.size());
  if (colon == std::string::npos) return std::nullopt;
  unsigned port = 0;
  const char* first = log.data() + colon + 1;
  auto [end, ec] = std::from_chars(first, log.data() + log.size(), port);
  if (ec != std::errc() || end == first || port == 0 || port > 65535) return std::nullopt;
  if (end == log.data() + log.size()) return std::nullopt;  // the line may still be growing
  return static_cast<uint16_t>(port);
}

}  // namespace

ServerProcess::ServerProcess(Options options, fs::path temp_dir)
    : options_(std::move(options)), temp_dir_(std::move(temp_dir)) {}

Result<std::unique_ptr<ServerProcess>> ServerProcess::Start(Options options) {
  STDB_ASSIGN_OR_RETURN(fs::path dir, MakeTempDir());
  std::unique_ptr<ServerProcess> server(new ServerProcess(std::move(options), std::move(dir)));
  Status s = server->Spawn();
  if (s.ok()) s = server->WaitUntilReady();
  if (!s.ok()) {
    // The destructor stops the child and removes the directory; the caller gets the log.
    Status failed(s.code(), s.message() + "\n--- server log ---\n" + server->Log());
    server->Stop(std::chrono::seconds(2));
    return failed;
  }
  return server;
}

Result<std::unique_ptr<ServerProcess>> ServerProcess::StartChat() {
  Options options;
  options.module_path = kQuickstartModule;
  options.database = "chat";
  return Start(std::move(options));
}

Status ServerProcess::Spawn() {
  // Everything the child needs is prepared before fork: after fork only
  // async-signal-safe calls are allowed.
  std::vector<std::string> args = {kServerBinary, "--db-path", data_dir().string(),
                                   "--bind-address", "127.0.0.1:" + std::to_string(port_)};
  if (options_.module_path) {
    args.insert(args.end(), {"--module", *options_.module_path, "--database", options_.database});
  }
  // STDB_INTEGRATION_LOG_LEVEL=debug makes every server log more, to diagnose a failure.
  if (const char* level = std::getenv("STDB_INTEGRATION_LOG_LEVEL"); level != nullptr && *level) {
    args.insert(args.end(), {"--log-level", level});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The server reads SPDB_* variables and ./Spacetime.toml: keep the developer's out.
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "SPDB_", 5) != 0) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  const std::string log_path = (temp_dir_ / "server.log").string();
  const std::string cwd = temp_dir_.string();
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) return IoError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child. If the test binary dies, take the server with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    const int null_fd = open("/dev/null", O_RDONLY);
    const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (null_fd < 0 || log_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 ||
        dup2(log_fd, 2) < 0 || chdir(cwd.c_str()) != 0) {
      _exit(126);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  pid_ = pid;
  return Status::Ok();
}

Status ServerProcess::WaitUntilReady() {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Running()) {
      return Status(ErrorCode::kInternal,
                    "the server " + DescribeWaitStatus(*wait_status_) + " before it was ready");
    }
    if (port_ == 0) {
      if (auto port = ListeningPort(Log())) port_ = *port;
    }
    if (port_ != 0) {
      auto res = net::HttpRequest("GET", HttpUrl("/v1/ping"), {}, "", std::chrono::seconds(2));
      if (res.ok() && res->status == 200) return Status::Ok();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return Status(ErrorCode::kInternal, "the server did not answer /v1/ping within " +
                                          std::to_string(kStartTimeout.count()) + " s");
}

ServerProcess::~ServerProcess() {
  const StopResult stop = Stop();
  if (!stop.clean) {
    ADD_FAILURE() << "the server did not shut down cleanly on SIGTERM: " << stop.description;
  }
  if (::testing::Test::HasFailure()) {
    std::cerr << "--- log of the server on port " << port_ << " (" << stop.description << ") ---\n"
              << Log() << "--- end of server log ---\n";
  }
  std::error_code ec;
  fs::remove_all(temp_dir_, ec);
}

std::string ServerProcess::HttpUrl(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::string ServerProcess::DbUrl(std::string_view suffix) const {
  std::string url = HttpUrl("/v1/database/" + options_.database);
  if (!suffix.empty()) url += "/" + std::string(suffix);
  return url;
}

std::string ServerProcess::SubscribeUrl(std::string_view query) const {
  return SubscribeUrl(options_.database, query);
}

std::string ServerProcess::SubscribeUrl(std::string_view db, std::string_view query) const {
  return "ws://127.0.0.1:" + std::to_string(port_) + "/v1/database/" + std::string(db) +
         "/subscribe" + std::string(query);
}

std::string ServerProcess::Log() const {
  std::ifstream in(temp_dir_ / "server.log", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ServerProcess::Running() {
  if (pid_ <= 0 || wait_status_) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    wait_status_ = status;
    return false;
  }
  return true;
}

ServerProcess::StopResult ServerProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return StopResult{true, "never started"};
  if (stopped_ || wait_status_) {
    stopped_ = true;
    const bool clean =
        killed_ || (wait_status_ && WIFEXITED(*wait_status_) && WEXITSTATUS(*wait_status_) == 0);
    return StopResult{clean, wait_status_ ? DescribeWaitStatus(*wait_status_) : "unknown"};
  }
  stopped_ = true;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  if (!wait_status_) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    wait_status_ = status;
    return StopResult{false, DescribeWaitStatus(status) + " after SIGTERM timed out"};
  }
  const bool clean = WIFEXITED(*wait_status_) && WEXITSTATUS(*wait_status_) == 0;
  return StopResult{clean, DescribeWaitStatus(*wait_status_)};
}

Status ServerProcess::Restart() {
  const StopResult stop = Stop();
  if (!stop.clean) {
    return Status(ErrorCode::kInternal, "the server did not stop cleanly: " + stop.description);
  }
  return StartAgain();
}

Status ServerProcess::Kill() {
  STDB_ASSERT_MSG(pid_ > 0, "Kill before the server was started");
  // Running() reaps a child that has already exited, so a crash before the kill is told
  // apart from the kill itself.
  if (stopped_ || !Running()) {
    stopped_ = true;
    return Status(ErrorCode::kInternal,
                  "the server was no longer running when it was to be killed: " +
                      (wait_status_ ? DescribeWaitStatus(*wait_status_) : std::string("stopped")));
  }
  stopped_ = true;
  killed_ = true;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  wait_status_ = status;
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    return Status(ErrorCode::kInternal,
                  "the server exited before SIGKILL reached it: " + DescribeWaitStatus(status));
  }
  return Status::Ok();
}

Status ServerProcess::StartAgain() {
  STDB_ASSERT_MSG(!Running(), "StartAgain while the server is still running");
  std::error_code ec;
  fs::rename(temp_dir_ / "server.log",
             temp_dir_ / ("server-" + std::to_string(++restarts_) + ".log"), ec);
  options_.module_path.reset();
  pid_ = -1;
  wait_status_.reset();
  if (!options_.keep_port) port_ = 0;
  stopped_ = false;
  killed_ = false;
  STDB_RETURN_IF_ERROR(Spawn());
  return WaitUntilReady();
}

}  // namespace stdb::integration
