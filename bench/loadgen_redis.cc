// The transfer workload against Redis 7 (bench/README.md, "Side-by-side: bench/run"):
// each account is a string key acct:<id> holding its balance; transfer is the function
// `transfer` of the library `transfer` (FUNCTION LOAD), called as
// FCALL transfer 2 acct:<from> acct:<to> <amount>. Connections are blocking TCP sockets
// speaking RESP2 (bench/resp.h) over bench/blocking_socket.h; calls are pipelined, and
// Redis answers in order.
#include <array>
#include <deque>
#include <string>

#include "base/assert.h"
#include "bench/blocking_socket.h"
#include "bench/loadgen_driver.h"
#include "bench/resp.h"

namespace stdb::bench {
namespace {

using Millis = std::chrono::milliseconds;

// The library. Both keys are declared (KEYS), as a cluster would require. Balances are
// integers in strings; tonumber gives a Lua double, exact below 2^53, far above any
// balance the benchmark seeds (the sum of all balances is checked outside Lua, exactly).
// A function that fails after a write keeps the write, so every check precedes the
// first write; DECRBY and INCRBY cannot fail on the integers checked before them.
constexpr const char* kLibrary = R"lua(#!lua name=transfer
redis.register_function('transfer', function(keys, args)
  local amount = tonumber(args[1])
  if keys[1] == keys[2] then return redis.error_reply('transfer to the same account') end
  if not amount or amount <= 0 then return redis.error_reply('amount must be positive') end
  local from = redis.call('GET', keys[1])
  if not from then return redis.error_reply('no account ' .. keys[1]) end
  local to = redis.call('GET', keys[2])
  if not to then return redis.error_reply('no account ' .. keys[2]) end
  if tonumber(from) < amount then return redis.error_reply('insufficient funds') end
  redis.call('DECRBY', keys[1], amount)
  redis.call('INCRBY', keys[2], amount)
  return 1
end)
)lua";

// Bounds: setup and the sum of balances move this many accounts per MSET / MGET and keep
// at most kCommandsInFlight of those commands unanswered, so neither side buffers more
// than a few hundred KiB; a socket read takes at most kReadChunkBytes.
constexpr uint32_t kAccountsPerCommand = 1000;
constexpr size_t kCommandsInFlight = 16;
constexpr size_t kReadChunkBytes = 64 << 10;
// How long setup and the sum of balances wait for each reply.
constexpr Millis kAdminTimeout = std::chrono::seconds(120);

std::string AccountKey(uint32_t id) { return "acct:" + std::to_string(id); }

// A blocking RESP connection. Commands are appended to a buffer and written by Flush;
// replies are parsed as they arrive. Not thread safe.
class RespSocket {
 public:
  static Result<std::unique_ptr<RespSocket>> Connect(const HostPort& address) {
    STDB_ASSIGN_OR_RETURN(auto socket, BlockingSocket::Connect(address));
    return std::unique_ptr<RespSocket>(new RespSocket(std::move(socket)));
  }

  void Queue(const std::vector<std::string_view>& args) { AppendRespCommand(args, out_); }

  Status Flush() {
    const Status st = socket_->WriteAll(AsBytes(out_));
    out_.clear();
    return st;
  }

  // Waits up to `timeout` per read for at least one reply, then appends every complete
  // reply received so far to `out`.
  Status Receive(Millis timeout, std::vector<RespValue>& out) {
    const size_t before = out.size();
    while (true) {
      while (true) {
        STDB_ASSIGN_OR_RETURN(auto value, parser_.Next());
        if (!value.has_value()) break;
        out.push_back(std::move(*value));
      }
      if (out.size() > before) return Status::Ok();
      STDB_ASSIGN_OR_RETURN(size_t n, socket_->ReadSome(chunk_.data(), chunk_.size(), timeout));
      parser_.Feed(std::string_view(reinterpret_cast<const char*>(chunk_.data()), n));
    }
  }

 private:
  explicit RespSocket(std::unique_ptr<BlockingSocket> socket) : socket_(std::move(socket)) {}

  std::unique_ptr<BlockingSocket> socket_;
  std::string out_;  // commands queued and not yet written
  RespParser parser_;
  std::array<uint8_t, kReadChunkBytes> chunk_;
};

// Sends `commands` (each a whole RESP command), at most kCommandsInFlight unanswered at
// a time, and passes each reply to `on_reply` in order. Fails on an error reply.
template <typename OnReply>
Status RunPipelined(RespSocket& socket, const std::vector<std::vector<std::string>>& commands,
                    OnReply on_reply) {
  size_t sent = 0, answered = 0;
  std::vector<RespValue> replies;
  while (answered < commands.size()) {
    while (sent < commands.size() && sent - answered < kCommandsInFlight) {
      std::vector<std::string_view> args(commands[sent].begin(), commands[sent].end());
      socket.Queue(args);
      ++sent;
    }
    STDB_RETURN_IF_ERROR(socket.Flush());
    replies.clear();
    STDB_RETURN_IF_ERROR(socket.Receive(kAdminTimeout, replies));
    for (RespValue& r : replies) {
      if (r.type == RespValue::Type::kError) return InternalError("Redis: " + r.text);
      STDB_RETURN_IF_ERROR(on_reply(r));
      ++answered;
    }
  }
  return Status::Ok();
}

class RedisConnection final : public TransferConnection {
 public:
  explicit RedisConnection(std::unique_ptr<RespSocket> socket) : socket_(std::move(socket)) {}

