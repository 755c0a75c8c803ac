// The SATS type system: algebraic types as SpacetimeDB defines them.
//
// A type is a sum, a product, an array, or a builtin scalar. Special types (Identity,
// ConnectionId, Timestamp, TimeDuration, Option, ScheduleAt) are ordinary products and
// sums with reserved field names, exactly as in SpacetimeDB, so schemas and BSATN bytes
// are interchangeable with it. The BSATN tag of each kind is its TypeKind value
// (docs/bsatn.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/assert.h"

namespace stdb::sats {

enum class TypeKind : uint8_t {
  kRef = 0,
  kSum = 1,
  kProduct = 2,
  kArray = 3,
  kString = 4,
  kBool = 5,
  kI8 = 6,
  kU8 = 7,
  kI16 = 8,
  kU16 = 9,
  kI32 = 10,
  kU32 = 11,
  kI64 = 12,
  kU64 = 13,
  kI128 = 14,
  kU128 = 15,
  kI256 = 16,
  kU256 = 17,
  kF32 = 18,
  kF64 = 19,
};
inline constexpr uint8_t kTypeKindMax = 19;

// Name of a kind as SpacetimeDB spells it in JSON ("U64", "Product", ...).
std::string_view TypeKindName(TypeKind kind);
// The BSATN width of a fixed-width scalar kind (bool, integers, floats); 0 otherwise.
size_t ScalarWidth(TypeKind kind);
// I8 ... I256.
bool IsSignedInteger(TypeKind kind);

struct Element;

// An algebraic type. Value semantics; cheap enough to copy for schemas, which are built
// once per module load.
class AlgebraicType {
 public:
  // The unit type: the empty product.
  AlgebraicType();
  // A type of kind `kind` with no elements. REQUIRES: kind != kArray (use Array()).
  explicit AlgebraicType(TypeKind kind);

  static AlgebraicType Ref(uint32_t index);
  static AlgebraicType Product(std::vector<Element> elements);
  static AlgebraicType Sum(std::vector<Element> variants);
  static AlgebraicType Array(AlgebraicType element);
  static AlgebraicType Unit();
  static AlgebraicType String();
  static AlgebraicType Bool();
  static AlgebraicType Bytes();  // Array<U8>

  // Special types (reserved names; see protocol.md).
  static AlgebraicType Identity();
  static AlgebraicType ConnectionId();
  static AlgebraicType Timestamp();
  static AlgebraicType TimeDuration();
  static AlgebraicType Option(AlgebraicType some);
  static AlgebraicType ScheduleAt();

  TypeKind kind() const { return kind_; }
  uint32_t ref() const { return ref_; }
  // Product elements or sum variants. Empty for other kinds.
  const std::vector<Element>& elements() const { return elements_; }
  // REQUIRES: kind() == kArray.
  const AlgebraicType& array_element() const;

  bool is_product() const { return kind_ == TypeKind::kProduct; }
  bool is_sum() const { return kind_ == TypeKind::kSum; }
  bool is_unit() const;
  bool is_bytes() const;
  bool is_integer() const { return kind_ >= TypeKind::kI8 && kind_ <= TypeKind::kU256; }
  bool is_float() const { return kind_ == TypeKind::kF32 || kind_ == TypeKind::kF64; }
  bool is_identity() const;
  bool is_connection_id() const;
  bool is_timestamp() const;
  bool is_time_duration() const;
  // Option<T>: sum { some: T, none: () }.
  bool is_option() const;
  bool is_schedule_at() const;
  // True for the special products above, which behave as scalars in SQL and JSON.
  bool is_special_scalar() const {
    return is_identity() || is_connection_id() || is_timestamp() || is_time_duration();
  }

  // Human-readable form, e.g. "Option<String>", "(x: I32, y: I32)".
  std::string ToString() const;

  friend bool operator==(const AlgebraicType& a, const AlgebraicType& b);

 private:
  bool IsSingleFieldProduct(std::string_view name, TypeKind inner) const;

  TypeKind kind_;
  uint32_t ref_ = 0;
  std::vector<Element> elements_;
  std::vector<AlgebraicType> array_;  // one element when kind_ == kArray
};

// A product field or sum variant: an optional name and a type.
struct Element {
  std::optional<std::string> name;
  AlgebraicType type;

  friend bool operator==(const Element& a, const Element& b) {
    return a.name == b.name && a.type == b.type;
  }
};

// Defined here, not in the class, because they need Element complete (clang instantiates
// std::vector<Element> members eagerly).
inline AlgebraicType::AlgebraicType() : kind_(TypeKind::kProduct) {}
inline AlgebraicType::AlgebraicType(TypeKind kind) : kind_(kind) {
  STDB_ASSERT_MSG(kind != TypeKind::kArray, "use AlgebraicType::Array()");
}
inline AlgebraicType AlgebraicType::Unit() { return AlgebraicType(); }
inline AlgebraicType AlgebraicType::String() { return AlgebraicType(TypeKind::kString); }
inline AlgebraicType AlgebraicType::Bool() { return AlgebraicType(TypeKind::kBool); }
inline AlgebraicType AlgebraicType::Bytes() { return Array(AlgebraicType(TypeKind::kU8)); }
inline bool AlgebraicType::is_unit() const {
  return kind_ == TypeKind::kProduct && elements_.empty();
}

inline bool operator==(const AlgebraicType& a, const AlgebraicType& b) {
  return a.kind_ == b.kind_ && a.ref_ == b.ref_ && a.elements_ == b.elements_ &&
         a.array_ == b.array_;
}

// Special-type field names (SpacetimeDB's).
inline constexpr std::string_view kIdentityTag = "__identity__";
inline constexpr std::string_view kConnectionIdTag = "__connection_id__";
inline constexpr std::string_view kTimestampTag = "__timestamp_micros_since_unix_epoch__";
inline constexpr std::string_view kTimeDurationTag = "__time_duration_micros__";

}  // namespace stdb::sats
