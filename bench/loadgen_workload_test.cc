// Tests of the transfer load generator's system-independent parts (bench/loadgen_workload.h):
// the draws that decide the contention, the totals that decide whether a run is valid,
// and the line the scripts parse.
#include "bench/loadgen_workload.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace stdb::bench {
namespace {

// The same seed gives the same transfers, whichever sampler object draws them, so every
// system sees the same calls per client.
TEST(AccountSampler, SameSeedGivesTheSameTransfers) {
  const AccountSampler a(100'000, 1.5), b(100'000, 1.5);
  std::mt19937_64 ra(7), rb(7);
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    const Transfer x = a.Next(seq, ra), y = b.Next(seq, rb);
    ASSERT_EQ(x.from, y.from);
    ASSERT_EQ(x.to, y.to);
    ASSERT_EQ(x.amount, y.amount);
    ASSERT_EQ(x.seq, seq);
  }
}

// At alpha 1.5 account 0 is drawn with its Zipf probability (about 38% of draws at
// 100,000 accounts), and it pays as often as it is paid: redrawing both ids of a
// colliding pair keeps the pair distribution symmetric.
TEST(AccountSampler, ZipfHitsTheHottestAccountAsOftenAsItsWeightAndSymmetrically) {
  constexpr uint32_t kAccounts = 100'000;
  constexpr int kDraws = 200'000;
  double norm = 0;
  for (uint32_t k = 0; k < kAccounts; ++k) norm += std::pow(k + 1.0, -1.5);
  const double p0 = 1.0 / norm;
  ASSERT_NEAR(p0, 0.383, 0.005);

  const AccountSampler sampler(kAccounts, 1.5);
  std::mt19937_64 rng(1);
  int zeros = 0, from_zero = 0, to_zero = 0;
  for (int i = 0; i < kDraws; ++i) zeros += sampler.Draw(rng) == 0;
  EXPECT_NEAR(static_cast<double>(zeros) / kDraws, p0, 0.01);
  for (int i = 0; i < kDraws; ++i) {
    const auto [from, to] = sampler.DrawPair(rng);
    ASSERT_NE(from, to);
    ASSERT_LT(from, kAccounts);
    ASSERT_LT(to, kAccounts);
    from_zero += from == 0;
    to_zero += to == 0;
  }
  EXPECT_NEAR(static_cast<double>(from_zero) / kDraws, static_cast<double>(to_zero) / kDraws, 0.01);
}

// Uniform draws cover the whole range and amounts stay in [1, kAmountMax].
TEST(AccountSampler, UniformCoversTheRangeAndAmountsStayInBounds) {
  const AccountSampler sampler(10, 0);
  std::mt19937_64 rng(3);
  std::vector<int> seen(10, 0);
  for (uint64_t seq = 1; seq <= 10'000; ++seq) {
    const Transfer t = sampler.Next(seq, rng);
    ASSERT_NE(t.from, t.to);
    ASSERT_GE(t.amount, 1);
    ASSERT_LE(t.amount, kAmountMax);
    ++seen[t.from];
    ++seen[t.to];
  }
  for (int n : seen) EXPECT_GT(n, 1500);  // 2,000 expected for each
}

