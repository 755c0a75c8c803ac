// The client side of WebSocket (RFC 6455) over a BlockingSocket, for the transfer load
// generator's stdb connections: the same blocking write-then-read shape as its Redis
// client (loadgen_redis.cc), so that both systems' clients cost the machine about the
// same per call. net::WsClient (Beast over an io_context, a timer per read) cost the
// client threads ~3x the CPU of the Redis client on the same load, CPU the server under
// test then lacked.
//
// Only what the load generator needs: one subprotocol offered, no extensions (so no
// compressed frames), binary messages. Incoming frames are checked as the RFC requires
// (unmasked, no reserved bits, control frames short and whole, continuation only inside
// a fragmented message) and messages are bounded in size. Pings are answered; a close
// frame ends the connection with its code and reason. The masking key of outgoing frames
// comes from a PRNG seeded per connection: the key guards against cache poisoning in
// intermediaries, which a benchmark on loopback does not have.
//
// Thread safety: none; a WsSocket belongs to one client thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/random.h"
#include "base/status.h"
#include "bench/blocking_socket.h"

namespace stdb::bench {

// Frame opcodes (RFC 6455 section 5.2).
enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// The header of one frame sent by a server.
struct WsFrameHeader {
  bool fin = false;
  WsOpcode opcode = WsOpcode::kBinary;
  uint64_t payload_bytes = 0;
  size_t header_bytes = 0;  // 2, 4 or 10: a server's frames are not masked
};

// Parses the frame header at the start of `data`. Returns nullopt if `data` holds only
// part of it. Fails with kDecode if the header is not one a server may send: masked,
// reserved bits set, an unknown opcode, a control frame fragmented or over 125 bytes, a
// length in a longer form than needed's top bit set, or a payload above
// `payload_bytes_max`.
[[nodiscard]] Result<std::optional<WsFrameHeader>> ParseServerFrameHeader(
    ByteView data, uint64_t payload_bytes_max);

// Appends one client frame, FIN set, masked with `mask_key`, carrying `payload`.
void AppendClientFrame(WsOpcode opcode, ByteView payload, uint32_t mask_key, Bytes& out);

// The Sec-WebSocket-Accept a server answers to `key`: base64(SHA-1(key + the RFC's GUID)).
std::string WsAcceptFor(std::string_view key);

class WsSocket {
 public:
  struct Options {
    HostPort address;
    std::string path;         // request target: /v1/database/NAME/subscribe?...
    std::string subprotocol;  // the one offered; the server must choose it
    // Messages above this size fail the connection; it bounds the receive buffer.
    uint64_t message_bytes_max = 64ull << 20;
  };

  // Connects and completes the opening handshake within `timeout` per read. Fails with
  // kIo if the server answers anything but 101 with the subprotocol and the right
  // Sec-WebSocket-Accept (the message carries the status line and what body arrived).
  [[nodiscard]] static Result<std::unique_ptr<WsSocket>> Connect(
      const Options& options, std::chrono::milliseconds timeout);
  // Closes politely if the connection is still open (see Close).
  ~WsSocket();

  // Sends `payload` as one binary message in one frame.
  [[nodiscard]] Status SendBinary(ByteView payload);

  // Returns the next binary message, waiting up to `timeout` for each read. The view
  // stays valid until the next call. Answers pings on the way. Fails with kIo on a
  // timeout, a socket error or the server's close (the message carries its code and
  // reason), with kDecode on a frame the RFC forbids or a text message; after a failure
  // the connection is unusable.
  [[nodiscard]] Result<ByteView> Receive(std::chrono::milliseconds timeout);

  // Sends a close frame (1000) and waits up to 1 s for the server's, then drops the
  // connection. Idempotent; does nothing after the server's close or a failure.
  void Close();

 private:
  WsSocket(std::unique_ptr<BlockingSocket> socket, uint64_t message_bytes_max, uint64_t seed);

  // Reads more bytes into in_ (compacting it first). Fails as ReadSome does.
  [[nodiscard]] Status ReadMore(std::chrono::milliseconds timeout);
  [[nodiscard]] Status SendFrame(WsOpcode opcode, ByteView payload);

  std::unique_ptr<BlockingSocket> socket_;  // null once Close dropped it (open_ false)
  const uint64_t message_bytes_max_;
  SplitMix64 mask_rng_;
  Bytes in_;               // bytes received: in_[begin_, end_) not yet parsed
  size_t begin_ = 0;
  size_t end_ = 0;
  Bytes fragments_;        // the payload of a fragmented message so far
  bool fragmented_ = false;  // a message's first frame arrived without FIN
  Bytes out_;              // the frame being sent (reused)
  bool open_ = true;         // no close frame received, no failure
  bool close_sent_ = false;  // our close frame went out: nothing more may be sent
};

}  // namespace stdb::bench
