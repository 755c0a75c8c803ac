#include "db/database.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "base/log.h"
#include "base/random.h"
#include "base/thread.h"
#include "sats/bsatn.h"
#include "sql/dml.h"
#include "sql/parser.h"
#include "sql/plan.h"

namespace stdb::db {

// Module log lines go to the server log (scoped by database name, as before) and to the
// database's ModuleLog, stamped with the database's clock and the running reducer.
// Worker-thread only, except log(), which is thread-safe.
class Database::ReducerLog final : public module::LogSink {
 public:
  ReducerLog(std::string scope, const Clock& clock, std::unique_ptr<ModuleLog> log)
      : scope_(std::move(scope)), clock_(clock), log_(std::move(log)) {}

  void Write(module::LogLevel level, std::string_view message) override {
    LogLine(static_cast<LogSeverity>(level), scope_, message);
    log_->Append(LogRecord{clock_.NowMicros(), level, reducer_, std::string(message)});
    wrote_ = true;
  }

  // Names the reducer whose lines follow.
  void BeginReducer(std::string_view reducer) { reducer_ = reducer; }
  // The reducer has returned: its transaction is over, so its lines go to the file now
  // (write(2) without fsync; see ModuleLog::Flush). A reducer that logged nothing costs
  // no lock here.
  void EndReducer() {
    reducer_.clear();
    if (wrote_) log_->Flush();
    wrote_ = false;
  }

  ModuleLog& log() const { return *log_; }

