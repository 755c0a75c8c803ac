// Table schemas as the store sees them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sats/types.h"

namespace stdb::store {

using TableId = uint32_t;

struct TableSchema {
  TableId table_id = 0;
  std::string name;
  sats::AlgebraicType row_type;  // a Product with named elements
  std::optional<uint16_t> primary_key;  // column index
  bool is_public = true;

  size_t column_count() const { return row_type.elements().size(); }
  const std::string& column_name(size_t i) const { return *row_type.elements()[i].name; }
  const sats::AlgebraicType& column_type(size_t i) const { return row_type.elements()[i].type; }
  // Index of the column called `name`, if any.
  std::optional<size_t> FindColumn(std::string_view name) const;
};

}  // namespace stdb::store
