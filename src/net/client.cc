#include "net/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <deque>

#include "net/compression.h"

namespace stdb::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// Beast's synchronous operations ignore the stream's timeouts, so both clients use only
// asynchronous operations on a private io_context and bound every wait with a deadline.

namespace {

// Bounded: a WebSocket handshake, a frame write and a close handshake each give up
// after this long.
constexpr auto kWsHandshakeTimeout = std::chrono::seconds(30);
constexpr auto kWsWriteTimeout = std::chrono::seconds(30);
constexpr auto kWsCloseTimeout = std::chrono::seconds(2);

// Runs handlers on `ioc` until `done` is true, the deadline passes, or no work is left.
// Returns `done`.
bool RunUntil(asio::io_context& ioc, const bool& done, SteadyClock::time_point deadline) {
  while (!done) {
    if (ioc.stopped()) ioc.restart();
    if (ioc.run_one_until(deadline) == 0) break;  // deadline passed, or nothing pending
  }
  return done;
}

// Runs handlers on `ioc` until `done` is true, the deadline passes, `cancelled` says
// stop, or no work is left. Returns `done`.
bool RunUntilCancellable(asio::io_context& ioc, const bool& done, SteadyClock::time_point deadline,
                         const std::function<bool()>& cancelled) {
  while (!done) {
    if (cancelled && cancelled()) return false;
    const auto now = SteadyClock::now();
    if (now >= deadline) return false;
    if (ioc.stopped()) ioc.restart();
    const auto until =
        deadline - now > kHttpStreamPollInterval ? now + kHttpStreamPollInterval : deadline;
    if (ioc.run_one_until(until) == 0 && ioc.stopped()) break;  // nothing pending
  }
  return done;
}

// Runs `ioc` until every pending operation has completed (each is bounded by the
// stream's expiry).
void RunAll(asio::io_context& ioc) {
  if (ioc.stopped()) ioc.restart();
  ioc.run();
}

}  // namespace

Result<Url> ParseUrl(std::string_view url) {
  Url out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return InvalidArgument("URL '" + std::string(url) + "' has no scheme");
  std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "ws") {
    return InvalidArgument("unsupported URL scheme '" + std::string(scheme) +
                           "' (use http:// or ws://)");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    std::string_view port = authority.substr(colon + 1);
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) {
      return InvalidArgument("invalid port in URL '" + std::string(url) + "'");
    }
    out.port = static_cast<uint16_t>(p);
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty()) return InvalidArgument("URL '" + std::string(url) + "' has no host");
  return out;
}

namespace {

http::request<http::string_body> MakeRequest(const std::string& method, const Url& u,
                                             const std::map<std::string, std::string>& headers,
                                             const std::string& body) {
  http::request<http::string_body> req{http::string_to_verb(method), u.path, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "stdb-cli");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  return req;
}

Status ConnectError(const Url& u, const beast::error_code& ec) {
  return IoError("cannot connect to " + u.host + ":" + std::to_string(u.port) + ": " +
                 ec.message() + " (is the server running?)");
}

// Bounded: a request body is written in pieces of at most this many bytes.
constexpr size_t kUploadPieceBytes = 256 << 10;

}  // namespace

