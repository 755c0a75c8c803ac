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

namespace {

constexpr const char* kSubprotocol = "v2.bsatn.spacetimedb";
// A connection with no traffic for this long is pinged; one silent for twice this long
// is closed, so a server that vanished without closing its sockets is noticed.
constexpr auto kIdleTimeout = std::chrono::seconds(30);
// stop() closes politely; the close handshake gives up after this.
constexpr auto kCloseTimeout = std::chrono::seconds(2);

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

std::string Key(ByteView row) { return std::string(AsStringView(row)); }
ByteView View(const std::string& s) { return AsBytes(s); }

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

void AddRows(Delta& delta, const std::string& table, const protocol::BsatnRowList& list,
             bool inserts) {
  auto& d = delta[table];
  for (ByteView row : list.Rows()) (inserts ? d.inserts : d.deletes).push_back(row);
}

Delta DeltaOf(const protocol::TransactionUpdate& update) {
  Delta delta;
  for (const auto& qs : update.query_sets) {
    for (const auto& t : qs.tables) {
      AddRows(delta, t.table_name, t.inserts, true);
      AddRows(delta, t.table_name, t.deletes, false);
    }
  }
  return delta;
}

Delta DeltaOf(const protocol::QueryRows& rows, bool inserts) {
  Delta delta;
  for (const auto& t : rows.tables) AddRows(delta, t.table, t.rows, inserts);
  return delta;
}

}  // namespace

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
  struct PendingCall {
    std::promise<ReducerResult> promise;
    std::function<void(const ReducerResult&)> callback;
    uint64_t sent_gen = 0;  // 0: not yet written to a connection
  };
  struct PendingQuery {
    std::promise<QueryResult> promise;
    std::function<void(const QueryResult&)> callback;
    uint64_t sent_gen = 0;
  };
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
  TableState& Table(const std::string& name);
  std::optional<std::string> PrimaryKeyOf(const std::string& table, const std::string& row);
  void CompleteCall(uint32_t request_id, ReducerResult result);
  void CompleteQuery(uint32_t request_id, QueryResult result);
  void FailSent(uint64_t gen, const Status& why);
  void SetFinal(const Status& why);
  bool PopEvent(Event& out, bool wait, size_t* budget);
};

// ---------------------------------------------------------------------------------------
// IO thread

void ConnectionImpl::Push(Event event, bool is_message) {
  {
    std::lock_guard lock(inbox_mu);
    inbox.push_back(std::move(event));
    if (is_message) ++inbox_messages;
  }
  inbox_cv.notify_all();
}

void ConnectionImpl::StartAttempt() {
  if (io_stopped) return;
  STDB_ASSERT(!endpoints.empty());
  {
    // Bounded: every failed attempt queues an event, so while the application is not
    // dispatching (a full inbox) no new attempt starts; the check repeats after the
    // longest backoff delay.
    std::lock_guard lock(inbox_mu);
    if (inbox.size() >= options.inbox_messages_max) {
      retry_timer.expires_after(options.reconnect_max_delay);
      retry_timer.async_wait([this](beast::error_code ec) {
        if (!ec) StartAttempt();
      });
      return;
    }
  }
  size_t index = 0;
  if (options.endpoint_choice == EndpointChoice::kRandom) {
    index = std::uniform_int_distribution<size_t>(0, endpoints.size() - 1)(rng);
  } else {
    index = next_endpoint++ % endpoints.size();
  }
  auto s = std::make_shared<Session>(ioc);
  s->gen = ++gen_counter;
  s->endpoint = endpoints[index];
  s->endpoint_text = s->endpoint.host + ":" + std::to_string(s->endpoint.port);
  session = s;
  s->resolver.async_resolve(
      s->endpoint.host, std::to_string(s->endpoint.port),
      [this, s](beast::error_code ec, const tcp::resolver::results_type& results) {
        if (s->dead) return;
        if (ec) return Fail(s, IoError("cannot resolve " + s->endpoint.host + ": " + ec.message()));
        auto& lowest = beast::get_lowest_layer(s->ws);
        lowest.expires_after(kConnectTimeout);
        lowest.async_connect(results, [this, s](beast::error_code e, const tcp::endpoint&) {
          if (s->dead) return;
          if (e) return Fail(s, IoError("cannot connect to " + s->endpoint_text + ": " + e.message()));
          OnConnected(s);
        });
      });
}

void ConnectionImpl::OnConnected(const std::shared_ptr<Session>& s) {
  beast::error_code ignored;
  // Frames leave whole instead of waiting for the peer's delayed ACK.
  beast::get_lowest_layer(s->ws).socket().set_option(tcp::no_delay(true), ignored);
  const std::string bearer = current_token;
  s->ws.set_option(websocket::stream_base::decorator([bearer](websocket::request_type& req) {
    req.set(http::field::sec_websocket_protocol, kSubprotocol);
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  }));
  s->ws.read_message_max(kServerFrameBytesMax);
  const std::string target = "/v1/database/" + options.database + "/subscribe?compression=None";
  s->ws.async_handshake(s->response, s->endpoint_text, target, [this, s](beast::error_code ec) {
    if (s->dead) return;
    if (ec) {
      const int code = s->response.result_int();
      std::string why = "WebSocket handshake with " + s->endpoint_text + " failed: ";
      why += code != 0 ? "HTTP " + std::to_string(code) + " " + s->response.body() : ec.message();
      return Fail(s, IoError(why));
    }
    OnHandshake(s);
  });
}

