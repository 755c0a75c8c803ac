#include "module/host.h"

#include <dlfcn.h>
#include <elf.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

#include "sats/bsatn.h"
#include "stdb/abi.h"
#include "store/index_range.h"

namespace stdb::module {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kTrace:
      return "trace";
  }
  return "info";
}

struct ModuleHost::Exports {
  StdbAbiVersionFn abi_version = nullptr;
  StdbDescribeFn describe = nullptr;
  StdbCallReducerFn call_reducer = nullptr;
};

namespace {

Status Bad(std::string m) { return Status(ErrorCode::kBadModule, std::move(m)); }

void AppendToBytes(void* ctx, const uint8_t* data, size_t len) {
  auto* out = static_cast<Bytes*>(ctx);
  out->insert(out->end(), data, data + len);
}

StdbSink SinkFor(Bytes& out) { return StdbSink{&out, &AppendToBytes}; }

// Checks the ELF header (magic, 64-bit, little-endian, shared object) and that the file
// holds every byte its loadable segments claim. The dynamic loader trusts the segment
// table and maps it as is: a truncated module would be mapped past the end of the file,
// and touching those pages kills the whole server with SIGBUS instead of failing dlopen.
Status CheckElf(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Bad("cannot read module file " + path.string());
  Elf64_Ehdr header{};
  in.read(reinterpret_cast<char*>(&header), sizeof(header));
  const bool short_file = in.gcount() != sizeof(header);
  if (in.gcount() < 18 || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return Bad("not a module: the file is not an ELF shared library");
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB) {
    return Bad("not a module: the file is not a 64-bit little-endian ELF object");
  }
  if (header.e_type != ET_DYN) return Bad("not a module: the ELF file is not a shared library");
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return Bad("cannot read module file " + path.string() + ": " + ec.message());
  const Status truncated = Bad("not a module: the ELF file is truncated or corrupt");
  if (short_file || header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0 ||
      header.e_phoff > file_size ||
      uint64_t{header.e_phnum} * sizeof(Elf64_Phdr) > file_size - header.e_phoff) {
    return truncated;
  }
  // The section headers sit at the end of a linked library: a file cut short anywhere
  // after its loadable segments (say, an interrupted upload of a module with debug info)
  // loses them.
  if (header.e_shoff != 0 &&
      (header.e_shoff > file_size ||
       uint64_t{header.e_shnum} * header.e_shentsize > file_size - header.e_shoff)) {
    return truncated;
  }
  in.seekg(static_cast<std::streamoff>(header.e_phoff));
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr ph{};
    in.read(reinterpret_cast<char*>(&ph), sizeof(ph));
    if (in.gcount() != sizeof(ph)) return truncated;
    if (ph.p_type == PT_LOAD &&
        (ph.p_offset > file_size || ph.p_filesz > file_size - ph.p_offset)) {
      return truncated;
    }
    // A position-independent executable is ET_DYN too, but asks for an interpreter.
    if (ph.p_type == PT_INTERP) {
      return Bad("not a module: the file is an executable program, not a shared library");
    }
  }
  return Status::Ok();
}

// Per-call state behind StdbHost.ctx.
struct CallState {
  struct Scan {
    store::TableId table;
    std::vector<store::RowId> ids;
    size_t pos = 0;
  };
  store::Transaction* tx;
  LogSink* log;
  std::string last_error;
  std::vector<std::optional<Scan>> scans;

  int32_t Fail(const Status& s) {
    last_error = s.message();
    switch (s.code()) {
      case ErrorCode::kInvalidArgument:
        return STDB_ERR_INVALID_ARGUMENT;
      case ErrorCode::kNotFound:
        return STDB_ERR_NOT_FOUND;
      case ErrorCode::kUniqueViolation:
        return STDB_ERR_UNIQUE_VIOLATION;
      case ErrorCode::kTypeMismatch:
        return STDB_ERR_TYPE_MISMATCH;
      case ErrorCode::kDecode:
        return STDB_ERR_DECODE;
      default:
        return STDB_ERR_INTERNAL;
    }
  }
  // Opens a scan over `ids` (iter_next skips those no longer live) in the lowest free
  // slot. Bounded by kOpenScansMax: beyond it the call fails and the module must close
  // scans it has finished.
  int32_t OpenScan(store::TableId table, std::vector<store::RowId> ids, uint32_t* out_iter) {
    size_t slot = 0;
    while (slot < scans.size() && scans[slot]) ++slot;
    if (slot == kOpenScansMax) {
      return Fail(InvalidArgument("too many open scans (" + std::to_string(kOpenScansMax) +
                                  "); close scans you have finished"));
    }
    if (slot == scans.size()) scans.emplace_back();
    scans[slot] = Scan{table, std::move(ids), 0};
    *out_iter = static_cast<uint32_t>(slot);
    return STDB_OK;
  }

