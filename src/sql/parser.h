// Lexer and recursive-descent parser for the SQL subset (docs/sql.md).
//
// Errors are kDecode Statuses whose message says what was expected and where (1-based
// character offset). Bounded: input longer than kSqlBytesMax or nesting deeper than
// kSqlDepthMax is rejected.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "sql/ast.h"

namespace stdb::sql {

inline constexpr size_t kSqlBytesMax = 64 << 10;
inline constexpr int kSqlDepthMax = 64;

// Parses one SELECT statement (an optional trailing ';' is allowed).
Result<SelectStatement> ParseSelect(std::string_view text);

// Splits `text` at top-level ';' (outside quotes) into statements, dropping empty ones.
std::vector<std::string_view> SplitStatements(std::string_view text);

}  // namespace stdb::sql
