// stdb_loadgen: the load generator of the transfer workload (docs: bench/README.md,
// "Transfer workload" and "Side-by-side: bench/run"; definition: the shared benchmark
// plan, workload 1), for stdb and, doing the same work, Redis and PostgreSQL.
//
//   stdb_loadgen [--system stdb|redis|postgres] --url URL [--db NAME] [--setup]
//                [--clients 4] [--inflight 32] [--seconds 10] [--accounts 100000]
//                [--balance 1000000] [--alpha 0|1.5] [--seed 1] [--confirmed true|false]
//                [--server-pid PID] [--json FILE]
//
// With --server-pid, the CPU time (user + system) of that process and its descendants
// during the measured window, divided by the transactions committed in it, is reported
// as server_cpu_us_per_tx: steadier than throughput on a shared machine, and comparable
// across systems (PostgreSQL's backends are the postmaster's descendants).
//
// --url is each system's own address: stdb ws://host:port (with --db), Redis host:port,
// PostgreSQL a libpq connection string. With --setup the program creates the accounts
// [0, accounts), each holding --balance, on a fresh server (stdb: calls the module's
// `seed` reducer; the module must be published) and exits.
//
// Otherwise each client is a thread with its own connection that keeps up to --inflight
// `transfer(from, to, amount)` calls in flight: it sends until that many are outstanding,
// hands them to the socket, waits for answers, and sends one more for each answer. The
// first kWarmup of the run is not measured. Committed transactions per second count the
// commits answered in the measured window; latency, from send to answer, is taken for
// every call sent in the window (the calls still in flight at its end are drained).
// Account ids and amounts are drawn as bench/loadgen_workload.h says, from a seed per
// client, so every system sees the same sequence of calls per client.
//
// Before and after the run the number of accounts and the sum of all balances are read;
// the program exits with status 1 if the sum changed, if a client failed, or if no call
// committed. It prints one line of key=value pairs (FormatSummaryLine; bench/run and
// bench/run-durability parse it) and, with --json, writes the same figures to FILE.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <latch>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/assert.h"
#include "base/status.h"
#include "bench/fanout_proc.h"
#include "bench/latency_histogram.h"
#include "bench/loadgen_driver.h"
#include "bench/loadgen_workload.h"

namespace stdb::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// The part of each run that is not measured: connections settle, caches and the
// server's tables warm up.
constexpr auto kWarmup = std::chrono::seconds(1);
// How long a client waits for any answer before it gives up on the server. Far above
// any latency a working server shows, even durable on a loaded machine.
constexpr auto kReceiveTimeout = std::chrono::seconds(30);
// Bounds on the options: each in-flight call holds a Pending entry, and stdb's
// per-session outbox holds 16,384 messages (src/net/ws_session.h).
constexpr int kClientsMax = 1024;
constexpr int kInflightMax = 4096;

struct Options {
  std::string system = "stdb";
  std::string url;
  std::string db;
  bool setup = false;
  int clients = 4;
  int inflight = 32;
  double seconds = 10;
  uint32_t accounts = 100'000;
  int64_t balance = 1'000'000;
  double alpha = 0;
  uint64_t seed = 1;
  bool confirmed = true;
  std::string json_path;
  int server_pid = 0;  // > 0: measure that process tree's CPU time in the window
};

// The run's phases, fixed by the main thread before it releases the clients.
struct Schedule {
  TimePoint measure_from;  // end of the warm-up
  TimePoint stop_at;       // no call is sent from here on
};

// What one client saw. Written only by its thread, read after join.
struct ClientStats {
  LatencyHistogram latency;   // calls sent in the measured window
  uint64_t committed = 0;     // commits answered in the measured window
  uint64_t refused = 0;       // refusals answered in the measured window
  uint64_t conflicts = 0;     // conflicts answered in the measured window
  uint64_t calls = 0;         // answers received over the whole run
  std::string first_refusal;  // examples, for the report
  std::string first_conflict;
  Status failure;  // why the client stopped early, if it did
};

struct Pending {
  uint64_t seq;
  TimePoint sent;
};