  struct IndexRef {
    store::Table* table;
    const store::IndexSchema* index;
  };
  // Table `table_id` and its index `index_id`; kInvalidArgument naming what is missing,
  // or the index if `unique` is required and it is not unique. `what` names the call.
  Result<IndexRef> IndexOf(const char* what, uint32_t table_id, uint32_t index_id, bool unique) {
    if (table_id >= tx->store().table_count()) {
      return InvalidArgument(std::string(what) + ": no table with id " + std::to_string(table_id));
    }
    store::Table& table = tx->store().table(table_id);
    const store::TableSchema& schema = table.schema();
    if (index_id >= schema.indexes.size()) {
      return InvalidArgument(std::string(what) + ": table '" + schema.name +
                             "' has no index with id " + std::to_string(index_id) + " (it has " +
                             std::to_string(schema.indexes.size()) + ")");
    }
    const store::IndexSchema& index = schema.indexes[index_id];
    if (unique && !index.unique) {
      return InvalidArgument(std::string(what) + ": index '" + index.name + "' of table '" +
                             schema.name + "' is not unique");
    }
    return IndexRef{&table, &index};
  }
  // The range `bytes` of index `index_id` of table `table_id`, decoded and checked
  // against the index (IndexOf's errors, or kDecode).
  Result<store::IndexRange> RangeOf(const char* what, uint32_t table_id, uint32_t index_id,
                                    const uint8_t* bytes, size_t len) {
    STDB_ASSIGN_OR_RETURN(IndexRef index, IndexOf(what, table_id, index_id, /*unique=*/false));
    return store::DecodeIndexRange(index.table->schema(), index_id, ByteView(bytes, len));
  }

  Result<store::Table*> TableOf(uint32_t table_id) {
    if (table_id >= tx->store().table_count()) {
      return NotFound("no table with id " + std::to_string(table_id));
    }
    return &tx->store().table(table_id);
  }
};

CallState& State(void* ctx) { return *static_cast<CallState*>(ctx); }

// Host functions. Each is noexcept: an exception must never unwind into module frames.
int32_t HostInsert(void* ctx, uint32_t table_id, const uint8_t* row, size_t len,
                   StdbSink* out_row) noexcept {
  CallState& st = State(ctx);
  try {
    auto id = st.tx->Insert(table_id, Bytes(row, row + len));
    if (!id.ok()) return st.Fail(id.status());
    if (out_row != nullptr) {
      ByteView stored = st.tx->store().table(table_id).Get(*id);
      out_row->append(out_row->ctx, stored.data(), stored.size());
    }
    return STDB_OK;
  } catch (const std::exception& e) {
    return st.Fail(InternalError(e.what()));
  }
}

int32_t HostUpdate(void* ctx, uint32_t table_id, const uint8_t* row, size_t len) noexcept {
  CallState& st = State(ctx);
  try {
    Status s = st.tx->UpdateByPrimaryKey(table_id, Bytes(row, row + len));
    return s.ok() ? STDB_OK : st.Fail(s);
  } catch (const std::exception& e) {
    return st.Fail(InternalError(e.what()));
  }
}

int32_t HostDeleteByPk(void* ctx, uint32_t table_id, const uint8_t* key, size_t len,
                       uint32_t* out_deleted) noexcept {
  CallState& st = State(ctx);
  try {
    auto r = st.tx->DeleteByPrimaryKey(table_id, ByteView(key, len));
    if (!r.ok()) return st.Fail(r.status());
    *out_deleted = *r ? 1 : 0;
    return STDB_OK;
  } catch (const std::exception& e) {
    return st.Fail(InternalError(e.what()));
  }
}

