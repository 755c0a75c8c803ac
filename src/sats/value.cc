#include "sats/value.h"

#include <algorithm>

namespace stdb::sats {

SumValue::SumValue() : value(std::make_unique<AlgebraicValue>()) {}

SumValue::SumValue(uint8_t t, AlgebraicValue v)
    : tag(t), value(std::make_unique<AlgebraicValue>(std::move(v))) {}

SumValue::SumValue(const SumValue& other)
    : tag(other.tag),
      value(std::make_unique<AlgebraicValue>(other.value ? *other.value : AlgebraicValue())) {}

SumValue& SumValue::operator=(const SumValue& other) {
  if (this != &other) {
    tag = other.tag;
    value = std::make_unique<AlgebraicValue>(other.value ? *other.value : AlgebraicValue());
  }
  return *this;
}

bool operator==(const ProductValue& a, const ProductValue& b) { return a.fields == b.fields; }
bool operator==(const ArrayValue& a, const ArrayValue& b) { return a.elements == b.elements; }
bool operator==(const SumValue& a, const SumValue& b) {
  if (a.tag != b.tag) return false;
  if (!a.value || !b.value) return a.value == b.value;
  return *a.value == *b.value;
}

namespace {

std::partial_ordering CompareSeq(const std::vector<AlgebraicValue>& a,
                                 const std::vector<AlgebraicValue>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    auto c = Compare(a[i], b[i]);
    if (c != std::partial_ordering::equivalent) return c;
  }
  return a.size() <=> b.size();
}

struct CompareVisitor {
  const AlgebraicValue::Variant& other;

  template <typename T>
  std::partial_ordering operator()(const T& a) const {
    const T& b = std::get<T>(other);
    if constexpr (std::is_same_v<T, ProductValue>) {
      return CompareSeq(a.fields, b.fields);
    } else if constexpr (std::is_same_v<T, ArrayValue>) {
      return CompareSeq(a.elements, b.elements);
    } else if constexpr (std::is_same_v<T, SumValue>) {
      if (a.tag != b.tag) return a.tag <=> b.tag;
      return Compare(*a.value, *b.value);
    } else if constexpr (std::is_same_v<T, Bytes>) {
      return std::lexicographical_compare_three_way(a.begin(), a.end(), b.begin(), b.end());
    } else {
      return a <=> b;
    }
  }
};

}  // namespace

std::partial_ordering Compare(const AlgebraicValue& a, const AlgebraicValue& b) {
  if (a.variant().index() != b.variant().index()) return std::partial_ordering::unordered;
  return std::visit(CompareVisitor{b.variant()}, a.variant());
}

}  // namespace stdb::sats
