// Helpers shared by the store tests: a (u64 id primary key, string name) table.
#pragma once

#include <string>

#include "sats/bsatn.h"
#include "store/tx.h"

namespace stdb::store::testing {

inline TableSchema PeopleSchema(TableId id = 0) {
  using sats::AlgebraicType;
  using sats::Element;
  using sats::TypeKind;
  TableSchema s;
  s.table_id = id;
  s.name = "people";
  s.row_type = AlgebraicType::Product(
      {Element{"id", AlgebraicType(TypeKind::kU64)}, Element{"name", AlgebraicType::String()}});
  s.primary_key = 0;
  return s;
}

inline Bytes PersonRow(uint64_t id, const std::string& name) {
  Bytes out;
  ByteWriter w(out);
  w.U64(id);
  w.String(name);
  return out;
}

inline Bytes U64Key(uint64_t id) {
  Bytes out;
  ByteWriter(out).U64(id);
  return out;
}

}  // namespace stdb::store::testing
