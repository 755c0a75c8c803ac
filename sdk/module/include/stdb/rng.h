// A deterministic pseudo-random generator for reducers.
//
// A reducer must produce the same writes when replayed with the same inputs, so its
// randomness comes only from the seed the host passes in StdbReducerContext.rng_seed,
// never from std::random_device or the clock. The generator is xoshiro256** (Blackman
// and Vigna), seeded by expanding the 64-bit seed with SplitMix64 as its authors
// recommend. It is fast and statistically strong, and it is not for secrets.
//
// Rng meets UniformRandomBitGenerator, so it works with <random> distributions; but the
// standard distributions' algorithms differ between standard libraries, so a module that
// must give the same results under any toolchain uses the methods below instead.
#pragma once

#include <bit>
#include <cstdint>

#include "stdb/types.h"

namespace stdb {
inline namespace module_sdk {

class Rng {
 public:
  using result_type = uint64_t;

  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (uint64_t& word : state_) word = SplitMix64(s);
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~uint64_t{0}; }
  result_type operator()() { return next_u64(); }

  // 64 uniformly random bits.
  uint64_t next_u64() {
    const uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

  // 32 uniformly random bits (the high half, the generator's strongest bits).
  uint32_t next_u32() { return static_cast<uint32_t>(next_u64() >> 32); }

  // Uniform in [0, bound), without modulo bias (Lemire's multiply-and-reject). Returns 0
  // if bound is 0. Each draw is rejected with probability below bound / 2^64, so the loop
  // almost never runs twice.
  uint64_t next_below(uint64_t bound) {
    if (bound == 0) return 0;
    u128 m = static_cast<u128>(next_u64()) * bound;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < bound) {
      const uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        m = static_cast<u128>(next_u64()) * bound;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [0, 1), from the top 53 bits.
  double next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // True with probability 1/2.
  bool next_bool() { return (next_u64() >> 63) != 0; }

 private:
  static uint64_t SplitMix64(uint64_t& s) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

}  // namespace module_sdk
}  // namespace stdb
