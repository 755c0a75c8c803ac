// The transfer workload against PostgreSQL (bench/README.md, "Side-by-side: bench/run"):
// table account(id bigint primary key, balance bigint) and the PL/pgSQL function
// transfer(src, dst, amount), called as a prepared statement in libpq's pipeline mode
// with a Sync after each call, so that every call is its own transaction and up to
// --inflight of them are in flight per connection. The server's synchronous_commit
// (set by the script that started it) decides whether a commit waits for its WAL flush.
#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <string>

#include "base/assert.h"
#include "bench/loadgen_driver.h"
#include "bench/pg_util.h"

namespace stdb::bench {
namespace {

using Millis = std::chrono::milliseconds;

// The schema. transfer locks both rows in id order before reading them: two transfers
// between the same accounts in opposite directions then queue on the same first row
// instead of deadlocking (at Zipf 1.5 most transfers involve account 0 or 1). Under
// READ COMMITTED a row locked after a wait is read in its latest committed version, so
// the balance checked is the one updated. Every failure raises, which rolls the call's
// transaction back: the sum of balances never changes.
constexpr const char* kSchema = R"sql(
SET client_min_messages = warning;
DROP TABLE IF EXISTS account;
CREATE TABLE account (id bigint PRIMARY KEY, balance bigint NOT NULL);
CREATE OR REPLACE FUNCTION transfer(src bigint, dst bigint, amount bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
  src_balance bigint;
  found_rows integer := 0;
BEGIN
  IF src = dst THEN RAISE EXCEPTION 'transfer to the same account'; END IF;
  IF amount <= 0 THEN RAISE EXCEPTION 'amount must be positive'; END IF;
  FOR r IN SELECT id, balance FROM account WHERE id IN (src, dst) ORDER BY id FOR UPDATE LOOP
    IF r.id = src THEN src_balance := r.balance; END IF;
    found_rows := found_rows + 1;
  END LOOP;
  IF found_rows <> 2 THEN RAISE EXCEPTION 'no account % or %', src, dst; END IF;
  IF src_balance < amount THEN RAISE EXCEPTION 'insufficient funds'; END IF;
  UPDATE account SET balance = balance - amount WHERE id = src;
  UPDATE account SET balance = balance + amount WHERE id = dst;
END $$;
)sql";
constexpr const char* kTransferStatement = "transfer";
constexpr const char* kTransferSql = "SELECT transfer($1::bigint, $2::bigint, $3::bigint)";


Result<PgConn> OpenConnection(const std::string& url) {
  PgConn c(PQconnectdb(url.c_str()));
  if (c == nullptr) return IoError("libpq: out of memory");
  if (PQstatus(c.get()) != CONNECTION_OK) return IoError("connect: " + ErrorOf(c.get()));
  return c;
}

// Runs `sql` (blocking) and returns its last result; fails unless it succeeded.
Result<PgResult> Exec(PGconn* c, const std::string& sql) {
  PgResult r(PQexec(c, sql.c_str()));
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return InternalError("PostgreSQL: " + ErrorOf(c));
  }
  return r;
}

// SQLSTATEs of the failures that concurrency causes, not the transaction's own logic:
// serialization_failure and deadlock_detected.
bool IsConflict(const char* sqlstate) {
  return sqlstate != nullptr &&
         (std::strcmp(sqlstate, "40001") == 0 || std::strcmp(sqlstate, "40P01") == 0);
}

class PgConnection final : public TransferConnection {
 public:
  explicit PgConnection(PgConn conn) : conn_(std::move(conn)) {}

  Status Send(const Transfer& t) override {
    const std::string from = std::to_string(t.from), to = std::to_string(t.to),
                      amount = std::to_string(t.amount);
    const char* values[3] = {from.c_str(), to.c_str(), amount.c_str()};
    if (PQsendQueryPrepared(conn_.get(), kTransferStatement, 3, values, nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(conn_.get()) != 1) {
      return IoError("send: " + ErrorOf(conn_.get()));
    }
    in_flight_.push_back(t.seq);
    return Status::Ok();
  }

  // libpq buffers what the socket did not take; PQflush writes until it is empty,
  // reading meanwhile so that the server, writing results, is never blocked by us.
  Status Flush() override {
    while (true) {
      const int r = PQflush(conn_.get());
      if (r < 0) return IoError("flush: " + ErrorOf(conn_.get()));
      if (r == 0) return Status::Ok();
      STDB_RETURN_IF_ERROR(Wait(POLLIN | POLLOUT, kFlushTimeout));
    }
  }

  Status Receive(Millis timeout, std::vector<CallResult>& out) override {
    STDB_ASSERT(!in_flight_.empty());
    const size_t before = out.size();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      STDB_RETURN_IF_ERROR(TakeResults(out));
      if (out.size() > before) return Status::Ok();
      const auto left =
          std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return IoError("no result from PostgreSQL within the timeout");
      STDB_RETURN_IF_ERROR(Wait(POLLIN, left));
    }
  }