void ConnectionImpl::OnHandshake(const std::shared_ptr<Session>& s) {
  const auto chosen = s->response[http::field::sec_websocket_protocol];
  if (chosen != kSubprotocol) {
    return Fail(s, Status(ErrorCode::kUnsupported,
                          "server at " + s->endpoint_text + " chose subprotocol '" +
                              std::string(chosen) + "', not " + kSubprotocol));
  }
  beast::get_lowest_layer(s->ws).expires_never();
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = kCloseTimeout;
  timeouts.idle_timeout = kIdleTimeout;
  timeouts.keep_alive_pings = true;
  s->ws.set_option(timeouts);
  s->ws.binary(true);
  OnOpen(s);
}

void ConnectionImpl::OnOpen(const std::shared_ptr<Session>& s) {
  s->open = true;
  // Restore every live query set first, so their rows precede anything the held calls
  // change. Query sets whose unsubscribe was interrupted are simply not restored.
  std::vector<Outgoing> restore;
  std::vector<uint32_t> dropped;
  {
    std::lock_guard lock(reg_mu);
    for (auto it = subscriptions.begin(); it != subscriptions.end();) {
      if (it->second.unsubscribing) {
        dropped.push_back(it->first);
        ++it;
        continue;
      }
      Outgoing out;
      protocol::Subscribe msg{next_request_id++, it->first, it->second.queries};
      protocol::EncodeClientMessage(msg, out.frame);
      restore.push_back(std::move(out));
      s->sent_sets.insert(it->first);
      s->resubscribed.push_back(it->first);
      ++it;
    }
  }
  for (uint32_t id : dropped) Push(LocalUnsubscribedEvent{id}, false);
  // (Entries stay in the registry until the dispatcher reports them ended.)
  for (auto it = restore.rbegin(); it != restore.rend(); ++it) outbox.push_front(std::move(*it));
  StartWrite();
  StartRead(s);
}

void ConnectionImpl::StartRead(const std::shared_ptr<Session>& s) {
  if (s->dead || !s->open || s->reading) return;
  {
    std::lock_guard lock(inbox_mu);
    if (inbox_messages >= options.inbox_messages_max) {
      // Backpressure: the socket is not read until the dispatcher drains the inbox.
      read_paused = true;
      return;
    }
  }
  s->reading = true;
  s->ws.async_read(s->buffer, [this, s](beast::error_code ec, size_t) { OnRead(s, ec); });
}

void ConnectionImpl::OnRead(const std::shared_ptr<Session>& s, beast::error_code ec) {
  s->reading = false;
  if (s->dead) return;
  if (ec) {
    const auto& reason = s->ws.reason();
    if (ec == websocket::error::closed || reason.code != websocket::close_code::none) {
      return Fail(s, IoError("connection closed by the server (code " +
                             std::to_string(static_cast<int>(reason.code)) + ", reason '" +
                             std::string(reason.reason.c_str()) + "')"));
    }
    return Fail(s, IoError("connection to " + s->endpoint_text + " lost: " + ec.message()));
  }
  if (!s->ws.got_binary()) return Fail(s, DecodeError("server sent a text frame"));
  const auto data = s->buffer.cdata();
  ByteView frame(static_cast<const uint8_t*>(data.data()), data.size());
  auto payload = net::DecodeServerFrame(frame);
  s->buffer.consume(s->buffer.size());
  if (!payload.ok()) {
    return Fail(s, DecodeError("malformed frame from the server: " + payload.status().message()));
  }
  ByteReader reader(*payload);
  auto message = protocol::DecodeServerMessage(reader);
  if (!message.ok()) {
    return Fail(s, DecodeError("malformed message from the server: " + message.status().message()));
  }
  if (!reader.at_end()) {
    return Fail(s, DecodeError("malformed message from the server: " +
                               std::to_string(reader.remaining()) + " trailing bytes"));
  }
  if (Status valid = ValidateRows(*message); !valid.ok()) return Fail(s, valid);
  const bool is_hello = std::holds_alternative<protocol::InitialConnection>(*message);
  if (is_hello == s->greeted) {
    return Fail(s, DecodeError(is_hello ? "server sent InitialConnection twice"
                                        : "server sent a message before InitialConnection"));
  }
  if (auto* hello = std::get_if<protocol::InitialConnection>(&*message)) {
    s->greeted = true;
    current_token = hello->token;
    failures = 0;
    Push(ConnectedEvent{std::move(*hello), s->endpoint_text, s->resubscribed}, true);
  } else {
    Push(MessageEvent{std::move(*message)}, true);
  }
  StartRead(s);
}

Status ConnectionImpl::ValidateRows(const protocol::ServerMessage& message) {
  std::lock_guard lock(reg_mu);
  auto check = [&](const std::string& table, const protocol::BsatnRowList& list) -> Status {
    auto it = table_types.find(table);
    if (it == table_types.end()) return Status::Ok();
    for (ByteView row : list.Rows()) {
      if (Status s = sats::ValidateBsatn(it->second.row_type, row); !s.ok()) {
        return DecodeError("malformed row of table '" + table + "' from the server: " + s.message());
      }
    }
    return Status::Ok();
  };
  auto check_update = [&](const protocol::TransactionUpdate& u) -> Status {
    for (const auto& qs : u.query_sets) {
      for (const auto& t : qs.tables) {
        STDB_RETURN_IF_ERROR(check(t.table_name, t.inserts));
        STDB_RETURN_IF_ERROR(check(t.table_name, t.deletes));
      }
    }
    return Status::Ok();
  };
  auto check_rows = [&](const protocol::QueryRows& rows) -> Status {
    for (const auto& t : rows.tables) STDB_RETURN_IF_ERROR(check(t.table, t.rows));
    return Status::Ok();
  };
  if (auto* m = std::get_if<protocol::SubscribeApplied>(&message)) return check_rows(m->rows);
  if (auto* m = std::get_if<protocol::UnsubscribeApplied>(&message)) {
    return m->rows ? check_rows(*m->rows) : Status::Ok();
  }
  if (auto* m = std::get_if<protocol::TransactionUpdate>(&message)) return check_update(*m);
  if (auto* m = std::get_if<protocol::ReducerResult>(&message)) {
    if (m->outcome.kind == protocol::ReducerOutcome::Kind::kOk) return check_update(m->outcome.update);
  }
  return Status::Ok();
}