 private:
  const std::string scope_;
  const Clock& clock_;
  const std::unique_ptr<ModuleLog> log_;
  std::string reducer_;
  bool wrote_ = false;  // since the last EndReducer
};

Database::Database(Options options, std::unique_ptr<module::ModuleHost> host,
                   std::unique_ptr<ModuleLog> module_log)
    : options_(std::move(options)),
      host_(std::move(host)),
      log_(std::make_unique<ReducerLog>("db/" + options_.name, *options_.clock,
                                        std::move(module_log))),
      store_(host_->def().TableSchemas()),
      module_def_bytes_(module::EncodeModuleDef(host_->def())),
      schema_(std::make_shared<const module::ModuleDef>(host_->def())),
      metrics_(obs::Global().ForDatabase(options_.name)) {
  CacheMetricSeries();
}

void Database::CacheMetricSeries() {
  reducer_series_.clear();
  std::vector<std::string> reducers;
  for (const auto& r : host_->def().reducers) {
    reducers.push_back(r.name);
    reducer_series_.emplace_back(&metrics_->ReducerCalls(r.name), &metrics_->ReducerFailures(r.name));
  }
  table_rows_series_.clear();
  std::vector<std::string> names;
  for (store::TableId id = 0; id < store_.table_count(); ++id) {
    const store::Table& table = store_.table(id);
    names.push_back(table.schema().name);
    table_rows_series_.push_back(&metrics_->TableRows(table.schema().name));
    table_rows_series_.back()->Set(static_cast<double>(table.size()));
  }
  metrics_->KeepOnly(names, reducers);
}

void Database::UpdateTableRows(const store::TxDelta& delta) {
  for (const auto& t : delta.tables) {
    table_rows_series_[t.table_id]->Set(static_cast<double>(store_.table(t.table_id).size()));
  }
}

void Database::UpdateSubscriptionGauges() {
  metrics_->query_sets.Set(static_cast<double>(subscriptions_.query_set_count()));
  metrics_->queries.Set(static_cast<double>(subscriptions_.query_count()));
  metrics_->clients.Set(static_cast<double>(clients_.size()));
}

Result<std::unique_ptr<Database>> Database::Create(Options options,
                                                   std::unique_ptr<module::ModuleHost> host) {
  STDB_ASSERT(host != nullptr);
  STDB_ASSIGN_OR_RETURN(auto module_log, ModuleLog::Open(ModuleLog::Options{.dir = options.dir}));
  std::unique_ptr<Database> db(
      new Database(std::move(options), std::move(host), std::move(module_log)));
  // Recovery and init run before the worker exists, so nothing can observe the database
  // before them.
  STDB_RETURN_IF_ERROR(db->Open());
  db->worker_ = std::thread(&Database::Run, db.get());
  return db;
}

Status Database::Open() {
  bool fresh = true;
  if (options_.durability) {
    STDB_RETURN_IF_ERROR(OpenDurable());
    fresh = durability_->records() == 0;
    if (fresh) LogSchema(/*clear=*/true);
    ResetLoggedSequences();
  }
  scheduler_.Reset(store_, options_.clock->NowMicros());
  CacheMetricSeries();  // the recovered rows
  if (!fresh) return Status::Ok();
  Status init = RunLifecycle(module::Lifecycle::kInit, Caller{options_.owner, 0});
  fanout_.clear();  // no client is connected yet
  if (!init.ok()) {
    return Status(ErrorCode::kReducerError, "the module's init reducer failed: " + init.message());
  }
  // A new database is reported created only once its first state is durable.
  if (durability_ && !durability_->releases().WaitDurable(durability_->records())) {
    return Status(ErrorCode::kIo, "database '" + options_.name + "': " +
                                      durability_->failure()->message());
  }
  return Status::Ok();
}

Status Database::OpenDurable() {
  const auto start = std::chrono::steady_clock::now();
  STDB_ASSIGN_OR_RETURN(Recovered recovered, Recover(options_.name, *options_.durability));
  // The worker is not running yet, so the failure hook can only queue the work.
  STDB_ASSIGN_OR_RETURN(
      durability_,
      Durability::Open(options_.name, *options_.durability, recovered.end, [this](const Status& why) {
        EnqueueUnbounded([this, why] {
          CloseAllClients("the database stopped accepting writes: its commit log failed: " +
                          why.message());
        });
      }));
  if (recovered.fresh) return Status::Ok();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  uint64_t rows = 0;
  for (store::TableId id = 0; id < recovered.store.table_count(); ++id) {
    rows += recovered.store.table(id).size();
  }
  LogInfo("db/" + options_.name,
          "recovered " + std::to_string(rows) + " rows in " + std::to_string(ms) + " ms: " +
              (recovered.snapshot_offset
                   ? "snapshot at offset " + std::to_string(*recovered.snapshot_offset)
                   : std::string("no snapshot")) +
              " + " + std::to_string(recovered.records_replayed) +
              " records replayed from the log; next offset " +
              std::to_string(recovered.end.next_offset));
  if (recovered.module_def == module_def_bytes_) {
    store_ = std::move(recovered.store);
    return Status::Ok();
  }
  // The module file is not the one the data was last written with (a publish stopped
  // between logging its schema and recording its module): apply it as an update.
  auto stored_def = module::DecodeModuleDef(recovered.module_def);
  if (!stored_def.ok()) return InternalError("stored schema: " + stored_def.status().message());
  if (Status s = CheckCompatibleUpdate(*stored_def, host_->def()); !s.ok()) {
    return Status(s.code(), "database '" + options_.name +
                                "': the module does not match the stored data: " + s.message());
  }
  STDB_ASSIGN_OR_RETURN(store_, MigrateStore(recovered.store, host_->def()));
  LogSchema(/*clear=*/false);
  LogInfo("db/" + options_.name, "stored data moved to the module's schema");
  return Status::Ok();
}

Database::~Database() { Stop(); }

void Database::Stop(const std::string& close_reason) {
  queue_.Close();
  if (worker_.joinable()) worker_.join();
  // Everything committed is written and released before the clients are dropped.
  if (durability_) durability_->Close();
  if (!close_reason.empty()) CloseAllClients(close_reason);
  // The worker has exited, so this thread may touch its state. Dropping the sessions'
  // outboxes breaks the cycle between this database and its connected sessions, so that
  // both are freed once the network lets go of the sessions.
  clients_.clear();
  // Log streams end once no reducer can write to them any more.
  log_->log().EndFollowers();
}

std::shared_ptr<const module::ModuleDef> Database::schema() const {
  std::lock_guard lock(schema_mu_);
  return schema_;
}

ModuleLog& Database::module_log() const { return log_->log(); }

Result<BackupSet> Database::Backup() {
  if (!durability_) {
    return Unsupported("database '" + options_.name +
                       "' keeps its data in memory only (--in-memory): there is nothing durable "
                       "to back up");
  }
  return durability_->Backup();
}

bool Database::Enqueue(Work work) {
  return queue_.TryPush(QueuedWork{CurrentRequestId(), std::move(work)});
}

void Database::EnqueueUnbounded(Work work) {
  queue_.PushUnbounded(QueuedWork{CurrentRequestId(), std::move(work)});
}

void Database::Run() {
  SetThreadName("stdb-worker");
  std::vector<QueuedWork> batch;
  while (true) {
    std::optional<std::chrono::microseconds> wait;
    if (auto next = scheduler_.NextDue()) {
      // Wake for the next due row. The wait is capped so that a clock that jumps (a
      // test's ManualClock, or the wall clock being set) is noticed within a second.
      wait = std::chrono::microseconds(std::clamp<int64_t>(
          SaturatingAdd(*next, -std::max<int64_t>(options_.clock->NowMicros(), INT64_MIN + 1)), 0,
          kScheduleWaitMaxMicros));
    }
    batch.clear();
    if (!queue_.PopBatch(batch, kWorkBatchMax, wait)) return;  // closed and drained
    if (batch.empty()) {  // woken for due rows only
      RunDueSchedules();
      FlushFanout();
      ReleaseHeld();
      continue;
    }
    // Messages that go out without waiting for the log (in-memory databases,
    // confirmed=false clients) wake each connection once per batch, but are held at most
    // kSendBatchHoldMax plus the one request that runs past it.
    // Likewise the batch's transactions form one commit group (one write and fsync, one
    // frame of results per connection), held back from the log's writer at most as long.
    std::optional<SendBatch> sends;
    GroupHold group(durability_.get());
    auto opened = std::chrono::steady_clock::now();
    for (QueuedWork& work : batch) {
      if (sends && std::chrono::steady_clock::now() - opened > kSendBatchHoldMax) {
        sends.reset();
        ReleaseHeld();
        group.Close();
      }
      if (!sends) {
        sends.emplace();
        group.Open();
        opened = std::chrono::steady_clock::now();
      }
      // Due rows run before each request: a request sees the effects of every schedule
      // due before it was handled.
      RunDueSchedules();
      // The scheduled transactions' updates leave before anything the request sends.
      FlushFanout();
      ScopedRequestId request(work.request);
      work.work();
      FlushFanout();
    }
    ReleaseHeld();  // before the group is released
  }
}

void Database::FlushFanout() {
  if (!fanout_.empty()) SendAll(std::exchange(fanout_, {}));
}

void Database::RunDueSchedules() {
  if (scheduler_.size() == 0) return;
  const int64_t now = options_.clock->NowMicros();
  for (int i = 0; i < kScheduledCallsPerWakeMax; ++i) {
    auto due = scheduler_.PopDue(now);
    if (!due) return;
    RunScheduled(std::move(*due));
  }
}

void Database::RunScheduled(Scheduler::Due due) {
  const store::Table& table = store_.table(due.table);
  auto id = table.FindByPrimaryKey(due.key);
  if (!id) return;  // deleted meanwhile
  const ByteView stored = table.Get(*id);
  const Bytes row(stored.begin(), stored.end());
  const store::TableSchema& schema = table.schema();
  auto reducer = host_->def().FindReducer(schema.schedule->reducer);
  STDB_ASSERT_MSG(reducer.has_value(), "schedule reducer checked at publish");
  const bool once = due.interval_micros == 0;
  // A Time row is deleted in the reducer's own transaction, so it fires exactly once:
  // found by primary key (the reducer may have changed other columns), and kept only if
  // the reducer deleted it already or moved it to another time.
  const auto at_column = [&](ByteView r) {
    auto slice = sats::ColumnSlice(schema.row_type, r, schema.schedule->at_column);
    STDB_ASSERT(slice.ok());
    return Bytes(slice->begin(), slice->end());
  };
  const Bytes fired_at = at_column(row);
  auto delete_row = [&](store::Transaction& tx) -> Status {
    const store::Table& t = tx.store().table(due.table);
    auto now_id = t.FindByPrimaryKey(due.key);
    if (!now_id || at_column(t.Get(*now_id)) != fired_at) return Status::Ok();
    return tx.DeleteByPrimaryKey(due.table, due.key).status();
  };
  int64_t ts = 0;
  // The argument is a product of one field, the row: its BSATN is the row's.
  Status s = RunReducer(*reducer, Caller{options_.identity, 0}, row, std::nullopt, ts, nullptr,
                        once ? std::function<Status(store::Transaction&)>(delete_row)
                             : std::function<Status(store::Transaction&)>());
  if (!s.ok()) {
    LogWarn("db/" + options_.name, "scheduled reducer '" + schema.schedule->reducer +
                                       "' on table '" + schema.name + "' failed: " + s.message());
    if (once && !WriteRefusal()) {
      // Do not retry a failed one-off call forever: remove its row.
      store::Transaction tx(store_);
      if (delete_row(tx).ok()) {
        CommitAndPublish(tx, std::nullopt, nullptr,
                         TxInputs{log::RecordKind::kReducer, schema.schedule->reducer, row,
                                  Caller{options_.identity, 0}, options_.clock->NowMicros()});
      } else {
        tx.Rollback();
      }
    }
  }
  if (once || scheduler_.Contains(due.table, due.key) || !table.FindByPrimaryKey(due.key)) {
    return;  // fired once, rescheduled by an update of the row, or deleted
  }
  // Next tick of an Interval row; after a stall, skip the missed ticks instead of
  // firing them in a burst.
  int64_t next = SaturatingAdd(due.at_micros, due.interval_micros);
  const int64_t now = options_.clock->NowMicros();
  if (next <= now) next = SaturatingAdd(now, due.interval_micros);
  scheduler_.Schedule(due.table, due.key, next, due.interval_micros);
}

// Why work was not queued: the queue is full, or the database has stopped (deleted, or
// the server is shutting down), which a client must not retry as if it were busy.
Status Database::Refused() const {
  if (queue_.closed()) {
    return NotFound("database '" + options_.name +
                    "' has stopped (it was deleted, or the server is shutting down)");
  }
  return Status(ErrorCode::kOverloaded,
                "database '" + options_.name + "' is overloaded: request queue full");
}

// ---------------------------------------------------------------------------------------
// Public entry points: enqueue.

Status Database::Connect(ClientId client, Caller caller, std::string token,
                         std::shared_ptr<ClientOutbox> outbox, bool confirmed) {
  const bool queued = Enqueue([this, client, caller, token = std::move(token),
                               outbox = std::move(outbox), confirmed]() mutable {
    Status s = RunLifecycle(module::Lifecycle::kClientConnected, caller);
    if (!s.ok()) {
      outbox->Close("connection refused by the module's client_connected reducer: " + s.message());
      return;
    }
    clients_[client] = ClientState{caller, std::move(outbox), confirmed};
    metrics_->clients.Set(static_cast<double>(clients_.size()));
    Send(client, protocol::InitialConnection{caller.identity, caller.connection_id, token});
  });
  return queued ? Status::Ok() : Refused();
}

void Database::Disconnect(ClientId client) {
  EnqueueUnbounded([this, client] {
    auto it = clients_.find(client);
    if (it == clients_.end()) return;  // never connected (client_connected refused it)
    const Caller caller = it->second.caller;
    subscriptions_.RemoveClient(client);
    clients_.erase(it);
    UpdateSubscriptionGauges();
    Status s = RunLifecycle(module::Lifecycle::kClientDisconnected, caller);
    if (!s.ok()) LogWarn("db/" + options_.name, "client_disconnected failed: " + s.message());
  });
}

Status Database::HandleMessage(ClientId client, protocol::ClientMessage message) {
  const bool queued = Enqueue([this, client, message = std::move(message)] {
    if (!clients_.contains(client)) return;  // connection was refused; drop its requests
    std::visit(
        [&](const auto& m) {
          using M = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<M, protocol::Subscribe>) {
            OnSubscribe(client, m);
          } else if constexpr (std::is_same_v<M, protocol::Unsubscribe>) {
            OnUnsubscribe(client, m);
          } else if constexpr (std::is_same_v<M, protocol::OneOffQuery>) {
            OnOneOffQuery(client, m);
          } else if constexpr (std::is_same_v<M, protocol::CallReducer>) {
            OnCallReducer(client, m);
          } else {
            protocol::ProcedureResult r;
            r.request_id = m.request_id;
            r.message = "procedures are not supported by this server";
            r.timestamp_micros = options_.clock->NowMicros();
            Send(client, r);
          }
        },
        message);
  });
  return queued ? Status::Ok() : Refused();
}

