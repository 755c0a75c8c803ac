// The transfer workload against stdb (bench/README.md, "Transfer workload"): the module
// bench_transfer (bench/modules/transfer/lib.cc) and its reducer transfer(from u32, to
// u32, amount i64), called over WebSocket v3 (bench/ws_socket.h, blocking like the Redis
// client); setup and the sum of balances over HTTP (src/net/client.h). Like the Redis
// client, a connection sends the calls queued since its last write together: one frame
// of CallReducer messages back to back, as v3 allows.
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "base/bytes.h"
#include "bench/loadgen_driver.h"
#include "bench/server_frame.h"
#include "bench/ws_socket.h"
#include "net/client.h"
#include "protocol/messages.h"

namespace stdb::bench {
namespace {

// How long a call over HTTP (setup, the sum of balances) may take.
constexpr auto kHttpTimeout = std::chrono::seconds(120);
// The server greets every connection first; it must do so within this.
constexpr auto kGreetingTimeout = std::chrono::seconds(30);
// Setup seeds this many accounts per reducer call (the module's bound is 100,000).
constexpr uint32_t kSeedPerCall = 10'000;

// BSATN of transfer's arguments: (from u32, to u32, amount i64), little-endian.
Bytes TransferArgs(uint32_t from, uint32_t to, int64_t amount) {
  Bytes out(16);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(from >> (8 * i));
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<uint8_t>(to >> (8 * i));
  const auto a = static_cast<uint64_t>(amount);
  for (int i = 0; i < 8; ++i) out[8 + i] = static_cast<uint8_t>(a >> (8 * i));
  return out;
}

class StdbConnection final : public TransferConnection {
 public:
  explicit StdbConnection(std::unique_ptr<WsSocket> ws) : ws_(std::move(ws)) {}

  Status Send(const Transfer& t) override {
    protocol::EncodeClientMessage(
        protocol::CallReducer{static_cast<uint32_t>(t.seq), 0, "transfer",
                              TransferArgs(t.from, t.to, t.amount)},
        queued_);
    return Status::Ok();
  }

  Status Flush() override {
    Status st = queued_.empty() ? Status::Ok() : ws_->SendBinary(queued_);
    queued_.clear();
    return st;
  }

  Status Receive(std::chrono::milliseconds timeout, std::vector<CallResult>& out) override {
    using Kind = protocol::ReducerOutcome::Kind;
    const size_t before = out.size();
    while (out.size() == before) {
      STDB_ASSIGN_OR_RETURN(ByteView frame, ws_->Receive(timeout));
      auto take = [&](protocol::ServerMessage& message) {
        auto* result = std::get_if<protocol::ReducerResult>(&message);
        if (result == nullptr) return Status::Ok();  // nothing else is expected; tolerate it
        const bool ok =
            result->outcome.kind == Kind::kOk || result->outcome.kind == Kind::kOkEmpty;
        out.push_back(CallResult{result->request_id,
                                 ok ? CallResult::Kind::kCommitted : CallResult::Kind::kRefused,
                                 ok ? std::string() : std::move(result->outcome.message)});
        return Status::Ok();
      };
      STDB_RETURN_IF_ERROR(ForEachServerMessage(frame, /*v3=*/true, take));
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<WsSocket> ws_;
  Bytes queued_;  // encoded calls not sent yet, back to back
};

class StdbSystem final : public TransferSystem {
 public:
  StdbSystem(std::string url, HostPort address, std::string db, bool confirmed)
      : url_(std::move(url)), address_(std::move(address)), db_(std::move(db)),
        confirmed_(confirmed) {}

  Status Setup(uint32_t accounts, int64_t balance) override {
    for (uint32_t first = 0; first < accounts; first += kSeedPerCall) {
      const uint32_t count = std::min(kSeedPerCall, accounts - first);
      const std::string args = nlohmann::json::array({first, count, balance}).dump();
      const std::string url = HttpBase() + "/call/seed";
      STDB_ASSIGN_OR_RETURN(
          auto res, net::HttpRequest("POST", url, {{"Content-Type", "application/json"}}, args,
                                     kHttpTimeout));
      if (res.status != 200) {
        return InternalError("POST " + url + " answered " + std::to_string(res.status) + ": " +
                             res.body);
      }
    }
    return Status::Ok();
  }

  // SELECT balance FROM account over POST /v1/database/NAME/sql, summed here.
  Result<Balances> ReadBalances() override {
    const std::string url = HttpBase() + "/sql";
    STDB_ASSIGN_OR_RETURN(
        auto res, net::HttpRequest("POST", url, {}, "SELECT balance FROM account", kHttpTimeout));
    if (res.status != 200) {
      return InternalError("POST " + url + " answered " + std::to_string(res.status) + ": " +
                           res.body);
    }
    auto body = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_array() || body.size() != 1 || !body[0].contains("rows") ||
        !body[0]["rows"].is_array()) {
      return DecodeError("unexpected SQL reply: " + res.body.substr(0, 200));
    }
    Balances out;
    for (const auto& row : body[0]["rows"]) {
      if (!row.is_array() || row.size() != 1 || !row[0].is_number_integer()) {
        return DecodeError("unexpected SQL row: " + row.dump());
      }
      out.total += row[0].get<int64_t>();
      ++out.accounts;
    }
    return out;
  }

  Result<std::unique_ptr<TransferConnection>> Connect() override {
    WsSocket::Options o;
    o.address = address_;
    o.path = "/v1/database/" + db_ + "/subscribe?compression=None&confirmed=" +
             (confirmed_ ? "true" : "false");
    o.subprotocol = "v3.bsatn.spacetimedb";
    STDB_ASSIGN_OR_RETURN(auto ws, WsSocket::Connect(o, kGreetingTimeout));
    // A call sent before the greeting is still served, but reading it here keeps
    // Receive to ReducerResults.
    STDB_ASSIGN_OR_RETURN(ByteView hello, ws->Receive(kGreetingTimeout));
    bool greeted = false;
    STDB_RETURN_IF_ERROR(ForEachServerMessage(hello, /*v3=*/true, [&](auto& message) {
      greeted = greeted || std::holds_alternative<protocol::InitialConnection>(message);
      return Status::Ok();
    }));
    if (!greeted) return InternalError("the server did not greet with InitialConnection");
    return std::unique_ptr<TransferConnection>(std::make_unique<StdbConnection>(std::move(ws)));
  }

 private:
  // ws://host:port -> http://host:port/v1/database/NAME
  std::string HttpBase() const { return "http" + url_.substr(2) + "/v1/database/" + db_; }

  const std::string url_;  // ws://host:port
  const HostPort address_;
  const std::string db_;
  const bool confirmed_;
};

}  // namespace

Result<std::unique_ptr<TransferSystem>> MakeStdbTransferSystem(const std::string& url,
                                                               const std::string& db,
                                                               bool confirmed) {
  if (url.rfind("ws://", 0) != 0) return InvalidArgument("a stdb --url starts with ws://");
  if (db.empty()) return InvalidArgument("stdb needs --db");
  std::string u = url;
  while (!u.empty() && u.back() == '/') u.pop_back();
  STDB_ASSIGN_OR_RETURN(HostPort address, ParseHostPort(std::string_view(u).substr(5)));
  return std::unique_ptr<TransferSystem>(
      std::make_unique<StdbSystem>(u, std::move(address), db, confirmed));
}

}  // namespace stdb::bench
