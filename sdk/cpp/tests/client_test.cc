// The client SDK against real `spacetimedb` processes running quickstart_chat, plus a
// scripted WebSocket peer for what a correct server never does (dropping a connection
// with a call in flight at a chosen moment, sending malformed frames).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "sats/bsatn.h"
#include "stdb/client.h"
#include "test_util.h"

namespace stdb::client {
namespace {

using integration::kReceiveTimeout;
using integration::ServerProcess;

// Collects what a Connection's callbacks report, as lines, for tests to wait on.
class Recorder {
 public:
  void Add(std::string line) {
    {
      std::lock_guard lock(mu_);
      lines_.push_back(std::move(line));
    }
    cv_.notify_all();
  }
  // Waits until `line` has been recorded at least `times` times.
  bool WaitFor(const std::string& line, size_t times = 1) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kReceiveTimeout, [&] { return CountLocked(line) >= times; });
  }
  // Waits until some recorded line starts with `prefix`; returns it.
  std::optional<std::string> WaitForPrefix(const std::string& prefix) {
    std::unique_lock lock(mu_);
    std::optional<std::string> found;
    cv_.wait_for(lock, kReceiveTimeout, [&] {
      for (const auto& l : lines_) {
        if (l.starts_with(prefix)) found = l;
      }
      return found.has_value();
    });
    return found;
  }
  size_t Count(const std::string& line) {
    std::lock_guard lock(mu_);
    return CountLocked(line);
  }
  size_t Position(const std::string& line) {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (lines_[i] == line) return i;
    }
    return SIZE_MAX;
  }
  std::string Dump() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& l : lines_) out += "  " + l + "\n";
    return out;
  }

 private:
  size_t CountLocked(const std::string& line) const {
    return static_cast<size_t>(std::count(lines_.begin(), lines_.end(), line));
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

std::string UserLine(ByteView row) {
  auto v = sats::DecodeBsatnExact(integration::UserRowType(), row);
  if (!v.ok()) return "undecodable";
  const auto& name = integration::Field(*v, 1).as<sats::SumValue>();
  std::string text = name.tag == 0 ? name.value->as<std::string>() : "-";
  return U256ToHex(integration::IdentityOf(integration::Field(*v, 0))) + "/" + text + "/" +
         (integration::Field(*v, 2).as<bool>() ? "on" : "off");
}

std::string MessageLine(ByteView row) {
  auto v = sats::DecodeBsatnExact(integration::MessageRowType(), row);
  return v.ok() ? integration::MessageText(*v) : "undecodable";
}

std::string Hex(const Identity& id) { return U256ToHex(id); }

// The BSATN of an Identity: the user table's primary key.
Bytes IdentityKey(const Identity& id) {
  Bytes key;
  ByteWriter(key).Fixed(id.limbs);
  return key;
}

// A connected SDK client whose callbacks all go to `log`, dispatched on its own thread.
struct Client {
  Recorder log;
  std::unique_ptr<Connection> conn;
  std::optional<ConnectInfo> info;  // written by the dispatch thread before "connect"
};

Options BaseOptions(std::vector<std::string> endpoints, Recorder& log, Client* client) {
  Options o;
  o.endpoints = std::move(endpoints);
  o.database = "chat";
  o.reconnect_initial_delay = std::chrono::milliseconds(20);
  o.reconnect_max_delay = std::chrono::milliseconds(500);
  o.on_connect = [&log, client](const ConnectInfo& info) {
    if (client != nullptr) client->info = info;
    log.Add(info.reconnected ? "reconnect" : "connect");
  };
  o.on_disconnect = [&log](const Status& why, bool again) {
    log.Add(std::string("disconnect") + (again ? "+retry" : "") + ": " + why.message());
  };
  o.on_connect_error = [&log](const Status& why, bool again) {
    log.Add(std::string("connect_error") + (again ? "+retry" : "") + ": " + why.message());
  };
  return o;
}

// Starts a client of `server` (or of `endpoints`), with user and message registered and
// their row callbacks recorded, dispatching on a thread.
std::unique_ptr<Client> StartClient(std::vector<std::string> endpoints,
                                    std::optional<std::string> token = std::nullopt,
                                    bool reconnect = true,
                                    std::function<void(Options&)> adjust = {}) {
  auto c = std::make_unique<Client>();
  Options o = BaseOptions(std::move(endpoints), c->log, c.get());
  o.token = std::move(token);
  o.reconnect = reconnect;
  if (adjust) adjust(o);
  auto conn = Connection::Connect(std::move(o));
  EXPECT_TRUE(conn.ok()) << conn.status().message();
  if (!conn.ok()) return nullptr;
  c->conn = std::move(*conn);
  EXPECT_TRUE(c->conn->register_table("user", integration::UserRowType(), 0).ok());
  EXPECT_TRUE(c->conn->register_table("message", integration::MessageRowType(), std::nullopt).ok());
  Recorder& log = c->log;
  auto& user = c->conn->table("user");
  user.on_insert([&log](ByteView r) { log.Add("insert user " + UserLine(r)); });
  user.on_delete([&log](ByteView r) { log.Add("delete user " + UserLine(r)); });
  user.on_update([&log](ByteView a, ByteView b) {
    log.Add("update user " + UserLine(a) + " -> " + UserLine(b));
  });
  auto& message = c->conn->table("message");
  message.on_insert([&log](ByteView r) { log.Add("insert message " + MessageLine(r)); });
  message.on_delete([&log](ByteView r) { log.Add("delete message " + MessageLine(r)); });
  EXPECT_TRUE(c->conn->run_threaded().ok());
  return c;
}

std::string Endpoint(const ServerProcess& server) {
  return "ws://127.0.0.1:" + std::to_string(server.port());
}

std::unique_ptr<Client> StartClient(const ServerProcess& server,
                                    std::optional<std::string> token = std::nullopt) {
  return StartClient({Endpoint(server)}, std::move(token));
}

Bytes StringArg(const std::string& s) { return integration::StringArg(s); }

// Calls a reducer and waits for its result.
ReducerResult Call(Connection& conn, const std::string& reducer, const std::string& arg) {
  auto future = conn.call_reducer(reducer, StringArg(arg));
  if (!future.ok()) return ReducerResult{future.status(), 0};
  if (future->wait_for(kReceiveTimeout) != std::future_status::ready) {
    return ReducerResult{IoError("no reducer result within the timeout"), 0};
  }
  return future->get();
}

SubscribeCallbacks Recorded(Recorder& log, const std::string& name) {
  SubscribeCallbacks cb;
  cb.on_applied = [&log, name](SubscriptionHandle) { log.Add("applied " + name); };
  cb.on_error = [&log, name](SubscriptionHandle, const Status& s) {
    log.Add("error " + name + ": " + s.message());
  };
  cb.on_unsubscribed = [&log, name](SubscriptionHandle) { log.Add("unsubscribed " + name); };
  return cb;
}

using ClientSdkTest = integration::SharedChatServerTest;

TEST_F(ClientSdkTest, ConnectGivesIdentityAndATokenThatKeepsTheIdentity) {
  // on_connect reports the server's identity and token; reconnecting with the token
  // gets the same identity back.
  auto first = StartClient(server());
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->log.WaitFor("connect")) << first->log.Dump();
  ASSERT_TRUE(first->info.has_value());
  EXPECT_FALSE(first->info->token.empty());
  EXPECT_EQ(first->conn->identity(), first->info->identity);
  EXPECT_TRUE(first->conn->is_connected());

  auto second = StartClient(server(), first->info->token);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(second->log.WaitFor("connect")) << second->log.Dump();
  EXPECT_EQ(Hex(second->info->identity), Hex(first->info->identity));
  EXPECT_NE(second->info->connection_id, first->info->connection_id);
}

