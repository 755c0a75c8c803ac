#include "module/schema.h"

#include <set>

#include "sats/bsatn.h"

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
  // Reads an Array count, bounded by the bytes left (each element takes >= 1 byte).
  bool Count(uint32_t& n) { return r_.Fixed(n) && n <= r_.remaining(); }
  bool U16Array(std::vector<uint16_t>& out) {
    uint32_t n = 0;
    if (!Count(n)) return false;
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
  if (!r.Count(n)) return Truncated("unique constraints of table '" + t.name + "'");
  t.unique_columns.resize(n);
  for (auto& cols : t.unique_columns) {
    if (!r.U16Array(cols)) return Truncated("unique constraints of table '" + t.name + "'");
  }
  if (!r.Count(n)) return Truncated("indexes of table '" + t.name + "'");
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
  if (t.primary_key && *t.primary_key >= t.row_type.elements().size()) {
    return Bad(where + ": primary key column index " + std::to_string(*t.primary_key) +
               " out of range");
  }
  // Part of the format for issue 3; refused until implemented.
  if (!t.unique_columns.empty()) return Unsupported(where + ": unique constraints are not supported yet");
  if (!t.indexes.empty()) return Unsupported(where + ": indexes are not supported yet");
  if (!t.sequences.empty()) return Unsupported(where + ": auto-increment columns are not supported yet");
  if (t.schedule) return Unsupported(where + ": schedule tables are not supported yet");
  return Status::Ok();
}

}  // namespace

std::string_view LifecycleName(Lifecycle lifecycle) {
  switch (lifecycle) {
    case Lifecycle::kNone: return "";
    case Lifecycle::kInit: return "init";
    case Lifecycle::kClientConnected: return "client_connected";
    case Lifecycle::kClientDisconnected: return "client_disconnected";
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
    out.push_back(store::TableSchema{i, tables[i].name, tables[i].row_type, tables[i].primary_key,
                                     tables[i].is_public});
  }
  return out;
}

Result<ModuleDef> DecodeModuleDef(ByteView bytes) {
  if (bytes.size() > kModuleDefBytesMax) return Bad("module schema is too large");
  DefReader r(bytes);
  ModuleDef def;
  if (!r.U32(def.version)) return Truncated("version");
  if (def.version != kModuleDefVersion) {
    return Bad("module schema version " + std::to_string(def.version) + " is not supported (expected " +
               std::to_string(kModuleDefVersion) + ")");
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
  return Status::Ok();
}

sats::Json ModuleDefToJson(const ModuleDef& def) {
  using sats::Json;
  Json tables = Json::array();
  for (const auto& t : def.tables) {
    Json columns = Json::array();
    for (const auto& el : t.row_type.elements()) {
      columns.push_back(Json{{"name", el.name.value_or("")},
                             {"type", sats::TypeToJson(el.type)},
                             {"type_name", el.type.ToString()}});
    }
    Json pk = Json::array();
    if (t.primary_key) pk.push_back(*t.row_type.elements()[*t.primary_key].name);
    tables.push_back(Json{{"name", t.name},
                          {"columns", columns},
                          {"primary_key", pk},
                          {"public", t.is_public}});
  }
  Json reducers = Json::array();
  for (const auto& r : def.reducers) {
    Json params = Json::array();
    for (const auto& el : r.params.elements()) {
      params.push_back(Json{{"name", el.name.value_or("")},
                            {"type", sats::TypeToJson(el.type)},
                            {"type_name", el.type.ToString()}});
    }
    Json lifecycle = r.lifecycle == Lifecycle::kNone ? Json(nullptr)
                                                     : Json(std::string(LifecycleName(r.lifecycle)));
    reducers.push_back(Json{{"name", r.name}, {"params", params}, {"lifecycle", lifecycle}});
  }
  return Json{{"version", def.version}, {"tables", tables}, {"reducers", reducers}};
}

}  // namespace stdb::module
