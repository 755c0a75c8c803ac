// A hash index answers only lookups that fix every column: no prefixes, no ranges.
// expect-error: a hash index answers only lookups that give a value for every column
#include <stdb/module.h>

struct Player {
  uint64_t id;
  uint32_t level;
};
STDB_STRUCT(Player, id, level);
STDB_TABLE(Player, player, stdb::Public);
STDB_INDEX(player, player_by_level, stdb::Hash, level);

void count_levels(stdb::ReducerContext& ctx) {
#if STDB_COMPILE_FAIL
  for (const Player& p : ctx.db[player_by_level].filter(stdb::range(1u, 5u))) (void)p;
#else
  for (const Player& p : ctx.db[player_by_level].filter(3u)) (void)p;
#endif
}
STDB_REDUCER(count_levels);
