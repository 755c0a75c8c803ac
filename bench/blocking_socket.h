// A blocking TCP connection for the load generator's clients (RESP in loadgen_redis.cc,
// WebSocket in ws_socket.h): the client thread writes whole buffers and reads what has
// arrived, one system call each, with no event loop between it and the socket. The
// clients of every system pay the same small cost per call, so the machine's two cores
// go to the servers under test.
//
// Thread safety: none; a socket belongs to one client thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/status.h"
#include "bench/loadgen_workload.h"

namespace stdb::bench {

class BlockingSocket {
 public:
  // Connects to the first address of `address` that accepts, with TCP_NODELAY set (the
  // clients write whole batches of calls; Nagle would hold the next batch for an ACK).
  [[nodiscard]] static Result<std::unique_ptr<BlockingSocket>> Connect(const HostPort& address);
  ~BlockingSocket();
  BlockingSocket(const BlockingSocket&) = delete;
  BlockingSocket& operator=(const BlockingSocket&) = delete;

  // Writes all of `data`, blocking while the peer's window is full.
  [[nodiscard]] Status WriteAll(ByteView data);
  // Waits up to `timeout` for bytes, then reads at most `capacity` of them into
  // `buffer`. Returns how many (> 0). Fails with kIo on a timeout, an error, or when the
  // peer has closed (the message says which). One recv when bytes are waiting: the
  // timeout is the socket's SO_RCVTIMEO, set again only when it changes.
  [[nodiscard]] Result<size_t> ReadSome(uint8_t* buffer, size_t capacity,
                                        std::chrono::milliseconds timeout);

 private:
  explicit BlockingSocket(int fd) : fd_(fd) {}

  const int fd_;
  std::chrono::milliseconds receive_timeout_{0};  // 0: none set yet (blocks forever)
};

// "what: <strerror(errno)>".
std::string ErrnoText(const char* what);

}  // namespace stdb::bench
