// Reducer calls through stdb_call_reducer: arguments, context, errors and lifecycle.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "encode_args.h"
#include "harness.h"
#include "stdb/bsatn.h"
#include "stdb/rng.h"
#include "test_module_types.h"

namespace {

using stdb_test::Bytes;
using stdb_test::EncodeArgs;
using stdb_test::MakeContext;
using stdb_test::ModuleRunner;
using test_module::CallInfo;
using test_module::Color;
using test_module::Everything;
using test_module::Item;

std::string Repeat(const std::string& s, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += s;
  return out;
}

class ReducerTest : public ::testing::Test {
 protected:
  ModuleRunner runner_{STDB_TEST_MODULE_PATH};
};

TEST_F(ReducerTest, ReducerErrorFailsTheCallWithItsMessage) {
  // A thrown stdb::ReducerError becomes STDB_REDUCER_ERROR with what().
  const auto result = runner_.Call("fail_reducer_error");
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "boom");
}

TEST_F(ReducerTest, ReturnedErrFailsTheCallWithItsMessage) {
  // Returning stdb::Err(message) fails the call like a throw does.
  const auto result = runner_.Call("fail_outcome");
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "outcome says no");
}

TEST_F(ReducerTest, AnyStdExceptionFailsTheCallWithWhat) {
  // Exceptions the reducer did not mean to throw are reported the same way.
  const auto result = runner_.Call("fail_std_exception");
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "index 7 is out of range");
}

TEST_F(ReducerTest, NonStdExceptionIsStoppedAtTheAbiBoundary) {
  // Even `throw 42` does not escape; the message names the reducer.
  const auto result = runner_.Call("fail_non_std_exception");
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error,
            "reducer 'fail_non_std_exception' threw an exception that is not a std::exception");
}

TEST_F(ReducerTest, FailureAfterAWriteReportsTheError) {
  // A reducer that wrote and then threw reports failure, so the host rolls back.
  const auto result = runner_.Call("insert_then_fail");
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "failed after a write");
  EXPECT_TRUE(runner_.host().Rows("item").empty());
}

TEST_F(ReducerTest, UnhandledHostErrorFailsWithTheHostMessage) {
  // A HostError the reducer does not catch carries last_error to the caller.
  const auto result = runner_.Call("update_missing");
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "table 'item': no row with that primary key");
}

TEST_F(ReducerTest, CaughtHostErrorLetsTheReducerCarryOn) {
  // A reducer may catch HostError, inspect its code, and continue writing.
  const auto result = runner_.Call("insert_duplicate_caught");
  ASSERT_EQ(result.code, STDB_REDUCER_OK) << result.error;
  ASSERT_EQ(runner_.host().logs().size(), 1u);
  EXPECT_EQ(runner_.host().logs()[0].text,
            "STDB_ERR_UNIQUE_VIOLATION: table 'item': duplicate key in unique index 'item_id_key'");
  EXPECT_EQ(runner_.host().Rows("item").size(), 1u);
  EXPECT_EQ(runner_.host().Rows("note").size(), 1u);
}

TEST_F(ReducerTest, TruncatedArgumentsNameTheReducerAndParameter) {
  // Arguments that stop short fail with the reducer, parameter and what was missing.
  const auto result = runner_.Call("put_item", EncodeArgs(uint64_t{1}));
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error,
            "reducer 'put_item': argument 'label' does not decode: unexpected end of input "
            "reading String: needed 4 bytes, 0 left");
  EXPECT_TRUE(runner_.host().Rows("item").empty());
}

TEST_F(ReducerTest, MalformedNestedArgumentNamesTheField) {
  // Inside a struct argument, the error also names the struct field.
  Bytes args = EncodeArgs(Item{1, "abc", 2});
  args[8] = 200;  // the label's length, now far beyond the input
  const auto result = runner_.Call("remove_item", args);
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_TRUE(result.error.starts_with(
      "reducer 'remove_item': argument 'row' does not decode: field 'label': "))
      << result.error;
}

TEST_F(ReducerTest, InvalidArgumentBytesAreRejected) {
  // Bytes out of a type's range (here an enum tag) are an argument error too.
  Bytes args = EncodeArgs(Everything{}, std::optional<std::string>(),
                          std::vector<Color>{Color::Red}, stdb::ScheduleAt());
  args[args.size() - 10] = 9;  // the only Color tag, followed by the 9-byte ScheduleAt
  const auto result = runner_.Call("echo_args", args);
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error,
            "reducer 'echo_args': argument 'colors' does not decode: enum tag 9 out of range "
            "(3 variants)");
}

TEST_F(ReducerTest, TrailingArgumentBytesAreRejected) {
  // Extra bytes after the last argument mean the caller and schema disagree.
  Bytes args = EncodeArgs(uint64_t{1}, std::string("x"), int64_t{2});
  args.push_back(0);
  const auto result = runner_.Call("put_item", args);
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "reducer 'put_item': 1 unexpected bytes after the arguments");
}

