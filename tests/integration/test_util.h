// Helpers shared by the integration tests: HTTP and WebSocket calls through the project's
// own client (src/net/client.h), typed receives with readable failures, and row decoding
// with the tables' row types (src/sats).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/int256.h"
#include "base/status.h"
#include "net/client.h"
#include "protocol/messages.h"
#include "sats/types.h"
#include "sats/value.h"
#include "server_process.h"

namespace stdb::integration {

// How long a test waits for a message it expects. Only a failing test waits this long;
// the suite never asserts on elapsed time.
inline constexpr auto kReceiveTimeout = std::chrono::seconds(20);
// How long a test listens for a message that must not come, after a barrier has already
// shown it was not sent (see ExpectNothingPending).
inline constexpr auto kQuietTimeout = std::chrono::milliseconds(200);

inline const std::vector<std::string> kV3Only = {"v3.bsatn.spacetimedb"};
inline const std::vector<std::string> kV2Only = {"v2.bsatn.spacetimedb"};

// ---- Result helpers for gtest ----

#define STDB_TEST_CONCAT_INNER_(a, b) a##b
#define STDB_TEST_CONCAT_(a, b) STDB_TEST_CONCAT_INNER_(a, b)
// Evaluates a Result<T> expression; on error fails the test with its message and returns.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(STDB_TEST_CONCAT_(stdb_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)                         \
  auto tmp = (expr);                                                       \
  ASSERT_TRUE(tmp.ok()) << #expr << " failed: " << tmp.status().message(); \
  lhs = std::move(tmp).value()
#define ASSERT_OK(expr)                                                               \
  do {                                                                                \
    const ::stdb::Status stdb_status_ = (expr);                                       \
    ASSERT_TRUE(stdb_status_.ok()) << #expr << " failed: " << stdb_status_.message(); \
  } while (0)

// ---- Shared servers ----

// Prints everything `server` has logged so far to stderr.
void PrintServerLog(const ServerProcess& server);

enum class SharedModule { kQuickstartChat, kEdgeCases };

// A fixture whose tests share one server running `kModule` (database "chat" or "edge"),
// started before the suite's first test and stopped after its last, to save a server
// start per test. Only for tests that write nothing another test of the suite relies on.
// A test that fails prints the server's log. `Base` is ::testing::Test or a
// ::testing::TestWithParam<T>.
template <SharedModule kModule, typename Base = ::testing::Test>
class SharedServerTest : public Base {
 protected:
  static void SetUpTestSuite() {
    ServerProcess::Options options;
    options.module_path =
        kModule == SharedModule::kQuickstartChat ? kQuickstartModule : kEdgeCasesModule;
    options.database = kModule == SharedModule::kQuickstartChat ? "chat" : "edge";
    auto started = ServerProcess::Start(std::move(options));
    start_error_ = started.ok() ? "" : started.status().message();
    if (started.ok()) shared_ = std::move(started).value();
  }
  static void TearDownTestSuite() { shared_.reset(); }

  void SetUp() override {
    ASSERT_NE(shared_, nullptr) << "the shared server did not start: " << start_error_;
    ASSERT_TRUE(shared_->Running()) << "the shared server has exited:\n" << shared_->Log();
  }
  void TearDown() override {
    if (this->HasFailure() && shared_ != nullptr) PrintServerLog(*shared_);
  }

  static ServerProcess& server() { return *shared_; }