Status Database::CallReducer(Caller caller, std::string reducer, Bytes args,
                             std::function<void(CallOutcome)> done) {
  const bool queued = Enqueue([this, caller, reducer = std::move(reducer), args = std::move(args),
                               done = std::move(done)] {
    auto id = host_->def().FindReducer(reducer);
    if (!id) {
      done(CallOutcome{
          NotFound("no such reducer '" + reducer + "' in database '" + options_.name + "'")});
      return;
    }
    if (host_->def().reducers[*id].lifecycle != module::Lifecycle::kNone) {
      done(CallOutcome{Status(ErrorCode::kPermissionDenied,
                              "lifecycle reducer '" + reducer + "' cannot be called directly")});
      return;
    }
    int64_t ts = 0;
    Status s = RunReducer(*id, caller, args, std::nullopt, ts, nullptr);
    // A call that failed (or was refused) says why; a success only once it is durable.
    AfterDurable([done, s](const Status* failed) {
      done(CallOutcome{failed != nullptr && s.ok() ? *failed : s});
    });
  });
  return queued ? Status::Ok() : Refused();
}

Status Database::Sql(Caller caller, std::string text,
                     std::function<void(Result<std::vector<SqlResult>>)> done) {
  const bool queued = Enqueue([this, caller, text = std::move(text), done = std::move(done)] {
    auto result = std::make_shared<Result<std::vector<SqlResult>>>(RunSql(caller, text));
    AfterDurable([done, result](const Status* failed) {
      done(failed != nullptr && result->ok() ? Result<std::vector<SqlResult>>(*failed)
                                             : std::move(*result));
    });
  });
  return queued ? Status::Ok() : Refused();
}

