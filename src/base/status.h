// Status and Result<T>: expected failures are values that must be checked.
//
// Error codes live in one registry (ErrorCode below) and cross the wire unchanged: the
// numeric value is stable. Add a code only where a caller reacts differently to it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace stdb {

enum class ErrorCode : uint16_t {
  kOk = 0,
  kInvalidArgument = 1,   // malformed input from outside (frame, body, flag, file)
  kNotFound = 2,          // a named thing (database, table, reducer, row) does not exist
  kAlreadyExists = 3,     // creating a thing whose name is taken
  kUniqueViolation = 4,   // an insert collides with a unique / primary key
  kTypeMismatch = 5,      // a value does not have the type the schema requires
  kDecode = 6,            // bytes that do not decode (BSATN, JSON, SQL text)
  kReducerError = 7,      // a reducer failed (returned an error or threw)
  kUnauthenticated = 8,   // missing or invalid credentials
  kPermissionDenied = 9,  // valid credentials, not allowed
  kUnsupported = 10,      // valid but not supported by this server (yet)
  kIo = 11,               // the file system or network failed
  kOverloaded = 12,       // a bounded queue is full; retry later
  kInternal = 13,         // a bug or an unexpected host failure
  kBadModule = 14,        // a module file that cannot be loaded or whose schema is invalid
};

// Returns the stable name of `code`, e.g. "UniqueViolation".
std::string_view ErrorCodeName(ErrorCode code);

// A Status is either OK or an error code with a human-readable message.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {
    STDB_ASSERT(code != ErrorCode::kOk);
  }

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<CodeName>: <message>", or "OK".
  std::string ToString() const;

  // Explicitly discards this status. Greppable: every swallowed error says so.
  void IgnoreError() const {}

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Convenience constructors.
inline Status InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status DecodeError(std::string m) { return {ErrorCode::kDecode, std::move(m)}; }
inline Status TypeMismatch(std::string m) { return {ErrorCode::kTypeMismatch, std::move(m)}; }
inline Status InternalError(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
inline Status IoError(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
inline Status Unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }

// Result<T> holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    STDB_ASSERT_MSG(!std::get<Status>(v_).ok(), "Result constructed from OK status");
  }

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & {
    STDB_ASSERT_MSG(ok(), "Result::value() on error");
    return std::get<0>(v_);
  }
  const T& value() const& {
    STDB_ASSERT_MSG(ok(), "Result::value() on error");
    return std::get<0>(v_);
  }
  T&& value() && {
    STDB_ASSERT_MSG(ok(), "Result::value() on error");
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace stdb

// Returns early from the enclosing function if `expr` (a Status) is not OK.
#define STDB_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::stdb::Status stdb_status_ = (expr);        \
    if (!stdb_status_.ok()) return stdb_status_; \
  } while (0)

#define STDB_CONCAT_INNER_(a, b) a##b
#define STDB_CONCAT_(a, b) STDB_CONCAT_INNER_(a, b)

// STDB_ASSIGN_OR_RETURN(auto x, ResultExpr()): declares x from the Result's value, or
// returns its Status from the enclosing function.
#define STDB_ASSIGN_OR_RETURN(lhs, expr) \
  STDB_ASSIGN_OR_RETURN_IMPL_(STDB_CONCAT_(stdb_result_, __LINE__), lhs, expr)
#define STDB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