 private:
  static inline std::unique_ptr<ServerProcess> shared_;
  static inline std::string start_error_;
};

using SharedChatServerTest = SharedServerTest<SharedModule::kQuickstartChat>;

// ---- HTTP ----

using Headers = std::map<std::string, std::string>;

// Sends one request. Fails (kIo) only when the server cannot be reached.
Result<net::HttpResponse> Http(const std::string& method, const std::string& url,
                               const std::string& body = "", const Headers& headers = {});
Headers Bearer(const std::string& token);

// A fresh identity from POST /v1/identity.
struct Identity {
  U256 identity;
  std::string hex;
  std::string token;
};
Result<Identity> MintIdentity(const ServerProcess& server);

// Calls a reducer over HTTP with JSON arguments, as `token` (none: an anonymous caller).
Result<net::HttpResponse> CallHttp(const ServerProcess& server, const std::string& reducer,
                                   const std::string& json_args,
                                   const std::optional<std::string>& token = std::nullopt);
// Runs SQL over HTTP and returns the parsed JSON body when the status is 200.
Result<std::string> SqlHttp(const ServerProcess& server, const std::string& sql,
                            const std::optional<std::string>& token = std::nullopt);

// ---- WebSocket ----

struct WsOptions {
  std::string query;  // appended to the subscribe URL, e.g. "?compression=Gzip"
  std::optional<std::string> token;
  std::vector<std::string> subprotocols = {"v3.bsatn.spacetimedb", "v2.bsatn.spacetimedb"};
  std::string database;  // empty: the server's database
};
Result<std::unique_ptr<net::WsClient>> ConnectWs(const ServerProcess& server,
                                                 const WsOptions& options = {});

// One line naming a server message and its main fields, for failure output.
std::string Describe(const protocol::ServerMessage& message);

// Receives the next message and checks it is a T. Otherwise fails with a description of
// what arrived (or why nothing did, including the close reason).
template <typename T>
Result<T> ReceiveAs(net::WsClient& client, std::chrono::milliseconds timeout = kReceiveTimeout) {
  auto message = client.Receive(timeout);
  if (!message.ok()) {
    std::string why = message.status().message();
    if (auto reason = client.close_reason()) {
      why += " (close code " + std::to_string(reason->first) + ", reason '" + reason->second + "')";
    }
    return Status(message.status().code(), "expected a message, got none: " + why);
  }
  if (auto* typed = std::get_if<T>(&*message)) return std::move(*typed);
  return Status(ErrorCode::kInternal, "unexpected message: " + Describe(*message));
}

// Connects and receives InitialConnection.
struct Connected {
  std::unique_ptr<net::WsClient> client;
  protocol::InitialConnection hello;
};
Result<Connected> ConnectAndGreet(const ServerProcess& server, const WsOptions& options = {});

// Reads until the server closes the connection and returns its close code and reason.
// Messages that arrive first are skipped (at most `messages_max` of them).
Result<std::pair<int, std::string>> ReceiveClose(net::WsClient& client, size_t messages_max = 16);

// Subscribes (one query set) and returns the SubscribeApplied.
Result<protocol::SubscribeApplied> SubscribeAndWait(net::WsClient& client, uint32_t request_id,
                                                    uint32_t query_set_id,
                                                    std::vector<std::string> queries);

// Calls a reducer over the WebSocket and returns its ReducerResult.
Result<protocol::ReducerResult> CallWs(net::WsClient& client, uint32_t request_id,
                                       const std::string& reducer, Bytes args);

// A barrier: sends a OneOffQuery and checks that the very next message is its result.
// The database worker handles one request at a time in order, so once the result of a
// later request arrives, no earlier transaction can still have a message on its way.
// This proves "nothing was sent" without waiting for a timeout.
// `query` must be valid for the client's database.
Status ExpectNothingPending(net::WsClient& client, uint32_t request_id,
                            const std::string& query = "SELECT * FROM message");

// ---- Rows and arguments ----

// Row types of quickstart_chat's tables and the edge_cases module's `item`.
sats::AlgebraicType UserRowType();     // identity Identity, name Option<String>, online Bool
sats::AlgebraicType MessageRowType();  // sender Identity, sent Timestamp, text String
sats::AlgebraicType ItemRowType();     // id U64, label String, qty I32

// Decodes every row of `list` as `row_type` (a decoding error fails the Result).
Result<std::vector<sats::AlgebraicValue>> DecodeRows(const sats::AlgebraicType& row_type,
                                                     const protocol::BsatnRowList& list);
// The rows for `table` in `rows` (nullptr if absent).
const protocol::SingleTableRows* FindTable(const protocol::QueryRows& rows, std::string_view table);

// Field accessors for decoded rows.
const sats::AlgebraicValue& Field(const sats::AlgebraicValue& row, size_t index);
U256 IdentityOf(const sats::AlgebraicValue& identity_value);
std::string MessageText(const sats::AlgebraicValue& message_row);
std::vector<std::string> MessageTexts(const std::vector<sats::AlgebraicValue>& message_rows);

// BSATN arguments: a product of the given values with the given field types.
Bytes EncodeArgs(const std::vector<sats::AlgebraicType>& types,
                 const std::vector<sats::AlgebraicValue>& values);
Bytes StringArg(const std::string& text);

}  // namespace stdb::integration
