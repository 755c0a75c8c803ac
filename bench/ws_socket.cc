#include "bench/ws_socket.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <random>

#include "base/assert.h"

namespace stdb::bench {
namespace {

// RFC 6455 section 1.3: appended to the key before hashing.
constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// The handshake's answer must fit in this; stdb's is a few hundred bytes.
constexpr size_t kHandshakeBytesMax = 16 << 10;
// Each read asks for up to this much; the buffer grows to hold one whole frame.
constexpr size_t kReadChunkBytes = 64 << 10;
// Close waits this long for the server's close frame.
constexpr auto kCloseTimeout = std::chrono::milliseconds(1000);
// Control frames carry at most this much (RFC 6455 section 5.5).
constexpr uint64_t kControlPayloadMax = 125;

std::string Base64(const uint8_t* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Checks the server's answer to the opening handshake (status line and headers, without
// the blank line). `rest` is what followed it, quoted in the error if the status is not 101.
Status CheckHandshakeAnswer(std::string_view head, std::string_view rest,
                            std::string_view expected_accept, std::string_view subprotocol) {
  const size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.substr(0, 13) != "HTTP/1.1 101 ") {
    return IoError("WebSocket handshake refused: " + std::string(status_line) + " " +
                   std::string(rest.substr(0, 200)));
  }
  std::string upgrade, accept, chosen;
  size_t at = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (at < head.size()) {
    size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(at, end - at);
    at = end + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = Lower(Trim(line.substr(0, colon)));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (name == "upgrade") upgrade = Lower(value);
    if (name == "sec-websocket-accept") accept = value;
    if (name == "sec-websocket-protocol") chosen = value;
  }
  if (upgrade != "websocket") return IoError("WebSocket handshake: no Upgrade: websocket");
  if (accept != expected_accept) return IoError("WebSocket handshake: wrong Sec-WebSocket-Accept");
  if (chosen != subprotocol) {
    return IoError("WebSocket handshake: the server chose the subprotocol '" + chosen +
                   "', not " + std::string(subprotocol));
  }
  return Status::Ok();
}

}  // namespace

Result<std::optional<WsFrameHeader>> ParseServerFrameHeader(ByteView data,
                                                            uint64_t payload_bytes_max) {
  if (data.size() < 2) return std::optional<WsFrameHeader>();
  WsFrameHeader h;
  const uint8_t b0 = data[0], b1 = data[1];
  if ((b0 & 0x70) != 0) return DecodeError("a WebSocket frame with reserved bits set");
  if ((b1 & 0x80) != 0) return DecodeError("a masked WebSocket frame from the server");
  h.fin = (b0 & 0x80) != 0;
  const uint8_t op = b0 & 0x0F;
  switch (op) {
    case 0x0: case 0x1: case 0x2: case 0x8: case 0x9: case 0xA:
      h.opcode = static_cast<WsOpcode>(op);
      break;
    default:
      return DecodeError("a WebSocket frame with the unknown opcode " + std::to_string(op));
  }
  const uint8_t len7 = b1 & 0x7F;
  if (len7 < 126) {
    h.header_bytes = 2;
    h.payload_bytes = len7;
  } else if (len7 == 126) {
    h.header_bytes = 4;
    if (data.size() < h.header_bytes) return std::optional<WsFrameHeader>();
    h.payload_bytes = (uint64_t{data[2]} << 8) | data[3];
    if (h.payload_bytes < 126) return DecodeError("a WebSocket length in a longer form than needed");
  } else {
    h.header_bytes = 10;
    if (data.size() < h.header_bytes) return std::optional<WsFrameHeader>();
    for (int i = 0; i < 8; ++i) h.payload_bytes = (h.payload_bytes << 8) | data[2 + i];
    if ((h.payload_bytes >> 63) != 0) return DecodeError("a WebSocket length with its top bit set");
    if (h.payload_bytes <= 0xFFFF) return DecodeError("a WebSocket length in a longer form than needed");
  }
  if (op >= 0x8 && (!h.fin || h.payload_bytes > kControlPayloadMax)) {
    return DecodeError("a fragmented or oversized WebSocket control frame");
  }
  if (h.payload_bytes > payload_bytes_max) {
    return DecodeError("a WebSocket frame of " + std::to_string(h.payload_bytes) +
                       " bytes, above the bound of " + std::to_string(payload_bytes_max));
  }
  return std::optional<WsFrameHeader>(h);
}

void AppendClientFrame(WsOpcode opcode, ByteView payload, uint32_t mask_key, Bytes& out) {
  out.push_back(static_cast<uint8_t>(0x80 | static_cast<uint8_t>(opcode)));
  const uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<uint8_t>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(0x80 | 126);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(0x80 | 127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  }
  const std::array<uint8_t, 4> mask{static_cast<uint8_t>(mask_key >> 24),
                                    static_cast<uint8_t>(mask_key >> 16),
                                    static_cast<uint8_t>(mask_key >> 8),
                                    static_cast<uint8_t>(mask_key)};
  out.insert(out.end(), mask.begin(), mask.end());
  const size_t at = out.size();
  out.resize(at + payload.size());
  uint8_t* dst = out.data() + at;
  for (size_t i = 0; i < payload.size(); ++i) dst[i] = payload[i] ^ mask[i & 3];
}

std::string WsAcceptFor(std::string_view key) {
  std::string input(key);
  input += kAcceptGuid;
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  const int ok = EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr);
  STDB_ASSERT(ok == 1 && size == 20);
  return Base64(digest.data(), size);
}

