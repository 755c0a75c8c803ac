// The public API of the client SDK (include/stdb/client.h) over ConnectionImpl.
#include "connection_impl.h"

namespace stdb::client {

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
    if (port.empty() || port.size() > 5)
      return InvalidArgument("bad port in endpoint '" + std::string(text) + "'");
    for (char c : port) {
      if (c < '0' || c > '9')
        return InvalidArgument("bad port in endpoint '" + std::string(text) + "'");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535)
      return InvalidArgument("bad port in endpoint '" + std::string(text) + "'");
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
  for (auto& [id, c] : impl_->calls)
    c.promise.set_value(ReducerResult{IoError("connection closed"), 0});
  for (auto& [id, q] : impl_->queries)
    q.promise.set_value(QueryResult{IoError("connection closed"), {}});
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
    impl_->subscriptions[id] =
        ConnectionImpl::SubscriptionEntry{std::move(queries), std::move(callbacks)};
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

namespace {

// Queues a request that awaits a result (a reducer call or a one-off query): checks the
// outbox and pending bounds, registers the result's promise and callback, and hands the
// encoded frame to the IO thread.
template <typename R>
Result<std::future<R>> SendRequest(ConnectionImpl& im, Outgoing::Kind kind,
                                   std::map<uint32_t, ConnectionImpl::Pending<R>>& pending,
                                   const std::function<protocol::ClientMessage(uint32_t)>& message,
                                   std::function<void(const R&)> callback) {
  if (im.stopping) return IoError("connection closed");
  if (im.outbox_count.fetch_add(1) >= im.options.outbox_messages_max) {
    --im.outbox_count;
    return Status(ErrorCode::kOverloaded, "outbox full: the connection is not keeping up");
  }
  Outgoing out;
  out.kind = kind;
  out.counted = true;
  out.request_id = im.next_request_id++;
  protocol::EncodeClientMessage(message(out.request_id), out.frame);
  std::future<R> future;
  {
    std::lock_guard lock(im.pending_mu);
    if (im.calls.size() + im.queries.size() >= im.options.pending_requests_max) {
      --im.outbox_count;
      return Status(ErrorCode::kOverloaded, "too many requests awaiting results");
    }
    auto& request = pending[out.request_id];
    request.callback = std::move(callback);
    future = request.promise.get_future();
  }
  ConnectionImpl* raw = &im;
  asio::post(raw->ioc, [raw, out = std::move(out)]() mutable { raw->Enqueue(std::move(out)); });
  return future;
}

}  // namespace

Result<std::future<ReducerResult>> Connection::call_reducer(
    const std::string& name, Bytes args, std::function<void(const ReducerResult&)> callback) {
  return SendRequest<ReducerResult>(
      *impl_, Outgoing::Kind::kCall, impl_->calls,
      [&](uint32_t id) {
        return protocol::ClientMessage(protocol::CallReducer{id, 0, name, std::move(args)});
      },
      std::move(callback));
}

Result<std::future<QueryResult>> Connection::one_off_query(
    const std::string& sql, std::function<void(const QueryResult&)> callback) {
  return SendRequest<QueryResult>(
      *impl_, Outgoing::Kind::kQuery, impl_->queries,
      [&](uint32_t id) {
        return protocol::ClientMessage(protocol::OneOffQuery{id, sql});
      },
      std::move(callback));
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
