// The IO thread of a Connection: connect, handshake, read, validate, write, reconnect.
#include "connection_impl.h"

namespace stdb::client {

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
}  // namespace stdb::client
