// Only integer columns can take values from a sequence.
// expect-error: an auto-increment column must have an integer type
#include <stdb/module.h>

#include <string>

struct Entry {
  uint64_t id;
  std::string label;
};
STDB_STRUCT(Entry, id, label);
STDB_TABLE(Entry, entry, stdb::Public);
#if STDB_COMPILE_FAIL
STDB_AUTO_INC(entry, label);
#else
STDB_AUTO_INC(entry, id);
#endif