WsSocket::WsSocket(std::unique_ptr<BlockingSocket> socket, uint64_t message_bytes_max,
                   uint64_t seed)
    : socket_(std::move(socket)), message_bytes_max_(message_bytes_max), mask_rng_(seed) {}

WsSocket::~WsSocket() { Close(); }

Result<std::unique_ptr<WsSocket>> WsSocket::Connect(const Options& options,
                                                    std::chrono::milliseconds timeout) {
  STDB_ASSIGN_OR_RETURN(auto socket, BlockingSocket::Connect(options.address));
  std::random_device entropy;
  std::array<uint8_t, 16> nonce{};
  for (auto& b : nonce) b = static_cast<uint8_t>(entropy());
  const std::string key = Base64(nonce.data(), nonce.size());
  const uint64_t seed = (uint64_t{entropy()} << 32) | entropy();
  std::unique_ptr<WsSocket> ws(new WsSocket(std::move(socket), options.message_bytes_max, seed));

  const std::string request = "GET " + options.path + " HTTP/1.1\r\nHost: " +
                              options.address.host + ":" + std::to_string(options.address.port) +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: " + key +
                              "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " +
                              options.subprotocol + "\r\n\r\n";
  STDB_RETURN_IF_ERROR(ws->socket_->WriteAll(AsBytes(request)));
  // Read until the blank line; what follows it (the server's first frames) stays in in_.
  while (true) {
    const std::string_view got = AsStringView(ByteView(ws->in_.data(), ws->end_));
    const size_t blank = got.find("\r\n\r\n");
    if (blank != std::string_view::npos) {
      ws->begin_ = blank + 4;
      Status answer = CheckHandshakeAnswer(got.substr(0, blank), got.substr(blank + 4),
                                           WsAcceptFor(key), options.subprotocol);
      if (!answer.ok()) {
        ws->open_ = false;  // not a WebSocket: no close frame on the way out
        return answer;
      }
      return ws;
    }
    if (ws->end_ >= kHandshakeBytesMax) {
      ws->open_ = false;
      return IoError("WebSocket handshake: no end of the answer's headers within " +
                     std::to_string(kHandshakeBytesMax) + " bytes");
    }
    STDB_RETURN_IF_ERROR(ws->ReadMore(timeout));
  }
}