void ConnectionImpl::Fail(const std::shared_ptr<Session>& s, Status why) {
  if (s->dead) return;
  s->dead = true;
  beast::error_code ignored;
  beast::get_lowest_layer(s->ws).socket().close(ignored);
  // Restores and unsubscribes belong to this connection; the next one sends its own.
  std::erase_if(outbox, [](const Outgoing& o) { return o.kind == Outgoing::Kind::kSubscription; });
  const bool will_retry = options.reconnect && !io_stopped;
  if (s->open) {
    Push(DisconnectedEvent{s->gen, why, will_retry}, false);
  } else {
    FailHeldOutbox(why);
    Push(ConnectErrorEvent{why, will_retry}, false);
  }
  if (!will_retry) {
    io_stopped = true;
    FailHeldOutbox(why);
    return;
  }
  ++failures;
  auto delay = BackoffDelay(options, failures);
  const double scale =
      1.0 - options.reconnect_jitter * std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  delay = std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(delay.count()) * scale));
  retry_timer.expires_after(delay);
  retry_timer.async_wait([this](beast::error_code ec) {
    if (!ec) StartAttempt();
  });
}

void ConnectionImpl::FailHeldOutbox(const Status& why) {
  for (Outgoing& o : outbox) {
    if (o.counted) --outbox_count;
    if (o.kind != Outgoing::Kind::kSubscription) {
      Push(RequestFailedEvent{o.request_id, IoError("not sent: " + why.message())}, false);
    }
  }
  outbox.clear();
}

void ConnectionImpl::Enqueue(Outgoing out) {
  if (io_stopped) {
    if (out.counted) --outbox_count;
    if (out.kind != Outgoing::Kind::kSubscription) {
      Push(RequestFailedEvent{out.request_id, IoError("connection closed")}, false);
    }
    return;
  }
  outbox.push_back(std::move(out));
  StartWrite();
}

void ConnectionImpl::StartWrite() {
  if (in_flight || !IsOpen() || outbox.empty()) return;
  auto s = session;
  in_flight = std::move(outbox.front());
  outbox.pop_front();
  if (in_flight->kind != Outgoing::Kind::kSubscription) {
    // From here on the request counts as sent on this connection: if it drops, the
    // request fails as "connection lost" and is never written again.
    std::lock_guard lock(pending_mu);
    if (in_flight->kind == Outgoing::Kind::kCall) {
      if (auto it = calls.find(in_flight->request_id); it != calls.end()) it->second.sent_gen = s->gen;
    } else if (auto it = queries.find(in_flight->request_id); it != queries.end()) {
      it->second.sent_gen = s->gen;
    }
  }
  s->ws.async_write(asio::buffer(in_flight->frame), [this, s](beast::error_code ec, size_t) {
    STDB_ASSERT(in_flight.has_value());
    if (in_flight->counted) --outbox_count;
    in_flight.reset();
    if (ec) return Fail(s, IoError("write to " + s->endpoint_text + " failed: " + ec.message()));
    StartWrite();
  });
}

void ConnectionImpl::SendSubscribe(uint32_t query_set_id) {
  if (!IsOpen() || session->sent_sets.contains(query_set_id)) return;  // OnOpen sends it
  Outgoing out;
  {
    std::lock_guard lock(reg_mu);
    auto it = subscriptions.find(query_set_id);
    if (it == subscriptions.end() || it->second.unsubscribing) return;
    protocol::Subscribe msg{next_request_id++, query_set_id, it->second.queries};
    protocol::EncodeClientMessage(msg, out.frame);
  }
  session->sent_sets.insert(query_set_id);
  out.counted = true;
  ++outbox_count;
  Enqueue(std::move(out));
}

void ConnectionImpl::SendUnsubscribe(uint32_t query_set_id) {
  if (IsOpen() && session->sent_sets.contains(query_set_id)) {
    Outgoing out;
    protocol::Unsubscribe msg{next_request_id++, query_set_id,
                              protocol::UnsubscribeFlags::kSendDroppedRows};
    protocol::EncodeClientMessage(msg, out.frame);
    session->sent_sets.erase(query_set_id);
    Enqueue(std::move(out));
    return;
  }
  // Not subscribed on any live connection: nothing to tell the server.
  Push(LocalUnsubscribedEvent{query_set_id}, false);
}

