// AlgebraicValue: a value of some AlgebraicType, as a tree. Values do not carry their
// type; every operation that needs one takes it as an argument (like SpacetimeDB).
//
// Rows at rest are BSATN bytes (see store/); tree values are for the edges: JSON, SQL
// literals and comparisons, tests.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/int256.h"

namespace stdb::sats {

class AlgebraicValue;

// Fields of a product, in declared order.
struct ProductValue {
  std::vector<AlgebraicValue> fields;
  friend bool operator==(const ProductValue&, const ProductValue&);
};

// Elements of an array whose element type is not U8.
struct ArrayValue {
  std::vector<AlgebraicValue> elements;
  friend bool operator==(const ArrayValue&, const ArrayValue&);
};

// A sum value: the variant's index and its payload (unit for unit variants).
struct SumValue {
  uint8_t tag = 0;
  std::unique_ptr<AlgebraicValue> value;  // never null, except in a moved-from SumValue

  SumValue();  // tag 0 with a unit payload
  SumValue(uint8_t t, AlgebraicValue v);
  SumValue(const SumValue& other);
  SumValue& operator=(const SumValue& other);
  SumValue(SumValue&&) noexcept = default;
  SumValue& operator=(SumValue&&) noexcept = default;
  friend bool operator==(const SumValue&, const SumValue&);
};

class AlgebraicValue {
 public:
  // Alternative order is fixed; Bytes holds Array<U8> values.
  using Variant = std::variant<bool, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t,
                               int64_t, uint64_t, i128, u128, I256, U256, float, double,
                               std::string, Bytes, ArrayValue, ProductValue, SumValue>;

  AlgebraicValue() : v_(ProductValue{}) {}  // unit
  template <typename T>
    requires std::is_constructible_v<Variant, T&&> &&
             (!std::is_same_v<std::decay_t<T>, AlgebraicValue>)
  AlgebraicValue(T&& v) : v_(std::forward<T>(v)) {}  // NOLINT: implicit by design

  static AlgebraicValue Unit() { return AlgebraicValue(); }
  static AlgebraicValue Product(std::vector<AlgebraicValue> fields) {
    return ProductValue{std::move(fields)};
  }
  static AlgebraicValue Sum(uint8_t tag, AlgebraicValue payload) {
    return SumValue(tag, std::move(payload));
  }
  static AlgebraicValue Some(AlgebraicValue v) { return Sum(0, std::move(v)); }
  static AlgebraicValue None() { return Sum(1, Unit()); }
  // Special types (products of one field).
  static AlgebraicValue Identity(const U256& v) { return Product({v}); }
  static AlgebraicValue ConnectionId(u128 v) { return Product({v}); }
  static AlgebraicValue Timestamp(int64_t micros) { return Product({micros}); }
  static AlgebraicValue TimeDuration(int64_t micros) { return Product({micros}); }

  const Variant& variant() const { return v_; }
  Variant& variant() { return v_; }

  template <typename T>
  bool is() const { return std::holds_alternative<T>(v_); }
  template <typename T>
  const T& as() const { return std::get<T>(v_); }
  template <typename T>
  T& as() { return std::get<T>(v_); }
  template <typename T>
  const T* get_if() const { return std::get_if<T>(&v_); }

  friend bool operator==(const AlgebraicValue& a, const AlgebraicValue& b) {
    return a.v_ == b.v_;
  }

 private:
  Variant v_;
};

// Orders two values of the same type: numbers numerically (floats with IEEE partial
// order), strings and bytes lexicographically, products field by field, sums by tag then
// payload. Values of different alternatives are unordered.
std::partial_ordering Compare(const AlgebraicValue& a, const AlgebraicValue& b);

}  // namespace stdb::sats