int32_t HostDeleteRow(void* ctx, uint32_t table_id, const uint8_t* row, size_t len,
                      uint32_t* out_deleted) noexcept {
  CallState& st = State(ctx);
  try {
    auto r = st.tx->DeleteRow(table_id, ByteView(row, len));
    if (!r.ok()) return st.Fail(r.status());
    *out_deleted = *r ? 1 : 0;
    return STDB_OK;
  } catch (const std::exception& e) {
    return st.Fail(InternalError(e.what()));
  }
}

int32_t HostFindByPk(void* ctx, uint32_t table_id, const uint8_t* key, size_t len,
                     StdbSink* out_row, uint32_t* out_found) noexcept {
  CallState& st = State(ctx);
  auto table = st.TableOf(table_id);
  if (!table.ok()) return st.Fail(table.status());
  if (!(*table)->schema().primary_key) {
    return st.Fail(InvalidArgument("table '" + (*table)->schema().name + "' has no primary key"));
  }
  auto id = (*table)->FindByPrimaryKey(ByteView(key, len));
  *out_found = id ? 1 : 0;
  if (id) {
    ByteView row = (*table)->Get(*id);
    out_row->append(out_row->ctx, row.data(), row.size());
  }
  return STDB_OK;
}

int32_t HostRowCount(void* ctx, uint32_t table_id, uint64_t* out_count) noexcept {
  CallState& st = State(ctx);
  auto table = st.TableOf(table_id);
  if (!table.ok()) return st.Fail(table.status());
  *out_count = (*table)->size();
  return STDB_OK;
}

int32_t HostIterStart(void* ctx, uint32_t table_id, uint32_t* out_iter) noexcept {
  CallState& st = State(ctx);
  try {
    auto table = st.TableOf(table_id);
    if (!table.ok()) return st.Fail(table.status());
    return st.OpenScan(table_id, (*table)->LiveIds(), out_iter);
  } catch (const std::exception& e) {
    return st.Fail(InternalError(e.what()));
  }
}

// ---- ABI 2: index functions (abi.h). Unknown table or index ids and a non-unique index
// where a unique one is needed are kInvalidArgument; range bytes that do not decode
// against the index are kDecode (store::DecodeIndexRange).

int32_t HostIndexFind(void* ctx, uint32_t table_id, uint32_t index_id, const uint8_t* key,
                      size_t len, StdbSink* out_row, uint32_t* out_found) noexcept {
  CallState& st = State(ctx);
  try {
    auto index = st.IndexOf("index_find", table_id, index_id, /*unique=*/true);
    if (!index.ok()) return st.Fail(index.status());
    const store::Table& table = *index->table;
    const ByteView key_bytes(key, len);
    if (Status s = store::ValidateKey(table.schema(), index_id, key_bytes); !s.ok()) {
      return st.Fail(s);
    }
    const std::optional<store::RowId> id = table.FindUnique(index_id, key_bytes);
    *out_found = id ? 1 : 0;
    if (id) {
      const ByteView row = table.Get(*id);
      out_row->append(out_row->ctx, row.data(), row.size());
    }
    return STDB_OK;
  } catch (const std::exception& e) {
    return st.Fail(InternalError(e.what()));
  }
}

int32_t HostIndexScanStart(void* ctx, uint32_t table_id, uint32_t index_id,
                           const uint8_t* range_bytes, size_t len, uint32_t* out_iter) noexcept {
  CallState& st = State(ctx);
  try {
    auto range = st.RangeOf("index_scan_start", table_id, index_id, range_bytes, len);
    if (!range.ok()) return st.Fail(range.status());
    auto ids = st.tx->store().table(table_id).ScanIndex(index_id, *range);
    if (!ids.ok()) return st.Fail(ids.status());
    return st.OpenScan(table_id, std::move(ids).value(), out_iter);
  } catch (const std::exception& e) {
    return st.Fail(InternalError(e.what()));
  }
}