Result<HttpResponse> HttpRequest(const std::string& method, const std::string& url,
                                 const std::map<std::string, std::string>& headers,
                                 const std::string& body, std::chrono::milliseconds timeout,
                                 const UploadProgress& on_upload) {
  STDB_ASSIGN_OR_RETURN(Url u, ParseUrl(url));
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(u.host, std::to_string(u.port), ec);
  if (ec) return IoError("cannot resolve " + u.host + ": " + ec.message());
  // One deadline for the whole exchange: the expiry applies to every later operation.
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  RunAll(ioc);
  if (ec) {
    return ConnectError(u, ec);
  }
  http::request<http::string_body> req = MakeRequest(method, u, headers, body);
  // Read while writing: a server may answer before it has read the whole body (413 for
  // a body over its limit) and then close, which fails the rest of the write.
  beast::error_code write_ec;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 << 20);
  // Written a piece at a time so that `on_upload` can follow a large body.
  http::request_serializer<http::string_body> serializer(req);
  serializer.limit(kUploadPieceBytes);
  uint64_t sent = 0;
  std::function<void()> write_next = [&] {
    http::async_write_some(stream, serializer, [&](beast::error_code e, size_t n) {
      sent += n;
      if (on_upload) on_upload(std::min<uint64_t>(sent, body.size()), body.size());
      if (e) {
        write_ec = e;
      } else if (!serializer.is_done()) {
        write_next();
      }
    });
  };
  write_next();
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  RunAll(ioc);
  if (ec && write_ec) return IoError("cannot send request to " + url + ": " + write_ec.message());
  if (ec) return IoError("no response from " + url + ": " + ec.message());
  auto res = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers[name] = std::string(field.value());
  }
  out.body = std::move(res.body());
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

namespace {

std::map<std::string, std::string> LowerCaseHeaders(const http::fields& fields) {
  std::map<std::string, std::string> out;
  for (const auto& field : fields) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out[name] = std::string(field.value());
  }
  return out;
}

// Bounded: the body is handed over in pieces of at most this many bytes.
constexpr size_t kStreamPieceBytes = 16 << 10;

}  // namespace

Result<HttpStreamResult> HttpStream(const std::string& method, const std::string& url,
                                    const std::map<std::string, std::string>& headers,
                                    const std::string& body, const HttpStreamHandler& handler,
                                    std::chrono::milliseconds head_timeout) {
  STDB_ASSIGN_OR_RETURN(Url u, ParseUrl(url));
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(u.host, std::to_string(u.port), ec);
  if (ec) return IoError("cannot resolve " + u.host + ": " + ec.message());
  // Whatever is pending when this returns early is aborted by closing the socket, then
  // drained, so that no handler outlives the locals it refers to.
  auto abandon = [&] {
    beast::error_code ignored;
    stream.socket().close(ignored);
    RunAll(ioc);
  };
  const auto head_deadline = SteadyClock::now() + head_timeout;
  stream.expires_after(head_timeout);
  bool connected = false;
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
    ec = e;
    connected = true;
  });
  if (!RunUntilCancellable(ioc, connected, head_deadline, handler.cancelled)) {
    abandon();
    return HttpStreamResult{};
  }
  if (ec) {
    return ConnectError(u, ec);
  }
  http::request<http::string_body> req = MakeRequest(method, u, headers, body);
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // a stream has no end in sight; nothing is kept
  bool head_done = false;
  beast::error_code write_ec;
  http::async_write(stream, req, [&](beast::error_code e, size_t) { write_ec = e; });
  http::async_read_header(stream, buffer, parser, [&](beast::error_code e, size_t) {
    ec = e;
    head_done = true;
  });
  if (!RunUntilCancellable(ioc, head_done, head_deadline, handler.cancelled)) {
    abandon();
    if (handler.cancelled && handler.cancelled()) return HttpStreamResult{};
    return IoError("no response from " + url + " within " + std::to_string(head_timeout.count()) +
                   " ms");
  }
  if (ec && write_ec) return IoError("cannot send request to " + url + ": " + write_ec.message());
  if (ec) return IoError("no response from " + url + ": " + ec.message());
  HttpStreamResult result;
  result.status = static_cast<int>(parser.get().result_int());
  if (handler.on_head) handler.on_head(result.status, LowerCaseHeaders(parser.get()));
  stream.expires_never();
  char piece[kStreamPieceBytes];
  while (!parser.is_done()) {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof(piece);
    bool read_done = false;
    http::async_read_some(stream, buffer, parser, [&](beast::error_code e, size_t) {
      ec = e;
      read_done = true;
    });
    if (!RunUntilCancellable(ioc, read_done, SteadyClock::time_point::max(), handler.cancelled)) {
      abandon();
      return result;
    }
    if (ec == http::error::need_buffer) ec = {};  // `piece` is full: hand it over
    const size_t got = sizeof(piece) - parser.get().body().size;
    if (got > 0 && handler.on_body && !handler.on_body(std::string_view(piece, got))) {
      abandon();
      return result;
    }
    if (ec) return result;  // the connection closed or broke before the body ended
  }
  result.complete = true;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return result;
}

