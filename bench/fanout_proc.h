// What the fan-out load generator reads about the server from /proc: CPU time and
// memory of a process and all its descendants. A server is a process tree: stdb and
// Redis are one process (threads included in its figures), PostgreSQL is a postmaster
// with one child process per connection, so every figure covers the whole tree.
//
// Thread safety: the functions keep no state.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace stdb::bench::fanout {

// One line of /proc/<pid>/stat, the fields used here.
struct ProcStat {
  int pid = 0;
  int ppid = 0;
  uint64_t cpu_ticks = 0;  // utime + stime, in clock ticks (sysconf(_SC_CLK_TCK))
};
// Parses the text of /proc/<pid>/stat. The command name (field 2) may hold spaces and
// parentheses, so the fields are counted from its last ')'.
Result<ProcStat> ParseProcStat(std::string_view text);

// `root` and every process descended from it that is alive now (from /proc/*/stat).
// Fails if `root` does not exist.
Result<std::vector<ProcStat>> ProcessTree(int root);

// CPU time (user + system) of the tree, in microseconds: the sum over the processes
// alive now. A process that exited between two readings takes its time with it, which
// does not happen in a run (the connections stay open).
Result<uint64_t> ProcessTreeCpuMicros(int root);

// Memory of the tree in bytes: the sum of the processes' proportional set sizes (Pss in
// /proc/<pid>/smaps_rollup), which counts a page shared by k processes as 1/k in each,
// so shared memory (PostgreSQL's shared buffers, libraries) is counted once. For one
// process it is close to its resident set.
Result<uint64_t> ProcessTreePssBytes(int root);

// VmRSS of one process (/proc/<pid>/status), in bytes.
Result<uint64_t> ResidentBytes(int pid);

}  // namespace stdb::bench::fanout
