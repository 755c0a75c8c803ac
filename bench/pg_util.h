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

}  // namespace stdb::bench
