// A terminal client for the quickstart chat, built on the stdb C++ client SDK and the
// bindings `spacetime generate --lang cpp` writes for the quickstart_chat module.
//
//   quickstart_chat_client [SERVER[,SERVER...]] [DATABASE]
//
// SERVER defaults to ws://127.0.0.1:3000 and DATABASE to "chat". Several servers,
// comma-separated, are tried in turn. Lines typed on stdin are sent as messages;
// "/name NAME" sets your name. Messages from everyone are printed as they arrive.
// At the end of stdin the client waits for its last calls to finish, then exits.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>

#include "module_bindings.h"

namespace {

using module_bindings::Message;
using module_bindings::User;

// Bounded: a line longer than this is refused rather than sent (the server would accept
// it, but a chat line this long is a paste accident).
constexpr size_t kLineBytesMax = 4096;
// How long the client waits at the end of stdin for its calls to be answered.
constexpr auto kDrainTimeout = std::chrono::seconds(10);

std::mutex print_mu;

// Prints one line; callbacks (dispatch thread) and the input loop both print.
void Print(const std::string& line) {
  std::lock_guard lock(print_mu);
  std::cout << line << std::endl;
}

std::string ShortHex(const stdb::client::Identity& id) { return stdb::U256ToHex(id).substr(0, 8); }

std::string UserName(const module_bindings::Module& m, const stdb::client::Identity& id) {
  if (auto u = m.db.user.find_by_identity(id); u && u->name) return *u->name;
  return ShortHex(id);
}

std::vector<std::string> SplitEndpoints(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Set once the subscription is applied: earlier messages are printed then, in order.
std::atomic<bool> applied{false};

void PrintHistory(const module_bindings::Module& m) {
  std::vector<Message> messages = m.db.message.rows();
  std::sort(messages.begin(), messages.end(), [](const Message& a, const Message& b) {
    return a.sent.micros_since_epoch < b.sent.micros_since_epoch;
  });
  for (const Message& msg : messages) Print(UserName(m, msg.sender) + ": " + msg.text);
}

void RegisterCallbacks(module_bindings::Module& m) {
  m.db.message.on_insert([&m](const Message& msg) {
    if (applied) Print(UserName(m, msg.sender) + ": " + msg.text);
  });
  m.db.user.on_update([](const User& old_user, const User& new_user) {
    const std::string old_name = old_user.name.value_or(ShortHex(old_user.identity));
    if (old_user.name != new_user.name) {
      Print("* " + old_name + " is now " + new_user.name.value_or(ShortHex(new_user.identity)));
    }
    if (old_user.online != new_user.online) {
      Print("* " + new_user.name.value_or(ShortHex(new_user.identity)) +
            (new_user.online ? " connected" : " disconnected"));
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  stdb::client::Options options;
  options.endpoints = SplitEndpoints(argc > 1 ? argv[1] : "ws://127.0.0.1:3000");
  options.database = argc > 2 ? argv[2] : "chat";
  options.on_connect = [](const stdb::client::ConnectInfo& info) {
    Print(std::string(info.reconnected ? "reconnected" : "connected") + " as " +
          ShortHex(info.identity) + " to " + info.endpoint);
  };
  options.on_disconnect = [](const stdb::Status& why, bool again) {
    Print("disconnected: " + why.message() + (again ? " (reconnecting)" : ""));
  };
  options.on_connect_error = [](const stdb::Status& why, bool again) {
    Print("cannot connect: " + why.message() + (again ? " (retrying)" : ""));
  };
  auto conn = stdb::client::Connection::Connect(options);
  if (!conn.ok()) {
    std::cerr << "quickstart_chat_client: " << conn.status().message() << "\n";
    return 2;
  }
  if (stdb::Status s = module_bindings::RegisterTables(**conn); !s.ok()) {
    std::cerr << "quickstart_chat_client: " << s.message() << "\n";
    return 1;
  }
  module_bindings::Module chat(**conn);
  RegisterCallbacks(chat);
  stdb::client::SubscribeCallbacks subscribed;
  subscribed.on_applied = [&chat](stdb::client::SubscriptionHandle) {
    PrintHistory(chat);
    applied = true;
    Print("subscribed");
  };
  subscribed.on_error = [](stdb::client::SubscriptionHandle, const stdb::Status& why) {
    Print("subscription failed: " + why.message());
  };
  if (!(*conn)->subscribe(module_bindings::AllTablesQueries(), subscribed).ok() ||
      !(*conn)->run_threaded().ok()) {
    std::cerr << "quickstart_chat_client: cannot start\n";
    return 1;
  }

  auto report = [](const stdb::client::ReducerResult& r) {
    if (!r.status.ok()) Print("error: " + r.status.message());
  };
  std::deque<std::future<stdb::client::ReducerResult>> calls;
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    if (line.size() > kLineBytesMax) {
      Print("error: line longer than " + std::to_string(kLineBytesMax) + " bytes");
      continue;
    }
    auto call = line.starts_with("/name ") ? chat.reducers.set_name(line.substr(6), report)
                                           : chat.reducers.send_message(line, report);
    if (!call.ok()) {
      Print("error: " + call.status().message());
      continue;
    }
    calls.push_back(std::move(*call));
    while (!calls.empty() &&
           calls.front().wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      calls.pop_front();
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  for (auto& call : calls) call.wait_until(deadline);
  (*conn)->stop();
  return 0;
}
