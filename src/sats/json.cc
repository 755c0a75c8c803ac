#include "sats/json.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.h"

namespace stdb::sats {
namespace {

// Products, sums and arrays recurse; only they count against kJsonDepthMax (the same rule
// as BSATN's, so every value DecodeBsatn accepts converts to and from JSON).
bool TooDeep(const AlgebraicType& type, int depth) {
  if (depth <= kJsonDepthMax) return false;
  const TypeKind k = type.kind();
  return k == TypeKind::kProduct || k == TypeKind::kSum || k == TypeKind::kArray;
}

// Decimal text, for integers that do not fit 64 bits (lossless where a JSON number is not).
template <typename T>
Json LimbsToJson(const T& v) {
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
  // Strings that are not UTF-8 cannot be serialized as JSON; they are not String values.
  Json operator()(const std::string& v) const { return IsValidUtf8(v) ? Json(v) : Json(); }
  Json operator()(const Bytes& v) const { return Json(ToHex(v)); }
  template <typename T>
  Json operator()(const T&) const { return Json(); }
};

Json ToJsonImpl(const AlgebraicType& type, const AlgebraicValue& value, int depth) {
  if (TooDeep(type, depth)) return Json();
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

// The path from the JSON root to the element being converted, as a chain of steps on the
// stack. Rendered ("$.rows[2].name") only when an error names it, so a successful
// conversion builds no strings. Keys point into the type or the input, which outlive it.
class JsonPath {
 public:
  JsonPath() = default;
  JsonPath(const JsonPath& parent, std::string_view key) : parent_(&parent), key_(key) {}
  JsonPath(const JsonPath& parent, size_t index)
      : parent_(&parent), index_(index), is_index_(true) {}

  std::string ToString() const {
    std::vector<const JsonPath*> steps;
    for (const JsonPath* p = this; p->parent_ != nullptr; p = p->parent_) steps.push_back(p);
    std::string out = "$";
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
      if ((*it)->is_index_) {
        out += "[" + std::to_string((*it)->index_) + "]";
      } else {
        out += ".";
        out += (*it)->key_;
      }
    }
    return out;
  }

 private:
  const JsonPath* parent_ = nullptr;
  std::string_view key_;
  size_t index_ = 0;
  bool is_index_ = false;
};

// Error messages show at most this much of the offending JSON.
constexpr size_t kPreviewChars = 60;

// Appends a rendering of `j` to `out`, stopping soon after `out` reaches kPreviewChars.
// Never serializes the whole input, which may be large or deeply nested: the work is
// bounded by kPreviewChars (each nesting level appends at least one character).
void AppendPreview(const Json& j, std::string& out) {
  if (out.size() >= kPreviewChars) return;
  if (j.is_string()) {
    const std::string& str = j.get_ref<const std::string&>();
    const Json head(str.substr(0, kPreviewChars));
    out += head.dump(-1, ' ', false, Json::error_handler_t::replace);
    return;
  }
  if (!j.is_structured()) {
    out += j.dump();
    return;
  }
  out += j.is_array() ? '[' : '{';
  bool first = true;
  for (auto it = j.begin(); it != j.end() && out.size() < kPreviewChars; ++it) {
    if (!first) out += ',';
    first = false;
    if (j.is_object()) {
      AppendPreview(Json(it.key()), out);
      out += ':';
    }
    AppendPreview(it.value(), out);
  }
  out += j.is_array() ? ']' : '}';
}

Status Mismatch(const AlgebraicType& type, const Json& json, const JsonPath& path) {
  std::string shown;
  AppendPreview(json, shown);
  if (shown.size() > kPreviewChars) shown = shown.substr(0, kPreviewChars - 3) + "...";
  return TypeMismatch("expected " + type.ToString() + " at " + path.ToString() + ", got " + shown);
}

template <typename T>
Result<AlgebraicValue> IntFromJson(const AlgebraicType& type, const Json& j,
                                   const JsonPath& path) {
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
      // Parsed text holds non-negative integers as unsigned, but a Json built in code
      // (Json(5)) holds them as signed: accept both.
      if (!j.is_number_unsigned() && j.get<int64_t>() < 0) return Mismatch(type, j, path);
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
                                   const JsonPath& path) {
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
                                     const JsonPath& path) {
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
  if (type.kind() == TypeKind::kF32) {
    // A finite number beyond F32's range would silently become infinity.
    if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) {
      return Mismatch(type, j, path);
    }
    return AlgebraicValue(static_cast<float>(d));
  }
  return AlgebraicValue(d);
}

// Hex text (big-endian, optional 0x) of exactly `n` bytes into little-endian storage.
Result<Bytes> HexLittleEndian(const std::string& s, size_t n) {
  STDB_ASSIGN_OR_RETURN(Bytes be, FromHex(s));
  if (be.size() != n) return DecodeError("expected " + std::to_string(n * 2) + " hex digits");
  return Bytes(be.rbegin(), be.rend());
}

Result<AlgebraicValue> FromJsonImpl(const AlgebraicType& type, const Json& j,
                                    const JsonPath& path, int depth);

Result<AlgebraicValue> SpecialFromJson(const AlgebraicType& type, const Json& j,
                                       const JsonPath& path, int depth) {
  const std::string& tag = *type.elements()[0].name;
  // The product forms {"__identity__": x} and [x] are accepted as well as the scalar x.
  const Json* inner_ptr = &j;
  if (j.is_object() && j.size() == 1 && j.contains(tag)) {
    inner_ptr = &j.at(tag);
  } else if (j.is_array() && j.size() == 1) {
    inner_ptr = &j[0];
  }
  const Json& inner = *inner_ptr;
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
  // Timestamp and TimeDuration: an I64 of microseconds.
  STDB_ASSIGN_OR_RETURN(auto v, IntFromJson<int64_t>(type, inner, path));
  return AlgebraicValue::Product({std::move(v)});
}

Result<AlgebraicValue> ProductFromJson(const AlgebraicType& type, const Json& j,
                                       const JsonPath& path, int depth) {
  const auto& els = type.elements();
  std::vector<AlgebraicValue> fields;
  fields.reserve(els.size());
  if (j.is_array()) {
    if (j.size() != els.size()) return Mismatch(type, j, path);
    for (size_t i = 0; i < els.size(); ++i) {
      STDB_ASSIGN_OR_RETURN(auto f, FromJsonImpl(els[i].type, j[i],
                                                 JsonPath(path, i), depth + 1));
      fields.push_back(std::move(f));
    }
    return AlgebraicValue::Product(std::move(fields));
  }
  if (j.is_object()) {
    if (j.size() != els.size()) return Mismatch(type, j, path);
    for (size_t i = 0; i < els.size(); ++i) {
      if (!els[i].name || !j.contains(*els[i].name)) return Mismatch(type, j, path);
      STDB_ASSIGN_OR_RETURN(auto f, FromJsonImpl(els[i].type, j.at(*els[i].name),
                                                 JsonPath(path, *els[i].name), depth + 1));
      fields.push_back(std::move(f));
    }
    return AlgebraicValue::Product(std::move(fields));
  }
  return Mismatch(type, j, path);
}

// Index of the variant named `key`; failing that, of the unnamed variant whose index is
// `key` in decimal (ValueToJson's key for an unnamed variant); -1 if neither.
int FindVariant(const std::vector<Element>& vars, const std::string& key) {
  for (size_t i = 0; i < vars.size(); ++i) {
    if (vars[i].name == key) return static_cast<int>(i);
  }
  for (size_t i = 0; i < vars.size(); ++i) {
    if (!vars[i].name && key == std::to_string(i)) return static_cast<int>(i);
  }
  return -1;
}

Result<AlgebraicValue> SumFromJson(const AlgebraicType& type, const Json& j,
                                   const JsonPath& path, int depth) {
  const auto& vars = type.elements();
  if (j.is_object() && j.size() == 1) {
    const int tag = FindVariant(vars, j.begin().key());
    if (tag >= 0) {
      STDB_ASSIGN_OR_RETURN(auto v, FromJsonImpl(vars[tag].type, j.begin().value(),
                                                  JsonPath(path, j.begin().key()), depth + 1));
      return AlgebraicValue::Sum(static_cast<uint8_t>(tag), std::move(v));
    }
    // Not a variant: for an option it may still be a bare some-value, below.
    if (!type.is_option()) return Mismatch(type, j, path);
  }
  if (type.is_option()) {
    // Convenience: null is none, any other JSON is some(value).
    if (j.is_null()) return AlgebraicValue::None();
    STDB_ASSIGN_OR_RETURN(auto v, FromJsonImpl(vars[0].type, j, path, depth + 1));
    return AlgebraicValue::Some(std::move(v));
  }
  if (j.is_string()) {
    // A unit variant may be given by name alone.
    const int tag = FindVariant(vars, j.get_ref<const std::string&>());
    if (tag >= 0 && vars[tag].type.is_unit()) {
      return AlgebraicValue::Sum(static_cast<uint8_t>(tag), AlgebraicValue::Unit());
    }
  }
  return Mismatch(type, j, path);
}

Result<AlgebraicValue> FromJsonImpl(const AlgebraicType& type, const Json& j,
                                    const JsonPath& path, int depth) {
  if (TooDeep(type, depth)) return InvalidArgument("JSON nested too deeply at " + path.ToString());
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
      // Parsed text is always UTF-8; a Json built in code need not be.
      if (!j.is_string() || !IsValidUtf8(j.get_ref<const std::string&>())) {
        return Mismatch(type, j, path);
      }
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
          STDB_ASSIGN_OR_RETURN(auto b, IntFromJson<uint8_t>(type.array_element(), j[i],
                                                             JsonPath(path, i)));
          out.push_back(b.as<uint8_t>());
        }
        return AlgebraicValue(std::move(out));
      }
      ArrayValue arr;
      for (size_t i = 0; i < j.size(); ++i) {
        STDB_ASSIGN_OR_RETURN(auto e, FromJsonImpl(type.array_element(), j[i],
                                                   JsonPath(path, i),
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
  return FromJsonImpl(type, json, JsonPath(), 0);
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
