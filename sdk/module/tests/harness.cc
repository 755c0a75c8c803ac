#include "harness.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "base/bytes.h"
#include "fake_table.h"
#include "sats/bsatn.h"
#include "sats/types.h"

namespace stdb_test {
namespace {

using stdb::ByteReader;
using stdb::ByteView;
using stdb::sats::AlgebraicType;

struct DecodedTable {
  TableSchema schema;
  AlgebraicType row_type;
};

struct DecodedModule {
  ModuleSchema schema;
  std::vector<DecodedTable> tables;
};

// Reads a ModuleDef field by field, with the server's type decoder for the types.
class ModuleDefReader {
 public:
  explicit ModuleDefReader(const Bytes& bytes) : r_(ByteView(bytes)) {}

  // The decoded module, or std::nullopt with *error set.
  std::optional<DecodedModule> Read(std::string* error) {
    DecodedModule m;
    if (!ReadModule(m)) {
      if (error != nullptr) *error = error_;
      return std::nullopt;
    }
    return m;
  }

 private:
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  bool ReadString(std::string& out) {
    ByteView b;
    if (!r_.LengthPrefixed(b)) return false;
    out = std::string(stdb::AsStringView(b));
    return true;
  }

  bool ReadU16Array(std::vector<uint16_t>& out) {
    uint32_t n = 0;
    if (!r_.Fixed(n) || n > r_.remaining() / 2) return false;
    out.resize(n);
    for (uint16_t& v : out) {
      if (!r_.Fixed(v)) return false;
    }
    return true;
  }

  bool ReadModule(DecodedModule& m) {
    uint32_t tables = 0;
    if (!r_.Fixed(m.schema.version) || !r_.Fixed(tables)) return Fail("truncated header");
    for (uint32_t i = 0; i < tables; ++i) {
      DecodedTable t;
      if (!ReadTable(t)) return false;
      m.schema.tables.push_back(t.schema);
      m.tables.push_back(std::move(t));
    }
    uint32_t reducers = 0;
    if (!r_.Fixed(reducers)) return Fail("truncated reducer count");
    for (uint32_t i = 0; i < reducers; ++i) {
      ReducerSchema rs;
      if (!ReadString(rs.name)) return Fail("truncated reducer name");
      auto params = stdb::sats::DecodeType(r_);
      if (!params.ok()) return Fail(rs.name + ": " + params.status().ToString());
      if (!params->is_product()) return Fail(rs.name + ": params are not a product");
      rs.params = params->ToString();
      if (!r_.Fixed(rs.lifecycle)) return Fail(rs.name + ": truncated lifecycle");
      m.schema.reducers.push_back(rs);
    }
    if (!r_.at_end()) return Fail(std::to_string(r_.remaining()) + " trailing bytes");
    return true;
  }

  bool ReadTable(DecodedTable& t) {
    TableSchema& s = t.schema;
    if (!ReadString(s.name)) return Fail("truncated table name");
    auto row_type = stdb::sats::DecodeType(r_);
    if (!row_type.ok()) return Fail(s.name + ": " + row_type.status().ToString());
    t.row_type = *row_type;
    if (!t.row_type.is_product()) return Fail(s.name + ": row type is not a product");
    for (const auto& el : t.row_type.elements()) {
      if (!el.name) return Fail(s.name + ": unnamed column");
    }
    s.row_type = t.row_type.ToString();
    uint8_t tag = 0;
    if (!r_.Fixed(tag) || tag > 1) return Fail(s.name + ": bad primary_key");
    if (tag == 0) {
      uint16_t pk = 0;
      if (!r_.Fixed(pk)) return Fail(s.name + ": truncated primary_key");
      s.primary_key = pk;
    }
    uint8_t is_public = 0;
    if (!r_.Fixed(is_public) || is_public > 1) return Fail(s.name + ": bad is_public");
    s.is_public = is_public == 1;
    uint32_t n = 0;
    if (!r_.Fixed(n)) return Fail(s.name + ": truncated unique_columns");
    s.unique_columns.resize(n);
    for (auto& columns : s.unique_columns) {
      if (!ReadU16Array(columns)) return Fail(s.name + ": truncated unique_columns");
    }
    if (!r_.Fixed(n)) return Fail(s.name + ": truncated indexes");
    s.indexes.resize(n);
    for (IndexSchema& index : s.indexes) {
      if (!ReadString(index.name) || !r_.Fixed(index.algorithm) || !ReadU16Array(index.columns)) {
        return Fail(s.name + ": truncated index");
      }
    }
    if (!ReadU16Array(s.sequences)) return Fail(s.name + ": truncated sequences");
    if (!r_.Fixed(tag) || tag > 1) return Fail(s.name + ": bad schedule");
    if (tag == 0) {
      ScheduleSchema schedule;
      if (!ReadString(schedule.reducer) || !r_.Fixed(schedule.at_column)) {
        return Fail(s.name + ": truncated schedule");
      }
      s.schedule = schedule;
    }
    return true;
  }

