// The module's registry of tables and reducers, filled by the static registrars that
// STDB_TABLE, STDB_PRIMARY_KEY and STDB_REDUCER (and the lifecycle macros) define, and
// its encoding as the BSATN ModuleDef (docs/module-abi.md).
//
// Invariants: table ids and reducer ids are indexes into the registry's vectors, which
// are the order of the ModuleDef's arrays; entries are only appended, during static
// initialization, before the host can call stdb_describe or stdb_call_reducer.
//
// Thread safety: written only during static initialization; read-only afterwards.
#pragma once

#include <cstdint>
#include <optional>
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

struct TableEntry {
  std::string_view name;
  void (*write_row_type)(bsatn::Writer&);
  bool is_public;
  std::optional<uint16_t> primary_key;  // column index
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
    w.u32(0);  // unique_columns
    w.u32(0);  // indexes
    w.u32(0);  // sequences
    w.u8(1);   // schedule: none
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
