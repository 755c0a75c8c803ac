// The change one transaction makes to the rows of a join subscription
// `SELECT t.* FROM t JOIN u ON t.a = u.b [WHERE ...]`, computed from the transaction's
// row changes and index lookups, never by re-running the query.
//
// The subscription's rows are a multiset: t once per matching u. With the store after the
// transaction (T1, U1) and the changes (T+, T-, U+, U-):
//   inserted pairs = T+ x U1  +  (T1 - T+) x U+
//   deleted pairs  = T- x U0  +  (T1 - T+) x U-,   where U0 = (U1 - U+) + U-
// (a pair is a t and a u with equal join columns that satisfy WHERE). Rows of u are looked
// up through the index the binder requires on u.b; rows of t through an index on t.a if
// there is one, otherwise one scan of T per transaction that changes U. Inserts and
// deletes of the same t cancel, so a row leaves the view only when its count drops.
#pragma once

#include <vector>

#include "base/bytes.h"
#include "sql/query.h"
#include "store/tx.h"

namespace stdb::subscribe {

struct RowChanges {
  std::vector<ByteView> inserts;
  std::vector<ByteView> deletes;
  bool empty() const { return inserts.empty() && deletes.empty(); }
};

// REQUIRES: query.join is set. `t_delta` / `u_delta` are the transaction's changes to the
// subscribed and the joined table (null if unchanged; the same object for a self-join).
// The views point into `store` and the deltas.
RowChanges JoinDelta(const sql::BoundQuery& query, const store::Store& store,
                     const store::TableDelta* t_delta, const store::TableDelta* u_delta);

}  // namespace stdb::subscribe
