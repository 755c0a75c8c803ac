#include "net/ws_session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <charconv>
#include <tuple>
#include <utility>

#include "base/log.h"
#include "net/http_util.h"
#include "obs/metrics.h"
#include "protocol/messages.h"

namespace stdb::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
constexpr auto kNoThrow = asio::as_tuple(use_awaitable);
// The frame buffer a session keeps between writes; a larger one is freed after its write.
constexpr size_t kScratchKeepBytes = 64 << 10;

WsSession::WsSession(Stream stream, Params params)
    : ws_(std::move(stream)),
      params_(std::move(params)),
      guard_(ws_.get_executor()) {
  obs::Global().connections.Increment();
}

WsSession::~WsSession() { obs::Global().connections.Decrement(); }

void WsSession::Send(protocol::EncodedMessage message) {
  std::string overflow;
  bool wake = false;
  bool defer = false;
  {
    std::lock_guard lock(mu_);
    if (outbox_closed_) return;
    const WsLimits& limits = params_.limits;
    // The bound is on how far a client has fallen behind (what already waits), not on
    // the size of what it asked for: a large subscription's initial rows still go out.
    if (outbox_.size() >= limits.outbox_messages_max || outbox_bytes_ >= limits.outbox_bytes_max) {
      overflow = "client too slow: " + std::to_string(outbox_.size()) + " messages (" +
                 std::to_string(outbox_bytes_) +
                 " bytes) waiting to be sent; reconnect and resubscribe";
      obs::Global().slow_client_disconnects.Increment();
      obs::Global().outbox_dropped_messages.Increment(static_cast<double>(outbox_.size() + 1));
      outbox_closed_ = true;
      outbox_.clear();
      outbox_bytes_ = 0;
    } else {
      outbox_bytes_ += message.size();
      outbox_.push_back(std::move(message));
      wake = !std::exchange(writing_, true);
      defer = wake && db::SendBatch::Active();
      if (defer) deferred_ = true;
    }
  }
  if (!overflow.empty()) {
    Close(std::move(overflow));
  } else if (defer) {
    db::SendBatch::Defer(shared_from_this());
  } else if (wake) {
    PostWriteNext();
  }
}

void WsSession::PostWriteNext() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] { self->WriteNext(); });
}

void WsSession::Flush() {
  {
    std::lock_guard lock(mu_);
    if (!std::exchange(deferred_, false)) return;  // a Close started it already
  }
  PostWriteNext();
}

void WsSession::Close(std::string reason) {
  // A write deferred by a SendBatch starts first, so the messages queued before the close
  // are taken (posts to one executor from one thread run in order).
  bool deferred = false;
  {
    std::lock_guard lock(mu_);
    deferred = std::exchange(deferred_, false);
  }
  if (deferred) PostWriteNext();
  asio::post(ws_.get_executor(), [self = shared_from_this(), reason = std::move(reason)]() mutable {
    self->CloseOnStrand(websocket::close_code::policy_error, std::move(reason));
  });
}

void WsSession::CloseOnStrand(websocket::close_code code, std::string reason) {
  if (closing_) return;
  closing_ = true;
  LogInfo("ws", "closing client " + std::to_string(params_.client_id) + ": " + reason);
  close_ = websocket::close_reason(code, CloseReason(reason));
  bool idle = false;
  {
    // Messages not yet written are dropped: the client will resubscribe on reconnect.
    std::lock_guard lock(mu_);
    outbox_closed_ = true;
    outbox_.clear();
    outbox_bytes_ = 0;
    idle = !std::exchange(writing_, true);
  }
  // A running write chain sends the close frame when its write completes.
  if (idle) WriteNext();
  // A writer blocked on a peer that does not read, or a peer that never completes the
  // close handshake, must not hold the connection open: drop it after a grace period.
  guard_.expires_after(std::chrono::seconds(kCloseGraceSeconds));
  guard_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && !self->reader_done_) beast::get_lowest_layer(self->ws_).close();
  });
}

RequestId WsSession::MessageRequestId(const protocol::ClientMessage& message) const {
  // "ws<client>:<request id>", e.g. "ws17:42"; formatted without allocating.
  char text[RequestId::kMaxBytes];
  char* end = text + sizeof(text);
  char* p = text;
  *p++ = 'w';
  *p++ = 's';
  p = std::to_chars(p, end, params_.client_id).ptr;
  std::visit(
      [&](const auto& m) {
        if constexpr (requires { m.request_id; }) {
          *p++ = ':';
          p = std::to_chars(p, end, m.request_id).ptr;
        }
      },
      message);
  return RequestId(std::string_view(text, static_cast<size_t>(p - text)));
}

void WsSession::HandleFrame(ByteView frame) {
  ByteReader reader(frame);
  if (reader.at_end()) {
    CloseOnStrand(websocket::close_code::bad_payload, "malformed message: empty frame");
    return;
  }
  do {
    auto msg = protocol::DecodeClientMessage(reader);
    if (!msg.ok()) {
      CloseOnStrand(websocket::close_code::bad_payload, msg.status().message());
      return;
    }
    if (!params_.v3 && !reader.at_end()) {
      CloseOnStrand(websocket::close_code::bad_payload,
                    "malformed message: trailing bytes after a v2 message");
      return;
    }
    // What the database logs for this message names the client and its request id.
    ScopedRequestId request(MessageRequestId(*msg));
    Status s = params_.database->HandleMessage(params_.client_id, std::move(msg).value());
    if (!s.ok()) {
      CloseOnStrand(websocket::close_code::try_again_later, s.message());
      return;
    }
  } while (!reader.at_end());
}

