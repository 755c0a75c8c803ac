// A unique column must have a key type.
// expect-error: a primary key or unique column must have a key type
#include <stdb/module.h>

struct Sample {
  uint64_t id;
  float value;
};
STDB_STRUCT(Sample, id, value);
STDB_TABLE(Sample, sample, stdb::Public);
#if STDB_COMPILE_FAIL
STDB_UNIQUE(sample, value);
#else
STDB_UNIQUE(sample, id);
#endif