TEST_F(ClientSdkTest, SubscriptionDeliversInitialRowsThenLiveInsertsUpdatesAndDeletes) {
  // Initial rows arrive as inserts before on_applied; another client's reducer calls
  // then show up as inserts and primary-key updates, and rows leaving a filtered view
  // as deletes.
  auto writer = StartClient(server());
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->log.WaitFor("connect"));
  const std::string w = Hex(writer->info->identity);
  ASSERT_TRUE(Call(*writer->conn, "send_message", "sub-before").status.ok());

  auto reader = StartClient(server());
  ASSERT_NE(reader, nullptr);
  auto all = reader->conn->subscribe({"SELECT * FROM message", "SELECT * FROM user"},
                                     Recorded(reader->log, "all"));
  ASSERT_TRUE(all.ok());
  auto online = reader->conn->subscribe({"SELECT * FROM user WHERE online = true"},
                                        Recorded(reader->log, "online"));
  ASSERT_TRUE(online.ok());
  ASSERT_TRUE(reader->log.WaitFor("applied all")) << reader->log.Dump();
  ASSERT_TRUE(reader->log.WaitFor("applied online")) << reader->log.Dump();
  EXPECT_LT(reader->log.Position("insert message sub-before"), reader->log.Position("applied all"));
  // The writer's row is in both query sets but cached (and reported) once.
  EXPECT_EQ(reader->log.Count("insert user " + w + "/-/on"), 1u) << reader->log.Dump();

  ASSERT_TRUE(Call(*writer->conn, "send_message", "sub-live").status.ok());
  ASSERT_TRUE(reader->log.WaitFor("insert message sub-live")) << reader->log.Dump();

  ASSERT_TRUE(Call(*writer->conn, "set_name", "walt").status.ok());
  ASSERT_TRUE(reader->log.WaitFor("update user " + w + "/-/on -> " + w + "/walt/on"))
      << reader->log.Dump();
  auto found = reader->conn->table("user").find_by_primary_key(IdentityKey(writer->info->identity));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(UserLine(*found), w + "/walt/on");

  // The writer leaves: its row goes offline, which is an update for "all" and leaves
  // the "online" view. The row stays cached (held by "all"), so no delete fires; it is
  // one update, reported once.
  writer.reset();
  ASSERT_TRUE(reader->log.WaitFor("update user " + w + "/walt/on -> " + w + "/walt/off"))
      << reader->log.Dump();
  EXPECT_EQ(reader->log.Count("delete user " + w + "/walt/on"), 0u) << reader->log.Dump();
  EXPECT_EQ(reader->conn->table("message").count() >= 2, true);
}