// State of the connection. One asynchronous read may stay pending between Receive calls
// (after a Receive times out), so read and write results live here rather than on the
// caller's stack.
struct WsClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  std::string protocol;
  bool v3 = false;
  std::deque<protocol::ServerMessage> pending;  // messages split from a v3 frame
  std::optional<std::pair<int, std::string>> closed;
  Bytes last_frame;  // raw bytes of the last frame read
  size_t frames_received = 0;

  beast::flat_buffer read_buffer;
  bool read_pending = false;  // an async_read is outstanding
  bool read_done = false;     // it completed; read_ec and read_buffer hold the result
  beast::error_code read_ec;
  bool write_done = false;
  beast::error_code write_ec;
  bool close_done = false;
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() { Close(); }

const std::string& WsClient::protocol() const { return impl_->protocol; }

std::optional<std::pair<int, std::string>> WsClient::close_reason() const { return impl_->closed; }

const Bytes& WsClient::last_frame() const { return impl_->last_frame; }

size_t WsClient::frames_received() const { return impl_->frames_received; }
size_t WsClient::buffered_messages() const { return impl_->pending.size(); }

Result<std::unique_ptr<WsClient>> WsClient::Connect(const Options& options) {
  STDB_ASSIGN_OR_RETURN(Url u, ParseUrl(options.url));
  auto impl = std::make_unique<Impl>();
  beast::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto endpoints = resolver.resolve(u.host, std::to_string(u.port), ec);
  if (ec) return IoError("cannot resolve " + u.host + ": " + ec.message());
  auto& lowest = beast::get_lowest_layer(impl->ws);
  lowest.expires_after(kWsHandshakeTimeout);
  if (options.receive_buffer_bytes && !endpoints.empty()) {
    // The range form of async_connect closes and reopens the socket for each address,
    // which would drop the option; so open, set it, and connect to the first address.
    const tcp::endpoint endpoint = *endpoints.begin();
    lowest.socket().open(endpoint.protocol(), ec);
    if (!ec) {
      lowest.socket().set_option(
          asio::socket_base::receive_buffer_size(*options.receive_buffer_bytes), ec);
    }
    if (ec) return IoError("cannot set up the socket: " + ec.message());
    lowest.async_connect(endpoint, [&](beast::error_code e) { ec = e; });
  } else {
    lowest.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  }
  RunAll(impl->ioc);
  if (ec)
    return IoError("cannot connect to " + u.host + ":" + std::to_string(u.port) + ": " +
                   ec.message());
  // Frames leave whole: without this a message above one segment waits for the peer's
  // delayed ACK (~40 ms) before its tail is sent.
  lowest.socket().set_option(tcp::no_delay(true), ec);
  std::string offer;
  for (const auto& p : options.subprotocols) offer += (offer.empty() ? "" : ", ") + p;
  impl->ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    if (!offer.empty()) req.set(http::field::sec_websocket_protocol, offer);
    if (options.bearer_token)
      req.set(http::field::authorization, "Bearer " + *options.bearer_token);
  }));
  websocket::response_type res;
  impl->ws.async_handshake(res, u.host + ":" + std::to_string(u.port), u.path,
                           [&](beast::error_code e) { ec = e; });
  RunAll(impl->ioc);
  if (ec) {
    return Status(ErrorCode::kIo, "WebSocket handshake failed: HTTP " +
                                      std::to_string(res.result_int()) + " " + res.body() +
                                      (res.result_int() == 0 ? ec.message() : ""));
  }
  lowest.expires_never();
  impl->protocol = std::string(res[http::field::sec_websocket_protocol]);
  impl->v3 = impl->protocol == "v3.bsatn.spacetimedb";
  impl->ws.binary(true);
  return std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
}

