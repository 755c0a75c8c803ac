#include "sats/bsatn.h"

#include <string>

namespace stdb::sats {
namespace {

Status Mismatch(const AlgebraicType& type) {
  return TypeMismatch("value does not match type " + type.ToString());
}

Status Truncated(const AlgebraicType& type) {
  return DecodeError("unexpected end of input while decoding " + type.ToString());
}

template <typename T>
Status EncodeScalar(const AlgebraicType& type, const AlgebraicValue& value, ByteWriter& w) {
  const T* v = value.get_if<T>();
  if (v == nullptr) return Mismatch(type);
  w.Fixed(*v);
  return Status::Ok();
}

Status Encode(const AlgebraicType& type, const AlgebraicValue& value, ByteWriter& w,
              int depth) {
  if (depth > kBsatnDepthMax) return InvalidArgument("value nested too deeply");
  switch (type.kind()) {
    case TypeKind::kRef: return Unsupported("cannot encode an unresolved type reference");
    case TypeKind::kBool: {
      const bool* v = value.get_if<bool>();
      if (v == nullptr) return Mismatch(type);
      w.U8(*v ? 1 : 0);
      return Status::Ok();
    }
    case TypeKind::kI8: return EncodeScalar<int8_t>(type, value, w);
    case TypeKind::kU8: return EncodeScalar<uint8_t>(type, value, w);
    case TypeKind::kI16: return EncodeScalar<int16_t>(type, value, w);
    case TypeKind::kU16: return EncodeScalar<uint16_t>(type, value, w);
    case TypeKind::kI32: return EncodeScalar<int32_t>(type, value, w);
    case TypeKind::kU32: return EncodeScalar<uint32_t>(type, value, w);
    case TypeKind::kI64: return EncodeScalar<int64_t>(type, value, w);
    case TypeKind::kU64: return EncodeScalar<uint64_t>(type, value, w);
    case TypeKind::kI128: return EncodeScalar<i128>(type, value, w);
    case TypeKind::kU128: return EncodeScalar<u128>(type, value, w);
    case TypeKind::kI256: return EncodeScalar<I256>(type, value, w);
    case TypeKind::kU256: return EncodeScalar<U256>(type, value, w);
    case TypeKind::kF32: return EncodeScalar<float>(type, value, w);
    case TypeKind::kF64: return EncodeScalar<double>(type, value, w);
    case TypeKind::kString: {
      const std::string* v = value.get_if<std::string>();
      if (v == nullptr) return Mismatch(type);
      w.String(*v);
      return Status::Ok();
    }
    case TypeKind::kArray: {
      if (type.is_bytes()) {
        const Bytes* v = value.get_if<Bytes>();
        if (v == nullptr) return Mismatch(type);
        w.LengthPrefixed(*v);
        return Status::Ok();
      }
      const ArrayValue* v = value.get_if<ArrayValue>();
      if (v == nullptr) return Mismatch(type);
      w.U32(static_cast<uint32_t>(v->elements.size()));
      for (const auto& e : v->elements) {
        STDB_RETURN_IF_ERROR(Encode(type.array_element(), e, w, depth + 1));
      }
      return Status::Ok();
    }
    case TypeKind::kProduct: {
      const ProductValue* v = value.get_if<ProductValue>();
      if (v == nullptr || v->fields.size() != type.elements().size()) return Mismatch(type);
      for (size_t i = 0; i < v->fields.size(); ++i) {
        STDB_RETURN_IF_ERROR(Encode(type.elements()[i].type, v->fields[i], w, depth + 1));
      }
      return Status::Ok();
    }
    case TypeKind::kSum: {
      const SumValue* v = value.get_if<SumValue>();
      if (v == nullptr || v->tag >= type.elements().size()) return Mismatch(type);
      w.U8(v->tag);
      return Encode(type.elements()[v->tag].type, *v->value, w, depth + 1);
    }
  }
  return Mismatch(type);
}

template <typename T>
Result<AlgebraicValue> DecodeScalar(const AlgebraicType& type, ByteReader& r) {
  T v{};
  if (!r.Fixed(v)) return Truncated(type);
  return AlgebraicValue(v);
}

Result<AlgebraicValue> Decode(const AlgebraicType& type, ByteReader& r, int depth) {
  if (depth > kBsatnDepthMax) return DecodeError("BSATN value nested too deeply");
  switch (type.kind()) {
    case TypeKind::kRef: return Unsupported("cannot decode an unresolved type reference");
    case TypeKind::kBool: {
      uint8_t b = 0;
      if (!r.Fixed(b)) return Truncated(type);
      if (b > 1) return DecodeError("invalid bool byte " + std::to_string(b));
      return AlgebraicValue(b == 1);
    }
    case TypeKind::kI8: return DecodeScalar<int8_t>(type, r);
    case TypeKind::kU8: return DecodeScalar<uint8_t>(type, r);
    case TypeKind::kI16: return DecodeScalar<int16_t>(type, r);
    case TypeKind::kU16: return DecodeScalar<uint16_t>(type, r);
    case TypeKind::kI32: return DecodeScalar<int32_t>(type, r);
    case TypeKind::kU32: return DecodeScalar<uint32_t>(type, r);
    case TypeKind::kI64: return DecodeScalar<int64_t>(type, r);
    case TypeKind::kU64: return DecodeScalar<uint64_t>(type, r);
    case TypeKind::kI128: return DecodeScalar<i128>(type, r);
    case TypeKind::kU128: return DecodeScalar<u128>(type, r);
    case TypeKind::kI256: return DecodeScalar<I256>(type, r);
    case TypeKind::kU256: return DecodeScalar<U256>(type, r);
    case TypeKind::kF32: return DecodeScalar<float>(type, r);
    case TypeKind::kF64: return DecodeScalar<double>(type, r);
    case TypeKind::kString: {
      ByteView b;
      if (!r.LengthPrefixed(b)) return Truncated(type);
      return AlgebraicValue(std::string(AsStringView(b)));
    }
    case TypeKind::kArray: {
      if (type.is_bytes()) {
        ByteView b;
        if (!r.LengthPrefixed(b)) return Truncated(type);
        return AlgebraicValue(Bytes(b.begin(), b.end()));
      }
      uint32_t n = 0;
      if (!r.Fixed(n)) return Truncated(type);
      // Every element takes at least one byte unless the element type is zero-sized;
      // bound the reservation by the input so a hostile count cannot allocate gigabytes.
      ArrayValue arr;
      arr.elements.reserve(std::min<size_t>(n, r.remaining()));
      for (uint32_t i = 0; i < n; ++i) {
        STDB_ASSIGN_OR_RETURN(auto e, Decode(type.array_element(), r, depth + 1));
        arr.elements.push_back(std::move(e));
      }
      return AlgebraicValue(std::move(arr));
    }
    case TypeKind::kProduct: {
      ProductValue p;
      p.fields.reserve(type.elements().size());
      for (const auto& el : type.elements()) {
        STDB_ASSIGN_OR_RETURN(auto f, Decode(el.type, r, depth + 1));
        p.fields.push_back(std::move(f));
      }
      return AlgebraicValue(std::move(p));
    }
    case TypeKind::kSum: {
      uint8_t tag = 0;
      if (!r.Fixed(tag)) return Truncated(type);
      if (tag >= type.elements().size()) {
        return DecodeError("sum tag " + std::to_string(tag) + " out of range for " +
                           type.ToString());
      }
      STDB_ASSIGN_OR_RETURN(auto payload, Decode(type.elements()[tag].type, r, depth + 1));
      return AlgebraicValue::Sum(tag, std::move(payload));
    }
  }
  return DecodeError("unknown type kind");
}

// Fixed encoded width of scalar kinds; 0 for variable-width kinds.
size_t FixedWidth(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBool:
    case TypeKind::kI8:
    case TypeKind::kU8: return 1;
    case TypeKind::kI16:
    case TypeKind::kU16: return 2;
    case TypeKind::kI32:
    case TypeKind::kU32:
    case TypeKind::kF32: return 4;
    case TypeKind::kI64:
    case TypeKind::kU64:
    case TypeKind::kF64: return 8;
    case TypeKind::kI128:
    case TypeKind::kU128: return 16;
    case TypeKind::kI256:
    case TypeKind::kU256: return 32;
    default: return 0;
  }
}

Status Skip(const AlgebraicType& type, ByteReader& r, int depth) {
  if (depth > kBsatnDepthMax) return DecodeError("BSATN value nested too deeply");
  const TypeKind kind = type.kind();
  if (kind == TypeKind::kBool) {
    uint8_t b = 0;
    if (!r.Fixed(b)) return Truncated(type);
    if (b > 1) return DecodeError("invalid bool byte " + std::to_string(b));
    return Status::Ok();
  }
  if (const size_t w = FixedWidth(kind); w != 0) {
    return r.Skip(w) ? Status::Ok() : Truncated(type);
  }
  switch (kind) {
    case TypeKind::kString: {
      ByteView b;
      return r.LengthPrefixed(b) ? Status::Ok() : Truncated(type);
    }
    case TypeKind::kArray: {
      uint32_t n = 0;
      if (!r.Fixed(n)) return Truncated(type);
      const AlgebraicType& elem = type.array_element();
      if (const size_t w = FixedWidth(elem.kind()); w != 0 && elem.kind() != TypeKind::kBool) {
        return r.Skip(static_cast<size_t>(n) * w) ? Status::Ok() : Truncated(type);
      }
      for (uint32_t i = 0; i < n; ++i) STDB_RETURN_IF_ERROR(Skip(elem, r, depth + 1));
      return Status::Ok();
    }
    case TypeKind::kProduct:
      for (const auto& el : type.elements()) STDB_RETURN_IF_ERROR(Skip(el.type, r, depth + 1));
      return Status::Ok();
    case TypeKind::kSum: {
      uint8_t tag = 0;
      if (!r.Fixed(tag)) return Truncated(type);
      if (tag >= type.elements().size()) {
        return DecodeError("sum tag " + std::to_string(tag) + " out of range for " +
                           type.ToString());
      }
      return Skip(type.elements()[tag].type, r, depth + 1);
    }
    case TypeKind::kRef: return Unsupported("cannot decode an unresolved type reference");
    default: return DecodeError("unknown type kind");
  }
}

}  // namespace

