// ledger: the module the crash test (tests/crash/crash_test.cc) runs while it kills the
// server. Each client appends numbered entries; every append writes four tables in one
// transaction, so a recovered database that kept part of a transaction, lost an
// acknowledged one, or reordered them shows up as a gap, a count that disagrees, or a
// total balance other than kAccounts * kInitialBalance. Everything here is deterministic:
// the same calls in the same order give the same rows.
#include <stdb/module.h>

#include <cstdint>
#include <optional>
#include <string>

namespace ledger {

inline constexpr uint32_t kAccounts = 64;
inline constexpr int64_t kInitialBalance = 1000;

// One row per acknowledged append: id = client << 32 | seq.
struct Entry {
  uint64_t id;
  uint32_t client;
  uint64_t seq;
};
STDB_STRUCT(Entry, id, client, seq);
STDB_TABLE(Entry, entry, stdb::Public);
STDB_PRIMARY_KEY(entry, id);

// Per client: the last seq appended and how many appends there were (always equal).
struct Progress {
  uint32_t client;
  uint64_t last_seq;
  uint64_t count;
};
STDB_STRUCT(Progress, client, last_seq, count);
STDB_TABLE(Progress, progress, stdb::Public);
STDB_PRIMARY_KEY(progress, client);

// Money moves between accounts but is never created or destroyed.
struct Account {
  uint32_t id;
  int64_t balance;
};
STDB_STRUCT(Account, id, balance);
STDB_TABLE(Account, account, stdb::Public);
STDB_PRIMARY_KEY(account, id);

// One row per append with an id from a sequence, so the test can check that ids handed
// out before a crash are never handed out again after it.
struct Event {
  uint64_t id;
  uint32_t client;
  uint64_t seq;
};
STDB_STRUCT(Event, id, client, seq);
STDB_TABLE(Event, event, stdb::Public);
STDB_PRIMARY_KEY(event, id);
STDB_AUTO_INC(event, id);

// Runs once, when the database is created: kAccounts accounts of kInitialBalance each.
void init(stdb::ReducerContext& ctx) {
  for (uint32_t id = 0; id < kAccounts; ++id) {
    ctx.db[account].insert(Account{id, kInitialBalance});
  }
}
STDB_INIT(init);

// Appends entry `seq` of `client`, which must follow the client's last one, and moves
// `amount` from account `from` to account `to` when `from` holds that much (otherwise
// nothing moves and the append still succeeds). Fails, writing nothing, when `seq` is out
// of order, an account does not exist, or `amount` is negative.
stdb::Outcome append(stdb::ReducerContext& ctx, uint32_t client, uint64_t seq, uint32_t from,
                     uint32_t to, int64_t amount) {
  std::optional<Progress> p = ctx.db[progress].find(client);
  const uint64_t last_seq = p.has_value() ? p->last_seq : 0;
  if (seq != last_seq + 1) {
    return stdb::Err("client " + std::to_string(client) + ": expected seq " +
                     std::to_string(last_seq + 1) + ", got " + std::to_string(seq));
  }
  std::optional<Account> source = ctx.db[account].find(from);
  std::optional<Account> target = ctx.db[account].find(to);
  if (!source.has_value() || !target.has_value()) return stdb::Err("no such account");
  if (amount < 0) return stdb::Err("negative amount");

  ctx.db[entry].insert(Entry{(static_cast<uint64_t>(client) << 32) | seq, client, seq});
  ctx.db[event].insert(Event{0, client, seq});
  if (p.has_value()) {
    ctx.db[progress].update(Progress{client, seq, p->count + 1});
  } else {
    ctx.db[progress].insert(Progress{client, seq, 1});
  }
  if (from != to && source->balance >= amount) {
    ctx.db[account].update(Account{from, source->balance - amount});
    ctx.db[account].update(Account{to, target->balance + amount});
  }
  return stdb::Ok();
}
STDB_REDUCER(append, client, seq, from, to, amount);

}  // namespace ledger