Status WsClient::Send(const protocol::ClientMessage& message) {
  Bytes frame;
  protocol::EncodeClientMessage(message, frame);
  return SendRaw(frame, true);
}

Status WsClient::SendRaw(ByteView frame, bool binary) {
  Impl& im = *impl_;
  im.write_done = false;
  im.ws.binary(binary);
  im.ws.async_write(asio::buffer(frame.data(), frame.size()), [&im](beast::error_code ec, size_t) {
    im.write_ec = ec;
    im.write_done = true;
  });
  if (!RunUntil(im.ioc, im.write_done, SteadyClock::now() + kWsWriteTimeout)) {
    // The peer does not read. Closing the socket completes the write (aborted), so the
    // handler runs before `frame` goes away.
    beast::error_code ignored;
    beast::get_lowest_layer(im.ws).socket().close(ignored);
    RunUntil(im.ioc, im.write_done, SteadyClock::time_point::max());
    im.ws.binary(true);
    return IoError("send timed out: the server is not reading");
  }
  im.ws.binary(true);
  if (im.write_ec) return IoError("send failed: " + im.write_ec.message());
  return Status::Ok();
}

Result<protocol::ServerMessage> WsClient::Receive(std::chrono::milliseconds timeout) {
  Impl& im = *impl_;
  if (!im.pending.empty()) {
    auto m = std::move(im.pending.front());
    im.pending.pop_front();
    return m;
  }
  if (im.closed) return IoError("connection closed by server: " + im.closed->second);
  if (!im.read_pending && !im.read_done) {
    im.read_buffer.clear();
    im.read_pending = true;
    im.ws.async_read(im.read_buffer, [&im](beast::error_code ec, size_t) {
      im.read_ec = ec;
      im.read_pending = false;
      im.read_done = true;
    });
  }
  if (!RunUntil(im.ioc, im.read_done, SteadyClock::now() + timeout)) {
    // The read stays pending; the next Receive continues it, so the connection stays usable.
    return IoError("no message within " + std::to_string(timeout.count()) + " ms");
  }
  im.read_done = false;
  if (const beast::error_code ec = im.read_ec) {
    // A close frame that arrived counts even if the closing handshake then failed: a
    // server that closes its socket right after sending it bounces the client's reply
    // (Beast's teardown can do this), and the read then ends with that error instead.
    if (ec == websocket::error::closed || im.ws.reason().code != websocket::close_code::none) {
      const auto& r = im.ws.reason();
      im.closed = std::make_pair(static_cast<int>(r.code), std::string(r.reason.c_str()));
      return IoError("connection closed by server: " + std::string(r.reason.c_str()));
    }
    return IoError("receive failed: " + ec.message());
  }
  ++im.frames_received;
  const auto data = im.read_buffer.cdata();
  const auto* frame = static_cast<const uint8_t*>(data.data());
  im.last_frame.assign(frame, frame + data.size());
  STDB_ASSIGN_OR_RETURN(Bytes payload, DecodeServerFrame(ByteView(frame, data.size())));
  ByteReader reader(payload);
  STDB_ASSIGN_OR_RETURN(auto first, protocol::DecodeServerMessage(reader));
  while (im.v3 && !reader.at_end()) {
    STDB_ASSIGN_OR_RETURN(auto next, protocol::DecodeServerMessage(reader));
    im.pending.push_back(std::move(next));
  }
  if (!reader.at_end()) return DecodeError("trailing bytes after a server message");
  return first;
}

void WsClient::Close() {
  if (!impl_ || !impl_->ws.is_open()) return;
  Impl& im = *impl_;
  im.close_done = false;
  im.ws.async_close(websocket::close_code::normal,
                    [&im](beast::error_code) { im.close_done = true; });
  if (!RunUntil(im.ioc, im.close_done, SteadyClock::now() + kWsCloseTimeout)) {
    // The server did not answer the close: drop the connection.
    beast::error_code ignored;
    beast::get_lowest_layer(im.ws).socket().close(ignored);
    RunUntil(im.ioc, im.close_done, SteadyClock::time_point::max());
  }
}

}  // namespace stdb::net