int32_t HostIndexDelete(void* ctx, uint32_t table_id, uint32_t index_id, const uint8_t* range_bytes,
                        size_t len, uint64_t* out_deleted) noexcept {
  CallState& st = State(ctx);
  try {
    auto range = st.RangeOf("index_delete", table_id, index_id, range_bytes, len);
    if (!range.ok()) return st.Fail(range.status());
    auto deleted = st.tx->DeleteByIndexRange(table_id, index_id, *range);
    if (!deleted.ok()) return st.Fail(deleted.status());
    *out_deleted = *deleted;
    return STDB_OK;
  } catch (const std::exception& e) {
    return st.Fail(InternalError(e.what()));
  }
}

int32_t HostUpdateByIndex(void* ctx, uint32_t table_id, uint32_t index_id, const uint8_t* row,
                          size_t len, StdbSink* out_row) noexcept {
  CallState& st = State(ctx);
  try {
    auto index = st.IndexOf("update_by_index", table_id, index_id, /*unique=*/true);
    if (!index.ok()) return st.Fail(index.status());
    auto id = st.tx->UpdateByIndex(table_id, index_id, Bytes(row, row + len));
    if (!id.ok()) return st.Fail(id.status());
    if (out_row != nullptr) {
      const ByteView stored = index->table->Get(*id);
      out_row->append(out_row->ctx, stored.data(), stored.size());
    }
    return STDB_OK;
  } catch (const std::exception& e) {
    return st.Fail(InternalError(e.what()));
  }
}

int32_t HostIterNext(void* ctx, uint32_t iter, StdbSink* out_rows,
                     uint32_t* out_exhausted) noexcept {
  CallState& st = State(ctx);
  if (iter >= st.scans.size() || !st.scans[iter]) {
    return st.Fail(InvalidArgument("no open scan with id " + std::to_string(iter)));
  }
  CallState::Scan& scan = *st.scans[iter];
  const store::Table& table = st.tx->store().table(scan.table);
  size_t batch_bytes = 0;
  size_t rows = 0;
  while (scan.pos < scan.ids.size() && batch_bytes < kScanBatchBytes) {
    const store::RowId id = scan.ids[scan.pos++];
    if (!table.IsLive(id)) continue;  // deleted during the scan
    ByteView row = table.Get(id);
    out_rows->append(out_rows->ctx, row.data(), row.size());
    batch_bytes += row.size();
    ++rows;
  }
  *out_exhausted = rows == 0 ? 1 : 0;
  return STDB_OK;
}

void HostIterClose(void* ctx, uint32_t iter) noexcept {
  CallState& st = State(ctx);
  if (iter < st.scans.size()) st.scans[iter].reset();
}

void HostLog(void* ctx, uint32_t level, const char* message, size_t len) noexcept {
  CallState& st = State(ctx);
  const LogLevel lvl = level <= 4 ? static_cast<LogLevel>(level) : LogLevel::kInfo;
  try {
    st.log->Write(lvl, std::string_view(message, len));
  } catch (...) {
    // A failing log sink must not fail the reducer; the line is dropped.
  }
}

void HostLastError(void* ctx, StdbSink* out) noexcept {
  CallState& st = State(ctx);
  out->append(out->ctx, reinterpret_cast<const uint8_t*>(st.last_error.data()),
              st.last_error.size());
}

}  // namespace

ModuleHost::ModuleHost(void* handle, std::unique_ptr<Exports> exports, ModuleDef def)
    : handle_(handle), exports_(std::move(exports)), def_(std::move(def)) {}

ModuleHost::~ModuleHost() {
  if (handle_ != nullptr) dlclose(handle_);
}

