// A filter value must convert to its index column's type.
// expect-error: the value does not convert to the index column's type
#include <stdb/module.h>

#include <string>

struct Player {
  uint64_t id;
  std::string name;
};
STDB_STRUCT(Player, id, name);
STDB_TABLE(Player, player, stdb::Public);
STDB_INDEX(player, player_by_name, stdb::BTree, name);

void find_player(stdb::ReducerContext& ctx) {
#if STDB_COMPILE_FAIL
  (void)ctx.db[player_by_name].filter(42).collect();
#else
  (void)ctx.db[player_by_name].filter("ann").collect();
#endif
}
STDB_REDUCER(find_player);
