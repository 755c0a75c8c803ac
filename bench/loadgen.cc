// stdb_loadgen: the load generator of the transfer workload (docs: bench/README.md,
// "Transfer workload"; definition: the shared benchmark plan, workload 1).
//
//   stdb_loadgen --url ws://127.0.0.1:PORT --db NAME [--clients 4] [--inflight 32]
//                [--seconds 10] [--accounts 100000] [--alpha 0|1.5] [--seed 1]
//                [--confirmed true|false] [--json FILE]
//
// Each client is a thread with its own WebSocket connection (src/net/client.h) that keeps
// up to --inflight `transfer(from, to, amount)` calls in flight: it sends until that many
// are outstanding, then sends one more for each ReducerResult it receives. The first
// kWarmup of the run is not measured. Committed transactions per second count the Ok
// results received in the measured window; latency, from send to ReducerResult, is taken
// for every call sent in the window (the calls still in flight at its end are drained).
//
// Before and after the run the sum of all balances is read over HTTP
// (POST /v1/database/NAME/sql "SELECT balance FROM account"); the program exits with
// status 1 if it changed, if a client failed, or if no call committed. It prints one
// line of key=value pairs (bench/run-durability parses it) and, with --json, writes the
// same figures to FILE.
//
// Account ids are drawn from [0, accounts): uniformly for alpha 0, otherwise Zipf with
// exponent alpha, account k having weight 1 / (k + 1)^alpha (account 0 is the hottest).
// A pair with from == to is drawn again, both ids, so that every error the run reports
// is one the database chose (e.g. insufficient funds), not a request that could never
// succeed. Redrawing both keeps P(from = a, to = b) = P(from = b, to = a): redrawing only
// `to` would make the hottest account pay more often than it is paid (38% vs 24% of
// transfers at alpha 1.5) and drain it within a few hundred thousand transfers.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
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
#include "base/bytes.h"
#include "base/status.h"
#include "bench/latency_histogram.h"
#include "net/client.h"
#include "protocol/messages.h"

namespace stdb::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// The part of each run that is not measured: connections settle, caches and the
// server's tables warm up.
constexpr auto kWarmup = std::chrono::seconds(1);
// How long a client waits for any message before it gives up on the server. Far above
// any latency a working server shows, even durable on a loaded machine.
constexpr auto kReceiveTimeout = std::chrono::seconds(30);
// Bounds on the options: each in-flight call holds a Pending entry, and the server's
// per-session outbox holds 16,384 messages (src/net/ws_session.h).
constexpr int kClientsMax = 1024;
constexpr int kInflightMax = 4096;
// Transfer amounts are drawn from [1, kAmountMax]; bench/run-durability seeds each
// account with far more, so that even the hottest Zipf account rarely runs dry.
constexpr int64_t kAmountMax = 100;
// Bounded redraws of a pair with from == to: at alpha 1.5 a pair collides with
// probability about 0.19 (the sum of the squared probabilities), so 64 collisions in a
// row have probability below 1e-45.
constexpr int kRedrawsMax = 64;

struct Options {
  std::string url;  // ws://host:port
  std::string db;
  int clients = 4;
  int inflight = 32;
  double seconds = 10;
  uint32_t accounts = 100'000;
  double alpha = 0;
  uint64_t seed = 1;
  bool confirmed = true;
  std::string json_path;
};

// Draws account ids in [0, accounts): uniformly (alpha 0) or from a Zipf distribution,
// by binary search in a precomputed CDF. Thread safety: const after construction; each
// thread passes its own generator.
class AccountSampler {
 public:
  AccountSampler(uint32_t accounts, double alpha) : accounts_(accounts) {
    STDB_ASSERT(accounts > 0 && alpha >= 0);
    if (alpha == 0) return;
    cdf_.resize(accounts);
    double sum = 0;
    for (uint32_t k = 0; k < accounts; ++k) {
      sum += std::pow(static_cast<double>(k) + 1, -alpha);
      cdf_[k] = sum;
    }
    for (double& c : cdf_) c /= sum;
    cdf_.back() = 1.0;  // rounding must not leave a gap above the last account
  }

  uint32_t Draw(std::mt19937_64& rng) const {
    if (cdf_.empty()) return std::uniform_int_distribution<uint32_t>(0, accounts_ - 1)(rng);
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    STDB_ASSERT(it != cdf_.end());
    return static_cast<uint32_t>(it - cdf_.begin());
  }

