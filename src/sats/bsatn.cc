#include "sats/bsatn.h"

#include <algorithm>
#include <limits>
#include <string>

#include "base/utf8.h"

namespace stdb::sats {
namespace {

// Largest length a u32 prefix can carry.
constexpr size_t kLengthMax = std::numeric_limits<uint32_t>::max();

// State of one top-level EncodeBsatn, DecodeBsatn, SkipBsatn or ColumnSlice call.
struct Walk {
  // Bounded by kBsatnZeroSizedNodesMax; see bsatn.h.
  size_t zero_sized_nodes_left = kBsatnZeroSizedNodesMax;
};

// Products, sums and arrays recurse; only they count against kBsatnDepthMax, so a scalar
// leaf may sit one level below the deepest allowed container.
bool TooDeep(const AlgebraicType& type, int depth) {
  if (depth <= kBsatnDepthMax) return false;
  const TypeKind k = type.kind();
  return k == TypeKind::kProduct || k == TypeKind::kSum || k == TypeKind::kArray;
}

Status Mismatch(const AlgebraicType& type) {
  return TypeMismatch("value does not match type " + type.ToString());
}

Status Truncated(const AlgebraicType& type) {
  return DecodeError("unexpected end of input while decoding " + type.ToString());
}

Status BadTag(const AlgebraicType& type, uint8_t tag) {
  return DecodeError("sum tag " + std::to_string(tag) + " out of range for " + type.ToString());
}

Status BadUtf8() { return DecodeError("string is not valid UTF-8"); }

// Number of value nodes in the one value of a zero-sized type (the unit, or a product of
// zero-sized types), or 0 if every value of `type` takes at least one byte.
size_t ZeroSizedNodes(const AlgebraicType& type) {
  if (!type.is_product()) return 0;
  size_t nodes = 1;
  for (const auto& el : type.elements()) {
    const size_t n = ZeroSizedNodes(el.type);
    if (n == 0) return 0;
    nodes += n;
  }
  return nodes;
}

// Charges `count` elements of `nodes` nodes each against the walk's budget. REQUIRES:
// nodes > 0.
[[nodiscard]] bool ChargeZeroSized(Walk& walk, size_t count, size_t nodes) {
  STDB_ASSERT(nodes > 0);
  if (count > walk.zero_sized_nodes_left / nodes) return false;
  walk.zero_sized_nodes_left -= count * nodes;
  return true;
}

// ---- Encode ----

template <typename T>
Status EncodeScalar(const AlgebraicType& type, const AlgebraicValue& value, ByteWriter& w) {
  const T* v = value.get_if<T>();
  if (v == nullptr) return Mismatch(type);
  w.Fixed(*v);
  return Status::Ok();
}

Status Encode(const AlgebraicType& type, const AlgebraicValue& value, ByteWriter& w, int depth,
              Walk& walk);

Status EncodeArray(const AlgebraicType& type, const AlgebraicValue& value, ByteWriter& w, int depth,
                   Walk& walk) {
  if (type.is_bytes()) {
    const Bytes* v = value.get_if<Bytes>();
    if (v == nullptr) return Mismatch(type);
    if (v->size() > kLengthMax) return InvalidArgument("byte array longer than a u32 length");
    w.LengthPrefixed(*v);
    return Status::Ok();
  }
  const ArrayValue* v = value.get_if<ArrayValue>();
  if (v == nullptr) return Mismatch(type);
  const size_t n = v->elements.size();
  if (n > kLengthMax) return InvalidArgument("array longer than a u32 count");
  if (const size_t nodes = ZeroSizedNodes(type.array_element()); nodes != 0 && n != 0) {
    if (!ChargeZeroSized(walk, n, nodes)) {
      return InvalidArgument("arrays of zero-sized elements exceed kBsatnZeroSizedNodesMax");
    }
  }
  w.U32(static_cast<uint32_t>(n));
  for (const auto& e : v->elements) {
    STDB_RETURN_IF_ERROR(Encode(type.array_element(), e, w, depth + 1, walk));
  }
  return Status::Ok();
}

Status Encode(const AlgebraicType& type, const AlgebraicValue& value, ByteWriter& w, int depth,
              Walk& walk) {
  if (TooDeep(type, depth)) return InvalidArgument("value nested too deeply");
  switch (type.kind()) {
    case TypeKind::kRef:
      return Unsupported("cannot encode an unresolved type reference");
    case TypeKind::kBool: {
      const bool* v = value.get_if<bool>();
      if (v == nullptr) return Mismatch(type);
      w.U8(*v ? 1 : 0);
      return Status::Ok();
    }
    case TypeKind::kI8:
      return EncodeScalar<int8_t>(type, value, w);
    case TypeKind::kU8:
      return EncodeScalar<uint8_t>(type, value, w);
    case TypeKind::kI16:
      return EncodeScalar<int16_t>(type, value, w);
    case TypeKind::kU16:
      return EncodeScalar<uint16_t>(type, value, w);
    case TypeKind::kI32:
      return EncodeScalar<int32_t>(type, value, w);
    case TypeKind::kU32:
      return EncodeScalar<uint32_t>(type, value, w);
    case TypeKind::kI64:
      return EncodeScalar<int64_t>(type, value, w);
    case TypeKind::kU64:
      return EncodeScalar<uint64_t>(type, value, w);
    case TypeKind::kI128:
      return EncodeScalar<i128>(type, value, w);
    case TypeKind::kU128:
      return EncodeScalar<u128>(type, value, w);
    case TypeKind::kI256:
      return EncodeScalar<I256>(type, value, w);
    case TypeKind::kU256:
      return EncodeScalar<U256>(type, value, w);
    case TypeKind::kF32:
      return EncodeScalar<float>(type, value, w);
    case TypeKind::kF64:
      return EncodeScalar<double>(type, value, w);
    case TypeKind::kString: {
      const std::string* v = value.get_if<std::string>();
      if (v == nullptr || !IsValidUtf8(*v)) return Mismatch(type);
      if (v->size() > kLengthMax) return InvalidArgument("string longer than a u32 length");
      w.String(*v);
      return Status::Ok();
    }
    case TypeKind::kArray:
      return EncodeArray(type, value, w, depth, walk);
    case TypeKind::kProduct: {
      const ProductValue* v = value.get_if<ProductValue>();
      if (v == nullptr || v->fields.size() != type.elements().size()) return Mismatch(type);
      for (size_t i = 0; i < v->fields.size(); ++i) {
        STDB_RETURN_IF_ERROR(Encode(type.elements()[i].type, v->fields[i], w, depth + 1, walk));
      }
      return Status::Ok();
    }
    case TypeKind::kSum: {
      const SumValue* v = value.get_if<SumValue>();
      if (v == nullptr || v->tag >= type.elements().size()) return Mismatch(type);
      STDB_ASSERT_MSG(v->value != nullptr, "SumValue without a payload");
      w.U8(v->tag);
      return Encode(type.elements()[v->tag].type, *v->value, w, depth + 1, walk);
    }
  }
  return Mismatch(type);
}

// ---- Decode ----

template <typename T>
Result<AlgebraicValue> DecodeScalar(const AlgebraicType& type, ByteReader& r) {
  T v{};
  if (!r.Fixed(v)) return Truncated(type);
  return AlgebraicValue(v);
}

Result<AlgebraicValue> Decode(const AlgebraicType& type, ByteReader& r, int depth, Walk& walk);

Result<AlgebraicValue> DecodeArray(const AlgebraicType& type, ByteReader& r, int depth,
                                   Walk& walk) {
  if (type.is_bytes()) {
    ByteView b;
    if (!r.LengthPrefixed(b)) return Truncated(type);
    return AlgebraicValue(Bytes(b.begin(), b.end()));
  }
  uint32_t n = 0;
  if (!r.Fixed(n)) return Truncated(type);
  ArrayValue arr;
  if (n == 0) return AlgebraicValue(std::move(arr));
  const AlgebraicType& elem = type.array_element();
  if (const size_t nodes = ZeroSizedNodes(elem); nodes != 0) {
    if (!ChargeZeroSized(walk, n, nodes)) {
      return DecodeError("arrays of zero-sized elements exceed kBsatnZeroSizedNodesMax");
    }
    // Every element is the same value and consumes nothing: decode one, copy it.
    STDB_ASSIGN_OR_RETURN(auto e, Decode(elem, r, depth + 1, walk));
    arr.elements.assign(n, e);
    return AlgebraicValue(std::move(arr));
  }
  // Every element takes at least one byte, so a larger count is truncated input; checking
  // first keeps a hostile count from reserving memory.
  if (n > r.remaining()) return Truncated(type);
  arr.elements.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    STDB_ASSIGN_OR_RETURN(auto e, Decode(elem, r, depth + 1, walk));
    arr.elements.push_back(std::move(e));
  }
  return AlgebraicValue(std::move(arr));
}

Result<AlgebraicValue> Decode(const AlgebraicType& type, ByteReader& r, int depth, Walk& walk) {
  if (TooDeep(type, depth)) return DecodeError("BSATN value nested too deeply");
  switch (type.kind()) {
    case TypeKind::kRef:
      return Unsupported("cannot decode an unresolved type reference");
    case TypeKind::kBool: {
      uint8_t b = 0;
      if (!r.Fixed(b)) return Truncated(type);
      if (b > 1) return DecodeError("invalid bool byte " + std::to_string(b));
      return AlgebraicValue(b == 1);
    }
    case TypeKind::kI8:
      return DecodeScalar<int8_t>(type, r);
    case TypeKind::kU8:
      return DecodeScalar<uint8_t>(type, r);
    case TypeKind::kI16:
      return DecodeScalar<int16_t>(type, r);
    case TypeKind::kU16:
      return DecodeScalar<uint16_t>(type, r);
    case TypeKind::kI32:
      return DecodeScalar<int32_t>(type, r);
    case TypeKind::kU32:
      return DecodeScalar<uint32_t>(type, r);
    case TypeKind::kI64:
      return DecodeScalar<int64_t>(type, r);
    case TypeKind::kU64:
      return DecodeScalar<uint64_t>(type, r);
    case TypeKind::kI128:
      return DecodeScalar<i128>(type, r);
    case TypeKind::kU128:
      return DecodeScalar<u128>(type, r);
    case TypeKind::kI256:
      return DecodeScalar<I256>(type, r);
    case TypeKind::kU256:
      return DecodeScalar<U256>(type, r);
    case TypeKind::kF32:
      return DecodeScalar<float>(type, r);
    case TypeKind::kF64:
      return DecodeScalar<double>(type, r);
    case TypeKind::kString: {
      ByteView b;
      if (!r.LengthPrefixed(b)) return Truncated(type);
      if (!IsValidUtf8(AsStringView(b))) return BadUtf8();
      return AlgebraicValue(std::string(AsStringView(b)));
    }
    case TypeKind::kArray:
      return DecodeArray(type, r, depth, walk);
    case TypeKind::kProduct: {
      ProductValue p;
      p.fields.reserve(type.elements().size());
      for (const auto& el : type.elements()) {
        STDB_ASSIGN_OR_RETURN(auto f, Decode(el.type, r, depth + 1, walk));
        p.fields.push_back(std::move(f));
      }
      return AlgebraicValue(std::move(p));
    }
    case TypeKind::kSum: {
      uint8_t tag = 0;
      if (!r.Fixed(tag)) return Truncated(type);
      if (tag >= type.elements().size()) return BadTag(type, tag);
      STDB_ASSIGN_OR_RETURN(auto payload, Decode(type.elements()[tag].type, r, depth + 1, walk));
      return AlgebraicValue::Sum(tag, std::move(payload));
    }
  }
  return DecodeError("unknown type kind");
}

// ---- Skip ----

Status Skip(const AlgebraicType& type, ByteReader& r, int depth, Walk& walk);

Status SkipArray(const AlgebraicType& type, ByteReader& r, int depth, Walk& walk) {
  uint32_t n = 0;
  if (!r.Fixed(n)) return Truncated(type);
  if (n == 0) return Status::Ok();
  const AlgebraicType& elem = type.array_element();
  if (const size_t nodes = ZeroSizedNodes(elem); nodes != 0) {
    if (!ChargeZeroSized(walk, n, nodes)) {
      return DecodeError("arrays of zero-sized elements exceed kBsatnZeroSizedNodesMax");
    }
    return Skip(elem, r, depth + 1, walk);  // consumes nothing; checks the depth once
  }
  if (n > r.remaining()) return Truncated(type);  // every element takes a byte or more
  // Bool is fixed-width but not every byte is a valid bool, so it goes element by element.
  if (const size_t w = ScalarWidth(elem.kind()); w != 0 && elem.kind() != TypeKind::kBool) {
    return r.Skip(static_cast<size_t>(n) * w) ? Status::Ok() : Truncated(type);
  }
  for (uint32_t i = 0; i < n; ++i) STDB_RETURN_IF_ERROR(Skip(elem, r, depth + 1, walk));
  return Status::Ok();
}

Status Skip(const AlgebraicType& type, ByteReader& r, int depth, Walk& walk) {
  if (TooDeep(type, depth)) return DecodeError("BSATN value nested too deeply");
  const TypeKind kind = type.kind();
  if (kind == TypeKind::kBool) {
    uint8_t b = 0;
    if (!r.Fixed(b)) return Truncated(type);
    if (b > 1) return DecodeError("invalid bool byte " + std::to_string(b));
    return Status::Ok();
  }
  if (const size_t w = ScalarWidth(kind); w != 0) {
    return r.Skip(w) ? Status::Ok() : Truncated(type);
  }
  switch (kind) {
    case TypeKind::kString: {
      ByteView b;
      if (!r.LengthPrefixed(b)) return Truncated(type);
      return IsValidUtf8(AsStringView(b)) ? Status::Ok() : BadUtf8();
    }
    case TypeKind::kArray:
      return SkipArray(type, r, depth, walk);
    case TypeKind::kProduct:
      for (const auto& el : type.elements()) {
        STDB_RETURN_IF_ERROR(Skip(el.type, r, depth + 1, walk));
      }
      return Status::Ok();
    case TypeKind::kSum: {
      uint8_t tag = 0;
      if (!r.Fixed(tag)) return Truncated(type);
      if (tag >= type.elements().size()) return BadTag(type, tag);
      return Skip(type.elements()[tag].type, r, depth + 1, walk);
    }
    case TypeKind::kRef:
      return Unsupported("cannot decode an unresolved type reference");
    default:
      return DecodeError("unknown type kind");
  }
}

Status TrailingBytes(const AlgebraicType& type, const ByteReader& r) {
  return DecodeError(std::to_string(r.remaining()) + " trailing bytes after " + type.ToString());
}

}  // namespace

