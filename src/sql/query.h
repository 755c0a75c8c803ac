// Binding a parsed SELECT to its tables, evaluating WHERE clauses on BSATN rows, and the
// queries subscriptions evaluate (one table, or one table joined through an index).
//
// The general /sql form (joins of several tables, projections, COUNT(*), index use) is
// planned and executed by sql/plan.h; INSERT / UPDATE / DELETE by sql/dml.h.
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
  // kCompare: which table of the statement (0 = the first; in a BoundQuery with a join,
  // 1 = JoinSpec's other table) and which of its columns.
  size_t source = 0;
  size_t column = 0;
  CompareOp op = CompareOp::kEq;
  sats::AlgebraicType column_type;
  sats::AlgebraicValue value;
  // For = and != on types whose equality is byte equality (everything but floats),
  // the literal's BSATN, so rows are matched without decoding.
  std::optional<Bytes> value_bsatn;
  // The literal's BSATN whatever the operator: the bound of an index range.
  Bytes key_bsatn;
  std::unique_ptr<Predicate> lhs;
  std::unique_ptr<Predicate> rhs;

  // Evaluates on a valid BSATN row of the table (every comparison is taken to refer to
  // it, whatever its source). Decode failures (impossible for valid rows) are no match.
  bool Matches(const sats::AlgebraicType& row_type, ByteView row) const;
  // Evaluates on one row per source: rows[s] is a valid row of row_types[s].
  bool MatchesTuple(const std::vector<const sats::AlgebraicType*>& row_types,
                    const std::vector<ByteView>& rows) const;
  // Whether the comparison (kCompare only) holds for the column's BSATN `slice`.
  bool CompareSlice(ByteView slice) const;
};

// The join of a subscription `SELECT t.* FROM t JOIN u ON t.a = u.b`: the result is the
// rows of t (BoundQuery::table_id) that have a row of u (the "other", looked-up side)
// with an equal join column, once per such pair, and for which WHERE holds.
struct JoinSpec {
  store::TableId other_table_id = 0;
  std::string other_table_name;
  sats::AlgebraicType other_row_type;
  size_t column = 0;        // the join column of the subscribed table
  size_t other_column = 0;  // the join column of the other table
  // An index of the other table usable for an equality lookup of other_column alone
  // (TableSchema::IndexLeadingWith); a subscription join without one is refused.
  store::IndexId other_index = 0;
};

// A query over one table (what subscriptions evaluate), possibly joined with one more.
struct BoundQuery {
  store::TableId table_id = 0;
  std::string table_name;
  sats::AlgebraicType row_type;      // the table's row type
  std::vector<size_t> projection;    // selected columns; empty = whole rows
  sats::AlgebraicType result_type;   // Product of the result columns, with output names
  std::unique_ptr<Predicate> where;  // null = all rows; with a join, sources 0 and 1
  std::optional<uint64_t> limit;
  std::optional<JoinSpec> join;  // set only by BindSubscription

  bool whole_rows() const { return projection.empty(); }
  // Whether a row of the table matches WHERE. REQUIRES: !join.
  bool Matches(ByteView row) const { return !where || where->Matches(row_type, row); }
  // Whether the pair (row of the table, row of the other table) matches WHERE.
  // REQUIRES: join.
  bool MatchesPair(ByteView row, ByteView other_row) const;
  // The result row for a matching table row: the row itself, or its projected columns
  // (the BSATN of a product is the concatenation of its fields, so no re-encoding).
  Bytes Project(ByteView row) const;
};

// Resolves a single-table SELECT without COUNT(*) (the form the subscription manager
// evaluates today) against `store`. Errors (kNotFound for unknown tables and columns,
// kTypeMismatch for literals that do not fit the column) name the culprit; a JOIN or
// COUNT(*) is kUnsupported here.
Result<BoundQuery> Bind(const SelectStatement& stmt, const store::Store& store);

// Resolves a subscription query: `SELECT * | t.* FROM t [JOIN u ON t.a = u.b] [WHERE ...]`
// with no LIMIT. Without a join the result equals Bind's. With one, the selected table
// (t.*) is table_id, the other is described by `join`, and the other table's join column
// must have an index. kUnsupported (with a message naming the rule) otherwise.
Result<BoundQuery> BindSubscription(const SelectStatement& stmt, const store::Store& store);

// What a literal is converted for; it words the error message.
enum class LiteralUse { kCompare, kStore };

// Converts a literal to a value of `type`, or explains why it cannot (kTypeMismatch naming
// the type and the literal, e.g. "cannot compare I32 with string literal 'x'").
Result<sats::AlgebraicValue> LiteralToValue(const Literal& lit, const sats::AlgebraicType& type,
                                            LiteralUse use = LiteralUse::kCompare);

// Runs the query; returns result rows as BSATN products of query.result_type. With a
// join: one row per matching pair, the other side found through join->other_index.
std::vector<Bytes> Execute(const BoundQuery& query, const store::Store& store);

}  // namespace stdb::sql
