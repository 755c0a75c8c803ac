// The fan-out workload against PostgreSQL (bench/README.md, "Fan-out workload"): table
// position with an index on region; the writer calls the PL/pgSQL function fanout_move,
// which updates the rows and calls pg_notify('region_<r>', rows) once per region it
// touched; subscribers are libpq connections that LISTEN region_<r>. libpq's sockets are
// watched by Asio (posix::stream_descriptor), so a few threads serve every connection.
//
// The writer uses libpq's pipeline mode with a Sync after each call: every call is its
// own transaction, and calls are sent on schedule without waiting for earlier ones.
#include <libpq-fe.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <deque>

#include "bench/fanout_driver.h"
#include "bench/pg_util.h"

namespace stdb::bench::fanout {
namespace {

namespace asio = boost::asio;
using Descriptor = asio::posix::stream_descriptor;

// The schema. Each call of fanout_move is one transaction (the writer's Sync), so the
// notifications of a call are delivered when it commits, after its WAL is flushed
// (synchronous_commit on). A NOTIFY payload must stay under 8000 bytes: about 250 rows
// of one region per transaction (about 31 bytes each); more fails the call.
constexpr const char* kSchema = R"sql(
CREATE TABLE position (
  id bigint PRIMARY KEY,
  region integer NOT NULL,
  x real NOT NULL,
  y real NOT NULL,
  stamp_micros bigint NOT NULL
);
CREATE INDEX position_region ON position (region);
CREATE FUNCTION fanout_move(first bigint, n integer, stamp bigint, nx real, ny real)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  r record;
  moved integer := 0;
BEGIN
  FOR r IN
    WITH moved_rows AS (
      UPDATE position SET x = nx, y = ny + (id - first), stamp_micros = stamp
      WHERE id >= first AND id < first + n
      RETURNING id, region, x, y, stamp_micros)
    SELECT region, count(*) AS c,
           string_agg(id || ':' || x || ':' || y || ':' || stamp_micros, ';') AS payload
    FROM moved_rows GROUP BY region
  LOOP
    PERFORM pg_notify('region_' || r.region, r.payload);
    moved := moved + r.c;
  END LOOP;
  IF moved <> n THEN
    RAISE EXCEPTION 'fanout_move: % of % rows exist', moved, n;
  END IF;
  RETURN moved;
END $$;
)sql";
constexpr const char* kMoveStatement = "fanout_move";
constexpr const char* kMoveSql = "SELECT fanout_move($1::bigint, $2::integer, $3::bigint, $4::real, $5::real)";


// Connects (blocking).
// Stops watching a connection's socket (without closing it: libpq owns the file
// descriptor) and closes the connection.
void ReleaseConnection(std::optional<Descriptor>& descriptor, PgConn& conn) {
  if (descriptor.has_value()) {
    boost::system::error_code ignored;
    descriptor->cancel(ignored);
    descriptor->release();
    descriptor.reset();
  }
  conn.reset();
}

Result<PgConn> Connect(const std::string& url) {
  PgConn c(PQconnectdb(url.c_str()));
  if (c == nullptr) return IoError("libpq: out of memory");
  if (PQstatus(c.get()) != CONNECTION_OK) return IoError("connect: " + ErrorOf(c.get()));
  return c;
}

// Runs `sql` (blocking); fails unless it succeeds.
Status Exec(PGconn* c, const std::string& sql) {
  PgResult r(PQexec(c, sql.c_str()));
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return InternalError("PostgreSQL: " + ErrorOf(c));
  }
  return Status::Ok();
}

// A subscriber: LISTEN region_<r>, then notifications as they arrive.
class PgSubscriber final : public Connection {
 public:
  PgSubscriber(asio::io_context& ioc, const std::string& url, Subscriber& subscriber,
               bool subscribe)
      : ioc_(ioc), url_(url), sub_(subscriber), subscribe_(subscribe),
        channel_(PostgresChannel(subscriber.region())) {}

  ~PgSubscriber() override { Release(); }