Status Database::UpdateModule(std::unique_ptr<module::ModuleHost> host, bool clear,
                              std::optional<U256> new_owner, std::function<void(Status)> done) {
  // std::function needs a copyable callable; share the host until the worker takes it.
  auto shared = std::make_shared<std::unique_ptr<module::ModuleHost>>(std::move(host));
  const bool queued = Enqueue([this, shared, clear, new_owner, done = std::move(done)] {
    Status s = SwapModule(std::move(*shared), clear, new_owner);
    AfterDurable([done, s](const Status* failed) { done(failed != nullptr && s.ok() ? *failed : s); });
  });
  return queued ? Status::Ok() : Refused();
}

// ---------------------------------------------------------------------------------------
// Worker thread.

void Database::Send(ClientId client, const protocol::ServerMessage& message,
                    bool ahead_of_fanout) {
  // Updates of transactions committed earlier in this request leave first, so that this
  // client sees them before a reply that reflects them.
  if (!ahead_of_fanout) FlushFanout();
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  SendOrHold(it->second, protocol::EncodeServerMessage(message));
}

void Database::SendAll(std::vector<std::pair<ClientId, protocol::EncodedMessage>> messages) {
  for (auto& [client, message] : messages) {
    auto it = clients_.find(client);
    if (it != clients_.end()) SendOrHold(it->second, std::move(message));
  }
}