Status EncodeBsatn(const AlgebraicType& type, const AlgebraicValue& value, Bytes& out) {
  ByteWriter w(out);
  return Encode(type, value, w, 0);
}

Result<AlgebraicValue> DecodeBsatn(const AlgebraicType& type, ByteReader& reader) {
  return Decode(type, reader, 0);
}

Result<AlgebraicValue> DecodeBsatnExact(const AlgebraicType& type, ByteView data) {
  ByteReader r(data);
  STDB_ASSIGN_OR_RETURN(auto v, Decode(type, r, 0));
  if (!r.at_end()) {
    return DecodeError(std::to_string(r.remaining()) + " trailing bytes after " +
                       type.ToString());
  }
  return v;
}

Status SkipBsatn(const AlgebraicType& type, ByteReader& reader) { return Skip(type, reader, 0); }

Status ValidateBsatn(const AlgebraicType& type, ByteView data) {
  ByteReader r(data);
  STDB_RETURN_IF_ERROR(Skip(type, r, 0));
  if (!r.at_end()) {
    return DecodeError(std::to_string(r.remaining()) + " trailing bytes after " +
                       type.ToString());
  }
  return Status::Ok();
}

Result<ByteView> ColumnSlice(const AlgebraicType& row_type, ByteView row, size_t column) {
  if (!row_type.is_product() || column >= row_type.elements().size()) {
    return InvalidArgument("column index out of range");
  }
  ByteReader r(row);
  for (size_t i = 0; i < column; ++i) {
    STDB_RETURN_IF_ERROR(Skip(row_type.elements()[i].type, r, 1));
  }
  const size_t start = r.position();
  STDB_RETURN_IF_ERROR(Skip(row_type.elements()[column].type, r, 1));
  return row.subspan(start, r.position() - start);
}

