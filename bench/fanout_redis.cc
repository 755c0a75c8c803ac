// The fan-out workload against Redis 7 (bench/README.md, "Fan-out workload"): rows are
// hashes pos:<id> {region, x, y, stamp}; the writer calls the function fanout_move
// (FCALL), which updates the rows and PUBLISHes, per region it touched, one message with
// that region's rows to channel region:<r>; subscribers SUBSCRIBE to their region's
// channel. The protocol is RESP2 (bench/resp.h) over Asio.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <deque>

#include "bench/fanout_driver.h"
#include "bench/resp.h"
#include "net/client.h"

namespace stdb::bench::fanout {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// The function library. Lua numbers are doubles, exact for the ids of any table this
// benchmark makes; the stamp stays the string the writer sent. fanout_move checks every
// row before writing any, because a Redis function that fails halfway keeps its writes.
// A key that is not passed in KEYS is fine on a standalone server (not in a cluster).
constexpr const char* kLibrary = R"lua(#!lua name=fanout
redis.register_function('fanout_seed', function(keys, args)
  local first = tonumber(args[1])
  local count = tonumber(args[2])
  local regions = tonumber(args[3])
  for id = first, first + count - 1 do
    redis.call('HSET', 'pos:' .. id, 'region', id % regions, 'x', 0, 'y', 0, 'stamp', 0)
  end
  return count
end)
redis.register_function('fanout_move', function(keys, args)
  local first = tonumber(args[1])
  local n = tonumber(args[2])
  local stamp = args[3]
  local x = tonumber(args[4])
  local y = tonumber(args[5])
  local regions = {}
  for i = 0, n - 1 do
    local region = redis.call('HGET', 'pos:' .. (first + i), 'region')
    if not region then return redis.error_reply('fanout_move: no row ' .. (first + i)) end
    regions[i] = region
  end
  local by_region = {}
  for i = 0, n - 1 do
    local id = first + i
    redis.call('HSET', 'pos:' .. id, 'x', x, 'y', y + i, 'stamp', stamp)
    local rows = by_region[regions[i]]
    if not rows then
      rows = {}
      by_region[regions[i]] = rows
    end
    rows[#rows + 1] = id .. ':' .. x .. ':' .. (y + i) .. ':' .. stamp
  end
  for region, rows in pairs(by_region) do
    redis.call('PUBLISH', 'region:' .. region, table.concat(rows, ';'))
  end
  return n
end)
)lua";

// Bounded: setup seeds at most this many rows per FCALL, so that one call does not hold
// the (single-threaded) server for long.
constexpr uint64_t kSeedRowsPerCall = 100'000;
// Bounded: a socket read takes at most this many bytes at a time.
constexpr size_t kReadChunkBytes = 64 << 10;

// One RESP connection: writes are queued and sent in order; replies are parsed as they
// arrive and handed to on_value. Runs on one io_context's thread.
class RespConnection {
 public:
  using OnValue = std::function<Status(RespValue&& value, int64_t now_micros)>;
  using OnFailure = std::function<void(Status)>;

  RespConnection(asio::io_context& ioc, tcp::endpoint endpoint) : socket_(ioc), endpoint_(endpoint) {}

  // Connects, then reads until the connection fails or Close; on_connected runs once
  // connected (with the failure if it did not).
  void Connect(std::function<void(Status)> on_connected, OnValue on_value, OnFailure on_failure) {
    on_value_ = std::move(on_value);
    on_failure_ = std::move(on_failure);
    socket_.async_connect(endpoint_, [this, done = std::move(on_connected)](boost::system::error_code ec) {
      if (ec) {
        done(IoError("connect: " + ec.message()));
        return;
      }
      socket_.set_option(tcp::no_delay(true));
      done(Status::Ok());
      Read();
    });
  }

  void Write(std::string_view bytes) {
    queued_.append(bytes);
    if (!writing_) WriteNext();
  }

