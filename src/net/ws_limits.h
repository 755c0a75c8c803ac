// Limits on every WebSocket connection (docs/configuration.md, "WebSocket clients").
#pragma once

#include <chrono>
#include <cstddef>

namespace stdb::net {

struct WsLimits {
  // Bounded: messages and bytes queued for one client. A client for which this much
  // already waits when another message comes is disconnected with the close reason
  // "client too slow: ..." (code 1008); it never stalls the database or other clients.
  // (So an outbox holds at most the bound plus one message, however large.)
  size_t outbox_messages_max = 16384;
  size_t outbox_bytes_max = 64 << 20;
  // Bounded: the largest client message accepted. A larger one closes the connection
  // with code 1009 (message too big).
  size_t client_message_bytes_max = 16 << 20;
  // The server pings each connection every half of this and drops one from which nothing
  // (not even the pong) arrived in a half that followed a ping: a vanished peer is gone
  // between half and all of this after it last sent something. Zero: never.
  std::chrono::seconds idle_timeout{60};
};

// v3 batches queued server messages into one frame up to about this many bytes (a
// single larger message still goes alone).
inline constexpr size_t kFrameBatchBytes = 1 << 20;

}  // namespace stdb::net
