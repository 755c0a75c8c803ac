// BSATN encoding of values and of their SATS types, for the types a module can use.
//
// Layout (SpacetimeDB's, docs/module-abi.md): integers and floats fixed-width
// little-endian; bool one byte (0 or 1); String and Array<U8> a u32 length then the
// bytes; Array<T> a u32 count then the elements; a product its fields in order; a sum a
// u8 tag then the variant's payload; Option<T> is Sum{some: T (tag 0), none: () (tag 1)}.
// A type is a u8 kind tag (TypeKind), then for Sum/Product an Array of {name:
// Option<String>, type}, for Array the element type.
//
// Every supported C++ type T has a specialization of bsatn::Traits<T> with
//   static void WriteType(Writer&)         appends the BSATN of T's AlgebraicType,
//   static void Encode(Writer&, const T&)  appends the BSATN of a value,
//   static T Decode(Reader&)               reads one value or throws DecodeError,
//   static constexpr size_t kMinBytes      the fewest bytes any encoded value takes.
// Structs and enums get theirs from STDB_STRUCT / STDB_ENUM (stdb/struct.h). Using an
// unsupported type is a compile error that names the type.
//
// Decoding never reads past the end of its input and never reserves more elements than
// the remaining bytes could hold, so hostile lengths cannot exhaust memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "stdb/types.h"