  // Two distinct accounts, each pair as likely as its reverse; REQUIRES accounts >= 2.
  std::pair<uint32_t, uint32_t> DrawPair(std::mt19937_64& rng) const {
    uint32_t from = 0;
    for (int i = 0; i < kRedrawsMax; ++i) {
      from = Draw(rng);
      const uint32_t to = Draw(rng);
      if (to != from) return {from, to};
    }
    return {from, (from + 1) % accounts_};
  }

 private:
  uint32_t accounts_;
  std::vector<double> cdf_;  // cdf_[k] = P(id <= k); empty for the uniform distribution
};

// The run's phases, fixed by the main thread before it releases the clients.
struct Schedule {
  TimePoint measure_from;  // end of the warm-up
  TimePoint stop_at;       // no call is sent from here on
};

// What one client saw. Written only by its thread, read after join.
struct ClientStats {
  LatencyHistogram latency;  // calls sent in the measured window
  uint64_t committed = 0;    // Ok results received in the measured window
  uint64_t errors = 0;       // failed results received in the measured window
  uint64_t calls = 0;        // results received over the whole run
  std::string first_error;   // the first reducer error, as an example
  Status failure;            // why the client stopped early, if it did
};

// BSATN of transfer's arguments: (from u32, to u32, amount i64), little-endian.
Bytes TransferArgs(uint32_t from, uint32_t to, int64_t amount) {
  Bytes out(16);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(from >> (8 * i));
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<uint8_t>(to >> (8 * i));
  const auto a = static_cast<uint64_t>(amount);
  for (int i = 0; i < 8; ++i) out[8 + i] = static_cast<uint8_t>(a >> (8 * i));
  return out;
}

Result<std::unique_ptr<net::WsClient>> Connect(const Options& options) {
  net::WsClient::Options o;
  o.url = options.url + "/v1/database/" + options.db +
          "/subscribe?compression=None&confirmed=" + (options.confirmed ? "true" : "false");
  STDB_ASSIGN_OR_RETURN(auto client, net::WsClient::Connect(o));
  // The server greets every connection first; a call sent before it is still served,
  // but reading it here keeps the loop below to ReducerResults.
  STDB_ASSIGN_OR_RETURN(auto hello, client->Receive(kReceiveTimeout));
  if (!std::holds_alternative<protocol::InitialConnection>(hello)) {
    return Status(ErrorCode::kInternal, "the server did not greet with InitialConnection");
  }
  return client;
}

struct Pending {
  uint32_t request_id;
  TimePoint sent;
};

// Takes the result of one call: its latency if it was sent in the measured window, its
// outcome if it arrived in that window.
void Tally(const protocol::ReducerResult& result, const Pending& call, TimePoint received,
           const Schedule& schedule, ClientStats& stats) {
  using Kind = protocol::ReducerOutcome::Kind;
  ++stats.calls;
  const bool ok = result.outcome.kind == Kind::kOk || result.outcome.kind == Kind::kOkEmpty;
  if (!ok && stats.first_error.empty()) stats.first_error = result.outcome.message;
  if (call.sent >= schedule.measure_from && call.sent < schedule.stop_at) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(received - call.sent).count();
    stats.latency.Record(static_cast<uint64_t>(std::max<int64_t>(micros, 0)));
  }
  if (received >= schedule.measure_from && received < schedule.stop_at) {
    ++(ok ? stats.committed : stats.errors);
  }
}

// Runs one client: sends until stop_at, keeping up to options.inflight calls
// outstanding, then drains. Stops early (stats.failure) if the connection fails.
void RunCalls(net::WsClient& client, const Options& options, const AccountSampler& sampler,
              uint64_t seed, const Schedule& schedule, ClientStats& stats) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> amount(1, kAmountMax);
  std::deque<Pending> pending;  // in send order; at most options.inflight entries
  uint32_t next_request_id = 1;
  while (true) {
    while (pending.size() < static_cast<size_t>(options.inflight) &&
           SteadyClock::now() < schedule.stop_at) {
      const auto [from, to] = sampler.DrawPair(rng);
      const uint32_t id = next_request_id++;
      Status sent = client.Send(
          protocol::CallReducer{id, 0, "transfer", TransferArgs(from, to, amount(rng))});
      if (!sent.ok()) {
        stats.failure = sent;
        return;
      }
      pending.push_back(Pending{id, SteadyClock::now()});
    }
    if (pending.empty()) return;
    auto message = client.Receive(kReceiveTimeout);
    const TimePoint received = SteadyClock::now();
    if (!message.ok()) {
      stats.failure = message.status();
      return;
    }
    const auto* result = std::get_if<protocol::ReducerResult>(&*message);
    if (result == nullptr) continue;  // nothing else is expected; tolerate it
    // The database runs one call at a time in arrival order, so the oldest call is
    // almost always the one answered; search in case a server reorders.
    auto it = std::find_if(pending.begin(), pending.end(),
                           [&](const Pending& p) { return p.request_id == result->request_id; });
    if (it == pending.end()) {
      stats.failure = Status(ErrorCode::kInternal, "a ReducerResult for request " +
                                                       std::to_string(result->request_id) +
                                                       ", which is not in flight");
      return;
    }
    Tally(*result, *it, received, schedule, stats);
    pending.erase(it);
  }
}

