#include "sql/query.h"

#include <cmath>
#include <limits>

#include "sats/bsatn.h"

namespace stdb::sql {
namespace {

using sats::AlgebraicType;
using sats::AlgebraicValue;
using sats::TypeKind;

Status LiteralMismatch(const Literal& lit, const AlgebraicType& type, const std::string& why) {
  static const char* kKinds[] = {"integer", "float", "string", "hex", "bool"};
  return TypeMismatch("cannot compare " + type.ToString() + " with " +
                      kKinds[static_cast<int>(lit.kind)] + " literal '" +
                      (lit.kind == Literal::Kind::kBool ? (lit.bool_value ? "true" : "false")
                                                        : lit.text) +
                      "'" + (why.empty() ? "" : ": " + why));
}

template <typename T>
Result<AlgebraicValue> IntegerFrom(const Literal& lit, const AlgebraicType& type) {
  // numeric_limits, not std::is_signed_v: in strict C++20 mode is_signed_v<__int128> is
  // false, which would send i128 down the unsigned path and refuse every negative literal.
  if constexpr (std::numeric_limits<T>::is_signed) {
    auto v = ParseI128(lit.text);
    if (!v.ok() || *v < std::numeric_limits<T>::min() || *v > std::numeric_limits<T>::max()) {
      return LiteralMismatch(lit, type, "out of range");
    }
    return AlgebraicValue(static_cast<T>(*v));
  } else {
    if (!lit.text.empty() && lit.text[0] == '-') return LiteralMismatch(lit, type, "out of range");
    auto v = ParseU128(lit.text);
    if (!v.ok() || *v > std::numeric_limits<T>::max()) return LiteralMismatch(lit, type, "out of range");
    return AlgebraicValue(static_cast<T>(*v));
  }
}

// Hex digits (big-endian) into a little-endian value of `n` bytes.
Result<Bytes> HexToLittleEndian(const std::string& hex, size_t n) {
  STDB_ASSIGN_OR_RETURN(Bytes be, FromHex(hex.size() % 2 ? "0" + hex : hex));
  if (be.size() > n) return DecodeError("too many hex digits");
  Bytes le(n, 0);
  for (size_t i = 0; i < be.size(); ++i) le[i] = be[be.size() - 1 - i];
  return le;
}

Result<AlgebraicValue> IntegerLiteral(const Literal& lit, const AlgebraicType& type) {
  switch (type.kind()) {
    case TypeKind::kI8: return IntegerFrom<int8_t>(lit, type);
    case TypeKind::kU8: return IntegerFrom<uint8_t>(lit, type);
    case TypeKind::kI16: return IntegerFrom<int16_t>(lit, type);
    case TypeKind::kU16: return IntegerFrom<uint16_t>(lit, type);
    case TypeKind::kI32: return IntegerFrom<int32_t>(lit, type);
    case TypeKind::kU32: return IntegerFrom<uint32_t>(lit, type);
    case TypeKind::kI64: return IntegerFrom<int64_t>(lit, type);
    case TypeKind::kU64: return IntegerFrom<uint64_t>(lit, type);
    case TypeKind::kI128: return IntegerFrom<i128>(lit, type);
    case TypeKind::kU128: {
      auto v = ParseU128(lit.text);
      if (!v.ok()) return LiteralMismatch(lit, type, "out of range");
      return AlgebraicValue(*v);
    }
    case TypeKind::kI256: {
      auto v = ParseI256(lit.text);
      if (!v.ok()) return LiteralMismatch(lit, type, "out of range");
      return AlgebraicValue(*v);
    }
    case TypeKind::kU256: {
      auto v = ParseU256(lit.text);
      if (!v.ok()) return LiteralMismatch(lit, type, "out of range");
      return AlgebraicValue(*v);
    }
    case TypeKind::kF32: return AlgebraicValue(std::stof(lit.text));
    case TypeKind::kF64: return AlgebraicValue(std::stod(lit.text));
    default: return LiteralMismatch(lit, type, "");
  }
}

Result<AlgebraicValue> FloatLiteral(const Literal& lit, const AlgebraicType& type) {
  if (!type.is_float()) return LiteralMismatch(lit, type, "");
  try {
    if (type.kind() == TypeKind::kF32) return AlgebraicValue(std::stof(lit.text));
    return AlgebraicValue(std::stod(lit.text));
  } catch (...) {
    return LiteralMismatch(lit, type, "out of range");
  }
}

// Identity / ConnectionId / integers from hex digits.
Result<AlgebraicValue> HexLiteral(const Literal& lit, const AlgebraicType& type) {
  auto le = [&](size_t n) { return HexToLittleEndian(lit.text, n); };
  if (type.is_identity()) {
    auto b = le(32);
    if (!b.ok()) return LiteralMismatch(lit, type, b.status().message());
    U256 v;
    std::memcpy(v.limbs.data(), b->data(), 32);
    return AlgebraicValue::Identity(v);
  }
  if (type.is_connection_id()) {
    auto b = le(16);
    if (!b.ok()) return LiteralMismatch(lit, type, b.status().message());
    u128 v = 0;
    std::memcpy(&v, b->data(), 16);
    return AlgebraicValue::ConnectionId(v);
  }
  if (type.is_bytes()) {
    auto b = FromHex(lit.text);
    if (!b.ok()) return LiteralMismatch(lit, type, b.status().message());
    return AlgebraicValue(std::move(b).value());
  }
  if (type.kind() == TypeKind::kU256) {
    auto b = le(32);
    if (!b.ok()) return LiteralMismatch(lit, type, b.status().message());
    U256 v;
    std::memcpy(v.limbs.data(), b->data(), 32);
    return AlgebraicValue(v);
  }
  if (type.is_integer()) {
    auto b = le(16);
    if (!b.ok()) return LiteralMismatch(lit, type, b.status().message());
    u128 v = 0;
    std::memcpy(&v, b->data(), 16);
    Literal dec{Literal::Kind::kInteger, ToDecimal(v), false};
    return IntegerLiteral(dec, type);
  }
  return LiteralMismatch(lit, type, "");
}

Result<std::unique_ptr<Predicate>> BindExpr(const Expr& e, const store::TableSchema& schema,
                                           const std::string& qualifier) {
  auto p = std::make_unique<Predicate>();
  p->kind = e.kind;
  if (e.kind != Expr::Kind::kCompare) {
    STDB_ASSIGN_OR_RETURN(p->lhs, BindExpr(*e.lhs, schema, qualifier));
    STDB_ASSIGN_OR_RETURN(p->rhs, BindExpr(*e.rhs, schema, qualifier));
    return p;
  }
  if (e.column.table && *e.column.table != qualifier && *e.column.table != schema.name) {
    return NotFound("unknown table '" + *e.column.table + "' in column reference " +
                    *e.column.table + "." + e.column.column);
  }
  auto col = schema.FindColumn(e.column.column);
  if (!col) {
    return NotFound("unknown column '" + e.column.column + "' in table '" + schema.name + "'");
  }
  p->column = *col;
  p->op = e.op;
  p->column_type = schema.column_type(*col);
  auto value = LiteralToValue(e.literal, p->column_type);
  if (!value.ok()) {
    return TypeMismatch("column '" + e.column.column + "': " + value.status().message());
  }
  p->value = std::move(value).value();
  // A literal can still fail to be a value of the column type (a string literal that is
  // not valid UTF-8 is not a String): that is the client's error, not a broken invariant.
  // Encoding every literal here also lets CanonicalKey rely on it.
  Bytes enc;
  if (Status s = sats::EncodeBsatn(p->column_type, p->value, enc); !s.ok()) {
    return TypeMismatch("column '" + e.column.column + "': " + s.message());
  }
  if (!p->column_type.is_float() && (e.op == CompareOp::kEq || e.op == CompareOp::kNe)) {
    p->value_bsatn = std::move(enc);
  }
  const bool orderable = p->column_type.is_integer() || p->column_type.is_float() ||
                         p->column_type.kind() == TypeKind::kString ||
                         p->column_type.kind() == TypeKind::kBool ||
                         p->column_type.is_special_scalar();
  if (!orderable && e.op != CompareOp::kEq && e.op != CompareOp::kNe) {
    return TypeMismatch("column '" + e.column.column + "' of type " + p->column_type.ToString() +
                        " supports only = and !=");
  }
  return p;
}

}  // namespace

Result<AlgebraicValue> LiteralToValue(const Literal& lit, const AlgebraicType& type) {
  switch (lit.kind) {
    case Literal::Kind::kBool:
      if (type.kind() != TypeKind::kBool) return LiteralMismatch(lit, type, "");
      return AlgebraicValue(lit.bool_value);
    case Literal::Kind::kString:
      if (type.kind() == TypeKind::kString) return AlgebraicValue(lit.text);
      // Identities are often written as quoted hex.
      if (type.is_identity() || type.is_connection_id()) {
        Literal hex{Literal::Kind::kHex, lit.text, false};
        if (hex.text.size() > 2 && hex.text[0] == '0' && (hex.text[1] == 'x' || hex.text[1] == 'X')) {
          hex.text = hex.text.substr(2);
        }
        return HexLiteral(hex, type);
      }
      return LiteralMismatch(lit, type, "");
    case Literal::Kind::kInteger:
      if (type.is_timestamp() || type.is_time_duration()) {
        STDB_ASSIGN_OR_RETURN(auto v, IntegerFrom<int64_t>(lit, type));
        return AlgebraicValue::Product({std::move(v)});
      }
      try {
        return IntegerLiteral(lit, type);
      } catch (...) {
        return LiteralMismatch(lit, type, "out of range");
      }
    case Literal::Kind::kFloat: return FloatLiteral(lit, type);
    case Literal::Kind::kHex: return HexLiteral(lit, type);
  }
  return LiteralMismatch(lit, type, "");
}

bool Predicate::Matches(const AlgebraicType& row_type, ByteView row) const {
  switch (kind) {
    case Expr::Kind::kAnd: return lhs->Matches(row_type, row) && rhs->Matches(row_type, row);
    case Expr::Kind::kOr: return lhs->Matches(row_type, row) || rhs->Matches(row_type, row);
    case Expr::Kind::kCompare: break;
  }
  auto slice = sats::ColumnSlice(row_type, row, column);
  if (!slice.ok()) return false;
  if (value_bsatn) {
    const bool equal = slice->size() == value_bsatn->size() &&
                       std::equal(slice->begin(), slice->end(), value_bsatn->begin());
    return op == CompareOp::kEq ? equal : !equal;
  }
  auto v = sats::DecodeBsatnExact(column_type, *slice);
  if (!v.ok()) return false;
  const std::partial_ordering c = sats::Compare(*v, value);
  switch (op) {
    case CompareOp::kEq: return c == std::partial_ordering::equivalent;
    case CompareOp::kNe: return c != std::partial_ordering::equivalent;
    case CompareOp::kLt: return c == std::partial_ordering::less;
    case CompareOp::kLe: return c == std::partial_ordering::less || c == std::partial_ordering::equivalent;
    case CompareOp::kGt: return c == std::partial_ordering::greater;
    case CompareOp::kGe: return c == std::partial_ordering::greater || c == std::partial_ordering::equivalent;
  }
  return false;
}

Bytes BoundQuery::Project(ByteView row) const {
  if (projection.empty()) return Bytes(row.begin(), row.end());
  Bytes out;
  for (size_t col : projection) {
    auto slice = sats::ColumnSlice(row_type, row, col);
    STDB_ASSERT(slice.ok());
    out.insert(out.end(), slice->begin(), slice->end());
  }
  return out;
}

Result<BoundQuery> Bind(const SelectStatement& stmt, const store::Store& store) {
  auto table_id = store.FindTable(stmt.table);
  if (!table_id) return NotFound("unknown table '" + stmt.table + "'");
  const store::TableSchema& schema = store.table(*table_id).schema();
  const std::string qualifier = stmt.table_alias.value_or(stmt.table);
  BoundQuery q;
  q.table_id = *table_id;
  q.table_name = schema.name;
  q.row_type = schema.row_type;
  q.limit = stmt.limit;
  if (stmt.star) {
    if (stmt.star_qualifier && *stmt.star_qualifier != qualifier) {
      return NotFound("unknown table '" + *stmt.star_qualifier + "' in " + *stmt.star_qualifier +
                      ".*");
    }
    q.result_type = schema.row_type;
  } else {
    std::vector<sats::Element> out;
    for (const auto& item : stmt.items) {
      if (item.column.table && *item.column.table != qualifier) {
        return NotFound("unknown table '" + *item.column.table + "' in column reference " +
                        *item.column.table + "." + item.column.column);
      }
      auto col = schema.FindColumn(item.column.column);
      if (!col) {
        return NotFound("unknown column '" + item.column.column + "' in table '" + schema.name + "'");
      }
      q.projection.push_back(*col);
      out.push_back(sats::Element{item.alias.value_or(item.column.column), schema.column_type(*col)});
    }
    q.result_type = AlgebraicType::Product(std::move(out));
  }
  if (stmt.where) {
    STDB_ASSIGN_OR_RETURN(q.where, BindExpr(*stmt.where, schema, qualifier));
  }
  return q;
}

std::vector<Bytes> Execute(const BoundQuery& query, const store::Store& store) {
  std::vector<Bytes> rows;
  const uint64_t limit = query.limit.value_or(std::numeric_limits<uint64_t>::max());
  store.table(query.table_id).ForEach([&](store::RowId, ByteView row) {
    if (rows.size() < limit && query.Matches(row)) rows.push_back(query.Project(row));
  });
  return rows;
}

}  // namespace stdb::sql