// Ends all IO and then the IO thread's loop. Beast keeps an idle-ping timer armed after
// a connection fails, so the loop is stopped explicitly rather than left to run dry:
// at once, or when the polite close handshake ends (bounded by kCloseTimeout).
void ConnectionImpl::StopIo() {
  io_stopped = true;
  retry_timer.cancel();
  FailHeldOutbox(IoError("connection closed"));
  auto s = session;
  beast::error_code ignored;
  if (!s || s->dead || !s->open || in_flight) {
    if (s && !s->dead && s->open) {
      Push(DisconnectedEvent{s->gen, IoError("connection closed by the application"), false}, false);
    }
    if (s) {
      s->dead = true;
      s->resolver.cancel();
      // Beast allows no close handshake while a write is under way; just close the socket.
      beast::get_lowest_layer(s->ws).socket().close(ignored);
    }
    ioc.stop();
    return;
  }
  s->dead = true;
  Push(DisconnectedEvent{s->gen, IoError("connection closed by the application"), false}, false);
  retry_timer.expires_after(kCloseTimeout);
  retry_timer.async_wait([this](beast::error_code ec) {
    if (!ec) ioc.stop();
  });
  s->ws.async_close(websocket::close_code::normal, [this, s](beast::error_code) {
    beast::error_code ignored;
    beast::get_lowest_layer(s->ws).socket().close(ignored);
    ioc.stop();
  });
}

// ---------------------------------------------------------------------------------------
// Dispatcher

ConnectionImpl::TableState& ConnectionImpl::Table(const std::string& name) {
  auto [it, inserted] = tables.try_emplace(name);
  if (inserted) it->second.handle.reset(new TableCache(name, this));
  return it->second;
}

std::optional<std::string> ConnectionImpl::PrimaryKeyOf(const std::string& table,
                                                        const std::string& row) {
  std::lock_guard lock(reg_mu);
  auto it = table_types.find(table);
  if (it == table_types.end() || !it->second.primary_key) return std::nullopt;
  auto slice = sats::ColumnSlice(it->second.row_type, View(row), *it->second.primary_key);
  if (!slice.ok()) return std::nullopt;  // rows were validated; cannot happen for them
  return Key(*slice);
}

void ConnectionImpl::FireChanges(TableState& t, const std::string& name,
                                 std::vector<std::string> deleted,
                                 std::vector<std::string> inserted) {
  // Pair deletes and inserts of one primary key into updates.
  std::vector<std::pair<std::string, std::string>> updates;
  std::unordered_map<std::string, size_t> deleted_by_key;
  for (size_t i = 0; i < deleted.size(); ++i) {
    if (auto key = PrimaryKeyOf(name, deleted[i])) {
      if (auto it = t.by_key.find(*key); it != t.by_key.end() && it->second == deleted[i]) {
        t.by_key.erase(it);
      }
      deleted_by_key[*key] = i;
    }
  }
  std::vector<bool> deleted_paired(deleted.size(), false);
  std::vector<std::string> plain_inserts;
  for (auto& row : inserted) {
    auto key = PrimaryKeyOf(name, row);
    if (key) t.by_key[*key] = row;
    if (key) {
      if (auto it = deleted_by_key.find(*key); it != deleted_by_key.end() && !deleted_paired[it->second]) {
        deleted_paired[it->second] = true;
        updates.emplace_back(deleted[it->second], row);
        continue;
      }
    }
    plain_inserts.push_back(std::move(row));
  }
  // Copies, so that callbacks may add or remove callbacks.
  auto on_delete = t.on_delete;
  auto on_update = t.on_update;
  auto on_insert = t.on_insert;
  for (size_t i = 0; i < deleted.size(); ++i) {
    if (deleted_paired[i]) continue;
    for (auto& [id, cb] : on_delete) cb(View(deleted[i]));
  }
  for (auto& [old_row, new_row] : updates) {
    for (auto& [id, cb] : on_update) cb(View(old_row), View(new_row));
  }
  for (auto& row : plain_inserts) {
    for (auto& [id, cb] : on_insert) cb(View(row));
  }
}

void ConnectionImpl::ApplyDelta(const Delta& delta) {
  if (resync) {
    for (const auto& [name, d] : delta) {
      auto& rows = resync->rows[name];
      for (ByteView row : d.deletes) {
        auto it = rows.find(Key(row));
        if (it != rows.end() && --it->second == 0) rows.erase(it);
      }
      for (ByteView row : d.inserts) ++rows[Key(row)];
    }
    return;
  }
  for (const auto& [name, d] : delta) {
    TableState& t = Table(name);
    std::vector<std::string> deleted, inserted;
    for (ByteView row : d.deletes) {
      auto it = t.rows.find(Key(row));
      if (it == t.rows.end()) continue;  // a row the cache never held: nothing to remove
      if (--it->second == 0) {
        deleted.push_back(it->first);
        t.rows.erase(it);
      }
    }
    for (ByteView row : d.inserts) {
      auto [it, added] = t.rows.try_emplace(Key(row), 0);
      if (++it->second == 1) inserted.push_back(it->first);
    }
    FireChanges(t, name, std::move(deleted), std::move(inserted));
  }
}

void ConnectionImpl::FinishResync() {
  Resync done = std::move(*resync);
  resync.reset();
  std::set<std::string> names;
  for (const auto& [name, t] : tables) names.insert(name);
  for (const auto& [name, rows] : done.rows) names.insert(name);
  for (const auto& name : names) {
    TableState& t = Table(name);
    auto& fresh = done.rows[name];
    std::vector<std::string> deleted, inserted;
    for (const auto& [row, count] : t.rows) {
      if (!fresh.contains(row)) deleted.push_back(row);
    }
    for (const auto& [row, count] : fresh) {
      if (!t.rows.contains(row)) inserted.push_back(row);
    }
    t.rows = std::move(fresh);
    FireChanges(t, name, std::move(deleted), std::move(inserted));
  }
  for (uint32_t id : done.deferred_applied) {
    SubscribeCallbacks callbacks;
    {
      std::lock_guard lock(reg_mu);
      auto it = subscriptions.find(id);
      if (it == subscriptions.end()) continue;
      callbacks = it->second.callbacks;
    }
    if (callbacks.on_applied) callbacks.on_applied(SubscriptionHandle{id});
  }
}

