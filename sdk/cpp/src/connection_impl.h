// Private to sdk/cpp/src: the connection's state, shared by connection_io.cc (the IO
// thread), connection_dispatch.cc (the dispatcher and the row cache) and connection.cc
// (the public API).
//
// The client SDK's connection: an IO thread (Boost.Beast WebSocket, reconnection) feeding
// a bounded inbox, and a dispatcher that applies messages to the row cache and runs the
// application's callbacks. Contracts and thread model: include/stdb/client.h.
//
// Invariants:
// - IO state (session, outbox, in_flight, failures, ...) is touched only on the IO
//   thread; dispatch state (tables, resync, connected, ...) only under dispatch_mu_.
// - A pending reducer call or query is completed exactly once: by its result, by the
//   Disconnected event of the connection it was written to (sent_gen), by a
//   RequestFailed event when it was never written, or by the destructor.
// - inbox_messages counts the server messages in inbox; the IO thread starts a read
//   only while it is below inbox_messages_max, so the inbox never holds more than
//   inbox_messages_max + 1 of them (control events are bounded by the requests and
//   connection attempts that cause them).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <variant>

#include "base/assert.h"
#include "net/compression.h"
#include "protocol/messages.h"
#include "sats/bsatn.h"
#include "stdb/client.h"

namespace stdb::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;

// Internal to the SDK's source files (connection*.cc).
namespace detail {

inline constexpr const char* kSubprotocol = "v2.bsatn.spacetimedb";
// A connection with no traffic for this long is pinged; one silent for twice this long
// is closed, so a server that vanished without closing its sockets is noticed.
inline constexpr auto kIdleTimeout = std::chrono::seconds(30);
// stop() closes politely; the close handshake gives up after this.
inline constexpr auto kCloseTimeout = std::chrono::seconds(2);

struct Outgoing {
  enum class Kind : uint8_t { kCall, kQuery, kSubscription };
  Kind kind = Kind::kSubscription;
  uint32_t request_id = 0;
  bool counted = false;  // counts against outbox_count_ (application messages)
  Bytes frame;
};

struct ConnectedEvent {
  protocol::InitialConnection hello;
  std::string endpoint;
  std::vector<uint32_t> resubscribed;
};
struct MessageEvent {
  protocol::ServerMessage message;
};
struct DisconnectedEvent {
  uint64_t gen = 0;
  Status why;
  bool will_reconnect = false;
};
struct ConnectErrorEvent {
  Status why;
  bool will_retry = false;
};
struct RequestFailedEvent {
  uint32_t request_id = 0;
  Status why;
};
struct LocalUnsubscribedEvent {
  uint32_t query_set_id = 0;
};
using Event = std::variant<ConnectedEvent, MessageEvent, DisconnectedEvent, ConnectErrorEvent,
                           RequestFailedEvent, LocalUnsubscribedEvent>;

inline std::string Key(ByteView row) { return std::string(AsStringView(row)); }
inline ByteView View(const std::string& s) { return AsBytes(s); }

// One connection attempt and, once open, the connection.
struct Session {
  explicit Session(asio::io_context& ioc) : resolver(ioc), ws(ioc) {}
  tcp::resolver resolver;
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  websocket::response_type response;
  Endpoint endpoint;
  std::string endpoint_text;
  uint64_t gen = 0;
  bool open = false;
  bool dead = false;
  bool reading = false;
  bool greeted = false;  // InitialConnection arrived (it must be first, and only once)
  std::set<uint32_t> sent_sets;  // query sets subscribed on this connection
  std::vector<uint32_t> resubscribed;
};

// Row changes of one table in one update, as row bytes.
struct TableDelta {
  std::vector<ByteView> inserts;
  std::vector<ByteView> deletes;
};
using Delta = std::map<std::string, TableDelta>;

inline void AddRows(Delta& delta, const std::string& table, const protocol::BsatnRowList& list,
             bool inserts) {
  auto& d = delta[table];
  for (ByteView row : list.Rows()) (inserts ? d.inserts : d.deletes).push_back(row);
}

inline Delta DeltaOf(const protocol::TransactionUpdate& update) {
  Delta delta;
  for (const auto& qs : update.query_sets) {
    for (const auto& t : qs.tables) {
      AddRows(delta, t.table_name, t.inserts, true);
      AddRows(delta, t.table_name, t.deletes, false);
    }
  }
  return delta;
}

inline Delta DeltaOf(const protocol::QueryRows& rows, bool inserts) {
  Delta delta;
  for (const auto& t : rows.tables) AddRows(delta, t.table, t.rows, inserts);
  return delta;
}

}  // namespace detail
using namespace detail;

struct ConnectionImpl {
  struct SubscriptionEntry {
    std::vector<std::string> queries;
    SubscribeCallbacks callbacks;
    bool unsubscribing = false;
  };
  struct TableType {
    sats::AlgebraicType row_type;
    std::optional<uint16_t> primary_key;
  };
  // A reducer call or one-off query awaiting its result.
  template <typename R>
  struct Pending {
    std::promise<R> promise;
    std::function<void(const R&)> callback;
    uint64_t sent_gen = 0;  // 0: not yet written to a connection
  };
  using PendingCall = Pending<ReducerResult>;
  using PendingQuery = Pending<QueryResult>;
  struct TableState {
    std::unique_ptr<TableCache> handle;
    std::unordered_map<std::string, uint32_t> rows;  // row bytes -> reference count
    std::unordered_map<std::string, std::string> by_key;  // primary key bytes -> row bytes
    std::map<CallbackId, std::function<void(ByteView)>> on_insert;
    std::map<CallbackId, std::function<void(ByteView)>> on_delete;
    std::map<CallbackId, std::function<void(ByteView, ByteView)>> on_update;
  };
  // After a reconnection, the restored query sets' rows gather here; once every query
  // set has answered, the cache is reconciled with them in one step.
  struct Resync {
    std::set<uint32_t> awaiting;
    std::map<std::string, std::unordered_map<std::string, uint32_t>> rows;
    std::vector<uint32_t> deferred_applied;
  };

