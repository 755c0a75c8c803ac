// RapidCheck generators of random AlgebraicTypes and of random values of a given type,
// shared by the sats property tests. Bounded: types nest at most `depth` containers deep
// and have at most four elements per product, sum or array value, so a value stays small.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "sats/bsatn.h"
#include "sats/json.h"
#include "sats/types.h"
#include "sats/value.h"

namespace stdb::sats {

// RapidCheck prints these when a property fails.
inline void showValue(const AlgebraicType& t, std::ostream& os) { os << t.ToString(); }

namespace gen_test {

// Options for RandomType.
struct TypeShape {
  int depth = 3;           // containers nest at most this deep
  bool inhabited = true;   // no empty sums (a type without values), no Refs
  bool json_names = true;  // variant names unique within a sum and never decimal digits
};

inline AlgebraicType RandomLeafType() {
  static const std::vector<TypeKind> kScalars = {
      TypeKind::kBool, TypeKind::kI8,   TypeKind::kU8,   TypeKind::kI16,
      TypeKind::kU16,  TypeKind::kI32,  TypeKind::kU32,  TypeKind::kI64,
      TypeKind::kU64,  TypeKind::kI128, TypeKind::kU128, TypeKind::kI256,
      TypeKind::kU256, TypeKind::kF32,  TypeKind::kF64,  TypeKind::kString};
  switch (*rc::gen::inRange(0, 16)) {
    case 0:
      return AlgebraicType::Identity();
    case 1:
      return AlgebraicType::ConnectionId();
    case 2:
      return AlgebraicType::Timestamp();
    case 3:
      return AlgebraicType::TimeDuration();
    case 4:
      return AlgebraicType::ScheduleAt();
    case 5:
      return AlgebraicType::Unit();
    case 6:
      return AlgebraicType::Bytes();
    default:
      return AlgebraicType(*rc::gen::elementOf(kScalars));
  }
}

// Names drawn from a small pool so that products and sums sometimes share them.
inline std::vector<Element> RandomElements(const TypeShape& shape, int depth, bool is_sum);

inline AlgebraicType RandomType(const TypeShape& shape, int depth) {
  if (depth <= 0) return RandomLeafType();
  switch (*rc::gen::inRange(0, 12)) {
    case 0:
    case 1:
      return AlgebraicType::Array(RandomType(shape, depth - 1));
    case 2:
      return AlgebraicType::Option(RandomType(shape, depth - 1));
    case 3:
    case 4:
      return AlgebraicType::Product(RandomElements(shape, depth - 1, false));
    case 5:
    case 6:
      return AlgebraicType::Sum(RandomElements(shape, depth - 1, true));
    case 7:
      if (!shape.inhabited) return AlgebraicType::Ref(*rc::gen::arbitrary<uint32_t>());
      return RandomLeafType();
    default:
      return RandomLeafType();
  }
}

inline std::vector<Element> RandomElements(const TypeShape& shape, int depth, bool is_sum) {
  static const std::vector<std::string> kNames = {"a",   "b",    "id",   "name",     "x",   "Ok",
                                                  "Err", "some", "none", "Interval", "ünï", ""};
  const int min = (is_sum && shape.inhabited) ? 1 : 0;
  const int n = *rc::gen::inRange(min, 5);
  std::vector<Element> els;
  std::vector<std::string> used;
  for (int i = 0; i < n; ++i) {
    Element el;
    if (*rc::gen::inRange(0, 4) != 0) {
      std::string name = *rc::gen::elementOf(kNames);
      const bool taken = std::find(used.begin(), used.end(), name) != used.end();
      if (!(is_sum && shape.json_names && taken)) {
        used.push_back(name);
        el.name = std::move(name);
      }
    }
    if (!shape.json_names && *rc::gen::inRange(0, 6) == 0) el.name = std::to_string(i);
    el.type = RandomType(shape, depth);
    els.push_back(std::move(el));
  }
  return els;
}

inline rc::Gen<AlgebraicType> GenType(TypeShape shape = {}) {
  return rc::gen::exec(
      [shape] { return RandomType(shape, *rc::gen::inRange(0, shape.depth + 1)); });
}

// A product type of one to six columns, as a table row.
inline rc::Gen<AlgebraicType> GenRowType() {
  return rc::gen::exec([] {
    TypeShape shape;
    std::vector<Element> cols;
    const int n = *rc::gen::inRange(1, 7);
    for (int i = 0; i < n; ++i) {
      cols.push_back(Element{"c" + std::to_string(i), RandomType(shape, *rc::gen::inRange(0, 3))});
    }
    return AlgebraicType::Product(std::move(cols));
  });
}

// Valid UTF-8 from code points in every encoded length (no surrogates).
inline std::string RandomUtf8() {
  const int n = *rc::gen::inRange(0, 8);
  std::string s;
  for (int i = 0; i < n; ++i) {
    uint32_t cp = 0;
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        cp = *rc::gen::inRange<uint32_t>(0, 0x80);
        break;
      case 1:
        cp = *rc::gen::inRange<uint32_t>(0x80, 0x800);
        break;
      case 2:
        cp = *rc::gen::inRange<uint32_t>(0x800, 0xD800);
        break;
      default:
        cp = *rc::gen::inRange<uint32_t>(0xE000, 0x110000);
        break;
    }
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return s;
}

// A 64-bit value biased towards the edges (0, ±1, extremes) where codecs break.
inline uint64_t RandomLimb() {
  switch (*rc::gen::inRange(0, 6)) {
    case 0:
      return 0;
    case 1:
      return ~uint64_t{0};
    case 2:
      return uint64_t{1} << 63;
    case 3:
      return (uint64_t{1} << 63) - 1;
    default:
      return *rc::gen::arbitrary<uint64_t>();
  }
}

template <typename F, typename Bits>
F RandomFloat() {
  // Mostly ordinary numbers; sometimes raw bits, which include NaNs with payloads,
  // infinities, -0 and subnormals.
  if (*rc::gen::inRange(0, 3) == 0) {
    const Bits bits = static_cast<Bits>(RandomLimb() ^ *rc::gen::arbitrary<uint64_t>());
    F f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
  }
  return static_cast<F>(*rc::gen::arbitrary<int32_t>()) /
         static_cast<F>(1 + *rc::gen::inRange(0, 1000));
}

// A random value of `type`. REQUIRES: type is inhabited (no empty sums, no Refs).
inline AlgebraicValue RandomValue(const AlgebraicType& type) {
  switch (type.kind()) {
    case TypeKind::kBool:
      return *rc::gen::arbitrary<bool>();
    case TypeKind::kI8:
      return *rc::gen::arbitrary<int8_t>();
    case TypeKind::kU8:
      return *rc::gen::arbitrary<uint8_t>();
    case TypeKind::kI16:
      return *rc::gen::arbitrary<int16_t>();
    case TypeKind::kU16:
      return *rc::gen::arbitrary<uint16_t>();
    case TypeKind::kI32:
      return *rc::gen::arbitrary<int32_t>();
    case TypeKind::kU32:
      return *rc::gen::arbitrary<uint32_t>();
    case TypeKind::kI64:
      return static_cast<int64_t>(RandomLimb());
    case TypeKind::kU64:
      return RandomLimb();
    case TypeKind::kI128:
      return static_cast<i128>(static_cast<u128>(RandomLimb()) << 64 | RandomLimb());
    case TypeKind::kU128:
      return static_cast<u128>(RandomLimb()) << 64 | RandomLimb();
    case TypeKind::kI256:
      return I256{{RandomLimb(), RandomLimb(), RandomLimb(), RandomLimb()}};
    case TypeKind::kU256:
      return U256{{RandomLimb(), RandomLimb(), RandomLimb(), RandomLimb()}};
    case TypeKind::kF32:
      return RandomFloat<float, uint32_t>();
    case TypeKind::kF64:
      return RandomFloat<double, uint64_t>();
    case TypeKind::kString:
      return RandomUtf8();
    case TypeKind::kArray: {
      const int n = *rc::gen::inRange(0, 5);
      if (type.is_bytes()) {
        Bytes b;
        for (int i = 0; i < n; ++i) b.push_back(*rc::gen::arbitrary<uint8_t>());
        return b;
      }
      ArrayValue a;
      for (int i = 0; i < n; ++i) a.elements.push_back(RandomValue(type.array_element()));
      return a;
    }
    case TypeKind::kProduct: {
      ProductValue p;
      for (const auto& el : type.elements()) p.fields.push_back(RandomValue(el.type));
      return p;
    }
    case TypeKind::kSum: {
      RC_PRE(!type.elements().empty());
      const auto tag = *rc::gen::inRange<size_t>(0, type.elements().size());
      return AlgebraicValue::Sum(static_cast<uint8_t>(tag), RandomValue(type.elements()[tag].type));
    }
    case TypeKind::kRef:
      break;
  }
  RC_FAIL("RandomValue of an uninhabited type");
  return AlgebraicValue();
}

// A random type with a random value of it.
struct Sample {
  AlgebraicType type;
  AlgebraicValue value;
};

inline void showValue(const Sample& s, std::ostream& os) {
  os << s.type.ToString() << " = "
     << ValueToJson(s.type, s.value).dump(-1, ' ', false, Json::error_handler_t::replace);
}

inline rc::Gen<Sample> GenSample(TypeShape shape = {}) {
  return rc::gen::exec([shape] {
    AlgebraicType t = *GenType(shape);
    AlgebraicValue v = RandomValue(t);
    return Sample{std::move(t), std::move(v)};
  });
}

inline rc::Gen<Sample> GenRowSample() {
  return rc::gen::exec([] {
    AlgebraicType t = *GenRowType();
    AlgebraicValue v = RandomValue(t);
    return Sample{std::move(t), std::move(v)};
  });
}

// Value equality with floats compared by their bits (NaN equals itself).
inline bool SameBits(const AlgebraicValue& a, const AlgebraicValue& b) {
  if (a.variant().index() != b.variant().index()) return false;
  if (const float* x = a.get_if<float>()) return std::memcmp(x, &b.as<float>(), 4) == 0;
  if (const double* x = a.get_if<double>()) return std::memcmp(x, &b.as<double>(), 8) == 0;
  auto seq = [](const std::vector<AlgebraicValue>& x, const std::vector<AlgebraicValue>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!SameBits(x[i], y[i])) return false;
    }
    return true;
  };
  if (const auto* p = a.get_if<ProductValue>()) return seq(p->fields, b.as<ProductValue>().fields);
  if (const auto* r = a.get_if<ArrayValue>()) return seq(r->elements, b.as<ArrayValue>().elements);
  if (const auto* s = a.get_if<SumValue>()) {
    const auto& t = b.as<SumValue>();
    return s->tag == t.tag && SameBits(*s->value, *t.value);
  }
  return a == b;
}

