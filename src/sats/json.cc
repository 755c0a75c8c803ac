#include "sats/json.h"

#include <cmath>
#include <limits>

namespace stdb::sats {
namespace {

template <typename T>
Json LimbsToJson(const T& v) {
  // Emit a JSON number when the value fits 64 bits, otherwise decimal text (lossless).
  return Json(ToDecimal(v));
}

Json Int128Json(i128 v) {
  if (v >= std::numeric_limits<int64_t>::min() && v <= std::numeric_limits<int64_t>::max()) {
    return Json(static_cast<int64_t>(v));
  }
  return Json(ToDecimal(v));
}

Json UInt128Json(u128 v) {
  if (v <= std::numeric_limits<uint64_t>::max()) return Json(static_cast<uint64_t>(v));
  return Json(ToDecimal(v));
}

Json FloatJson(double d) {
  if (std::isnan(d)) return Json("NaN");
  if (std::isinf(d)) return Json(d > 0 ? "inf" : "-inf");
  return Json(d);
}

std::string HexBigEndian(const void* p, size_t n) {
  Bytes be(n);
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) be[i] = b[n - 1 - i];
  return "0x" + ToHex(be);
}

struct ScalarJson {
  Json operator()(bool v) const { return Json(v); }
  Json operator()(int8_t v) const { return Json(v); }
  Json operator()(uint8_t v) const { return Json(v); }
  Json operator()(int16_t v) const { return Json(v); }
  Json operator()(uint16_t v) const { return Json(v); }
  Json operator()(int32_t v) const { return Json(v); }
  Json operator()(uint32_t v) const { return Json(v); }
  Json operator()(int64_t v) const { return Json(v); }
  Json operator()(uint64_t v) const { return Json(v); }
  Json operator()(i128 v) const { return Int128Json(v); }
  Json operator()(u128 v) const { return UInt128Json(v); }
  Json operator()(const I256& v) const {
    if (v >= I256::FromI64(std::numeric_limits<int64_t>::min()) &&
        v <= I256::FromI64(std::numeric_limits<int64_t>::max())) {
      return Json(static_cast<int64_t>(v.limbs[0]));
    }
    return LimbsToJson(v);
  }
  Json operator()(const U256& v) const {
    if (v.limbs[1] == 0 && v.limbs[2] == 0 && v.limbs[3] == 0) return Json(v.limbs[0]);
    return LimbsToJson(v);
  }
  Json operator()(float v) const { return FloatJson(v); }
  Json operator()(double v) const { return FloatJson(v); }
  Json operator()(const std::string& v) const { return Json(v); }
  Json operator()(const Bytes& v) const { return Json(ToHex(v)); }
  template <typename T>
  Json operator()(const T&) const { return Json(); }
};

Json ToJsonImpl(const AlgebraicType& type, const AlgebraicValue& value, int depth) {
  if (depth > kJsonDepthMax) return Json();
  if (type.is_identity() || type.is_connection_id()) {
    const auto* p = value.get_if<ProductValue>();
    if (p == nullptr || p->fields.size() != 1) return Json();
    if (const auto* id = p->fields[0].get_if<U256>()) return HexBigEndian(id->limbs.data(), 32);
    if (const auto* c = p->fields[0].get_if<u128>()) return HexBigEndian(c, 16);
    return Json();
  }
  if (type.is_timestamp() || type.is_time_duration()) {
    const auto* p = value.get_if<ProductValue>();
    if (p == nullptr || p->fields.size() != 1 || !p->fields[0].is<int64_t>()) return Json();
    return Json(p->fields[0].as<int64_t>());
  }
  switch (type.kind()) {
    case TypeKind::kProduct: {
      const auto* p = value.get_if<ProductValue>();
      if (p == nullptr || p->fields.size() != type.elements().size()) return Json();
      Json arr = Json::array();
      for (size_t i = 0; i < p->fields.size(); ++i) {
        arr.push_back(ToJsonImpl(type.elements()[i].type, p->fields[i], depth + 1));
      }
      return arr;
    }
    case TypeKind::kSum: {
      const auto* s = value.get_if<SumValue>();
      if (s == nullptr || s->tag >= type.elements().size()) return Json();
      const Element& variant = type.elements()[s->tag];
      const std::string name = variant.name ? *variant.name : std::to_string(s->tag);
      Json obj = Json::object();
      obj[name] = ToJsonImpl(variant.type, *s->value, depth + 1);
      return obj;
    }
    case TypeKind::kArray: {
      if (type.is_bytes()) return std::visit(ScalarJson{}, value.variant());
      const auto* a = value.get_if<ArrayValue>();
      if (a == nullptr) return Json();
      Json arr = Json::array();
      for (const auto& e : a->elements) {
        arr.push_back(ToJsonImpl(type.array_element(), e, depth + 1));
      }
      return arr;
    }
    default: return std::visit(ScalarJson{}, value.variant());
  }
}

// ---- JSON -> value ----

Status Mismatch(const AlgebraicType& type, const Json& json, const std::string& path) {
  std::string shown = json.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  return TypeMismatch("expected " + type.ToString() + " at " + (path.empty() ? "$" : path) +
                      ", got " + shown);
}

template <typename T>
Result<AlgebraicValue> IntFromJson(const AlgebraicType& type, const Json& j,
                                   const std::string& path) {
  if (j.is_number_integer()) {
    if constexpr (std::is_signed_v<T>) {
      if (j.is_number_unsigned()) {
        const uint64_t u = j.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
          return Mismatch(type, j, path);
        }
        return AlgebraicValue(static_cast<T>(u));
      }
      const int64_t v = j.get<int64_t>();
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        return Mismatch(type, j, path);
      }
      return AlgebraicValue(static_cast<T>(v));
    } else {
      if (!j.is_number_unsigned()) return Mismatch(type, j, path);
      const uint64_t v = j.get<uint64_t>();
      if (v > std::numeric_limits<T>::max()) return Mismatch(type, j, path);
      return AlgebraicValue(static_cast<T>(v));
    }
  }
  if (j.is_string()) {
    // Decimal text is accepted for every integer width (needed for 128/256 bits).
    const std::string& s = j.get_ref<const std::string&>();
    if constexpr (std::is_signed_v<T>) {
      auto v = ParseI128(s);
      if (!v.ok() || *v < std::numeric_limits<T>::min() || *v > std::numeric_limits<T>::max()) {
        return Mismatch(type, j, path);
      }
      return AlgebraicValue(static_cast<T>(*v));
    } else {
      auto v = ParseU128(s);
      if (!v.ok() || *v > std::numeric_limits<T>::max()) return Mismatch(type, j, path);
      return AlgebraicValue(static_cast<T>(*v));
    }
  }
  return Mismatch(type, j, path);
}