void Database::SendOrHold(const ClientState& state, protocol::EncodedMessage message) {
  if (!durability_ || !state.confirmed) {  // no release queue to go through
    state.outbox->Send(std::move(message));
    return;
  }
  for (const auto& piece : message.pieces()) {
    if (piece.use_count() == 1 || held_.shared.insert(piece.get()).second) {
      held_.bytes += piece->size();
    }
  }
  held_.messages.emplace_back(state.outbox, std::move(message));
  if (held_.messages.size() >= kHeldSendsMax || held_.bytes >= kHeldBytesMax) ReleaseHeld();
}

void Database::ReleaseHeld() {
  if (held_.messages.empty()) return;
  const uint64_t bytes = held_.bytes;
  const uint64_t sends = held_.messages.size();
  auto messages = std::exchange(held_.messages, {});
  held_.bytes = 0;
  held_.shared.clear();
  durability_->ReleaseAfterAppended(
      [messages = std::move(messages)](const Status* failed) mutable {
        for (auto& [outbox, message] : messages) {
          if (failed != nullptr) {
            outbox->Close("the database could not make a transaction durable: " +
                          failed->message());
          } else {
            outbox->Send(std::move(message));
          }
        }
      },
      bytes, sends);
  held_.messages.reserve(std::min<size_t>(sends, kHeldSendsMax));
}

void Database::AfterDurable(std::function<void(const Status* failed)> action, uint64_t bytes,
                            uint64_t sends) {
  if (!durability_) {
    action(nullptr);
    return;
  }
  ReleaseHeld();  // messages held so far go first
  durability_->ReleaseAfterAppended(std::move(action), bytes, sends);
}

std::optional<Status> Database::WriteRefusal() const {
  if (!durability_) return std::nullopt;
  auto failure = durability_->failure();
  if (!failure) return std::nullopt;
  return Status(ErrorCode::kIo, "database '" + options_.name +
                                    "' accepts no writes: its commit log failed (" +
                                    failure->message() +
                                    "); nothing after the last durable transaction was "
                                    "acknowledged. Fix the disk and restart the server.");
}

void Database::CloseAllClients(const std::string& reason) {
  for (auto& [id, client] : clients_) {
    client.outbox->Close(reason);
    subscriptions_.RemoveClient(id);
  }
  clients_.clear();
  UpdateSubscriptionGauges();
}

void Database::ResetLoggedSequences() {
  logged_sequences_.clear();
  for (store::TableId id = 0; id < store_.table_count(); ++id) {
    const store::Table& table = store_.table(id);
    if (table.schema().sequences.empty()) continue;
    std::vector<uint64_t> next;
    for (uint16_t column : table.schema().sequences) next.push_back(table.NextSequenceValue(column));
    logged_sequences_.emplace_back(id, std::move(next));
  }
}

std::vector<log::SequencePosition> Database::ChangedSequences() {
  std::vector<log::SequencePosition> changed;
  for (auto& [id, logged] : logged_sequences_) {
    const store::Table& table = store_.table(id);
    const auto& columns = table.schema().sequences;
    for (size_t i = 0; i < columns.size(); ++i) {
      const uint64_t next = table.NextSequenceValue(columns[i]);
      if (next == logged[i]) continue;
      logged[i] = next;
      changed.push_back(log::SequencePosition{id, columns[i], next});
    }
  }
  return changed;
}