// A query set that will not answer the reconciliation after all (it ended).
void ConnectionImpl::ForgetAwaited(uint32_t query_set_id) {
  if (resync && resync->awaiting.erase(query_set_id) > 0 && resync->awaiting.empty()) {
    FinishResync();
  }
}

void ConnectionImpl::CompleteCall(uint32_t request_id, ReducerResult result) {
  PendingCall call;
  {
    std::lock_guard lock(pending_mu);
    auto it = calls.find(request_id);
    if (it == calls.end()) return;
    call = std::move(it->second);
    calls.erase(it);
  }
  if (call.callback) call.callback(result);
  call.promise.set_value(std::move(result));
}

void ConnectionImpl::CompleteQuery(uint32_t request_id, QueryResult result) {
  PendingQuery query;
  {
    std::lock_guard lock(pending_mu);
    auto it = queries.find(request_id);
    if (it == queries.end()) return;
    query = std::move(it->second);
    queries.erase(it);
  }
  if (query.callback) query.callback(result);
  query.promise.set_value(std::move(result));
}

void ConnectionImpl::FailSent(uint64_t gen, const Status& why) {
  std::vector<uint32_t> lost_calls, lost_queries;
  {
    std::lock_guard lock(pending_mu);
    for (auto& [id, c] : calls) {
      if (c.sent_gen == gen) lost_calls.push_back(id);
    }
    for (auto& [id, q] : queries) {
      if (q.sent_gen == gen) lost_queries.push_back(id);
    }
  }
  const Status lost = IoError("connection lost: " + why.message());
  for (uint32_t id : lost_calls) CompleteCall(id, ReducerResult{lost, 0});
  for (uint32_t id : lost_queries) CompleteQuery(id, QueryResult{lost, {}});
}

void ConnectionImpl::SetFinal(const Status& why) {
  {
    std::lock_guard lock(inbox_mu);
    final_reached = true;
    final_status = why;
  }
  inbox_cv.notify_all();
}

void ConnectionImpl::OnSubscribeApplied(protocol::SubscribeApplied& m) {
  SubscribeCallbacks callbacks;
  {
    std::lock_guard lock(reg_mu);
    auto it = subscriptions.find(m.query_set_id);
    if (it == subscriptions.end()) return;  // unsubscribed meanwhile; its rows follow
    callbacks = it->second.callbacks;
  }
  if (resync) {
    ApplyDelta(DeltaOf(m.rows, true));
    const bool restored = resync->awaiting.erase(m.query_set_id) > 0;
    if (!restored) resync->deferred_applied.push_back(m.query_set_id);
    if (resync->awaiting.empty()) FinishResync();
    return;
  }
  ApplyDelta(DeltaOf(m.rows, true));
  if (callbacks.on_applied) callbacks.on_applied(SubscriptionHandle{m.query_set_id});
}

void ConnectionImpl::OnMessage(protocol::ServerMessage& message) {
  if (auto* m = std::get_if<protocol::SubscribeApplied>(&message)) return OnSubscribeApplied(*m);
  if (auto* m = std::get_if<protocol::UnsubscribeApplied>(&message)) {
    if (m->rows) ApplyDelta(DeltaOf(*m->rows, false));
    ForgetAwaited(m->query_set_id);
    SubscribeCallbacks callbacks;
    {
      std::lock_guard lock(reg_mu);
      auto it = subscriptions.find(m->query_set_id);
      if (it == subscriptions.end()) return;
      callbacks = it->second.callbacks;
      subscriptions.erase(it);
    }
    if (callbacks.on_unsubscribed) callbacks.on_unsubscribed(SubscriptionHandle{m->query_set_id});
    return;
  }
  if (auto* m = std::get_if<protocol::SubscriptionError>(&message)) {
    SubscribeCallbacks callbacks;
    {
      std::lock_guard lock(reg_mu);
      auto it = subscriptions.find(m->query_set_id);
      if (it == subscriptions.end()) return;
      callbacks = it->second.callbacks;
      subscriptions.erase(it);
    }
    ForgetAwaited(m->query_set_id);
    if (callbacks.on_error) {
      callbacks.on_error(SubscriptionHandle{m->query_set_id},
                         InvalidArgument("subscription failed: " + m->error));
    }
    return;
  }
  if (auto* m = std::get_if<protocol::TransactionUpdate>(&message)) return ApplyDelta(DeltaOf(*m));
  if (auto* m = std::get_if<protocol::OneOffQueryResult>(&message)) {
    QueryResult result;
    if (!m->ok) {
      result.status = InvalidArgument(m->error);
    } else {
      for (const auto& t : m->rows.tables) {
        TableRows rows{t.table, {}};
        for (ByteView row : t.rows.Rows()) rows.rows.emplace_back(row.begin(), row.end());
        result.tables.push_back(std::move(rows));
      }
    }
    return CompleteQuery(m->request_id, std::move(result));
  }
  if (auto* m = std::get_if<protocol::ReducerResult>(&message)) {
    using Kind = protocol::ReducerOutcome::Kind;
    ReducerResult result{Status::Ok(), m->timestamp_micros};
    switch (m->outcome.kind) {
      case Kind::kOk: ApplyDelta(DeltaOf(m->outcome.update)); break;
      case Kind::kOkEmpty: break;
      case Kind::kErr: result.status = Status(ErrorCode::kReducerError, m->outcome.message); break;
      case Kind::kInternalError: result.status = InternalError(m->outcome.message); break;
    }
    return CompleteCall(m->request_id, std::move(result));
  }
  // ProcedureResult: this SDK calls no procedures, so there is nothing to match.
}

