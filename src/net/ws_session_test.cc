// WsSession's write chain under a db::SendBatch (the release queue and the worker open
// one): a message whose write was deferred to the batch's end still leaves ahead of a
// Close made before that end, instead of being dropped with the outbox.
#include "net/ws_session.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <memory>
#include <thread>

#include "db/outbox.h"
#include "protocol/messages.h"

namespace stdb::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

TEST(WsSessionTest, AMessageDeferredByABatchLeavesBeforeACloseInTheSameBatch) {
  asio::io_context ioc(1);
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::io_context client_ioc(1);
  websocket::stream<tcp::socket> client(client_ioc);
  client.next_layer().connect(acceptor.local_endpoint());
  tcp::socket accepted(ioc);
  acceptor.accept(accepted);
  WsSession::Stream server(beast::tcp_stream(std::move(accepted)));
  std::thread handshake([&] { server.accept(); });
  client.handshake("127.0.0.1", "/");
  handshake.join();
  server.binary(true);

  WsSession::Params params;
  params.client_id = 1;
  auto session = std::make_shared<WsSession>(std::move(server), params);
  auto work = asio::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });

  protocol::ReducerResult result;
  result.request_id = 7;
  {
    db::SendBatch batch;
    session->Send(protocol::EncodeServerMessage(protocol::ServerMessage(result)));
    session->Close("closing for the test");
  }

  beast::flat_buffer buffer;
  beast::error_code ec;
  client.read(buffer, ec);
  ASSERT_FALSE(ec) << "the message was dropped: " << ec.message() << " ("
                   << client.reason().reason << ")";
  const auto data = buffer.cdata();
  const auto* bytes = static_cast<const uint8_t*>(data.data());
  ASSERT_GE(data.size(), 1u);
  EXPECT_EQ(bytes[0], static_cast<uint8_t>(Compression::kNone));
  ByteReader reader(ByteView(bytes + 1, data.size() - 1));
  auto decoded = protocol::DecodeServerMessage(reader);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_TRUE(std::holds_alternative<protocol::ReducerResult>(*decoded));
  EXPECT_EQ(std::get<protocol::ReducerResult>(*decoded).request_id, 7u);

  buffer.clear();
  client.read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(std::string(client.reason().reason.c_str()), "closing for the test");

  work.reset();
  session.reset();
  ioc.stop();
  io.join();
}

}  // namespace
}  // namespace stdb::net
