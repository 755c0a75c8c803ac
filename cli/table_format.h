// Formats /sql results (the JSON the server returns) as aligned text tables.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace stdb::cli {

// One statement's result {"schema": {"elements": [...]}, "rows": [[...]]} as a table:
// a header of column names, a rule, one line per row, then "(N rows)".
// Identities print as hex, timestamps as RFC 3339 UTC, Option values as their content
// (or "none"), strings quoted.
std::string FormatSqlTable(const nlohmann::json& result);

// Cells padded to each column's widest (display width), " | " between columns, a rule
// under the header. No row count.
std::string FormatTextTable(const std::vector<std::string>& header,
                            const std::vector<std::vector<std::string>>& rows);

// The text of one cell for a value of the given SATS type JSON (as in "algebraic_type").
std::string FormatCell(const nlohmann::json& type, const nlohmann::json& value);

// Microseconds since the Unix epoch as RFC 3339 UTC with microseconds
// ("2023-11-14T22:13:20.123456Z").
std::string Rfc3339(int64_t micros);

}  // namespace stdb::cli
