// Always-on assertions for programmer errors (broken invariants). Never use these for
// user input: bad input returns a Status (see status.h).
#pragma once

namespace stdb::base {

// Prints "file:line: assertion failed: expr (message)" to stderr and aborts.
[[noreturn]] void AssertFail(const char* expr, const char* file, int line, const char* message);

}  // namespace stdb::base

#define STDB_ASSERT(cond)                                                       \
  do {                                                                          \
    if (!(cond)) [[unlikely]] ::stdb::base::AssertFail(#cond, __FILE__, __LINE__, ""); \
  } while (0)

#define STDB_ASSERT_MSG(cond, msg)                                               \
  do {                                                                           \
    if (!(cond)) [[unlikely]] ::stdb::base::AssertFail(#cond, __FILE__, __LINE__, msg); \
  } while (0)

#define STDB_UNREACHABLE() ::stdb::base::AssertFail("unreachable", __FILE__, __LINE__, "")
