// User-defined types: STDB_STRUCT makes a struct a SATS product, STDB_ENUM declares an
// enum class that is a SATS sum of unit variants. Both work for table rows, reducer
// arguments and nested fields.
//
//   struct Point { int32_t x; int32_t y; };
//   STDB_STRUCT(Point, x, y);          // Product{x: I32, y: I32}
//   STDB_ENUM(Color, Red, Green);      // enum class Color : uint8_t; Sum{Red: (), Green: ()}
//
// Contract:
// - STDB_STRUCT goes at namespace scope, in the struct's own namespace (its functions are
//   found by argument-dependent lookup). It must name every non-static data member, in
//   declaration order: a wrong count fails to compile (structured bindings), and for
//   aggregates a wrong order fails a static_assert, because the names become the column
//   names in the schema. The struct must be default-constructible (decoding fills a
//   default-constructed value), with public members and no base classes. Recursive types
//   are not supported (schemas carry no type references).
// - STDB_ENUM declares the enum itself, so variant i has tag i; values must not be given.
//   At most 256 variants (a BSATN sum tag is one byte).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "stdb/bsatn.h"

namespace stdb {
inline namespace module_sdk {
namespace detail {

constexpr bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

constexpr std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The number of names in a stringized macro argument list ("a, b, c" has 3, "" has 0).
constexpr size_t CountNames(std::string_view list) {
  if (Trim(list).empty()) return 0;
  size_t n = 1;
  for (char c : list) n += c == ',' ? 1 : 0;
  return n;
}

// Splits a stringized argument list into its N names. REQUIRES: CountNames(list) == N.
template <size_t N>
constexpr std::array<std::string_view, N> SplitNames(std::string_view list) {
  std::array<std::string_view, N> names{};
  for (size_t i = 0; i < N; ++i) {
    const size_t comma = list.find(',');
    names[i] = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return names;
}

constexpr bool IsIdentifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// True if every comma-separated entry is a bare identifier (no "= value").
constexpr bool IsNameList(std::string_view list) {
  while (true) {
    const size_t comma = list.find(',');
    if (!IsIdentifier(Trim(list.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    list = list.substr(comma + 1);
  }
}

// True if two tuples of references refer to the same objects, position by position.
template <typename... A, typename... B>
constexpr bool SameObjects(const std::tuple<A&...>& a, const std::tuple<B&...>& b) {
  static_assert(sizeof...(A) == sizeof...(B));
  return [&]<size_t... I>(std::index_sequence<I...>) {
    return ((static_cast<const void*>(std::addressof(std::get<I>(a))) ==
             static_cast<const void*>(std::addressof(std::get<I>(b)))) &&
            ...);
  }(std::index_sequence_for<A...>{});
}

template <typename T>
concept StdbStruct = requires(T& t, const T& c) {
  StdbFields(t);
  StdbFields(c);
  StdbFieldNames(static_cast<const T*>(nullptr));
};

template <typename T>
concept StdbEnum =
    std::is_enum_v<T> && requires { StdbEnumNames(static_cast<const T*>(nullptr)); };

// True if a value-initialized T can be made in a constant expression, which the member
// order check of STDB_STRUCT needs. Known for the supported column types and for
// aggregates made of them; false for anything else (for example a struct with a
// user-written constructor), which only skips part of the check.
template <typename T>
struct ConstexprDefaultable
    : std::bool_constant<std::is_arithmetic_v<T> || std::is_enum_v<T> ||
                         std::is_same_v<T, u128> || std::is_same_v<T, i128> ||
                         std::is_same_v<T, U256> || std::is_same_v<T, I256> ||
                         std::is_same_v<T, Identity> || std::is_same_v<T, ConnectionId> ||
                         std::is_same_v<T, Timestamp> || std::is_same_v<T, TimeDuration> ||
                         std::is_same_v<T, ScheduleAt> || std::is_same_v<T, std::string>> {};
template <typename T, typename Alloc>
struct ConstexprDefaultable<std::vector<T, Alloc>> : std::true_type {};
template <typename T>
struct ConstexprDefaultable<std::optional<T>> : std::true_type {};

template <typename T>
constexpr bool AllMembersConstexprDefaultable() {
  using Fields = decltype(StdbFields(std::declval<T&>()));
  return []<size_t... I>(std::index_sequence<I...>) {
    return (ConstexprDefaultable<std::remove_cvref_t<std::tuple_element_t<I, Fields>>>::value &&
            ...);
  }(std::make_index_sequence<std::tuple_size_v<Fields>>{});
}

template <StdbStruct T>
struct ConstexprDefaultable<T>
    : std::bool_constant<std::is_aggregate_v<T> && AllMembersConstexprDefaultable<T>()> {};

}  // namespace detail

namespace bsatn {

template <::stdb::detail::StdbStruct T>
struct Traits<T> {
  using Fields = decltype(StdbFields(std::declval<T&>()));
  static constexpr size_t kCount = std::tuple_size_v<Fields>;
  template <size_t I>
  using Field = std::remove_cvref_t<std::tuple_element_t<I, Fields>>;
  // The column names, in order.
  static constexpr std::array<std::string_view, kCount> kNames =
      ::stdb::detail::SplitNames<kCount>(StdbFieldNames(static_cast<const T*>(nullptr)));
  static constexpr size_t kMinBytes = []<size_t... I>(std::index_sequence<I...>) {
    return (Traits<Field<I>>::kMinBytes + ... + size_t{0});
  }(std::make_index_sequence<kCount>{});

  static void WriteType(Writer& w) {
    w.composite(TypeKind::kProduct, static_cast<uint32_t>(kCount));
    [&]<size_t... I>(std::index_sequence<I...>) {
      ((w.element_name(kNames[I]), Traits<Field<I>>::WriteType(w)), ...);
    }(std::make_index_sequence<kCount>{});
  }

  static void Encode(Writer& w, const T& v) {
    const auto fields = StdbFields(v);
    [&]<size_t... I>(std::index_sequence<I...>) {
      (Traits<Field<I>>::Encode(w, std::get<I>(fields)), ...);
    }(std::make_index_sequence<kCount>{});
  }

  static T Decode(Reader& r) {
    T v{};
    auto fields = StdbFields(v);
    [&]<size_t... I>(std::index_sequence<I...>) {
      (DecodeField<I>(r, std::get<I>(fields)), ...);
    }(std::make_index_sequence<kCount>{});
    return v;
  }

 private:
  // Names the field in the error so a failure deep inside a row says where it is.
  template <size_t I>
  static void DecodeField(Reader& r, Field<I>& out) {
    try {
      out = Traits<Field<I>>::Decode(r);
    } catch (const DecodeError& e) {
      throw DecodeError("field '" + std::string(kNames[I]) + "': " + e.what());
    }
  }
};

template <::stdb::detail::StdbEnum T>
struct Traits<T> {
  static constexpr std::string_view kList = StdbEnumNames(static_cast<const T*>(nullptr));
  static constexpr size_t kCount = ::stdb::detail::CountNames(kList);
  static constexpr std::array<std::string_view, kCount> kNames =
      ::stdb::detail::SplitNames<kCount>(kList);
  static constexpr size_t kMinBytes = 1;
  static_assert(kCount >= 1 && kCount <= 256, "an enum needs 1 to 256 variants");

  static void WriteType(Writer& w) {
    w.composite(TypeKind::kSum, static_cast<uint32_t>(kCount));
    for (std::string_view name : kNames) {
      w.element_name(name);
      w.composite(TypeKind::kProduct, 0);
    }
  }
  static void Encode(Writer& w, T v) { w.u8(static_cast<uint8_t>(v)); }
  static T Decode(Reader& r) {
    const uint8_t tag = r.u8("enum tag");
    if (tag >= kCount) {
      throw DecodeError("enum tag " + std::to_string(tag) + " out of range (" +
                        std::to_string(kCount) + " variants)");
    }
    return static_cast<T>(tag);
  }
};

}  // namespace bsatn
}  // namespace module_sdk
}  // namespace stdb

// The member-order check below compares addresses in a constant-evaluated object. That
// needs constexpr std::string, which clang up to at least 14 cannot evaluate with
// libstdc++ 12, so under clang only the member types are compared.
#if defined(__GNUC__) && !defined(__clang__)
#define STDB_DETAIL_CHECK_MEMBER_ADDRESSES true
#else
#define STDB_DETAIL_CHECK_MEMBER_ADDRESSES false
#endif

// STDB_STRUCT(Type, member...): see the contract at the top of this file.
//
// The structured bindings bind the members by position, which is what makes a wrong
// member count a compile error. The static_assert then checks that each name refers to
// the member at the same position, through a probe class derived from Type, which sees
// the members by name: the names must give the same member types in the same order, and
// (when the probe can be made at compile time, see ConstexprDefaultable) the same
// objects, which also catches two same-typed members listed the wrong way round.
#define STDB_STRUCT(Type, ...)                                                             \
  inline constexpr auto StdbFields(Type& stdb_self) {                                      \
    auto& [__VA_ARGS__] = stdb_self;                                                       \
    return ::std::tie(__VA_ARGS__);                                                        \
  }                                                                                        \
  inline constexpr auto StdbFields(const Type& stdb_self) {                                \
    const auto& [__VA_ARGS__] = stdb_self;                                                 \
    return ::std::tie(__VA_ARGS__);                                                        \
  }                                                                                        \
  inline constexpr ::std::string_view StdbFieldNames(const Type*) { return #__VA_ARGS__; } \
  static_assert(                                                                           \
      []<typename StdbT = Type>() {                                                        \
        struct StdbProbe : Type {                                                          \
          constexpr auto TieByName() { return ::std::tie(__VA_ARGS__); }                   \
        };                                                                                 \
        if constexpr (!::std::is_same_v<                                                   \
                          decltype(::std::declval<StdbProbe&>().TieByName()),              \
                          decltype(StdbFields(::std::declval<Type&>()))>) {                \
          return false;                                                                    \
        } else if constexpr (STDB_DETAIL_CHECK_MEMBER_ADDRESSES &&                         \
                             ::stdb::detail::ConstexprDefaultable<StdbT>::value) {         \
          StdbProbe probe{};                                                               \
          return ::stdb::detail::SameObjects(probe.TieByName(),                            \
                                             StdbFields(static_cast<Type&>(probe)));       \
        } else {                                                                           \
          return true;                                                                     \
        }                                                                                  \
      }(),                                                                                 \
      "STDB_STRUCT(" #Type ", ...) must list the members in declaration order")

// STDB_ENUM(Name, variant...): declares `enum class Name : uint8_t { variant... }` and
// makes it a SATS sum of unit variants. See the contract at the top of this file.
#define STDB_ENUM(Name, ...)                                                             \
  enum class Name : ::std::uint8_t { __VA_ARGS__ };                                      \
  inline constexpr ::std::string_view StdbEnumNames(const Name*) { return #__VA_ARGS__; } \
  static_assert(::stdb::detail::IsNameList(#__VA_ARGS__),                                \
                "STDB_ENUM(" #Name ", ...) takes variant names only, without values")