template <typename T>
Result<AlgebraicValue> BigFromJson(const AlgebraicType& type, const Json& j,
                                   const std::string& path) {
  std::string text;
  if (j.is_number_unsigned()) {
    text = std::to_string(j.get<uint64_t>());
  } else if (j.is_number_integer()) {
    text = std::to_string(j.get<int64_t>());
  } else if (j.is_string()) {
    text = j.get<std::string>();
  } else {
    return Mismatch(type, j, path);
  }
  if constexpr (std::is_same_v<T, u128>) {
    auto v = ParseU128(text);
    if (!v.ok()) return Mismatch(type, j, path);
    return AlgebraicValue(*v);
  } else if constexpr (std::is_same_v<T, i128>) {
    auto v = ParseI128(text);
    if (!v.ok()) return Mismatch(type, j, path);
    return AlgebraicValue(*v);
  } else if constexpr (std::is_same_v<T, U256>) {
    auto v = ParseU256(text);
    if (!v.ok()) return Mismatch(type, j, path);
    return AlgebraicValue(*v);
  } else {
    auto v = ParseI256(text);
    if (!v.ok()) return Mismatch(type, j, path);
    return AlgebraicValue(*v);
  }
}

Result<AlgebraicValue> FloatFromJson(const AlgebraicType& type, const Json& j,
                                     const std::string& path) {
  double d = 0;
  if (j.is_number()) {
    d = j.get<double>();
  } else if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "NaN") {
      d = std::numeric_limits<double>::quiet_NaN();
    } else if (s == "inf") {
      d = std::numeric_limits<double>::infinity();
    } else if (s == "-inf") {
      d = -std::numeric_limits<double>::infinity();
    } else {
      return Mismatch(type, j, path);
    }
  } else {
    return Mismatch(type, j, path);
  }
  if (type.kind() == TypeKind::kF32) return AlgebraicValue(static_cast<float>(d));
  return AlgebraicValue(d);
}

