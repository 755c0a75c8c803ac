// The module's registry of tables and reducers, filled by the static registrars that
// STDB_TABLE, STDB_PRIMARY_KEY, STDB_UNIQUE, STDB_INDEX, STDB_AUTO_INC, STDB_SCHEDULE and
// STDB_REDUCER (and the lifecycle macros) define, and its encoding as the BSATN ModuleDef
// (docs/module-abi.md).
//
// Invariants: table ids and reducer ids are indexes into the registry's vectors, which
// are the order of the ModuleDef's arrays; a table's index ids are indexes into its
// TableEntry::indexes, which is the TableDef's `indexes` array. Every unique column (the
// primary key included) has an entry in `indexes`, so the host adds no implicit index and
// the ids the SDK hands out are the host's ("Index ids" in docs/module-abi.md). Entries
// are only appended, during static initialization, before the host can call
// stdb_describe or stdb_call_reducer.
//
// Thread safety: written only during static initialization; read-only afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stdb/bsatn.h"

namespace stdb {
inline namespace module_sdk {

class ReducerContext;
class Outcome;

namespace detail {

// ModuleDef.version this SDK writes.
inline constexpr uint32_t kModuleDefVersion = 1;

// ReducerDef.lifecycle values.
enum class Lifecycle : uint8_t {
  kNone = 0,
  kInit = 1,
  kClientConnected = 2,
  kClientDisconnected = 3,
};

// IndexDef.algorithm values.
enum class IndexKind : uint8_t { kBTree = 0, kHash = 1 };

struct IndexEntry {
  std::string name;
  IndexKind algorithm;
  std::vector<uint16_t> columns;
  // Declared by STDB_PRIMARY_KEY or STDB_UNIQUE (for the constraint) rather than by
  // STDB_INDEX; a second constraint on the same column reuses it.
  bool for_constraint = false;
};

struct ScheduleEntry {
  std::string_view reducer;
  uint16_t at_column;
};

struct TableEntry {
  std::string_view name;
  void (*write_row_type)(bsatn::Writer&);
  bool is_public;
  std::optional<uint16_t> primary_key;                // column index
  std::vector<std::vector<uint16_t>> unique_columns;  // STDB_UNIQUE, in order
  std::vector<IndexEntry> indexes;                    // position == index id
  std::vector<uint16_t> sequences;                    // STDB_AUTO_INC columns
  std::optional<ScheduleEntry> schedule;
};

struct ReducerEntry;

// Decodes the arguments from `args`, runs the reducer and returns its Outcome. Throws
// what the reducer throws, or ReducerError for arguments that do not decode;
// stdb_call_reducer catches everything.
using ReducerInvoker = Outcome (*)(const ReducerEntry&, ReducerContext&, bsatn::Reader& args);

struct ReducerEntry {
  std::string_view name;
  std::string_view param_names;  // the stringized STDB_REDUCER names, "a, b"
  void (*write_params_type)(bsatn::Writer&, std::string_view param_names);
  ReducerInvoker invoke;
  Lifecycle lifecycle;
};

struct Registry {
  std::vector<TableEntry> tables;
  std::vector<ReducerEntry> reducers;
};

// A function-local static so that registrars in any translation unit, running in any
// order during static initialization, find it constructed.
inline Registry& GetRegistry() {
  static Registry registry;
  return registry;
}

inline void WriteU16Array(bsatn::Writer& w, const std::vector<uint16_t>& values) {
  w.count(values.size());
  for (uint16_t v : values) w.u16(v);
}

// Appends the BSATN ModuleDef of `registry` to `out`.
inline void WriteModuleDef(const Registry& registry, std::vector<uint8_t>& out) {
  bsatn::Writer w(out);
  w.u32(kModuleDefVersion);
  w.u32(static_cast<uint32_t>(registry.tables.size()));
  for (const TableEntry& t : registry.tables) {
    w.string(t.name);
    t.write_row_type(w);
    if (t.primary_key.has_value()) {
      w.u8(0);
      w.u16(*t.primary_key);
    } else {
      w.u8(1);
    }
    w.u8(t.is_public ? 1 : 0);
    w.count(t.unique_columns.size());
    for (const std::vector<uint16_t>& columns : t.unique_columns) WriteU16Array(w, columns);
    w.count(t.indexes.size());
    for (const IndexEntry& index : t.indexes) {
      w.string(index.name);
      w.u8(static_cast<uint8_t>(index.algorithm));
      WriteU16Array(w, index.columns);
    }
    WriteU16Array(w, t.sequences);
    if (t.schedule.has_value()) {
      w.u8(0);
      w.string(t.schedule->reducer);
      w.u16(t.schedule->at_column);
    } else {
      w.u8(1);
    }
  }
  w.u32(static_cast<uint32_t>(registry.reducers.size()));
  for (const ReducerEntry& r : registry.reducers) {
    w.string(r.name);
    r.write_params_type(w, r.param_names);
    w.u8(static_cast<uint8_t>(r.lifecycle));
  }
}

}  // namespace detail
}  // namespace module_sdk
}  // namespace stdb
