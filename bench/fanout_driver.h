// The parts of the fan-out load generator (bench/fanout.cc; docs: bench/README.md,
// "Fan-out workload") that every system under test shares: the workload's shape, the
// bookkeeping of one subscriber, and the interfaces that each system's driver implements
// (fanout_stdb.cc, fanout_redis.cc, fanout_postgres.cc).
//
// Thread safety: subscriber connections run on a few io threads, each with its own
// io_context and its own Tally; the writer runs on an io thread of its own; the main
// thread creates everything, posts Start/Stop to the io threads, polls the atomics
// (Subscriber::state, rows) and reads everything else only after the io threads joined.
// A Connection's methods other than its constructor run on its io_context's thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "bench/latency_histogram.h"

namespace stdb::bench::fanout {

// The shape of the run: a table of `rows` rows, row id in region id % regions, and a
// writer that moves rows_per_tx rows per transaction.
struct Workload {
  uint64_t rows = 10'000;
  uint32_t regions = 100;
  uint32_t rows_per_tx = 100;

  // Transaction `seq` moves rows [FirstRow(seq), FirstRow(seq) + rows_per_tx):
  // consecutive blocks that wrap around the table, so every row moves equally often and,
  // when regions divides rows_per_tx, every region gets rows_per_tx / regions rows of
  // every transaction. REQUIRES: Valid().
  uint64_t FirstRow(uint64_t seq) const { return (seq * rows_per_tx) % rows; }
  uint32_t RegionOf(uint64_t id) const { return static_cast<uint32_t>(id % regions); }
  // OK when rows_per_tx divides rows and every count is positive.
  Status Valid() const;
};

// A transaction of the writer: move rows [first, first + n) to (x, y + i) and stamp
// them with the writer's clock at the time of sending.
struct Move {
  uint64_t seq = 0;  // 0, 1, 2, ... in sending order
  uint64_t first = 0;
  uint32_t n = 0;
  int64_t stamp_micros = 0;  // RealtimeMicros() when the writer sent it
  float x = 0;
  float y = 0;
};

// Microseconds since the Unix epoch on CLOCK_REALTIME: the clock of every row's stamp.
// The writer and the subscribers are one process on one machine, so they read the same
// clock; a delay is a difference of two readings.
int64_t RealtimeMicros();

// The measured window, in RealtimeMicros, fixed by the main thread before the writer
// starts. Until then it is empty, so nothing received during connecting counts.
struct Window {
  std::atomic<int64_t> from_micros{std::numeric_limits<int64_t>::max()};
  std::atomic<int64_t> to_micros{std::numeric_limits<int64_t>::max()};
  bool Contains(int64_t micros) const {
    return micros >= from_micros.load(std::memory_order_relaxed) &&
           micros < to_micros.load(std::memory_order_relaxed);
  }
};

// What the subscribers of one io thread saw. Written only by that thread; read by the
// main thread after the thread has joined.
struct Tally {
  LatencyHistogram delay;           // send-to-receipt of the rows stamped in the window
  uint64_t rows_in_window = 0;      // rows received in the window
  uint64_t messages_in_window = 0;  // messages carrying rows, received in the window
};

// The bookkeeping of one subscriber connection, the same for every system: which region
// it watches, how many rows it received, whether it is ready or failed. The system's
// Connection reports into it.
class Subscriber {
 public:
  // Monotonic: kConnecting -> kConnected -> kSubscribed, or kFailed from any of them.
  enum class State : int { kConnecting = 0, kConnected = 1, kSubscribed = 2, kFailed = 3 };

  Subscriber(uint32_t region, const Workload& workload, const Window& window, Tally& tally)
      : region_(region), workload_(workload), window_(window), tally_(tally) {}

  uint32_t region() const { return region_; }
  const Workload& workload() const { return workload_; }