// Takes the answer to one call: its latency if it was sent in the measured window, its
// outcome if it arrived in that window.
void Tally(const CallResult& result, const Pending& call, TimePoint received,
           const Schedule& schedule, ClientStats& stats) {
  using Kind = CallResult::Kind;
  ++stats.calls;
  if (result.kind == Kind::kRefused && stats.first_refusal.empty()) {
    stats.first_refusal = result.message;
  }
  if (result.kind == Kind::kConflict && stats.first_conflict.empty()) {
    stats.first_conflict = result.message;
  }
  if (call.sent >= schedule.measure_from && call.sent < schedule.stop_at) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(received - call.sent).count();
    stats.latency.Record(static_cast<uint64_t>(std::max<int64_t>(micros, 0)));
  }
  if (received >= schedule.measure_from && received < schedule.stop_at) {
    switch (result.kind) {
      case Kind::kCommitted:
        ++stats.committed;
        break;
      case Kind::kRefused:
        ++stats.refused;
        break;
      case Kind::kConflict:
        ++stats.conflicts;
        break;
    }
  }
}

// Runs one client: sends until stop_at, keeping up to options.inflight calls
// outstanding, then drains. Returns why it stopped early, if it did.
Status RunCalls(TransferConnection& conn, const Options& options, const AccountSampler& sampler,
                uint64_t seed, const Schedule& schedule, ClientStats& stats) {
  std::mt19937_64 rng(seed);
  std::deque<Pending> pending;  // in send order; at most options.inflight entries
  std::vector<CallResult> results;
  uint64_t next_seq = 1;
  while (true) {
    while (pending.size() < static_cast<size_t>(options.inflight) &&
           SteadyClock::now() < schedule.stop_at) {
      const Transfer t = sampler.Next(next_seq++, rng);
      STDB_RETURN_IF_ERROR(conn.Send(t));
      pending.push_back(Pending{t.seq, SteadyClock::now()});
    }
    STDB_RETURN_IF_ERROR(conn.Flush());
    if (pending.empty()) return Status::Ok();
    results.clear();
    STDB_RETURN_IF_ERROR(conn.Receive(kReceiveTimeout, results));
    const TimePoint received = SteadyClock::now();
    for (const CallResult& r : results) {
      // Answers come in call order from the peers and almost always from stdb, whose
      // database runs calls one at a time in arrival order; search in case of reorder.
      auto it = std::find_if(pending.begin(), pending.end(),
                             [&](const Pending& p) { return p.seq == r.seq; });
      if (it == pending.end()) {
        return InternalError("an answer to call " + std::to_string(r.seq) +
                             ", which is not in flight");
      }
      Tally(r, *it, received, schedule, stats);
      pending.erase(it);
    }
  }
}

struct RunResult {
  ClientStats total;
  std::vector<Status> failures;
  double measured_seconds = 0;
  // The server tree's CPU time in the measured window (--server-pid), microseconds.
  std::optional<uint64_t> server_cpu_us;
};