TEST_F(ClientSdkTest, FilteredSubscriptionReportsRowsLeavingTheViewAsDeletes) {
  // A row that stops matching the only query set holding it is deleted from the cache.
  auto writer = StartClient(server());
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->log.WaitFor("connect"));
  const std::string w = Hex(writer->info->identity);
  const Identity w_id = writer->info->identity;
  auto reader = StartClient(server());
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(reader->conn->subscribe({"SELECT * FROM user WHERE online = true"},
                                      Recorded(reader->log, "online"))
                  .ok());
  ASSERT_TRUE(reader->log.WaitFor("applied online")) << reader->log.Dump();
  ASSERT_EQ(reader->log.Count("insert user " + w + "/-/on"), 1u) << reader->log.Dump();
  writer.reset();
  ASSERT_TRUE(reader->log.WaitFor("delete user " + w + "/-/on")) << reader->log.Dump();
  EXPECT_FALSE(reader->conn->table("user").find_by_primary_key(IdentityKey(w_id)).has_value());
}

TEST_F(ClientSdkTest, ReducerResultsReachTheCallbackAndTheFuture) {
  // Ok and the reducer's own error message arrive both ways, matched to their calls.
  auto c = StartClient(server());
  ASSERT_NE(c, nullptr);
  std::promise<ReducerResult> via_callback;
  auto ok = c->conn->call_reducer("send_message", StringArg("result-ok"),
                                  [&](const ReducerResult& r) { via_callback.set_value(r); });
  auto bad = c->conn->call_reducer("send_message", StringArg(""));
  ASSERT_TRUE(ok.ok() && bad.ok());
  ASSERT_EQ(ok->wait_for(kReceiveTimeout), std::future_status::ready);
  ASSERT_EQ(bad->wait_for(kReceiveTimeout), std::future_status::ready);
  const ReducerResult ok_result = ok->get();
  EXPECT_TRUE(ok_result.status.ok()) << ok_result.status.ToString();
  EXPECT_GT(ok_result.timestamp_micros, 0);
  EXPECT_TRUE(via_callback.get_future().get().status.ok());
  const ReducerResult bad_result = bad->get();
  EXPECT_EQ(bad_result.status.code(), ErrorCode::kReducerError);
  EXPECT_EQ(bad_result.status.message(), "Messages must not be empty");

  const ReducerResult unknown = Call(*c->conn, "no_such_reducer", "x");
  EXPECT_FALSE(unknown.status.ok());
  EXPECT_NE(unknown.status.code(), ErrorCode::kIo) << unknown.status.ToString();
}