  // --- Called by the connection, on its io thread. ---
  // The connection is up (for stdb: InitialConnection arrived).
  void OnConnected();
  // The subscription is in place (SubscribeApplied, the SUBSCRIBE reply, LISTEN done).
  void OnSubscribed();
  // A message with rows arrived at `now_micros`; OnRow follows for each of its rows.
  void OnMessage(int64_t now_micros);
  // One row update (row `id`, stamped `stamp_micros`) arrived at `now_micros`. A row of
  // another region, or an id outside the table, fails the subscriber: the system
  // delivered something the subscription did not ask for.
  void OnRow(uint64_t id, int64_t stamp_micros, int64_t now_micros);
  // The connection failed or closed. The first failure is kept; a failure after
  // MarkStopping (the main thread closing everything) is expected and ignored.
  void Fail(Status status);
  void MarkStopping() { stopping_.store(true, std::memory_order_relaxed); }
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

  // --- Read by the main thread at any time. ---
  State state() const { return state_.load(std::memory_order_acquire); }
  uint64_t rows() const { return rows_.load(std::memory_order_relaxed); }
  // Why the subscriber failed: readable once state() is kFailed (Fail writes it once,
  // before publishing the state) or after the io thread has joined.
  const Status& failure() const { return failure_; }

 private:
  const uint32_t region_;
  const Workload& workload_;
  const Window& window_;
  Tally& tally_;
  std::atomic<State> state_{State::kConnecting};
  std::atomic<uint64_t> rows_{0};
  std::atomic<bool> stopping_{false};
  Status failure_;
};

// One subscriber's connection to a system. Constructed by the main thread; every method
// runs on the io thread of the io_context it was made with.
class Connection {
 public:
  virtual ~Connection() = default;
  // Connects (OnConnected) and, if the connection was made with subscribe = true,
  // subscribes to the subscriber's region (OnSubscribed). Asynchronous, except that
  // PostgreSQL's blocks the io thread while libpq connects.
  virtual void Start() = 0;
  // Subscribes a connection made with subscribe = false once it is connected
  // (OnSubscribed follows): the memory measurement's second step.
  virtual void Subscribe() = 0;
  // Closes the connection. Reports nothing; every pending operation ends soon after.
  virtual void Stop() = 0;
};

// The writer's connection to a system: sends moves as the schedule says, without waiting
// for earlier ones (pipelined), and reports each one's outcome. Constructed by the main
// thread; methods run on its io thread.
class WriterConnection {
 public:
  struct Callbacks {
    std::function<void()> on_ready;                           // Start finished
    std::function<void(uint64_t seq, Status outcome)> on_result;  // a move committed or failed
    std::function<void(Status)> on_failure;                   // the connection broke
  };
  virtual ~WriterConnection() = default;
  virtual void Start() = 0;
  virtual void Send(const Move& move) = 0;
  virtual void Stop() = 0;
};

// A system under test.
class System {
 public:
  virtual ~System() = default;
  // Creates the table (and functions) and inserts workload.rows rows. Blocking; run once
  // on a fresh server.
  [[nodiscard]] virtual Status Setup(const Workload& workload) = 0;
  virtual std::unique_ptr<Connection> NewSubscriber(boost::asio::io_context& ioc,
                                                    Subscriber& subscriber, bool subscribe) = 0;
  virtual std::unique_ptr<WriterConnection> NewWriter(boost::asio::io_context& ioc,
                                                      const Workload& workload,
                                                      WriterConnection::Callbacks callbacks) = 0;
};

// The systems, each addressed by a URL: ws://host:port (stdb; `db` names the database),
// redis://host:port, postgresql://user@host:port/db (a libpq connection URI).
Result<std::unique_ptr<System>> MakeStdbSystem(const std::string& url, const std::string& db);
Result<std::unique_ptr<System>> MakeRedisSystem(const std::string& url);
Result<std::unique_ptr<System>> MakePostgresSystem(const std::string& url);

// The peers' payload: the rows of one region in one transaction, as text built by the
// server-side function (Redis Lua, PL/pgSQL): "id:x:y:stamp" per row, rows joined by ';'.
// Calls on_row(id, stamp_micros) for each row; fails on anything else (and then may have
// called on_row for the rows before the bad one).
Status ParseRowText(std::string_view payload,
                    const std::function<void(uint64_t id, int64_t stamp_micros)>& on_row);

// The channel of region r for the peers: "region:<r>" (Redis), "region_<r>" (PostgreSQL;
// an identifier, so no colon).
std::string RedisChannel(uint32_t region);
std::string PostgresChannel(uint32_t region);

}  // namespace stdb::bench::fanout
