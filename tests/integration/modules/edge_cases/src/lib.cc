// edge_cases: a small module for the integration tests, covering what quickstart_chat
// does not: a reducer with several typed parameters, a reducer that throws, a private
// table, a bulk insert that makes messages larger than the compression threshold, and a
// small call that inserts a large row (add_large_item).
#include <stdb/module.h>

#include <stdexcept>
#include <string>

namespace edge {

// A public table with a primary key and columns of three different types.
struct Item {
  uint64_t id;
  std::string label;
  int32_t qty;
};
STDB_STRUCT(Item, id, label, qty);
STDB_TABLE(Item, item, stdb::Public);
STDB_PRIMARY_KEY(item, id);

// A table only the database owner may read.
struct Secret {
  uint64_t id;
  std::string value;
};
STDB_STRUCT(Secret, id, value);
STDB_TABLE(Secret, secret, stdb::Private);
STDB_PRIMARY_KEY(secret, id);

// Inserts one item; three parameters of three types.
void add_item(stdb::ReducerContext& ctx, uint64_t id, std::string label, int32_t qty) {
  ctx.db[item].insert(Item{id, std::move(label), qty});
}
STDB_REDUCER(add_item, id, label, qty);

// Inserts `count` items with ids first_id, first_id + 1, ... in one transaction.
void add_items(stdb::ReducerContext& ctx, uint64_t first_id, uint32_t count, std::string label) {
  for (uint32_t i = 0; i < count; ++i) {
    ctx.db[item].insert(
        Item{first_id + i, label + "-" + std::to_string(i), static_cast<int32_t>(i)});
  }
}
STDB_REDUCER(add_items, first_id, count, label);

// Bounded: add_large_item makes labels of at most this many bytes.
constexpr uint32_t kLargeLabelBytesMax = 1 << 20;

// Inserts one item whose label is `bytes` bytes long: a small call that makes a large
// update, for the tests of slow clients and batching.
void add_large_item(stdb::ReducerContext& ctx, uint64_t id, uint32_t bytes) {
  if (bytes > kLargeLabelBytesMax) throw std::runtime_error("label too large");
  ctx.db[item].insert(Item{id, std::string(bytes, 'x'), 0});
}
STDB_REDUCER(add_large_item, id, bytes);

// Writes a row, then fails by throwing a standard exception: the write must roll back
// and the caller must see `message`.
void throw_error(stdb::ReducerContext& ctx, std::string message) {
  ctx.db[item].insert(Item{999'999, "written before the throw", 0});
  throw std::runtime_error(message);
}
STDB_REDUCER(throw_error, message);

// Stores a value in the private table.
void put_secret(stdb::ReducerContext& ctx, uint64_t id, std::string value) {
  ctx.db[secret].insert(Secret{id, std::move(value)});
}
STDB_REDUCER(put_secret, id, value);

// Writes "<message> (<level>)" to the module log once per level, error first.
void log_levels(stdb::ReducerContext& ctx, std::string message) {
  ctx.log_error(message + " (error)");
  ctx.log_warn(message + " (warn)");
  ctx.log_info(message + " (info)");
  ctx.log_debug(message + " (debug)");
  ctx.log_trace(message + " (trace)");
}
STDB_REDUCER(log_levels, message);

}  // namespace edge
