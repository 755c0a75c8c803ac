#include "base/status.h"

#include <cstdio>
#include <cstdlib>

namespace stdb {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "OK";
    case ErrorCode::kInvalidArgument: return "InvalidArgument";
    case ErrorCode::kNotFound: return "NotFound";
    case ErrorCode::kAlreadyExists: return "AlreadyExists";
    case ErrorCode::kUniqueViolation: return "UniqueViolation";
    case ErrorCode::kTypeMismatch: return "TypeMismatch";
    case ErrorCode::kDecode: return "Decode";
    case ErrorCode::kReducerError: return "ReducerError";
    case ErrorCode::kUnauthenticated: return "Unauthenticated";
    case ErrorCode::kPermissionDenied: return "PermissionDenied";
    case ErrorCode::kUnsupported: return "Unsupported";
    case ErrorCode::kIo: return "Io";
    case ErrorCode::kOverloaded: return "Overloaded";
    case ErrorCode::kInternal: return "Internal";
    case ErrorCode::kBadModule: return "BadModule";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(ErrorCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

namespace base {

void AssertFail(const char* expr, const char* file, int line, const char* message) {
  std::fprintf(stderr, "%s:%d: assertion failed: %s %s\n", file, line, expr, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace base
}  // namespace stdb
