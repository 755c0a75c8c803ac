// An index names columns of its table's row type; anything else does not compile.
// expect-error: levle.* was not declared in this scope
#include <stdb/module.h>

struct Player {
  uint64_t id;
  uint32_t level;
};
STDB_STRUCT(Player, id, level);
STDB_TABLE(Player, player, stdb::Public);
#if STDB_COMPILE_FAIL
STDB_INDEX(player, player_by_level, stdb::BTree, levle);
#else
STDB_INDEX(player, player_by_level, stdb::BTree, level);
#endif