  ByteReader r_;
  std::string error_;
};

}  // namespace

std::optional<ModuleSchema> DecodeModuleDef(const Bytes& bytes, std::string* error) {
  auto m = ModuleDefReader(bytes).Read(error);
  if (!m) return std::nullopt;
  return m->schema;
}

ServerView DecodeWithServer(const Bytes& type_bytes, const Bytes& value_bytes) {
  ServerView view;
  ByteReader r{ByteView(type_bytes)};
  auto type = stdb::sats::DecodeType(r);
  if (!type.ok()) {
    view.error = "type: " + type.status().ToString();
    return view;
  }
  if (!r.at_end()) {
    view.error = "type: trailing bytes";
    return view;
  }
  view.type = type->ToString();
  auto value = stdb::sats::DecodeBsatnExact(*type, ByteView(value_bytes));
  if (!value.ok()) {
    view.error = "value: " + value.status().ToString();
    return view;
  }
  stdb::Status st = stdb::sats::EncodeBsatn(*type, *value, view.reencoded);
  if (!st.ok()) view.error = "re-encode: " + st.ToString();
  return view;
}

// ---- LoadedModule ----

LoadedModule::LoadedModule(const std::string& path) {
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
  abi_version_ = reinterpret_cast<StdbAbiVersionFn>(Symbol(STDB_EXPORT_ABI_VERSION));
  describe_ = reinterpret_cast<StdbDescribeFn>(Symbol(STDB_EXPORT_DESCRIBE));
  call_reducer_ = reinterpret_cast<StdbCallReducerFn>(Symbol(STDB_EXPORT_CALL_REDUCER));
  if (abi_version_ == nullptr || describe_ == nullptr || call_reducer_ == nullptr) {
    dlclose(handle_);
    throw std::runtime_error("module " + path + " lacks an stdb export");
  }
}

LoadedModule::~LoadedModule() { dlclose(handle_); }

void* LoadedModule::Symbol(const char* name) const { return dlsym(handle_, name); }

static void AppendToBytes(void* ctx, const uint8_t* data, size_t len) {
  auto* out = static_cast<Bytes*>(ctx);
  out->insert(out->end(), data, data + len);
}

Bytes LoadedModule::Describe() const {
  Bytes out;
  StdbSink sink{&out, &AppendToBytes};
  describe_(&sink);
  return out;
}

LoadedModule::CallResult LoadedModule::Call(const StdbHost* host, uint32_t reducer_id,
                                            const StdbReducerContext& ctx,
                                            const Bytes& args) const {
  Bytes error;
  StdbSink sink{&error, &AppendToBytes};
  CallResult result;
  result.code = call_reducer_(host, reducer_id, &ctx, args.data(), args.size(), &sink);
  result.error.assign(error.begin(), error.end());
  return result;
}

// ---- FakeHost ----

using FakeTable = fake::Table;

struct Scan {
  uint32_t table = 0;
  std::vector<Bytes> snapshot;
  size_t next = 0;
};

struct FakeHost::Impl {
  StdbHost host{};
  std::vector<FakeTable> tables;
  std::map<uint32_t, Scan> scans;
  uint32_t next_scan_id = 1;
  std::string last_error;
  size_t batch_rows = 16;
  bool exhausted_with_last_batch = true;
  bool empty_batch_bug = false;
  std::vector<LogLine> logs;
  size_t scans_started = 0;
  size_t iter_next_calls = 0;
  size_t bad_closes = 0;
  Bytes last_range;

