#include "sats/types.h"

#include "base/assert.h"

namespace stdb::sats {

size_t ScalarWidth(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBool:
    case TypeKind::kI8:
    case TypeKind::kU8:
      return 1;
    case TypeKind::kI16:
    case TypeKind::kU16:
      return 2;
    case TypeKind::kI32:
    case TypeKind::kU32:
    case TypeKind::kF32:
      return 4;
    case TypeKind::kI64:
    case TypeKind::kU64:
    case TypeKind::kF64:
      return 8;
    case TypeKind::kI128:
    case TypeKind::kU128:
      return 16;
    case TypeKind::kI256:
    case TypeKind::kU256:
      return 32;
    default:
      return 0;
  }
}

bool IsSignedInteger(TypeKind kind) {
  return kind == TypeKind::kI8 || kind == TypeKind::kI16 || kind == TypeKind::kI32 ||
         kind == TypeKind::kI64 || kind == TypeKind::kI128 || kind == TypeKind::kI256;
}

std::string_view TypeKindName(TypeKind kind) {
  switch (kind) {
    case TypeKind::kRef:
      return "Ref";
    case TypeKind::kSum:
      return "Sum";
    case TypeKind::kProduct:
      return "Product";
    case TypeKind::kArray:
      return "Array";
    case TypeKind::kString:
      return "String";
    case TypeKind::kBool:
      return "Bool";
    case TypeKind::kI8:
      return "I8";
    case TypeKind::kU8:
      return "U8";
    case TypeKind::kI16:
      return "I16";
    case TypeKind::kU16:
      return "U16";
    case TypeKind::kI32:
      return "I32";
    case TypeKind::kU32:
      return "U32";
    case TypeKind::kI64:
      return "I64";
    case TypeKind::kU64:
      return "U64";
    case TypeKind::kI128:
      return "I128";
    case TypeKind::kU128:
      return "U128";
    case TypeKind::kI256:
      return "I256";
    case TypeKind::kU256:
      return "U256";
    case TypeKind::kF32:
      return "F32";
    case TypeKind::kF64:
      return "F64";
  }
  return "?";
}

AlgebraicType AlgebraicType::Ref(uint32_t index) {
  AlgebraicType t(TypeKind::kRef);
  t.ref_ = index;
  return t;
}

AlgebraicType AlgebraicType::Product(std::vector<Element> elements) {
  AlgebraicType t(TypeKind::kProduct);
  t.elements_ = std::move(elements);
  return t;
}

AlgebraicType AlgebraicType::Sum(std::vector<Element> variants) {
  AlgebraicType t(TypeKind::kSum);
  t.elements_ = std::move(variants);
  return t;
}

AlgebraicType AlgebraicType::Array(AlgebraicType element) {
  AlgebraicType t;
  t.kind_ = TypeKind::kArray;
  t.array_.push_back(std::move(element));
  return t;
}

const AlgebraicType& AlgebraicType::array_element() const {
  STDB_ASSERT(kind_ == TypeKind::kArray && array_.size() == 1);
  return array_[0];
}

bool AlgebraicType::is_bytes() const {
  return kind_ == TypeKind::kArray && array_[0].kind_ == TypeKind::kU8;
}

static AlgebraicType Wrap(std::string_view tag, TypeKind inner) {
  return AlgebraicType::Product({Element{std::string(tag), AlgebraicType(inner)}});
}

AlgebraicType AlgebraicType::Identity() { return Wrap(kIdentityTag, TypeKind::kU256); }
AlgebraicType AlgebraicType::ConnectionId() { return Wrap(kConnectionIdTag, TypeKind::kU128); }
AlgebraicType AlgebraicType::Timestamp() { return Wrap(kTimestampTag, TypeKind::kI64); }
AlgebraicType AlgebraicType::TimeDuration() { return Wrap(kTimeDurationTag, TypeKind::kI64); }

AlgebraicType AlgebraicType::Option(AlgebraicType some) {
  return Sum({Element{"some", std::move(some)}, Element{"none", Unit()}});
}

AlgebraicType AlgebraicType::ScheduleAt() {
  return Sum({Element{"Interval", TimeDuration()}, Element{"Time", Timestamp()}});
}

bool AlgebraicType::IsSingleFieldProduct(std::string_view name, TypeKind inner) const {
  return kind_ == TypeKind::kProduct && elements_.size() == 1 && elements_[0].name == name &&
         elements_[0].type.kind_ == inner;
}

bool AlgebraicType::is_identity() const {
  return IsSingleFieldProduct(kIdentityTag, TypeKind::kU256);
}
bool AlgebraicType::is_connection_id() const {
  return IsSingleFieldProduct(kConnectionIdTag, TypeKind::kU128);
}
bool AlgebraicType::is_timestamp() const {
  return IsSingleFieldProduct(kTimestampTag, TypeKind::kI64);
}
bool AlgebraicType::is_time_duration() const {
  return IsSingleFieldProduct(kTimeDurationTag, TypeKind::kI64);
}

bool AlgebraicType::is_option() const {
  return kind_ == TypeKind::kSum && elements_.size() == 2 && elements_[0].name == "some" &&
         elements_[1].name == "none" && elements_[1].type.is_unit();
}

bool AlgebraicType::is_schedule_at() const {
  return kind_ == TypeKind::kSum && elements_.size() == 2 && elements_[0].name == "Interval" &&
         elements_[0].type.is_time_duration() && elements_[1].name == "Time" &&
         elements_[1].type.is_timestamp();
}

std::string AlgebraicType::ToString() const {
  if (is_identity()) return "Identity";
  if (is_connection_id()) return "ConnectionId";
  if (is_timestamp()) return "Timestamp";
  if (is_time_duration()) return "TimeDuration";
  if (is_schedule_at()) return "ScheduleAt";
  if (is_option()) return "Option<" + elements_[0].type.ToString() + ">";
  switch (kind_) {
    case TypeKind::kRef:
      return "Ref(" + std::to_string(ref_) + ")";
    case TypeKind::kArray:
      return "Array<" + array_[0].ToString() + ">";
    case TypeKind::kProduct:
    case TypeKind::kSum: {
      std::string s = kind_ == TypeKind::kProduct ? "(" : "{";
      for (size_t i = 0; i < elements_.size(); ++i) {
        if (i > 0) s += kind_ == TypeKind::kProduct ? ", " : " | ";
        if (elements_[i].name) s += *elements_[i].name + ": ";
        s += elements_[i].type.ToString();
      }
      return s + (kind_ == TypeKind::kProduct ? ")" : "}");
    }
    default:
      return std::string(TypeKindName(kind_));
  }
}

}  // namespace stdb::sats
