// The terminal chat client (quickstart_chat_client) driven through pipes against a real
// server: what it types reaches the database and other clients, what others send is
// printed, and reducer errors are shown.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "sats/bsatn.h"
#include "stdb/client.h"
#include "test_util.h"

namespace {

using namespace stdb;
using integration::kReceiveTimeout;

// The client as a child process: stdin is a pipe we write, stdout+stderr one we read.
class ChatProcess {
 public:
  ChatProcess(const std::string& endpoint, const std::string& database) {
    int in[2], out[2];
    EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    std::vector<std::string> args = {CHAT_CLIENT_BINARY, endpoint, database};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) _exit(126);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    in_ = in[1];
    out_ = out[0];
  }
  ~ChatProcess() {
    if (in_ >= 0) close(in_);
    if (!exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_);
  }

  void Type(const std::string& line) {
    const std::string data = line + "\n";
    ASSERT_EQ(write(in_, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }
  void CloseInput() {
    close(in_);
    in_ = -1;
  }
  // Reads output until it contains `text` or the timeout passes.
  bool WaitForOutput(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
    while (output_.find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !Pump()) return false;
    }
    return true;
  }
  // Waits for the exit; returns the wait status.
  std::optional<int> Wait() {
    const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
    while (Pump() && std::chrono::steady_clock::now() < deadline) {
    }
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_) return std::nullopt;
    exited_ = true;
    return status;
  }
  const std::string& output() const { return output_; }

 private:
  // Reads what is available within 100 ms; false at end of output.
  bool Pump() {
    pollfd p{out_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) return true;
    char buf[4096];
    const ssize_t n = read(out_, buf, sizeof(buf));
    if (n <= 0) return false;
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  bool exited_ = false;
  std::string output_;
};

TEST(QuickstartChatClient, SendsWhatIsTypedAndPrintsWhatOthersSend) {
  // Lines typed into the client become messages others see; another client's messages
  // are printed with its name; a rejected name prints the reducer's error.
  auto started = integration::ServerProcess::StartChat();
  ASSERT_TRUE(started.ok()) << started.status().message();
  auto& server = **started;
  const std::string endpoint = "ws://127.0.0.1:" + std::to_string(server.port());

  // The other participant: an SDK connection that records the messages it sees.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;
  client::Options o;
  o.endpoints = {endpoint};
  o.database = "chat";
  auto peer = client::Connection::Connect(o);
  ASSERT_TRUE(peer.ok());
  ASSERT_TRUE((*peer)->register_table("message", integration::MessageRowType(), std::nullopt).ok());
  (*peer)->table("message").on_insert([&](ByteView row) {
    auto v = sats::DecodeBsatnExact(integration::MessageRowType(), row);
    std::lock_guard lock(mu);
    seen.push_back(v.ok() ? integration::MessageText(*v) : "undecodable");
    cv.notify_all();
  });
  ASSERT_TRUE((*peer)->subscribe({"SELECT * FROM message"}).ok());
  ASSERT_TRUE((*peer)->run_threaded().ok());
  auto call = [&](const std::string& reducer, const std::string& arg) {
    auto f = (*peer)->call_reducer(reducer, integration::StringArg(arg));
    EXPECT_TRUE(f.ok());
    EXPECT_EQ(f->wait_for(kReceiveTimeout), std::future_status::ready);
    EXPECT_TRUE(f->get().status.ok());
  };
  call("set_name", "peer");
  call("send_message", "before the client");

  ChatProcess chat(endpoint, "chat");
  ASSERT_TRUE(chat.WaitForOutput("subscribed")) << chat.output();
  EXPECT_NE(chat.output().find("peer: before the client"), std::string::npos) << chat.output();

  chat.Type("/name alice");
  ASSERT_TRUE(chat.WaitForOutput("is now alice")) << chat.output();
  chat.Type("hello from the terminal");
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kReceiveTimeout, [&] {
      return std::find(seen.begin(), seen.end(), "hello from the terminal") != seen.end();
    }));
  }
  ASSERT_TRUE(chat.WaitForOutput("alice: hello from the terminal")) << chat.output();
  auto sql = integration::SqlHttp(server, "SELECT * FROM message WHERE text = 'hello from the terminal'");
  ASSERT_TRUE(sql.ok()) << sql.status().message();
  EXPECT_NE(sql->find("hello from the terminal"), std::string::npos) << *sql;

  call("send_message", "live from peer");
  ASSERT_TRUE(chat.WaitForOutput("peer: live from peer")) << chat.output();

  chat.Type("/name ");
  ASSERT_TRUE(chat.WaitForOutput("error: Names must not be empty")) << chat.output();

  chat.CloseInput();
  auto status = chat.Wait();
  ASSERT_TRUE(status.has_value()) << chat.output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << chat.output();
}

}  // namespace