TEST_F(ReducerTest, UnknownReducerIdFails) {
  // An id past the reducer list is an error, not undefined behaviour.
  const auto result = runner_.module().Call(runner_.host().host(), 999, MakeContext(), Bytes{});
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "no reducer has id 999; the module has 36");
}

TEST_F(ReducerTest, HostWithAnotherAbiVersionIsRefused) {
  // A host built for another ABI version gets an error instead of mismatched calls.
  StdbHost host = *runner_.host().host();
  host.abi_version = STDB_ABI_VERSION + 1;
  const auto result = runner_.module().Call(&host, 0, MakeContext(), Bytes{});
  EXPECT_EQ(result.code, STDB_REDUCER_ERROR);
  EXPECT_EQ(result.error, "the host's ABI version " + std::to_string(STDB_ABI_VERSION + 1) +
                              " differs from the module's " + std::to_string(STDB_ABI_VERSION));
}

TEST_F(ReducerTest, ArgumentsOfEveryKindArrive) {
  // By-value, const& and && parameters of every supported type decode in order.
  Everything row{};
  row.text = "all of it";
  row.nested = std::vector<std::optional<Color>>{Color::Green};
  row.schedule = stdb::ScheduleAt::interval(stdb::TimeDuration::from_seconds(1));
  const auto result =
      runner_.Call("echo_args", EncodeArgs(row, std::optional<std::string>("hi"),
                                           std::vector<Color>{Color::Red, Color::Blue},
                                           stdb::ScheduleAt::time(stdb::Timestamp())));
  ASSERT_EQ(result.code, STDB_REDUCER_OK) << result.error;
  ASSERT_EQ(runner_.host().Rows("everything").size(), 1u);
  EXPECT_TRUE(stdb::bsatn::decode<Everything>(runner_.host().Rows("everything")[0]) == row);
  ASSERT_EQ(runner_.host().logs().size(), 1u);
  EXPECT_EQ(runner_.host().logs()[0].text, "note=hi colors=2 at=time");
}

TEST_F(ReducerTest, ContextCarriesCallerTimeIdentityAndSeed) {
  // sender, connection_id, timestamp, identity and rng come from StdbReducerContext.
  ASSERT_EQ(runner_.Call("record_call", {}, MakeContext(0x11, 0x22, 123456, 42)).code,
            STDB_REDUCER_OK);
  ASSERT_EQ(runner_.Call("record_call", {}, MakeContext(0x33, 0x00, 7, 42)).code, STDB_REDUCER_OK);
  const auto& rows = runner_.host().Rows("call_info");
  ASSERT_EQ(rows.size(), 2u);
  const CallInfo first = stdb::bsatn::decode<CallInfo>(rows[0]);
  const CallInfo second = stdb::bsatn::decode<CallInfo>(rows[1]);

  EXPECT_EQ(first.sender.to_hex(), Repeat("11", 32));
  ASSERT_TRUE(first.connection_id.has_value());
  EXPECT_EQ(first.connection_id->to_hex(), Repeat("22", 16));
  EXPECT_EQ(first.timestamp.micros_since_epoch(), 123456);
  EXPECT_EQ(first.module_identity.to_hex(), Repeat("d0", 32));
  EXPECT_EQ(second.connection_id, std::nullopt);
  EXPECT_EQ(second.sender.to_hex(), Repeat("33", 32));

  stdb::Rng expected(42);
  const uint64_t r0 = expected.next_u64();
  const uint64_t r1 = expected.next_u64();
  const uint64_t r2 = expected.next_below(10);
  EXPECT_EQ(first.random, (std::vector<uint64_t>{r0, r1, r2}));
  EXPECT_EQ(second.random, first.random);  // same seed, same draws
}

TEST_F(ReducerTest, LifecycleReducersRunWithTheCallerAndLog) {
  // init, client_connected and client_disconnected are ordinary calls with no arguments.
  ASSERT_EQ(runner_.Call("init").code, STDB_REDUCER_OK);
  ASSERT_EQ(runner_.Call("on_connect", {}, MakeContext(0xab)).code, STDB_REDUCER_OK);
  ASSERT_EQ(runner_.Call("on_disconnect", {}, MakeContext(0xab)).code, STDB_REDUCER_OK);
  const auto& logs = runner_.host().logs();
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0].text, "init");
  EXPECT_EQ(logs[0].level, STDB_LOG_INFO);
  EXPECT_EQ(logs[1].text, "connected " + Repeat("ab", 32));
  EXPECT_EQ(logs[2].text, "disconnected " + Repeat("ab", 32));
  EXPECT_EQ(logs[2].level, STDB_LOG_WARN);
}

}  // namespace