TEST_F(ClientSdkTest, OneOffQueryReturnsRowsOrTheServersError) {
  // A one-off query answers with the matching rows; bad SQL with the server's message.
  auto c = StartClient(server());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(Call(*c->conn, "send_message", "one-off-1").status.ok());
  auto q = c->conn->one_off_query("SELECT * FROM message WHERE text = 'one-off-1'");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->wait_for(kReceiveTimeout), std::future_status::ready);
  QueryResult result = q->get();
  ASSERT_TRUE(result.status.ok()) << result.status.ToString();
  ASSERT_EQ(result.tables.size(), 1u);
  ASSERT_EQ(result.tables[0].rows.size(), 1u);
  EXPECT_EQ(MessageLine(result.tables[0].rows[0]), "one-off-1");
  EXPECT_EQ(c->conn->table("message").count(), 0u);  // no subscription, no cache

  auto bad = c->conn->one_off_query("SELEKT nonsense");
  ASSERT_TRUE(bad.ok());
  ASSERT_EQ(bad->wait_for(kReceiveTimeout), std::future_status::ready);
  QueryResult bad_result = bad->get();
  EXPECT_EQ(bad_result.status.code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(bad_result.status.message().empty());
}

TEST_F(ClientSdkTest, UnsubscribeDropsOnlyRowsNoOtherQuerySetHolds) {
  // Rows are reference-counted across query sets: ending one deletes only the rows the
  // other does not also hold.
  auto c = StartClient(server());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(Call(*c->conn, "send_message", "unsub-keep").status.ok());
  ASSERT_TRUE(Call(*c->conn, "send_message", "unsub-drop").status.ok());
  auto wide = c->conn->subscribe({"SELECT * FROM message"}, Recorded(c->log, "wide"));
  auto narrow = c->conn->subscribe({"SELECT * FROM message WHERE text = 'unsub-keep'"},
                                   Recorded(c->log, "narrow"));
  ASSERT_TRUE(wide.ok() && narrow.ok());
  ASSERT_TRUE(c->log.WaitFor("applied wide"));
  ASSERT_TRUE(c->log.WaitFor("applied narrow"));
  EXPECT_EQ(c->log.Count("insert message unsub-keep"), 1u);

  ASSERT_TRUE(c->conn->unsubscribe(*wide).ok());
  ASSERT_TRUE(c->log.WaitFor("unsubscribed wide")) << c->log.Dump();
  EXPECT_EQ(c->log.Count("delete message unsub-drop"), 1u) << c->log.Dump();
  EXPECT_EQ(c->log.Count("delete message unsub-keep"), 0u) << c->log.Dump();
  EXPECT_EQ(c->conn->table("message").count(), 1u);
  EXPECT_EQ(c->conn->unsubscribe(*wide).code(), ErrorCode::kNotFound);

  // Rows the server no longer sends for the ended set do not reach the cache.
  ASSERT_TRUE(Call(*c->conn, "send_message", "unsub-after").status.ok());
  EXPECT_EQ(c->conn->table("message").count(), 1u);
}

TEST_F(ClientSdkTest, BadSubscriptionQueryFailsThatQuerySetOnly) {
  // A query the server rejects ends its query set with on_error; the connection lives.
  auto c = StartClient(server());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->conn->subscribe({"SELECT * FROM no_such_table"}, Recorded(c->log, "bad")).ok());
  ASSERT_TRUE(c->log.WaitForPrefix("error bad: ").has_value()) << c->log.Dump();
  EXPECT_TRUE(Call(*c->conn, "send_message", "still-alive").status.ok());
}

// A port nothing listens on: bound, then closed (the kernel does not hand it out again
// at once, and nothing else in the test binds it).
uint16_t DeadPort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(
      ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

TEST_F(ClientSdkTest, RoundRobinEndpointsGetPastADeadNode) {
  // With a dead node first in the list, the first attempt fails and the next one, on the
  // next endpoint, connects.
  const std::string dead = "ws://127.0.0.1:" + std::to_string(DeadPort());
  auto c = StartClient({dead, Endpoint(server())});
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->log.WaitFor("connect")) << c->log.Dump();
  EXPECT_TRUE(c->log.WaitForPrefix("connect_error+retry: cannot connect to 127.0.0.1:").has_value())
      << c->log.Dump();
  EXPECT_LT(c->log.Position(*c->log.WaitForPrefix("connect_error")), c->log.Position("connect"));
  EXPECT_EQ(c->info->endpoint, "127.0.0.1:" + std::to_string(server().port()));
  EXPECT_TRUE(Call(*c->conn, "send_message", "via-round-robin").status.ok());
}

