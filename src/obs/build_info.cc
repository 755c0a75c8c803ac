#include "obs/build_info.h"

#ifndef STDB_GIT_COMMIT
#define STDB_GIT_COMMIT "unknown"
#endif

namespace stdb::obs {

const char* BuildCommit() { return STDB_GIT_COMMIT; }

}  // namespace stdb::obs
