// stdb_fanout: the load generator of the fan-out workload (docs: bench/README.md,
// "Fan-out workload"; definition: the shared benchmark plan, workload 2), for stdb and,
// doing the same work, Redis pub/sub and PostgreSQL LISTEN/NOTIFY.
//
//   stdb_fanout --system stdb|redis|postgres --url URL [--db NAME] [--mode load|memory|setup]
//               [--subscribers 1000] [--regions 100] [--rows 10000] [--rows-per-tx 100]
//               [--rate 100] [--seconds 10] [--drain-seconds 30] [--threads 2]
//               [--server-pid PID] [--json FILE]
//
// A table `position` of --rows rows, row id in region id % regions. Subscriber i watches
// region i % regions: stdb `SELECT * FROM position WHERE region = <r>`, Redis channel
// region:<r>, PostgreSQL LISTEN region_<r>. One writer moves --rows-per-tx consecutive
// rows per transaction, --rate transactions per second on a fixed schedule (open loop:
// a transaction is sent when it is due, whether or not earlier ones have committed; a
// send that leaves after the next one was due counts as late). Each row carries the
// writer's clock at sending (CLOCK_REALTIME); a subscriber that receives it records the
// send-to-receipt delay. The first kWarmup is not measured.
//
// Modes:
//   setup   creates the table (Redis, PostgreSQL: and the functions) and seeds the rows;
//           once per fresh server (stdb: after the module is published).
//   load    the run above; prints row updates delivered per second in the measured
//           window, delay percentiles, and with --server-pid the server's CPU time
//           (its whole process tree) per delivered row.
//   memory  the server's memory per connected idle client: its memory before, after
//           --subscribers connections that only wait, and after each has subscribed.
//
// The load run exits with status 1 if a subscriber disconnected or failed, a transaction
// failed, or, after the writer finished and a drain of up to --drain-seconds, any
// subscriber received a different number of rows than the transactions the writer saw
// committed put in its region. It prints one line of key=value pairs (bench/run-fanout
// parses it) and, with --json, the same figures as JSON.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/assert.h"
#include "base/status.h"
#include "bench/fanout_driver.h"
#include "bench/fanout_proc.h"
#include "bench/latency_histogram.h"

namespace stdb::bench::fanout {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Json = nlohmann::ordered_json;

// The part of each run that is not measured: connections and caches settle.
constexpr auto kWarmup = std::chrono::seconds(1);
// The writer starts this long after the schedule is fixed, so that its first sends are
// not late because the main thread was still posting.
constexpr auto kStartDelay = std::chrono::milliseconds(200);
// A send counts as late, the writer having fallen behind, when it leaves after the
// next transaction was due (one period late), or kLateTolerance late if that is more:
// timer wake-ups on a loaded two-core machine are often a millisecond or more late,
// which is jitter, not falling behind.
constexpr auto kLateTolerance = std::chrono::milliseconds(1);
// Bounded: the writer keeps at most this many transactions in flight; when that many are
// unanswered it waits (and its next sends are late). At the highest rates run here it is
// a second or more of transactions.
constexpr size_t kInFlightMax = 4096;
// Connections are opened this many at a time, so that a server's listen backlog (511
// for Redis) and PostgreSQL's process start-up are not flooded.
constexpr size_t kConnectBatch = 50;
// Bounds on the waits for connections, subscriptions and the writer.
constexpr auto kConnectTimeout = std::chrono::seconds(120);
constexpr auto kStopTimeout = std::chrono::seconds(5);
// The memory measurement lets the server settle this long before each reading.
constexpr auto kMemorySettle = std::chrono::seconds(2);
// A run kept up when it delivered at least this fraction of the offered rows in the
// window; the rest is the window's edges (rows sent near its end arrive after it).
constexpr double kKeptUpFraction = 0.9;
// Bounds on the options.
constexpr int kSubscribersMax = 20'000;
constexpr int kThreadsMax = 16;

struct Options {
  std::string system;
  std::string url;
  std::string db;
  std::string mode = "load";
  int subscribers = 1000;
  Workload workload;
  double rate = 100;
  double seconds = 10;
  double drain_seconds = 30;
  int threads = 2;
  int server_pid = 0;
  std::string json_path;
};

// An io_context run by one thread, with the Tally of the subscribers it serves.
struct IoThread {
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard{
      ioc.get_executor()};
  Tally tally;
  std::atomic<bool> finished{false};
  std::thread thread;