// Connects every client, then runs them together for kWarmup + options.seconds.
RunResult RunClients(const Options& options, TransferSystem& system,
                     const AccountSampler& sampler) {
  std::vector<ClientStats> stats(options.clients);
  std::latch connected(options.clients);
  std::latch go(1);
  Schedule schedule;
  std::vector<std::thread> threads;
  for (int c = 0; c < options.clients; ++c) {
    threads.emplace_back([&, c] {
      auto conn = system.Connect();
      connected.count_down();
      go.wait();
      if (!conn.ok()) {
        stats[c].failure = conn.status();
        return;
      }
      stats[c].failure =
          RunCalls(**conn, options, sampler, options.seed * 1'000'003 + c, schedule, stats[c]);
    });
  }
  connected.wait();
  const TimePoint start = SteadyClock::now();
  schedule.measure_from = start + kWarmup;
  schedule.stop_at = schedule.measure_from + std::chrono::duration_cast<SteadyClock::duration>(
                                                 std::chrono::duration<double>(options.seconds));
  go.count_down();  // publishes `schedule` to the clients
  RunResult out;
  if (options.server_pid > 0) {
    // Read at the window's edges from this (otherwise idle) thread.
    std::this_thread::sleep_until(schedule.measure_from);
    auto from = fanout::ProcessTreeCpuMicros(options.server_pid);
    std::this_thread::sleep_until(schedule.stop_at);
    auto to = fanout::ProcessTreeCpuMicros(options.server_pid);
    if (from.ok() && to.ok() && *to >= *from) out.server_cpu_us = *to - *from;
  }
  for (auto& t : threads) t.join();

  out.measured_seconds =
      std::chrono::duration<double>(schedule.stop_at - schedule.measure_from).count();
  for (auto& s : stats) {
    out.total.latency.Merge(s.latency);
    out.total.committed += s.committed;
    out.total.refused += s.refused;
    out.total.conflicts += s.conflicts;
    out.total.calls += s.calls;
    if (out.total.first_refusal.empty()) out.total.first_refusal = s.first_refusal;
    if (out.total.first_conflict.empty()) out.total.first_conflict = s.first_conflict;
    if (!s.failure.ok()) out.failures.push_back(s.failure);
  }
  return out;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  CLI::App app{"transfer workload load generator (bench/README.md)", "stdb_loadgen"};
  app.add_option("--system", o.system, "system under test")
      ->check(CLI::IsMember({"stdb", "redis", "postgres"}));
  app.add_option("--url", o.url,
                 "stdb: ws://host:port; redis: host:port; postgres: a libpq connection string")
      ->required();
  app.add_option("--db", o.db, "stdb: the database's name");
  app.add_flag("--setup", o.setup, "create and seed the accounts, then exit");
  app.add_option("--clients", o.clients, "connections, one thread each")
      ->check(CLI::Range(1, kClientsMax));
  app.add_option("--inflight", o.inflight, "calls in flight per client")
      ->check(CLI::Range(1, kInflightMax));
  app.add_option("--seconds", o.seconds, "measured seconds, after 1 s of warm-up")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--accounts", o.accounts, "account ids are [0, accounts)")
      ->check(CLI::Range(2u, UINT32_MAX));
  app.add_option("--balance", o.balance, "--setup: each account's balance")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 40));
  app.add_option("--alpha", o.alpha, "0: uniform; otherwise the Zipf exponent")
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--seed", o.seed, "seed of the random draws");
  app.add_option("--confirmed", o.confirmed, "stdb: confirmed reads (results wait for durability)");
  app.add_option("--json", o.json_path, "also write the results to this file");
  app.add_option("--server-pid", o.server_pid,
                 "report the CPU time of this process and its descendants per transaction");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  return o;
}

Result<std::unique_ptr<TransferSystem>> MakeSystem(const Options& o) {
  if (o.system == "redis") return MakeRedisTransferSystem(o.url);
  if (o.system == "postgres") return MakePostgresTransferSystem(o.url);
  return MakeStdbTransferSystem(o.url, o.db, o.confirmed);
}

Summary Summarise(const Options& o, const RunResult& r, const Balances& before,
                  const Balances& after) {
  const auto& h = r.total.latency;
  Summary s;
  s.system = o.system;
  s.alpha = o.alpha;
  s.clients = o.clients;
  s.inflight = o.inflight;
  if (o.system == "stdb") s.confirmed = o.confirmed;
  s.seconds = r.measured_seconds;
  s.committed = r.total.committed;
  s.errors = r.total.refused;
  s.conflicts = r.total.conflicts;
  s.p50_us = h.PercentileMicros(0.5);
  s.p99_us = h.PercentileMicros(0.99);
  s.p999_us = h.PercentileMicros(0.999);
  s.max_us = h.max_micros();
  if (r.server_cpu_us && s.committed > 0) {
    s.server_cpu_us_per_tx = static_cast<double>(*r.server_cpu_us) / static_cast<double>(s.committed);
  }
  s.total = after.total;
  s.total_unchanged = before.total == after.total && before.accounts == after.accounts;
  return s;
}

