#include "module/schema.h"

#include <set>

#include "sats/bsatn.h"
#include "store/key.h"

namespace stdb::module {
namespace {

// A small cursor over the ModuleDef bytes that records the first failure.
class DefReader {
 public:
  explicit DefReader(ByteView b) : r_(b) {}

  bool U8(uint8_t& v) { return r_.Fixed(v); }
  bool U16(uint16_t& v) { return r_.Fixed(v); }
  bool U32(uint32_t& v) { return r_.Fixed(v); }
  bool Bool(bool& v) {
    uint8_t b = 0;
    if (!r_.Fixed(b) || b > 1) return false;
    v = b == 1;
    return true;
  }
  bool String(std::string& s) {
    ByteView b;
    if (!r_.LengthPrefixed(b)) return false;
    s.assign(AsStringView(b));
    return true;
  }
  // Reads an Array count, bounded by the bytes left: each element takes at least
  // `min_bytes`, so a lying count cannot make the reader allocate more than the input.
  bool Count(uint32_t& n, size_t min_bytes = 1) {
    return r_.Fixed(n) && n <= r_.remaining() / min_bytes;
  }
  bool U16Array(std::vector<uint16_t>& out) {
    uint32_t n = 0;
    if (!Count(n, 2)) return false;
    out.resize(n);
    for (auto& v : out) {
      if (!U16(v)) return false;
    }
    return true;
  }
  // Option tag: 0 some, 1 none.
  bool OptionTag(bool& some) {
    uint8_t tag = 0;
    if (!r_.Fixed(tag) || tag > 1) return false;
    some = tag == 0;
    return true;
  }
  Result<sats::AlgebraicType> Type() { return sats::DecodeType(r_); }
  bool at_end() const { return r_.at_end(); }

