// A range applies to the column after the fixed values, so it must come last.
// expect-error: a range or bound may only be the last argument
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
  (void)ctx.db[point_xy].filter(stdb::range_from(0), 2).collect();
#else
  (void)ctx.db[point_xy].filter(0, stdb::range_from(2)).collect();
#endif
}
STDB_REDUCER(find_points);
