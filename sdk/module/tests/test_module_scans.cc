// The SDK test module's scan reducers, in a second translation unit: its registrars run
// after those of test_module.cc, so these reducers come last in the schema.
#include <stdb/module.h>

#include <string>

#include "test_module_tables.h"
#include "test_module_types.h"

namespace test_module {

// Logs "rows=<n> sum=<sum of values> count=<count()>".
void scan_items(stdb::ReducerContext& ctx) {
  uint64_t rows = 0;
  int64_t sum = 0;
  for (const Item& row : ctx.db[item]) {
    ++rows;
    sum += row.value;
  }
  ctx.log_info("rows=" + std::to_string(rows) + " sum=" + std::to_string(sum) +
               " count=" + std::to_string(ctx.db[item].count()));
}
STDB_REDUCER(scan_items);

// Stops after `limit` rows; the scan must still be closed.
void scan_first(stdb::ReducerContext& ctx, uint32_t limit) {
  uint32_t seen = 0;
  for (const Item& row : ctx.db[item]) {
    if (seen == limit) break;
    ++seen;
    (void)row;
  }
  ctx.log_info("seen=" + std::to_string(seen));
}
STDB_REDUCER(scan_first, limit);

// Deletes the rows with odd ids while scanning.
void scan_and_delete(stdb::ReducerContext& ctx) {
  uint64_t seen = 0;
  for (const Item& row : ctx.db[item]) {
    ++seen;
    if (row.id % 2 == 1) ctx.db[item].delete_by_pk(row.id);
  }
  ctx.log_info("seen=" + std::to_string(seen));
}
STDB_REDUCER(scan_and_delete);

// Scans inside a try block and reports a scan error instead of failing.
void scan_catching(stdb::ReducerContext& ctx) {
  try {
    for (const Item& row : ctx.db[item]) (void)row;
    ctx.log_info("scan ok");
  } catch (const stdb::HostError& e) {
    ctx.log_error(std::string("scan failed: ") + e.what());
  }
}
STDB_REDUCER(scan_catching);

}  // namespace test_module
