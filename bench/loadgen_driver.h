// What the transfer load generator (bench/loadgen.cc) asks of each system under test:
// setup, the sum of balances, and connections that pipeline transfer calls. One file per
// system implements it: loadgen_stdb.cc (WebSocket, reducer `transfer`), loadgen_redis.cc
// (RESP, function `transfer` by FCALL), loadgen_postgres.cc (libpq pipeline mode, PL/pgSQL
// function `transfer`).
//
// Thread safety: a TransferSystem's methods are called from the main thread only, before
// and after the clients run; each TransferConnection belongs to one client thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "bench/loadgen_workload.h"

namespace stdb::bench {

// The answer to one call.
struct CallResult {
  enum class Kind : uint8_t {
    kCommitted,  // the transfer committed (stdb: after it was durable, with confirmed reads)
    kRefused,    // the transaction refused and wrote nothing: insufficient funds, ...
    kConflict,   // the system aborted it for concurrency: a deadlock or serialization
                 // failure (PostgreSQL); the client does not retry
  };
  uint64_t seq = 0;  // the Transfer's seq
  Kind kind = Kind::kCommitted;
  std::string message;  // why, unless committed
};

// One connection that keeps calls in flight. Calls are answered in the order sent by the
// peers; stdb may reorder in principle, so results name their call.
class TransferConnection {
 public:
  virtual ~TransferConnection() = default;

  // Queues a call. It may stay in a buffer until Flush. Fails if the connection did.
  virtual Status Send(const Transfer& t) = 0;
  // Hands every queued call to the server (blocking until the socket took them).
  virtual Status Flush() = 0;
  // Waits up to `timeout` until at least one call is answered, then appends every
  // answer already received to `out`. REQUIRES: a call is outstanding. Fails on a
  // connection error, a protocol error or the timeout; the connection is then unusable.
  virtual Status Receive(std::chrono::milliseconds timeout, std::vector<CallResult>& out) = 0;
};

class TransferSystem {
 public:
  virtual ~TransferSystem() = default;

  // Creates what the workload needs (schema, functions) and accounts [0, accounts), each
  // holding `balance`, on a fresh server. stdb: the module must be published already.
  virtual Status Setup(uint32_t accounts, int64_t balance) = 0;
  // The number of accounts and the sum of their balances, read while no client runs.
  virtual Result<Balances> ReadBalances() = 0;
  // A new connection, ready for Send.
  virtual Result<std::unique_ptr<TransferConnection>> Connect() = 0;
};

// The systems. `url` is each one's own kind of address; the factories check its form
// but do not connect.
//   stdb      ws://host:port, and the database's name; confirmed: results wait until the
//             transaction is durable (the server's default)
//   redis     host:port or redis://host:port
//   postgres  a libpq connection string, e.g. "host=127.0.0.1 port=5432 user=postgres" or
//             postgresql://postgres@127.0.0.1:5432/postgres
Result<std::unique_ptr<TransferSystem>> MakeStdbTransferSystem(const std::string& url,
                                                               const std::string& db,
                                                               bool confirmed);
Result<std::unique_ptr<TransferSystem>> MakeRedisTransferSystem(const std::string& url);
Result<std::unique_ptr<TransferSystem>> MakePostgresTransferSystem(const std::string& url);

}  // namespace stdb::bench
