// The SDK test module's tables with keys, indexes, sequences and a schedule, and the
// reducers that use them, in a third translation unit: its tables and reducers come
// after those of test_module.cc and test_module_scans.cc in the schema.
#include <stdb/module.h>

#include <string>

#include "test_module_types.h"

namespace test_module {

STDB_TABLE(Player, player, stdb::Public);
STDB_PRIMARY_KEY(player, id);
STDB_AUTO_INC(player, id);
STDB_UNIQUE(player, name);
STDB_INDEX(player, player_by_level, stdb::BTree, level);
STDB_INDEX(player, player_at, stdb::BTree, x, y);
STDB_INDEX(player, player_by_team, stdb::Hash, team, level);

// Declared before its schedule table's STDB_SCHEDULE, which checks its signature.
void tick(stdb::ReducerContext& ctx, Tick row);

STDB_TABLE(Tick, tick_schedule, stdb::Private);
STDB_SCHEDULE(tick_schedule, tick, scheduled_at);

STDB_TABLE(Fired, fired, stdb::Public);
STDB_PRIMARY_KEY(fired, n);
STDB_AUTO_INC(fired, n);

// Records the call in `fired`; a note "fail" makes the call fail, "stop" deletes its own
// row (ending an interval), "again" moves a one-off row one second later, "touch"
// changes the row's note but not its time.
void tick(stdb::ReducerContext& ctx, Tick row) {
  ctx.log_info("tick " + std::to_string(row.scheduled_id) + " " + row.note);
  if (row.note == "fail") throw stdb::ReducerError("tick asked to fail");
  ctx.db[fired].insert(Fired{0, row.scheduled_id, row.note, ctx.sender() == ctx.identity(),
                             ctx.connection_id().has_value(), ctx.timestamp()});
  if (row.note == "stop") ctx.db[tick_schedule_scheduled_id].remove(row.scheduled_id);
  if (row.note == "touch") {  // changes a column other than the time: still fires once
    row.note = "touched";
    ctx.db[tick_schedule_scheduled_id].update(row);
  }
  if (row.note == "again") {
    row.note = "moved";
    row.scheduled_at =
        stdb::ScheduleAt::time(ctx.timestamp() + stdb::TimeDuration::from_seconds(1));
    ctx.db[tick_schedule_scheduled_id].update(row);
  }
}
STDB_REDUCER(tick, row);

namespace {

std::string Describe(const Player& p) {
  return std::to_string(p.id) + ":" + p.name + ":" + std::to_string(p.level) + ":" +
         std::to_string(p.x) + "," + std::to_string(p.y) + ":" + p.team;
}

// Logs "n=<rows> <row> <row> ..." for the rows in iteration order.
template <typename Rows>
void LogRows(stdb::ReducerContext& ctx, const Rows& rows) {
  std::string line;
  size_t n = 0;
  for (const Player& p : rows) {
    line += " " + Describe(p);
    ++n;
  }
  ctx.log_info("n=" + std::to_string(n) + line);
}

}  // namespace

// Inserts a player with id 0 (allocated) and logs the row as stored.
void add_player(stdb::ReducerContext& ctx, std::string name, uint32_t level, int32_t x, int32_t y,
                std::string team) {
  const Player stored = ctx.db[player].insert(Player{0, std::move(name), level, x, y, team});
  ctx.log_info("added " + Describe(stored));
}
STDB_REDUCER(add_player, name, level, x, y, team);

void find_by_name(stdb::ReducerContext& ctx, std::string name) {
  const std::optional<Player> p = ctx.db[player_name].find(name);
  ctx.log_info(p ? "found " + Describe(*p) : "no " + name);
}
STDB_REDUCER(find_by_name, name);

void find_by_id(stdb::ReducerContext& ctx, uint64_t id) {
  const std::optional<Player> p = ctx.db[player_id].find(id);
  ctx.log_info(p ? "found " + Describe(*p) : "no " + std::to_string(id));
}
STDB_REDUCER(find_by_id, id);

// Renames a player through the primary key accessor, and levels it up by name.
void rename_player(stdb::ReducerContext& ctx, uint64_t id, std::string name) {
  std::optional<Player> p = ctx.db[player_id].find(id);
  if (!p) throw stdb::ReducerError("no player " + std::to_string(id));
  p->name = std::move(name);
  const Player stored = ctx.db[player_id].update(*p);
  ++p->level;
  ctx.db[player_name].update(*p);
  ctx.log_info("renamed " + Describe(stored));
}
STDB_REDUCER(rename_player, id, name);

void remove_by_name(stdb::ReducerContext& ctx, std::string name) {
  ctx.log_info(ctx.db[player_name].remove(name) ? "removed" : "absent");
}
STDB_REDUCER(remove_by_name, name);

void erase_by_id(stdb::ReducerContext& ctx, uint64_t id) {
  ctx.log_info(ctx.db[player_id].erase(id) ? "erased" : "absent");
}
STDB_REDUCER(erase_by_id, id);

// Each `which` runs one kind of filter, so the tests can check the range bytes and rows.
void filter_players(stdb::ReducerContext& ctx, uint32_t which) {
  switch (which) {
    case 0:
      LogRows(ctx, ctx.db[player_by_level].filter(3u));
      break;
    case 1:
      LogRows(ctx, ctx.db[player_by_level].filter(stdb::range(2u, 4u)));
      break;
    case 2:
      LogRows(ctx, ctx.db[player_by_level].filter(stdb::range_inclusive(2u, 4u)));
      break;
    case 3:
      LogRows(ctx, ctx.db[player_by_level].filter(stdb::range_from(3u)));
      break;
    case 4:
      LogRows(ctx, ctx.db[player_by_level].filter(stdb::range_to(3u)));
      break;
    case 5:
      LogRows(ctx, ctx.db[player_by_level].filter(stdb::range_to_inclusive(3u)));
      break;
    case 6:
      LogRows(ctx, ctx.db[player_at].filter(1));
      break;
    case 7:
      LogRows(ctx, ctx.db[player_at].filter(1, 2));
      break;
    case 8:
      LogRows(ctx, ctx.db[player_at].filter(1, stdb::range_from(2)));
      break;
    case 9:
      LogRows(ctx, ctx.db[player_at].filter(1, stdb::range(stdb::excluded(0), stdb::unbounded)));
      break;
    case 10:
      LogRows(ctx, ctx.db[player_at].filter());
      break;
    case 11:
      LogRows(ctx, ctx.db[player_by_team].filter("red", 3u));
      break;
    default:
      throw stdb::ReducerError("no filter " + std::to_string(which));
  }
}
STDB_REDUCER(filter_players, which);

void remove_at(stdb::ReducerContext& ctx, int32_t x) {
  ctx.log_info("removed " + std::to_string(ctx.db[player_at].remove(x)));
}
STDB_REDUCER(remove_at, x);

void remove_levels(stdb::ReducerContext& ctx, uint32_t lo, uint32_t hi) {
  ctx.log_info("removed " +
               std::to_string(ctx.db[player_by_level].remove(stdb::range_inclusive(lo, hi))));
}
STDB_REDUCER(remove_levels, lo, hi);

// Collects a filter into a vector and counts it.
void collect_level(stdb::ReducerContext& ctx, uint32_t level) {
  ctx.log_info("collected " +
               std::to_string(ctx.db[player_by_level].filter(level).collect().size()));
}
STDB_REDUCER(collect_level, level);

// Schedules a tick and logs the allocated id.
void schedule_tick(stdb::ReducerContext& ctx, std::string note) {
  const Tick stored = ctx.db[tick_schedule].insert(
      Tick{0, stdb::ScheduleAt::interval(stdb::TimeDuration::from_seconds(1)), note});
  ctx.log_info("scheduled " + std::to_string(stored.scheduled_id));
}
STDB_REDUCER(schedule_tick, note);

// Schedules a tick: once at `at_micros` (interval_micros == 0) or every interval_micros.
void schedule_call(stdb::ReducerContext& ctx, std::string note, int64_t at_micros,
                   int64_t interval_micros) {
  ctx.db[tick_schedule].insert(
      Tick{0,
           interval_micros == 0
               ? stdb::ScheduleAt::time(stdb::Timestamp::from_micros_since_epoch(at_micros))
               : stdb::ScheduleAt::interval(stdb::TimeDuration::from_micros(interval_micros)),
           note});
}
STDB_REDUCER(schedule_call, note, at_micros, interval_micros);

void cancel_tick(stdb::ReducerContext& ctx, uint64_t id) {
  ctx.db[tick_schedule_scheduled_id].remove(id);
}
STDB_REDUCER(cancel_tick, id);

}  // namespace test_module