void Database::LogTransaction(const TxInputs& inputs, store::TxDelta delta,
                              std::vector<log::SequencePosition> sequences) {
  log::TxRecord record;
  record.kind = inputs.kind;
  record.timestamp_micros = inputs.timestamp_micros;
  record.caller_identity = inputs.caller.identity;
  record.caller_connection_id = inputs.caller.connection_id;
  record.name = std::string(inputs.name);
  record.args.assign(inputs.args.begin(), inputs.args.end());
  uint64_t bytes = record.args.size();
  for (const auto& t : delta.tables) {
    for (const auto& row : t.inserts) bytes += row.size();
    for (const auto& row : t.deletes) bytes += row.size();
  }
  record.delta = std::move(delta);
  record.sequences = std::move(sequences);
  // A failure reaches every waiting result through the release queue.
  durability_->Append(std::move(record), bytes);
  durability_->MaybeSnapshot(store_, module_def_bytes_);
}

void Database::LogSchema(bool clear) {
  log::TxRecord record;
  record.kind = log::RecordKind::kSchema;
  record.timestamp_micros = options_.clock->NowMicros();
  record.caller_identity = options_.owner;
  record.module_def = module_def_bytes_;
  record.clear = clear;
  const uint64_t bytes = record.module_def.size();
  durability_->Append(std::move(record), bytes);
}

Status Database::RunLifecycle(module::Lifecycle lifecycle, const Caller& caller) {
  auto id = host_->def().FindLifecycle(lifecycle);
  if (!id) return Status::Ok();
  int64_t ts = 0;
  const Bytes no_args;
  return RunReducer(*id, caller, no_args, std::nullopt, ts, nullptr);
}

Status Database::RunReducer(uint32_t reducer_id, const Caller& caller, ByteView args,
                            std::optional<ClientId> calling_client, int64_t& timestamp_micros,
                            protocol::TransactionUpdate* caller_update,
                            const std::function<Status(store::Transaction&)>& before_commit) {
  timestamp_micros = options_.clock->NowMicros();
  if (auto refused = WriteRefusal()) return *refused;
  const module::ReducerContext ctx{caller.identity, caller.connection_id, timestamp_micros,
                                   MixSeed(static_cast<uint64_t>(timestamp_micros), ++tx_seq_),
                                   options_.identity};
  store::Transaction tx(store_);
  log_->BeginReducer(host_->def().reducers[reducer_id].name);
  const auto start = std::chrono::steady_clock::now();
  Status s = host_->CallReducer(tx, reducer_id, ctx, args, *log_);
  metrics_->reducer_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  log_->EndReducer();
  if (s.ok() && before_commit) s = before_commit(tx);
  auto [calls, failures] = reducer_series_[reducer_id];
  calls->Increment();
  if (!s.ok()) {
    failures->Increment();
    tx.Rollback();
    return s;
  }
  CommitAndPublish(tx, calling_client, caller_update,
                   TxInputs{log::RecordKind::kReducer, host_->def().reducers[reducer_id].name, args,
                            caller, timestamp_micros});
  return Status::Ok();
}