asio::awaitable<void> WsSession::Run() {
  auto self = shared_from_this();
  Status s = params_.database->Connect(params_.client_id, params_.caller, params_.token, self,
                                       params_.confirmed);
  // Busy: try again later. Stopped (deleted, shutting down): going away.
  if (!s.ok()) {
    CloseOnStrand(s.code() == ErrorCode::kOverloaded ? websocket::close_code::try_again_later
                                                     : websocket::close_code::going_away,
                  s.message());
  }

  beast::flat_buffer buffer;
  while (true) {
    buffer.clear();
    auto [ec, n] = co_await ws_.async_read(buffer, kNoThrow);
    if (ec == beast::error::timeout) {
      LogInfo("ws", "dropping client " + std::to_string(params_.client_id) + ": nothing received for " +
                        std::to_string(params_.limits.idle_timeout.count()) +
                        " s, not even a pong (--ws-idle-timeout)");
    }
    if (ec) break;
    if (closing_) continue;  // draining until the close handshake completes
    if (!ws_.got_binary()) {
      CloseOnStrand(websocket::close_code::unknown_data,
                    "text frames are not supported; this server speaks the binary protocol");
      continue;
    }
    const auto data = buffer.cdata();
    HandleFrame(ByteView(static_cast<const uint8_t*>(data.data()), data.size()));
  }
  reader_done_ = true;
  closing_ = true;
  {
    std::lock_guard lock(mu_);
    outbox_closed_ = true;
    outbox_.clear();
    outbox_bytes_ = 0;
  }
  guard_.cancel();
  params_.database->Disconnect(params_.client_id);
}

void WsSession::TakeBatch() {
  batch_.clear();
  std::lock_guard lock(mu_);
  size_t bytes = 0;
  while (!outbox_.empty()) {
    const size_t size = outbox_.front().size();
    if (!batch_.empty() && (!params_.v3 || bytes + size > kFrameBatchBytes)) break;
    bytes += size;
    outbox_bytes_ -= size;
    batch_.push_back(std::move(outbox_.front()));
    outbox_.pop_front();
  }
  // Ending the chain under the lock: a Send after this starts a new one.
  if (batch_.empty()) writing_ = false;
}

void WsSession::BuildFrame(const std::vector<protocol::EncodedMessage>& batch) {
  // Pieces up to this size are copied next to the tag byte (one iovec for many small
  // headers and rows); larger shared ones are written in place, never copied.
  constexpr size_t kCopyBelow = 4096;
  size_t payload = 0;
  size_t copied = 1;
  for (const auto& m : batch) {
    payload += m.size();
    for (const auto& p : m.pieces()) copied += p->size() < kCopyBelow ? p->size() : 0;
  }
  scratch_.clear();
  frame_buffers_.clear();
  if (params_.compression != Compression::kNone && payload > kCompressThresholdBytes) {
    Bytes plain;
    plain.reserve(payload);
    for (const auto& m : batch) m.AppendTo(plain);
    scratch_ = EncodeServerFrame(plain, params_.compression);
    frame_buffers_.push_back(asio::buffer(scratch_));
    return;
  }
  // Reserved up front: frame_buffers_ point into scratch_, which must not move.
  scratch_.reserve(copied);
  scratch_.push_back(static_cast<uint8_t>(Compression::kNone));
  size_t run_start = 0;  // where the current run of copied bytes begins in scratch_
  auto end_run = [&] {
    if (scratch_.size() > run_start) {
      frame_buffers_.push_back(asio::buffer(scratch_.data() + run_start, scratch_.size() - run_start));
    }
    run_start = scratch_.size();
  };
  for (const auto& m : batch) {
    for (const auto& p : m.pieces()) {
      if (p->size() < kCopyBelow) {
        scratch_.insert(scratch_.end(), p->begin(), p->end());
      } else {
        end_run();
        frame_buffers_.push_back(asio::buffer(*p));
      }
    }
  }
  end_run();
}

void WsSession::WriteNext() {
  TakeBatch();
  if (batch_.empty()) {
    if (close_ && !close_sent_ && !reader_done_) {
      close_sent_ = true;
      // Nothing more is written after the close frame: keep the chain marked running.
      {
        std::lock_guard lock(mu_);
        writing_ = true;
      }
      ws_.async_close(*close_, [self = shared_from_this()](boost::system::error_code) {});
    }
    return;
  }
  BuildFrame(batch_);
  obs::Metrics& metrics = obs::Global();
  metrics.messages_sent.Increment(static_cast<double>(batch_.size()));
  metrics.bytes_sent.Increment(static_cast<double>(beast::buffer_bytes(frame_buffers_)));
  ws_.async_write(frame_buffers_, [self = shared_from_this()](boost::system::error_code ec,
                                                               size_t) {
    self->batch_.clear();
    // A large frame (compressed, or many small pieces) must not pin its buffer for the
    // rest of the connection: idle clients are meant to cost a few KB.
    if (self->scratch_.capacity() > kScratchKeepBytes) Bytes().swap(self->scratch_);
    if (ec) {
      // The connection is broken; the reader sees it too and disconnects the client.
      self->closing_ = true;
      std::lock_guard lock(self->mu_);
      self->outbox_closed_ = true;
      self->outbox_.clear();
      self->outbox_bytes_ = 0;
      return;  // the chain stays marked running: nothing is written any more
    }
    self->WriteNext();
  });
}

}  // namespace stdb::net
