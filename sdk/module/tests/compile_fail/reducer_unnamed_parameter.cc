// STDB_REDUCER must name every parameter, because the names are in the schema.
// expect-error: STDB_REDUCER\(move, \.\.\.\) must name each parameter after the context
#include <stdb/module.h>

void move(stdb::ReducerContext&, int32_t dx, int32_t dy) { (void)dx, (void)dy; }
#if STDB_COMPILE_FAIL
STDB_REDUCER(move, dx);
#else
STDB_REDUCER(move, dx, dy);
#endif
