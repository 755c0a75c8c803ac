// BSATN for typed client values (layout: docs/bsatn.md), used by bindings that
// `spacetime generate --lang cpp` writes. Codec<T> encodes and decodes one C++ type:
//
//   SATS type           C++ type
//   Bool, I8..U64, F32/F64   bool, int8_t..uint64_t, float, double
//   I128 / U128         stdb::i128 / stdb::u128 (ConnectionId is a u128)
//   I256 / U256         stdb::I256 / stdb::U256 (Identity is a U256)
//   String / Bytes      std::string / std::vector<uint8_t>
//   Array<T>            std::vector<T>
//   Option<T>           std::optional<T>
//   Timestamp, TimeDuration, ScheduleAt, ()   the structs below
//   generated product   struct with bsatn_write / bsatn_read members
//   generated enum      enum class E : uint8_t with EnumVariants<E> specialised
//
// Decoding is total: Read returns false on truncated or invalid input and never reads
// out of bounds; counts are checked against the bytes left.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/int256.h"
#include "base/status.h"

namespace stdb::client {

// The unit value (an empty product), the payload of unit sum variants.
struct Unit {
  friend bool operator==(const Unit&, const Unit&) = default;
};
// Microseconds since the Unix epoch.
struct Timestamp {
  int64_t micros_since_epoch = 0;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};
struct TimeDuration {
  int64_t micros = 0;
  friend auto operator<=>(const TimeDuration&, const TimeDuration&) = default;
};
// When a scheduled reducer runs: every `Interval` (tag 0) or once at `Time` (tag 1).
struct ScheduleAt {
  std::variant<TimeDuration, Timestamp> value;
  friend bool operator==(const ScheduleAt&, const ScheduleAt&) = default;
};

namespace bsatn {

// The number of variants of a generated enum; specialised by the bindings.
template <typename E>
struct EnumVariants;

template <typename T, typename = void>
struct Codec;

template <typename T>
void Write(Bytes& out, const T& value) {
  Codec<T>::Write(out, value);
}
template <typename T>
[[nodiscard]] bool Read(ByteReader& r, T& value) {
  return Codec<T>::Read(r, value);
}

// Encodes one value.
template <typename T>
Bytes Encode(const T& value) {
  Bytes out;
  Write(out, value);
  return out;
}
// Decodes exactly one value from `data` (trailing bytes are an error).
template <typename T>
Result<T> Decode(ByteView data) {
  ByteReader r(data);
  T value{};
  if (!Read(r, value) || !r.at_end()) return DecodeError("BSATN does not decode as the bindings' type");
  return value;
}

// Fixed-width scalars are their little-endian bytes (this code base targets
// little-endian hosts).
template <typename T>
  requires std::is_arithmetic_v<T> || std::same_as<T, u128> || std::same_as<T, i128>
struct Codec<T> {
  static void Write(Bytes& out, T v) { ByteWriter(out).Fixed(v); }
  static bool Read(ByteReader& r, T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      uint8_t b = 0;
      if (!r.Fixed(b) || b > 1) return false;
      v = b != 0;
      return true;
    } else {
      return r.Fixed(v);
    }
  }
};

template <typename T>
  requires std::same_as<T, U256> || std::same_as<T, I256>
struct Codec<T> {
  static void Write(Bytes& out, const T& v) { ByteWriter(out).Fixed(v.limbs); }
  static bool Read(ByteReader& r, T& v) { return r.Fixed(v.limbs); }
};

template <>
struct Codec<std::string> {
  static void Write(Bytes& out, const std::string& v) { ByteWriter(out).String(v); }
  static bool Read(ByteReader& r, std::string& v) {
    ByteView b;
    if (!r.LengthPrefixed(b)) return false;
    v.assign(AsStringView(b));
    return true;
  }
};

template <>
struct Codec<Unit> {
  static void Write(Bytes&, const Unit&) {}
  static bool Read(ByteReader&, Unit&) { return true; }
};

template <>
struct Codec<Timestamp> {
  static void Write(Bytes& out, const Timestamp& v) { ByteWriter(out).I64(v.micros_since_epoch); }
  static bool Read(ByteReader& r, Timestamp& v) { return r.Fixed(v.micros_since_epoch); }
};

template <>
struct Codec<TimeDuration> {
  static void Write(Bytes& out, const TimeDuration& v) { ByteWriter(out).I64(v.micros); }
  static bool Read(ByteReader& r, TimeDuration& v) { return r.Fixed(v.micros); }
};

template <>
struct Codec<ScheduleAt> {
  static void Write(Bytes& out, const ScheduleAt& v) {
    ByteWriter(out).U8(static_cast<uint8_t>(v.value.index()));
    if (const auto* d = std::get_if<TimeDuration>(&v.value)) return Codec<TimeDuration>::Write(out, *d);
    Codec<Timestamp>::Write(out, std::get<Timestamp>(v.value));
  }
  static bool Read(ByteReader& r, ScheduleAt& v) {
    uint8_t tag = 0;
    if (!r.Fixed(tag)) return false;
    if (tag == 0) return Codec<TimeDuration>::Read(r, v.value.emplace<TimeDuration>());
    if (tag == 1) return Codec<Timestamp>::Read(r, v.value.emplace<Timestamp>());
    return false;
  }
};

template <typename T>
struct Codec<std::vector<T>> {
  static void Write(Bytes& out, const std::vector<T>& v) {
    ByteWriter(out).U32(static_cast<uint32_t>(v.size()));
    if constexpr (std::is_same_v<T, uint8_t>) {
      out.insert(out.end(), v.begin(), v.end());
    } else {
      for (const T& e : v) Codec<T>::Write(out, e);
    }
  }
  static bool Read(ByteReader& r, std::vector<T>& v) {
    uint32_t n = 0;
    // Every element takes at least one byte (zero-sized element types have no C++
    // binding), so a count beyond the bytes left is invalid: no huge reserve.
    if (!r.Fixed(n) || n > r.remaining()) return false;
    v.clear();
    v.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      if (!Codec<T>::Read(r, v.emplace_back())) return false;
    }
    return true;
  }
};

template <typename T>
struct Codec<std::optional<T>> {
  static void Write(Bytes& out, const std::optional<T>& v) {
    ByteWriter(out).U8(v ? 0 : 1);
    if (v) Codec<T>::Write(out, *v);
  }
  static bool Read(ByteReader& r, std::optional<T>& v) {
    uint8_t tag = 0;
    if (!r.Fixed(tag)) return false;
    if (tag == 1) {
      v.reset();
      return true;
    }
    return tag == 0 && Codec<T>::Read(r, v.emplace());
  }
};

// Generated products and sums.
template <typename T>
  requires requires(const T& c, T& m, Bytes& out, ByteReader& r) {
    c.bsatn_write(out);
    { m.bsatn_read(r) } -> std::same_as<bool>;
  }
struct Codec<T> {
  static void Write(Bytes& out, const T& v) { v.bsatn_write(out); }
  static bool Read(ByteReader& r, T& v) { return v.bsatn_read(r); }
};

// Generated enums: a sum of unit variants, the tag is the enumerator.
template <typename E>
  requires std::is_enum_v<E>
struct Codec<E> {
  static void Write(Bytes& out, E v) { ByteWriter(out).U8(static_cast<uint8_t>(v)); }
  static bool Read(ByteReader& r, E& v) {
    uint8_t tag = 0;
    if (!r.Fixed(tag) || tag >= EnumVariants<E>::kCount) return false;
    v = static_cast<E>(tag);
    return true;
  }
};

}  // namespace bsatn
}  // namespace stdb::client
