// Lexer and recursive-descent parser for the SQL subset (docs/sql.md).
//
// Errors are kDecode (or kUnsupported) Statuses whose message says what was expected and where
// (1-based character offset). Bounded: input longer than kSqlBytesMax or nesting deeper than
// kSqlDepthMax is rejected.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "sql/ast.h"

namespace stdb::sql {

inline constexpr size_t kSqlBytesMax = 64 << 10;
inline constexpr int kSqlDepthMax = 64;
// Bounded: joins in one SELECT (each join multiplies the work a query may do).
inline constexpr size_t kSqlJoinsMax = 8;

// Parses one statement: SELECT, INSERT, UPDATE or DELETE (an optional trailing ';' is
// allowed). Syntax errors are kDecode; constructs outside the subset (ORDER BY, GROUP BY,
// subqueries, functions other than COUNT(*), outer joins, ...) are kUnsupported and
// named in the message.
Result<Statement> ParseStatement(std::string_view text);

// Parses one SELECT statement; INSERT / UPDATE / DELETE are kUnsupported here.
Result<SelectStatement> ParseSelect(std::string_view text);

// Splits `text` at top-level ';' (outside quotes) into statements, dropping empty ones.
std::vector<std::string_view> SplitStatements(std::string_view text);

}  // namespace stdb::sql
