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

Result<Url> ParseUrl(std::string_view url) {
  Url out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return InvalidArgument("URL '" + std::string(url) + "' has no scheme");
  std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "ws") {
    return InvalidArgument("unsupported URL scheme '" + std::string(scheme) + "' (use http:// or ws://)");
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

Result<HttpResponse> HttpRequest(const std::string& method, const std::string& url,
                                 const std::map<std::string, std::string>& headers,
                                 const std::string& body, std::chrono::milliseconds timeout) {
  STDB_ASSIGN_OR_RETURN(Url u, ParseUrl(url));
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(timeout);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(u.host, std::to_string(u.port), ec);
  if (ec) return IoError("cannot resolve " + u.host + ": " + ec.message());
  stream.connect(endpoints, ec);
  if (ec) {
    return IoError("cannot connect to " + u.host + ":" + std::to_string(u.port) + ": " +
                   ec.message() + " (is the server running?)");
  }
  http::request<http::string_body> req{http::string_to_verb(method), u.path, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "stdb-cli");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return IoError("cannot send request to " + url + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 << 20);
  http::read(stream, buffer, parser, ec);
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

struct WsClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  std::string protocol;
  bool v3 = false;
  std::deque<protocol::ServerMessage> pending;  // messages split from a v3 frame
  std::optional<std::pair<int, std::string>> closed;
  Bytes last_frame;  // raw bytes of the last frame read
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() { Close(); }

const std::string& WsClient::protocol() const { return impl_->protocol; }

std::optional<std::pair<int, std::string>> WsClient::close_reason() const { return impl_->closed; }

const Bytes& WsClient::last_frame() const { return impl_->last_frame; }

Result<std::unique_ptr<WsClient>> WsClient::Connect(const Options& options) {
  STDB_ASSIGN_OR_RETURN(Url u, ParseUrl(options.url));
  auto impl = std::make_unique<Impl>();
  beast::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto endpoints = resolver.resolve(u.host, std::to_string(u.port), ec);
  if (ec) return IoError("cannot resolve " + u.host + ": " + ec.message());
  auto& lowest = beast::get_lowest_layer(impl->ws);
  lowest.expires_after(std::chrono::seconds(30));
  lowest.connect(endpoints, ec);
  if (ec) return IoError("cannot connect to " + u.host + ":" + std::to_string(u.port) + ": " + ec.message());
  std::string offer;
  for (const auto& p : options.subprotocols) offer += (offer.empty() ? "" : ", ") + p;
  impl->ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    if (!offer.empty()) req.set(http::field::sec_websocket_protocol, offer);
    if (options.bearer_token) req.set(http::field::authorization, "Bearer " + *options.bearer_token);
  }));
  websocket::response_type res;
  impl->ws.handshake(res, u.host + ":" + std::to_string(u.port), u.path, ec);
  if (ec) {
    return Status(ErrorCode::kIo, "WebSocket handshake failed: HTTP " +
                                      std::to_string(res.result_int()) + " " + res.body());
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
  beast::error_code ec;
  impl_->ws.binary(binary);
  impl_->ws.write(asio::buffer(frame.data(), frame.size()), ec);
  impl_->ws.binary(true);
  if (ec) return IoError("send failed: " + ec.message());
  return Status::Ok();
}

Result<protocol::ServerMessage> WsClient::Receive(std::chrono::milliseconds timeout) {
  if (!impl_->pending.empty()) {
    auto m = std::move(impl_->pending.front());
    impl_->pending.pop_front();
    return m;
  }
  beast::flat_buffer buffer;
  beast::error_code ec;
  auto& lowest = beast::get_lowest_layer(impl_->ws);
  lowest.expires_after(timeout);
  impl_->ws.read(buffer, ec);
  lowest.expires_never();
  if (ec) {
    if (ec == websocket::error::closed) {
      const auto& r = impl_->ws.reason();
      impl_->closed = std::make_pair(static_cast<int>(r.code), std::string(r.reason.c_str()));
      return IoError("connection closed by server: " + std::string(r.reason.c_str()));
    }
    return IoError("receive failed: " + ec.message());
  }
  const auto data = buffer.cdata();
  const auto* frame = static_cast<const uint8_t*>(data.data());
  impl_->last_frame.assign(frame, frame + data.size());
  STDB_ASSIGN_OR_RETURN(Bytes payload, DecodeServerFrame(ByteView(frame, data.size())));
  ByteReader reader(payload);
  STDB_ASSIGN_OR_RETURN(auto first, protocol::DecodeServerMessage(reader));
  while (impl_->v3 && !reader.at_end()) {
    STDB_ASSIGN_OR_RETURN(auto next, protocol::DecodeServerMessage(reader));
    impl_->pending.push_back(std::move(next));
  }
  if (!reader.at_end()) return DecodeError("trailing bytes after a server message");
  return first;
}

void WsClient::Close() {
  if (!impl_ || !impl_->ws.is_open()) return;
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds(2));
  impl_->ws.close(websocket::close_code::normal, ec);
}

}  // namespace stdb::net
