// The dispatcher of a Connection: server messages applied to the row cache, callbacks run,
// subscriptions reconciled after a reconnect.
#include "connection_impl.h"

namespace stdb::client {

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

bool ConnectionImpl::TakeSubscription(uint32_t query_set_id, SubscribeCallbacks& callbacks) {
  std::lock_guard lock(reg_mu);
  auto it = subscriptions.find(query_set_id);
  if (it == subscriptions.end()) return false;
  callbacks = std::move(it->second.callbacks);
  subscriptions.erase(it);
  return true;
}

void ConnectionImpl::OnMessage(protocol::ServerMessage& message) {
  if (auto* m = std::get_if<protocol::SubscribeApplied>(&message)) return OnSubscribeApplied(*m);
  if (auto* m = std::get_if<protocol::UnsubscribeApplied>(&message)) {
    if (m->rows) ApplyDelta(DeltaOf(*m->rows, false));
    ForgetAwaited(m->query_set_id);
    SubscribeCallbacks callbacks;
    if (!TakeSubscription(m->query_set_id, callbacks)) return;
    if (callbacks.on_unsubscribed) callbacks.on_unsubscribed(SubscriptionHandle{m->query_set_id});
    return;
  }
  if (auto* m = std::get_if<protocol::SubscriptionError>(&message)) {
    SubscribeCallbacks callbacks;
    if (!TakeSubscription(m->query_set_id, callbacks)) return;
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
}  // namespace stdb::client
