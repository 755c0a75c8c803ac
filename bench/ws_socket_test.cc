// The load generator's blocking WebSocket client (bench/ws_socket.h) against a Beast
// server on loopback: the handshake, masking (Beast rejects unmasked client frames),
// every length form, fragmented messages, pings, closes, refusals and timeouts; and the
// frame header parser on its own, on valid, forbidden and random input.
#include "bench/ws_socket.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <functional>
#include <future>
#include <optional>
#include <random>
#include <thread>

namespace stdb::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using Ws = websocket::stream<tcp::socket>;
using namespace std::chrono_literals;

constexpr const char* kProtocol = "v3.bsatn.spacetimedb";

// Accepts one connection on 127.0.0.1 and runs `script` on it in a thread of its own.
class OneShotServer {
 public:
  explicit OneShotServer(std::function<void(tcp::socket&)> script)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, script = std::move(script)] {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (!ec) script(socket);
    });
  }
  ~OneShotServer() { thread_.join(); }

  WsSocket::Options Options(std::string protocol = kProtocol) const {
    WsSocket::Options o;
    o.address = HostPort{"127.0.0.1", acceptor_.local_endpoint().port()};
    o.path = "/v1/database/x/subscribe";
    o.subprotocol = std::move(protocol);
    return o;
  }

 private:
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

// Completes the server side of the handshake, choosing `protocol` (none if empty).
void Accept(Ws& ws, const std::string& protocol = kProtocol) {
  ws.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
    if (!protocol.empty()) res.set(beast::http::field::sec_websocket_protocol, protocol);
  }));
  ws.accept();
  ws.binary(true);
}

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

Bytes ReadMessage(Ws& ws) {
  beast::flat_buffer buffer;
  ws.read(buffer);
  const auto d = buffer.cdata();
  return Bytes(static_cast<const uint8_t*>(d.data()),
               static_cast<const uint8_t*>(d.data()) + d.size());
}

TEST(WsAccept, MatchesTheRfcExample) {
  // RFC 6455 section 1.3.
  EXPECT_EQ(WsAcceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsSocket, EchoesMessagesOfEveryLengthForm) {
  // Sizes in the 7-bit, 16-bit and 64-bit length forms; Beast unmasks what we send.
  const std::vector<size_t> sizes = {0, 5, 125, 126, 200, 65535, 65536, 300000};
  OneShotServer server([&](tcp::socket& s) {
    Ws ws(std::move(s));
    Accept(ws);
    for (size_t i = 0; i < sizes.size(); ++i) {
      const Bytes got = ReadMessage(ws);
      ws.write(asio::buffer(got));
    }
    ws.close(websocket::close_code::normal);
  });
  auto ws = WsSocket::Connect(server.Options(), 5000ms);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  for (size_t n : sizes) {
    const Bytes sent = Pattern(n);
    ASSERT_TRUE((*ws)->SendBinary(sent).ok());
    auto got = (*ws)->Receive(5000ms);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(Bytes(got->begin(), got->end()), sent) << n << " bytes";
  }
  auto closed = (*ws)->Receive(5000ms);
  ASSERT_FALSE(closed.ok());
  EXPECT_NE(closed.status().ToString().find("1000"), std::string::npos) << closed.status().ToString();
}

TEST(WsSocket, ReassemblesFragmentsAndAnswersPings) {
  // A message in three frames with a ping before them; the pong reaches the server.
  bool pong_seen = false;
  std::optional<OneShotServer> server;
  server.emplace([&](tcp::socket& s) {
    Ws ws(std::move(s));
    Accept(ws);
    ws.control_callback([&](websocket::frame_type kind, beast::string_view payload) {
      if (kind == websocket::frame_type::pong && payload == "hi") pong_seen = true;
    });
    const Bytes whole = Pattern(1000);
    ws.ping("hi");
    ws.write_some(false, asio::buffer(whole.data(), 300));
    ws.write_some(false, asio::buffer(whole.data() + 300, 300));
    ws.write_some(true, asio::buffer(whole.data() + 600, 400));
    ReadMessage(ws);  // the client's "done", after its pong
    ws.close(websocket::close_code::normal);
  });
  auto ws = WsSocket::Connect(server->Options(), 5000ms);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  auto got = (*ws)->Receive(5000ms);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Bytes(got->begin(), got->end()), Pattern(1000));
  const uint8_t done[] = {'d'};
  ASSERT_TRUE((*ws)->SendBinary(ByteView(done, 1)).ok());
  (*ws)->Close();
  server.reset();  // joins the server's thread
  EXPECT_TRUE(pong_seen);
}

TEST(WsSocket, ReportsTheServersCloseCodeAndReason) {
  OneShotServer server([](tcp::socket& s) {
    Ws ws(std::move(s));
    Accept(ws);
    ws.close(websocket::close_reason(static_cast<websocket::close_code>(4000), "bye now"));
  });
  auto ws = WsSocket::Connect(server.Options(), 5000ms);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  auto got = (*ws)->Receive(5000ms);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kIo);
  EXPECT_NE(got.status().ToString().find("4000 bye now"), std::string::npos)
      << got.status().ToString();
  EXPECT_FALSE((*ws)->SendBinary(Pattern(3)).ok()) << "a closed connection takes no sends";
}

TEST(WsSocket, RefusesAServerThatChoosesNoSubprotocol) {
  OneShotServer server([](tcp::socket& s) {
    Ws ws(std::move(s));
    beast::error_code ec;
    Accept(ws, "");
    ws.read_message_max(1);
    beast::flat_buffer b;
    ws.read(b, ec);  // until the client drops the connection
  });
  auto ws = WsSocket::Connect(server.Options(), 5000ms);
  ASSERT_FALSE(ws.ok());
  EXPECT_NE(ws.status().ToString().find("subprotocol"), std::string::npos)
      << ws.status().ToString();
}

