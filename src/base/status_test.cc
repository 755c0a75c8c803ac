// Status and Result: codes, messages, and the propagation macros.
#include "base/status.h"

#include <gtest/gtest.h>

namespace stdb {
namespace {

Status FailIf(bool fail) { return fail ? InvalidArgument("bad") : Status::Ok(); }

Status Propagate(bool fail, int& reached) {
  STDB_RETURN_IF_ERROR(FailIf(fail));
  reached = 1;
  return Status::Ok();
}

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  STDB_ASSIGN_OR_RETURN(const int h, Half(x));
  STDB_ASSIGN_OR_RETURN(const int q, Half(h));
  return q;
}

// A default Status is OK; an error carries its code and message into ToString.
TEST(Status, DefaultIsOkAndErrorsCarryCodeAndMessage) {
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status::Ok().ToString(), "OK");
  const Status s = DecodeError("truncated");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kDecode);
  EXPECT_EQ(s.message(), "truncated");
  EXPECT_EQ(s.ToString(), "Decode: truncated");
  EXPECT_EQ(TypeMismatch("x").code(), ErrorCode::kTypeMismatch);
  EXPECT_EQ(Unsupported("x").code(), ErrorCode::kUnsupported);
}

// Error code names are stable: they cross the wire.
TEST(Status, ErrorCodeNamesAreStable) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kOk), "OK");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kUniqueViolation), "UniqueViolation");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kBadModule), "BadModule");
  EXPECT_EQ(static_cast<int>(ErrorCode::kDecode), 6);
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(999)), "Unknown");
}

// Result holds a value or an error; the macros return early with the first error.
TEST(Result, HoldsValueOrErrorAndMacrosPropagate) {
  auto ok = Half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  EXPECT_TRUE(ok.status().ok());
  auto bad = Half(3);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
  int reached = 0;
  EXPECT_FALSE(Propagate(true, reached).ok());
  EXPECT_EQ(reached, 0);
  EXPECT_TRUE(Propagate(false, reached).ok());
  EXPECT_EQ(reached, 1);
  Result<std::string> moved = std::string("abc");
  EXPECT_EQ(std::move(moved).value(), "abc");
}

// Misusing Status or Result is a programmer error that crashes with the location.
TEST(StatusDeathTest, MisuseAsserts) {
  EXPECT_DEATH({ Status s(ErrorCode::kOk, "x"); }, "assertion failed");
  EXPECT_DEATH({ Result<int> r = Status::Ok(); }, "Result constructed from OK status");
  EXPECT_DEATH({ (void)Half(1).value(); }, "Result::value\\(\\) on error");
}

}  // namespace
}  // namespace stdb
