// libpq handles as RAII types and libpq's last error as one line, for the PostgreSQL
// sides of the load generators (loadgen_postgres.cc, fanout_postgres.cc).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>

namespace stdb::bench {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// The connection's last error without libpq's trailing newline.
inline std::string ErrorOf(PGconn* c) {
  std::string m = PQerrorMessage(c);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// Hands every result libpq has already read to on_result(PGresult*) (freed after the
// call), without blocking: stops when more() turns false, when libpq is busy (it needs
// more input), or at two nulls in a row. In pipeline mode each call yields its result
// (or an error), a null that ends it, then its Sync's PGRES_PIPELINE_SYNC.
template <typename More, typename OnResult>
void DrainPipelineResults(PGconn* c, More more, OnResult on_result) {
  int nulls = 0;
  while (more() && !PQisBusy(c) && nulls < 2) {
    PgResult r(PQgetResult(c));
    if (r == nullptr) {
      ++nulls;
      continue;
    }
    nulls = 0;
    on_result(r.get());
  }
}

}  // namespace stdb::bench