TEST(WsSocket, QuotesAnHttpRefusal) {
  OneShotServer server([](tcp::socket& s) {
    beast::flat_buffer b;
    beast::http::request<beast::http::string_body> req;
    beast::http::read(s, b, req);
    const std::string answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 11\r\n\r\nno database";
    asio::write(s, asio::buffer(answer));
  });
  auto ws = WsSocket::Connect(server.Options(), 5000ms);
  ASSERT_FALSE(ws.ok());
  EXPECT_NE(ws.status().ToString().find("404 Not Found no database"), std::string::npos)
      << ws.status().ToString();
}

TEST(WsSocket, TimesOutWhenNothingArrives) {
  std::promise<void> finished;
  OneShotServer server([&](tcp::socket& s) {
    Ws ws(std::move(s));
    Accept(ws);
    finished.get_future().wait();  // silent until the client gave up
  });
  auto ws = WsSocket::Connect(server.Options(), 5000ms);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  auto got = (*ws)->Receive(100ms);
  finished.set_value();
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().ToString().find("within 100 ms"), std::string::npos)
      << got.status().ToString();
}

Result<std::optional<WsFrameHeader>> Parse(std::initializer_list<uint8_t> bytes,
                                           uint64_t max = 1 << 20) {
  const Bytes b(bytes);
  return ParseServerFrameHeader(b, max);
}

TEST(WsFrameHeader, ParsesEachLengthForm) {
  auto h = Parse({0x82, 0x05});
  ASSERT_TRUE(h.ok() && h->has_value());
  EXPECT_TRUE((*h)->fin);
  EXPECT_EQ((*h)->opcode, WsOpcode::kBinary);
  EXPECT_EQ((*h)->payload_bytes, 5u);
  EXPECT_EQ((*h)->header_bytes, 2u);
  h = Parse({0x02, 0x7E, 0x01, 0x00});
  ASSERT_TRUE(h.ok() && h->has_value());
  EXPECT_FALSE((*h)->fin);
  EXPECT_EQ((*h)->payload_bytes, 256u);
  EXPECT_EQ((*h)->header_bytes, 4u);
  h = Parse({0x80, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00});
  ASSERT_TRUE(h.ok() && h->has_value());
  EXPECT_EQ((*h)->opcode, WsOpcode::kContinuation);
  EXPECT_EQ((*h)->payload_bytes, 65536u);
  EXPECT_EQ((*h)->header_bytes, 10u);
}

TEST(WsFrameHeader, AsksForMoreWhenTheHeaderIsIncomplete) {
  for (auto bytes : {Bytes{}, Bytes{0x82}, Bytes{0x82, 0x7E, 0x01}, Bytes{0x82, 0x7F, 0, 0, 0}}) {
    auto h = ParseServerFrameHeader(bytes, 1 << 20);
    ASSERT_TRUE(h.ok());
    EXPECT_FALSE(h->has_value()) << bytes.size();
  }
}

TEST(WsFrameHeader, RejectsWhatAServerMayNotSend) {
  EXPECT_FALSE(Parse({0xC2, 0x01}).ok()) << "reserved bit (no extension was negotiated)";
  EXPECT_FALSE(Parse({0x82, 0x81}).ok()) << "masked";
  EXPECT_FALSE(Parse({0x83, 0x01}).ok()) << "unknown opcode";
  EXPECT_FALSE(Parse({0x09, 0x01}).ok()) << "fragmented ping";
  EXPECT_FALSE(Parse({0x88, 0x7E, 0x00, 0x80}).ok()) << "close over 125 bytes";
  EXPECT_FALSE(Parse({0x82, 0x7E, 0x00, 0x05}).ok()) << "16-bit form for 5 bytes";
  EXPECT_FALSE(Parse({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x01, 0x00}).ok()) << "64-bit form for 256";
  EXPECT_FALSE(Parse({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}).ok()) << "top bit set";
  EXPECT_FALSE(Parse({0x82, 0x7E, 0x01, 0x00}, 255).ok()) << "above the bound";
  EXPECT_TRUE(Parse({0x82, 0x7E, 0x01, 0x00}, 256).ok()) << "at the bound";
}

TEST(WsFrameHeader, RandomBytesParseOrFailCleanly) {
  // Every outcome is a header that fits the bound and the input, "need more", or an error.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    Bytes b(rng() % 12);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    auto h = ParseServerFrameHeader(b, 70000);
    if (!h.ok() || !h->has_value()) continue;
    EXPECT_LE((*h)->header_bytes, b.size());
    EXPECT_LE((*h)->payload_bytes, 70000u);
  }
}

TEST(WsClientFrame, MasksThePayloadAndPicksTheShortestLength) {
  Bytes out;
  const Bytes payload = {1, 2, 3, 4, 5};
  AppendClientFrame(WsOpcode::kBinary, payload, 0x01020304, out);
  const Bytes expected = {0x82, 0x85, 1, 2, 3, 4, 1 ^ 1, 2 ^ 2, 3 ^ 3, 4 ^ 4, 5 ^ 1};
  EXPECT_EQ(out, expected);
  out.clear();
  AppendClientFrame(WsOpcode::kBinary, Pattern(300), 0, out);
  EXPECT_EQ(out.size(), 4u + 4u + 300u);
  EXPECT_EQ(out[1], 0x80 | 126);
}

}  // namespace
}  // namespace stdb::bench
