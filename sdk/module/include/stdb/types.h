// Value types a module uses for columns and reducer arguments beyond the C++ builtins:
// wide integers and SpacetimeDB's special types (Identity, ConnectionId, Timestamp,
// TimeDuration, ScheduleAt).
//
// Contract: each type holds exactly the bits its SATS type carries, so encoding is a
// copy of those bits (stdb/bsatn.h) and two values are equal exactly when their BSATN
// bytes are equal. Hex text of Identity and ConnectionId is big-endian (most significant
// byte first), the way SpacetimeDB prints them.
//
// Namespace: everything in the SDK lives in the inline namespace stdb::module_sdk. User
// code spells the names stdb::Identity and so on; the inner namespace only gives the
// SDK's symbols their own mangled names, so a test binary that links both the SDK and
// the server's own stdb::U256 (src/base) has no clash between the two definitions.
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace stdb {
inline namespace module_sdk {

static_assert(std::endian::native == std::endian::little,
              "the module SDK copies integers as BSATN's little-endian bytes");

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

// An unsigned 256-bit integer as four little-endian 64-bit limbs (limb 0 least
// significant), which is also its BSATN layout.
struct U256 {
  std::array<uint64_t, 4> limbs{};

  static constexpr U256 from_u64(uint64_t v) { return U256{{v, 0, 0, 0}}; }
  constexpr bool is_zero() const { return (limbs[0] | limbs[1] | limbs[2] | limbs[3]) == 0; }

  friend constexpr bool operator==(const U256&, const U256&) = default;
  friend constexpr std::strong_ordering operator<=>(const U256& a, const U256& b) {
    for (int i = 3; i >= 0; --i) {
      if (a.limbs[i] != b.limbs[i]) return a.limbs[i] <=> b.limbs[i];
    }
    return std::strong_ordering::equal;
  }
};

// A two's-complement signed 256-bit integer, laid out like U256.
struct I256 {
  std::array<uint64_t, 4> limbs{};

  static constexpr I256 from_i64(int64_t v) {
    const uint64_t fill = v < 0 ? ~uint64_t{0} : 0;
    return I256{{static_cast<uint64_t>(v), fill, fill, fill}};
  }
  constexpr bool is_negative() const { return (limbs[3] >> 63) != 0; }

  friend constexpr bool operator==(const I256&, const I256&) = default;
  friend constexpr std::strong_ordering operator<=>(const I256& a, const I256& b) {
    if (a.is_negative() != b.is_negative()) {
      return a.is_negative() ? std::strong_ordering::less : std::strong_ordering::greater;
    }
    for (int i = 3; i >= 0; --i) {
      if (a.limbs[i] != b.limbs[i]) return a.limbs[i] <=> b.limbs[i];
    }
    return std::strong_ordering::equal;
  }
};

namespace detail {

// Lower-case hex of `n` little-endian bytes, printed most significant byte first.
inline std::string HexBigEndian(const uint8_t* le_bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    const uint8_t b = le_bytes[n - 1 - i];
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses exactly 2*n hex digits (optionally "0x"-prefixed, either case), most
// significant byte first, into n little-endian bytes. Returns false on any other input.
inline bool ParseHexBigEndian(std::string_view hex, uint8_t* le_bytes, size_t n) {
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  if (hex.size() != 2 * n) return false;
  for (size_t i = 0; i < n; ++i) {
    const int hi = HexDigitValue(hex[2 * i]);
    const int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    le_bytes[n - 1 - i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace detail

// The identity of a client or database: a 256-bit number derived by the server from the
// caller's credentials. SATS type: Product{__identity__: U256}.
class Identity {
 public:
  constexpr Identity() = default;  // the zero identity
  constexpr explicit Identity(const U256& value) : value_(value) {}

  // From the 32 little-endian bytes the ABI passes (StdbReducerContext.sender).
  static Identity from_le_bytes(const uint8_t (&bytes)[32]) {
    U256 v;
    std::memcpy(v.limbs.data(), bytes, sizeof(bytes));
    return Identity(v);
  }
  // Parses 64 hex digits, most significant first; std::nullopt on anything else.
  static std::optional<Identity> from_hex(std::string_view hex) {
    U256 v;
    if (!detail::ParseHexBigEndian(hex, reinterpret_cast<uint8_t*>(v.limbs.data()), 32)) {
      return std::nullopt;
    }
    return Identity(v);
  }

  constexpr const U256& value() const { return value_; }
  constexpr bool is_zero() const { return value_.is_zero(); }
  // 64 lower-case hex digits, most significant byte first.
  std::string to_hex() const {
    return detail::HexBigEndian(reinterpret_cast<const uint8_t*>(value_.limbs.data()), 32);
  }

  friend constexpr bool operator==(const Identity&, const Identity&) = default;
  friend constexpr auto operator<=>(const Identity&, const Identity&) = default;

 private:
  U256 value_;
};

// Identifies one connection of a client. All-zero means "no connection" (an HTTP call
// or init), which the SDK reports as std::nullopt. SATS type:
// Product{__connection_id__: U128}.
class ConnectionId {
 public:
  constexpr ConnectionId() = default;
  constexpr explicit ConnectionId(u128 value) : value_(value) {}

  // From the 16 little-endian bytes the ABI passes (StdbReducerContext.connection_id).
  static ConnectionId from_le_bytes(const uint8_t (&bytes)[16]) {
    u128 v;
    std::memcpy(&v, bytes, sizeof(bytes));
    return ConnectionId(v);
  }
  // Parses 32 hex digits, most significant first; std::nullopt on anything else.
  static std::optional<ConnectionId> from_hex(std::string_view hex) {
    u128 v = 0;
    if (!detail::ParseHexBigEndian(hex, reinterpret_cast<uint8_t*>(&v), 16)) {
      return std::nullopt;
    }
    return ConnectionId(v);
  }

  constexpr u128 value() const { return value_; }
  constexpr bool is_zero() const { return value_ == 0; }
  // 32 lower-case hex digits, most significant byte first.
  std::string to_hex() const {
    return detail::HexBigEndian(reinterpret_cast<const uint8_t*>(&value_), 16);
  }

  friend constexpr bool operator==(const ConnectionId&, const ConnectionId&) = default;
  friend constexpr auto operator<=>(const ConnectionId&, const ConnectionId&) = default;

 private:
  u128 value_ = 0;
};

// A span of time in microseconds (may be negative). SATS type:
// Product{__time_duration_micros__: I64}.
class TimeDuration {
 public:
  constexpr TimeDuration() = default;
  static constexpr TimeDuration from_micros(int64_t micros) { return TimeDuration(micros); }
  static constexpr TimeDuration from_millis(int64_t millis) {
    return TimeDuration(millis * 1000);
  }
  static constexpr TimeDuration from_seconds(int64_t seconds) {
    return TimeDuration(seconds * 1000000);
  }

  constexpr int64_t micros() const { return micros_; }

  friend constexpr bool operator==(const TimeDuration&, const TimeDuration&) = default;
  friend constexpr auto operator<=>(const TimeDuration&, const TimeDuration&) = default;
  friend constexpr TimeDuration operator+(TimeDuration a, TimeDuration b) {
    return TimeDuration(a.micros_ + b.micros_);
  }
  friend constexpr TimeDuration operator-(TimeDuration a, TimeDuration b) {
    return TimeDuration(a.micros_ - b.micros_);
  }

 private:
  constexpr explicit TimeDuration(int64_t micros) : micros_(micros) {}
  int64_t micros_ = 0;
};

// A point in time in microseconds since the Unix epoch. A reducer gets the transaction's
// timestamp from its context; it must not read the wall clock. SATS type:
// Product{__timestamp_micros_since_unix_epoch__: I64}.
class Timestamp {
 public:
  constexpr Timestamp() = default;  // the Unix epoch
  static constexpr Timestamp from_micros_since_epoch(int64_t micros) {
    return Timestamp(micros);
  }

  constexpr int64_t micros_since_epoch() const { return micros_; }

  friend constexpr bool operator==(const Timestamp&, const Timestamp&) = default;
  friend constexpr auto operator<=>(const Timestamp&, const Timestamp&) = default;
  friend constexpr Timestamp operator+(Timestamp t, TimeDuration d) {
    return Timestamp(t.micros_ + d.micros());
  }
  friend constexpr Timestamp operator-(Timestamp t, TimeDuration d) {
    return Timestamp(t.micros_ - d.micros());
  }
  friend constexpr TimeDuration operator-(Timestamp a, Timestamp b) {
    return TimeDuration::from_micros(a.micros_ - b.micros_);
  }

 private:
  constexpr explicit Timestamp(int64_t micros) : micros_(micros) {}
  int64_t micros_ = 0;
};

// When a scheduled reducer runs: repeatedly at an interval, or once at a time.
// SATS type: Sum{Interval: TimeDuration (tag 0), Time: Timestamp (tag 1)}.
class ScheduleAt {
 public:
  constexpr ScheduleAt() = default;  // an interval of zero
  static constexpr ScheduleAt interval(TimeDuration every) { return ScheduleAt(every); }
  static constexpr ScheduleAt time(Timestamp at) { return ScheduleAt(at); }

  constexpr bool is_interval() const { return std::holds_alternative<TimeDuration>(value_); }
  constexpr bool is_time() const { return std::holds_alternative<Timestamp>(value_); }
  // REQUIRES: is_interval().
  constexpr TimeDuration as_interval() const { return std::get<TimeDuration>(value_); }
  // REQUIRES: is_time().
  constexpr Timestamp as_time() const { return std::get<Timestamp>(value_); }

  friend constexpr bool operator==(const ScheduleAt&, const ScheduleAt&) = default;

 private:
  constexpr explicit ScheduleAt(TimeDuration d) : value_(d) {}
  constexpr explicit ScheduleAt(Timestamp t) : value_(t) {}
  std::variant<TimeDuration, Timestamp> value_;  // alternative index == SATS tag
};

}  // namespace module_sdk
}  // namespace stdb

// Identities and connection ids are hashes already, so folding the limbs is a good hash.
template <>
struct std::hash<stdb::Identity> {
  size_t operator()(const stdb::Identity& id) const noexcept {
    const auto& l = id.value().limbs;
    return static_cast<size_t>(l[0] ^ std::rotl(l[1], 17) ^ std::rotl(l[2], 31) ^
                               std::rotl(l[3], 47));
  }
};

template <>
struct std::hash<stdb::ConnectionId> {
  size_t operator()(const stdb::ConnectionId& id) const noexcept {
    const stdb::u128 v = id.value();
    return static_cast<size_t>(static_cast<uint64_t>(v) ^
                               std::rotl(static_cast<uint64_t>(v >> 64), 29));
  }
};
