// Lifecycle reducers take only the context.
// expect-error: the lifecycle reducer on_connect must take only the context
#include <stdb/module.h>

#if STDB_COMPILE_FAIL
void on_connect(stdb::ReducerContext&, std::string greeting) { (void)greeting; }
#else
void on_connect(stdb::ReducerContext&) {}
#endif
STDB_CLIENT_CONNECTED(on_connect);