  Status Send(const Transfer& t) override {
    const std::string from = AccountKey(t.from), to = AccountKey(t.to),
                      amount = std::to_string(t.amount);
    socket_->Queue({"FCALL", "transfer", "2", from, to, amount});
    in_flight_.push_back(t.seq);
    return Status::Ok();
  }

  Status Flush() override { return socket_->Flush(); }

  Status Receive(Millis timeout, std::vector<CallResult>& out) override {
    STDB_ASSERT(!in_flight_.empty());
    replies_.clear();
    STDB_RETURN_IF_ERROR(socket_->Receive(timeout, replies_));
    for (RespValue& r : replies_) {
      if (in_flight_.empty()) return InternalError("Redis answered a call that was not made");
      CallResult result{in_flight_.front(), CallResult::Kind::kCommitted, {}};
      in_flight_.pop_front();
      if (r.type == RespValue::Type::kError) {
        result.kind = CallResult::Kind::kRefused;
        result.message = std::move(r.text);
      }
      out.push_back(std::move(result));
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<RespSocket> socket_;
  std::deque<uint64_t> in_flight_;  // seqs of the calls sent and not yet answered
  std::vector<RespValue> replies_;  // reused by Receive
};

class RedisSystem final : public TransferSystem {
 public:
  explicit RedisSystem(HostPort address) : address_(std::move(address)) {}

  // Loads the library (replacing an older one) and seeds with MSET.
  Status Setup(uint32_t accounts, int64_t balance) override {
    STDB_ASSIGN_OR_RETURN(auto socket, RespSocket::Connect(address_));
    std::vector<std::vector<std::string>> commands{{"FUNCTION", "LOAD", "REPLACE", kLibrary}};
    const std::string b = std::to_string(balance);
    for (uint32_t first = 0; first < accounts; first += kAccountsPerCommand) {
      std::vector<std::string> mset{"MSET"};
      for (uint32_t id = first; id < std::min(accounts, first + kAccountsPerCommand); ++id) {
        mset.push_back(AccountKey(id));
        mset.push_back(b);
      }
      commands.push_back(std::move(mset));
    }
    return RunPipelined(*socket, commands, [](const RespValue&) { return Status::Ok(); });
  }

  // MGET of every id that a run could touch, [0, accounts) where accounts is the number
  // of keys acct:* present (DBSIZE: the benchmark's server holds nothing else).
  Result<Balances> ReadBalances() override {
    STDB_ASSIGN_OR_RETURN(auto socket, RespSocket::Connect(address_));
    int64_t keys = 0;
    STDB_RETURN_IF_ERROR(RunPipelined(*socket, {{"DBSIZE"}}, [&](const RespValue& v) {
      if (v.type != RespValue::Type::kInteger) return DecodeError("DBSIZE: not an integer");
      keys = v.integer;
      return Status::Ok();
    }));
    std::vector<std::vector<std::string>> commands;
    for (int64_t first = 0; first < keys; first += kAccountsPerCommand) {
      std::vector<std::string> mget{"MGET"};
      for (int64_t id = first; id < std::min<int64_t>(keys, first + kAccountsPerCommand); ++id) {
        mget.push_back(AccountKey(static_cast<uint32_t>(id)));
      }
      commands.push_back(std::move(mget));
    }
    Balances out;
    STDB_RETURN_IF_ERROR(RunPipelined(*socket, commands,
                                      [&](const RespValue& v) { return AddMgetBalances(v, out); }));
    return out;
  }

  Result<std::unique_ptr<TransferConnection>> Connect() override {
    STDB_ASSIGN_OR_RETURN(auto socket, RespSocket::Connect(address_));
    return std::unique_ptr<TransferConnection>(
        std::make_unique<RedisConnection>(std::move(socket)));
  }

 private:
  const HostPort address_;
};

}  // namespace

Result<std::unique_ptr<TransferSystem>> MakeRedisTransferSystem(const std::string& url) {
  STDB_ASSIGN_OR_RETURN(HostPort address, ParseHostPort(url));
  return std::unique_ptr<TransferSystem>(std::make_unique<RedisSystem>(std::move(address)));
}

}  // namespace stdb::bench