  void Run() {
    thread = std::thread([this] {
      ioc.run();
      finished.store(true, std::memory_order_release);
    });
  }
  // Lets run() return once the posted Stops have closed everything; stops it after
  // kStopTimeout if something is still pending.
  void Join() {
    if (!thread.joinable()) return;
    guard.reset();
    const auto deadline = SteadyClock::now() + kStopTimeout;
    while (!finished.load(std::memory_order_acquire) && SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ioc.stop();
    thread.join();
  }
};

// The writer's schedule and what it saw. Runs on the writer's io thread; the main thread
// reads the results once done() is true.
class Pacer {
 public:
  Pacer(asio::io_context& ioc, const Workload& workload, double rate, uint64_t total)
      : timer_(ioc), workload_(workload), rate_(rate), total_(total),
        late_after_(std::max<SteadyClock::duration>(
            kLateTolerance, std::chrono::duration_cast<SteadyClock::duration>(
                                std::chrono::duration<double>(1.0 / rate)))),
        committed_rows_(workload.regions, 0) {}

  void set_connection(WriterConnection* c) { conn_ = c; }

  // Sends transaction k at start + k / rate, for k in [0, total).
  void Begin(TimePoint start) {
    start_ = start;
    Tick();
  }

  void OnResult(uint64_t seq, Status outcome) {
    if (done()) return;  // stopped by a failure; the main thread reads the figures now
    const TimePoint now = SteadyClock::now();
    auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                           [&](const InFlight& f) { return f.seq == seq; });
    if (it == in_flight_.end()) {
      return OnFailure(InternalError("a result for transaction " + std::to_string(seq) +
                                     ", which is not in flight"));
    }
    commit_latency_.Record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - it->sent).count()));
    in_flight_.erase(it);
    if (outcome.ok()) {
      ++committed_;
      const uint64_t first = workload_.FirstRow(seq);
      for (uint64_t id = first; id < first + workload_.rows_per_tx; ++id) {
        ++committed_rows_[workload_.RegionOf(id)];
      }
    } else {
      if (failed_ == 0) first_error_ = outcome.ToString();
      ++failed_;
    }
    if (blocked_) {
      blocked_ = false;
      Tick();
    }
    MaybeDone();
  }

  void OnFailure(Status status) {
    if (done()) return;
    failure_ = std::move(status);
    timer_.cancel();
    done_.store(true, std::memory_order_release);
  }

  bool done() const { return done_.load(std::memory_order_acquire); }

  // Read once done() is true.
  uint64_t sent() const { return next_; }
  uint64_t committed() const { return committed_; }
  uint64_t failed() const { return failed_; }
  uint64_t late() const { return late_; }
  uint64_t max_lag_micros() const { return max_lag_micros_; }
  const std::string& first_error() const { return first_error_; }
  const Status& failure() const { return failure_; }
  // Rows of committed transactions in each region.
  const std::vector<uint64_t>& committed_rows() const { return committed_rows_; }
  const LatencyHistogram& commit_latency() const { return commit_latency_; }

 private:
  struct InFlight {
    uint64_t seq;
    TimePoint sent;
  };

  TimePoint Due(uint64_t seq) const {
    return start_ + std::chrono::duration_cast<SteadyClock::duration>(
                        std::chrono::duration<double>(static_cast<double>(seq) / rate_));
  }

  // Sends every transaction that is due (several back to back when behind), then waits
  // for the next one's due time.
  void Tick() {
    while (next_ < total_ && !done()) {
      const TimePoint due = Due(next_);
      const TimePoint now = SteadyClock::now();
      if (now < due) {
        timer_.expires_at(due);
        timer_.async_wait([this](boost::system::error_code ec) {
          if (!ec) Tick();
        });
        return;
      }
      if (in_flight_.size() >= kInFlightMax) {
        blocked_ = true;  // OnResult resumes
        return;
      }
      const auto lag = now - due;
      if (lag > late_after_) ++late_;
      max_lag_micros_ = std::max<uint64_t>(
          max_lag_micros_, std::chrono::duration_cast<std::chrono::microseconds>(lag).count());
      Move m;
      m.seq = next_;
      m.first = workload_.FirstRow(next_);
      m.n = workload_.rows_per_tx;
      m.x = static_cast<float>(next_ % 1000);
      m.y = static_cast<float>(next_ % 997);
      m.stamp_micros = RealtimeMicros();
      in_flight_.push_back(InFlight{next_, now});
      ++next_;
      conn_->Send(m);
    }
    MaybeDone();
  }

  void MaybeDone() {
    if (next_ == total_ && in_flight_.empty()) done_.store(true, std::memory_order_release);
  }

  asio::steady_timer timer_;
  const Workload& workload_;
  const double rate_;
  const uint64_t total_;
  const SteadyClock::duration late_after_;  // a send this far past its due time is late
  WriterConnection* conn_ = nullptr;
  TimePoint start_;
  uint64_t next_ = 0;
  std::deque<InFlight> in_flight_;  // at most kInFlightMax
  bool blocked_ = false;
  uint64_t committed_ = 0;
  uint64_t failed_ = 0;
  uint64_t late_ = 0;
  uint64_t max_lag_micros_ = 0;
  std::string first_error_;
  Status failure_;
  std::vector<uint64_t> committed_rows_;
  LatencyHistogram commit_latency_;
  std::atomic<bool> done_{false};
};