Status EncodeBsatn(const AlgebraicType& type, const AlgebraicValue& value, Bytes& out) {
  ByteWriter w(out);
  Walk walk;
  return Encode(type, value, w, 0, walk);
}

Result<AlgebraicValue> DecodeBsatn(const AlgebraicType& type, ByteReader& reader) {
  Walk walk;
  return Decode(type, reader, 0, walk);
}

Result<AlgebraicValue> DecodeBsatnExact(const AlgebraicType& type, ByteView data) {
  ByteReader r(data);
  Walk walk;
  STDB_ASSIGN_OR_RETURN(auto v, Decode(type, r, 0, walk));
  if (!r.at_end()) return TrailingBytes(type, r);
  return v;
}

Status SkipBsatn(const AlgebraicType& type, ByteReader& reader) {
  Walk walk;
  return Skip(type, reader, 0, walk);
}

Status ValidateBsatn(const AlgebraicType& type, ByteView data) {
  ByteReader r(data);
  Walk walk;
  STDB_RETURN_IF_ERROR(Skip(type, r, 0, walk));
  if (!r.at_end()) return TrailingBytes(type, r);
  return Status::Ok();
}

Result<ByteView> ColumnSlice(const AlgebraicType& row_type, ByteView row, size_t column) {
  if (!row_type.is_product() || column >= row_type.elements().size()) {
    return InvalidArgument("column index out of range");
  }
  ByteReader r(row);
  Walk walk;
  // Columns sit at depth 1, as they do when the whole row is decoded.
  for (size_t i = 0; i < column; ++i) {
    STDB_RETURN_IF_ERROR(Skip(row_type.elements()[i].type, r, 1, walk));
  }
  const size_t start = r.position();
  STDB_RETURN_IF_ERROR(Skip(row_type.elements()[column].type, r, 1, walk));
  return row.subspan(start, r.position() - start);
}