// Type encoding: u8 kind tag, then for Ref a u32; for Sum/Product an Array of
// {name: Option<String>, type}; for Array the element type (docs/bsatn.md).
namespace {

void EncodeElements(const std::vector<Element>& els, ByteWriter& w, Bytes& out);

void EncodeTypeInner(const AlgebraicType& type, ByteWriter& w, Bytes& out) {
  w.U8(static_cast<uint8_t>(type.kind()));
  switch (type.kind()) {
    case TypeKind::kRef: w.U32(type.ref()); break;
    case TypeKind::kSum:
    case TypeKind::kProduct: EncodeElements(type.elements(), w, out); break;
    case TypeKind::kArray: EncodeTypeInner(type.array_element(), w, out); break;
    default: break;
  }
}

void EncodeElements(const std::vector<Element>& els, ByteWriter& w, Bytes& out) {
  w.U32(static_cast<uint32_t>(els.size()));
  for (const auto& el : els) {
    if (el.name) {
      w.U8(0);
      w.String(*el.name);
    } else {
      w.U8(1);
    }
    EncodeTypeInner(el.type, w, out);
  }
}

Result<AlgebraicType> DecodeTypeInner(ByteReader& r, int depth) {
  if (depth > kBsatnDepthMax) return DecodeError("type nested too deeply");
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
      STDB_ASSIGN_OR_RETURN(auto elem, DecodeTypeInner(r, depth + 1));
      return AlgebraicType::Array(std::move(elem));
    }
    case TypeKind::kSum:
    case TypeKind::kProduct: {
      uint32_t n = 0;
      if (!r.Fixed(n)) return DecodeError("unexpected end of input in type elements");
      std::vector<Element> els;
      els.reserve(std::min<size_t>(n, r.remaining()));
      for (uint32_t i = 0; i < n; ++i) {
        uint8_t opt = 0;
        if (!r.Fixed(opt) || opt > 1) return DecodeError("bad element name option");
        Element el;
        if (opt == 0) {
          ByteView name;
          if (!r.LengthPrefixed(name)) return DecodeError("truncated element name");
          el.name = std::string(AsStringView(name));
        }
        STDB_ASSIGN_OR_RETURN(el.type, DecodeTypeInner(r, depth + 1));
        els.push_back(std::move(el));
      }
      if (kind == TypeKind::kSum && els.size() > 256) {
        return DecodeError("sum type has more than 256 variants");
      }
      return kind == TypeKind::kSum ? AlgebraicType::Sum(std::move(els))
                                    : AlgebraicType::Product(std::move(els));
    }
    default: return AlgebraicType(kind);
  }
}

}  // namespace

void EncodeType(const AlgebraicType& type, Bytes& out) {
  ByteWriter w(out);
  EncodeTypeInner(type, w, out);
}

Result<AlgebraicType> DecodeType(ByteReader& reader) { return DecodeTypeInner(reader, 0); }

}  // namespace stdb::sats
