// The transfer workload's module (docs: bench/README.md, "Transfer workload"): accounts
// with an integer balance and a reducer that moves an amount from one to another, the
// SpacetimeDB "keynote" benchmark. Also a `filler` table of fixed-width rows that the
// recovery measurement fills with 1,000,000 rows (24 bytes of BSATN each).
//
// Every failure is a reducer error (the caller's ReducerResult says why) and rolls the
// transaction back, so the sum of all balances never changes: bench/loadgen.cc checks it.
#include <stdb/module.h>

#include <cstdint>
#include <optional>
#include <string>

namespace transfer {

struct Account {
  uint32_t id;
  int64_t balance;
};
STDB_STRUCT(Account, id, balance);
STDB_TABLE(Account, account, stdb::Public);
STDB_PRIMARY_KEY(account, id);

struct Filler {
  uint64_t id;
  uint64_t a;
  uint64_t b;
};
STDB_STRUCT(Filler, id, a, b);
STDB_TABLE(Filler, filler, stdb::Public);
STDB_PRIMARY_KEY(filler, id);
STDB_AUTO_INC(filler, id);

// Bounded: one call inserts at most this many rows, so a transaction (and the memory of
// its undo log and delta) stays small enough that other calls are not held up for long.
// 100,000 accounts take ten calls.
constexpr uint32_t kRowsPerCallMax = 100'000;

// Inserts accounts [first, first + count), each holding `balance`. Fails (inserting
// nothing) if one of them exists already or count exceeds kRowsPerCallMax.
stdb::Outcome seed(stdb::ReducerContext& ctx, uint32_t first, uint32_t count, int64_t balance) {
  if (count > kRowsPerCallMax) {
    return stdb::Err("seed: count " + std::to_string(count) + " exceeds " +
                     std::to_string(kRowsPerCallMax));
  }
  if (balance < 0) return stdb::Err("seed: balance must not be negative");
  if (static_cast<uint64_t>(first) + count > UINT32_MAX + uint64_t{1}) {
    return stdb::Err("seed: ids past the end of u32");
  }
  for (uint32_t i = 0; i < count; ++i) {
    ctx.db[account].insert(Account{first + i, balance});  // a clash throws: all rolled back
  }
  return stdb::Ok();
}
STDB_REDUCER(seed, first, count, balance);

// Moves `amount` from account `from` to account `to`. Fails without writing when the two
// are the same account, either is missing, the amount is not positive, or `from` holds
// less than `amount`.
stdb::Outcome transfer(stdb::ReducerContext& ctx, uint32_t from, uint32_t to, int64_t amount) {
  if (from == to) return stdb::Err("transfer to the same account");
  if (amount <= 0) return stdb::Err("amount must be positive");
  std::optional<Account> source = ctx.db[account].find(from);
  if (!source.has_value()) return stdb::Err("no account " + std::to_string(from));
  std::optional<Account> target = ctx.db[account].find(to);
  if (!target.has_value()) return stdb::Err("no account " + std::to_string(to));
  if (source->balance < amount) return stdb::Err("insufficient funds");
  // Balances are seeded non-negative and only move between accounts, so the target's
  // cannot exceed the sum of all seeded balances; the check guards against a seed that
  // overflowed that sum.
  if (target->balance > INT64_MAX - amount) return stdb::Err("balance overflow");
  source->balance -= amount;
  target->balance += amount;
  ctx.db[account].update(*source);
  ctx.db[account].update(*target);
  return stdb::Ok();
}
STDB_REDUCER(transfer, from, to, amount);

// Logs the number of accounts and the sum of their balances (a full scan).
void total(stdb::ReducerContext& ctx) {
  __int128 sum = 0;
  uint64_t accounts = 0;
  for (const Account& a : ctx.db[account]) {
    sum += a.balance;
    ++accounts;
  }
  // A sum of i64 balances fits in 128 bits; it is printed as i64 when it fits, which it
  // does for every seed the benchmark uses.
  const bool fits = sum >= INT64_MIN && sum <= INT64_MAX;
  ctx.log_info(std::to_string(accounts) + " accounts, total balance " +
               (fits ? std::to_string(static_cast<int64_t>(sum)) : std::string("> 2^63")));
}
STDB_REDUCER(total);

// Inserts `count` filler rows with fresh ids (a = id's ordinal in this call, b = a
// mixed value, so rows differ). Fails if count exceeds kRowsPerCallMax.
stdb::Outcome fill(stdb::ReducerContext& ctx, uint32_t count) {
  if (count > kRowsPerCallMax) {
    return stdb::Err("fill: count " + std::to_string(count) + " exceeds " +
                     std::to_string(kRowsPerCallMax));
  }
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t a = i;
    ctx.db[filler].insert(Filler{0, a, a * 0x9E3779B97F4A7C15ull});
  }
  return stdb::Ok();
}
STDB_REDUCER(fill, count);

}  // namespace transfer