// Hex text (big-endian, optional 0x) of exactly `n` bytes into little-endian storage.
Result<Bytes> HexLittleEndian(const std::string& s, size_t n) {
  STDB_ASSIGN_OR_RETURN(Bytes be, FromHex(s));
  if (be.size() != n) return DecodeError("expected " + std::to_string(n * 2) + " hex digits");
  return Bytes(be.rbegin(), be.rend());
}

Result<AlgebraicValue> FromJsonImpl(const AlgebraicType& type, const Json& j,
                                    const std::string& path, int depth);

Result<AlgebraicValue> SpecialFromJson(const AlgebraicType& type, const Json& j,
                                       const std::string& path, int depth) {
  const std::string& tag = *type.elements()[0].name;
  // The product form {"__identity__": ...} or [x] is accepted as well as the scalar.
  if (j.is_object() && j.size() == 1 && j.contains(tag)) {
    return FromJsonImpl(type, Json::array({j.at(tag)}), path, depth);
  }
  const Json& inner = (j.is_array() && j.size() == 1) ? j[0] : j;
  if (type.is_identity() || type.is_connection_id()) {
    const size_t n = type.is_identity() ? 32 : 16;
    if (inner.is_string()) {
      auto le = HexLittleEndian(inner.get<std::string>(), n);
      if (!le.ok()) return Mismatch(type, j, path);
      if (n == 32) {
        U256 v;
        std::memcpy(v.limbs.data(), le->data(), 32);
        return AlgebraicValue::Identity(v);
      }
      u128 v = 0;
      std::memcpy(&v, le->data(), 16);
      return AlgebraicValue::ConnectionId(v);
    }
    STDB_ASSIGN_OR_RETURN(auto v, FromJsonImpl(type.elements()[0].type, inner, path, depth + 1));
    return AlgebraicValue::Product({std::move(v)});
  }
  STDB_ASSIGN_OR_RETURN(auto v, IntFromJson<int64_t>(type.elements()[0].type, inner, path));
  return AlgebraicValue::Product({std::move(v)});
}

Result<AlgebraicValue> ProductFromJson(const AlgebraicType& type, const Json& j,
                                       const std::string& path, int depth) {
  const auto& els = type.elements();
  std::vector<AlgebraicValue> fields;
  fields.reserve(els.size());
  if (j.is_array()) {
    if (j.size() != els.size()) return Mismatch(type, j, path);
    for (size_t i = 0; i < els.size(); ++i) {
      STDB_ASSIGN_OR_RETURN(auto f, FromJsonImpl(els[i].type, j[i],
                                                 path + "[" + std::to_string(i) + "]", depth + 1));
      fields.push_back(std::move(f));
    }
    return AlgebraicValue::Product(std::move(fields));
  }
  if (j.is_object()) {
    if (j.size() != els.size()) return Mismatch(type, j, path);
    for (size_t i = 0; i < els.size(); ++i) {
      if (!els[i].name || !j.contains(*els[i].name)) return Mismatch(type, j, path);
      STDB_ASSIGN_OR_RETURN(auto f, FromJsonImpl(els[i].type, j.at(*els[i].name),
                                                 path + "." + *els[i].name, depth + 1));
      fields.push_back(std::move(f));
    }
    return AlgebraicValue::Product(std::move(fields));
  }
  return Mismatch(type, j, path);
}