// ---- Types ----
//
// Type encoding: u8 kind tag (the TypeKind value), then for Ref a u32; for Sum and Product
// an Array of {name: Option<String>, type}; for Array the element type (docs/bsatn.md).
namespace {

void EncodeElements(const std::vector<Element>& els, ByteWriter& w);

void EncodeTypeInner(const AlgebraicType& type, ByteWriter& w) {
  w.U8(static_cast<uint8_t>(type.kind()));
  switch (type.kind()) {
    case TypeKind::kRef:
      w.U32(type.ref());
      break;
    case TypeKind::kSum:
    case TypeKind::kProduct:
      EncodeElements(type.elements(), w);
      break;
    case TypeKind::kArray:
      EncodeTypeInner(type.array_element(), w);
      break;
    default:
      break;
  }
}

void EncodeElements(const std::vector<Element>& els, ByteWriter& w) {
  w.U32(static_cast<uint32_t>(els.size()));
  for (const auto& el : els) {
    if (el.name) {
      w.U8(0);  // Option tag 0: some(name)
      w.String(*el.name);
    } else {
      w.U8(1);  // Option tag 1: none
    }
    EncodeTypeInner(el.type, w);
  }
}

Result<AlgebraicType> DecodeTypeInner(ByteReader& r, int depth);

Result<std::vector<Element>> DecodeElements(ByteReader& r, int depth) {
  uint32_t n = 0;
  if (!r.Fixed(n)) return DecodeError("unexpected end of input in type elements");
  // Every element takes at least two bytes (name option tag, kind tag).
  if (n > r.remaining() / 2) return DecodeError("unexpected end of input in type elements");
  std::vector<Element> els;
  els.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t opt = 0;
    if (!r.Fixed(opt) || opt > 1) return DecodeError("bad element name option");
    Element el;
    if (opt == 0) {
      ByteView name;
      if (!r.LengthPrefixed(name)) return DecodeError("truncated element name");
      if (!IsValidUtf8(AsStringView(name))) return DecodeError("element name is not UTF-8");
      el.name = std::string(AsStringView(name));
    }
    STDB_ASSIGN_OR_RETURN(el.type, DecodeTypeInner(r, depth + 1));
    els.push_back(std::move(el));
  }
  return els;
}

