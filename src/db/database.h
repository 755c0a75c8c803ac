// Database: one module, its tables, its subscriptions, and the single worker thread
// that runs every transaction ("one writer per database").
//
// Every public method enqueues work and returns at once; the worker runs the work in
// order, so a client's requests are answered in the order they were sent and every
// client sees transactions in commit order. Results travel back through ClientOutbox
// (WebSocket clients) or completion callbacks (HTTP), which are invoked on the worker
// thread and must not block.
//
// Durability (Options::durability): every transaction is appended to the commit log, and
// its results (messages to clients, HTTP replies) leave only once it is durable
// ("confirmed reads"; a WebSocket client may opt out). If the log fails, the database
// refuses writes from then on and says why (db/durability.h).
//
// Thread safety: all public methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/int256.h"
#include "base/log.h"
#include "base/status.h"
#include "db/durability.h"
#include "db/outbox.h"
#include "db/module_log.h"
#include "db/scheduler.h"
#include "db/work_queue.h"
#include "module/host.h"
#include "obs/metrics.h"
#include "protocol/messages.h"
#include "sats/json.h"
#include "store/tx.h"
#include "subscribe/manager.h"

namespace stdb::db {

using ClientId = subscribe::ClientId;

// Who is calling: an identity and, for WebSocket clients, a connection id (0 otherwise).
struct Caller {
  U256 identity;
  u128 connection_id = 0;
};

// The outcome of a reducer called over HTTP.
struct CallOutcome {
  Status status;  // OK, kReducerError (the reducer's message), or why it could not run
};

// One statement's result for POST /sql.
struct SqlResult {
  std::string table;           // the table the statement reads
  sats::AlgebraicType schema;  // Product of the result columns
  std::vector<Bytes> rows;     // BSATN rows of `schema`
  int64_t duration_micros = 0;
  // INSERT / UPDATE / DELETE: rows inserted, or matched by the WHERE (0 for SELECT).
  uint64_t rows_affected = 0;
};

// Bounded: requests waiting for the worker. Beyond this, new requests are refused
// with kOverloaded (WebSocket clients are disconnected, HTTP gets 503).
inline constexpr size_t kWorkQueueMax = 16384;
// Bounded: requests the worker takes from the queue at once (one lock per batch). So at
// most kWorkQueueMax + kWorkBatchMax requests are held.
inline constexpr size_t kWorkBatchMax = 256;
// The longest the worker holds messages that skip the log (SendBatch) while it runs more
// requests of the same batch (plus the one request that runs past it).
inline constexpr std::chrono::microseconds kSendBatchHoldMax{500};
// Bounded: messages for confirmed clients the worker collects before handing them to the
// release queue as one entry (it also hands them over at the end of every batch, and
// before any other result). Past these, the next message starts a new entry.
inline constexpr size_t kHeldSendsMax = 1024;
inline constexpr uint64_t kHeldBytesMax = 4ull << 20;
// Bounded: scheduled reducers run per worker wake-up before the next request.
inline constexpr int kScheduledCallsPerWakeMax = 64;
// The longest the worker sleeps while rows are scheduled (see Database::Run).
inline constexpr int64_t kScheduleWaitMaxMicros = 1'000'000;

// Whether `new_def` may replace `old_def` keeping the data: every table stays, with the
// same row type, primary key and visibility. kInvalidArgument naming the table otherwise.
Status CheckCompatibleUpdate(const module::ModuleDef& old_def, const module::ModuleDef& new_def);

class Database {
 public:
  struct Options {
    std::string name;
    U256 identity;  // the database's own identity (module identity)
    U256 owner;     // may see private tables; changed only on the worker thread
    const Clock* clock = &SystemClock::Get();
    // The database's folder, where its module log is written (module.log). nullopt:
    // module log lines are kept in memory only.
    std::optional<std::filesystem::path> dir;
    // Where the commit log and snapshots live (normally `dir`); nullopt: in memory only,
    // nothing survives a restart.
    std::optional<DurabilityOptions> durability;
  };

  // Creates a database running `host`. Opens its module log (kIo if `dir` is set and the
  // log cannot be opened). With durability, first recovers the stored state (snapshot +
  // log; a damaged one fails with kDecode naming the file and offset); if the module's
  // schema differs from the stored one, it is applied as a module update (kInvalidArgument
  // if incompatible). A database with no stored state runs the module's init reducer
  // (if any) before anything else; if init fails, creation fails with its message.
  static Result<std::unique_ptr<Database>> Create(Options options,
                                                  std::unique_ptr<module::ModuleHost> host);
  // Stops the worker after the queued work has run (Stop).
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs the queued work, then stops the worker and forgets the connected clients; later
  // requests are refused (kNotFound, "has stopped"). Idempotent; not to be called concurrently or on
  // the worker thread.
  // Connected sessions keep a Database alive (it holds their outboxes, they hold it),
  // so a server shuts down by calling Stop while its network still exists (queued work
  // may still deliver messages to sessions) and before the process exits (module code
  // must not run once exit has destroyed the module's static objects).
  // With `close_reason`, connected clients are closed with it (the database was deleted)
  // instead of being left to the network's own shutdown.
  void Stop(const std::string& close_reason = "");