Result<std::unique_ptr<ModuleHost>> ModuleHost::Load(const std::filesystem::path& path) {
  STDB_RETURN_IF_ERROR(CheckElf(path));
  // Absolute: dlopen searches the library path for a name without '/', so "m.so" would
  // not be the file CheckElf just read (or would be another library of that name).
  std::error_code abs_ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, abs_ec);
  void* handle = dlopen((abs_ec ? path : absolute).c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* raw = dlerror();
    std::string err = raw != nullptr ? raw : "unknown dlopen error";
    // dlerror starts with the server-internal file path; the publisher needs the reason.
    const std::string prefix = path.string() + ": ";
    if (err.rfind(prefix, 0) == 0) err.erase(0, prefix.size());
    return Bad("cannot load module: " + err);
  }
  auto exports = std::make_unique<Exports>();
  exports->abi_version = reinterpret_cast<StdbAbiVersionFn>(dlsym(handle, STDB_EXPORT_ABI_VERSION));
  exports->describe = reinterpret_cast<StdbDescribeFn>(dlsym(handle, STDB_EXPORT_DESCRIBE));
  exports->call_reducer =
      reinterpret_cast<StdbCallReducerFn>(dlsym(handle, STDB_EXPORT_CALL_REDUCER));
  if (!exports->abi_version || !exports->describe || !exports->call_reducer) {
    dlclose(handle);
    return Bad(
        "not an stdb module: it does not export stdb_abi_version, stdb_describe and "
        "stdb_call_reducer (build it with the module SDK)");
  }
  if (const uint32_t v = exports->abi_version(); v != STDB_ABI_VERSION) {
    dlclose(handle);
    return Bad("module was built for ABI version " + std::to_string(v) + ", server speaks " +
               std::to_string(STDB_ABI_VERSION) + "; rebuild it with this server's SDK");
  }
  Bytes schema;
  StdbSink sink = SinkFor(schema);
  exports->describe(&sink);
  auto def = DecodeModuleDef(schema);
  Status valid = def.ok() ? ValidateModuleDef(*def) : def.status();
  if (!valid.ok()) {
    dlclose(handle);
    return Status(
        valid.code() == ErrorCode::kUnsupported ? ErrorCode::kUnsupported : ErrorCode::kBadModule,
        "invalid module schema: " + valid.message());
  }
  return std::unique_ptr<ModuleHost>(
      new ModuleHost(handle, std::move(exports), std::move(def).value()));
}

Status ModuleHost::CallReducer(store::Transaction& tx, uint32_t reducer_id,
                               const ReducerContext& ctx, ByteView args, LogSink& log) {
  STDB_ASSERT(reducer_id < def_.reducers.size());
  const ReducerDef& reducer = def_.reducers[reducer_id];
  if (Status s = sats::ValidateBsatn(reducer.params, args); !s.ok()) {
    return InvalidArgument("invalid arguments for reducer '" + reducer.name + "' (expected " +
                           reducer.params.ToString() + "): " + s.message());
  }
  CallState state{&tx, &log, {}, {}};
  StdbHost host{};
  host.abi_version = STDB_ABI_VERSION;
  host.ctx = &state;
  host.insert = &HostInsert;
  host.update_by_pk = &HostUpdate;
  host.delete_by_pk = &HostDeleteByPk;
  host.delete_row = &HostDeleteRow;
  host.find_by_pk = &HostFindByPk;
  host.row_count = &HostRowCount;
  host.iter_start = &HostIterStart;
  host.iter_next = &HostIterNext;
  host.iter_close = &HostIterClose;
  host.index_find = &HostIndexFind;
  host.index_scan_start = &HostIndexScanStart;
  host.index_delete = &HostIndexDelete;
  host.update_by_index = &HostUpdateByIndex;
  host.log = &HostLog;
  host.last_error = &HostLastError;

  StdbReducerContext c{};
  std::memcpy(c.sender, ctx.sender.limbs.data(), 32);
  std::memcpy(c.connection_id, &ctx.connection_id, 16);
  c.timestamp_micros = ctx.timestamp_micros;
  c.rng_seed = ctx.rng_seed;
  std::memcpy(c.module_identity, ctx.module_identity.limbs.data(), 32);

  Bytes error;
  StdbSink error_sink = SinkFor(error);
  const int32_t rc =
      exports_->call_reducer(&host, reducer_id, &c, args.data(), args.size(), &error_sink);
  if (rc == STDB_REDUCER_OK) return Status::Ok();
  std::string message(AsStringView(error));
  if (rc != STDB_REDUCER_ERROR) message = "module returned unknown status " + std::to_string(rc);
  if (message.empty()) message = "reducer '" + reducer.name + "' failed";
  return Status(ErrorCode::kReducerError, std::move(message));
}

}  // namespace stdb::module
