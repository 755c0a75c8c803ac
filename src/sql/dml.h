// INSERT / UPDATE / DELETE for /sql (docs/sql.md "Changing data"). Only the database
// owner may run them; that is checked by the caller (db::Database::RunSql).
#pragma once

#include <cstdint>

#include "base/status.h"
#include "sql/ast.h"
#include "store/tx.h"

namespace stdb::sql {

// Executes one INSERT, UPDATE or DELETE in `tx` and returns the number of rows it
// affected (rows inserted, rows matched by UPDATE's or DELETE's WHERE). INSERT applies
// sequences to auto-increment columns given 0 or left out. UPDATE replaces each matched
// row by deleting it and inserting the changed row. Errors name the culprit: unknown
// table or column, a literal that does not fit its column, a missing value, a unique
// violation (the store's message). On failure `tx` may hold part of the statement's
// changes: the caller rolls it back. REQUIRES: `stmt` is not a SELECT.
Result<uint64_t> ExecuteDml(const Statement& stmt, store::Transaction& tx);

}  // namespace stdb::sql