TEST_F(ClientSdkTest, RandomEndpointChoiceEventuallyConnects) {
  // Random choice keeps trying until it lands on a live node.
  const std::string dead = "ws://127.0.0.1:" + std::to_string(DeadPort());
  auto c = StartClient({dead, dead, Endpoint(server())}, std::nullopt, true, [](Options& o) {
    o.endpoint_choice = EndpointChoice::kRandom;
    o.random_seed = 7;
    o.reconnect_max_delay = std::chrono::milliseconds(50);
  });
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->log.WaitFor("connect")) << c->log.Dump();
}

TEST_F(ClientSdkTest, WithoutReconnectAFailedAttemptIsFinal) {
  // reconnect = false: the first failure ends run() with the error.
  Options o;
  o.endpoints = {"ws://127.0.0.1:" + std::to_string(DeadPort())};
  o.database = "chat";
  o.reconnect = false;
  auto conn = Connection::Connect(o);
  ASSERT_TRUE(conn.ok());
  auto call = (*conn)->call_reducer("send_message", StringArg("never"));
  ASSERT_TRUE(call.ok());
  const Status ended = (*conn)->run();
  EXPECT_EQ(ended.code(), ErrorCode::kIo);
  ASSERT_EQ(call->wait_for(kReceiveTimeout), std::future_status::ready);
  const ReducerResult r = call->get();
  EXPECT_EQ(r.status.code(), ErrorCode::kIo);
  EXPECT_NE(r.status.message().find("not sent"), std::string::npos) << r.status.message();
}

