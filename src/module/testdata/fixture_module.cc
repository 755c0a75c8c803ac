// A hand-written module for host_test.cc: each build (FIXTURE_KIND) misbehaves in one way
// that a module built with the SDK cannot, so the host's checks of the C ABI are tested.
//   1  reports ABI version 99
//   2  describes itself with bytes that are not a ModuleDef
//   3  describes a schema that fails validation (two tables named "t")
//   4  describes a schema with an index on a column that does not exist
//   5  valid schema; reducer "weird" returns status 7, "silent" fails with no message
//   6  table "t" (k: U32 unique, v: U8) with indexes t_k (btree [k], unique) and t_v (hash
//      [v]); reducer "probe" calls the index host functions with bad and good arguments
//      and logs "<call> <code> <last_error or result>" for each
#include <cstdint>
#include <string>
#include <vector>

#include "stdb/abi.h"

#ifndef FIXTURE_KIND
#error "define FIXTURE_KIND"
#endif

namespace {

void U32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void Str(std::vector<uint8_t>& b, const char* s) {
  uint32_t n = 0;
  while (s[n] != 0) ++n;
  U32(b, n);
  b.insert(b.end(), s, s + n);
}

// TableDef "name" with row type (x: U8), no key, public; `index` adds a btree index on
// column 5, which does not exist.
[[maybe_unused]] void Table(std::vector<uint8_t>& b, const char* name, bool index) {
  Str(b, name);
  b.push_back(2);  // Product
  U32(b, 1);
  b.push_back(0);  // name: some
  Str(b, "x");
  b.push_back(7);  // U8
  b.push_back(1);  // primary key: none
  b.push_back(1);  // public
  U32(b, 0);       // unique
  if (index) {
    U32(b, 1);
    Str(b, "by_x");
    b.push_back(0);
    U32(b, 1);
    b.push_back(5);
    b.push_back(0);
  } else {
    U32(b, 0);
  }
  U32(b, 0);       // sequences
  b.push_back(1);  // schedule: none
}

void Reducer(std::vector<uint8_t>& b, const char* name) {
  Str(b, name);
  b.push_back(2);  // Product
  U32(b, 0);
  b.push_back(0);  // no lifecycle
}

}  // namespace

#if FIXTURE_KIND == 6
// Table "t": (k: U32, v: U8), unique [k], indexes t_k (btree [k]) and t_v (hash [v]).
void ProbeTable(std::vector<uint8_t>& b) {
  Str(b, "t");
  b.push_back(2);  // Product
  U32(b, 2);
  b.push_back(0);
  Str(b, "k");
  b.push_back(11);  // U32
  b.push_back(0);
  Str(b, "v");
  b.push_back(7);  // U8
  b.push_back(1);  // primary key: none
  b.push_back(1);  // public
  U32(b, 1);       // unique: [[0]]
  U32(b, 1);
  b.insert(b.end(), {0, 0});
  U32(b, 2);  // indexes
  Str(b, "t_k");
  b.push_back(0);
  U32(b, 1);
  b.insert(b.end(), {0, 0});
  Str(b, "t_v");
  b.push_back(1);
  U32(b, 1);
  b.insert(b.end(), {1, 0});
  U32(b, 0);       // sequences
  b.push_back(1);  // schedule: none
}

void AppendBytes(void* ctx, const uint8_t* data, size_t len) {
  auto* out = static_cast<std::vector<uint8_t>*>(ctx);
  out->insert(out->end(), data, data + len);
}

// Logs "<call> <code> <detail>", the detail being the host's message after an error.
void Report(const StdbHost* h, const char* call, int32_t code, const std::string& detail) {
  std::string line = std::string(call) + " " + std::to_string(code) + " ";
  if (code != STDB_OK) {
    std::vector<uint8_t> message;
    StdbSink sink{&message, &AppendBytes};
    h->last_error(h->ctx, &sink);
    line.append(message.begin(), message.end());
  } else {
    line += detail;
  }
  h->log(h->ctx, STDB_LOG_INFO, line.data(), line.size());
}

