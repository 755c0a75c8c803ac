// find() exists only for tables with STDB_PRIMARY_KEY.
// expect-error: find\(\) needs a primary key: add STDB_PRIMARY_KEY\(table, column\)
#include <stdb/module.h>

struct Entry {
  uint64_t id;
  std::string text;
};
STDB_STRUCT(Entry, id, text);
STDB_TABLE(Entry, entry, stdb::Public);
#if !STDB_COMPILE_FAIL
STDB_PRIMARY_KEY(entry, id);
#endif

void lookup(stdb::ReducerContext& ctx, uint64_t id) { (void)ctx.db[entry].find(id); }
STDB_REDUCER(lookup, id);