 private:
  // A bound on one wait for the socket to take our output.
  static constexpr Millis kFlushTimeout = std::chrono::seconds(30);

  // Waits until the socket is ready for `events` (or up to `timeout`), then lets libpq
  // read what arrived.
  Status Wait(short events, Millis timeout) {
    pollfd p{PQsocket(conn_.get()), events, 0};
    const int ready = poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready < 0 && errno != EINTR) return IoError(std::string("poll: ") + std::strerror(errno));
    if (ready == 0) return Status::Ok();  // the caller's deadline decides
    if (PQconsumeInput(conn_.get()) == 0) return IoError(ErrorOf(conn_.get()));
    return Status::Ok();
  }

  // Takes every result libpq has read. Each call yields its result (or an error), a null
  // that ends it, then the Sync's PGRES_PIPELINE_SYNC: the call's transaction has ended
  // (committed, unless it failed).
  Status TakeResults(std::vector<CallResult>& out) {
    DrainPipelineResults(conn_.get(), [&] { return !in_flight_.empty(); }, [&](PGresult* r) {
      switch (PQresultStatus(r)) {
        case PGRES_PIPELINE_SYNC:
          out.push_back(CallResult{in_flight_.front(), failure_kind_, std::move(failure_)});
          in_flight_.pop_front();
          failure_kind_ = CallResult::Kind::kCommitted;
          failure_.clear();
          break;
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
          break;
        default:
          if (failure_kind_ == CallResult::Kind::kCommitted) {
            failure_kind_ = IsConflict(PQresultErrorField(r, PG_DIAG_SQLSTATE))
                                ? CallResult::Kind::kConflict
                                : CallResult::Kind::kRefused;
            const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            failure_ = primary != nullptr ? primary : PQresStatus(PQresultStatus(r));
          }
          break;
      }
    });
    if (PQstatus(conn_.get()) == CONNECTION_BAD)
      return IoError("connection lost: " + ErrorOf(conn_.get()));
    return Status::Ok();
  }

  PgConn conn_;
  std::deque<uint64_t> in_flight_;  // seqs sent, oldest first, awaiting their Sync
  // The outcome of the oldest call so far: kCommitted until an error result arrives.
  CallResult::Kind failure_kind_ = CallResult::Kind::kCommitted;
  std::string failure_;
};

class PostgresSystem final : public TransferSystem {
 public:
  explicit PostgresSystem(std::string url) : url_(std::move(url)) {}

  Status Setup(uint32_t accounts, int64_t balance) override {
    STDB_ASSIGN_OR_RETURN(PgConn c, OpenConnection(url_));
    STDB_RETURN_IF_ERROR(Exec(c.get(), kSchema).status());
    STDB_RETURN_IF_ERROR(Exec(c.get(), "INSERT INTO account SELECT g, " + std::to_string(balance) +
                                           " FROM generate_series(0, " +
                                           std::to_string(static_cast<int64_t>(accounts) - 1) +
                                           ") AS g")
                             .status());
    // Statistics for the planner; VACUUM cannot share a query string (a transaction).
    return Exec(c.get(), "VACUUM ANALYZE account").status();
  }

  Result<Balances> ReadBalances() override {
    STDB_ASSIGN_OR_RETURN(PgConn c, OpenConnection(url_));
    STDB_ASSIGN_OR_RETURN(PgResult r,
                          Exec(c.get(), "SELECT count(*), coalesce(sum(balance), 0) FROM account"));
    if (PQntuples(r.get()) != 1 || PQnfields(r.get()) != 2) {
      return DecodeError("unexpected answer to the sum of balances");
    }
    Balances out;
    STDB_ASSIGN_OR_RETURN(__int128 count, ParseInt128(PQgetvalue(r.get(), 0, 0)));
    STDB_ASSIGN_OR_RETURN(out.total, ParseInt128(PQgetvalue(r.get(), 0, 1)));
    out.accounts = static_cast<uint64_t>(count);
    return out;
  }

  Result<std::unique_ptr<TransferConnection>> Connect() override {
    STDB_ASSIGN_OR_RETURN(PgConn c, OpenConnection(url_));
    PgResult prepared(PQprepare(c.get(), kTransferStatement, kTransferSql, 3, nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return InternalError("prepare: " + ErrorOf(c.get()));
    }
    if (PQsetnonblocking(c.get(), 1) != 0 || PQenterPipelineMode(c.get()) != 1) {
      return InternalError("pipeline mode: " + ErrorOf(c.get()));
    }
    return std::unique_ptr<TransferConnection>(std::make_unique<PgConnection>(std::move(c)));
  }

 private:
  const std::string url_;
};

}  // namespace

Result<std::unique_ptr<TransferSystem>> MakePostgresTransferSystem(const std::string& url) {
  if (url.empty()) return InvalidArgument("PostgreSQL needs a libpq connection string as --url");
  return std::unique_ptr<TransferSystem>(std::make_unique<PostgresSystem>(url));
}

}  // namespace stdb::bench