  const std::string& name() const { return options_.name; }
  const U256& identity() const { return options_.identity; }
  // The current module schema (swapped atomically on publish).
  std::shared_ptr<const module::ModuleDef> schema() const;
  // The lines the module's reducers have logged. Thread-safe (see ModuleLog).
  ModuleLog& module_log() const;
  // The durable state for a backup (newest snapshot + log up to the durable offset),
  // without stopping the database. kUnsupported for an in-memory database.
  Result<BackupSet> Backup();

  // Connects a WebSocket client: runs client_connected, then sends InitialConnection
  // with `token` as the first message. If client_connected fails, closes the client.
  // `confirmed` = false: this client's messages leave as soon as their transaction is
  // committed in memory, without waiting for it to be durable.
  Status Connect(ClientId client, Caller caller, std::string token,
                 std::shared_ptr<ClientOutbox> outbox, bool confirmed = true);
  // Runs client_disconnected and forgets the client's subscriptions. Never refused.
  void Disconnect(ClientId client);
  // Handles one client message (subscribe, unsubscribe, one-off query, reducer call).
  Status HandleMessage(ClientId client, protocol::ClientMessage message);

  // Calls a reducer for an HTTP request. `args` is the BSATN of its parameters.
  Status CallReducer(Caller caller, std::string reducer, Bytes args,
                     std::function<void(CallOutcome)> done);
  // Runs SQL text (';'-separated statements; docs/sql.md) for an HTTP request.
  // INSERT / UPDATE / DELETE are for the owner only; each is its own transaction.
  Status Sql(Caller caller, std::string text,
             std::function<void(Result<std::vector<SqlResult>>)> done);
  // Replaces the module. `clear` drops all data first (and runs init again); without it
  // the new schema must keep every existing table unchanged (kInvalidArgument otherwise,
  // and the old module keeps running). Connected clients are disconnected when the set
  // of tables changes. `new_owner`, if set, becomes the owner (a database created
  // without one is claimed by its first publisher).
  Status UpdateModule(std::unique_ptr<module::ModuleHost> host, bool clear,
                      std::optional<U256> new_owner, std::function<void(Status)> done);

 private:
  using Work = std::function<void()>;
  // A queued request and the id of the request it serves (base/log.h), so that what the
  // worker logs for it carries that id.
  struct QueuedWork {
    RequestId request;
    Work work;
  };
  struct ClientState {
    Caller caller;
    std::shared_ptr<ClientOutbox> outbox;
    bool confirmed = true;
  };
  // What a transaction ran, for its commit log record.
  struct TxInputs {
    log::RecordKind kind = log::RecordKind::kReducer;
    std::string_view name;  // the reducer (kReducer)
    ByteView args;          // its arguments, or the SQL text (kSql)
    Caller caller;
    int64_t timestamp_micros = 0;
  };
  class ReducerLog;

  Database(Options options, std::unique_ptr<module::ModuleHost> host,
           std::unique_ptr<ModuleLog> module_log);
  bool Enqueue(Work work);
  // Like Enqueue, but never refused for a full queue (bounded by connections).
  void EnqueueUnbounded(Work work);
  void Run();
  // Sets the per-reducer and per-table series for the running module (metrics_).
  void CacheMetricSeries();
  // Updates the row gauges of the tables a transaction changed.
  void UpdateTableRows(const store::TxDelta& delta);
  // Sets the subscription gauges after a subscribe, unsubscribe or disconnect.
  void UpdateSubscriptionGauges();
  // Create's second half: recovers the stored state, or starts a new one (init).
  Status Open();
  Status OpenDurable();