namespace stdb {
inline namespace module_sdk {
namespace bsatn {

// Bytes that are not a valid encoding of the expected type. what() says what was being
// read and why it failed.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The kind tag of an AlgebraicType; values equal the server's sats::TypeKind.
enum class TypeKind : uint8_t {
  kRef = 0,
  kSum = 1,
  kProduct = 2,
  kArray = 3,
  kString = 4,
  kBool = 5,
  kI8 = 6,
  kU8 = 7,
  kI16 = 8,
  kU16 = 9,
  kI32 = 10,
  kU32 = 11,
  kI64 = 12,
  kU64 = 13,
  kI128 = 14,
  kU128 = 15,
  kI256 = 16,
  kU256 = 17,
  kF32 = 18,
  kF64 = 19,
};

// Appends BSATN to a caller-owned byte vector.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { fixed(v); }
  void u32(uint32_t v) { fixed(v); }
  void raw(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + n);
  }
  // A fixed-width value, copied as its little-endian bytes.
  template <typename T>
  void fixed(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    raw(&v, sizeof(T));
  }
  // A u32 length then the bytes (String, Array<U8>).
  void length_prefixed(const void* data, size_t n) {
    count(n);
    raw(data, n);
  }
  // A u32 length or element count. Throws std::length_error if `n` does not fit, rather
  // than writing a prefix that disagrees with the bytes after it.
  void count(size_t n) {
    if (n > UINT32_MAX) {
      throw std::length_error("BSATN length " + std::to_string(n) + " does not fit in a u32");
    }
    u32(static_cast<uint32_t>(n));
  }
  void string(std::string_view s) { length_prefixed(s.data(), s.size()); }

  // The type encoding's building blocks.
  void kind(TypeKind k) { u8(static_cast<uint8_t>(k)); }
  // Starts a Product or Sum type with `count` elements; each follows as element().
  void composite(TypeKind k, uint32_t count) {
    kind(k);
    u32(count);
  }
  // An element name (Option<String>::some); the element's type must follow.
  void element_name(std::string_view name) {
    u8(0);
    string(name);
  }

  size_t size() const { return out_.size(); }

 private:
  std::vector<uint8_t>& out_;
};

// Reads BSATN from a byte range it does not own. Every read is bounds-checked and throws
// DecodeError naming `what` when the input is too short.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  explicit Reader(std::span<const uint8_t> bytes) : Reader(bytes.data(), bytes.size()) {}

  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }
  bool at_end() const { return pos_ == size_; }

  template <typename T>
  T fixed(const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    std::memcpy(&v, take(sizeof(T), what), sizeof(T));
    return v;
  }
  uint8_t u8(const char* what) { return fixed<uint8_t>(what); }
  uint32_t u32(const char* what) { return fixed<uint32_t>(what); }
  // Returns a pointer to the next n bytes and skips them.
  const uint8_t* take(size_t n, const char* what) {
    if (remaining() < n) {
      throw DecodeError("unexpected end of input reading " + std::string(what) + ": needed " +
                        std::to_string(n) + " bytes, " + std::to_string(remaining()) +
                        " left");
    }
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  // A u32 length then that many bytes.
  std::string_view length_prefixed(const char* what) {
    const uint32_t n = u32(what);
    return {reinterpret_cast<const char*>(take(n, what)), n};
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

namespace detail {
template <typename T>
inline constexpr bool kAlwaysFalse = false;

// Integer types mapped by width and signedness, so that `long long` and `int64_t` (which
// are distinct types on LP64) both work. Character types are text, not numbers, and are
// rejected.
template <typename T>
concept FixedInteger =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
    !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char8_t> &&
    !std::is_same_v<T, char16_t> && !std::is_same_v<T, char32_t> && sizeof(T) <= 8;

template <typename T>
constexpr TypeKind IntegerKind() {
  constexpr bool kSigned = std::is_signed_v<T>;
  switch (sizeof(T)) {
    case 1: return kSigned ? TypeKind::kI8 : TypeKind::kU8;
    case 2: return kSigned ? TypeKind::kI16 : TypeKind::kU16;
    case 4: return kSigned ? TypeKind::kI32 : TypeKind::kU32;
    default: return kSigned ? TypeKind::kI64 : TypeKind::kU64;
  }
}
}  // namespace detail

// The primary template is chosen only for unsupported types. Using one of its functions
// fails the build with a message naming the type (look for "Traits<T>" in the error's
// instantiation context). The members exist, so that the failed assertion is the only
// error rather than the first of many.
#define STDB_DETAIL_UNSUPPORTED                                                          \
  "this type is not a supported column or argument type: use bool, integers, float, "    \
  "double, std::string, std::vector, std::optional, the stdb:: types, or a struct/enum " \
  "declared with STDB_STRUCT / STDB_ENUM"
template <typename T>
struct Traits {
  static constexpr size_t kMinBytes = 0;
  static void WriteType(Writer&) {
    static_assert(detail::kAlwaysFalse<T>, STDB_DETAIL_UNSUPPORTED);
  }
  static void Encode(Writer&, const T&) {
    static_assert(detail::kAlwaysFalse<T>, STDB_DETAIL_UNSUPPORTED);
  }
  static T Decode(Reader&) { static_assert(detail::kAlwaysFalse<T>, STDB_DETAIL_UNSUPPORTED); }
};
#undef STDB_DETAIL_UNSUPPORTED

// Fixed-width scalars whose BSATN is their in-memory little-endian bytes.
template <typename T, TypeKind K>
struct ScalarTraits {
  static constexpr size_t kMinBytes = sizeof(T);
  static void WriteType(Writer& w) { w.kind(K); }
  static void Encode(Writer& w, const T& v) { w.fixed(v); }
  static T Decode(Reader& r) { return r.fixed<T>(TypeName()); }
  static constexpr const char* TypeName() {
    switch (K) {
      case TypeKind::kI8: return "I8";
      case TypeKind::kU8: return "U8";
      case TypeKind::kI16: return "I16";
      case TypeKind::kU16: return "U16";
      case TypeKind::kI32: return "I32";
      case TypeKind::kU32: return "U32";
      case TypeKind::kI64: return "I64";
      case TypeKind::kU64: return "U64";
      case TypeKind::kI128: return "I128";
      case TypeKind::kU128: return "U128";
      case TypeKind::kI256: return "I256";
      case TypeKind::kU256: return "U256";
      case TypeKind::kF32: return "F32";
      case TypeKind::kF64: return "F64";
      default: return "scalar";
    }
  }
};

template <detail::FixedInteger T>
struct Traits<T> : ScalarTraits<T, detail::IntegerKind<T>()> {};
template <>
struct Traits<u128> : ScalarTraits<u128, TypeKind::kU128> {};
template <>
struct Traits<i128> : ScalarTraits<i128, TypeKind::kI128> {};
template <>
struct Traits<U256> : ScalarTraits<U256, TypeKind::kU256> {};
template <>
struct Traits<I256> : ScalarTraits<I256, TypeKind::kI256> {};
template <>
struct Traits<float> : ScalarTraits<float, TypeKind::kF32> {};
template <>
struct Traits<double> : ScalarTraits<double, TypeKind::kF64> {};

template <>
struct Traits<bool> {
  static constexpr size_t kMinBytes = 1;
  static void WriteType(Writer& w) { w.kind(TypeKind::kBool); }
  static void Encode(Writer& w, bool v) { w.u8(v ? 1 : 0); }
  static bool Decode(Reader& r) {
    const uint8_t b = r.u8("Bool");
    if (b > 1) throw DecodeError("invalid Bool byte " + std::to_string(b));
    return b == 1;
  }
};

// String. The text must be UTF-8: the SDK passes bytes through unchecked, and the host
// rejects a row or argument whose String is not valid UTF-8 (STDB_ERR_DECODE).
template <>
struct Traits<std::string> {
  static constexpr size_t kMinBytes = 4;
  static void WriteType(Writer& w) { w.kind(TypeKind::kString); }
  static void Encode(Writer& w, const std::string& v) { w.string(v); }
  static std::string Decode(Reader& r) { return std::string(r.length_prefixed("String")); }
};

// Array<T>. std::vector<uint8_t> is Array<U8>, whose elements are single bytes, so its
// generic encoding is already "length then bytes"; it is copied in one step.
template <typename T, typename Alloc>
struct Traits<std::vector<T, Alloc>> {
  static constexpr size_t kMinBytes = 4;
  static void WriteType(Writer& w) {
    w.kind(TypeKind::kArray);
    Traits<T>::WriteType(w);
  }
  static void Encode(Writer& w, const std::vector<T, Alloc>& v) {
    if constexpr (std::is_same_v<T, uint8_t>) {
      w.length_prefixed(v.data(), v.size());
    } else {
      w.count(v.size());
      for (const auto& e : v) Traits<T>::Encode(w, e);
    }
  }
  static std::vector<T, Alloc> Decode(Reader& r) {
    if constexpr (std::is_same_v<T, uint8_t>) {
      const std::string_view b = r.length_prefixed("Array<U8>");
      return std::vector<T, Alloc>(b.begin(), b.end());
    } else {
      const uint32_t n = r.u32("Array length");
      // A count the remaining bytes cannot hold is rejected before any allocation.
      if (Traits<T>::kMinBytes > 0 && n > r.remaining() / Traits<T>::kMinBytes) {
        throw DecodeError("Array length " + std::to_string(n) + " exceeds the " +
                          std::to_string(r.remaining()) + " bytes left");
      }
      std::vector<T, Alloc> v;
      v.reserve(std::min<size_t>(n, r.remaining()));
      for (uint32_t i = 0; i < n; ++i) v.push_back(Traits<T>::Decode(r));
      return v;
    }
  }
};

// Option<T> = Sum{some: T, none: ()}.
template <typename T>
struct Traits<std::optional<T>> {
  static constexpr size_t kMinBytes = 1;
  static void WriteType(Writer& w) {
    w.composite(TypeKind::kSum, 2);
    w.element_name("some");
    Traits<T>::WriteType(w);
    w.element_name("none");
    w.composite(TypeKind::kProduct, 0);
  }
  static void Encode(Writer& w, const std::optional<T>& v) {
    if (v.has_value()) {
      w.u8(0);
      Traits<T>::Encode(w, *v);
    } else {
      w.u8(1);
    }
  }
  static std::optional<T> Decode(Reader& r) {
    const uint8_t tag = r.u8("Option tag");
    if (tag == 0) return Traits<T>::Decode(r);
    if (tag == 1) return std::nullopt;
    throw DecodeError("invalid Option tag " + std::to_string(tag));
  }
};

namespace detail {
// A special type: Product{<reserved name>: <scalar>}. The product adds no bytes.
inline void WriteSpecialType(Writer& w, std::string_view name, TypeKind inner) {
  w.composite(TypeKind::kProduct, 1);
  w.element_name(name);
  w.kind(inner);
}
}  // namespace detail

template <>
struct Traits<Identity> {
  static constexpr size_t kMinBytes = 32;
  static void WriteType(Writer& w) {
    detail::WriteSpecialType(w, "__identity__", TypeKind::kU256);
  }
  static void Encode(Writer& w, const Identity& v) { w.fixed(v.value()); }
  static Identity Decode(Reader& r) { return Identity(r.fixed<U256>("Identity")); }
};

template <>
struct Traits<ConnectionId> {
  static constexpr size_t kMinBytes = 16;
  static void WriteType(Writer& w) {
    detail::WriteSpecialType(w, "__connection_id__", TypeKind::kU128);
  }
  static void Encode(Writer& w, const ConnectionId& v) { w.fixed(v.value()); }
  static ConnectionId Decode(Reader& r) {
    return ConnectionId(r.fixed<u128>("ConnectionId"));
  }
};

template <>
struct Traits<Timestamp> {
  static constexpr size_t kMinBytes = 8;
  static void WriteType(Writer& w) {
    detail::WriteSpecialType(w, "__timestamp_micros_since_unix_epoch__", TypeKind::kI64);
  }
  static void Encode(Writer& w, const Timestamp& v) { w.fixed(v.micros_since_epoch()); }
  static Timestamp Decode(Reader& r) {
    return Timestamp::from_micros_since_epoch(r.fixed<int64_t>("Timestamp"));
  }
};

template <>
struct Traits<TimeDuration> {
  static constexpr size_t kMinBytes = 8;
  static void WriteType(Writer& w) {
    detail::WriteSpecialType(w, "__time_duration_micros__", TypeKind::kI64);
  }
  static void Encode(Writer& w, const TimeDuration& v) { w.fixed(v.micros()); }
  static TimeDuration Decode(Reader& r) {
    return TimeDuration::from_micros(r.fixed<int64_t>("TimeDuration"));
  }
};

// ScheduleAt = Sum{Interval: TimeDuration (tag 0), Time: Timestamp (tag 1)}.
template <>
struct Traits<ScheduleAt> {
  static constexpr size_t kMinBytes = 9;
  static void WriteType(Writer& w) {
    w.composite(TypeKind::kSum, 2);
    w.element_name("Interval");
    Traits<TimeDuration>::WriteType(w);
    w.element_name("Time");
    Traits<Timestamp>::WriteType(w);
  }
  static void Encode(Writer& w, const ScheduleAt& v) {
    if (v.is_interval()) {
      w.u8(0);
      Traits<TimeDuration>::Encode(w, v.as_interval());
    } else {
      w.u8(1);
      Traits<Timestamp>::Encode(w, v.as_time());
    }
  }
  static ScheduleAt Decode(Reader& r) {
    const uint8_t tag = r.u8("ScheduleAt tag");
    if (tag == 0) return ScheduleAt::interval(Traits<TimeDuration>::Decode(r));
    if (tag == 1) return ScheduleAt::time(Traits<Timestamp>::Decode(r));
    throw DecodeError("invalid ScheduleAt tag " + std::to_string(tag));
  }
};

// ---- Convenience entry points ----

// The BSATN of `value`.
template <typename T>
std::vector<uint8_t> encode(const T& value) {
  std::vector<uint8_t> out;
  Writer w(out);
  Traits<T>::Encode(w, value);
  return out;
}

// Decodes exactly one T from `bytes`. Throws DecodeError on malformed input or trailing
// bytes.
template <typename T>
T decode(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  T value = Traits<T>::Decode(r);
  if (!r.at_end()) {
    throw DecodeError(std::to_string(r.remaining()) + " unexpected bytes after the value");
  }
  return value;
}

// The BSATN of T's AlgebraicType.
template <typename T>
std::vector<uint8_t> type_of() {
  std::vector<uint8_t> out;
  Writer w(out);
  Traits<T>::WriteType(w);
  return out;
}

}  // namespace bsatn
}  // namespace module_sdk
}  // namespace stdb