Result<AlgebraicValue> SumFromJson(const AlgebraicType& type, const Json& j,
                                   const std::string& path, int depth) {
  const auto& vars = type.elements();
  auto find = [&](const std::string& name) -> int {
    for (size_t i = 0; i < vars.size(); ++i) {
      if (vars[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  if (j.is_object() && j.size() == 1) {
    const int tag = find(j.begin().key());
    if (tag < 0) return Mismatch(type, j, path);
    STDB_ASSIGN_OR_RETURN(auto v, FromJsonImpl(vars[tag].type, j.begin().value(),
                                                path + "." + j.begin().key(), depth + 1));
    return AlgebraicValue::Sum(static_cast<uint8_t>(tag), std::move(v));
  }
  if (type.is_option()) {
    // Convenience: null is none, any other JSON is some(value).
    if (j.is_null()) return AlgebraicValue::None();
    STDB_ASSIGN_OR_RETURN(auto v, FromJsonImpl(vars[0].type, j, path, depth + 1));
    return AlgebraicValue::Some(std::move(v));
  }
  if (j.is_string()) {
    // A unit variant may be given by name alone.
    const int tag = find(j.get<std::string>());
    if (tag >= 0 && vars[tag].type.is_unit()) {
      return AlgebraicValue::Sum(static_cast<uint8_t>(tag), AlgebraicValue::Unit());
    }
  }
  return Mismatch(type, j, path);
}

Result<AlgebraicValue> FromJsonImpl(const AlgebraicType& type, const Json& j,
                                    const std::string& path, int depth) {
  if (depth > kJsonDepthMax) return InvalidArgument("JSON nested too deeply");
  if (type.is_special_scalar()) return SpecialFromJson(type, j, path, depth);
  switch (type.kind()) {
    case TypeKind::kBool:
      if (!j.is_boolean()) return Mismatch(type, j, path);
      return AlgebraicValue(j.get<bool>());
    case TypeKind::kI8: return IntFromJson<int8_t>(type, j, path);
    case TypeKind::kU8: return IntFromJson<uint8_t>(type, j, path);
    case TypeKind::kI16: return IntFromJson<int16_t>(type, j, path);
    case TypeKind::kU16: return IntFromJson<uint16_t>(type, j, path);
    case TypeKind::kI32: return IntFromJson<int32_t>(type, j, path);
    case TypeKind::kU32: return IntFromJson<uint32_t>(type, j, path);
    case TypeKind::kI64: return IntFromJson<int64_t>(type, j, path);
    case TypeKind::kU64: return IntFromJson<uint64_t>(type, j, path);
    case TypeKind::kI128: return BigFromJson<i128>(type, j, path);
    case TypeKind::kU128: return BigFromJson<u128>(type, j, path);
    case TypeKind::kI256: return BigFromJson<I256>(type, j, path);
    case TypeKind::kU256: return BigFromJson<U256>(type, j, path);
    case TypeKind::kF32:
    case TypeKind::kF64: return FloatFromJson(type, j, path);
    case TypeKind::kString:
      if (!j.is_string()) return Mismatch(type, j, path);
      return AlgebraicValue(j.get<std::string>());
    case TypeKind::kArray: {
      if (type.is_bytes() && j.is_string()) {
        auto b = FromHex(j.get<std::string>());
        if (!b.ok()) return Mismatch(type, j, path);
        return AlgebraicValue(std::move(b).value());
      }
      if (!j.is_array()) return Mismatch(type, j, path);
      if (type.is_bytes()) {
        Bytes out;
        for (size_t i = 0; i < j.size(); ++i) {
          STDB_ASSIGN_OR_RETURN(auto b, IntFromJson<uint8_t>(type.array_element(), j[i], path));
          out.push_back(b.as<uint8_t>());
        }
        return AlgebraicValue(std::move(out));
      }
      ArrayValue arr;
      for (size_t i = 0; i < j.size(); ++i) {
        STDB_ASSIGN_OR_RETURN(auto e, FromJsonImpl(type.array_element(), j[i],
                                                   path + "[" + std::to_string(i) + "]",
                                                   depth + 1));
        arr.elements.push_back(std::move(e));
      }
      return AlgebraicValue(std::move(arr));
    }
    case TypeKind::kProduct: return ProductFromJson(type, j, path, depth);
    case TypeKind::kSum: return SumFromJson(type, j, path, depth);
    case TypeKind::kRef: return Unsupported("unresolved type reference");
  }
  return Mismatch(type, j, path);
}

Json ElementsToJson(const std::vector<Element>& els) {
  Json arr = Json::array();
  for (const auto& el : els) {
    Json name = el.name ? Json{{"some", *el.name}} : Json{{"none", Json::array()}};
    arr.push_back(Json{{"name", name}, {"algebraic_type", TypeToJson(el.type)}});
  }
  return arr;
}

}  // namespace

Json ValueToJson(const AlgebraicType& type, const AlgebraicValue& value) {
  return ToJsonImpl(type, value, 0);
}

Result<AlgebraicValue> ValueFromJson(const AlgebraicType& type, const Json& json) {
  return FromJsonImpl(type, json, "", 0);
}

Json TypeToJson(const AlgebraicType& type) {
  const std::string kind(TypeKindName(type.kind()));
  switch (type.kind()) {
    case TypeKind::kRef: return Json{{kind, type.ref()}};
    case TypeKind::kProduct:
      return Json{{kind, Json{{"elements", ElementsToJson(type.elements())}}}};
    case TypeKind::kSum: return Json{{kind, Json{{"variants", ElementsToJson(type.elements())}}}};
    case TypeKind::kArray: return Json{{kind, TypeToJson(type.array_element())}};
    default: return Json{{kind, Json::array()}};
  }
}

}  // namespace stdb::sats
