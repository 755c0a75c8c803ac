// The syntax tree of the SQL subset (docs/sql.md), before names are resolved.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace stdb::sql {

struct Literal {
  enum class Kind { kInteger, kFloat, kString, kHex, kBool };
  Kind kind = Kind::kInteger;
  std::string text;  // digits (with a leading '-' if negative), string contents, hex digits
  bool bool_value = false;
};

// The literal as it could be written back in SQL (for error messages).
std::string LiteralText(const Literal& lit);

struct ColumnRef {
  std::optional<std::string> table;  // qualifier, as written (table name or alias)
  std::string column;
};

// "t.c" or "c", as written.
std::string ColumnRefText(const ColumnRef& ref);

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

// `[INNER] JOIN table [[AS] alias] ON left = right`.
struct JoinClause {
  std::string table;
  std::optional<std::string> alias;
  ColumnRef left;
  ColumnRef right;
  size_t offset = 0;  // 0-based character offset of the JOIN keyword, for messages
};

struct SelectStatement {
  // Projection: `*`, `t.*`, `COUNT(*)`, or a list of columns.
  bool star = false;
  std::optional<std::string> star_qualifier;  // set for `t.*`
  bool count = false;                         // COUNT(*); the only projection when set
  std::optional<std::string> count_alias;     // `COUNT(*) AS n`; the column is "count" otherwise
  std::vector<SelectItem> items;
  std::string table;
  std::optional<std::string> table_alias;
  std::vector<JoinClause> joins;  // in the order written
  std::unique_ptr<Expr> where;
  std::optional<uint64_t> limit;
};

// INSERT INTO table [(columns)] VALUES (literals) [, (literals) ...]
struct InsertStatement {
  std::string table;
  std::vector<std::string> columns;  // empty: every column, in table order
  std::vector<std::vector<Literal>> rows;
};

// UPDATE table SET column = literal [, ...] [WHERE ...]
struct UpdateStatement {
  std::string table;
  std::vector<std::pair<std::string, Literal>> assignments;
  std::unique_ptr<Expr> where;
};

// DELETE FROM table [WHERE ...]
struct DeleteStatement {
  std::string table;
  std::unique_ptr<Expr> where;
};

using Statement = std::variant<SelectStatement, InsertStatement, UpdateStatement, DeleteStatement>;

}  // namespace stdb::sql