  int32_t Error(int32_t code, const std::string& table, const std::string& message) {
    last_error = "table '" + table + "': " + message;
    return code;
  }

  FakeTable* Table(uint32_t id) { return id < tables.size() ? &tables[id] : nullptr; }

  ByteView PkSlice(const FakeTable& t, const Bytes& row) {
    auto slice = stdb::sats::ColumnSlice(t.row_type, ByteView(row), *t.pk);
    STDB_ASSERT(slice.ok());
    return *slice;
  }

  static bool Equal(ByteView a, ByteView b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

  // The index of the row whose primary key is `key`, or -1.
  ptrdiff_t FindByKey(const FakeTable& t, ByteView key) {
    for (size_t i = 0; i < t.rows.size(); ++i) {
      if (Equal(PkSlice(t, t.rows[i]), key)) return static_cast<ptrdiff_t>(i);
    }
    return -1;
  }

  int32_t ValidateRow(const FakeTable& t, ByteView row) {
    stdb::Status st = stdb::sats::ValidateBsatn(t.row_type, row);
    if (!st.ok()) return Error(STDB_ERR_DECODE, t.name, "malformed row: " + st.message());
    return STDB_OK;
  }

  int32_t ValidateKey(const FakeTable& t, ByteView key) {
    if (!t.pk) return Error(STDB_ERR_INVALID_ARGUMENT, t.name, "no primary key");
    stdb::Status st = stdb::sats::ValidateBsatn(t.row_type.elements()[*t.pk].type, key);
    if (!st.ok()) return Error(STDB_ERR_DECODE, t.name, "malformed key: " + st.message());
    return STDB_OK;
  }

  int32_t Insert(uint32_t id, ByteView row, StdbSink* out) {
    FakeTable* t = Table(id);
    if (t == nullptr) return Error(STDB_ERR_NOT_FOUND, "#" + std::to_string(id), "no table");
    if (int32_t rc = ValidateRow(*t, row); rc != STDB_OK) return rc;
    Bytes bytes(row.begin(), row.end());
    fake::ApplySequences(*t, bytes);
    const bool exists = std::find(t->rows.begin(), t->rows.end(), bytes) != t->rows.end();
    if (!exists) {
      if (auto index = fake::UniqueConflict(*t, ByteView(bytes), std::nullopt)) {
        return Error(STDB_ERR_UNIQUE_VIOLATION, t->name,
                     "duplicate key in unique index '" + *index + "'");
      }
      t->rows.push_back(bytes);
    }
    if (out != nullptr) out->append(out->ctx, bytes.data(), bytes.size());
    return STDB_OK;
  }

  int32_t Update(uint32_t id, ByteView row) {
    FakeTable* t = Table(id);
    if (t == nullptr) return Error(STDB_ERR_NOT_FOUND, "#" + std::to_string(id), "no table");
    if (!t->pk) return Error(STDB_ERR_INVALID_ARGUMENT, t->name, "no primary key");
    if (int32_t rc = ValidateRow(*t, row); rc != STDB_OK) return rc;
    Bytes bytes(row.begin(), row.end());
    const ptrdiff_t at = FindByKey(*t, PkSlice(*t, bytes));
    if (at < 0) return Error(STDB_ERR_NOT_FOUND, t->name, "no row with that primary key");
    if (auto index = fake::UniqueConflict(*t, ByteView(bytes), static_cast<size_t>(at))) {
      return Error(STDB_ERR_UNIQUE_VIOLATION, t->name,
                   "duplicate key in unique index '" + *index + "'");
    }
    t->rows[static_cast<size_t>(at)] = std::move(bytes);
    return STDB_OK;
  }

  int32_t DeleteByPk(uint32_t id, ByteView key, uint32_t* deleted) {
    FakeTable* t = Table(id);
    if (t == nullptr) return Error(STDB_ERR_NOT_FOUND, "#" + std::to_string(id), "no table");
    if (int32_t rc = ValidateKey(*t, key); rc != STDB_OK) return rc;
    const ptrdiff_t at = FindByKey(*t, key);
    *deleted = at >= 0 ? 1 : 0;
    if (at >= 0) t->rows.erase(t->rows.begin() + at);
    return STDB_OK;
  }

  int32_t DeleteRow(uint32_t id, ByteView row, uint32_t* deleted) {
    FakeTable* t = Table(id);
    if (t == nullptr) return Error(STDB_ERR_NOT_FOUND, "#" + std::to_string(id), "no table");
    if (int32_t rc = ValidateRow(*t, row); rc != STDB_OK) return rc;
    auto it = std::find(t->rows.begin(), t->rows.end(), Bytes(row.begin(), row.end()));
    *deleted = it != t->rows.end() ? 1 : 0;
    if (it != t->rows.end()) t->rows.erase(it);
    return STDB_OK;
  }

  int32_t FindByPk(uint32_t id, ByteView key, StdbSink* out, uint32_t* found) {
    FakeTable* t = Table(id);
    if (t == nullptr) return Error(STDB_ERR_NOT_FOUND, "#" + std::to_string(id), "no table");
    if (int32_t rc = ValidateKey(*t, key); rc != STDB_OK) return rc;
    const ptrdiff_t at = FindByKey(*t, key);
    *found = at >= 0 ? 1 : 0;
    if (at >= 0) {
      const Bytes& row = t->rows[static_cast<size_t>(at)];
      out->append(out->ctx, row.data(), row.size());
    }
    return STDB_OK;
  }

  int32_t IterStart(uint32_t id, uint32_t* out_iter) {
    FakeTable* t = Table(id);
    if (t == nullptr) return Error(STDB_ERR_NOT_FOUND, "#" + std::to_string(id), "no table");
    const uint32_t scan_id = next_scan_id++;
    scans[scan_id] = Scan{id, t->rows, 0};
    ++scans_started;
    *out_iter = scan_id;
    return STDB_OK;
  }

  // The table and index for an index call, or an error code with last_error set.
  int32_t IndexOf(uint32_t table_id, uint32_t index_id, FakeTable*& t, const fake::Index*& index) {
    t = Table(table_id);
    if (t == nullptr) {
      return Error(STDB_ERR_INVALID_ARGUMENT, "#" + std::to_string(table_id), "no table");
    }
    if (index_id >= t->indexes.size()) {
      return Error(STDB_ERR_INVALID_ARGUMENT, t->name,
                   "no index with id " + std::to_string(index_id));
    }
    index = &t->indexes[index_id];
    return STDB_OK;
  }

  // Decodes `bytes` as a range of the index; an error code with last_error on failure.
  int32_t RangeOf(const FakeTable& t, const fake::Index& index, ByteView bytes, fake::Range& out) {
    last_range.assign(bytes.begin(), bytes.end());
    auto range = fake::DecodeRange(t, index, bytes);
    if (!range.ok()) {
      const bool decode = range.status().code() == stdb::ErrorCode::kDecode;
      return Error(decode ? STDB_ERR_DECODE : STDB_ERR_INVALID_ARGUMENT, t.name,
                   "index '" + index.name + "': " + range.status().message());
    }
    out = std::move(range).value();
    return STDB_OK;
  }

  // The row whose key in unique index `index` is `key`, or -1.
  static ptrdiff_t FindUnique(const FakeTable& t, const fake::Index& index, const Bytes& key) {
    for (size_t i = 0; i < t.rows.size(); ++i) {
      if (fake::KeyOf(t, index, ByteView(t.rows[i])) == key) return static_cast<ptrdiff_t>(i);
    }
    return -1;
  }

  int32_t IndexFind(uint32_t table_id, uint32_t index_id, ByteView key, StdbSink* out,
                    uint32_t* found) {
    FakeTable* t = nullptr;
    const fake::Index* index = nullptr;
    if (int32_t rc = IndexOf(table_id, index_id, t, index); rc != STDB_OK) return rc;
    if (!index->unique) {
      return Error(STDB_ERR_INVALID_ARGUMENT, t->name, "index '" + index->name + "' is not unique");
    }
    Bytes range_bytes = {static_cast<uint8_t>(index->columns.size()), 0};
    range_bytes.insert(range_bytes.end(), key.begin(), key.end());
    range_bytes.push_back(2);
    range_bytes.push_back(2);
    fake::Range range;
    if (int32_t rc = RangeOf(*t, *index, ByteView(range_bytes), range); rc != STDB_OK) return rc;
    const ptrdiff_t at = FindUnique(*t, *index, Bytes(key.begin(), key.end()));
    *found = at >= 0 ? 1 : 0;
    if (at >= 0) {
      const Bytes& row = t->rows[static_cast<size_t>(at)];
      out->append(out->ctx, row.data(), row.size());
    }
    return STDB_OK;
  }

  int32_t IndexScanStart(uint32_t table_id, uint32_t index_id, ByteView bytes, uint32_t* out_iter) {
    FakeTable* t = nullptr;
    const fake::Index* index = nullptr;
    if (int32_t rc = IndexOf(table_id, index_id, t, index); rc != STDB_OK) return rc;
    fake::Range range;
    if (int32_t rc = RangeOf(*t, *index, bytes, range); rc != STDB_OK) return rc;
    std::vector<Bytes> snapshot;
    for (size_t i : fake::Matching(*t, *index, range)) snapshot.push_back(t->rows[i]);
    const uint32_t scan_id = next_scan_id++;
    scans[scan_id] = Scan{table_id, std::move(snapshot), 0};
    ++scans_started;
    *out_iter = scan_id;
    return STDB_OK;
  }

  int32_t IndexDelete(uint32_t table_id, uint32_t index_id, ByteView bytes, uint64_t* deleted) {
    FakeTable* t = nullptr;
    const fake::Index* index = nullptr;
    if (int32_t rc = IndexOf(table_id, index_id, t, index); rc != STDB_OK) return rc;
    fake::Range range;
    if (int32_t rc = RangeOf(*t, *index, bytes, range); rc != STDB_OK) return rc;
    std::vector<size_t> doomed = fake::Matching(*t, *index, range);
    std::sort(doomed.rbegin(), doomed.rend());
    for (size_t i : doomed) t->rows.erase(t->rows.begin() + static_cast<ptrdiff_t>(i));
    *deleted = doomed.size();
    return STDB_OK;
  }

  int32_t UpdateByIndex(uint32_t table_id, uint32_t index_id, ByteView row, StdbSink* out) {
    FakeTable* t = nullptr;
    const fake::Index* index = nullptr;
    if (int32_t rc = IndexOf(table_id, index_id, t, index); rc != STDB_OK) return rc;
    if (!index->unique) {
      return Error(STDB_ERR_INVALID_ARGUMENT, t->name, "index '" + index->name + "' is not unique");
    }
    if (int32_t rc = ValidateRow(*t, row); rc != STDB_OK) return rc;
    Bytes bytes(row.begin(), row.end());
    const ptrdiff_t at = FindUnique(*t, *index, fake::KeyOf(*t, *index, row));
    if (at < 0) {
      return Error(STDB_ERR_NOT_FOUND, t->name, "no row with that key in '" + index->name + "'");
    }
    if (auto other = fake::UniqueConflict(*t, row, static_cast<size_t>(at))) {
      return Error(STDB_ERR_UNIQUE_VIOLATION, t->name,
                   "duplicate key in unique index '" + *other + "'");
    }
    t->rows[static_cast<size_t>(at)] = bytes;
    if (out != nullptr) out->append(out->ctx, bytes.data(), bytes.size());
    return STDB_OK;
  }

  int32_t IterNext(uint32_t iter, StdbSink* out, uint32_t* exhausted) {
    ++iter_next_calls;
    auto it = scans.find(iter);
    if (it == scans.end()) {
      last_error = "no scan " + std::to_string(iter);
      return STDB_ERR_NOT_FOUND;
    }
    Scan& scan = it->second;
    if (empty_batch_bug) {
      *exhausted = 0;
      return STDB_OK;
    }
    const std::vector<Bytes>& live = tables[scan.table].rows;
    size_t produced = 0;
    while (scan.next < scan.snapshot.size() && produced < batch_rows) {
      const Bytes& row = scan.snapshot[scan.next++];
      if (std::find(live.begin(), live.end(), row) == live.end()) continue;
      out->append(out->ctx, row.data(), row.size());
      ++produced;
    }
    const bool done = scan.next == scan.snapshot.size();
    *exhausted = done && (exhausted_with_last_batch || produced == 0) ? 1 : 0;
    return STDB_OK;
  }

  void IterClose(uint32_t iter) {
    if (scans.erase(iter) == 0) ++bad_closes;
  }
};

namespace {

FakeHost::Impl* ImplOf(void* ctx) { return static_cast<FakeHost::Impl*>(ctx); }

ByteView View(const uint8_t* data, size_t len) { return ByteView(data, len); }

}  // namespace

FakeHost::FakeHost(const Bytes& module_def) : impl_(std::make_unique<Impl>()) {
  std::string error;
  auto decoded = ModuleDefReader(module_def).Read(&error);
  STDB_ASSERT_MSG(decoded.has_value(), error.c_str());
  for (const DecodedTable& t : decoded->tables) {
    impl_->tables.push_back(fake::MakeTable(t.schema, t.row_type));
  }
  StdbHost& h = impl_->host;
  h.abi_version = STDB_ABI_VERSION;
  h.ctx = impl_.get();
  h.insert = [](void* ctx, uint32_t table, const uint8_t* row, size_t len, StdbSink* out) {
    return ImplOf(ctx)->Insert(table, View(row, len), out);
  };
  h.update_by_pk = [](void* ctx, uint32_t table, const uint8_t* row, size_t len) {
    return ImplOf(ctx)->Update(table, View(row, len));
  };
  h.delete_by_pk = [](void* ctx, uint32_t table, const uint8_t* key, size_t len,
                      uint32_t* deleted) {
    return ImplOf(ctx)->DeleteByPk(table, View(key, len), deleted);
  };
  h.delete_row = [](void* ctx, uint32_t table, const uint8_t* row, size_t len, uint32_t* deleted) {
    return ImplOf(ctx)->DeleteRow(table, View(row, len), deleted);
  };
  h.find_by_pk = [](void* ctx, uint32_t table, const uint8_t* key, size_t len, StdbSink* out,
                    uint32_t* found) {
    return ImplOf(ctx)->FindByPk(table, View(key, len), out, found);
  };
  h.row_count = [](void* ctx, uint32_t table, uint64_t* count) {
    FakeTable* t = ImplOf(ctx)->Table(table);
    if (t == nullptr) return ImplOf(ctx)->Error(STDB_ERR_NOT_FOUND, "?", "no table");
    *count = t->rows.size();
    return int32_t{STDB_OK};
  };
  h.iter_start = [](void* ctx, uint32_t table, uint32_t* iter) {
    return ImplOf(ctx)->IterStart(table, iter);
  };
  h.iter_next = [](void* ctx, uint32_t iter, StdbSink* out, uint32_t* exhausted) {
    return ImplOf(ctx)->IterNext(iter, out, exhausted);
  };
  h.iter_close = [](void* ctx, uint32_t iter) { ImplOf(ctx)->IterClose(iter); };
  h.index_find = [](void* ctx, uint32_t table, uint32_t index, const uint8_t* key, size_t len,
                    StdbSink* out, uint32_t* found) {
    return ImplOf(ctx)->IndexFind(table, index, View(key, len), out, found);
  };
  h.index_scan_start = [](void* ctx, uint32_t table, uint32_t index, const uint8_t* range,
                          size_t len, uint32_t* iter) {
    return ImplOf(ctx)->IndexScanStart(table, index, View(range, len), iter);
  };
  h.index_delete = [](void* ctx, uint32_t table, uint32_t index, const uint8_t* range, size_t len,
                      uint64_t* deleted) {
    return ImplOf(ctx)->IndexDelete(table, index, View(range, len), deleted);
  };
  h.update_by_index = [](void* ctx, uint32_t table, uint32_t index, const uint8_t* row, size_t len,
                         StdbSink* out) {
    return ImplOf(ctx)->UpdateByIndex(table, index, View(row, len), out);
  };
  h.log = [](void* ctx, uint32_t level, const char* message, size_t len) {
    ImplOf(ctx)->logs.push_back(LogLine{level, std::string(message, len)});
  };
  h.last_error = [](void* ctx, StdbSink* out) {
    const std::string& m = ImplOf(ctx)->last_error;
    out->append(out->ctx, reinterpret_cast<const uint8_t*>(m.data()), m.size());
  };
}

FakeHost::~FakeHost() = default;

const StdbHost* FakeHost::host() const { return &impl_->host; }
void FakeHost::set_batch_rows(size_t rows) { impl_->batch_rows = rows; }
void FakeHost::set_exhausted_with_last_batch(bool value) {
  impl_->exhausted_with_last_batch = value;
}
void FakeHost::set_empty_batch_bug(bool value) { impl_->empty_batch_bug = value; }

const std::vector<Bytes>& FakeHost::Rows(std::string_view table) const {
  for (const FakeTable& t : impl_->tables) {
    if (t.name == table) return t.rows;
  }
  throw std::out_of_range("no table " + std::string(table));
}

void FakeHost::SetRows(std::string_view table, std::vector<Bytes> rows) {
  for (FakeTable& t : impl_->tables) {
    if (t.name == table) {
      t.rows = std::move(rows);
      return;
    }
  }
  throw std::out_of_range("no table " + std::string(table));
}

const std::vector<FakeHost::LogLine>& FakeHost::logs() const { return impl_->logs; }
void FakeHost::ClearLogs() { impl_->logs.clear(); }
const Bytes& FakeHost::last_range() const { return impl_->last_range; }
size_t FakeHost::scans_started() const { return impl_->scans_started; }
size_t FakeHost::scans_open() const { return impl_->scans.size(); }
size_t FakeHost::iter_next_calls() const { return impl_->iter_next_calls; }
size_t FakeHost::bad_closes() const { return impl_->bad_closes; }

std::map<std::string, std::vector<Bytes>> FakeHost::Snapshot() const {
  std::map<std::string, std::vector<Bytes>> out;
  for (const FakeTable& t : impl_->tables) out[t.name] = t.rows;
  return out;
}

void FakeHost::Restore(const std::map<std::string, std::vector<Bytes>>& snapshot) {
  for (FakeTable& t : impl_->tables) t.rows = snapshot.at(t.name);
}

StdbReducerContext MakeContext(uint8_t sender_byte, uint8_t connection_byte,
                               int64_t timestamp_micros, uint64_t rng_seed) {
  StdbReducerContext ctx{};
  std::memset(ctx.sender, sender_byte, sizeof(ctx.sender));
  std::memset(ctx.connection_id, connection_byte, sizeof(ctx.connection_id));
  ctx.timestamp_micros = timestamp_micros;
  ctx.rng_seed = rng_seed;
  std::memset(ctx.module_identity, 0xd0, sizeof(ctx.module_identity));
  return ctx;
}

// ---- ModuleRunner ----

ModuleRunner::ModuleRunner(const std::string& path) : module_(path) {
  const Bytes def = module_.Describe();
  std::string error;
  auto schema = DecodeModuleDef(def, &error);
  if (!schema) throw std::runtime_error("ModuleDef does not decode: " + error);
  schema_ = *schema;
  host_ = std::make_unique<FakeHost>(def);
}

LoadedModule::CallResult ModuleRunner::Call(std::string_view reducer, const Bytes& args,
                                            const StdbReducerContext& ctx) {
  for (size_t id = 0; id < schema_.reducers.size(); ++id) {
    if (schema_.reducers[id].name != reducer) continue;
    const auto before = host_->Snapshot();
    LoadedModule::CallResult result =
        module_.Call(host_->host(), static_cast<uint32_t>(id), ctx, args);
    if (result.code != STDB_REDUCER_OK) host_->Restore(before);
    return result;
  }
  throw std::out_of_range("no reducer " + std::string(reducer));
}

}  // namespace stdb_test
