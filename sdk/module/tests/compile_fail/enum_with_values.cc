// STDB_ENUM variants take their tags from their positions, so values are refused.
// expect-error: STDB_ENUM\(Level, \.\.\.\) takes variant names only, without values
#include <stdb/module.h>

#if STDB_COMPILE_FAIL
STDB_ENUM(Level, Low = 1, High = 2);
#else
STDB_ENUM(Level, Low, High);
#endif
