// Names the calling thread, so that top -H, perf and gdb tell the server's threads
// apart ("stdb-worker", "stdb-log", ...).
#pragma once

namespace stdb {

// Linux keeps the first 15 bytes of `name`.
void SetThreadName(const char* name);

}  // namespace stdb