Result<AlgebraicType> DecodeTypeInner(ByteReader& r, int depth) {
  uint8_t tag = 0;
  if (!r.Fixed(tag)) return DecodeError("unexpected end of input in type");
  if (tag > kTypeKindMax) return DecodeError("unknown type tag " + std::to_string(tag));
  const auto kind = static_cast<TypeKind>(tag);
  switch (kind) {
    case TypeKind::kRef: {
      uint32_t ref = 0;
      if (!r.Fixed(ref)) return DecodeError("unexpected end of input in type ref");
      return AlgebraicType::Ref(ref);
    }
    case TypeKind::kArray: {
      if (depth > kBsatnDepthMax) return DecodeError("type nested too deeply");
      STDB_ASSIGN_OR_RETURN(auto elem, DecodeTypeInner(r, depth + 1));
      return AlgebraicType::Array(std::move(elem));
    }
    case TypeKind::kSum:
    case TypeKind::kProduct: {
      if (depth > kBsatnDepthMax) return DecodeError("type nested too deeply");
      STDB_ASSIGN_OR_RETURN(auto els, DecodeElements(r, depth));
      if (kind == TypeKind::kSum && els.size() > 256) {
        return DecodeError("sum type has more than 256 variants");
      }
      return kind == TypeKind::kSum ? AlgebraicType::Sum(std::move(els))
                                    : AlgebraicType::Product(std::move(els));
    }
    default:
      return AlgebraicType(kind);
  }
}

}  // namespace

void EncodeType(const AlgebraicType& type, Bytes& out) {
  ByteWriter w(out);
  EncodeTypeInner(type, w);
}

Result<AlgebraicType> DecodeType(ByteReader& reader) { return DecodeTypeInner(reader, 0); }

}  // namespace stdb::sats
