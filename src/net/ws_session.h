// WsSession: one client's WebSocket connection to one database.
//
// Reading: each binary frame carries one (v2) or several (v3) ClientMessages; they are
// decoded here and handed to the database in order. A malformed frame closes the
// connection with a reason; the database and other clients are unaffected.
//
// Writing: the database queues encoded ServerMessages through Send (any thread); a
// writer coroutine frames them (compression tag, gzip/brotli above 1 KiB when asked)
// and writes them in order.
//
// Bounded: the outbox holds at most kOutboxMessagesMax messages and kOutboxBytesMax
// bytes. A client that falls that far behind is disconnected with the close reason
// "client too slow"; it never stalls the database or other clients.
//
// Thread safety: Send and Close may be called from any thread; everything else runs on
// the connection's strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "db/database.h"
#include "net/compression.h"

namespace stdb::net {

inline constexpr size_t kOutboxMessagesMax = 16384;
inline constexpr size_t kOutboxBytesMax = 64 << 20;
// Bounded: the largest client frame accepted (WebSocket message size limit).
inline constexpr size_t kClientFrameBytesMax = 16 << 20;
// A write that has not finished this long after a close was requested is abandoned
// and the socket closed: the peer is not reading.
inline constexpr int kCloseGraceSeconds = 5;

class WsSession final : public db::ClientOutbox, public std::enable_shared_from_this<WsSession> {
 public:
  using Stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;

  struct Params {
    std::shared_ptr<db::Database> database;
    db::ClientId client_id = 0;
    db::Caller caller;
    std::string token;        // sent back in InitialConnection
    Compression compression = Compression::kNone;
    bool v3 = true;           // v3 framing (several messages per frame) or v2
    // false (?confirmed=false): results leave before their transaction is durable.
    bool confirmed = true;
  };

  WsSession(Stream stream, Params params);
  ~WsSession() override;

  // Connects to the database and serves the connection until it closes.
  boost::asio::awaitable<void> Run();

  void Send(std::shared_ptr<const Bytes> message) override;
  void Close(std::string reason) override;

 private:
  boost::asio::awaitable<void> WriteLoop();
  // Strand only.
  void CloseOnStrand(boost::beast::websocket::close_code code, std::string reason);
  void HandleFrame(ByteView frame);

  Stream ws_;
  Params params_;
  std::deque<std::shared_ptr<const Bytes>> outbox_;
  size_t outbox_bytes_ = 0;
  boost::asio::steady_timer wake_;   // wakes the writer when the outbox fills or closes
  boost::asio::steady_timer guard_;  // drops the connection if closing takes too long
  bool closing_ = false;      // no more messages are queued or processed
  bool reader_done_ = false;
  std::optional<boost::beast::websocket::close_reason> close_;
};

}  // namespace stdb::net
