// The parts of the transfer workload's load generator (bench/loadgen.cc; docs:
// bench/README.md, "Transfer workload") that do not depend on the system under test:
// drawing account ids, the sum of balances and its decimal form, the report line, and
// the parsing of what the peers answer to "what is the total?". Pure functions and a
// const sampler, tested in loadgen_workload_test.cc.
//
// Thread safety: AccountSampler is const after construction (each thread passes its own
// generator); the functions keep no state.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "bench/resp.h"

namespace stdb::bench {

// Transfer amounts are drawn from [1, kAmountMax]; accounts are seeded with far more
// (bench/run: 1,000,000 each), so that even the hottest Zipf account rarely runs dry.
inline constexpr int64_t kAmountMax = 100;
// Bounded redraws of a pair with from == to: at alpha 1.5 a pair collides with
// probability about 0.19 (the sum of the squared probabilities), so 64 collisions in a
// row have probability below 1e-45.
inline constexpr int kRedrawsMax = 64;

// One call of transfer(from, to, amount). `seq` numbers a connection's calls 1, 2, ...
// in sending order; a system's answer names the seq it answers.
struct Transfer {
  uint64_t seq = 0;
  uint32_t from = 0;
  uint32_t to = 0;
  int64_t amount = 0;
};

// Draws account ids in [0, accounts): uniformly (alpha 0) or from a Zipf distribution
// with exponent alpha, account k having weight 1 / (k + 1)^alpha (account 0 is the
// hottest), by binary search in a precomputed CDF.
class AccountSampler {
 public:
  // REQUIRES: accounts >= 2, alpha >= 0.
  AccountSampler(uint32_t accounts, double alpha);

  uint32_t Draw(std::mt19937_64& rng) const;

  // Two distinct accounts. A pair with from == to is drawn again, both ids, so that
  // P(from = a, to = b) = P(from = b, to = a): redrawing only `to` would make the hottest
  // account pay more often than it is paid (38% vs 24% of transfers at alpha 1.5) and
  // drain it within a few hundred thousand transfers. After kRedrawsMax collisions it
  // returns (from, from + 1 mod accounts).
  std::pair<uint32_t, uint32_t> DrawPair(std::mt19937_64& rng) const;

  // The next transfer: a pair from DrawPair and an amount in [1, kAmountMax].
  Transfer Next(uint64_t seq, std::mt19937_64& rng) const;

 private:
  uint32_t accounts_;
  std::vector<double> cdf_;  // cdf_[k] = P(id <= k); empty for the uniform distribution
};

// The number of accounts and the sum of their balances, read before and after a run: a
// run must leave the sum unchanged. 128 bits, so no sum of i64 balances overflows.
struct Balances {
  uint64_t accounts = 0;
  __int128 total = 0;
};

// Decimal text of `v`, with a leading '-' when negative.
std::string Int128ToString(__int128 v);
// Parses decimal text (an optional '-' and 1 to 38 digits, nothing else), as PostgreSQL
// prints sum(bigint). Fails on anything else.
Result<__int128> ParseInt128(std::string_view text);

// Adds an MGET reply of balances to `out`: each bulk string is a balance (an account),
// each null a missing key (no account). Fails, leaving `out` partly updated, if the reply
// is not an array of bulk strings and nulls holding decimal i64s.
Status AddMgetBalances(const RespValue& reply, Balances& out);

// host:port (an IPv4 address or a name, and a port in 1..65535), with an optional
// leading redis://: the address of a Redis server.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> ParseHostPort(std::string_view text);

// What a run measured, as the report line prints it.
struct Summary {
  std::string system;  // stdb, redis, postgres
  double alpha = 0;
  int clients = 0;
  int inflight = 0;
  std::optional<bool> confirmed;  // stdb's confirmed reads; unset for the peers
  double seconds = 0;             // the measured window
  uint64_t committed = 0;         // transactions committed in the window
  uint64_t errors = 0;            // calls the transaction itself refused (e.g. funds)
  uint64_t conflicts = 0;         // calls the system aborted: deadlock, serialization
  uint64_t p50_us = 0;
  uint64_t p99_us = 0;
  uint64_t p999_us = 0;
  uint64_t max_us = 0;
  // CPU time (user + system) of the server's process tree in the window, per committed
  // transaction, when the load generator was given --server-pid; negative otherwise.
  double server_cpu_us_per_tx = -1;
  __int128 total = 0;  // the sum of balances after the run
  bool total_unchanged = false;

  double tx_per_s() const { return seconds > 0 ? static_cast<double>(committed) / seconds : 0; }
};

// One line of key=value pairs, without a newline, starting with "transfer " and ending
// with "unchanged" or "CHANGED". Scripts read it by key (" tx_per_s=", " p99_us=", ...),
// so every pair is preceded by a space and no value holds one. For example:
//   transfer system=redis alpha=1.5 clients=4 inflight=32 seconds=10.0 committed=412345
//   tx_per_s=41235 errors=0 conflicts=0 p50_us=2943 p99_us=6015 p999_us=8511
//   max_us=12345 total=100000000000 unchanged
// With a measured server CPU time, " server_cpu_us_per_tx=18.4" comes before " total=".
std::string FormatSummaryLine(const Summary& s);

}  // namespace stdb::bench
