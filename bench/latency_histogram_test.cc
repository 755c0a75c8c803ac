#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace stdb::bench {
namespace {

// Every value lands in a bucket that contains it, buckets tile the range without gaps,
// and no bucket is wider than 1/128 of its lower bound (the promised precision).
TEST(LatencyHistogram, BucketsTileTheRangeWithinOnePercent) {
  for (size_t b = 0; b + 1 < LatencyHistogram::kBuckets; ++b) {
    const uint64_t low = LatencyHistogram::BucketLow(b);
    const uint64_t width = LatencyHistogram::BucketWidth(b);
    ASSERT_EQ(LatencyHistogram::BucketLow(b + 1), low + width) << "bucket " << b;
    ASSERT_EQ(LatencyHistogram::BucketOf(low), b);
    ASSERT_EQ(LatencyHistogram::BucketOf(low + width - 1), b);
    if (low >= 128) {
      ASSERT_LE(width * 128, low) << "bucket " << b;
    } else {
      ASSERT_EQ(width, 1u) << "bucket " << b;
    }
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::kMaxMicros),
            LatencyHistogram::kBuckets - 1);
  EXPECT_EQ(LatencyHistogram::BucketOf(uint64_t{1} << 40), LatencyHistogram::kBuckets - 1);
}

// Percentiles of a uniform 1..100,000 us sample come back within 0.5% of the exact ones.
TEST(LatencyHistogram, PercentilesOfAUniformSampleAreWithinHalfAPercent) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100'000; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100'000u);
  EXPECT_EQ(h.max_micros(), 100'000u);
  EXPECT_DOUBLE_EQ(h.mean_micros(), 50'000.5);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = q * 100'000;
    EXPECT_NEAR(static_cast<double>(h.PercentileMicros(q)), exact, exact * 0.005) << q;
  }
  EXPECT_EQ(h.PercentileMicros(1.0), 100'000u);
  EXPECT_EQ(h.PercentileMicros(0.0), 1u);
}

// Merging two histograms gives the histogram of both samples.
TEST(LatencyHistogram, MergeAddsCountsAndKeepsTheMaximum) {
  LatencyHistogram a, b, both;
  for (uint64_t v = 1; v <= 1000; ++v) {
    a.Record(v);
    both.Record(v);
    b.Record(v * 1000);
    both.Record(v * 1000);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), both.count());
  EXPECT_EQ(a.max_micros(), 1'000'000u);
  for (double q : {0.25, 0.5, 0.75, 0.99})
    EXPECT_EQ(a.PercentileMicros(q), both.PercentileMicros(q));
}

// An empty histogram answers 0 rather than inventing a latency.
TEST(LatencyHistogram, EmptyHistogramReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.PercentileMicros(0.99), 0u);
  EXPECT_EQ(h.mean_micros(), 0.0);
}

}  // namespace
}  // namespace stdb::bench