  explicit ConnectionImpl(Options o)
      : options(std::move(o)), retry_timer(ioc), work(asio::make_work_guard(ioc)) {
    rng.seed(options.random_seed ? *options.random_seed : std::random_device{}());
    if (options.token) current_token = *options.token;
  }

  Options options;
  std::vector<Endpoint> endpoints;

  // ---- Registry: subscriptions and table types (reg_mu) ----
  std::mutex reg_mu;
  std::map<uint32_t, SubscriptionEntry> subscriptions;
  std::map<std::string, TableType> table_types;

  // ---- Pending requests (pending_mu) ----
  std::mutex pending_mu;
  std::map<uint32_t, PendingCall> calls;
  std::map<uint32_t, PendingQuery> queries;

  std::atomic<uint32_t> next_request_id{0};
  std::atomic<uint32_t> next_query_set_id{0};
  std::atomic<size_t> outbox_count{0};

  // ---- Inbox (inbox_mu) ----
  std::mutex inbox_mu;
  std::condition_variable inbox_cv;
  std::deque<Event> inbox;
  size_t inbox_messages = 0;
  bool read_paused = false;
  bool stop_requested = false;
  bool final_reached = false;
  Status final_status;
  bool dispatch_running = false;
  std::atomic<bool> stopping{false};  // stop() was called: new requests fail at once

  // ---- Dispatch state (dispatch_mu) ----
  mutable std::recursive_mutex dispatch_mu;
  std::map<std::string, TableState> tables;
  CallbackId next_callback_id = 1;
  bool connected = false;
  std::optional<Identity> identity;
  std::optional<std::string> token;
  uint64_t connections = 0;
  std::optional<Resync> resync;

  // ---- IO thread ----
  asio::io_context ioc;
  asio::steady_timer retry_timer;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread io_thread;
  std::thread dispatch_thread;
  std::shared_ptr<Session> session;
  std::deque<Outgoing> outbox;
  std::optional<Outgoing> in_flight;  // the frame async_write is sending
  bool io_stopped = false;  // stop() or a final failure: no more attempts
  uint32_t failures = 0;
  size_t next_endpoint = 0;
  uint64_t gen_counter = 0;
  std::mt19937_64 rng;
  std::string current_token;

  // IO thread.
  void StartAttempt();
  void OnConnected(const std::shared_ptr<Session>& s);
  void OnHandshake(const std::shared_ptr<Session>& s);
  void OnOpen(const std::shared_ptr<Session>& s);
  void StartRead(const std::shared_ptr<Session>& s);
  void OnRead(const std::shared_ptr<Session>& s, beast::error_code ec);
  Status ValidateRows(const protocol::ServerMessage& message);
  void Fail(const std::shared_ptr<Session>& s, Status why);
  void FailHeldOutbox(const Status& why);
  void Enqueue(Outgoing out);
  void StartWrite();
  void SendSubscribe(uint32_t query_set_id);
  void SendUnsubscribe(uint32_t query_set_id);
  void StopIo();
  bool IsOpen() const { return session && session->open && !session->dead; }
  void Push(Event event, bool is_message);

  // Dispatcher.
  void Dispatch(Event& event);
  void OnMessage(protocol::ServerMessage& message);
  void OnDisconnected(DisconnectedEvent& e);
  void OnSubscribeApplied(protocol::SubscribeApplied& m);
  void ApplyDelta(const Delta& delta);
  void FireChanges(TableState& t, const std::string& name, std::vector<std::string> deleted,
                   std::vector<std::string> inserted);
  void FinishResync();
  void ForgetAwaited(uint32_t query_set_id);
  // Removes a subscription that ended (unsubscribed, or refused by the server) and hands
  // back its callbacks; false if it is not registered (any more).
  bool TakeSubscription(uint32_t query_set_id, SubscribeCallbacks& callbacks);
  TableState& Table(const std::string& name);
  std::optional<std::string> PrimaryKeyOf(const std::string& table, const std::string& row);
  // Completes (callback, then future) and forgets the request, if it is still pending.
  template <typename R>
  void Complete(std::map<uint32_t, Pending<R>>& pending, uint32_t request_id, R result) {
    Pending<R> request;
    {
      std::lock_guard lock(pending_mu);
      auto it = pending.find(request_id);
      if (it == pending.end()) return;
      request = std::move(it->second);
      pending.erase(it);
    }
    if (request.callback) request.callback(result);
    request.promise.set_value(std::move(result));
  }
  void CompleteCall(uint32_t request_id, ReducerResult result) {
    Complete(calls, request_id, std::move(result));
  }
  void CompleteQuery(uint32_t request_id, QueryResult result) {
    Complete(queries, request_id, std::move(result));
  }
  void FailSent(uint64_t gen, const Status& why);
  void SetFinal(const Status& why);
  bool PopEvent(Event& out, bool wait, size_t* budget);
};

}  // namespace stdb::client
