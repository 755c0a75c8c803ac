// STDB_STRUCT names become column names, so they must follow declaration order, even
// between members of the same type (checked by address, under g++).
// expect-error: STDB_STRUCT\(Person, \.\.\.\) must list the members in declaration order
#include <stdb/module.h>

struct Person {
  std::string name;
  std::string city;
  std::optional<int32_t> age;
};
#if STDB_COMPILE_FAIL
STDB_STRUCT(Person, city, name, age);
#else
STDB_STRUCT(Person, name, city, age);
#endif
