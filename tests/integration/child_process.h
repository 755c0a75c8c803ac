// Child: a child process (normally the `spacetime` CLI) with its stdout and stderr
// captured through pipes, for integration tests that run commands as a user would.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "test_util.h"

extern char** environ;

namespace stdb::integration {

// A child process with its stdout and stderr captured through pipes. The destructor
// kills (SIGKILL) and reaps it if it is still running.
class Child {
 public:
  static Result<std::unique_ptr<Child>> Spawn(std::vector<std::string> args,
                                              const std::string& cli_config) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string config_env = "STDB_CLI_CONFIG=" + cli_config;
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "STDB_CLI_CONFIG=", 16) != 0) envp.push_back(*e);
    }
    envp.push_back(config_env.data());
    envp.push_back(nullptr);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return IoError("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) return IoError("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      // stdin is never a terminal: commands that would ask a question must not wait.
      const int null_in = open("/dev/null", O_RDONLY);
      if (null_in < 0 || dup2(null_in, 0) < 0) _exit(126);
      if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) _exit(126);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    return std::unique_ptr<Child>(new Child(pid, out[0], err[0]));
  }

  ~Child() {
    if (!status_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    close(out_);
    close(err_);
  }

  // Reads output until stdout contains `text`, the child exits, or the timeout passes.
  bool WaitForOutput(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
    while (stdout_.find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !Pump(100)) return false;
    }
    return true;
  }

  // Reads all output until the child exits; returns its wait status (nullopt on timeout).
  std::optional<int> Wait() {
    const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
    while (Pump(100) && std::chrono::steady_clock::now() < deadline) {
    }
    if (!status_) {
      int status = 0;
      for (int i = 0; i < 100 && !status_; ++i) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
        if (!status_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    return status_;
  }

  void Signal(int sig) { kill(pid_, sig); }
  const std::string& out() const { return stdout_; }
  const std::string& err() const { return stderr_; }

 private:
  Child(pid_t pid, int out, int err) : pid_(pid), out_(out), err_(err) {}

  // Reads what is available within `timeout_ms`. Returns false once both pipes are at EOF.
  bool Pump(int timeout_ms) {
    pollfd fds[2] = {{out_open_ ? out_ : -1, POLLIN, 0}, {err_open_ ? err_ : -1, POLLIN, 0}};
    if (!out_open_ && !err_open_) return false;
    if (poll(fds, 2, timeout_ms) <= 0) return true;
    char buf[4096];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        (i == 0 ? out_open_ : err_open_) = false;
      } else {
        (i == 0 ? stdout_ : stderr_).append(buf, static_cast<size_t>(n));
      }
    }
    return true;
  }

  pid_t pid_;
  int out_, err_;
  bool out_open_ = true, err_open_ = true;
  std::string stdout_, stderr_;
  std::optional<int> status_;
};

}  // namespace stdb::integration