// The sum of all balances and the number of accounts, over HTTP SQL.
struct Balances {
  uint64_t accounts = 0;
  __int128 total = 0;
};

std::string ToString(__int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string digits;
  while (v != 0) {
    const int d = static_cast<int>(v % 10);
    digits.push_back(static_cast<char>('0' + (negative ? -d : d)));
    v /= 10;
  }
  if (negative) digits.push_back('-');
  return {digits.rbegin(), digits.rend()};
}

Result<Balances> ReadBalances(const Options& options) {
  // ws://host:port -> http://host:port
  const std::string http_url =
      "http" + options.url.substr(2) + "/v1/database/" + options.db + "/sql";
  STDB_ASSIGN_OR_RETURN(auto res,
                        net::HttpRequest("POST", http_url, {}, "SELECT balance FROM account"));
  if (res.status != 200) {
    return Status(ErrorCode::kInternal,
                  "POST " + http_url + " answered " + std::to_string(res.status) + ": " + res.body);
  }
  auto body = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_array() || body.size() != 1 || !body[0].contains("rows") ||
      !body[0]["rows"].is_array()) {
    return Status(ErrorCode::kDecode, "unexpected SQL reply: " + res.body.substr(0, 200));
  }
  Balances out;
  for (const auto& row : body[0]["rows"]) {
    if (!row.is_array() || row.size() != 1 || !row[0].is_number_integer()) {
      return Status(ErrorCode::kDecode, "unexpected SQL row: " + row.dump());
    }
    out.total += row[0].get<int64_t>();
    ++out.accounts;
  }
  return out;
}

struct RunResult {
  ClientStats total;
  std::vector<Status> failures;
  double measured_seconds = 0;
};

// Connects every client, then runs them together for kWarmup + options.seconds.
RunResult RunClients(const Options& options, const AccountSampler& sampler) {
  std::vector<ClientStats> stats(options.clients);
  std::latch connected(options.clients);
  std::latch go(1);
  Schedule schedule;
  std::vector<std::thread> threads;
  for (int c = 0; c < options.clients; ++c) {
    threads.emplace_back([&, c] {
      auto client = Connect(options);
      connected.count_down();
      go.wait();
      if (!client.ok()) {
        stats[c].failure = client.status();
        return;
      }
      RunCalls(**client, options, sampler, options.seed * 1'000'003 + c, schedule, stats[c]);
      (*client)->Close();
    });
  }
  connected.wait();
  const TimePoint start = SteadyClock::now();
  schedule.measure_from = start + kWarmup;
  schedule.stop_at = schedule.measure_from + std::chrono::duration_cast<SteadyClock::duration>(
                                                 std::chrono::duration<double>(options.seconds));
  go.count_down();  // publishes `schedule` to the clients
  for (auto& t : threads) t.join();

  RunResult out;
  out.measured_seconds =
      std::chrono::duration<double>(schedule.stop_at - schedule.measure_from).count();
  for (auto& s : stats) {
    out.total.latency.Merge(s.latency);
    out.total.committed += s.committed;
    out.total.errors += s.errors;
    out.total.calls += s.calls;
    if (out.total.first_error.empty()) out.total.first_error = s.first_error;
    if (!s.failure.ok()) out.failures.push_back(s.failure);
  }
  return out;
}

