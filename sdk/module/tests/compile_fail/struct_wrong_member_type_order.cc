// Members of different types listed out of order are caught by their types alone, under
// any compiler.
// expect-error: STDB_STRUCT\(User, \.\.\.\) must list the members in declaration order
#include <stdb/module.h>

struct User {
  stdb::Identity identity;
  std::optional<std::string> name;
  bool online;
};
#if STDB_COMPILE_FAIL
STDB_STRUCT(User, name, identity, online);
#else
STDB_STRUCT(User, identity, name, online);
#endif