void Probe(const StdbHost* h) {
  std::vector<uint8_t> out;
  StdbSink sink{&out, &AppendBytes};
  uint32_t found = 0;
  uint32_t iter = 0;
  uint64_t deleted = 0;
  const uint8_t key1[] = {1, 0, 0, 0};
  const uint8_t row12[] = {1, 0, 0, 0, 2};
  const uint8_t row13[] = {1, 0, 0, 0, 3};
  const uint8_t bad_range[] = {5};
  const uint8_t all[] = {0, 0, 2, 2};
  const uint8_t v_from_1[] = {0, 0, 0, 1, 2};  // prefix 0, v >= 1: not a hash lookup
  const uint8_t k_eq_1[] = {1, 0, 1, 0, 0, 0, 2, 2};
  Report(h, "find_no_table", h->index_find(h->ctx, 5, 0, key1, 4, &sink, &found), "");
  Report(h, "find_no_index", h->index_find(h->ctx, 0, 9, key1, 4, &sink, &found), "");
  Report(h, "find_not_unique", h->index_find(h->ctx, 0, 1, key1, 1, &sink, &found), "");
  Report(h, "find_bad_key", h->index_find(h->ctx, 0, 0, key1, 3, &sink, &found), "");
  Report(h, "scan_bad_range", h->index_scan_start(h->ctx, 0, 0, bad_range, 1, &iter), "");
  Report(h, "scan_hash_range", h->index_scan_start(h->ctx, 0, 1, v_from_1, 5, &iter), "");
  Report(h, "delete_bad_range", h->index_delete(h->ctx, 0, 0, bad_range, 1, &deleted), "");
  Report(h, "delete_no_index", h->index_delete(h->ctx, 0, 2, all, 4, &deleted), "");
  Report(h, "update_not_unique", h->update_by_index(h->ctx, 0, 1, row12, 5, nullptr), "");
  Report(h, "update_missing", h->update_by_index(h->ctx, 0, 0, row12, 5, nullptr), "");

  Report(h, "insert", h->insert(h->ctx, 0, row12, 5, nullptr), "");
  int32_t rc = h->index_find(h->ctx, 0, 0, key1, 4, &sink, &found);
  Report(h, "find", rc, std::to_string(found) + " " + std::to_string(out.size()));
  out.clear();
  rc = h->update_by_index(h->ctx, 0, 0, row13, 5, &sink);
  Report(h, "update", rc, std::to_string(out.size() == 5 && out[4] == 3));
  out.clear();
  rc = h->index_scan_start(h->ctx, 0, 0, all, 4, &iter);
  uint32_t exhausted = 0;
  if (rc == STDB_OK) rc = h->iter_next(h->ctx, iter, &sink, &exhausted);
  h->iter_close(h->ctx, iter);
  Report(h, "scan", rc, std::to_string(out.size()));
  rc = h->index_delete(h->ctx, 0, 0, k_eq_1, sizeof(k_eq_1), &deleted);
  Report(h, "delete", rc, std::to_string(deleted));
}
#endif

extern "C" __attribute__((visibility("default"))) uint32_t stdb_abi_version(void) {
  return FIXTURE_KIND == 1 ? 99u : STDB_ABI_VERSION;
}

extern "C" __attribute__((visibility("default"))) void stdb_describe(StdbSink* out) {
  std::vector<uint8_t> b;
  if (FIXTURE_KIND == 2) {
    b = {0xde, 0xad, 0xbe, 0xef};
  } else {
    U32(b, 1);
    U32(b, FIXTURE_KIND == 3 ? 2 : 1);
#if FIXTURE_KIND == 6
    ProbeTable(b);
    U32(b, 1);
    Reducer(b, "probe");
#else
    Table(b, "t", FIXTURE_KIND == 4);
    if (FIXTURE_KIND == 3) Table(b, "t", false);
    U32(b, 2);
    Reducer(b, "weird");
    Reducer(b, "silent");
#endif
  }
  out->append(out->ctx, b.data(), b.size());
}

extern "C" __attribute__((visibility("default"))) int32_t stdb_call_reducer(
    const StdbHost* host, uint32_t reducer_id, const StdbReducerContext*, const uint8_t*, size_t,
    StdbSink*) {
#if FIXTURE_KIND == 6
  (void)reducer_id;
  Probe(host);
  return STDB_REDUCER_OK;
#else
  (void)host;
  return reducer_id == 0 ? 7 : STDB_REDUCER_ERROR;
#endif
}