TEST_F(ClientSdkTest, FrameTickDispatchesOnTheCallersThread) {
  // Without run/run_threaded nothing is dispatched; frame_tick runs callbacks on the
  // calling thread.
  Options o;
  o.endpoints = {Endpoint(server())};
  o.database = "chat";
  std::thread::id callback_thread;
  bool connected = false;
  o.on_connect = [&](const ConnectInfo&) {
    callback_thread = std::this_thread::get_id();
    connected = true;
  };
  auto conn = Connection::Connect(o);
  ASSERT_TRUE(conn.ok());
  auto call = (*conn)->call_reducer("send_message", StringArg("ticked"));
  ASSERT_TRUE(call.ok());
  const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
  // Polling is the point of frame_tick: a game loop calls it once per frame.
  while (call->wait_for(std::chrono::milliseconds(0)) != std::future_status::ready &&
         std::chrono::steady_clock::now() < deadline) {
    (*conn)->frame_tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(call->wait_for(std::chrono::milliseconds(0)), std::future_status::ready);
  EXPECT_TRUE(call->get().status.ok());
  EXPECT_TRUE(connected);
  EXPECT_EQ(callback_thread, std::this_thread::get_id());
}

TEST_F(ClientSdkTest, FullInboxHoldsAtMostItsBoundAndLosesNothing) {
  // With a tiny inbox and an application that dispatches late, the SDK stops reading the
  // socket instead of queueing: each frame_tick finds at most the bound (plus the one
  // message read before the check) waiting, and every update still arrives in order.
  Options o;
  o.endpoints = {Endpoint(server())};
  o.database = "chat";
  o.inbox_messages_max = 2;
  auto conn = Connection::Connect(o);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->register_table("message", integration::MessageRowType(), std::nullopt).ok());
  std::vector<std::string> inserted;
  (*conn)->table("message").on_insert([&](ByteView r) {
    if (MessageLine(r).starts_with("bp-")) inserted.push_back(MessageLine(r));
  });
  bool applied = false;
  SubscribeCallbacks cb;
  cb.on_applied = [&](SubscriptionHandle) { applied = true; };
  ASSERT_TRUE((*conn)->subscribe({"SELECT * FROM message"}, cb).ok());
  const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
  while (!applied && std::chrono::steady_clock::now() < deadline) {
    (*conn)->frame_tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(applied);
  const size_t before = inserted.size();

  auto writer = StartClient(server());
  ASSERT_NE(writer, nullptr);
  constexpr size_t kMessages = 20;
  for (size_t i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(Call(*writer->conn, "send_message", "bp-" + std::to_string(i)).status.ok());
  }
  while (inserted.size() < before + kMessages && std::chrono::steady_clock::now() < deadline) {
    EXPECT_LE((*conn)->frame_tick(), o.inbox_messages_max + 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(inserted.size(), before + kMessages);
  for (size_t i = 0; i < kMessages; ++i) EXPECT_EQ(inserted[before + i], "bp-" + std::to_string(i));
}

TEST(ClientSdkReconnect, RestoresSubscriptionsReconcilesTheCacheAndCallsWorkAgain) {
  // After the server stops and comes back on the same port and data, the client
  // reconnects, restores its query sets and ends with exactly the server's rows; rows
  // that did not change fire no callbacks, new ones fire on_insert once.
  ServerProcess::Options options;
  options.module_path = integration::kQuickstartModule;
  options.keep_port = true;
  auto started = ServerProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status().message();
  auto& server = **started;

  auto c = StartClient({Endpoint(server)});
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->conn->subscribe({"SELECT * FROM message"}, Recorded(c->log, "messages")).ok());
  ASSERT_TRUE(c->log.WaitFor("applied messages"));
  ASSERT_TRUE(Call(*c->conn, "send_message", "rc-1").status.ok());
  ASSERT_TRUE(Call(*c->conn, "send_message", "rc-2").status.ok());
  ASSERT_TRUE(c->log.WaitFor("insert message rc-2"));

  const auto stopped = server.Stop();
  ASSERT_TRUE(stopped.clean) << stopped.description;
  ASSERT_TRUE(c->log.WaitForPrefix("disconnect+retry: ").has_value()) << c->log.Dump();
  // While the server is down, calls cannot be sent; they fail instead of waiting forever.
  const ReducerResult down = Call(*c->conn, "send_message", "rc-down");
  EXPECT_EQ(down.status.code(), ErrorCode::kIo) << down.status.ToString();

  ASSERT_TRUE(server.StartAgain().ok());
  // Another client adds a row that the first sees only through reconciliation (or live,
  // if it reconnected first): either way exactly one insert.
  auto other = StartClient({Endpoint(server)});
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(Call(*other->conn, "send_message", "rc-3").status.ok());
  ASSERT_TRUE(c->log.WaitFor("reconnect")) << c->log.Dump();
  ASSERT_TRUE(c->log.WaitFor("insert message rc-3")) << c->log.Dump();

  const ReducerResult after = Call(*c->conn, "send_message", "rc-4");
  ASSERT_TRUE(after.status.ok()) << after.status.ToString();
  ASSERT_TRUE(c->log.WaitFor("insert message rc-4")) << c->log.Dump();
  for (const char* text : {"rc-1", "rc-2", "rc-3", "rc-4"}) {
    EXPECT_EQ(c->log.Count(std::string("insert message ") + text), 1u) << text << c->log.Dump();
    EXPECT_EQ(c->log.Count(std::string("delete message ") + text), 0u) << text << c->log.Dump();
  }
  EXPECT_EQ(c->log.Count("insert message rc-down"), 0u);
  EXPECT_EQ(c->log.Count("applied messages"), 1u);  // restored silently

  // The cache equals what the server says.
  auto q = c->conn->one_off_query("SELECT * FROM message");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->wait_for(kReceiveTimeout), std::future_status::ready);
  QueryResult all = q->get();
  ASSERT_TRUE(all.status.ok());
  std::vector<std::string> server_rows, cached_rows;
  for (const auto& row : all.tables.at(0).rows) server_rows.push_back(MessageLine(row));
  for (const auto& row : c->conn->table("message").rows()) cached_rows.push_back(MessageLine(row));
  std::sort(server_rows.begin(), server_rows.end());
  std::sort(cached_rows.begin(), cached_rows.end());
  EXPECT_EQ(cached_rows, server_rows);
  EXPECT_EQ(c->conn->connections_made(), 2u);
}

// ---- A scripted peer ----

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::asio::ip::tcp;

// Accepts one WebSocket connection on 127.0.0.1, agrees to v2, and runs `script` on it.
class ScriptedPeer {
 public:
  using Script = std::function<void(websocket::stream<tcp::socket>&)>;
  explicit ScriptedPeer(Script script)
      : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, script = std::move(script)] {
      beast::error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      websocket::stream<tcp::socket> ws(std::move(socket));
      ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(beast::http::field::sec_websocket_protocol, "v2.bsatn.spacetimedb");
      }));
      ws.accept(ec);
      if (ec) return;
      ws.binary(true);
      script(ws);
    });
  }
  ~ScriptedPeer() { thread_.join(); }
  std::string endpoint() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

  static void Send(websocket::stream<tcp::socket>& ws, const protocol::ServerMessage& m) {
    Bytes frame = {0};  // compression tag: none
    protocol::EncodeServerMessage(m, frame);
    beast::error_code ec;
    ws.write(boost::asio::buffer(frame), ec);
  }
  static void Hello(websocket::stream<tcp::socket>& ws) {
    Send(ws, protocol::InitialConnection{U256::FromU64(1), 2, "token"});
  }

 private:
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(ClientSdkPeer, CallInFlightWhenTheConnectionDropsFailsAsConnectionLost) {
  // A call the server received but never answered fails with "connection lost" when the
  // connection drops, and is not sent again.
  std::atomic<int> calls_seen{0};
  ScriptedPeer peer([&](websocket::stream<tcp::socket>& ws) {
    ScriptedPeer::Hello(ws);
    beast::flat_buffer buffer;
    beast::error_code ec;
    ws.read(buffer, ec);
    if (ec) return;
    const auto data = buffer.cdata();
    ByteReader r(ByteView(static_cast<const uint8_t*>(data.data()), data.size()));
    auto m = protocol::DecodeClientMessage(r);
    if (m.ok() && std::holds_alternative<protocol::CallReducer>(*m)) ++calls_seen;
    ws.next_layer().close(ec);  // drop without an answer
  });
  Recorder log;
  Options o = BaseOptions({peer.endpoint()}, log, nullptr);
  o.reconnect = false;
  auto conn = Connection::Connect(o);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->run_threaded().ok());
  ASSERT_TRUE(log.WaitFor("connect"));
  auto call = (*conn)->call_reducer("send_message", StringArg("lost"));
  ASSERT_TRUE(call.ok());
  ASSERT_EQ(call->wait_for(kReceiveTimeout), std::future_status::ready);
  const ReducerResult r = call->get();
  EXPECT_EQ(r.status.code(), ErrorCode::kIo);
  EXPECT_TRUE(r.status.message().starts_with("connection lost")) << r.status.message();
  EXPECT_EQ(calls_seen.load(), 1);
  ASSERT_TRUE(log.WaitForPrefix("disconnect: ").has_value()) << log.Dump();
}