  void Start() override {
    auto c = Connect(url_);
    if (!c.ok()) return sub_.Fail(c.status());
    conn_ = std::move(*c);
    sub_.OnConnected();
    if (subscribe_) Subscribe();
    if (PQsetnonblocking(conn_.get(), 1) != 0) return sub_.Fail(IoError(ErrorOf(conn_.get())));
    // libpq owns the socket: the descriptor only watches it and is released, not
    // closed, before PQfinish.
    descriptor_.emplace(ioc_, PQsocket(conn_.get()));
    WaitRead();
  }

  void Subscribe() override {
    // PQexec blocks even on a non-blocking connection; a LISTEN takes well under a
    // millisecond. A notification that arrives meanwhile stays queued for PQnotifies.
    if (Status s = Exec(conn_.get(), "LISTEN " + channel_); !s.ok()) return sub_.Fail(std::move(s));
    sub_.OnSubscribed();
    Drain(RealtimeMicros());
  }

  void Stop() override {
    sub_.MarkStopping();
    Release();
  }

 private:
  void Release() { ReleaseConnection(descriptor_, conn_); }

  void WaitRead() {
    descriptor_->async_wait(Descriptor::wait_read, [this](boost::system::error_code ec) {
      if (ec || conn_ == nullptr) return;  // cancelled by Stop
      if (PQconsumeInput(conn_.get()) == 0) {
        return sub_.Fail(IoError("subscriber of " + channel_ + ": " + ErrorOf(conn_.get())));
      }
      if (!Drain(RealtimeMicros())) return;
      WaitRead();
    });
  }

  // Takes every notification libpq has read. False if one was malformed (the subscriber
  // has failed).
  bool Drain(int64_t now) {
    while (PGnotify* n = PQnotifies(conn_.get())) {
      Status s = channel_ == n->relname
                     ? ParseRowText(n->extra, [&](uint64_t id, int64_t stamp) {
                         sub_.OnRow(id, stamp, now);
                       })
                     : InternalError(std::string("a notification on ") + n->relname);
      sub_.OnMessage(now);
      PQfreemem(n);
      if (!s.ok()) {
        sub_.Fail(std::move(s));
        return false;
      }
    }
    return true;
  }

  asio::io_context& ioc_;
  const std::string& url_;
  Subscriber& sub_;
  const bool subscribe_;
  const std::string channel_;
  PgConn conn_;
  std::optional<Descriptor> descriptor_;
};

// The writer: a prepared call of fanout_move per move, pipelined, a Sync after each.
class PgWriter final : public WriterConnection {
 public:
  PgWriter(asio::io_context& ioc, const std::string& url, Callbacks callbacks)
      : ioc_(ioc), url_(url), callbacks_(std::move(callbacks)) {}

  ~PgWriter() override { Release(); }