void Database::CommitAndPublish(store::Transaction& tx, std::optional<ClientId> calling_client,
                                protocol::TransactionUpdate* caller_update,
                                const TxInputs& inputs) {
  store::TxDelta delta = tx.Commit();
  std::vector<log::SequencePosition> sequences;
  if (durability_) sequences = ChangedSequences();
  if (delta.empty() && sequences.empty()) return;
  std::vector<subscribe::ClientUpdate> updates;
  if (!delta.empty()) {
    UpdateTableRows(delta);
    // An Interval row is first due one interval after its transaction's time.
    scheduler_.OnCommit(store_, delta, inputs.timestamp_micros);
    const auto start = std::chrono::steady_clock::now();
    updates = subscriptions_.OnCommit(delta, store_);
    metrics_->evaluation_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  // Logged before anything is sent: Send holds each message back until this record is
  // durable.
  if (durability_) LogTransaction(inputs, std::move(delta), std::move(sequences));
  fanout_.reserve(fanout_.size() + updates.size());
  for (auto& update : updates) {
    if (calling_client && update.client == *calling_client) {
      if (caller_update != nullptr) caller_update->query_sets = std::move(update.query_sets);
      continue;
    }
    // A few bytes of header per client; the table updates are shared pieces.
    fanout_.emplace_back(update.client, protocol::EncodeServerMessage(protocol::ServerMessage(
                                            protocol::TransactionUpdate{std::move(update.query_sets)})));
  }
}

void Database::OnSubscribe(ClientId client, const protocol::Subscribe& m) {
  const bool owner = clients_.at(client).caller.identity == options_.owner;
  auto rows = subscriptions_.Subscribe(client, m.query_set_id, m.queries, store_, owner);
  if (!rows.ok()) {
    Send(client,
         protocol::SubscriptionError{m.request_id, m.query_set_id, rows.status().message()});
    return;
  }
  UpdateSubscriptionGauges();
  Send(client, protocol::SubscribeApplied{m.request_id, m.query_set_id, std::move(rows).value()});
}

void Database::OnUnsubscribe(ClientId client, const protocol::Unsubscribe& m) {
  const bool dropped = m.flags == protocol::UnsubscribeFlags::kSendDroppedRows;
  auto rows = subscriptions_.Unsubscribe(client, m.query_set_id, dropped, store_);
  if (!rows.ok()) {
    Send(client,
         protocol::SubscriptionError{m.request_id, m.query_set_id, rows.status().message()});
    return;
  }
  UpdateSubscriptionGauges();
  Send(client, protocol::UnsubscribeApplied{m.request_id, m.query_set_id, std::move(rows).value()});
}

void Database::OnOneOffQuery(ClientId client, const protocol::OneOffQuery& m) {
  protocol::OneOffQueryResult result;
  result.request_id = m.request_id;
  auto sql = RunSql(clients_.at(client).caller, m.query);
  if (!sql.ok()) {
    result.ok = false;
    result.error = sql.status().message();
  } else {
    for (const auto& r : *sql) {
      // Named after the table: the SDK looks rows up by table name.
      result.rows.tables.push_back(
          protocol::SingleTableRows{r.table, protocol::BsatnRowList::FromRows(r.rows)});
    }
  }
  Send(client, result);
}

void Database::OnCallReducer(ClientId client, const protocol::CallReducer& m) {
  protocol::ReducerResult result;
  result.request_id = m.request_id;
  auto& outcome = result.outcome;
  auto id = host_->def().FindReducer(m.reducer);
  if (!id) {
    result.timestamp_micros = options_.clock->NowMicros();  // else RunReducer sets it
    outcome.kind = protocol::ReducerOutcome::Kind::kInternalError;
    outcome.message = "no such reducer '" + m.reducer + "'";
  } else if (host_->def().reducers[*id].lifecycle != module::Lifecycle::kNone) {
    result.timestamp_micros = options_.clock->NowMicros();
    outcome.kind = protocol::ReducerOutcome::Kind::kInternalError;
    outcome.message = "lifecycle reducer '" + m.reducer + "' cannot be called directly";
  } else {
    Status s = RunReducer(*id, clients_.at(client).caller, m.args, client, result.timestamp_micros,
                          &outcome.update);
    if (s.ok()) {
      outcome.kind = protocol::ReducerOutcome::Kind::kOk;
    } else if (s.code() == ErrorCode::kReducerError) {
      outcome.kind = protocol::ReducerOutcome::Kind::kErr;
      outcome.message = s.message();
    } else {
      outcome.kind = protocol::ReducerOutcome::Kind::kInternalError;
      outcome.message = s.message();
    }
  }
  // The caller's own changes are in the result; its transaction's updates to others wait
  // in fanout_ and leave after it.
  Send(client, result, /*ahead_of_fanout=*/true);
}

Result<std::vector<SqlResult>> Database::RunSql(const Caller& caller, const std::string& text) {
  std::vector<SqlResult> results;
  const bool owner = caller.identity == options_.owner;
  for (std::string_view stmt_text : sql::SplitStatements(text)) {
    const auto start = std::chrono::steady_clock::now();
    STDB_ASSIGN_OR_RETURN(auto stmt, sql::ParseStatement(stmt_text));
    SqlResult r;
    if (const auto* select = std::get_if<sql::SelectStatement>(&stmt)) {
      STDB_ASSIGN_OR_RETURN(auto plan, sql::PlanSelect(*select, store_));
      for (const auto& source : plan.sources) {
        if (!owner && !store_.table(source.table_id).schema().is_public) {
          return Status(ErrorCode::kPermissionDenied,
                        "table '" + source.table_name + "' is private to the database owner");
        }
      }
      STDB_ASSIGN_OR_RETURN(r.rows, sql::ExecuteSelect(plan, store_));
      r.table = plan.table_name;
      r.schema = plan.result_type;
    } else {
      if (!owner) {
        return Status(ErrorCode::kPermissionDenied,
                      "only the database owner may modify tables with SQL");
      }
      if (auto refused = WriteRefusal()) return *refused;
      // Each statement is its own transaction, committed and fanned out to subscribers
      // like a reducer's; a failed one changes nothing (earlier statements stay done).
      store::Transaction tx(store_);
      auto affected = sql::ExecuteDml(stmt, tx);
      if (!affected.ok()) {
        tx.Rollback();
        return affected.status();
      }
      CommitAndPublish(tx, std::nullopt, nullptr,
                       TxInputs{log::RecordKind::kSql, "", AsBytes(stmt_text), caller,
                                options_.clock->NowMicros()});
      r.table = std::visit([](const auto& s) { return s.table; }, stmt);
      r.schema = sats::AlgebraicType::Product({});
      r.rows_affected = *affected;
    }
    r.duration_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    results.push_back(std::move(r));
  }
  if (results.empty()) return InvalidArgument("no SQL statement given");
  return results;
}

Status CheckCompatibleUpdate(const module::ModuleDef& old_def, const module::ModuleDef& new_def) {
  for (const auto& old_t : old_def.tables) {
    auto it = std::find_if(new_def.tables.begin(), new_def.tables.end(),
                           [&](const module::TableDef& t) { return t.name == old_t.name; });
    if (it == new_def.tables.end()) {
      return InvalidArgument("incompatible module update: table '" + old_t.name +
                             "' would be removed; publish with --delete-data to clear the database");
    }
    if (!(it->row_type == old_t.row_type) || it->primary_key != old_t.primary_key ||
        it->is_public != old_t.is_public) {
      return InvalidArgument("incompatible module update: table '" + old_t.name +
                             "' changed; publish with --delete-data to clear the database");
    }
  }
  return Status::Ok();
}

Status Database::SwapModule(std::unique_ptr<module::ModuleHost> host, bool clear,
                            std::optional<U256> new_owner) {
  if (auto refused = WriteRefusal()) return *refused;
  const module::ModuleDef& old_def = host_->def();
  const module::ModuleDef& new_def = host->def();
  bool same_tables = old_def.tables.size() == new_def.tables.size();
  if (!clear) {
    STDB_RETURN_IF_ERROR(CheckCompatibleUpdate(old_def, new_def));
    for (size_t i = 0; i < old_def.tables.size() && same_tables; ++i) {
      same_tables = old_def.tables[i].name == new_def.tables[i].name;
    }
  }
  store::Store next(new_def.TableSchemas());
  if (!clear) {
    STDB_ASSIGN_OR_RETURN(next, MigrateStore(store_, new_def));
    for (const auto& t : new_def.tables) {
      auto old_id = store_.FindTable(t.name);
      if (!old_id) continue;
      // Subscriptions hold index ids (joins look rows up through them): when a table's
      // indexes change, clients must subscribe again.
      const auto& before = store_.table(*old_id).schema().indexes;
      const auto& after = next.table(*next.FindTable(t.name)).schema().indexes;
      const bool same_indexes =
          std::equal(before.begin(), before.end(), after.begin(), after.end(),
                     [](const store::IndexSchema& a, const store::IndexSchema& b) {
                       return a.name == b.name && a.algorithm == b.algorithm &&
                              a.columns == b.columns && a.unique == b.unique;
                     });
      same_tables = same_tables && same_indexes;
    }
  }
  if (clear || !same_tables) {
    // Clients' caches and subscriptions refer to the old tables: make them reconnect.
    for (auto& [id, client] : clients_) {
      client.outbox->Close("the database's module was replaced; reconnect");
      subscriptions_.RemoveClient(id);
    }
    clients_.clear();
    UpdateSubscriptionGauges();
  }
  host_ = std::move(host);
  store_ = std::move(next);
  module_def_bytes_ = module::EncodeModuleDef(host_->def());
  CacheMetricSeries();
  if (durability_) {
    LogSchema(clear);
    ResetLoggedSequences();
  }
  scheduler_.Reset(store_, options_.clock->NowMicros());
  if (new_owner) options_.owner = *new_owner;
  {
    std::lock_guard lock(schema_mu_);
    schema_ = std::make_shared<const module::ModuleDef>(host_->def());
  }
  LogInfo("db/" + options_.name, clear ? "module replaced; data cleared" : "module updated");
  if (clear) {
    Status init = RunLifecycle(module::Lifecycle::kInit, Caller{options_.owner, 0});
    if (!init.ok()) {
      return Status(ErrorCode::kReducerError,
                    "the module was replaced and its data cleared, but its init reducer failed: " +
                        init.message());
    }
  }
  return Status::Ok();
}

}  // namespace stdb::db
