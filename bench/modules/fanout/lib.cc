// The fan-out workload's module (docs: bench/README.md, "Fan-out workload"): a
// `position` table of moving objects, each in one region, and a reducer that moves a
// block of them in one transaction. Subscribers watch one region each
// (`SELECT * FROM position WHERE region = <r>`); bench/fanout.cc counts what they receive.
//
// Row layout, which the load generator reads directly from the BSATN rows it receives:
// id u64 at byte 0, region u32 at 8, x f32 at 12, y f32 at 16, stamp_micros i64 at 20;
// 28 bytes per row.
#include <stdb/module.h>

#include <cstdint>
#include <optional>
#include <string>

namespace fanout {

struct Position {
  uint64_t id;
  uint32_t region;  // id % regions, fixed at seed time: a move never changes it
  float x;
  float y;
  int64_t stamp_micros;  // the writer's clock (CLOCK_REALTIME) when it sent the move
};
STDB_STRUCT(Position, id, region, x, y, stamp_micros);
STDB_TABLE(Position, position, stdb::Public);
STDB_PRIMARY_KEY(position, id);
STDB_INDEX(position, position_by_region, stdb::BTree, region);

// Bounded: one call inserts or updates at most this many rows, so that a transaction
// (its undo log and delta) stays small and other calls are not held up for long.
constexpr uint64_t kRowsPerCallMax = 100'000;

// Inserts rows [first, first + count) with region = id % regions, at (0, 0), stamp 0.
// Fails (inserting nothing) if a row exists already, count exceeds kRowsPerCallMax or
// regions is 0.
stdb::Outcome seed(stdb::ReducerContext& ctx, uint64_t first, uint64_t count, uint32_t regions) {
  if (count > kRowsPerCallMax) {
    return stdb::Err("seed: count " + std::to_string(count) + " exceeds " +
                     std::to_string(kRowsPerCallMax));
  }
  if (regions == 0) return stdb::Err("seed: regions must be positive");
  if (first > UINT64_MAX - count) return stdb::Err("seed: ids past the end of u64");
  for (uint64_t id = first; id < first + count; ++id) {
    // A clash throws HostError: the reducer fails and every insert is rolled back.
    ctx.db[position].insert(Position{id, static_cast<uint32_t>(id % regions), 0, 0, 0});
  }
  return stdb::Ok();
}
STDB_REDUCER(seed, first, count, regions);

// Moves rows [first, first + n) to (x, y + i) for the i-th row and sets their
// stamp_micros to `stamp`; each row keeps its region. Fails (writing nothing) if one of
// the rows does not exist or n exceeds kRowsPerCallMax.
stdb::Outcome move(stdb::ReducerContext& ctx, uint64_t first, uint32_t n, int64_t stamp, float x,
                   float y) {
  if (n > kRowsPerCallMax) {
    return stdb::Err("move: n " + std::to_string(n) + " exceeds " +
                     std::to_string(kRowsPerCallMax));
  }
  if (first > UINT64_MAX - n) return stdb::Err("move: ids past the end of u64");
  for (uint32_t i = 0; i < n; ++i) {
    std::optional<Position> row = ctx.db[position].find(first + i);
    if (!row.has_value()) return stdb::Err("move: no row " + std::to_string(first + i));
    row->x = x;
    row->y = y + static_cast<float>(i);
    row->stamp_micros = stamp;
    ctx.db[position].update(*row);
  }
  return stdb::Ok();
}
STDB_REDUCER(move, first, n, stamp, x, y);

}  // namespace fanout