  void Start() override {
    auto c = Connect(url_);
    if (!c.ok()) return callbacks_.on_failure(c.status());
    conn_ = std::move(*c);
    PgResult prepared(PQprepare(conn_.get(), kMoveStatement, kMoveSql, 5, nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return callbacks_.on_failure(InternalError("prepare: " + ErrorOf(conn_.get())));
    }
    if (PQsetnonblocking(conn_.get(), 1) != 0 || PQenterPipelineMode(conn_.get()) != 1) {
      return callbacks_.on_failure(InternalError("pipeline mode: " + ErrorOf(conn_.get())));
    }
    descriptor_.emplace(ioc_, PQsocket(conn_.get()));
    WaitRead();
    callbacks_.on_ready();
  }

  void Send(const Move& m) override {
    const std::string first = std::to_string(m.first), n = std::to_string(m.n),
                      stamp = std::to_string(m.stamp_micros), x = std::to_string(m.x),
                      y = std::to_string(m.y);
    const char* values[5] = {first.c_str(), n.c_str(), stamp.c_str(), x.c_str(), y.c_str()};
    if (PQsendQueryPrepared(conn_.get(), kMoveStatement, 5, values, nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(conn_.get()) != 1) {
      return Fail("send: " + ErrorOf(conn_.get()));
    }
    in_flight_.push_back(m.seq);
    Flush();
  }

  void Stop() override {
    stopping_ = true;
    Release();
  }

 private:
  void Release() { ReleaseConnection(descriptor_, conn_); }

  void Fail(const std::string& message) {
    if (stopping_) return;
    stopping_ = true;
    callbacks_.on_failure(IoError("writer: " + message));
  }

  // Hands libpq's output buffer to the socket, waiting for it to drain if it is full.
  void Flush() {
    const int r = PQflush(conn_.get());
    if (r < 0) return Fail("flush: " + ErrorOf(conn_.get()));
    if (r == 0 || write_waiting_) return;
    write_waiting_ = true;
    descriptor_->async_wait(Descriptor::wait_write, [this](boost::system::error_code ec) {
      write_waiting_ = false;
      if (ec || conn_ == nullptr) return;
      Flush();
    });
  }

  void WaitRead() {
    descriptor_->async_wait(Descriptor::wait_read, [this](boost::system::error_code ec) {
      if (ec || conn_ == nullptr) return;
      if (PQconsumeInput(conn_.get()) == 0) return Fail(ErrorOf(conn_.get()));
      TakeResults();
      if (conn_ == nullptr || stopping_) return;
      Flush();  // libpq may have more to send once the server has read
      WaitRead();
    });
  }

  // Each call yields its result (or an error), a null that ends it, then the Sync's
  // PGRES_PIPELINE_SYNC, which is when the call's transaction has committed.
  void TakeResults() {
    DrainPipelineResults(conn_.get(), [&] { return !in_flight_.empty(); }, [&](PGresult* r) {
      switch (PQresultStatus(r)) {
        case PGRES_PIPELINE_SYNC: {
          const uint64_t seq = in_flight_.front();
          in_flight_.pop_front();
          Status outcome = error_.empty() ? Status::Ok() : Status(ErrorCode::kReducerError, error_);
          error_.clear();
          callbacks_.on_result(seq, std::move(outcome));
          break;
        }
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
          break;
        default:
          if (error_.empty()) {
            error_ = PQresultErrorMessage(r);
            if (error_.empty()) error_ = PQresStatus(PQresultStatus(r));
          }
          break;
      }
    });
  }

  asio::io_context& ioc_;
  const std::string& url_;
  Callbacks callbacks_;
  PgConn conn_;
  std::optional<Descriptor> descriptor_;
  std::deque<uint64_t> in_flight_;  // seqs sent, oldest first, awaiting their Sync
  std::string error_;               // the error of the oldest call, if it failed
  bool write_waiting_ = false;
  bool stopping_ = false;
};

class PostgresSystem final : public System {
 public:
  explicit PostgresSystem(std::string url) : url_(std::move(url)) {}

  Status Setup(const Workload& w) override {
    STDB_ASSIGN_OR_RETURN(PgConn c, Connect(url_));
    STDB_RETURN_IF_ERROR(Exec(c.get(), kSchema));
    STDB_RETURN_IF_ERROR(Exec(c.get(), "INSERT INTO position SELECT g, g % " +
                                           std::to_string(w.regions) +
                                           ", 0, 0, 0 FROM generate_series(0, " +
                                           std::to_string(w.rows - 1) + ") AS g"));
    // Statistics for the planner; VACUUM cannot share a query string (a transaction).
    return Exec(c.get(), "VACUUM ANALYZE position");
  }

  std::unique_ptr<Connection> NewSubscriber(asio::io_context& ioc, Subscriber& subscriber,
                                            bool subscribe) override {
    return std::make_unique<PgSubscriber>(ioc, url_, subscriber, subscribe);
  }

  std::unique_ptr<WriterConnection> NewWriter(asio::io_context& ioc, const Workload&,
                                              WriterConnection::Callbacks callbacks) override {
    return std::make_unique<PgWriter>(ioc, url_, std::move(callbacks));
  }

 private:
  const std::string url_;
};

}  // namespace

Result<std::unique_ptr<System>> MakePostgresSystem(const std::string& url) {
  if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) {
    return InvalidArgument("a PostgreSQL --url starts with postgresql://");
  }
  return std::unique_ptr<System>(std::make_unique<PostgresSystem>(url));
}

}  // namespace stdb::bench::fanout
