// A reducer's first parameter is the context.
// expect-error: a reducer is `void f\(stdb::ReducerContext&, Args\.\.\.\)`
#include <stdb/module.h>

#if STDB_COMPILE_FAIL
void ping(int32_t n) { (void)n; }
#else
void ping(stdb::ReducerContext&, int32_t n) { (void)n; }
#endif
STDB_REDUCER(ping, n);