nlohmann::ordered_json ToJson(const Options& o, const RunResult& r, const Summary& s,
                              const Balances& before) {
  const auto& h = r.total.latency;
  nlohmann::ordered_json j;
  j["workload"] = "transfer";
  j["system"] = o.system;
  if (o.system == "stdb") {
    j["db"] = o.db;
    j["confirmed"] = o.confirmed;
  }
  j["clients"] = o.clients;
  j["inflight"] = o.inflight;
  j["seconds"] = r.measured_seconds;
  j["warmup_seconds"] = std::chrono::duration<double>(kWarmup).count();
  j["accounts"] = o.accounts;
  j["alpha"] = o.alpha;
  j["seed"] = o.seed;
  j["committed"] = s.committed;
  j["errors"] = s.errors;
  j["conflicts"] = s.conflicts;
  j["tx_per_s"] = s.tx_per_s();
  if (s.server_cpu_us_per_tx >= 0) j["server_cpu_us_per_tx"] = s.server_cpu_us_per_tx;
  j["latency_us"] = {{"samples", h.count()}, {"mean", h.mean_micros()}, {"p50", s.p50_us},
                     {"p99", s.p99_us},      {"p99.9", s.p999_us},      {"max", s.max_us}};
  j["first_error"] = r.total.first_refusal;
  j["first_conflict"] = r.total.first_conflict;
  j["total_before"] = Int128ToString(before.total);
  j["total_after"] = Int128ToString(s.total);
  j["total_unchanged"] = s.total_unchanged;
  j["client_failures"] = nlohmann::json::array();
  for (const auto& f : r.failures) j["client_failures"].push_back(f.ToString());
  return j;
}

// Reads the balances; fails unless the database holds exactly `accounts` accounts.
Result<Balances> ReadAccounts(TransferSystem& system, uint32_t accounts) {
  STDB_ASSIGN_OR_RETURN(Balances b, system.ReadBalances());
  if (b.accounts != accounts) {
    return InvalidArgument("the database holds " + std::to_string(b.accounts) + " accounts, not " +
                           std::to_string(accounts) + " (seed them first)");
  }
  return b;
}

int Run(const Options& o, TransferSystem& system) {
  const AccountSampler sampler(o.accounts, o.alpha);
  auto before = ReadAccounts(system, o.accounts);
  if (!before.ok()) {
    std::cerr << "stdb_loadgen: before the run: " << before.status().ToString() << "\n";
    return 1;
  }
  const RunResult run = RunClients(o, system, sampler);
  auto after = system.ReadBalances();
  if (!after.ok()) {
    std::cerr << "stdb_loadgen: reading balances: " << after.status().ToString() << "\n";
    return 1;
  }
  const Summary s = Summarise(o, run, *before, *after);
  std::printf("%s\n", FormatSummaryLine(s).c_str());
  std::fflush(stdout);
  if (!run.total.first_refusal.empty())
    std::cerr << "first refused call: " << run.total.first_refusal << "\n";
  if (!run.total.first_conflict.empty())
    std::cerr << "first conflict: " << run.total.first_conflict << "\n";
  for (const auto& f : run.failures) std::cerr << "client failed: " << f.ToString() << "\n";
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << ToJson(o, run, s, *before).dump(2) << "\n";
    if (!out) {
      std::cerr << "stdb_loadgen: cannot write " << o.json_path << "\n";
      return 1;
    }
  }
  if (!s.total_unchanged) {
    std::cerr << "stdb_loadgen: the total balance changed from " << Int128ToString(before->total)
              << " to " << Int128ToString(after->total) << " (" << before->accounts << " -> "
              << after->accounts << " accounts)\n";
    return 1;
  }
  return run.failures.empty() && run.total.committed > 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  auto system = MakeSystem(o);
  if (!system.ok()) {
    std::cerr << "stdb_loadgen: " << system.status().message() << "\n";
    return 2;
  }
  if (!o.setup) return Run(o, **system);
  const auto start = SteadyClock::now();
  if (Status s = (*system)->Setup(o.accounts, o.balance); !s.ok()) {
    std::cerr << "stdb_loadgen: setup: " << s.ToString() << "\n";
    return 1;
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
  std::printf("setup system=%s accounts=%u balance=%lld ms=%lld\n", o.system.c_str(), o.accounts,
              static_cast<long long>(o.balance), static_cast<long long>(ms));
  return 0;
}

}  // namespace
}  // namespace stdb::bench

int main(int argc, char** argv) { return stdb::bench::Main(argc, argv); }
