#include "sql/query.h"

#include <cmath>
#include <limits>

#include "sats/bsatn.h"
#include "sql/bind.h"

namespace stdb::sql {
namespace {

using sats::AlgebraicType;
using sats::AlgebraicValue;
using sats::TypeKind;

// Why a literal does not fit a type; LiteralToValue adds what was being done with which
// literal and type.
Status LiteralMismatch(const Literal&, const AlgebraicType&, const std::string& why) {
  return TypeMismatch(why);
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
    if (!v.ok() || *v > std::numeric_limits<T>::max())
      return LiteralMismatch(lit, type, "out of range");
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
    case TypeKind::kI8:
      return IntegerFrom<int8_t>(lit, type);
    case TypeKind::kU8:
      return IntegerFrom<uint8_t>(lit, type);
    case TypeKind::kI16:
      return IntegerFrom<int16_t>(lit, type);
    case TypeKind::kU16:
      return IntegerFrom<uint16_t>(lit, type);
    case TypeKind::kI32:
      return IntegerFrom<int32_t>(lit, type);
    case TypeKind::kU32:
      return IntegerFrom<uint32_t>(lit, type);
    case TypeKind::kI64:
      return IntegerFrom<int64_t>(lit, type);
    case TypeKind::kU64:
      return IntegerFrom<uint64_t>(lit, type);
    case TypeKind::kI128:
      return IntegerFrom<i128>(lit, type);
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
    case TypeKind::kF32:
      return AlgebraicValue(std::stof(lit.text));
    case TypeKind::kF64:
      return AlgebraicValue(std::stod(lit.text));
    default:
      return LiteralMismatch(lit, type, "");
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

}  // namespace

namespace {

Result<AlgebraicValue> ConvertLiteral(const Literal& lit, const AlgebraicType& type) {
  switch (lit.kind) {
    case Literal::Kind::kBool:
      if (type.kind() != TypeKind::kBool) return LiteralMismatch(lit, type, "");
      return AlgebraicValue(lit.bool_value);
    case Literal::Kind::kString:
      if (type.kind() == TypeKind::kString) return AlgebraicValue(lit.text);
      // Identities are often written as quoted hex.
      if (type.is_identity() || type.is_connection_id()) {
        Literal hex{Literal::Kind::kHex, lit.text, false};
        if (hex.text.size() > 2 && hex.text[0] == '0' &&
            (hex.text[1] == 'x' || hex.text[1] == 'X')) {
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
    case Literal::Kind::kFloat:
      return FloatLiteral(lit, type);
    case Literal::Kind::kHex:
      return HexLiteral(lit, type);
  }
  return LiteralMismatch(lit, type, "");
}

}  // namespace

Result<AlgebraicValue> LiteralToValue(const Literal& lit, const AlgebraicType& type,
                                      LiteralUse use) {
  auto v = ConvertLiteral(lit, type);
  if (v.ok()) return v;
  static const char* kKinds[] = {"integer", "float", "string", "hex", "bool"};
  const std::string literal =
      std::string(kKinds[static_cast<int>(lit.kind)]) + " literal " +
      (lit.kind == Literal::Kind::kString ? LiteralText(lit) : "'" + LiteralText(lit) + "'");
  const std::string& why = v.status().message();
  return TypeMismatch(
      (use == LiteralUse::kCompare
           ? "cannot compare " + type.ToString() + " with " + literal
           : "cannot store " + literal + " in a column of type " + type.ToString()) +
      (why.empty() ? "" : ": " + why));
}

bool Predicate::CompareSlice(ByteView slice) const {
  if (value_bsatn) {
    const bool equal = slice.size() == value_bsatn->size() &&
                       std::equal(slice.begin(), slice.end(), value_bsatn->begin());
    return op == CompareOp::kEq ? equal : !equal;
  }
  auto v = sats::DecodeBsatnExact(column_type, slice);
  if (!v.ok()) return false;
  const std::partial_ordering c = sats::Compare(*v, value);
  switch (op) {
    case CompareOp::kEq:
      return c == std::partial_ordering::equivalent;
    case CompareOp::kNe:
      return c != std::partial_ordering::equivalent;
    case CompareOp::kLt:
      return c == std::partial_ordering::less;
    case CompareOp::kLe:
      return c == std::partial_ordering::less || c == std::partial_ordering::equivalent;
    case CompareOp::kGt:
      return c == std::partial_ordering::greater;
    case CompareOp::kGe:
      return c == std::partial_ordering::greater || c == std::partial_ordering::equivalent;
  }
  return false;
}

bool Predicate::Matches(const AlgebraicType& row_type, ByteView row) const {
  switch (kind) {
    case Expr::Kind::kAnd:
      return lhs->Matches(row_type, row) && rhs->Matches(row_type, row);
    case Expr::Kind::kOr:
      return lhs->Matches(row_type, row) || rhs->Matches(row_type, row);
    case Expr::Kind::kCompare:
      break;
  }
  auto slice = sats::ColumnSlice(row_type, row, column);
  return slice.ok() && CompareSlice(*slice);
}

bool Predicate::MatchesTuple(const std::vector<const AlgebraicType*>& row_types,
                             const std::vector<ByteView>& rows) const {
  switch (kind) {
    case Expr::Kind::kAnd:
      return lhs->MatchesTuple(row_types, rows) && rhs->MatchesTuple(row_types, rows);
    case Expr::Kind::kOr:
      return lhs->MatchesTuple(row_types, rows) || rhs->MatchesTuple(row_types, rows);
    case Expr::Kind::kCompare:
      break;
  }
  STDB_ASSERT(source < rows.size() && rows.size() == row_types.size());
  auto slice = sats::ColumnSlice(*row_types[source], rows[source], column);
  return slice.ok() && CompareSlice(*slice);
}

bool BoundQuery::MatchesPair(ByteView row, ByteView other_row) const {
  STDB_ASSERT(join.has_value());
  if (!where) return true;
  return where->MatchesTuple({&row_type, &join->other_row_type}, {row, other_row});
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

namespace {

// The projection and WHERE of a single-table query; the shared part of Bind and
// BindSubscription.
Result<BoundQuery> BindSingle(const SelectStatement& stmt, const Scope& scope) {
  const Scope::Entry& e = scope.entry(0);
  const store::TableSchema& schema = *e.schema;
  BoundQuery q;
  q.table_id = e.table_id;
  q.table_name = schema.name;
  q.row_type = schema.row_type;
  q.limit = stmt.limit;
  if (stmt.star) {
    if (stmt.star_qualifier) {
      STDB_RETURN_IF_ERROR(
          scope.FindQualifier(*stmt.star_qualifier, *stmt.star_qualifier + ".*").status());
    }
    q.result_type = schema.row_type;
  } else {
    std::vector<sats::Element> out;
    for (const auto& item : stmt.items) {
      STDB_ASSIGN_OR_RETURN(auto where, scope.Resolve(item.column));
      q.projection.push_back(where.second);
      out.push_back(
          sats::Element{item.alias.value_or(item.column.column), schema.column_type(where.second)});
    }
    q.result_type = AlgebraicType::Product(std::move(out));
  }
  if (stmt.where) {
    STDB_ASSIGN_OR_RETURN(q.where, BindPredicate(*stmt.where, scope));
  }
  return q;
}

void SwapSources(Predicate& p) {
  if (p.kind == Expr::Kind::kCompare) {
    p.source = 1 - p.source;
    return;
  }
  SwapSources(*p.lhs);
  SwapSources(*p.rhs);
}

}  // namespace

Result<BoundQuery> Bind(const SelectStatement& stmt, const store::Store& store) {
  Scope scope;
  STDB_RETURN_IF_ERROR(scope.Add(store, stmt.table, stmt.table_alias).status());
  if (!stmt.joins.empty()) {
    return Unsupported("JOIN is not supported here (joins in subscriptions are not evaluated yet)");
  }
  if (stmt.count) return Unsupported("COUNT(*) is not supported here; only in /sql queries");
  return BindSingle(stmt, scope);
}

Result<BoundQuery> BindSubscription(const SelectStatement& stmt, const store::Store& store) {
  Scope scope;
  STDB_RETURN_IF_ERROR(scope.Add(store, stmt.table, stmt.table_alias).status());
  if (stmt.count || !stmt.star) {
    return Unsupported("subscriptions must select whole rows (SELECT * or t.*)");
  }
  if (stmt.limit) return Unsupported("LIMIT is not allowed in subscriptions");
  if (stmt.joins.empty()) return BindSingle(stmt, scope);
  if (stmt.joins.size() > 1) {
    return Unsupported("a subscription may join only two tables (one JOIN)");
  }
  const JoinClause& jc = stmt.joins[0];
  STDB_RETURN_IF_ERROR(scope.Add(store, jc.table, jc.alias).status());
  if (!stmt.star_qualifier) {
    return Unsupported(
        "SELECT * with a JOIN is not allowed in a subscription; select one table with t.*");
  }
  STDB_ASSIGN_OR_RETURN(size_t selected,
                        scope.FindQualifier(*stmt.star_qualifier, *stmt.star_qualifier + ".*"));
  const size_t other = 1 - selected;
  STDB_ASSIGN_OR_RETURN(auto left, scope.Resolve(jc.left));
  STDB_ASSIGN_OR_RETURN(auto right, scope.Resolve(jc.right));
  if (left.first == right.first) {
    return InvalidArgument("JOIN ... ON must compare a column of each table, not " +
                           ColumnRefText(jc.left) + " and " + ColumnRefText(jc.right));
  }
  const auto mine = left.first == selected ? left : right;
  const auto theirs = left.first == selected ? right : left;
  const store::TableSchema& s = *scope.entry(selected).schema;
  const store::TableSchema& o = *scope.entry(other).schema;
  if (!(s.column_type(mine.second) == o.column_type(theirs.second))) {
    return TypeMismatch("cannot join " + s.name + "." + s.column_name(mine.second) + " (" +
                        s.column_type(mine.second).ToString() + ") with " + o.name + "." +
                        o.column_name(theirs.second) + " (" +
                        o.column_type(theirs.second).ToString() + ")");
  }
  auto index = o.IndexLeadingWith(static_cast<uint16_t>(theirs.second));
  if (!index) {
    return Unsupported("cannot subscribe to this join: join column " +
                       scope.entry(other).qualifier + "." + o.column_name(theirs.second) +
                       " has no index; add an index to subscribe to this join");
  }
  Scope selected_scope;  // the projection names the selected table only
  STDB_RETURN_IF_ERROR(
      selected_scope.Add(store, s.name, std::optional<std::string>(scope.entry(selected).qualifier))
          .status());
  SelectStatement projection_only;
  projection_only.star = true;
  STDB_ASSIGN_OR_RETURN(BoundQuery q, BindSingle(projection_only, selected_scope));
  if (stmt.where) {
    STDB_ASSIGN_OR_RETURN(q.where, BindPredicate(*stmt.where, scope));
    if (selected == 1) SwapSources(*q.where);
  }
  q.join =
      JoinSpec{scope.entry(other).table_id, o.name, o.row_type, mine.second, theirs.second, *index};
  return q;
}

std::vector<Bytes> Execute(const BoundQuery& query, const store::Store& store) {
  std::vector<Bytes> rows;
  const uint64_t limit = query.limit.value_or(std::numeric_limits<uint64_t>::max());
  const store::Table& table = store.table(query.table_id);
  if (!query.join) {
    table.ForEach([&](store::RowId, ByteView row) {
      if (rows.size() < limit && query.Matches(row)) rows.push_back(query.Project(row));
    });
    return rows;
  }
  const JoinSpec& j = *query.join;
  const store::Table& other = store.table(j.other_table_id);
  const store::IndexSchema& index = other.schema().indexes[j.other_index];
  table.ForEach([&](store::RowId, ByteView row) {
    auto key = sats::ColumnSlice(query.row_type, row, j.column);
    STDB_ASSERT(key.ok());
    std::vector<store::RowId> matches;
    if (index.unique && index.columns.size() == 1) {
      if (auto id = other.FindUnique(j.other_index, *key)) matches.push_back(*id);
    } else {
      auto ids = other.ScanIndex(j.other_index,
                                 store::IndexRange::Prefix(Bytes(key->begin(), key->end()), 1));
      STDB_ASSERT(ids.ok());  // an equality prefix is valid for every index kind
      matches = std::move(ids).value();
    }
    for (store::RowId id : matches) {
      if (rows.size() < limit && query.MatchesPair(row, other.Get(id))) {
        rows.push_back(query.Project(row));
      }
    }
  });
  return rows;
}

}  // namespace stdb::sql
