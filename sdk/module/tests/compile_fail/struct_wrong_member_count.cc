// STDB_STRUCT must name every member: one missing is a compile error.
// expect-error: only 1 name provided for structured binding|decomposes into 2 elements
#include <stdb/module.h>

struct Pair {
  int first;
  int second;
};
#if STDB_COMPILE_FAIL
STDB_STRUCT(Pair, first);
#else
STDB_STRUCT(Pair, first, second);
#endif
