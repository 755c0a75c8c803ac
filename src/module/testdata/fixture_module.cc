// A hand-written module for host_test.cc: each build (FIXTURE_KIND) misbehaves in one way
// that a module built with the SDK cannot, so the host's checks of the C ABI are tested.
//   1  reports ABI version 99
//   2  describes itself with bytes that are not a ModuleDef
//   3  describes a schema that fails validation (two tables named "t")
//   4  describes a schema with an index on a column that does not exist
//   5  valid schema; reducer "weird" returns status 7, "silent" fails with no message
#include <cstdint>
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
void Table(std::vector<uint8_t>& b, const char* name, bool index) {
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
    Table(b, "t", FIXTURE_KIND == 4);
    if (FIXTURE_KIND == 3) Table(b, "t", false);
    U32(b, 2);
    Reducer(b, "weird");
    Reducer(b, "silent");
  }
  out->append(out->ctx, b.data(), b.size());
}

extern "C" __attribute__((visibility("default"))) int32_t stdb_call_reducer(
    const StdbHost*, uint32_t reducer_id, const StdbReducerContext*, const uint8_t*, size_t,
    StdbSink*) {
  return reducer_id == 0 ? 7 : STDB_REDUCER_ERROR;
}
