// Table schemas as the store sees them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sats/types.h"

namespace stdb::store {

using TableId = uint32_t;
using IndexId = uint32_t;

enum class IndexAlgorithm : uint8_t { kBTree = 0, kHash = 1 };

struct IndexSchema {
  std::string name;
  IndexAlgorithm algorithm = IndexAlgorithm::kBTree;
  std::vector<uint16_t> columns;  // non-empty, no column twice
  bool unique = false;
};

// A schedule table: rows carry a ScheduleAt column; the reducer runs per row.
struct ScheduleSchema {
  std::string reducer;
  uint16_t at_column = 0;
};

struct TableSchema {
  TableId table_id = 0;
  std::string name;
  sats::AlgebraicType row_type;         // a Product with named elements
  std::optional<uint16_t> primary_key;  // column index; backed by a unique index
  bool is_public = true;
  // Every index, implicit ones for unique constraints included (docs/module-abi.md
  // "Index ids"); an IndexId is a position in this vector.
  std::vector<IndexSchema> indexes;
  std::vector<uint16_t> sequences;  // auto-increment integer columns
  std::optional<ScheduleSchema> schedule;

  size_t column_count() const { return row_type.elements().size(); }
  const std::string& column_name(size_t i) const { return *row_type.elements()[i].name; }
  const sats::AlgebraicType& column_type(size_t i) const { return row_type.elements()[i].type; }
  // Index of the column called `name`, if any.
  std::optional<size_t> FindColumn(std::string_view name) const;
  // The index whose columns are exactly `columns`, if any.
  std::optional<IndexId> FindIndex(std::span<const uint16_t> columns) const;
  std::optional<IndexId> FindIndex(std::initializer_list<uint16_t> columns) const {
    return FindIndex(std::span<const uint16_t>(columns.begin(), columns.size()));
  }
  // The unique index backing the primary key. REQUIRES: primary_key is set and the
  // schema was normalised (NormaliseIndexes).
  IndexId primary_index() const;
  // Some index usable for an equality lookup of column `column` alone: an index whose
  // first column is `column` (btree), or exactly [column] (hash). Prefers unique ones.
  std::optional<IndexId> IndexLeadingWith(uint16_t column) const;
};

// Whether values of `type` may be index keys (docs/module-abi.md "Keys").
bool IsKeyType(const sats::AlgebraicType& type);

// Completes `schema.indexes` from the declared indexes and the unique constraints
// (`unique` column sets plus the primary key): a declared index with a constraint's exact
// columns becomes unique; otherwise an implicit unique hash index is appended.
void NormaliseIndexes(TableSchema& schema, const std::vector<std::vector<uint16_t>>& unique);

}  // namespace stdb::store
