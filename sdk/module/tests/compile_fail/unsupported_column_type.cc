// A column of a type BSATN cannot encode fails with a message, not deep template errors.
// expect-error: this type is not a supported column or argument type
#include <stdb/module.h>

#include <map>

struct Config {
#if STDB_COMPILE_FAIL
  std::map<std::string, int> values;
#else
  std::vector<std::string> values;
#endif
};
STDB_STRUCT(Config, values);
STDB_TABLE(Config, config, stdb::Private);
