// The syntax tree of the SQL subset (docs/sql.md), before names are resolved.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stdb::sql {

struct Literal {
  enum class Kind { kInteger, kFloat, kString, kHex, kBool };
  Kind kind = Kind::kInteger;
  std::string text;  // digits (with a leading '-' if negative), string contents, hex digits
  bool bool_value = false;
};

struct ColumnRef {
  std::optional<std::string> table;  // qualifier, as written (table name or alias)
  std::string column;
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };
const char* CompareOpText(CompareOp op);

// WHERE expressions: comparisons of a column with a literal, combined with AND / OR.
struct Expr {
  enum class Kind { kCompare, kAnd, kOr };
  Kind kind = Kind::kCompare;
  // kCompare: column `op` literal (a literal on the left is normalised to the right).
  ColumnRef column;
  CompareOp op = CompareOp::kEq;
  Literal literal;
  // kAnd / kOr.
  std::unique_ptr<Expr> lhs;
  std::unique_ptr<Expr> rhs;
};

struct SelectItem {
  ColumnRef column;
  std::optional<std::string> alias;
};

struct SelectStatement {
  // Projection: `*`, `t.*`, or a list of columns.
  bool star = false;
  std::optional<std::string> star_qualifier;  // set for `t.*`
  std::vector<SelectItem> items;
  std::string table;
  std::optional<std::string> table_alias;
  std::unique_ptr<Expr> where;
  std::optional<uint64_t> limit;
};

}  // namespace stdb::sql
