#include "store/schema.h"

#include <algorithm>

#include "base/assert.h"

namespace stdb::store {

std::optional<size_t> TableSchema::FindColumn(std::string_view name) const {
  for (size_t i = 0; i < column_count(); ++i) {
    if (column_name(i) == name) return i;
  }
  return std::nullopt;
}

std::optional<IndexId> TableSchema::FindIndex(std::span<const uint16_t> columns) const {
  for (IndexId i = 0; i < indexes.size(); ++i) {
    if (std::ranges::equal(indexes[i].columns, columns)) return i;
  }
  return std::nullopt;
}

IndexId TableSchema::primary_index() const {
  STDB_ASSERT(primary_key.has_value());
  auto id = FindIndex({*primary_key});  // no vector built: this runs per update
  STDB_ASSERT_MSG(id.has_value() && indexes[*id].unique, "primary key without a unique index");
  return *id;
}

std::optional<IndexId> TableSchema::IndexLeadingWith(uint16_t column) const {
  std::optional<IndexId> best;
  for (IndexId i = 0; i < indexes.size(); ++i) {
    const IndexSchema& ix = indexes[i];
    const bool usable = ix.algorithm == IndexAlgorithm::kBTree
                            ? ix.columns.front() == column
                            : ix.columns.size() == 1 && ix.columns.front() == column;
    if (!usable) continue;
    // Prefer a unique single-column index, then any single-column one, then the first.
    auto rank = [&](IndexId id) {
      return (indexes[id].columns.size() == 1 ? 2 : 0) + (indexes[id].unique ? 1 : 0);
    };
    if (!best || rank(i) > rank(*best)) best = i;
  }
  return best;
}

void NormaliseIndexes(TableSchema& schema, const std::vector<std::vector<uint16_t>>& unique) {
  std::vector<std::vector<uint16_t>> constraints = unique;
  if (schema.primary_key &&
      std::find(constraints.begin(), constraints.end(),
                std::vector<uint16_t>{*schema.primary_key}) == constraints.end()) {
    constraints.push_back({*schema.primary_key});
  }
  for (const auto& cols : constraints) {
    if (auto id = schema.FindIndex(cols)) {
      schema.indexes[*id].unique = true;
      continue;
    }
    IndexSchema ix;
    ix.name = schema.name;
    for (uint16_t c : cols) ix.name += "_" + schema.column_name(c);
    ix.name += "_key";
    ix.algorithm = IndexAlgorithm::kHash;
    ix.columns = cols;
    ix.unique = true;
    schema.indexes.push_back(std::move(ix));
  }
}

}  // namespace stdb::store
