// A primary key must have a key type; arrays are not keys.
// expect-error: a primary key or unique column must have a key type
#include <stdb/module.h>

#include <vector>

struct Bag {
  std::vector<uint8_t> bytes;
  uint32_t id;
};
STDB_STRUCT(Bag, bytes, id);
STDB_TABLE(Bag, bag, stdb::Public);
#if STDB_COMPILE_FAIL
STDB_PRIMARY_KEY(bag, bytes);
#else
STDB_PRIMARY_KEY(bag, id);
#endif
