// WsSession: one client's WebSocket connection to one database.
//
// Reading: each binary frame carries one (v2) or several (v3) ClientMessages; they are
// decoded here and handed to the database in order. A malformed frame closes the
// connection with a reason; the database and other clients are unaffected.
//
// Writing: the database queues encoded ServerMessages through Send (any thread) into a
// locked outbox. A chain of writes on the connection's IO thread takes what has queued and writes it in
// order: under v3 as one frame carrying every queued message (up to kFrameBatchBytes),
// under v2 one frame per message. The frame is compressed (gzip/brotli, as the client
// asked) when its payload is above 1 KiB. Send starts the chain (one post) only when it
// is not running, so a busy connection costs the sender a lock and a push per message;
// under a db::SendBatch that post waits for the batch's end (Flush), so the replies of
// one durable group leave in one frame.
//
// Bounded: the outbox holds at most WsLimits::outbox_messages_max messages and
// outbox_bytes_max bytes. A client that falls that far behind is disconnected with the
// close reason "client too slow: ..."; it never stalls the database or other clients.
// Idle connections are pinged and dropped after WsLimits::idle_timeout of silence.
//
// Thread safety: Send and Close may be called from any thread; everything else runs on
// the connection's IO thread (its executor).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "net/compression.h"
#include "net/ws_limits.h"

namespace stdb::net {

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
    WsLimits limits;
  };

  WsSession(Stream stream, Params params);
  ~WsSession() override;

  // Connects to the database and serves the connection until it closes.
  boost::asio::awaitable<void> Run();

  void Send(protocol::EncodedMessage message) override;
  // Starts the write chain a deferred Send left (db::SendBatch).
  void Flush() override;
  void Close(std::string reason) override;

 private:
  // Strand only: writes the next batch, and again when that write completes, until the
  // outbox is empty; then sends the close frame if one is due.
  void WriteNext();
  // Posts WriteNext to the connection's executor (starts the write chain).
  void PostWriteNext();
  // Strand only.
  void CloseOnStrand(boost::beast::websocket::close_code code, std::string reason);
  void HandleFrame(ByteView frame);
  // The request id (base/log.h) the work for `message` is logged with.
  RequestId MessageRequestId(const protocol::ClientMessage& message) const;
  // Takes the next frame's messages from the outbox (several under v3) into batch_;
  // when the outbox is empty, ends the write chain so that the next Send starts one.
  void TakeBatch();
  // Builds the buffers of one frame from `batch` into frame_buffers_ (and scratch_).
  void BuildFrame(const std::vector<protocol::EncodedMessage>& batch);

  Stream ws_;
  Params params_;

  std::mutex mu_;  // guards the fields up to the next blank line
  std::deque<protocol::EncodedMessage> outbox_;
  size_t outbox_bytes_ = 0;
  bool writing_ = false;        // a write chain is running or posted
  bool deferred_ = false;       // writing_ is set, but the chain starts at Flush (SendBatch)
  bool outbox_closed_ = false;  // no more messages are accepted

  // The frame being written: its messages (holding the pieces alive), the tag byte and
  // small pieces copied into scratch_; large shared pieces are written from where they are.
  std::vector<protocol::EncodedMessage> batch_;
  Bytes scratch_;
  std::vector<boost::asio::const_buffer> frame_buffers_;
  bool close_sent_ = false;
  boost::asio::steady_timer guard_;  // drops the connection if closing takes too long
  bool closing_ = false;      // no more messages are queued or processed
  bool reader_done_ = false;
  std::optional<boost::beast::websocket::close_reason> close_;
};

}  // namespace stdb::net
