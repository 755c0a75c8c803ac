// Index columns must have a key type; a float has no total order to index by.
// expect-error: an index column must have a key type
#include <stdb/module.h>

struct Sample {
  uint64_t id;
  double value;
  int32_t bucket;
};
STDB_STRUCT(Sample, id, value, bucket);
STDB_TABLE(Sample, sample, stdb::Public);
#if STDB_COMPILE_FAIL
STDB_INDEX(sample, sample_by_value, stdb::BTree, bucket, value);
#else
STDB_INDEX(sample, sample_by_bucket, stdb::BTree, bucket);
#endif
