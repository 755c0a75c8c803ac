#include "bench/loadgen_workload.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "base/assert.h"

namespace stdb::bench {

AccountSampler::AccountSampler(uint32_t accounts, double alpha) : accounts_(accounts) {
  STDB_ASSERT(accounts >= 2 && alpha >= 0);
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

uint32_t AccountSampler::Draw(std::mt19937_64& rng) const {
  if (cdf_.empty()) return std::uniform_int_distribution<uint32_t>(0, accounts_ - 1)(rng);
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  STDB_ASSERT(it != cdf_.end());
  return static_cast<uint32_t>(it - cdf_.begin());
}

std::pair<uint32_t, uint32_t> AccountSampler::DrawPair(std::mt19937_64& rng) const {
  uint32_t from = 0;
  for (int i = 0; i < kRedrawsMax; ++i) {
    from = Draw(rng);
    const uint32_t to = Draw(rng);
    if (to != from) return {from, to};
  }
  return {from, (from + 1) % accounts_};
}

Transfer AccountSampler::Next(uint64_t seq, std::mt19937_64& rng) const {
  const auto [from, to] = DrawPair(rng);
  const int64_t amount = std::uniform_int_distribution<int64_t>(1, kAmountMax)(rng);
  STDB_ASSERT(from != to && from < accounts_ && to < accounts_);
  return Transfer{seq, from, to, amount};
}

std::string Int128ToString(__int128 v) {
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

Result<__int128> ParseInt128(std::string_view text) {
  // 38 digits always fit in a signed 128-bit integer (2^127 is about 1.7e38).
  constexpr size_t kDigitsMax = 38;
  const bool negative = !text.empty() && text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > kDigitsMax) {
    return DecodeError("not a 128-bit integer: '" + std::string(text) + "'");
  }
  __int128 v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return DecodeError("not a 128-bit integer: '" + std::string(text) + "'");
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

Status AddMgetBalances(const RespValue& reply, Balances& out) {
  if (reply.type != RespValue::Type::kArray) return DecodeError("MGET did not answer an array");
  for (const RespValue& v : reply.elements) {
    if (v.type == RespValue::Type::kNull) continue;
    if (v.type != RespValue::Type::kBulk) return DecodeError("MGET answered a non-string");
    int64_t balance = 0;
    const char* end = v.text.data() + v.text.size();
    const auto [ptr, ec] = std::from_chars(v.text.data(), end, balance);
    if (ec != std::errc() || ptr != end || v.text.empty()) {
      return DecodeError("not a balance: '" + v.text + "'");
    }
    out.total += balance;
    ++out.accounts;
  }
  return Status::Ok();
}

Result<HostPort> ParseHostPort(std::string_view text) {
  constexpr std::string_view kScheme = "redis://";
  if (text.substr(0, kScheme.size()) == kScheme) text.remove_prefix(kScheme.size());
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("expected host:port, not '" + std::string(text) + "'");
  }
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [ptr, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return InvalidArgument("bad port in '" + std::string(text) + "'");
  }
  return HostPort{std::string(text.substr(0, colon)), static_cast<uint16_t>(port)};
}

std::string FormatSummaryLine(const Summary& s) {
  STDB_ASSERT(!s.system.empty() && s.system.find(' ') == std::string::npos);
  char buf[512];
  std::string line = "transfer system=" + s.system;
  std::snprintf(buf, sizeof buf, " alpha=%g clients=%d inflight=%d", s.alpha, s.clients,
                s.inflight);
  line += buf;
  if (s.confirmed.has_value()) line += *s.confirmed ? " confirmed=true" : " confirmed=false";
  std::snprintf(buf, sizeof buf,
                " seconds=%.1f committed=%" PRIu64 " tx_per_s=%.0f errors=%" PRIu64
                " conflicts=%" PRIu64 " p50_us=%" PRIu64 " p99_us=%" PRIu64 " p999_us=%" PRIu64
                " max_us=%" PRIu64,
                s.seconds, s.committed, s.tx_per_s(), s.errors, s.conflicts, s.p50_us, s.p99_us,
                s.p999_us, s.max_us);
  line += buf;
  if (s.server_cpu_us_per_tx >= 0) {
    std::snprintf(buf, sizeof buf, " server_cpu_us_per_tx=%.1f", s.server_cpu_us_per_tx);
    line += buf;
  }
  line += " total=" + Int128ToString(s.total);
  line += s.total_unchanged ? " unchanged" : " CHANGED";
  return line;
}

}  // namespace stdb::bench
