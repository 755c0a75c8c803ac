// ModuleHost: loads a module shared library and runs its reducers against a transaction
// through the C ABI in sdk/module/include/stdb/abi.h (docs/module-abi.md).
//
// Thread safety: a ModuleHost is used by one database worker thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "base/int256.h"
#include "base/status.h"
#include "module/schema.h"
#include "store/tx.h"

namespace stdb::module {

enum class LogLevel : uint8_t { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };
std::string_view LogLevelName(LogLevel level);

// Receives the log lines a reducer writes.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(LogLevel level, std::string_view message) = 0;
};

// What a reducer may know about its call besides its arguments.
struct ReducerContext {
  U256 sender;
  u128 connection_id = 0;  // 0: none
  int64_t timestamp_micros = 0;
  uint64_t rng_seed = 0;
  U256 module_identity;
};

// Bounded: one scan batch handed to the module holds about this many bytes.
inline constexpr size_t kScanBatchBytes = 64 << 10;
// Bounded: a reducer may hold this many open scans at once.
inline constexpr size_t kOpenScansMax = 1024;

class ModuleHost {
 public:
  // Loads the module at `path`: checks it is an ELF shared object, loads it, checks the
  // exports and ABI version, reads and validates its schema. Fails with kBadModule (or
  // kUnsupported for a schema feature this server does not implement yet) and a message
  // saying what is wrong; nothing stays loaded on failure.
  static Result<std::unique_ptr<ModuleHost>> Load(const std::filesystem::path& path);
  ~ModuleHost();
  ModuleHost(const ModuleHost&) = delete;
  ModuleHost& operator=(const ModuleHost&) = delete;

  const ModuleDef& def() const { return def_; }

  // Runs reducer `reducer_id` inside `tx`. `args` must be the BSATN product of the
  // reducer's parameters; malformed arguments fail with kInvalidArgument before the
  // module runs. A reducer error (returned or thrown) yields kReducerError with the
  // module's message. The caller commits on OK and rolls `tx` back otherwise.
  Status CallReducer(store::Transaction& tx, uint32_t reducer_id, const ReducerContext& ctx,
                     ByteView args, LogSink& log);

 private:
  struct Exports;
  ModuleHost(void* handle, std::unique_ptr<Exports> exports, ModuleDef def);

  void* handle_;
  std::unique_ptr<Exports> exports_;
  ModuleDef def_;
};

}  // namespace stdb::module
