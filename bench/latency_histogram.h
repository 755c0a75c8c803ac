// LatencyHistogram: counts latencies from 1 us to 60 s in log-spaced buckets, in the
// manner of HdrHistogram, so that percentiles of millions of samples cost a fixed 20 KiB
// and no sorting.
//
// Buckets: values below 128 us have a bucket each (exact). From 128 us on, each power of
// two [2^e, 2^(e+1)) is split into 128 equal buckets, so a bucket is at most 1/128 of its
// lower bound wide: a percentile read back as the bucket's midpoint is within 0.4% of a
// recorded value (the "~1% precision" of the transfer workload). Values above kMaxMicros
// land in the last bucket; max_micros() keeps the exact maximum.
//
// Thread safety: none. Each load generator thread records into its own histogram and the
// main thread merges them after the threads have joined.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "base/assert.h"

namespace stdb::bench {

// The bucket layout, outside the class so that its size can be a constant of it.
namespace latency_buckets {

// 60 s: a call that takes longer than this has failed, whatever its result says.
inline constexpr uint64_t kMaxMicros = 60'000'000;
// Buckets per power of two (and the number of exact one-microsecond buckets below 128).
inline constexpr int kSubBucketBits = 7;
inline constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;

// The bucket that holds `micros` (values above kMaxMicros are clamped to it).
constexpr size_t BucketOf(uint64_t micros) {
  if (micros > kMaxMicros) micros = kMaxMicros;
  if (micros < kSubBuckets) return static_cast<size_t>(micros);
  const int exponent = std::bit_width(micros) - 1;  // >= kSubBucketBits
  const int shift = exponent - kSubBucketBits;
  const uint64_t mantissa = micros >> shift;  // in [kSubBuckets, 2 * kSubBuckets)
  return static_cast<size_t>((exponent - kSubBucketBits + 1) * kSubBuckets +
                             (mantissa - kSubBuckets));
}
// The smallest value in `bucket`.
constexpr uint64_t BucketLow(size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const int shift = static_cast<int>(bucket / kSubBuckets) - 1;
  return (kSubBuckets + bucket % kSubBuckets) << shift;
}
// The number of values in `bucket`.
constexpr uint64_t BucketWidth(size_t bucket) {
  if (bucket < kSubBuckets) return 1;
  return uint64_t{1} << (bucket / kSubBuckets - 1);
}
inline constexpr size_t kBuckets = BucketOf(kMaxMicros) + 1;

}  // namespace latency_buckets

class LatencyHistogram {
 public:
  static constexpr uint64_t kMaxMicros = latency_buckets::kMaxMicros;
  static constexpr size_t kBuckets = latency_buckets::kBuckets;
  static constexpr size_t BucketOf(uint64_t micros) { return latency_buckets::BucketOf(micros); }
  static constexpr uint64_t BucketLow(size_t b) { return latency_buckets::BucketLow(b); }
  static constexpr uint64_t BucketWidth(size_t b) { return latency_buckets::BucketWidth(b); }

  void Record(uint64_t micros) {
    ++counts_[BucketOf(micros)];
    ++count_;
    sum_micros_ += micros;
    if (micros > max_micros_) max_micros_ = micros;
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_micros_ += other.sum_micros_;
    if (other.max_micros_ > max_micros_) max_micros_ = other.max_micros_;
  }

  uint64_t count() const { return count_; }
  uint64_t max_micros() const { return max_micros_; }
  double mean_micros() const {
    return count_ == 0 ? 0.0 : static_cast<double>(sum_micros_) / static_cast<double>(count_);
  }

  // The value below which a fraction `quantile` (in [0, 1]) of the recorded values lie:
  // the midpoint of the bucket holding the ceil(quantile * count)-th smallest value, but
  // never more than the exact maximum. 0 when nothing was recorded.
  uint64_t PercentileMicros(double quantile) const {
    STDB_ASSERT(quantile >= 0.0 && quantile <= 1.0);
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(std::ceil(quantile * static_cast<double>(count_)));
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        const uint64_t mid = BucketLow(i) + (BucketWidth(i) - 1) / 2;
        return mid < max_micros_ ? mid : max_micros_;
      }
    }
    STDB_UNREACHABLE();  // the buckets' counts add up to count_
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_micros_ = 0;
  uint64_t max_micros_ = 0;
};

}  // namespace stdb::bench
