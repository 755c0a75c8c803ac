// The fan-out workload against stdb (bench/README.md, "Fan-out workload"): subscribers
// are WebSocket clients of the v3 (or v2) BSATN protocol (docs/protocol.md) subscribed to
// `SELECT * FROM position WHERE region = <r>`; the writer calls the module's reducer
// `move` (bench/modules/fanout/lib.cc) over a WebSocket of its own; setup calls `seed`
// over HTTP.
//
// Only the wire protocol is assumed (bench/server_frame.h splits the server's frames).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstring>
#include <deque>

#include "base/bytes.h"
#include "bench/fanout_driver.h"
#include "bench/server_frame.h"
#include "net/client.h"
#include "protocol/messages.h"

namespace stdb::bench::fanout {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using Ws = websocket::stream<beast::tcp_stream>;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// The row layout of bench/modules/fanout/lib.cc: id u64 at 0, region u32 at 8, x f32 at
// 12, y f32 at 16, stamp_micros i64 at 20.
constexpr size_t kRowBytes = 28;
constexpr size_t kRowIdOffset = 0;
constexpr size_t kRowRegionOffset = 8;
constexpr size_t kRowStampOffset = 20;
constexpr const char* kTable = "position";
// Bounded: seed inserts at most this many rows per call (the module's kRowsPerCallMax).
constexpr uint64_t kSeedRowsPerCall = 100'000;

template <typename T>
T Load(ByteView row, size_t offset) {
  T v;
  std::memcpy(&v, row.data() + offset, sizeof(T));
  return v;
}

struct Target {
  std::string host;
  uint16_t port = 0;
  std::string db;
  tcp::endpoint endpoint;
};

// Connects `ws` to the server's subscribe endpoint and completes the WebSocket handshake
// offering v3 then v2. Sets `v3` to the protocol the server chose.
asio::awaitable<Status> Handshake(Ws& ws, const Target& target, bool& v3) {
  auto [ec] = co_await beast::get_lowest_layer(ws).async_connect(target.endpoint, kNoThrow);
  if (ec) co_return IoError("connect: " + ec.message());
  beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true));
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(beast::http::field::sec_websocket_protocol,
            "v3.bsatn.spacetimedb, v2.bsatn.spacetimedb");
  }));
  websocket::response_type res;
  const std::string path =
      "/v1/database/" + target.db + "/subscribe?compression=None&confirmed=true";
  std::tie(ec) = co_await ws.async_handshake(
      res, target.host + ":" + std::to_string(target.port), path, kNoThrow);
  if (ec) {
    co_return IoError("WebSocket handshake: HTTP " + std::to_string(res.result_int()) + " " +
                      ec.message());
  }
  const std::string chosen(res[beast::http::field::sec_websocket_protocol]);
  if (chosen != "v3.bsatn.spacetimedb" && chosen != "v2.bsatn.spacetimedb") {
    co_return IoError("the server chose the subprotocol '" + chosen + "'");
  }
  v3 = chosen == "v3.bsatn.spacetimedb";
  ws.binary(true);
  co_return Status::Ok();
}

// The bytes of the frame `buffer` holds.
ByteView FrameOf(const beast::flat_buffer& buffer) {
  const auto data = buffer.cdata();
  return ByteView(static_cast<const uint8_t*>(data.data()), data.size());
}

// One subscriber: a WebSocket subscribed to its region's query.
class StdbSubscriber final : public Connection {
 public:
  StdbSubscriber(asio::io_context& ioc, const Target& target, Subscriber& subscriber,
                 bool subscribe)
      : ioc_(ioc), target_(target), sub_(subscriber), subscribe_(subscribe), ws_(ioc) {}

  void Start() override { asio::co_spawn(ioc_, Run(), asio::detached); }

  void Subscribe() override {
    STDB_ASSERT(!writing_);
    SendSubscribe([this](beast::error_code ec) {
      if (ec) sub_.Fail(IoError("sending Subscribe: " + ec.message()));
    });
  }

  void Stop() override {
    sub_.MarkStopping();
    beast::get_lowest_layer(ws_).close();
  }

 private:
  template <typename Done>
  void SendSubscribe(Done done) {
    out_.clear();
    const std::string query = "SELECT * FROM " + std::string(kTable) +
                              " WHERE region = " + std::to_string(sub_.region());
    protocol::EncodeClientMessage(protocol::Subscribe{1, 1, {query}}, out_);
    writing_ = true;
    ws_.async_write(asio::buffer(out_), [this, done](beast::error_code ec, size_t) {
      writing_ = false;
      done(ec);
    });
  }