Result<Options> ParseOptions(int argc, char** argv) {
  Options o;
  CLI::App app{"transfer workload load generator (bench/README.md)", "stdb_loadgen"};
  app.add_option("--url", o.url, "server, ws://host:port")->required();
  app.add_option("--db", o.db, "database name")->required();
  app.add_option("--clients", o.clients, "connections, one thread each")
      ->check(CLI::Range(1, kClientsMax));
  app.add_option("--inflight", o.inflight, "calls in flight per client")
      ->check(CLI::Range(1, kInflightMax));
  app.add_option("--seconds", o.seconds, "measured seconds, after 1 s of warm-up")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--accounts", o.accounts, "account ids are [0, accounts)")
      ->check(CLI::Range(2u, UINT32_MAX));
  app.add_option("--alpha", o.alpha, "0: uniform; otherwise the Zipf exponent")
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--seed", o.seed, "seed of the random draws");
  app.add_option("--confirmed", o.confirmed, "confirmed reads (results wait for durability)");
  app.add_option("--json", o.json_path, "also write the results to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  if (o.url.rfind("ws://", 0) != 0)
    return Status(ErrorCode::kInvalidArgument, "--url must start with ws://");
  while (!o.url.empty() && o.url.back() == '/') o.url.pop_back();
  return o;
}

nlohmann::ordered_json ToJson(const Options& o, const RunResult& r, const Balances& before,
                              const Balances& after) {
  const auto& h = r.total.latency;
  nlohmann::ordered_json j;
  j["workload"] = "transfer";
  j["db"] = o.db;
  j["clients"] = o.clients;
  j["inflight"] = o.inflight;
  j["seconds"] = r.measured_seconds;
  j["warmup_seconds"] = std::chrono::duration<double>(kWarmup).count();
  j["accounts"] = o.accounts;
  j["alpha"] = o.alpha;
  j["seed"] = o.seed;
  j["confirmed"] = o.confirmed;
  j["committed"] = r.total.committed;
  j["errors"] = r.total.errors;
  j["tx_per_s"] = static_cast<double>(r.total.committed) / r.measured_seconds;
  j["latency_us"] = {{"samples", h.count()},
                     {"mean", h.mean_micros()},
                     {"p50", h.PercentileMicros(0.5)},
                     {"p99", h.PercentileMicros(0.99)},
                     {"p99.9", h.PercentileMicros(0.999)},
                     {"max", h.max_micros()}};
  j["first_error"] = r.total.first_error;
  j["total_before"] = ToString(before.total);
  j["total_after"] = ToString(after.total);
  j["total_unchanged"] = before.total == after.total && before.accounts == after.accounts;
  j["client_failures"] = nlohmann::json::array();
  for (const auto& f : r.failures) j["client_failures"].push_back(f.ToString());
  return j;
}

int Main(int argc, char** argv) {
  auto options = ParseOptions(argc, argv);
  if (!options.ok()) {
    std::cerr << "stdb_loadgen: " << options.status().message() << "\n";
    return 2;
  }
  const Options& o = *options;
  const AccountSampler sampler(o.accounts, o.alpha);
  auto before = ReadBalances(o);
  if (!before.ok()) {
    std::cerr << "stdb_loadgen: reading balances: " << before.status().ToString() << "\n";
    return 1;
  }
  if (before->accounts != o.accounts) {
    std::cerr << "stdb_loadgen: the database holds " << before->accounts << " accounts, not "
              << o.accounts << " (seed them first)\n";
    return 1;
  }
  const RunResult run = RunClients(o, sampler);
  auto after = ReadBalances(o);
  if (!after.ok()) {
    std::cerr << "stdb_loadgen: reading balances: " << after.status().ToString() << "\n";
    return 1;
  }
  const auto j = ToJson(o, run, *before, *after);
  const auto& lat = j["latency_us"];
  std::printf(
      "transfer alpha=%g clients=%d inflight=%d confirmed=%s seconds=%.1f committed=%llu "
      "tx_per_s=%.0f errors=%llu p50_us=%llu p99_us=%llu p999_us=%llu max_us=%llu total=%s %s\n",
      o.alpha, o.clients, o.inflight, o.confirmed ? "true" : "false", run.measured_seconds,
      static_cast<unsigned long long>(run.total.committed), j["tx_per_s"].get<double>(),
      static_cast<unsigned long long>(run.total.errors), lat["p50"].get<unsigned long long>(),
      lat["p99"].get<unsigned long long>(), lat["p99.9"].get<unsigned long long>(),
      lat["max"].get<unsigned long long>(), ToString(after->total).c_str(),
      j["total_unchanged"].get<bool>() ? "unchanged" : "CHANGED");
  std::fflush(stdout);
  if (!run.total.first_error.empty())
    std::cerr << "first reducer error: " << run.total.first_error << "\n";
  for (const auto& f : run.failures) std::cerr << "client failed: " << f.ToString() << "\n";
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << j.dump(2) << "\n";
    if (!out) {
      std::cerr << "stdb_loadgen: cannot write " << o.json_path << "\n";
      return 1;
    }
  }
  if (!j["total_unchanged"].get<bool>()) {
    std::cerr << "stdb_loadgen: the total balance changed from " << ToString(before->total)
              << " to " << ToString(after->total) << "\n";
    return 1;
  }
  return run.failures.empty() && run.total.committed > 0 ? 0 : 1;
}

}  // namespace
}  // namespace stdb::bench

int main(int argc, char** argv) { return stdb::bench::Main(argc, argv); }