void ConnectionImpl::OnDisconnected(DisconnectedEvent& e) {
  connected = false;
  FailSent(e.gen, e.why);
  if (options.on_disconnect) options.on_disconnect(e.why, e.will_reconnect);
  if (!e.will_reconnect) SetFinal(e.why);
}

void ConnectionImpl::Dispatch(Event& event) {
  std::lock_guard lock(dispatch_mu);
  if (auto* e = std::get_if<ConnectedEvent>(&event)) {
    connected = true;
    identity = e->hello.identity;
    token = e->hello.token;
    ++connections;
    const bool reconnected = connections > 1;
    if (reconnected) {
      resync.emplace();
      resync->awaiting.insert(e->resubscribed.begin(), e->resubscribed.end());
      if (resync->awaiting.empty()) FinishResync();
    }
    if (options.on_connect) {
      options.on_connect(ConnectInfo{e->hello.identity, e->hello.connection_id, e->hello.token,
                                     e->endpoint, reconnected});
    }
  } else if (auto* m = std::get_if<MessageEvent>(&event)) {
    OnMessage(m->message);
  } else if (auto* d = std::get_if<DisconnectedEvent>(&event)) {
    OnDisconnected(*d);
  } else if (auto* c = std::get_if<ConnectErrorEvent>(&event)) {
    if (options.on_connect_error) options.on_connect_error(c->why, c->will_retry);
    if (!c->will_retry) SetFinal(c->why);
  } else if (auto* r = std::get_if<RequestFailedEvent>(&event)) {
    CompleteCall(r->request_id, ReducerResult{r->why, 0});
    CompleteQuery(r->request_id, QueryResult{r->why, {}});
  } else if (auto* u = std::get_if<LocalUnsubscribedEvent>(&event)) {
    // Its rows leave the cache at the next reconciliation (they are not told apart from
    // other query sets' rows without the server's UnsubscribeApplied).
    ForgetAwaited(u->query_set_id);
    SubscribeCallbacks callbacks;
    {
      std::lock_guard reg_lock(reg_mu);
      auto it = subscriptions.find(u->query_set_id);
      if (it == subscriptions.end()) return;  // already reported
      callbacks = it->second.callbacks;
      subscriptions.erase(it);
    }
    if (callbacks.on_unsubscribed) callbacks.on_unsubscribed(SubscriptionHandle{u->query_set_id});
  }
}