  asio::awaitable<void> Run() {
    bool v3 = false;
    if (Status s = co_await Handshake(ws_, target_, v3); !s.ok()) {
      sub_.Fail(std::move(s));
      co_return;
    }
    if (subscribe_) {
      // The protocol lets a client subscribe before InitialConnection arrives.
      SendSubscribe([this](beast::error_code ec) {
        if (ec) sub_.Fail(IoError("sending Subscribe: " + ec.message()));
      });
    }
    beast::flat_buffer buffer;
    while (true) {
      buffer.clear();
      auto [ec, n] = co_await ws_.async_read(buffer, kNoThrow);
      if (ec) {
        sub_.Fail(IoError("subscriber of region " + std::to_string(sub_.region()) +
                          ": connection lost: " + ec.message() + " " +
                          std::string(ws_.reason().reason.c_str())));
        co_return;
      }
      const int64_t now = RealtimeMicros();
      Status s = ForEachServerMessage(FrameOf(buffer), v3, [&](const protocol::ServerMessage& m) {
        return OnMessage(m, now);
      });
      if (!s.ok()) {
        sub_.Fail(std::move(s));
        beast::get_lowest_layer(ws_).close();
        co_return;
      }
    }
  }

  Status OnMessage(const protocol::ServerMessage& message, int64_t now) {
    if (std::holds_alternative<protocol::InitialConnection>(message)) {
      sub_.OnConnected();
    } else if (const auto* applied = std::get_if<protocol::SubscribeApplied>(&message)) {
      STDB_RETURN_IF_ERROR(CheckInitialRows(applied->rows));
      sub_.OnSubscribed();
    } else if (const auto* update = std::get_if<protocol::TransactionUpdate>(&message)) {
      sub_.OnMessage(now);
      for (const auto& set : update->query_sets) {
        for (const auto& table : set.tables) STDB_RETURN_IF_ERROR(OnTableUpdate(table, now));
      }
    } else if (const auto* error = std::get_if<protocol::SubscriptionError>(&message)) {
      return InternalError("SubscriptionError: " + error->error);
    }
    return Status::Ok();  // nothing else is expected; tolerate it
  }

  // Every row update of a primary-keyed row arrives as a delete of the old row and an
  // insert of the new one: the inserts are the delivered updates.
  Status OnTableUpdate(const protocol::TableUpdate& table, int64_t now) {
    if (table.table_name != kTable) return InternalError("an update of table " + table.table_name);
    if (table.deletes.count() != table.inserts.count()) {
      return InternalError("an update with " + std::to_string(table.inserts.count()) +
                           " inserts and " + std::to_string(table.deletes.count()) + " deletes");
    }
    for (ByteView row : table.inserts.Rows()) {
      if (row.size() != kRowBytes) return DecodeError("a row of " + std::to_string(row.size()) + " bytes");
      sub_.OnRow(Load<uint64_t>(row, kRowIdOffset), Load<int64_t>(row, kRowStampOffset), now);
    }
    return Status::Ok();
  }

  // The subscription's initial rows: exactly the rows of the region.
  Status CheckInitialRows(const protocol::QueryRows& rows) const {
    const Workload& w = sub_.workload();
    const uint32_t r = sub_.region();
    const uint64_t expected = r < w.rows ? (w.rows - r + w.regions - 1) / w.regions : 0;
    uint64_t got = 0;
    for (const auto& table : rows.tables) {
      for (ByteView row : table.rows.Rows()) {
        if (row.size() != kRowBytes || Load<uint32_t>(row, kRowRegionOffset) != r) {
          return InternalError("a row of another region in the initial rows of region " +
                               std::to_string(r));
        }
        ++got;
      }
    }
    if (got != expected) {
      return InternalError("region " + std::to_string(r) + " subscribed with " +
                           std::to_string(got) + " rows, not " + std::to_string(expected));
    }
    return Status::Ok();
  }

  asio::io_context& ioc_;
  const Target& target_;
  Subscriber& sub_;
  const bool subscribe_;
  Ws ws_;
  Bytes out_;  // the Subscribe frame while it is written
  bool writing_ = false;
};

// BSATN of move's arguments: (first u64, n u32, stamp i64, x f32, y f32).
Bytes MoveArgs(const Move& m) {
  Bytes out;
  ByteWriter w(out);
  w.U64(m.first);
  w.U32(m.n);
  w.I64(m.stamp_micros);
  w.Fixed(m.x);
  w.Fixed(m.y);
  return out;
}

// The writer: pipelined `move` calls; a ReducerResult per call, matched by request id.
class StdbWriter final : public WriterConnection {
 public:
  StdbWriter(asio::io_context& ioc, const Target& target, Callbacks callbacks)
      : ioc_(ioc), target_(target), callbacks_(std::move(callbacks)), ws_(ioc) {}

  void Start() override { asio::co_spawn(ioc_, Run(), asio::detached); }

  void Send(const Move& m) override {
    // request_id = seq + 1 (0 is left unused); a run sends far fewer than 2^32 moves.
    STDB_ASSERT(m.seq < UINT32_MAX);
    Bytes message;
    protocol::EncodeClientMessage(
        protocol::CallReducer{static_cast<uint32_t>(m.seq + 1), 0, "move", MoveArgs(m)}, message);
    queued_.push_back(std::move(message));
    if (!writing_) WriteNext();
  }

