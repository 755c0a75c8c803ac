#include "sql/dml.h"

#include <set>

#include "sats/bsatn.h"
#include "sql/plan.h"
#include "sql/query.h"

namespace stdb::sql {
namespace {

// The BSATN of `lit` as a value of column `column` of `schema`.
Result<Bytes> EncodeLiteral(const store::TableSchema& schema, size_t column, const Literal& lit) {
  const sats::AlgebraicType& type = schema.column_type(column);
  auto value = LiteralToValue(lit, type, LiteralUse::kStore);
  if (!value.ok()) {
    return TypeMismatch("column '" + schema.column_name(column) + "': " + value.status().message());
  }
  Bytes out;
  if (Status s = sats::EncodeBsatn(type, *value, out); !s.ok()) {
    return TypeMismatch("column '" + schema.column_name(column) + "': " + s.message());
  }
  return out;
}

Result<size_t> FindColumn(const store::TableSchema& schema, const std::string& name) {
  auto col = schema.FindColumn(name);
  if (!col) return NotFound("unknown column '" + name + "' in table '" + schema.name + "'");
  return *col;
}

Result<uint64_t> Insert(const InsertStatement& stmt, store::Transaction& tx) {
  auto table_id = tx.store().FindTable(stmt.table);
  if (!table_id) return NotFound("unknown table '" + stmt.table + "'");
  const store::TableSchema& schema = tx.store().table(*table_id).schema();
  // positions[c]: where column c's value is in each VALUES row; unset = left out.
  std::vector<std::optional<size_t>> positions(schema.column_count());
  if (stmt.columns.empty()) {
    for (size_t c = 0; c < positions.size(); ++c) positions[c] = c;
  }
  for (size_t i = 0; i < stmt.columns.size(); ++i) {
    STDB_ASSIGN_OR_RETURN(size_t c, FindColumn(schema, stmt.columns[i]));
    if (positions[c]) return InvalidArgument("column '" + stmt.columns[i] + "' is listed twice");
    positions[c] = i;
  }
  const std::set<uint16_t> sequences(schema.sequences.begin(), schema.sequences.end());
  for (size_t c = 0; c < positions.size(); ++c) {
    if (!positions[c] && !sequences.contains(static_cast<uint16_t>(c))) {
      return InvalidArgument("INSERT INTO " + schema.name + ": column '" + schema.column_name(c) +
                             "' has no value (only auto-increment columns may be left out)");
    }
  }
  const size_t width = stmt.columns.empty() ? schema.column_count() : stmt.columns.size();
  const Literal zero{Literal::Kind::kInteger, "0", false};
  uint64_t inserted = 0;
  for (const auto& values : stmt.rows) {
    if (values.size() != width) {
      return InvalidArgument("INSERT INTO " + schema.name + ": a row has " +
                             std::to_string(values.size()) + " values for " +
                             std::to_string(width) + " columns");
    }
    Bytes row;
    for (size_t c = 0; c < positions.size(); ++c) {
      const Literal& lit = positions[c] ? values[*positions[c]] : zero;
      STDB_ASSIGN_OR_RETURN(Bytes v, EncodeLiteral(schema, c, lit));
      row.insert(row.end(), v.begin(), v.end());
    }
    // A row equal to one already present is no change (tables are sets): not counted.
    const bool present = tx.store().table(*table_id).FindRow(row).has_value();
    STDB_RETURN_IF_ERROR(tx.Insert(*table_id, std::move(row)).status());
    if (!present) ++inserted;
  }
  return inserted;
}

// The rows of `table` matching `where`, found as SELECT * would find them (with indexes).
Result<std::vector<Bytes>> MatchingRows(const std::string& table, const Expr* where,
                                        const store::Store& store) {
  SelectStatement all;
  all.star = true;
  all.table = table;
  STDB_ASSIGN_OR_RETURN(SelectPlan plan, PlanSelectWhere(all, where, store));
  return ExecuteSelect(plan, store);
}

Result<uint64_t> Update(const UpdateStatement& stmt, store::Transaction& tx) {
  auto table_id = tx.store().FindTable(stmt.table);
  if (!table_id) return NotFound("unknown table '" + stmt.table + "'");
  const store::TableSchema& schema = tx.store().table(*table_id).schema();
  std::vector<std::optional<Bytes>> assigned(schema.column_count());
  for (const auto& [name, lit] : stmt.assignments) {
    STDB_ASSIGN_OR_RETURN(size_t c, FindColumn(schema, name));
    if (assigned[c]) return InvalidArgument("column '" + name + "' is set twice");
    STDB_ASSIGN_OR_RETURN(assigned[c], EncodeLiteral(schema, c, lit));
  }
  STDB_ASSIGN_OR_RETURN(auto rows, MatchingRows(stmt.table, stmt.where.get(), tx.store()));
  std::vector<Bytes> updated;
  updated.reserve(rows.size());
  for (const Bytes& old_row : rows) {
    Bytes row;
    for (size_t c = 0; c < assigned.size(); ++c) {
      if (assigned[c]) {
        row.insert(row.end(), assigned[c]->begin(), assigned[c]->end());
        continue;
      }
      auto slice = sats::ColumnSlice(schema.row_type, old_row, c);
      STDB_ASSERT(slice.ok());
      row.insert(row.end(), slice->begin(), slice->end());
    }
    updated.push_back(std::move(row));
  }
  // Every old row goes before any new one is inserted, so rows may trade key values.
  for (const Bytes& old_row : rows) {
    STDB_ASSIGN_OR_RETURN(bool deleted, tx.DeleteRow(*table_id, old_row));
    STDB_ASSERT(deleted);
  }
  for (Bytes& row : updated) STDB_RETURN_IF_ERROR(tx.Insert(*table_id, std::move(row)).status());
  return rows.size();
}

Result<uint64_t> Delete(const DeleteStatement& stmt, store::Transaction& tx) {
  auto table_id = tx.store().FindTable(stmt.table);
  if (!table_id) return NotFound("unknown table '" + stmt.table + "'");
  STDB_ASSIGN_OR_RETURN(auto rows, MatchingRows(stmt.table, stmt.where.get(), tx.store()));
  for (const Bytes& row : rows) {
    STDB_ASSIGN_OR_RETURN(bool deleted, tx.DeleteRow(*table_id, row));
    STDB_ASSERT(deleted);
  }
  return rows.size();
}

}  // namespace

Result<uint64_t> ExecuteDml(const Statement& stmt, store::Transaction& tx) {
  if (const auto* s = std::get_if<InsertStatement>(&stmt)) return Insert(*s, tx);
  if (const auto* s = std::get_if<UpdateStatement>(&stmt)) return Update(*s, tx);
  if (const auto* s = std::get_if<DeleteStatement>(&stmt)) return Delete(*s, tx);
  STDB_ASSERT_MSG(false, "ExecuteDml given a SELECT");
  return InternalError("ExecuteDml given a SELECT");
}

}  // namespace stdb::sql