// Decimal text of 128-bit sums round-trips, beyond 64 bits and negative too.
TEST(Int128, DecimalTextRoundTrips) {
  const __int128 big = static_cast<__int128>(INT64_MAX) * 1000 + 7;
  for (__int128 v : {__int128{0}, __int128{-1}, __int128{100'000'000'000}, big, -big}) {
    auto parsed = ParseInt128(Int128ToString(v));
    ASSERT_TRUE(parsed.ok()) << Int128ToString(v);
    EXPECT_TRUE(*parsed == v) << Int128ToString(v);
  }
  EXPECT_EQ(Int128ToString(big), "9223372036854775807007");
  EXPECT_EQ(Int128ToString(-12), "-12");
}

// Anything but an optional minus and 1 to 38 digits is refused.
TEST(Int128, ParseRejectsWhatIsNotAnInteger) {
  for (const char* bad :
       {"", "-", "+1", " 1", "1 ", "1.0", "12a", "123456789012345678901234567890123456789"}) {
    EXPECT_FALSE(ParseInt128(bad).ok()) << "'" << bad << "'";
  }
  EXPECT_TRUE(ParseInt128("12345678901234567890123456789012345678").ok());
}

RespValue Bulk(std::string text) {
  RespValue v;
  v.type = RespValue::Type::kBulk;
  v.text = std::move(text);
  return v;
}

// An MGET reply adds each balance and counts it as an account; a missing key (null) is
// not an account.
TEST(MgetBalances, SumsBalancesAndSkipsMissingKeys) {
  RespValue reply;
  reply.type = RespValue::Type::kArray;
  reply.elements = {Bulk("1000000"), RespValue{}, Bulk("-5"), Bulk("9223372036854775807")};
  Balances b;
  b.accounts = 1;
  b.total = 10;
  ASSERT_TRUE(AddMgetBalances(reply, b).ok());
  EXPECT_EQ(b.accounts, 4u);
  EXPECT_TRUE(b.total == static_cast<__int128>(INT64_MAX) + 1'000'005);
}

// Anything but an array of decimal strings and nulls is an error, not a zero.
TEST(MgetBalances, RejectsMalformedReplies) {
  Balances b;
  EXPECT_FALSE(AddMgetBalances(Bulk("1"), b).ok());
  for (const char* bad : {"", "12x", "1.5", "99999999999999999999"}) {
    RespValue reply;
    reply.type = RespValue::Type::kArray;
    reply.elements = {Bulk(bad)};
    EXPECT_FALSE(AddMgetBalances(reply, b).ok()) << "'" << bad << "'";
  }
  RespValue integers;
  integers.type = RespValue::Type::kArray;
  integers.elements.resize(1);
  integers.elements[0].type = RespValue::Type::kInteger;
  EXPECT_FALSE(AddMgetBalances(integers, b).ok());
}

// A Redis address is host:port, with or without redis://.
TEST(HostPort, ParsesHostAndPort) {
  auto a = ParseHostPort("127.0.0.1:6379");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6379);
  auto b = ParseHostPort("redis://localhost:1/");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->host, "localhost");
  EXPECT_EQ(b->port, 1);
  for (const char* bad : {"", "localhost", ":6379", "h:0", "h:65536", "h:12x", "h:"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << "'" << bad << "'";
  }
}

Summary ExampleSummary() {
  Summary s;
  s.system = "redis";
  s.alpha = 1.5;
  s.clients = 4;
  s.inflight = 32;
  s.seconds = 10;
  s.committed = 412'346;
  s.errors = 2;
  s.conflicts = 1;
  s.p50_us = 2943;
  s.p99_us = 6015;
  s.p999_us = 8511;
  s.max_us = 12'345;
  s.total = 100'000'000'000;
  s.total_unchanged = true;
  return s;
}

// The line has a fixed form: the scripts (bench/run, bench/run-durability) read its keys.
TEST(SummaryLine, HasTheDocumentedForm) {
  Summary s = ExampleSummary();
  EXPECT_EQ(FormatSummaryLine(s),
            "transfer system=redis alpha=1.5 clients=4 inflight=32 seconds=10.0 "
            "committed=412346 tx_per_s=41235 errors=2 conflicts=1 p50_us=2943 p99_us=6015 "
            "p999_us=8511 max_us=12345 total=100000000000 unchanged");
  s.system = "stdb";
  s.alpha = 0;
  s.confirmed = false;
  s.total_unchanged = false;
  EXPECT_EQ(FormatSummaryLine(s),
            "transfer system=stdb alpha=0 clients=4 inflight=32 confirmed=false seconds=10.0 "
            "committed=412346 tx_per_s=41235 errors=2 conflicts=1 p50_us=2943 p99_us=6015 "
            "p999_us=8511 max_us=12345 total=100000000000 CHANGED");
  s.server_cpu_us_per_tx = 18.44;  // measured with --server-pid
  EXPECT_NE(FormatSummaryLine(s).find(" max_us=12345 server_cpu_us_per_tx=18.4 total="),
            std::string::npos)
      << FormatSummaryLine(s);
}

// A run that measured nothing reports 0 tx/s, not a division by zero.
TEST(SummaryLine, ZeroSecondsGiveZeroThroughput) {
  Summary s = ExampleSummary();
  s.seconds = 0;
  EXPECT_EQ(s.tx_per_s(), 0);
  EXPECT_NE(FormatSummaryLine(s).find(" tx_per_s=0 "), std::string::npos);
}

}  // namespace
}  // namespace stdb::bench