  // Worker-thread only below.
  Status RunLifecycle(module::Lifecycle lifecycle, const Caller& caller);
  // Runs one reducer as a transaction; on success fans out the changes. Returns the
  // reducer status; `caller_update` receives the caller's own subscription changes.
  // `before_commit`, if set, runs inside the transaction after the reducer succeeded
  // (a failure rolls everything back).
  Status RunReducer(uint32_t reducer_id, const Caller& caller, ByteView args,
                    std::optional<ClientId> calling_client, int64_t& timestamp_micros,
                    protocol::TransactionUpdate* caller_update,
                    const std::function<Status(store::Transaction&)>& before_commit = {});
  // Runs the scheduled reducers that are due (at most a bounded batch per call, so
  // requests are not starved by a flood of due rows).
  void RunDueSchedules();
  void RunScheduled(Scheduler::Due due);
  // Commits `tx` and sends its changes to subscribers (the caller's own changes, if it is
  // a WebSocket client, to `caller_update` instead) and to the scheduler.
  void CommitAndPublish(store::Transaction& tx, std::optional<ClientId> calling_client,
                        protocol::TransactionUpdate* caller_update, const TxInputs& inputs);
  // Appends a committed transaction's record to the commit log (and maybe snapshots).
  void LogTransaction(const TxInputs& inputs, store::TxDelta delta,
                      std::vector<log::SequencePosition> sequences);
  // Sequences whose next value moved since they were last logged (a transaction may use
  // a value and delete its row again: the position must still be logged); marks them
  // logged. ResetLoggedSequences takes the store's positions as logged (they are what
  // replay reproduces).
  std::vector<log::SequencePosition> ChangedSequences();
  void ResetLoggedSequences();
  // Appends a schema record for the running module.
  void LogSchema(bool clear);
  // Why writes are refused, once the commit log has failed.
  std::optional<Status> WriteRefusal() const;
  // Runs `action` once every transaction committed so far is durable (at once when not
  // durable), or with the log's failure.
  // `bytes`: what the action holds, for the release queue's bound; `sends`: how many
  // messages it queues (a large fan-out runs on the release thread, not the log's).
  void AfterDurable(std::function<void(const Status* failed)> action, uint64_t bytes = 0,
                    uint64_t sends = 1);
  // Sends one message to `client`, after the fan-out collected so far in this request
  // (FlushFanout) unless `ahead_of_fanout` (the caller's ReducerResult).
  void Send(ClientId client, const protocol::ServerMessage& message,
            bool ahead_of_fanout = false);
  // Sends the subscribers' updates of the transactions committed since the last flush
  // (after the current request, so that a caller's ReducerResult leaves ahead of the
  // fan-out of its own transaction instead of behind a thousand other clients' updates;
  // each client still gets its messages in commit order).
  void FlushFanout();
  // Sends messages in order (a transaction's updates): to clients that skip durability
  // at once, the others' through held_ (SendOrHold).
  void SendAll(std::vector<std::pair<ClientId, protocol::EncodedMessage>> messages);
  // Sends `message` to `state`'s client: at once if it skips durability, else into held_.
  void SendOrHold(const ClientState& state, protocol::EncodedMessage message);
  // Hands held_ to the release queue as one entry (nothing if it is empty). Called at the
  // end of each batch (before its commit group is released), before any other result is
  // released, and when held_ reaches its bounds; so results keep their order.
  void ReleaseHeld();
  // The commit log failed: close every client with the reason (worker thread).
  void CloseAllClients(const std::string& reason);
  // The error for work the queue did not take (full, or stopped).
  Status Refused() const;
  void OnSubscribe(ClientId client, const protocol::Subscribe& m);
  void OnUnsubscribe(ClientId client, const protocol::Unsubscribe& m);
  void OnOneOffQuery(ClientId client, const protocol::OneOffQuery& m);
  void OnCallReducer(ClientId client, const protocol::CallReducer& m);
  Result<std::vector<SqlResult>> RunSql(const Caller& caller, const std::string& text);
  Status SwapModule(std::unique_ptr<module::ModuleHost> host, bool clear,
                    std::optional<U256> new_owner);

  Options options_;
  std::unique_ptr<module::ModuleHost> host_;
  // Module log lines: to the server log and the database's ModuleLog.
  std::unique_ptr<ReducerLog> log_;
  store::Store store_;
  // EncodeModuleDef of the running module: what schema records and snapshots hold.
  Bytes module_def_bytes_;
  std::unique_ptr<Durability> durability_;
  // Per table with sequences: the next values last written to the log.
  std::vector<std::pair<store::TableId, std::vector<uint64_t>>> logged_sequences_;
  subscribe::SubscriptionManager subscriptions_;
  Scheduler scheduler_;
  std::map<ClientId, ClientState> clients_;
  // Subscribers' updates waiting for FlushFanout, in commit order.
  std::vector<std::pair<ClientId, protocol::EncodedMessage>> fanout_;
  // Messages for confirmed clients waiting for ReleaseHeld, in order: the replies and
  // updates of a whole batch cost one release-queue entry (one lock, one allocation)
  // instead of one per message. Bounded by kHeldSendsMax / kHeldBytesMax.
  struct HeldSends {
    std::vector<std::pair<std::shared_ptr<ClientOutbox>, protocol::EncodedMessage>> messages;
    uint64_t bytes = 0;
    // Pieces several messages share (a table update): counted once for the bound.
    std::unordered_set<const Bytes*> shared;
  };
  HeldSends held_;
  uint64_t tx_seq_ = 0;

  mutable std::mutex schema_mu_;
  std::shared_ptr<const module::ModuleDef> schema_;

  // Metrics (obs/metrics.h): the database's series and, per reducer id and table id of
  // the running module, the series the worker updates.
  std::shared_ptr<obs::DatabaseMetrics> metrics_;
  std::vector<std::pair<prometheus::Counter*, prometheus::Counter*>> reducer_series_;  // calls, failures
  std::vector<prometheus::Gauge*> table_rows_series_;

  WorkQueue<QueuedWork> queue_{kWorkQueueMax};
  std::thread worker_;
};

}  // namespace stdb::db
