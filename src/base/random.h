// Deterministic pseudo-random numbers. SplitMix64 is small, fast and passes BigCrush;
// it is used where a seed must replay the same sequence (reducer rng seeds, tests).
// It is not for secrets: identities and keys come from OpenSSL's RAND_bytes (src/auth).
#pragma once

#include <cstdint>

namespace stdb {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound). REQUIRES: bound > 0.
  uint64_t Uniform(uint64_t bound) { return Next() % bound; }

 private:
  uint64_t state_;
};

// Mixes two 64-bit values into one (used to derive per-transaction seeds).
inline uint64_t MixSeed(uint64_t a, uint64_t b) {
  SplitMix64 r(a ^ (b * 0xff51afd7ed558ccdULL));
  return r.Next();
}

}  // namespace stdb