void MalformedPeerTest(Bytes frame, const std::string& expected_error) {
  ScriptedPeer peer([&](websocket::stream<tcp::socket>& ws) {
    ScriptedPeer::Hello(ws);
    beast::error_code ec;
    ws.write(boost::asio::buffer(frame), ec);
    beast::flat_buffer buffer;
    ws.read(buffer, ec);  // until the client closes
  });
  Recorder log;
  Options o = BaseOptions({peer.endpoint()}, log, nullptr);
  o.reconnect = false;
  auto conn = Connection::Connect(o);
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->register_table("message", integration::MessageRowType(), std::nullopt).ok());
  ASSERT_TRUE((*conn)->run_threaded().ok());
  auto line = log.WaitForPrefix("disconnect: ");
  ASSERT_TRUE(line.has_value()) << log.Dump();
  EXPECT_NE(line->find(expected_error), std::string::npos) << *line;
}

TEST(ClientSdkPeer, MalformedFramesCloseTheConnectionWithAClearError) {
  // Garbage, an unknown compression tag, trailing bytes and a row that does not match
  // its table's type each end the connection with an error saying so, never a crash.
  MalformedPeerTest({0, 0xee, 1, 2}, "malformed message from the server");
  MalformedPeerTest({9, 0}, "malformed frame from the server");
  Bytes trailing = {0};
  protocol::EncodeServerMessage(protocol::TransactionUpdate{}, trailing);
  trailing.push_back(0);
  MalformedPeerTest(trailing, "trailing bytes");

  protocol::TransactionUpdate update;
  protocol::TableUpdate table;
  table.table_name = "message";
  table.inserts = protocol::BsatnRowList::FromRows(std::vector<Bytes>{Bytes{1, 2, 3}});
  update.query_sets.push_back(protocol::QuerySetUpdate{0, {table}});
  Bytes bad_row = {0};
  protocol::EncodeServerMessage(update, bad_row);
  MalformedPeerTest(bad_row, "malformed row of table 'message'");

  Bytes second_hello = {0};
  protocol::EncodeServerMessage(protocol::InitialConnection{U256::FromU64(1), 2, "t"}, second_hello);
  MalformedPeerTest(second_hello, "InitialConnection twice");
}

}  // namespace
}  // namespace stdb::client