 private:
  ByteReader r_;
};

Status Truncated(std::string_view what) {
  return Status(ErrorCode::kBadModule, "malformed module schema: bad " + std::string(what));
}

Result<TableDef> ReadTable(DefReader& r) {
  TableDef t;
  if (!r.String(t.name)) return Truncated("table name");
  auto type = r.Type();
  if (!type.ok()) return Truncated("row type of table '" + t.name + "'");
  t.row_type = std::move(type).value();
  bool some = false;
  if (!r.OptionTag(some)) return Truncated("primary key of table '" + t.name + "'");
  if (some) {
    uint16_t col = 0;
    if (!r.U16(col)) return Truncated("primary key of table '" + t.name + "'");
    t.primary_key = col;
  }
  if (!r.Bool(t.is_public)) return Truncated("visibility of table '" + t.name + "'");
  uint32_t n = 0;
  if (!r.Count(n, 4)) return Truncated("unique constraints of table '" + t.name + "'");
  t.unique_columns.resize(n);
  for (auto& cols : t.unique_columns) {
    if (!r.U16Array(cols)) return Truncated("unique constraints of table '" + t.name + "'");
  }
  // An index takes at least 9 bytes: empty name (4), algorithm (1), column count (4).
  if (!r.Count(n, 9)) return Truncated("indexes of table '" + t.name + "'");
  t.indexes.resize(n);
  for (auto& idx : t.indexes) {
    if (!r.String(idx.name) || !r.U8(idx.algorithm) || !r.U16Array(idx.columns)) {
      return Truncated("index of table '" + t.name + "'");
    }
  }
  if (!r.U16Array(t.sequences)) return Truncated("sequences of table '" + t.name + "'");
  if (!r.OptionTag(some)) return Truncated("schedule of table '" + t.name + "'");
  if (some) {
    ScheduleDef s;
    if (!r.String(s.reducer) || !r.U16(s.at_column)) {
      return Truncated("schedule of table '" + t.name + "'");
    }
    t.schedule = std::move(s);
  }
  return t;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  for (char c : s) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool ContainsRef(const sats::AlgebraicType& t) {
  if (t.kind() == sats::TypeKind::kRef) return true;
  if (t.kind() == sats::TypeKind::kArray) return ContainsRef(t.array_element());
  for (const auto& el : t.elements()) {
    if (ContainsRef(el.type)) return true;
  }
  return false;
}

Status Bad(std::string message) { return Status(ErrorCode::kBadModule, std::move(message)); }

Status ValidateTable(const TableDef& t) {
  const std::string where = "table '" + t.name + "'";
  if (!IsIdentifier(t.name)) return Bad("invalid table name '" + t.name + "'");
  if (!t.row_type.is_product()) return Bad(where + ": row type is not a product");
  if (t.row_type.elements().empty()) return Bad(where + ": has no columns");
  if (ContainsRef(t.row_type)) return Bad(where + ": row type uses a type reference");
  std::set<std::string> columns;
  for (const auto& el : t.row_type.elements()) {
    if (!el.name || !IsIdentifier(*el.name)) return Bad(where + ": a column has no valid name");
    if (!columns.insert(*el.name).second) {
      return Bad(where + ": duplicate column name '" + *el.name + "'");
    }
  }
  const size_t ncols = t.row_type.elements().size();
  auto column_name = [&](uint16_t c) { return "'" + *t.row_type.elements()[c].name + "'"; };
  auto column_type = [&](uint16_t c) -> const sats::AlgebraicType& {
    return t.row_type.elements()[c].type;
  };
  if (t.primary_key) {
    if (*t.primary_key >= ncols) {
      return Bad(where + ": primary key column index " + std::to_string(*t.primary_key) +
                 " out of range");
    }
    if (!store::IsKeyType(column_type(*t.primary_key))) {
      return Bad(where + ": primary key column " + column_name(*t.primary_key) + " has type " +
                 column_type(*t.primary_key).ToString() +
                 ", which cannot be a key (use an integer, bool, string, Identity, "
                 "ConnectionId, Timestamp or a simple enum)");
    }
  }
  // Checks a column list of a unique constraint or an index.
  auto check_columns = [&](const std::vector<uint16_t>& cols, const std::string& what) -> Status {
    if (cols.empty()) return Bad(where + ": " + what + " has no columns");
    if (cols.size() > store::kIndexColumnsMax) {
      return Bad(where + ": " + what + " has more than " + std::to_string(store::kIndexColumnsMax) +
                 " columns");
    }
    std::set<uint16_t> seen;
    for (uint16_t c : cols) {
      if (c >= ncols) {
        return Bad(where + ": " + what + " names unknown column index " + std::to_string(c));
      }
      if (!seen.insert(c).second) {
        return Bad(where + ": " + what + " lists column " + column_name(c) + " twice");
      }
      if (!store::IsKeyType(column_type(c))) {
        return Bad(where + ": " + what + " is on column " + column_name(c) + " of type " +
                   column_type(c).ToString() + ", which cannot be a key");
      }
    }
    return Status::Ok();
  };
  for (const auto& cols : t.unique_columns) {
    STDB_RETURN_IF_ERROR(check_columns(cols, "a unique constraint"));
  }
  for (const auto& ix : t.indexes) {
    if (!IsIdentifier(ix.name)) return Bad(where + ": invalid index name '" + ix.name + "'");
    if (ix.algorithm > 1) {
      return Bad(where + ": index '" + ix.name + "' has unknown algorithm " +
                 std::to_string(ix.algorithm) + " (0 btree, 1 hash)");
    }
    STDB_RETURN_IF_ERROR(check_columns(ix.columns, "index '" + ix.name + "'"));
  }
  std::set<uint16_t> seq_seen;
  for (uint16_t c : t.sequences) {
    if (c >= ncols)
      return Bad(where + ": auto-increment on unknown column index " + std::to_string(c));
    if (!seq_seen.insert(c).second) {
      return Bad(where + ": auto-increment declared twice on column " + column_name(c));
    }
    const auto& type = column_type(c);
    if (!type.is_integer() || type.kind() == sats::TypeKind::kI256 ||
        type.kind() == sats::TypeKind::kU256) {
      return Bad(where + ": auto-increment column " + column_name(c) + " has type " +
                 type.ToString() + "; it must be an integer of at most 128 bits");
    }
  }
  if (t.schedule) {
    const auto& sch = *t.schedule;
    if (sch.at_column >= ncols) {
      return Bad(where + ": schedule column index " + std::to_string(sch.at_column) +
                 " out of range");
    }
    if (!column_type(sch.at_column).is_schedule_at()) {
      return Bad(where + ": schedule column " + column_name(sch.at_column) + " has type " +
                 column_type(sch.at_column).ToString() +
                 "; a schedule table needs a ScheduleAt column");
    }
    if (!t.primary_key) return Bad(where + ": a schedule table needs a primary key (scheduled_id)");
  }
  return Status::Ok();
}

// Checks a schedule table's reducer: it exists, is not a lifecycle reducer, and takes the
// table's row as its only parameter.
Status ValidateSchedule(const ModuleDef& def, const TableDef& t) {
  const std::string where = "schedule table '" + t.name + "'";
  auto id = def.FindReducer(t.schedule->reducer);
  if (!id) return Bad(where + ": reducer '" + t.schedule->reducer + "' does not exist");
  const ReducerDef& r = def.reducers[*id];
  if (r.lifecycle != Lifecycle::kNone) {
    return Bad(where + ": reducer '" + r.name + "' is a lifecycle reducer");
  }
  if (r.params.elements().size() != 1 || r.params.elements()[0].type != t.row_type) {
    return Bad(where + ": reducer '" + r.name +
               "' must take exactly one parameter of the table's row type " +
               t.row_type.ToString());
  }
  return Status::Ok();
}

}  // namespace

std::string_view LifecycleName(Lifecycle lifecycle) {
  switch (lifecycle) {
    case Lifecycle::kNone:
      return "";
    case Lifecycle::kInit:
      return "init";
    case Lifecycle::kClientConnected:
      return "client_connected";
    case Lifecycle::kClientDisconnected:
      return "client_disconnected";
  }
  return "";
}

std::optional<uint32_t> ModuleDef::FindReducer(std::string_view name) const {
  for (uint32_t i = 0; i < reducers.size(); ++i) {
    if (reducers[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<uint32_t> ModuleDef::FindLifecycle(Lifecycle lifecycle) const {
  for (uint32_t i = 0; i < reducers.size(); ++i) {
    if (reducers[i].lifecycle == lifecycle) return i;
  }
  return std::nullopt;
}

std::vector<store::TableSchema> ModuleDef::TableSchemas() const {
  std::vector<store::TableSchema> out;
  for (uint32_t i = 0; i < tables.size(); ++i) {
    const TableDef& t = tables[i];
    store::TableSchema schema;
    schema.table_id = i;
    schema.name = t.name;
    schema.row_type = t.row_type;
    schema.primary_key = t.primary_key;
    schema.is_public = t.is_public;
    for (const auto& ix : t.indexes) {
      schema.indexes.push_back(store::IndexSchema{
          ix.name, ix.algorithm == 1 ? store::IndexAlgorithm::kHash : store::IndexAlgorithm::kBTree,
          ix.columns, false});
    }
    store::NormaliseIndexes(schema, t.unique_columns);
    schema.sequences = t.sequences;
    if (t.schedule)
      schema.schedule = store::ScheduleSchema{t.schedule->reducer, t.schedule->at_column};
    out.push_back(std::move(schema));
  }
  return out;
}

Result<ModuleDef> DecodeModuleDef(ByteView bytes) {
  if (bytes.size() > kModuleDefBytesMax) return Bad("module schema is too large");
  DefReader r(bytes);
  ModuleDef def;
  if (!r.U32(def.version)) return Truncated("version");
  if (def.version != kModuleDefVersion) {
    return Bad("module schema version " + std::to_string(def.version) +
               " is not supported (expected " + std::to_string(kModuleDefVersion) + ")");
  }
  uint32_t n = 0;
  if (!r.Count(n)) return Truncated("table count");
  for (uint32_t i = 0; i < n; ++i) {
    STDB_ASSIGN_OR_RETURN(auto t, ReadTable(r));
    def.tables.push_back(std::move(t));
  }
  if (!r.Count(n)) return Truncated("reducer count");
  for (uint32_t i = 0; i < n; ++i) {
    ReducerDef rd;
    if (!r.String(rd.name)) return Truncated("reducer name");
    auto params = r.Type();
    if (!params.ok()) return Truncated("parameters of reducer '" + rd.name + "'");
    rd.params = std::move(params).value();
    uint8_t lc = 0;
    if (!r.U8(lc) || lc > kLifecycleMax) return Truncated("lifecycle of reducer '" + rd.name + "'");
    rd.lifecycle = static_cast<Lifecycle>(lc);
    def.reducers.push_back(std::move(rd));
  }
  if (!r.at_end()) return Bad("malformed module schema: trailing bytes");
  return def;
}

Bytes EncodeModuleDef(const ModuleDef& def) {
  Bytes out;
  ByteWriter w(out);
  auto u16s = [&](const std::vector<uint16_t>& v) {
    w.U32(static_cast<uint32_t>(v.size()));
    for (uint16_t c : v) w.U16(c);
  };
  w.U32(def.version);
  w.U32(static_cast<uint32_t>(def.tables.size()));
  for (const auto& t : def.tables) {
    w.String(t.name);
    sats::EncodeType(t.row_type, out);
    if (t.primary_key) {
      w.U8(0);
      w.U16(*t.primary_key);
    } else {
      w.U8(1);
    }
    w.U8(t.is_public ? 1 : 0);
    w.U32(static_cast<uint32_t>(t.unique_columns.size()));
    for (const auto& cols : t.unique_columns) u16s(cols);
    w.U32(static_cast<uint32_t>(t.indexes.size()));
    for (const auto& idx : t.indexes) {
      w.String(idx.name);
      w.U8(idx.algorithm);
      u16s(idx.columns);
    }
    u16s(t.sequences);
    if (t.schedule) {
      w.U8(0);
      w.String(t.schedule->reducer);
      w.U16(t.schedule->at_column);
    } else {
      w.U8(1);
    }
  }
  w.U32(static_cast<uint32_t>(def.reducers.size()));
  for (const auto& r : def.reducers) {
    w.String(r.name);
    sats::EncodeType(r.params, out);
    w.U8(static_cast<uint8_t>(r.lifecycle));
  }
  return out;
}

Status ValidateModuleDef(const ModuleDef& def) {
  std::set<std::string> names;
  for (const auto& t : def.tables) {
    if (!names.insert(t.name).second) return Bad("duplicate table name '" + t.name + "'");
    STDB_RETURN_IF_ERROR(ValidateTable(t));
  }
  names.clear();
  std::set<Lifecycle> lifecycles;
  for (const auto& r : def.reducers) {
    const std::string where = "reducer '" + r.name + "'";
    if (!IsIdentifier(r.name)) return Bad("invalid reducer name '" + r.name + "'");
    if (!names.insert(r.name).second) return Bad("duplicate reducer name '" + r.name + "'");
    if (!r.params.is_product()) return Bad(where + ": parameters are not a product");
    if (ContainsRef(r.params)) return Bad(where + ": parameters use a type reference");
    if (r.lifecycle != Lifecycle::kNone) {
      if (!lifecycles.insert(r.lifecycle).second) {
        return Bad("more than one " + std::string(LifecycleName(r.lifecycle)) + " reducer");
      }
      if (!r.params.elements().empty()) {
        return Bad(where + ": lifecycle reducers take no parameters");
      }
    }
  }
  // Index names are unique across the module, implicit ones (for unique constraints)
  // included.
  names.clear();
  for (const auto& schema : def.TableSchemas()) {
    for (const auto& ix : schema.indexes) {
      if (!names.insert(ix.name).second) return Bad("duplicate index name '" + ix.name + "'");
    }
  }
  for (const auto& t : def.tables) {
    if (t.schedule) STDB_RETURN_IF_ERROR(ValidateSchedule(def, t));
  }
  return Status::Ok();
}

sats::Json ModuleDefToJson(const ModuleDef& def) {
  using sats::Json;
  Json tables = Json::array();
  const std::vector<store::TableSchema> schemas = def.TableSchemas();
  size_t out_index = 0;
  for (const auto& t : def.tables) {
    Json columns = Json::array();
    for (const auto& el : t.row_type.elements()) {
      columns.push_back(Json{{"name", el.name.value_or("")},
                             {"type", sats::TypeToJson(el.type)},
                             {"type_name", el.type.ToString()}});
    }
    Json pk = Json::array();
    if (t.primary_key) pk.push_back(*t.row_type.elements()[*t.primary_key].name);
    auto names_of = [&](const std::vector<uint16_t>& cols) {
      Json out = Json::array();
      for (uint16_t c : cols) out.push_back(*t.row_type.elements()[c].name);
      return out;
    };
    tables.push_back(Json{{"name", t.name},
                          {"columns", columns},
                          {"primary_key", pk},
                          {"public", t.is_public},
                          {"indexes", Json::array()},
                          {"sequences", names_of(t.sequences)},
                          {"schedule", nullptr}});
    Json& out = tables.back();
    const store::TableSchema& schema = schemas[out_index++];
    for (const auto& ix : schema.indexes) {
      out["indexes"].push_back(
          Json{{"name", ix.name},
               {"algorithm", ix.algorithm == store::IndexAlgorithm::kHash ? "hash" : "btree"},
               {"columns", names_of(ix.columns)},
               {"unique", ix.unique}});
    }
    if (t.schedule) {
      out["schedule"] = Json{{"reducer", t.schedule->reducer},
                             {"column", *t.row_type.elements()[t.schedule->at_column].name}};
    }
  }
  Json reducers = Json::array();
  for (const auto& r : def.reducers) {
    Json params = Json::array();
    for (const auto& el : r.params.elements()) {
      params.push_back(Json{{"name", el.name.value_or("")},
                            {"type", sats::TypeToJson(el.type)},
                            {"type_name", el.type.ToString()}});
    }
    Json lifecycle = r.lifecycle == Lifecycle::kNone
                         ? Json(nullptr)
                         : Json(std::string(LifecycleName(r.lifecycle)));
    reducers.push_back(Json{{"name", r.name}, {"params", params}, {"lifecycle", lifecycle}});
  }
  return Json{{"version", def.version}, {"tables", tables}, {"reducers", reducers}};
}

}  // namespace stdb::module