  void Close() {
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

 private:
  void WriteNext() {
    if (queued_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    sending_.swap(queued_);
    queued_.clear();
    asio::async_write(socket_, asio::buffer(sending_), [this](boost::system::error_code ec, size_t) {
      if (ec) {
        writing_ = false;
        Failed(IoError("send failed: " + ec.message()));
        return;
      }
      WriteNext();
    });
  }

  void Read() {
    socket_.async_read_some(asio::buffer(chunk_), [this](boost::system::error_code ec, size_t n) {
      if (ec) {
        Failed(IoError("connection lost: " + ec.message()));
        return;
      }
      const int64_t now = RealtimeMicros();
      parser_.Feed(std::string_view(chunk_.data(), n));
      while (true) {
        auto value = parser_.Next();
        if (!value.ok()) return Failed(value.status());
        if (!value->has_value()) break;
        if (Status s = on_value_(std::move(**value), now); !s.ok()) return Failed(std::move(s));
      }
      Read();
    });
  }

  void Failed(Status s) {
    if (closed_) return;
    Close();
    on_failure_(std::move(s));
  }

  tcp::socket socket_;
  const tcp::endpoint endpoint_;
  OnValue on_value_;
  OnFailure on_failure_;
  RespParser parser_;
  std::array<char, kReadChunkBytes> chunk_;
  std::string queued_;   // bytes not yet handed to the socket
  std::string sending_;  // bytes being written
  bool writing_ = false;
  bool closed_ = false;
};

std::string Command(const std::vector<std::string_view>& args) {
  std::string out;
  AppendRespCommand(args, out);
  return out;
}

bool IsArrayOf(const RespValue& v, std::string_view kind, size_t size) {
  return v.type == RespValue::Type::kArray && v.elements.size() == size &&
         v.elements[0].type == RespValue::Type::kBulk && v.elements[0].text == kind;
}

// A subscriber: PING (answered once the server has registered the client), then
// SUBSCRIBE region:<r>; each message on the channel carries rows.
class RedisSubscriber final : public Connection {
 public:
  RedisSubscriber(asio::io_context& ioc, tcp::endpoint endpoint, Subscriber& subscriber,
                  bool subscribe)
      : conn_(ioc, endpoint), sub_(subscriber), subscribe_(subscribe),
        channel_(RedisChannel(subscriber.region())) {}

  void Start() override {
    conn_.Connect(
        [this](Status s) {
          if (!s.ok()) return sub_.Fail(std::move(s));
          conn_.Write(Command({"PING"}));
          if (subscribe_) Subscribe();
        },
        [this](RespValue&& v, int64_t now) { return OnValue(std::move(v), now); },
        [this](Status s) {
          sub_.Fail(Status(s.code(), "subscriber of " + channel_ + ": " + s.message()));
        });
  }

  void Subscribe() override { conn_.Write(Command({"SUBSCRIBE", channel_})); }

  void Stop() override {
    sub_.MarkStopping();
    conn_.Close();
  }

 private:
  Status OnValue(RespValue&& v, int64_t now) {
    if (IsArrayOf(v, "message", 3)) {
      if (v.elements[1].text != channel_) return InternalError("a message on " + v.elements[1].text);
      sub_.OnMessage(now);
      return ParseRowText(v.elements[2].text,
                          [&](uint64_t id, int64_t stamp) { sub_.OnRow(id, stamp, now); });
    }
    if (v.type == RespValue::Type::kSimple && v.text == "PONG") {
      sub_.OnConnected();
    } else if (IsArrayOf(v, "subscribe", 3)) {
      sub_.OnSubscribed();
    } else if (v.type == RespValue::Type::kError) {
      return InternalError("Redis: " + v.text);
    }
    return Status::Ok();
  }

  RespConnection conn_;
  Subscriber& sub_;
  const bool subscribe_;
  const std::string channel_;
};

// The writer: pipelined FCALLs; Redis answers them in order.
class RedisWriter final : public WriterConnection {
 public:
  RedisWriter(asio::io_context& ioc, tcp::endpoint endpoint, Callbacks callbacks)
      : conn_(ioc, endpoint), callbacks_(std::move(callbacks)) {}

  void Start() override {
    conn_.Connect(
        [this](Status s) {
          if (!s.ok()) return callbacks_.on_failure(std::move(s));
          callbacks_.on_ready();
        },
        [this](RespValue&& v, int64_t) -> Status {
          if (in_flight_.empty()) return InternalError("a reply to no command");
          const uint64_t seq = in_flight_.front();
          in_flight_.pop_front();
          if (v.type == RespValue::Type::kError) {
            callbacks_.on_result(seq, Status(ErrorCode::kReducerError, v.text));
          } else {
            callbacks_.on_result(seq, Status::Ok());
          }
          return Status::Ok();
        },
        [this](Status s) {
          if (!stopping_) callbacks_.on_failure(Status(s.code(), "writer: " + s.message()));
        });
  }

  void Send(const Move& m) override {
    const std::string first = std::to_string(m.first), n = std::to_string(m.n),
                      stamp = std::to_string(m.stamp_micros), x = std::to_string(m.x),
                      y = std::to_string(m.y);
    conn_.Write(Command({"FCALL", "fanout_move", "0", first, n, stamp, x, y}));
    in_flight_.push_back(m.seq);
  }

  void Stop() override {
    stopping_ = true;
    conn_.Close();
  }

 private:
  RespConnection conn_;
  Callbacks callbacks_;
  std::deque<uint64_t> in_flight_;  // seqs of the FCALLs sent and not yet answered
  bool stopping_ = false;
};

// Sends `commands` on a fresh connection and waits for their replies; fails on an error
// reply. For setup only.
Status RunCommands(tcp::endpoint endpoint, const std::vector<std::string>& commands) {
  asio::io_context ioc;
  RespConnection conn(ioc, endpoint);
  Status failure;
  size_t replies = 0;
  conn.Connect(
      [&](Status s) {
        if (!s.ok()) {
          failure = std::move(s);
          return;
        }
        for (const auto& c : commands) conn.Write(c);
      },
      [&](RespValue&& v, int64_t) -> Status {
        if (v.type == RespValue::Type::kError) return InternalError("Redis: " + v.text);
        if (++replies == commands.size()) conn.Close();
        return Status::Ok();
      },
      [&](Status s) { failure = std::move(s); });
  ioc.run();
  if (!failure.ok()) return failure;
  if (replies != commands.size()) return IoError("Redis closed the connection during setup");
  return Status::Ok();
}

class RedisSystem final : public System {
 public:
  explicit RedisSystem(tcp::endpoint endpoint) : endpoint_(endpoint) {}

  Status Setup(const Workload& w) override {
    std::vector<std::string> commands{Command({"FUNCTION", "LOAD", "REPLACE", kLibrary})};
    const std::string regions = std::to_string(w.regions);
    for (uint64_t first = 0; first < w.rows; first += kSeedRowsPerCall) {
      const std::string f = std::to_string(first);
      const std::string count = std::to_string(std::min(kSeedRowsPerCall, w.rows - first));
      commands.push_back(Command({"FCALL", "fanout_seed", "0", f, count, regions}));
    }
    return RunCommands(endpoint_, commands);
  }

  std::unique_ptr<Connection> NewSubscriber(asio::io_context& ioc, Subscriber& subscriber,
                                            bool subscribe) override {
    return std::make_unique<RedisSubscriber>(ioc, endpoint_, subscriber, subscribe);
  }

  std::unique_ptr<WriterConnection> NewWriter(asio::io_context& ioc, const Workload&,
                                              WriterConnection::Callbacks callbacks) override {
    return std::make_unique<RedisWriter>(ioc, endpoint_, std::move(callbacks));
  }

 private:
  const tcp::endpoint endpoint_;
};

}  // namespace

Result<std::unique_ptr<System>> MakeRedisSystem(const std::string& url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.rfind(kScheme, 0) != 0) return InvalidArgument("a Redis --url starts with redis://");
  // net::ParseUrl knows http:// only; the rest of the URL has the same form.
  STDB_ASSIGN_OR_RETURN(net::Url u, net::ParseUrl("http://" + url.substr(kScheme.size())));
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(u.host, ec);
  if (ec) return InvalidArgument("--url: the host must be an IP address, not '" + u.host + "'");
  return std::unique_ptr<System>(std::make_unique<RedisSystem>(tcp::endpoint(address, u.port)));
}

}  // namespace stdb::bench::fanout
