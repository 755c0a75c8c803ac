// Index ranges: the arguments of ctx.db[index].filter(...) and .remove(...), and their
// encoding as the StdbIndexRange of docs/module-abi.md ("Index ranges").
//
//   stdb::range(lo, hi)              lo <= v <  hi   (half-open, like Rust's lo..hi)
//   stdb::range_inclusive(lo, hi)    lo <= v <= hi
//   stdb::range_from(lo)             lo <= v
//   stdb::range_to(hi)                      v <  hi
//   stdb::range_to_inclusive(hi)            v <= hi
//   stdb::range(stdb::excluded(lo), stdb::included(hi))   any mix of bounds;
//   stdb::unbounded stands for a missing bound.
//
// Contract: a range goes last in a filter/remove argument list and applies to the index
// column after the values given before it. Bound values convert to that column's type
// (a compile error if they do not). An empty range (lo > hi) matches nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "stdb/bsatn.h"
#include "stdb/struct.h"
#include "stdb/types.h"

namespace stdb {
inline namespace module_sdk {

// A missing bound.
struct Unbounded {};
inline constexpr Unbounded unbounded{};

// A bound that includes its value.
template <typename T>
struct Included {
  T value;
};
// A bound that excludes its value.
template <typename T>
struct Excluded {
  T value;
};

// Values of the next index column between `lower` and `upper`. Lo and Hi are each
// Included<T>, Excluded<T> or Unbounded.
template <typename Lo, typename Hi>
struct Range {
  Lo lower;
  Hi upper;
};

namespace detail {

template <typename T>
struct BoundKind : std::false_type {};
template <>
struct BoundKind<Unbounded> : std::true_type {};
template <typename T>
struct BoundKind<Included<T>> : std::true_type {};
template <typename T>
struct BoundKind<Excluded<T>> : std::true_type {};
template <typename T>
concept IsBound = BoundKind<std::remove_cvref_t<T>>::value;

template <typename T>
struct RangeKind : std::false_type {};
template <typename Lo, typename Hi>
struct RangeKind<Range<Lo, Hi>> : std::true_type {};
template <typename T>
inline constexpr bool IsRange = RangeKind<std::remove_cvref_t<T>>::value;

// A bound from either a bound or a plain value (which becomes `Plain<value>`).
template <template <typename> class Plain, typename T>
auto AsBound(T v) {
  if constexpr (IsBound<T>) {
    return v;
  } else {
    return Plain<T>{std::move(v)};
  }
}

}  // namespace detail

template <typename T>
Included<T> included(T value) {
  return {std::move(value)};
}
template <typename T>
Excluded<T> excluded(T value) {
  return {std::move(value)};
}

// lo <= v < hi; either argument may also be a bound (included/excluded/unbounded).
template <typename L, typename H>
auto range(L lo, H hi) {
  auto lower = detail::AsBound<Included>(std::move(lo));
  auto upper = detail::AsBound<Excluded>(std::move(hi));
  return Range<decltype(lower), decltype(upper)>{std::move(lower), std::move(upper)};
}
// lo <= v <= hi.
template <typename L, typename H>
Range<Included<L>, Included<H>> range_inclusive(L lo, H hi) {
  return {{std::move(lo)}, {std::move(hi)}};
}
// lo <= v.
template <typename L>
Range<Included<L>, Unbounded> range_from(L lo) {
  return {{std::move(lo)}, {}};
}
// v < hi.
template <typename H>
Range<Unbounded, Excluded<H>> range_to(H hi) {
  return {{}, {std::move(hi)}};
}
// v <= hi.
template <typename H>
Range<Unbounded, Included<H>> range_to_inclusive(H hi) {
  return {{}, {std::move(hi)}};
}

namespace detail {

// Integers of any width (the types a sequence may fill in).
template <typename T>
concept IntegerColumn = bsatn::detail::FixedInteger<T> || std::is_same_v<T, u128> ||
    std::is_same_v<T, i128> || std::is_same_v<T, U256> || std::is_same_v<T, I256>;

// The types a key column may have (docs/module-abi.md "Keys, indexes and constraints").
template <typename T>
concept KeyColumn = IntegerColumn<T> || std::is_same_v<T, bool> || std::is_same_v<T, std::string> ||
    std::is_same_v<T, Identity> || std::is_same_v<T, ConnectionId> ||
    std::is_same_v<T, Timestamp> || std::is_same_v<T, TimeDuration> || StdbEnum<T>;

// std::tuple<A&, B&> -> std::tuple<A, B> (index column types from a std::tie).
template <typename... T>
std::tuple<std::remove_cvref_t<T>...> DecayedTuple(const std::tuple<T...>&);

template <typename Columns>
constexpr bool AllKeyColumns() {
  return []<size_t... I>(std::index_sequence<I...>) {
    return (KeyColumn<std::tuple_element_t<I, Columns>> && ...);
  }
  (std::make_index_sequence<std::tuple_size_v<Columns>>{});
}

// Appends the BSATN of `value` converted to Column.
template <typename Column, typename V>
void WriteKeyValue(bsatn::Writer& w, const V& value) {
  static_assert(!IsRange<V> && !IsBound<V>,
                "a range or bound may only be the last argument of filter/remove");
  static_assert(std::is_constructible_v<Column, const V&>,
                "the value does not convert to the index column's type");
  bsatn::Traits<Column>::Encode(w, Column(value));
}

// The BSATN of `value` converted to Column (a key of a one-column index).
template <typename Column, typename V>
std::vector<uint8_t> EncodeKeyValue(const V& value) {
  std::vector<uint8_t> out;
  bsatn::Writer w(out);
  WriteKeyValue<Column>(w, value);
  return out;
}

// Bound tags of StdbIndexRange.
inline constexpr uint8_t kBoundIncluded = 0;
inline constexpr uint8_t kBoundExcluded = 1;
inline constexpr uint8_t kBoundUnbounded = 2;

template <typename Column, typename B>
void WriteBound(bsatn::Writer& w, const B& bound) {
  if constexpr (std::is_same_v<B, Unbounded>) {
    w.u8(kBoundUnbounded);
  } else if constexpr (std::is_same_v<B, Included<decltype(bound.value)>>) {
    w.u8(kBoundIncluded);
    WriteKeyValue<Column>(w, bound.value);
  } else {
    w.u8(kBoundExcluded);
    WriteKeyValue<Column>(w, bound.value);
  }
}

// The StdbIndexRange for filter(args...) on an index with column types Columns:
//   prefix_len: u16, the prefix values, lower: Bound, upper: Bound
// where the prefix is every argument but a trailing Range, and the bounds come from that
// Range (both unbounded without one).
template <typename Columns, typename... Args>
std::vector<uint8_t> EncodeIndexRange(const Args&... args) {
  constexpr size_t kColumns = std::tuple_size_v<Columns>;
  constexpr size_t kArgs = sizeof...(Args);
  constexpr bool kHasRange = (false || ... || IsRange<Args>);
  constexpr size_t kPrefix = kHasRange ? kArgs - 1 : kArgs;
  static_assert(kPrefix <= kColumns, "more values than the index has columns");
  static_assert(!kHasRange || kPrefix < kColumns,
                "a range needs a column after the values: the index has no more columns");
  std::vector<uint8_t> out;
  bsatn::Writer w(out);
  w.u16(static_cast<uint16_t>(kPrefix));
  if constexpr (kPrefix <= kColumns && (!kHasRange || kPrefix < kColumns)) {
    const auto values = std::forward_as_tuple(args...);
    [&]<size_t... I>(std::index_sequence<I...>) {
      (WriteKeyValue<std::tuple_element_t<I, Columns>>(w, std::get<I>(values)), ...);
    }
    (std::make_index_sequence<kPrefix>{});
    if constexpr (kHasRange) {
      using Column = std::tuple_element_t<kPrefix, Columns>;
      const auto& r = std::get<kPrefix>(values);
      static_assert(IsRange<decltype(r)>, "a range may only be the last argument");
      WriteBound<Column>(w, r.lower);
      WriteBound<Column>(w, r.upper);
    } else {
      w.u8(kBoundUnbounded);
      w.u8(kBoundUnbounded);
    }
  }
  return out;
}

}  // namespace detail
}  // namespace module_sdk
}  // namespace stdb
