// Binding a parsed SELECT to a table, evaluating its WHERE clause on BSATN rows, and
// executing it against a Store.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "sats/types.h"
#include "sats/value.h"
#include "sql/ast.h"
#include "store/tx.h"

namespace stdb::sql {

// A WHERE clause with names resolved and literals converted to the column types.
struct Predicate {
  Expr::Kind kind = Expr::Kind::kCompare;
  size_t column = 0;
  CompareOp op = CompareOp::kEq;
  sats::AlgebraicType column_type;
  sats::AlgebraicValue value;
  // For = and != on types whose equality is byte equality (everything but floats),
  // the literal's BSATN, so rows are matched without decoding.
  std::optional<Bytes> value_bsatn;
  std::unique_ptr<Predicate> lhs;
  std::unique_ptr<Predicate> rhs;

  // Evaluates on a valid BSATN row of the table. Decode failures (impossible for valid
  // rows) count as no match.
  bool Matches(const sats::AlgebraicType& row_type, ByteView row) const;
};

// A query over one table.
struct BoundQuery {
  store::TableId table_id = 0;
  std::string table_name;
  sats::AlgebraicType row_type;        // the table's row type
  std::vector<size_t> projection;      // selected columns; empty = whole rows
  sats::AlgebraicType result_type;     // Product of the result columns, with output names
  std::unique_ptr<Predicate> where;    // null = all rows
  std::optional<uint64_t> limit;

  bool whole_rows() const { return projection.empty(); }
  bool Matches(ByteView row) const { return !where || where->Matches(row_type, row); }
  // The result row for a matching table row: the row itself, or its projected columns
  // (the BSATN of a product is the concatenation of its fields, so no re-encoding).
  Bytes Project(ByteView row) const;
};

// Resolves names in `stmt` against `store`. Errors (kNotFound for unknown tables and
// columns, kTypeMismatch for literals that do not fit the column) name the culprit.
Result<BoundQuery> Bind(const SelectStatement& stmt, const store::Store& store);

// Converts a literal to a value of `type`, or explains why it cannot.
Result<sats::AlgebraicValue> LiteralToValue(const Literal& lit, const sats::AlgebraicType& type);

// Runs the query; returns result rows as BSATN products of query.result_type.
std::vector<Bytes> Execute(const BoundQuery& query, const store::Store& store);

}  // namespace stdb::sql
