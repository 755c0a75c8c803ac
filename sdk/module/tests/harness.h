// Test harness for the module SDK: loads a module .so through the C ABI, decodes its
// ModuleDef with the server's SATS library (stdb::sats::DecodeType), and runs its
// reducers against FakeHost, an in-memory StdbHost.
//
// The interface uses only the standard library and stdb/abi.h, and the implementation
// (harness.cc) is the only place that includes the server's headers, so a test file can
// include the SDK headers without also seeing the server's types of the same names.
//
// FakeHost checks rows and keys against the decoded schema with the server's BSATN
// validator, so every byte the SDK sends is checked by the decoder the server uses.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stdb/abi.h"

namespace stdb_test {

using Bytes = std::vector<uint8_t>;

struct IndexSchema {
  std::string name;
  uint8_t algorithm = 0;  // 0 btree, 1 hash
  std::vector<uint16_t> columns;

  friend bool operator==(const IndexSchema&, const IndexSchema&) = default;
};

struct ScheduleSchema {
  std::string reducer;
  uint16_t at_column = 0;

  friend bool operator==(const ScheduleSchema&, const ScheduleSchema&) = default;
};

struct TableSchema {
  std::string name;
  std::string row_type;  // the server's AlgebraicType::ToString()
  std::optional<uint16_t> primary_key;
  bool is_public = false;
  std::vector<std::vector<uint16_t>> unique_columns;
  std::vector<IndexSchema> indexes;
  std::vector<uint16_t> sequences;
  std::optional<ScheduleSchema> schedule;
};

struct ReducerSchema {
  std::string name;
  std::string params;  // the server's AlgebraicType::ToString()
  uint8_t lifecycle = 0;
};

struct ModuleSchema {
  uint32_t version = 0;
  std::vector<TableSchema> tables;
  std::vector<ReducerSchema> reducers;
};

// Decodes a BSATN ModuleDef (docs/module-abi.md) with the server's type decoder. Returns
// std::nullopt and sets *error if it does not decode exactly.
std::optional<ModuleSchema> DecodeModuleDef(const Bytes& bytes, std::string* error);

// The server's view of SDK-produced bytes: the type decoded by sats::DecodeType and the
// value decoded by sats::DecodeBsatnExact, then encoded again by the server.
struct ServerView {
  std::string error;  // empty on success
  std::string type;   // AlgebraicType::ToString()
  Bytes reencoded;    // the server's BSATN of the decoded value
};
ServerView DecodeWithServer(const Bytes& type_bytes, const Bytes& value_bytes);

// A module shared library opened with dlopen, as the server opens one.
class LoadedModule {
 public:
  // Throws std::runtime_error with dlerror() if the library or an export is missing.
  explicit LoadedModule(const std::string& path);
  ~LoadedModule();
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;

  uint32_t AbiVersion() const { return abi_version_(); }
  Bytes Describe() const;

  struct CallResult {
    int32_t code = -1;
    std::string error;
  };
  CallResult Call(const StdbHost* host, uint32_t reducer_id, const StdbReducerContext& ctx,
                  const Bytes& args) const;

  // dlsym of any name, for visibility checks.
  void* Symbol(const char* name) const;

 private:
  void* handle_ = nullptr;
  StdbAbiVersionFn abi_version_ = nullptr;
  StdbDescribeFn describe_ = nullptr;
  StdbCallReducerFn call_reducer_ = nullptr;
};

// An in-memory StdbHost for one module. Tables start empty; rows are stored as BSATN.
// Semantics follow abi.h: identical inserts are no-ops, unique indexes (primary keys
// included) reject duplicates, sequences fill in zeros, scans see the rows present at
// iter_start (or index_scan_start) that are still present when their batch is made.
// Index ids and range bytes follow docs/module-abi.md (fake_table.h).
class FakeHost {
 public:
  // REQUIRES: module_def decodes (DecodeModuleDef).
  explicit FakeHost(const Bytes& module_def);
  ~FakeHost();
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // Valid while this FakeHost lives. Host calls must not overlap (one call at a time).
  const StdbHost* host() const;

  // Rows per iter_next batch (default 16).
  void set_batch_rows(size_t rows);
  // If true (default), the last batch carries exhausted = 1; if false, exhaustion is
  // reported by one more call that returns no rows.
  void set_exhausted_with_last_batch(bool value);
  // Makes iter_next return an empty batch that is not exhausted: a host bug the SDK must
  // turn into an error rather than an endless loop.
  void set_empty_batch_bug(bool value);

  const std::vector<Bytes>& Rows(std::string_view table) const;
  // Replaces the table's rows (test setup), bypassing validation.
  void SetRows(std::string_view table, std::vector<Bytes> rows);

  struct LogLine {
    uint32_t level;
    std::string text;
  };
  const std::vector<LogLine>& logs() const;
  void ClearLogs();

  // The range bytes of the last index_scan_start or index_delete call.
  const Bytes& last_range() const;

  size_t scans_started() const;
  size_t scans_open() const;
  size_t iter_next_calls() const;
  // iter_close calls for ids that were never started or already closed.
  size_t bad_closes() const;

  // Copies the table contents, to restore after a failed reducer as the real host's
  // rollback does.
  std::map<std::string, std::vector<Bytes>> Snapshot() const;
  void Restore(const std::map<std::string, std::vector<Bytes>>& snapshot);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A reducer context with recognizable fields: sender bytes all `sender_byte`,
// connection id bytes all `connection_byte` (0 = none), and the given time and seed.
StdbReducerContext MakeContext(uint8_t sender_byte = 0x11, uint8_t connection_byte = 0x22,
                               int64_t timestamp_micros = 1'700'000'000'000'000,
                               uint64_t rng_seed = 42);

// A loaded module, its decoded schema and a fresh FakeHost, with calls by reducer name.
// A failed call restores the tables to their state before it, like the server's
// rollback.
class ModuleRunner {
 public:
  explicit ModuleRunner(const std::string& path);

  LoadedModule::CallResult Call(std::string_view reducer, const Bytes& args = {},
                                const StdbReducerContext& ctx = MakeContext());

  const ModuleSchema& schema() const { return schema_; }
  FakeHost& host() { return *host_; }
  LoadedModule& module() { return module_; }

 private:
  LoadedModule module_;
  ModuleSchema schema_;
  std::unique_ptr<FakeHost> host_;
};

}  // namespace stdb_test
