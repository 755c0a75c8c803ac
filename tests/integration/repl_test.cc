// `spacetime client connect` through a pseudo-terminal, as a person uses it: line
// editing and history (libedit), live updates printed while typing, the local cache.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

namespace fs = std::filesystem;

// A program on the slave side of a pty; the test types on the master side.
class PtyChild {
 public:
  PtyChild(std::vector<std::string> args, const std::vector<std::string>& env) {
    winsize size{};
    size.ws_row = 50;
    size.ws_col = 200;
    pid_ = forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~PtyChild() {
    if (pid_ > 0 && !exit_status_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }
  bool started() const { return pid_ > 0 && master_ >= 0; }

  void Type(const std::string& keys) {
    size_t done = 0;
    while (done < keys.size()) {
      const ssize_t n = write(master_, keys.data() + done, keys.size() - done);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  // Waits until `text` appears after everything an earlier WaitFor matched; true if it
  // did within the timeout.
  bool WaitFor(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
    while (true) {
      const size_t at = output_.find(text, mark_);
      if (at != std::string::npos) {
        mark_ = at + text.size();
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline || !Read(100)) return false;
    }
  }

  // Waits until the program has the terminal in raw mode (libedit reading a line), so
  // that control keys reach libedit rather than the kernel's line discipline: between
  // two lines the terminal is in its normal (cooked) mode, where ^D is end-of-file and is
  // lost when libedit switches back. The master side reads the pair's termios.
  bool WaitRawMode() {
    const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      termios t{};
      if (tcgetattr(master_, &t) == 0 && (t.c_lflag & ICANON) == 0) return true;
      Read(5);
    }
    return false;
  }

  // Reads until the program exits; returns its exit code (-1 if it did not exit in time).
  int WaitExit(std::chrono::milliseconds timeout = kReceiveTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      Read(50);
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_status_ = status;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
    }
    return -1;
  }

  std::string Unread() const { return output_.substr(mark_); }
  const std::string& output() const { return output_; }

 private:
  bool Read(int timeout_ms) {
    pollfd fd{master_, POLLIN, 0};
    if (poll(&fd, 1, timeout_ms) <= 0) return true;
    char buf[4096];
    const ssize_t n = read(master_, buf, sizeof(buf));
    if (n <= 0) return false;  // EIO once the child has closed the terminal
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  std::optional<int> exit_status_;
  std::string output_;
  size_t mark_ = 0;
};

TEST(ReplTest, AnInteractiveSessionThroughAPseudoTerminal) {
  // Proves the interactive client works on a real terminal: the prompt, status, a
  // subscription whose rows fill the local cache, another client's change printed live
  // while a line is half typed (and the half-typed line survives), calls with results
  // and errors, SQL, unsubscribe emptying the cache, line editing (Ctrl-A, Ctrl-D),
  // history (up arrow), and Ctrl-D leaving with exit code 0.
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::StartChat());
  ASSERT_OK(CallHttp(*server, "send_message", R"(["before"])").status());
  const fs::path dir = server->data_dir().parent_path();
  const std::string config = "STDB_CLI_CONFIG=" + (dir / "cli.json").string();
  PtyChild repl(
      {kCliBinary, "client", "connect", "ws://127.0.0.1:" + std::to_string(server->port()), "chat"},
      {config, "TERM=xterm", "HOME=" + dir.string()});  // no ~/.editrc of the developer's
  ASSERT_TRUE(repl.started());
  ASSERT_TRUE(repl.WaitFor("connected to 'chat' as ")) << repl.output();
  ASSERT_TRUE(repl.WaitFor("chat> ")) << repl.output();

  repl.Type("status\r");
  ASSERT_TRUE(repl.WaitFor("connection   connected (v2.bsatn.spacetimedb)")) << repl.Unread();
  ASSERT_TRUE(repl.WaitFor("subscriptions 0")) << repl.Unread();

  repl.Type("sub SELECT * FROM message\r");
  ASSERT_TRUE(repl.WaitFor("subscription #1 applied: 1 row")) << repl.Unread();
  repl.Type("get message\r");
  ASSERT_TRUE(repl.WaitFor("\"before\"")) << repl.Unread();
  ASSERT_TRUE(repl.WaitFor("(1 row)")) << repl.Unread();

  // Half a line typed, then another client's transaction arrives: it is printed, and the
  // half line is still there to finish.
  repl.Type("get mess");
  ASSERT_OK(CallHttp(*server, "send_message", R"(["from elsewhere"])").status());
  ASSERT_TRUE(repl.WaitFor("+ message {")) << repl.Unread();
  ASSERT_TRUE(repl.WaitFor("\"text\":\"from elsewhere\"")) << repl.Unread();
  repl.Type("age\r");
  ASSERT_TRUE(repl.WaitFor("(2 rows)")) << repl.Unread();

  repl.Type("call send_message \"typed here\"\r");
  ASSERT_TRUE(repl.WaitFor("call send_message: ok")) << repl.Unread();
  ASSERT_TRUE(repl.WaitFor("\"text\":\"typed here\"")) << repl.Unread();
  repl.Type("call send_message \"\"\r");
  ASSERT_TRUE(repl.WaitFor("call send_message failed: Messages must not be empty"))
      << repl.Unread();
  repl.Type("call send_message hello\r");
  ASSERT_TRUE(repl.WaitFor("is not JSON")) << repl.Unread();
  repl.Type("sql SELECT COUNT(*) FROM message\r");
  ASSERT_TRUE(repl.WaitFor(" 3\r\n")) << repl.Unread();

  // Line editing: "Xstatus", Ctrl-A to the start, Ctrl-D deletes the X. Keys typed while
  // a command still runs reach the terminal's own line discipline, so wait for the prompt.
  ASSERT_TRUE(repl.WaitFor("chat> ")) << repl.Unread();
  ASSERT_TRUE(repl.WaitRawMode());
  repl.Type("Xstatus\x01\x04\r");
  ASSERT_TRUE(repl.WaitFor("#1 applied, 3 rows: SELECT * FROM message")) << repl.Unread();
  // History: the up arrow brings back the last line.
  ASSERT_TRUE(repl.WaitFor("chat> ")) << repl.Unread();
  ASSERT_TRUE(repl.WaitRawMode());
  repl.Type("\x1b[A\r");
  ASSERT_TRUE(repl.WaitFor("#1 applied, 3 rows")) << repl.Unread();

  repl.Type("unsub\r");
  ASSERT_TRUE(repl.WaitFor("subscription #1 removed")) << repl.Unread();
  repl.Type("get message\r");
  ASSERT_TRUE(repl.WaitFor("(0 rows)")) << repl.Unread();
  repl.Type("get nope\r");
  ASSERT_TRUE(repl.WaitFor("error: no table named 'nope'")) << repl.Unread();
  repl.Type("frob\r");
  ASSERT_TRUE(repl.WaitFor("error: unknown command 'frob' (type help)")) << repl.Unread();
  repl.Type("help\r");
  ASSERT_TRUE(repl.WaitFor("get <table>")) << repl.Unread();

  ASSERT_TRUE(repl.WaitFor("chat> ")) << repl.Unread();
  ASSERT_TRUE(repl.WaitRawMode());
  repl.Type("\x04");  // Ctrl-D on an empty line
  EXPECT_EQ(repl.WaitExit(), 0) << repl.output();
  EXPECT_TRUE(fs::exists(dir / "client_history"));
}

}  // namespace
}  // namespace stdb::integration
