#include "bench/blocking_socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"

namespace stdb::bench {

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

Result<std::unique_ptr<BlockingSocket>> BlockingSocket::Connect(const HostPort& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return IoError("resolve " + address.host + ": " + gai_strerror(rc));
  }
  Status last = IoError("no address for " + address.host);
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last = IoError(ErrnoText("socket"));
      continue;
    }
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      freeaddrinfo(found);
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return std::unique_ptr<BlockingSocket>(new BlockingSocket(fd));
    }
    last = IoError(ErrnoText(("connect to " + address.host + ":" + port).c_str()));
    close(fd);
  }
  freeaddrinfo(found);
  return last;
}

BlockingSocket::~BlockingSocket() { close(fd_); }

Status BlockingSocket::WriteAll(ByteView data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(ErrnoText("send"));
    sent += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<size_t> BlockingSocket::ReadSome(uint8_t* buffer, size_t capacity,
                                        std::chrono::milliseconds timeout) {
  STDB_ASSERT(capacity > 0);
  STDB_ASSERT(timeout.count() > 0);
  if (timeout != receive_timeout_) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
      return IoError(ErrnoText("setsockopt SO_RCVTIMEO"));
    }
    receive_timeout_ = timeout;
  }
  while (true) {
    const ssize_t n = recv(fd_, buffer, capacity, 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return IoError("the server closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return IoError("nothing received within " + std::to_string(timeout.count()) + " ms");
    }
    return IoError(ErrnoText("recv"));
  }
}

}  // namespace stdb::bench