// Value equality with every NaN equal to every other NaN (JSON writes them all as "NaN").
inline bool SameModuloNaN(const AlgebraicValue& a, const AlgebraicValue& b) {
  if (a.variant().index() != b.variant().index()) return false;
  if (const float* x = a.get_if<float>()) {
    const float y = b.as<float>();
    return (std::isnan(*x) && std::isnan(y)) || std::memcmp(x, &y, 4) == 0;
  }
  if (const double* x = a.get_if<double>()) {
    const double y = b.as<double>();
    return (std::isnan(*x) && std::isnan(y)) || std::memcmp(x, &y, 8) == 0;
  }
  auto seq = [](const std::vector<AlgebraicValue>& x, const std::vector<AlgebraicValue>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!SameModuloNaN(x[i], y[i])) return false;
    }
    return true;
  };
  if (const auto* p = a.get_if<ProductValue>()) return seq(p->fields, b.as<ProductValue>().fields);
  if (const auto* r = a.get_if<ArrayValue>()) return seq(r->elements, b.as<ArrayValue>().elements);
  if (const auto* s = a.get_if<SumValue>()) {
    const auto& t = b.as<SumValue>();
    return s->tag == t.tag && SameModuloNaN(*s->value, *t.value);
  }
  return a == b;
}

inline Bytes MustEncode(const AlgebraicType& t, const AlgebraicValue& v) {
  Bytes out;
  const Status s = EncodeBsatn(t, v, out);
  RC_ASSERT(s.ok());
  return out;
}

}  // namespace gen_test
}  // namespace stdb::sats
