#include "net/ws_session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <array>
#include <tuple>

#include "base/log.h"
#include "net/http_util.h"
#include "protocol/messages.h"

namespace stdb::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
constexpr auto kNoThrow = asio::as_tuple(use_awaitable);

WsSession::WsSession(Stream stream, Params params)
    : ws_(std::move(stream)),
      params_(std::move(params)),
      wake_(ws_.get_executor()),
      guard_(ws_.get_executor()) {}

WsSession::~WsSession() = default;

void WsSession::Send(std::shared_ptr<const Bytes> message) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), message = std::move(message)]() mutable {
    if (self->closing_) return;
    if (self->outbox_.size() >= kOutboxMessagesMax ||
        self->outbox_bytes_ + message->size() > kOutboxBytesMax) {
      self->CloseOnStrand(websocket::close_code::policy_error,
                          "client too slow: outbox full (" + std::to_string(self->outbox_.size()) +
                              " messages); reconnect and resubscribe");
      return;
    }
    self->outbox_bytes_ += message->size();
    self->outbox_.push_back(std::move(message));
    self->wake_.cancel();
  });
}

void WsSession::Close(std::string reason) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), reason = std::move(reason)]() mutable {
    self->CloseOnStrand(websocket::close_code::policy_error, std::move(reason));
  });
}

void WsSession::CloseOnStrand(websocket::close_code code, std::string reason) {
  if (closing_) return;
  closing_ = true;
  LogDebug("ws", "closing client " + std::to_string(params_.client_id) + ": " + reason);
  close_ = websocket::close_reason(code, CloseReason(reason));
  // Messages not yet written are dropped: the client will resubscribe on reconnect.
  outbox_.clear();
  outbox_bytes_ = 0;
  wake_.cancel();
  // A writer blocked on a peer that does not read, or a peer that never completes the
  // close handshake, must not hold the connection open: drop it after a grace period.
  guard_.expires_after(std::chrono::seconds(kCloseGraceSeconds));
  guard_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && !self->reader_done_) beast::get_lowest_layer(self->ws_).close();
  });
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
  if (!s.ok()) CloseOnStrand(websocket::close_code::try_again_later, s.message());
  asio::co_spawn(ws_.get_executor(), WriteLoop(), asio::detached);

  beast::flat_buffer buffer;
  while (true) {
    buffer.clear();
    auto [ec, n] = co_await ws_.async_read(buffer, kNoThrow);
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
  wake_.cancel();
  guard_.cancel();
  params_.database->Disconnect(params_.client_id);
}

asio::awaitable<void> WsSession::WriteLoop() {
  auto self = shared_from_this();
  while (true) {
    if (outbox_.empty()) {
      if (closing_) break;
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(kNoThrow);
      continue;
    }
    std::shared_ptr<const Bytes> message = std::move(outbox_.front());
    outbox_.pop_front();
    outbox_bytes_ -= message->size();
    boost::system::error_code ec;
    if (params_.compression == Compression::kNone || message->size() <= kCompressThresholdBytes) {
      // Uncompressed: the tag byte and the shared message bytes go out as one frame
      // without copying the message.
      static constexpr uint8_t kTagNone = static_cast<uint8_t>(Compression::kNone);
      const std::array<asio::const_buffer, 2> frame{asio::buffer(&kTagNone, 1),
                                                    asio::buffer(*message)};
      std::tie(ec, std::ignore) = co_await ws_.async_write(frame, kNoThrow);
    } else {
      const Bytes frame = EncodeServerFrame(*message, params_.compression);
      std::tie(ec, std::ignore) = co_await ws_.async_write(asio::buffer(frame), kNoThrow);
    }
    if (ec) {
      closing_ = true;
      break;
    }
  }
  if (close_ && !reader_done_) co_await ws_.async_close(*close_, kNoThrow);
}

}  // namespace stdb::net
