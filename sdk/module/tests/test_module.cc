// The SDK test module: built with stdb_add_module into sdk_test_module.so and loaded by
// the tests through the C ABI, exactly as the server loads a module. Each reducer
// exercises one SDK feature; the tests observe it through the fake host's tables and log.
// The module has two translation units (this file and test_module_scans.cc) sharing the
// tables of test_module_tables.h, as a real module may.
#include <stdb/module.h>

#include <stdexcept>
#include <string>

#include "test_module_tables.h"
#include "test_module_types.h"

namespace test_module {

void store_everything(stdb::ReducerContext& ctx, Everything row) {
  ctx.db[everything].insert(row);
}
STDB_REDUCER(store_everything, row);

void put_item(stdb::ReducerContext& ctx, uint64_t id, const std::string& label, int64_t value) {
  ctx.db[item].insert(Item{id, label, value});
}
STDB_REDUCER(put_item, id, label, value);

stdb::Outcome set_value(stdb::ReducerContext& ctx, uint64_t id, int64_t value) {
  std::optional<Item> row = ctx.db[item].find(id);
  if (!row.has_value()) return stdb::Err("no item " + std::to_string(id));
  row->value = value;
  ctx.db[item].update(*row);
  return stdb::Ok();
}
STDB_REDUCER(set_value, id, value);

void delete_item(stdb::ReducerContext& ctx, uint64_t id) {
  ctx.log_info(ctx.db[item].delete_by_pk(id) ? "deleted" : "absent");
}
STDB_REDUCER(delete_item, id);

void remove_item(stdb::ReducerContext& ctx, Item row) {
  ctx.log_info(ctx.db[item].remove(row) ? "removed" : "absent");
}
STDB_REDUCER(remove_item, row);

void fill_items(stdb::ReducerContext& ctx, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    ctx.db[item].insert(Item{i, "item " + std::to_string(i), static_cast<int64_t>(i)});
  }
}
STDB_REDUCER(fill_items, count);

void fail_reducer_error(stdb::ReducerContext&) { throw stdb::ReducerError("boom"); }
STDB_REDUCER(fail_reducer_error);

stdb::Outcome fail_outcome(stdb::ReducerContext&) { return stdb::Err("outcome says no"); }
STDB_REDUCER(fail_outcome);

void fail_std_exception(stdb::ReducerContext&) {
  throw std::out_of_range("index 7 is out of range");
}
STDB_REDUCER(fail_std_exception);

void fail_non_std_exception(stdb::ReducerContext&) { throw 42; }
STDB_REDUCER(fail_non_std_exception);

// Writes, then fails: the host must roll the write back.
void insert_then_fail(stdb::ReducerContext& ctx) {
  ctx.db[item].insert(Item{100, "doomed", 0});
  throw stdb::ReducerError("failed after a write");
}
STDB_REDUCER(insert_then_fail);

// An unhandled host error (update of a row that does not exist).
void update_missing(stdb::ReducerContext& ctx) { ctx.db[item].update(Item{999, "ghost", 0}); }
STDB_REDUCER(update_missing);

// A host error the reducer handles: it logs the error and carries on.
void insert_duplicate_caught(stdb::ReducerContext& ctx) {
  ctx.db[item].insert(Item{1, "first", 1});
  try {
    ctx.db[item].insert(Item{1, "second", 2});
    ctx.log_info("no error");
  } catch (const stdb::HostError& e) {
    ctx.log_info(std::string(e.code_name()) + ": " + e.what());
  }
  ctx.db[note].insert(Note{ctx.sender(), "still running"});
}
STDB_REDUCER(insert_duplicate_caught);

void record_call(stdb::ReducerContext& ctx) {
  CallInfo info{ctx.sender(), ctx.connection_id(), ctx.timestamp(), ctx.identity(), {}};
  info.random = {ctx.rng().next_u64(), ctx.rng().next_u64(), ctx.rng().next_below(10)};
  ctx.db[call_info].insert(info);
}
STDB_REDUCER(record_call);

// Arguments of several kinds, by value, const& and &&; logs what it received.
void echo_args(stdb::ReducerContext& ctx, Everything row,
               const std::optional<std::string>& note_text, std::vector<Color>&& colors,
               stdb::ScheduleAt at) {
  ctx.db[everything].insert(row);
  ctx.log_info("note=" + note_text.value_or("<none>") + " colors=" +
               std::to_string(colors.size()) + " at=" + (at.is_time() ? "time" : "interval"));
}
STDB_REDUCER(echo_args, row, note_text, colors, at);

void init(stdb::ReducerContext& ctx) { ctx.log_info("init"); }
STDB_INIT(init);

void on_connect(stdb::ReducerContext& ctx) { ctx.log_info("connected " + ctx.sender().to_hex()); }
STDB_CLIENT_CONNECTED(on_connect);

void on_disconnect(stdb::ReducerContext& ctx) {
  ctx.log_warn("disconnected " + ctx.sender().to_hex());
}
STDB_CLIENT_DISCONNECTED(on_disconnect);

}  // namespace test_module