// The subscribers, their connections, and the io threads that serve them.
struct Subscribers {
  std::vector<std::unique_ptr<IoThread>> threads;
  std::vector<std::unique_ptr<Subscriber>> subscribers;
  std::vector<std::unique_ptr<Connection>> connections;

  Subscribers(System& system, const Options& o, const Window& window, bool subscribe) {
    for (int t = 0; t < o.threads; ++t) threads.push_back(std::make_unique<IoThread>());
    for (int i = 0; i < o.subscribers; ++i) {
      IoThread& t = *threads[i % o.threads];
      const auto region = static_cast<uint32_t>(i % o.workload.regions);
      subscribers.push_back(std::make_unique<Subscriber>(region, o.workload, window, t.tally));
      connections.push_back(system.NewSubscriber(t.ioc, *subscribers.back(), subscribe));
    }
    for (auto& t : threads) t->Run();
  }

  ~Subscribers() { Stop(); }

  asio::io_context& IocOf(size_t i) { return threads[i % threads.size()]->ioc; }

  // Calls `action` on each connection, on its io thread, kConnectBatch at a time, and
  // waits after each batch until all of it reached `want`. Fails with the first
  // failure, or if the wait exceeds kConnectTimeout.
  Status Step(void (Connection::*action)(), Subscriber::State want) {
    const auto deadline = SteadyClock::now() + kConnectTimeout;
    for (size_t begin = 0; begin < connections.size(); begin += kConnectBatch) {
      const size_t end = std::min(connections.size(), begin + kConnectBatch);
      for (size_t i = begin; i < end; ++i) {
        asio::post(IocOf(i), [c = connections[i].get(), action] { (c->*action)(); });
      }
      for (size_t i = begin; i < end; ++i) {
        while (subscribers[i]->state() < want) {
          if (SteadyClock::now() > deadline) {
            return IoError("subscriber " + std::to_string(i) + " not ready within " +
                           std::to_string(kConnectTimeout.count()) + " s");
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (subscribers[i]->state() == Subscriber::State::kFailed) {
          return Status(subscribers[i]->failure().code(),
                        "subscriber " + std::to_string(i) + ": " + subscribers[i]->failure().message());
        }
      }
    }
    return Status::Ok();
  }

  // Closes every connection (no failure is reported for it) and joins the threads.
  void Stop() {
    for (size_t i = 0; i < connections.size(); ++i) {
      subscribers[i]->MarkStopping();
      asio::post(IocOf(i), [c = connections[i].get()] { c->Stop(); });
    }
    for (auto& t : threads) t->Join();
    connections.clear();  // before the io_contexts they use
  }
};

Result<std::unique_ptr<System>> MakeSystem(const Options& o) {
  if (o.system == "stdb") return MakeStdbSystem(o.url, o.db);
  if (o.system == "redis") return MakeRedisSystem(o.url);
  if (o.system == "postgres") return MakePostgresSystem(o.url);
  return InvalidArgument("--system must be stdb, redis or postgres");
}

uint64_t OwnCpuMicros() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto micros = [](const timeval& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1'000'000 + static_cast<uint64_t>(t.tv_usec);
  };
  return micros(u.ru_utime) + micros(u.ru_stime);
}

Json LatencyJson(const LatencyHistogram& h) {
  return {{"samples", h.count()},          {"mean", h.mean_micros()},
          {"p50", h.PercentileMicros(0.5)}, {"p99", h.PercentileMicros(0.99)},
          {"p99.9", h.PercentileMicros(0.999)}, {"max", h.max_micros()}};
}

// CPU time of the server's process tree, or nullopt without --server-pid.
Result<std::optional<uint64_t>> ServerCpu(const Options& o) {
  if (o.server_pid == 0) return std::optional<uint64_t>();
  STDB_ASSIGN_OR_RETURN(uint64_t micros, ProcessTreeCpuMicros(o.server_pid));
  return std::optional<uint64_t>(micros);
}

// Waits until every subscriber has received the rows of its region that the writer saw
// committed, or one failed, or `deadline` passed.
void Drain(const Subscribers& subs, const Pacer& pacer, TimePoint deadline) {
  while (SteadyClock::now() < deadline) {
    bool all = true;
    for (const auto& s : subs.subscribers) {
      if (s->state() == Subscriber::State::kFailed) return;
      all = all && s->rows() >= pacer.committed_rows()[s->region()];
    }
    if (all) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The writer: its io thread, its pacer and its connection to the system.
struct Writer {
  IoThread thread;
  Pacer pacer;
  std::unique_ptr<WriterConnection> connection;
  std::atomic<bool> ready{false};

  Writer(System& system, const Options& o, uint64_t scheduled)
      : pacer(thread.ioc, o.workload, o.rate, scheduled) {
    connection = system.NewWriter(
        thread.ioc, o.workload,
        {[this] { ready.store(true, std::memory_order_release); },
         [this](uint64_t seq, Status outcome) { pacer.OnResult(seq, std::move(outcome)); },
         [this](Status s) { pacer.OnFailure(std::move(s)); }});
    pacer.set_connection(connection.get());
    thread.Run();
  }

  ~Writer() { Stop(); }

  // Connects; fails if the connection fails or is not ready within kConnectTimeout.
  Status Connect() {
    asio::post(thread.ioc, [this] { connection->Start(); });
    const auto deadline = SteadyClock::now() + kConnectTimeout;
    while (!ready.load(std::memory_order_acquire) && !pacer.done() &&
           SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (ready.load(std::memory_order_acquire)) return Status::Ok();
    return pacer.done() ? pacer.failure() : IoError("the writer did not connect in time");
  }

  // Closes the connection and joins the thread; the pacer's figures are final after it.
  void Stop() {
    if (connection == nullptr) return;
    asio::post(thread.ioc, [this] { connection->Stop(); });
    thread.Join();
    connection.reset();
  }
};

Result<uint64_t> Elapsed(const Result<std::optional<uint64_t>>& before,
                         const Result<std::optional<uint64_t>>& after) {
  if (!before.ok()) return before.status();
  if (!after.ok()) return after.status();
  if (!before->has_value() || !after->has_value()) return NotFound("no --server-pid");
  return **after - **before;
}

// Runs the schedule: fixes the window, starts the pacer, reads the CPU times at the
// window's edges, then waits for the writer to finish and the subscribers to catch up
// (each for up to --drain-seconds). Adds the CPU times to `j`.
void RunSchedule(Writer& writer, const Subscribers& subs, Window& window, const Options& o,
                 Json& j, std::vector<std::string>& problems) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  // The schedule on both clocks: steady for the writer and the readings, realtime for
  // the rows' stamps and receipts.
  const TimePoint start = SteadyClock::now() + kStartDelay;
  const int64_t start_rt = RealtimeMicros() + duration_cast<microseconds>(kStartDelay).count();
  const TimePoint measure_from = start + kWarmup;
  const TimePoint stop_at = measure_from + duration_cast<SteadyClock::duration>(
                                               std::chrono::duration<double>(o.seconds));
  window.from_micros = start_rt + duration_cast<microseconds>(kWarmup).count();
  window.to_micros = window.from_micros + static_cast<int64_t>(o.seconds * 1e6);
  asio::post(writer.thread.ioc, [&writer, start] { writer.pacer.Begin(start); });

  std::this_thread::sleep_until(measure_from);
  const auto server_before = ServerCpu(o);
  const uint64_t own_before = OwnCpuMicros();
  std::this_thread::sleep_until(stop_at);
  const auto server_after = ServerCpu(o);
  const uint64_t own_after = OwnCpuMicros();
  j["client_cpu_us"] = own_after - own_before;
  if (auto cpu = Elapsed(server_before, server_after); cpu.ok()) {
    j["server_cpu_us"] = *cpu;
  } else if (o.server_pid != 0) {
    problems.push_back("reading the server's CPU time: " + cpu.status().ToString());
  }

  const auto drain = duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(o.drain_seconds));
  while (!writer.pacer.done() && SteadyClock::now() < stop_at + drain) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!writer.pacer.done()) {
    problems.push_back("the writer did not finish within " + std::to_string(o.drain_seconds) +
                       " s after the window");
    asio::post(writer.thread.ioc, [&writer] { writer.pacer.OnFailure(InternalError("timed out")); });
    while (!writer.pacer.done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  Drain(subs, writer.pacer, SteadyClock::now() + drain);
}

// Checks every subscriber's rows against the rows of its region that the writer saw
// committed, and fills `j` with the run's figures. REQUIRES: every thread has joined.
void Summarise(const Pacer& pacer, const Subscribers& subs, const Options& o, Json& j,
               std::vector<std::string>& problems) {
  if (!pacer.failure().ok()) problems.push_back("writer: " + pacer.failure().ToString());
  if (pacer.failed() > 0) {
    problems.push_back(std::to_string(pacer.failed()) + " transactions failed, the first: " +
                       pacer.first_error());
  }
  if (pacer.committed() == 0) problems.push_back("no transaction committed");
  uint64_t expected = 0, delivered = 0, short_subscribers = 0, long_subscribers = 0;
  std::string first_mismatch;
  for (size_t i = 0; i < subs.subscribers.size(); ++i) {
    const Subscriber& s = *subs.subscribers[i];
    const uint64_t want = pacer.committed_rows()[s.region()];
    expected += want;
    delivered += s.rows();
    if (!s.failure().ok()) {
      // Bounded: a run where many fail says so in the first few.
      if (problems.size() < 20) problems.push_back("subscriber " + std::to_string(i) + ": " + s.failure().ToString());
    } else if (s.rows() != want) {
      ++(s.rows() < want ? short_subscribers : long_subscribers);
      if (first_mismatch.empty()) {
        first_mismatch = "subscriber " + std::to_string(i) + " (region " + std::to_string(s.region()) +
                         ") received " + std::to_string(s.rows()) + " rows, not " + std::to_string(want);
      }
    }
  }
  if (!first_mismatch.empty()) {
    problems.push_back(std::to_string(short_subscribers) + " subscribers received too few rows, " +
                       std::to_string(long_subscribers) + " too many; " + first_mismatch);
  }
  Tally merged;
  for (const auto& t : subs.threads) {
    merged.delay.Merge(t->tally.delay);
    merged.rows_in_window += t->tally.rows_in_window;
    merged.messages_in_window += t->tally.messages_in_window;
  }
  const double rows_in_window = static_cast<double>(merged.rows_in_window);
  j["tx_sent"] = pacer.sent();
  j["tx_committed"] = pacer.committed();
  j["tx_failed"] = pacer.failed();
  j["late_sends"] = pacer.late();
  j["max_send_lag_us"] = pacer.max_lag_micros();
  j["rows_expected"] = expected;
  j["rows_delivered"] = delivered;
  j["rows_in_window"] = merged.rows_in_window;
  j["messages_in_window"] = merged.messages_in_window;
  j["delivered_rows_per_s"] = rows_in_window / o.seconds;
  // What the writer asked for: rows per committed transaction times the rate. A system
  // that delivers less than kKeptUpFraction of it in the window fell behind (its
  // backlog, and so its delays, grew during the run).
  const double offered = pacer.committed() == 0 ? 0.0
                                                : static_cast<double>(expected) * o.rate /
                                                      static_cast<double>(pacer.committed());
  j["offered_rows_per_s"] = offered;
  j["kept_up"] = rows_in_window >= kKeptUpFraction * offered * o.seconds;
  j["messages_per_s"] = static_cast<double>(merged.messages_in_window) / o.seconds;
  j["delay_us"] = LatencyJson(merged.delay);
  j["commit_us"] = LatencyJson(pacer.commit_latency());
  for (const char* who : {"server", "client"}) {
    const std::string cpu = std::string(who) + "_cpu_us";
    if (!j.contains(cpu)) continue;
    j[std::string(who) + "_cores"] = j[cpu].get<double>() / (o.seconds * 1e6);
    if (merged.rows_in_window > 0) {
      j[cpu + "_per_row"] = j[cpu].get<double>() / rows_in_window;
    }
  }
}

// The load run. Fills `j` with the results; returns the reasons the run is invalid
// (empty when it is not).
std::vector<std::string> RunLoad(System& system, const Options& o, Json& j) {
  Window window;
  Subscribers subs(system, o, window, /*subscribe=*/true);
  if (Status s = subs.Step(&Connection::Start, Subscriber::State::kSubscribed); !s.ok()) {
    return {"connecting subscribers: " + s.ToString()};
  }
  const double run_seconds = std::chrono::duration<double>(kWarmup).count() + o.seconds;
  const auto scheduled = static_cast<uint64_t>(std::llround(o.rate * run_seconds));
  j["tx_scheduled"] = scheduled;
  Writer writer(system, o, scheduled);
  std::vector<std::string> problems;
  if (Status s = writer.Connect(); !s.ok()) {
    problems.push_back("the writer did not connect: " + s.ToString());
  } else {
    RunSchedule(writer, subs, window, o, j, problems);
  }
  writer.Stop();
  subs.Stop();
  Summarise(writer.pacer, subs, o, j, problems);
  return problems;
}

// The server's memory: the Pss of its process tree and the resident set of its main
// process.
struct Memory {
  uint64_t pss = 0;
  uint64_t rss = 0;
};

Result<Memory> ReadMemory(int pid) {
  Memory m;
  STDB_ASSIGN_OR_RETURN(m.pss, ProcessTreePssBytes(pid));
  STDB_ASSIGN_OR_RETURN(m.rss, ResidentBytes(pid));
  return m;
}

// The memory run: the server's memory before, with idle connections, and with one
// subscription each.
std::vector<std::string> RunMemory(System& system, const Options& o, Json& j) {
  if (o.server_pid == 0) return {"--mode memory needs --server-pid"};
  Window window;  // empty: nothing is measured
  std::this_thread::sleep_for(kMemorySettle);
  auto before = ReadMemory(o.server_pid);
  if (!before.ok()) return {before.status().ToString()};
  Subscribers subs(system, o, window, /*subscribe=*/false);
  if (Status s = subs.Step(&Connection::Start, Subscriber::State::kConnected); !s.ok()) {
    return {"connecting: " + s.ToString()};
  }
  std::this_thread::sleep_for(kMemorySettle);
  auto idle = ReadMemory(o.server_pid);
  if (!idle.ok()) return {idle.status().ToString()};
  if (Status s = subs.Step(&Connection::Subscribe, Subscriber::State::kSubscribed); !s.ok()) {
    return {"subscribing: " + s.ToString()};
  }
  std::this_thread::sleep_for(kMemorySettle);
  auto subscribed = ReadMemory(o.server_pid);
  if (!subscribed.ok()) return {subscribed.status().ToString()};
  std::vector<std::string> problems;
  for (size_t i = 0; i < subs.subscribers.size(); ++i) {
    if (subs.subscribers[i]->state() == Subscriber::State::kFailed) {
      problems.push_back("subscriber " + std::to_string(i) + ": " +
                         subs.subscribers[i]->failure().ToString());
      break;
    }
  }
  subs.Stop();
  auto per_client = [&](uint64_t after, uint64_t base) {
    return (static_cast<double>(after) - static_cast<double>(base)) / o.subscribers;
  };
  j["pss_before"] = before->pss;
  j["pss_idle"] = idle->pss;
  j["pss_subscribed"] = subscribed->pss;
  j["rss_before"] = before->rss;
  j["rss_idle"] = idle->rss;
  j["rss_subscribed"] = subscribed->rss;
  j["idle_bytes_per_client"] = per_client(idle->pss, before->pss);
  j["subscribed_bytes_per_client"] = per_client(subscribed->pss, before->pss);
  j["idle_rss_bytes_per_client"] = per_client(idle->rss, before->rss);
  j["subscribed_rss_bytes_per_client"] = per_client(subscribed->rss, before->rss);
  return problems;
}

Result<Options> ParseOptions(int argc, char** argv) {
  Options o;
  CLI::App app{"fan-out workload load generator (bench/README.md)", "stdb_fanout"};
  app.add_option("--system", o.system, "stdb, redis or postgres")->required();
  app.add_option("--url", o.url,
                 "ws://host:port (stdb), redis://host:port, postgresql://user@host:port/db")
      ->required();
  app.add_option("--db", o.db, "database name (stdb)");
  app.add_option("--mode", o.mode, "load (default), memory or setup")
      ->check(CLI::IsMember({"load", "memory", "setup"}));
  app.add_option("--subscribers", o.subscribers, "subscriber connections")
      ->check(CLI::Range(1, kSubscribersMax));
  app.add_option("--regions", o.workload.regions, "regions; subscriber i watches region i % regions")
      ->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--rows", o.workload.rows, "rows in the table")->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  app.add_option("--rows-per-tx", o.workload.rows_per_tx, "rows each transaction moves")
      ->check(CLI::Range(1u, 100'000u));
  app.add_option("--rate", o.rate, "transactions per second")->check(CLI::Range(0.1, 1e6));
  app.add_option("--seconds", o.seconds, "measured seconds, after 1 s of warm-up")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--drain-seconds", o.drain_seconds,
                 "after the window: how long the writer and the subscribers may take to finish")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--threads", o.threads, "io threads serving the subscribers")
      ->check(CLI::Range(1, kThreadsMax));
  app.add_option("--server-pid", o.server_pid, "the server's pid (CPU and memory readings)");
  app.add_option("--json", o.json_path, "also write the results to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  STDB_RETURN_IF_ERROR(o.workload.Valid());
  return o;
}

std::string Number(const Json& j, const char* key, const char* format = "%.0f") {
  if (!j.contains(key)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, j[key].get<double>());
  return buf;
}

void PrintLoadLine(const Options& o, const Json& j, bool ok) {
  const auto& d = j["delay_us"];
  std::printf(
      "fanout system=%s subscribers=%d regions=%u rows_per_tx=%u rate=%g seconds=%.1f "
      "tx_committed=%llu late_sends=%llu offered_rows_per_s=%s rows_per_s=%s kept_up=%s "
      "messages_per_s=%s p50_us=%llu "
      "p99_us=%llu p999_us=%llu max_us=%llu commit_p50_us=%llu server_cpu_us_per_row=%s "
      "server_cores=%s client_cores=%s rows_delivered=%llu rows_expected=%llu %s\n",
      o.system.c_str(), o.subscribers, o.workload.regions, o.workload.rows_per_tx, o.rate,
      o.seconds, j["tx_committed"].get<unsigned long long>(),
      j["late_sends"].get<unsigned long long>(), Number(j, "offered_rows_per_s").c_str(),
      Number(j, "delivered_rows_per_s").c_str(), j["kept_up"].get<bool>() ? "yes" : "no",
      Number(j, "messages_per_s").c_str(), d["p50"].get<unsigned long long>(),
      d["p99"].get<unsigned long long>(), d["p99.9"].get<unsigned long long>(),
      d["max"].get<unsigned long long>(), j["commit_us"]["p50"].get<unsigned long long>(),
      Number(j, "server_cpu_us_per_row", "%.2f").c_str(), Number(j, "server_cores", "%.2f").c_str(),
      Number(j, "client_cores", "%.2f").c_str(), j["rows_delivered"].get<unsigned long long>(),
      j["rows_expected"].get<unsigned long long>(), ok ? "complete" : "INVALID");
}

void PrintMemoryLine(const Options& o, const Json& j, bool ok) {
  std::printf(
      "fanout-memory system=%s clients=%d idle_bytes_per_client=%s "
      "subscribed_bytes_per_client=%s idle_rss_bytes_per_client=%s "
      "subscribed_rss_bytes_per_client=%s %s\n",
      o.system.c_str(), o.subscribers, Number(j, "idle_bytes_per_client").c_str(),
      Number(j, "subscribed_bytes_per_client").c_str(),
      Number(j, "idle_rss_bytes_per_client").c_str(),
      Number(j, "subscribed_rss_bytes_per_client").c_str(), ok ? "ok" : "INVALID");
}

int Main(int argc, char** argv) {
  auto options = ParseOptions(argc, argv);
  if (!options.ok()) {
    std::cerr << "stdb_fanout: " << options.status().message() << "\n";
    return 2;
  }
  const Options& o = *options;
  auto system = MakeSystem(o);
  if (!system.ok()) {
    std::cerr << "stdb_fanout: " << system.status().message() << "\n";
    return 2;
  }
  if (o.mode == "setup") {
    if (Status s = (*system)->Setup(o.workload); !s.ok()) {
      std::cerr << "stdb_fanout: setup: " << s.ToString() << "\n";
      return 1;
    }
    return 0;
  }
  Json j;
  j["workload"] = "fanout";
  j["system"] = o.system;
  j["mode"] = o.mode;
  j["subscribers"] = o.subscribers;
  j["regions"] = o.workload.regions;
  j["rows"] = o.workload.rows;
  j["rows_per_tx"] = o.workload.rows_per_tx;
  j["rate"] = o.rate;
  j["seconds"] = o.seconds;
  j["warmup_seconds"] = std::chrono::duration<double>(kWarmup).count();
  j["threads"] = o.threads;
  const std::vector<std::string> problems =
      o.mode == "load" ? RunLoad(**system, o, j) : RunMemory(**system, o, j);
  j["problems"] = problems;
  j["valid"] = problems.empty();
  if (o.mode == "load") {
    PrintLoadLine(o, j, problems.empty());
  } else {
    PrintMemoryLine(o, j, problems.empty());
  }
  std::fflush(stdout);
  for (const auto& p : problems) std::cerr << "stdb_fanout: " << p << "\n";
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << j.dump(2) << "\n";
    if (!out) {
      std::cerr << "stdb_fanout: cannot write " << o.json_path << "\n";
      return 1;
    }
  }
  return problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace stdb::bench::fanout

int main(int argc, char** argv) { return stdb::bench::fanout::Main(argc, argv); }