Status WsSocket::ReadMore(std::chrono::milliseconds timeout) {
  if (begin_ > 0) {
    std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (in_.size() - end_ < kReadChunkBytes) in_.resize(end_ + kReadChunkBytes);
  auto n = socket_->ReadSome(in_.data() + end_, in_.size() - end_, timeout);
  if (!n.ok()) {
    open_ = false;
    return n.status();
  }
  end_ += *n;
  return Status::Ok();
}

Status WsSocket::SendFrame(WsOpcode opcode, ByteView payload) {
  out_.clear();
  AppendClientFrame(opcode, payload, static_cast<uint32_t>(mask_rng_.Next()), out_);
  Status st = socket_->WriteAll(out_);
  if (!st.ok()) open_ = false;
  return st;
}

Status WsSocket::SendBinary(ByteView payload) {
  if (!open_ || close_sent_) return IoError("the WebSocket connection is closed");
  return SendFrame(WsOpcode::kBinary, payload);
}

Result<ByteView> WsSocket::Receive(std::chrono::milliseconds timeout) {
  fragments_.clear();
  fragmented_ = false;
  while (true) {
    if (!open_) return IoError("the WebSocket connection is closed");
    const ByteView pending(in_.data() + begin_, end_ - begin_);
    auto parsed = ParseServerFrameHeader(pending, message_bytes_max_);
    if (!parsed.ok()) {
      open_ = false;
      return parsed.status();
    }
    if (!parsed->has_value() || pending.size() < (*parsed)->header_bytes + (*parsed)->payload_bytes) {
      STDB_RETURN_IF_ERROR(ReadMore(timeout));
      continue;
    }
    const WsFrameHeader h = **parsed;
    const ByteView payload = pending.subspan(h.header_bytes, h.payload_bytes);
    begin_ += h.header_bytes + h.payload_bytes;
    switch (h.opcode) {
      case WsOpcode::kPing:
        if (!close_sent_) STDB_RETURN_IF_ERROR(SendFrame(WsOpcode::kPong, payload));
        continue;
      case WsOpcode::kPong:
        continue;
      case WsOpcode::kClose: {
        const int code = payload.size() >= 2 ? (payload[0] << 8) | payload[1] : 1005;
        const std::string reason(AsStringView(payload.size() > 2 ? payload.subspan(2) : ByteView()));
        if (!close_sent_) {
          // Echo the code, as RFC 6455 section 5.5.1 asks; the connection ends either way.
          close_sent_ = true;
          (void)SendFrame(WsOpcode::kClose, payload.first(std::min<size_t>(payload.size(), 2)));
        }
        open_ = false;
        return IoError("connection closed by server: " + std::to_string(code) + " " + reason);
      }
      case WsOpcode::kText:
        open_ = false;
        return DecodeError("the server sent a text message; the client speaks BSATN");
      case WsOpcode::kBinary:
        if (fragmented_) {
          open_ = false;
          return DecodeError("a new WebSocket message inside a fragmented one");
        }
        if (h.fin) return payload;  // the common case: the view into in_, no copy
        fragmented_ = true;
        fragments_.assign(payload.begin(), payload.end());
        continue;
      case WsOpcode::kContinuation:
        if (!fragmented_) {
          open_ = false;
          return DecodeError("a WebSocket continuation frame outside a message");
        }
        if (fragments_.size() + payload.size() > message_bytes_max_) {
          open_ = false;
          return DecodeError("a WebSocket message above the bound of " +
                             std::to_string(message_bytes_max_) + " bytes");
        }
        fragments_.insert(fragments_.end(), payload.begin(), payload.end());
        if (h.fin) return ByteView(fragments_);
        continue;
    }
  }
}

void WsSocket::Close() {
  if (!open_ || close_sent_) return;
  const uint8_t normal[2] = {0x03, 0xE8};  // 1000
  close_sent_ = true;
  if (!SendFrame(WsOpcode::kClose, ByteView(normal, 2)).ok()) return;
  // Wait for the server's close; data messages still on the way are dropped.
  while (true) {
    auto m = Receive(kCloseTimeout);
    if (!m.ok()) break;
  }
  open_ = false;
  socket_.reset();  // the server's teardown waits for the TCP connection to end
}

}  // namespace stdb::bench