// Pops one event. `wait`: blocks until one arrives, stop() or the final event. `budget`
// (frame_tick) bounds how many are taken. Returns false when there is none to take.
bool ConnectionImpl::PopEvent(Event& out, bool wait, size_t* budget) {
  bool resume = false;
  {
    std::unique_lock lock(inbox_mu);
    if (wait) {
      inbox_cv.wait(lock, [&] { return stop_requested || final_reached || !inbox.empty(); });
    }
    if (stop_requested || inbox.empty() || (budget != nullptr && *budget == 0)) return false;
    if (budget != nullptr) --*budget;
    out = std::move(inbox.front());
    inbox.pop_front();
    if (std::holds_alternative<ConnectedEvent>(out) || std::holds_alternative<MessageEvent>(out)) {
      --inbox_messages;
      if (read_paused && inbox_messages < options.inbox_messages_max) {
        read_paused = false;
        resume = true;
      }
    }
  }
  if (resume) {
    asio::post(ioc, [this] {
      if (session) StartRead(session);
    });
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Public API

Result<Endpoint> ParseEndpoint(std::string_view text) {
  std::string_view rest = text;
  for (std::string_view secure : {"wss://", "https://"}) {
    if (rest.starts_with(secure)) {
      return Unsupported("endpoint '" + std::string(text) + "': TLS (wss/https) is not supported");
    }
  }
  for (std::string_view scheme : {"ws://", "http://"}) {
    if (rest.starts_with(scheme)) rest.remove_prefix(scheme.size());
  }
  while (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    return InvalidArgument("endpoint '" + std::string(text) + "' is not [ws://]host[:port]");
  }
  Endpoint e;
  e.port = 3000;  // SpacetimeDB's default port
  const size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view port = rest.substr(colon + 1);
    unsigned value = 0;
    if (port.empty() || port.size() > 5) return InvalidArgument("bad port in endpoint '" + std::string(text) + "'");
    for (char c : port) {
      if (c < '0' || c > '9') return InvalidArgument("bad port in endpoint '" + std::string(text) + "'");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return InvalidArgument("bad port in endpoint '" + std::string(text) + "'");
    e.port = static_cast<uint16_t>(value);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return InvalidArgument("endpoint '" + std::string(text) + "' has no host");
  e.host = std::string(rest);
  return e;
}

std::chrono::milliseconds BackoffDelay(const Options& options, uint32_t failures) {
  STDB_ASSERT(failures >= 1);
  auto delay = options.reconnect_initial_delay;
  for (uint32_t i = 1; i < failures && delay < options.reconnect_max_delay; ++i) delay *= 2;
  return std::min(delay, options.reconnect_max_delay);
}

Connection::Connection(std::unique_ptr<ConnectionImpl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Connection>> Connection::Connect(Options options) {
  if (options.endpoints.empty()) return InvalidArgument("no endpoints");
  if (options.database.empty()) return InvalidArgument("no database");
  for (char c : options.database) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return InvalidArgument("database name '" + options.database + "' has invalid characters");
    }
  }
  if (options.inbox_messages_max == 0 || options.outbox_messages_max == 0 ||
      options.pending_requests_max == 0 || options.subscriptions_max == 0) {
    return InvalidArgument("queue bounds must be at least 1");
  }
  if (options.reconnect_initial_delay.count() <= 0 ||
      options.reconnect_max_delay < options.reconnect_initial_delay) {
    return InvalidArgument("need 0 < reconnect_initial_delay <= reconnect_max_delay");
  }
  if (!(options.reconnect_jitter >= 0.0 && options.reconnect_jitter <= 1.0)) {
    return InvalidArgument("reconnect_jitter must be in [0, 1]");
  }
  std::vector<Endpoint> endpoints;
  for (const auto& text : options.endpoints) {
    STDB_ASSIGN_OR_RETURN(Endpoint e, ParseEndpoint(text));
    endpoints.push_back(std::move(e));
  }
  auto impl = std::make_unique<ConnectionImpl>(std::move(options));
  impl->endpoints = std::move(endpoints);
  ConnectionImpl* raw = impl.get();
  asio::post(raw->ioc, [raw] { raw->StartAttempt(); });
  raw->io_thread = std::thread([raw] { raw->ioc.run(); });
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Connection::~Connection() {
  stop();
  if (impl_->dispatch_thread.joinable()) impl_->dispatch_thread.join();
  impl_->work.reset();
  impl_->io_thread.join();
  // Whatever is still pending will never be answered.
  std::lock_guard lock(impl_->pending_mu);
  for (auto& [id, c] : impl_->calls) c.promise.set_value(ReducerResult{IoError("connection closed"), 0});
  for (auto& [id, q] : impl_->queries) q.promise.set_value(QueryResult{IoError("connection closed"), {}});
  impl_->calls.clear();
  impl_->queries.clear();
}

Status Connection::register_table(const std::string& name, const sats::AlgebraicType& row_type,
                                  std::optional<uint16_t> primary_key) {
  if (!row_type.is_product()) return InvalidArgument("row type of '" + name + "' is not a product");
  if (primary_key && *primary_key >= row_type.elements().size()) {
    return InvalidArgument("primary key column of '" + name + "' is out of range");
  }
  std::lock_guard lock(impl_->reg_mu);
  impl_->table_types[name] = ConnectionImpl::TableType{row_type, primary_key};
  return Status::Ok();
}

TableCache& Connection::table(const std::string& name) {
  std::lock_guard lock(impl_->dispatch_mu);
  return *impl_->Table(name).handle;
}

Result<SubscriptionHandle> Connection::subscribe(std::vector<std::string> queries,
                                                 SubscribeCallbacks callbacks) {
  if (impl_->stopping) return IoError("connection closed");
  if (queries.empty()) return InvalidArgument("subscribe needs at least one query");
  const uint32_t id = impl_->next_query_set_id++;
  {
    std::lock_guard lock(impl_->reg_mu);
    if (impl_->subscriptions.size() >= impl_->options.subscriptions_max) {
      return Status(ErrorCode::kOverloaded, "too many subscriptions (subscriptions_max)");
    }
    impl_->subscriptions[id] = ConnectionImpl::SubscriptionEntry{std::move(queries), std::move(callbacks)};
  }
  ConnectionImpl* raw = impl_.get();
  asio::post(raw->ioc, [raw, id] { raw->SendSubscribe(id); });
  return SubscriptionHandle{id};
}

Status Connection::unsubscribe(SubscriptionHandle handle) {
  {
    std::lock_guard lock(impl_->reg_mu);
    auto it = impl_->subscriptions.find(handle.query_set_id);
    if (it == impl_->subscriptions.end() || it->second.unsubscribing) {
      return NotFound("no active subscription " + std::to_string(handle.query_set_id));
    }
    it->second.unsubscribing = true;
  }
  ConnectionImpl* raw = impl_.get();
  asio::post(raw->ioc, [raw, id = handle.query_set_id] { raw->SendUnsubscribe(id); });
  return Status::Ok();
}

Result<std::future<ReducerResult>> Connection::call_reducer(
    const std::string& name, Bytes args, std::function<void(const ReducerResult&)> callback) {
  ConnectionImpl& im = *impl_;
  if (im.stopping) return IoError("connection closed");
  if (im.outbox_count.fetch_add(1) >= im.options.outbox_messages_max) {
    --im.outbox_count;
    return Status(ErrorCode::kOverloaded, "outbox full: the connection is not keeping up");
  }
  Outgoing out;
  out.kind = Outgoing::Kind::kCall;
  out.counted = true;
  out.request_id = im.next_request_id++;
  protocol::EncodeClientMessage(protocol::CallReducer{out.request_id, 0, name, std::move(args)},
                                out.frame);
  std::future<ReducerResult> future;
  {
    std::lock_guard lock(im.pending_mu);
    if (im.calls.size() + im.queries.size() >= im.options.pending_requests_max) {
      --im.outbox_count;
      return Status(ErrorCode::kOverloaded, "too many requests awaiting results");
    }
    auto& pending = im.calls[out.request_id];
    pending.callback = std::move(callback);
    future = pending.promise.get_future();
  }
  ConnectionImpl* raw = impl_.get();
  asio::post(raw->ioc, [raw, out = std::move(out)]() mutable { raw->Enqueue(std::move(out)); });
  return future;
}

Result<std::future<QueryResult>> Connection::one_off_query(
    const std::string& sql, std::function<void(const QueryResult&)> callback) {
  ConnectionImpl& im = *impl_;
  if (im.stopping) return IoError("connection closed");
  if (im.outbox_count.fetch_add(1) >= im.options.outbox_messages_max) {
    --im.outbox_count;
    return Status(ErrorCode::kOverloaded, "outbox full: the connection is not keeping up");
  }
  Outgoing out;
  out.kind = Outgoing::Kind::kQuery;
  out.counted = true;
  out.request_id = im.next_request_id++;
  protocol::EncodeClientMessage(protocol::OneOffQuery{out.request_id, sql}, out.frame);
  std::future<QueryResult> future;
  {
    std::lock_guard lock(im.pending_mu);
    if (im.calls.size() + im.queries.size() >= im.options.pending_requests_max) {
      --im.outbox_count;
      return Status(ErrorCode::kOverloaded, "too many requests awaiting results");
    }
    auto& pending = im.queries[out.request_id];
    pending.callback = std::move(callback);
    future = pending.promise.get_future();
  }
  ConnectionImpl* raw = impl_.get();
  asio::post(raw->ioc, [raw, out = std::move(out)]() mutable { raw->Enqueue(std::move(out)); });
  return future;
}

size_t Connection::frame_tick() {
  size_t budget = 0;
  {
    std::lock_guard lock(impl_->inbox_mu);
    budget = impl_->inbox.size();
  }
  size_t dispatched = 0;
  Event event;
  while (impl_->PopEvent(event, false, &budget)) {
    impl_->Dispatch(event);
    ++dispatched;
  }
  return dispatched;
}

Status Connection::run() {
  Event event;
  while (true) {
    if (impl_->PopEvent(event, true, nullptr)) {
      impl_->Dispatch(event);
      continue;
    }
    std::lock_guard lock(impl_->inbox_mu);
    if (impl_->stop_requested) return Status::Ok();
    if (impl_->final_reached && impl_->inbox.empty()) return impl_->final_status;
  }
}

Status Connection::run_threaded() {
  {
    std::lock_guard lock(impl_->inbox_mu);
    if (impl_->dispatch_running) return InvalidArgument("run_threaded is already running");
    impl_->dispatch_running = true;
  }
  impl_->dispatch_thread = std::thread([this] { run().IgnoreError(); });
  return Status::Ok();
}

void Connection::stop() {
  if (impl_->stopping.exchange(true)) return;
  {
    std::lock_guard lock(impl_->inbox_mu);
    impl_->stop_requested = true;
  }
  impl_->inbox_cv.notify_all();
  ConnectionImpl* raw = impl_.get();
  asio::post(raw->ioc, [raw] { raw->StopIo(); });
}

bool Connection::is_connected() const {
  std::lock_guard lock(impl_->dispatch_mu);
  return impl_->connected;
}

std::optional<Identity> Connection::identity() const {
  std::lock_guard lock(impl_->dispatch_mu);
  return impl_->identity;
}

std::optional<std::string> Connection::token() const {
  std::lock_guard lock(impl_->dispatch_mu);
  return impl_->token;
}

uint64_t Connection::connections_made() const {
  std::lock_guard lock(impl_->dispatch_mu);
  return impl_->connections;
}

// ---- TableCache ----

size_t TableCache::count() const {
  std::lock_guard lock(conn_->dispatch_mu);
  return conn_->Table(name_).rows.size();
}

std::vector<Bytes> TableCache::rows() const {
  std::lock_guard lock(conn_->dispatch_mu);
  std::vector<Bytes> out;
  for (const auto& [row, count] : conn_->Table(name_).rows) {
    ByteView v = View(row);
    out.emplace_back(v.begin(), v.end());
  }
  return out;
}

bool TableCache::contains(ByteView row) const {
  std::lock_guard lock(conn_->dispatch_mu);
  return conn_->Table(name_).rows.contains(Key(row));
}

std::optional<Bytes> TableCache::find_by_primary_key(ByteView key) const {
  std::lock_guard lock(conn_->dispatch_mu);
  auto& t = conn_->Table(name_);
  auto it = t.by_key.find(Key(key));
  if (it == t.by_key.end()) return std::nullopt;
  ByteView v = View(it->second);
  return Bytes(v.begin(), v.end());
}

CallbackId TableCache::on_insert(std::function<void(ByteView row)> callback) {
  std::lock_guard lock(conn_->dispatch_mu);
  const CallbackId id = conn_->next_callback_id++;
  conn_->Table(name_).on_insert[id] = std::move(callback);
  return id;
}

CallbackId TableCache::on_delete(std::function<void(ByteView row)> callback) {
  std::lock_guard lock(conn_->dispatch_mu);
  const CallbackId id = conn_->next_callback_id++;
  conn_->Table(name_).on_delete[id] = std::move(callback);
  return id;
}

CallbackId TableCache::on_update(std::function<void(ByteView, ByteView)> callback) {
  std::lock_guard lock(conn_->dispatch_mu);
  const CallbackId id = conn_->next_callback_id++;
  conn_->Table(name_).on_update[id] = std::move(callback);
  return id;
}

void TableCache::remove_callback(CallbackId id) {
  std::lock_guard lock(conn_->dispatch_mu);
  auto& t = conn_->Table(name_);
  t.on_insert.erase(id);
  t.on_delete.erase(id);
  t.on_update.erase(id);
}

}  // namespace stdb::client
