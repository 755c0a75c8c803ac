// filter() takes at most one value per index column.
// expect-error: more values than the index has columns
#include <stdb/module.h>

struct Point {
  int32_t x;
  int32_t y;
};
STDB_STRUCT(Point, x, y);
STDB_TABLE(Point, point, stdb::Public);
STDB_INDEX(point, point_xy, stdb::BTree, x, y);

void find_points(stdb::ReducerContext& ctx) {
#if STDB_COMPILE_FAIL
  (void)ctx.db[point_xy].filter(1, 2, 3).collect();
#else
  (void)ctx.db[point_xy].filter(1, 2).collect();
#endif
}
STDB_REDUCER(find_points);