  void Stop() override {
    stopping_ = true;
    beast::get_lowest_layer(ws_).close();
  }

 private:
  // Writes what is queued: under v3 every queued call in one frame, under v2 one frame
  // per call.
  void WriteNext() {
    if (queued_.empty() || stopping_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    frame_.clear();
    do {
      frame_.insert(frame_.end(), queued_.front().begin(), queued_.front().end());
      queued_.pop_front();
    } while (v3_ && !queued_.empty());
    ws_.async_write(asio::buffer(frame_), [this](beast::error_code ec, size_t) {
      if (ec) {
        writing_ = false;
        if (!stopping_) callbacks_.on_failure(IoError("writer: send failed: " + ec.message()));
        return;
      }
      WriteNext();
    });
  }

  asio::awaitable<void> Run() {
    if (Status s = co_await Handshake(ws_, target_, v3_); !s.ok()) {
      callbacks_.on_failure(std::move(s));
      co_return;
    }
    bool greeted = false;
    beast::flat_buffer buffer;
    while (true) {
      buffer.clear();
      auto [ec, n] = co_await ws_.async_read(buffer, kNoThrow);
      if (ec) {
        if (!stopping_) callbacks_.on_failure(IoError("writer: connection lost: " + ec.message()));
        co_return;
      }
      Status s = ForEachServerMessage(FrameOf(buffer), v3_, [&](const protocol::ServerMessage& m) {
        if (std::holds_alternative<protocol::InitialConnection>(m) && !greeted) {
          greeted = true;
          callbacks_.on_ready();
        } else if (const auto* result = std::get_if<protocol::ReducerResult>(&m)) {
          using Kind = protocol::ReducerOutcome::Kind;
          const Kind kind = result->outcome.kind;
          if (result->request_id == 0) return InternalError("a ReducerResult for request 0");
          callbacks_.on_result(result->request_id - 1,
                               kind == Kind::kOk || kind == Kind::kOkEmpty
                                   ? Status::Ok()
                                   : Status(ErrorCode::kReducerError, result->outcome.message));
        }
        return Status::Ok();
      });
      if (!s.ok()) {
        callbacks_.on_failure(std::move(s));
        co_return;
      }
    }
  }

  asio::io_context& ioc_;
  const Target& target_;
  Callbacks callbacks_;
  Ws ws_;
  bool v3_ = false;
  std::deque<Bytes> queued_;  // encoded calls not yet written; bounded by the writer's in-flight limit
  Bytes frame_;               // the frame being written
  bool writing_ = false;
  bool stopping_ = false;
};

class StdbSystem final : public System {
 public:
  explicit StdbSystem(Target target) : target_(std::move(target)) {}

  Status Setup(const Workload& w) override {
    const std::string url = "http://" + target_.host + ":" + std::to_string(target_.port) +
                            "/v1/database/" + target_.db + "/call/seed";
    for (uint64_t first = 0; first < w.rows; first += kSeedRowsPerCall) {
      const uint64_t count = std::min(kSeedRowsPerCall, w.rows - first);
      const std::string args = "[" + std::to_string(first) + ", " + std::to_string(count) +
                               ", " + std::to_string(w.regions) + "]";
      STDB_ASSIGN_OR_RETURN(auto res, net::HttpRequest("POST", url,
                                                       {{"Content-Type", "application/json"}}, args));
      if (res.status != 200) {
        return InternalError("POST " + url + " answered " + std::to_string(res.status) + ": " +
                             res.body);
      }
    }
    return Status::Ok();
  }

  std::unique_ptr<Connection> NewSubscriber(asio::io_context& ioc, Subscriber& subscriber,
                                            bool subscribe) override {
    return std::make_unique<StdbSubscriber>(ioc, target_, subscriber, subscribe);
  }

  std::unique_ptr<WriterConnection> NewWriter(asio::io_context& ioc, const Workload&,
                                              WriterConnection::Callbacks callbacks) override {
    return std::make_unique<StdbWriter>(ioc, target_, std::move(callbacks));
  }

 private:
  const Target target_;
};

}  // namespace

Result<std::unique_ptr<System>> MakeStdbSystem(const std::string& url, const std::string& db) {
  if (url.rfind("ws://", 0) != 0) return InvalidArgument("an stdb --url starts with ws://");
  STDB_ASSIGN_OR_RETURN(net::Url u, net::ParseUrl(url));
  if (db.empty()) return InvalidArgument("an stdb run needs --db");
  Target t;
  t.host = u.host;
  t.port = u.port;
  t.db = db;
  boost::system::error_code ec;
  t.endpoint = tcp::endpoint(asio::ip::make_address(u.host, ec), u.port);
  if (ec) return InvalidArgument("--url: the host must be an IP address, not '" + u.host + "'");
  return std::unique_ptr<System>(std::make_unique<StdbSystem>(std::move(t)));
}

}  // namespace stdb::bench::fanout
