// Server: the HTTP + WebSocket front end (routes in docs/http-api.md, client protocol in
// docs/protocol.md). Boost.Beast on IO threads, each running its own io_context; each
// connection lives on one of them (round robin), so its handlers never run concurrently;
// database work is handed to each database's worker thread and results are posted back
// to the connection's thread, so IO threads never wait on a database.
//
// Thread safety: Start, Wait and Stop may be called from any thread; Stop is idempotent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/ws_limits.h"

namespace stdb::auth {
class TokenAuthority;
}
namespace stdb::db {
class Registry;
}

namespace stdb::net {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 3000;  // 0: any free port (see Start's result)
  int io_threads = 2;
  WsLimits ws;
};

class Server {
 public:
  Server(ServerOptions options, db::Registry& registry, auth::TokenAuthority& tokens);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the IO threads. Returns the bound port. Fails with kIo
  // (address in use, cannot bind) without starting anything.
  Result<uint16_t> Start();
  // Blocks until Stop is called (from another thread or a signal handler thread).
  void Wait();
  // Stops accepting, closes connections and joins the IO threads.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stdb::net
