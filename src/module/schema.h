// ModuleDef: a module's schema, as returned by stdb_describe (BSATN layout in
// docs/module-abi.md), decoded, validated and turned into store schemas.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "sats/json.h"
#include "sats/types.h"
#include "store/schema.h"

namespace stdb::module {

inline constexpr uint32_t kModuleDefVersion = 1;

struct IndexDef {
  std::string name;
  uint8_t algorithm = 0;  // 0 btree, 1 hash
  std::vector<uint16_t> columns;
};

struct ScheduleDef {
  std::string reducer;
  uint16_t at_column = 0;
};

struct TableDef {
  std::string name;
  sats::AlgebraicType row_type;
  std::optional<uint16_t> primary_key;
  bool is_public = true;
  std::vector<std::vector<uint16_t>> unique_columns;
  std::vector<IndexDef> indexes;
  std::vector<uint16_t> sequences;
  std::optional<ScheduleDef> schedule;
};

enum class Lifecycle : uint8_t {
  kNone = 0,
  kInit = 1,
  kClientConnected = 2,
  kClientDisconnected = 3,
};
inline constexpr uint8_t kLifecycleMax = 3;

struct ReducerDef {
  std::string name;
  sats::AlgebraicType params;  // a Product; element names are parameter names
  Lifecycle lifecycle = Lifecycle::kNone;
};

struct ModuleDef {
  uint32_t version = kModuleDefVersion;
  std::vector<TableDef> tables;
  std::vector<ReducerDef> reducers;

  std::optional<uint32_t> FindReducer(std::string_view name) const;
  std::optional<uint32_t> FindLifecycle(Lifecycle lifecycle) const;
  // One store schema per table; table ids are indexes into `tables`.
  std::vector<store::TableSchema> TableSchemas() const;
};

// Bounded: a schema larger than this is rejected before decoding.
inline constexpr size_t kModuleDefBytesMax = 16 << 20;

Result<ModuleDef> DecodeModuleDef(ByteView bytes);
Bytes EncodeModuleDef(const ModuleDef& def);

// Checks the rules in docs/module-abi.md ("Validation at publish"). The message names
// the table or reducer and the problem.
Status ValidateModuleDef(const ModuleDef& def);

// The schema as served by GET /v1/database/:name/schema (docs/http-api.md).
sats::Json ModuleDefToJson(const ModuleDef& def);

std::string_view LifecycleName(Lifecycle lifecycle);

}  // namespace stdb::module
