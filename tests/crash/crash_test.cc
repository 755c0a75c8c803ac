// Crash recovery, seen from outside: a real server running the ledger module
// (modules/ledger) is killed with SIGKILL while four clients append as fast as they can,
// then restarted on the same data directory. What it recovers must be, for each client,
// exactly its appends 1..k with every acknowledged append included (k >= the highest
// acknowledged seq) and nothing invented (k <= the highest seq sent); the four tables
// each append writes must agree with each other, money must be conserved, and the event
// id sequence must not hand out again an id it handed out before the crash.
//
// Every iteration starts a fresh server (fresh data directory) and kills it after a
// seeded random delay; see README.md for the environment variables that replay a seed,
// change the iteration count or the server's durability flags.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <latch>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sats/types.h"
#include "sats/value.h"
#include "server_process.h"
#include "test_util.h"

namespace stdb::crash {
namespace {

using integration::ServerProcess;
using nlohmann::json;

inline constexpr const char* kLedgerModule = STDB_LEDGER_MODULE;
inline constexpr const char* kDatabase = "ledger";

// Iterations in one run, unless STDB_CRASH_ITERATIONS says otherwise.
inline constexpr int kIterationsDefault = 20;
// Client threads per iteration; client numbers are 1..kClients.
inline constexpr uint32_t kClients = 4;
// Bounded: calls one client keeps sent but not yet answered. Several in flight let the
// server's group commit cover more than one transaction per fsync, as real clients do.
inline constexpr uint64_t kInFlightMax = 8;
// The ledger module's accounts (modules/ledger/src/lib.cc).
inline constexpr uint32_t kAccounts = 64;
inline constexpr int64_t kInitialBalance = 1000;
// Appends move between 0 and kAmountMax, so some moves are refused for lack of money.
inline constexpr int64_t kAmountMax = 400;
// The kill comes this long after every client has connected, log-uniformly distributed
// so that short runs (killed before the first snapshot) are as common as long ones
// (killed after several snapshots and removed log segments).
inline constexpr auto kKillDelayMin = std::chrono::milliseconds(20);
inline constexpr auto kKillDelayMax = std::chrono::milliseconds(3000);
// Durability settings small enough that snapshots are taken and log segments removed
// within a run. STDB_CRASH_SERVER_ARGS replaces them (an empty value passes none).
inline constexpr const char* kServerArgsDefault =
    "--snapshot-every-tx 200 --log-segment-bytes 65536";

// ---- Settings from the environment ----

uint64_t BaseSeed() {
  if (const char* text = std::getenv("STDB_CRASH_SEED"); text != nullptr && *text != '\0') {
    return std::strtoull(text, nullptr, 0);
  }
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) | device();
}

int Iterations() {
  const char* text = std::getenv("STDB_CRASH_ITERATIONS");
  return text != nullptr && *text != '\0' ? std::atoi(text) : kIterationsDefault;
}

std::vector<std::string> ServerArgs() {
  const char* text = std::getenv("STDB_CRASH_SERVER_ARGS");
  std::istringstream in(text != nullptr ? text : kServerArgsDefault);
  std::vector<std::string> args;
  for (std::string arg; in >> arg;) args.push_back(arg);
  return args;
}

// ---- Calls ----

// SplitMix64: a well-mixed 64-bit value from any 64-bit input.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The BSATN arguments of append(client, seq, from, to, amount). The accounts and amount
// follow from (seed, client, seq), so a seed gives the same calls every time.
Bytes AppendArgs(uint64_t seed, uint32_t client, uint64_t seq) {
  using sats::AlgebraicType;
  using sats::AlgebraicValue;
  using sats::TypeKind;
  const uint64_t r = Mix(seed ^ Mix((static_cast<uint64_t>(client) << 32) ^ seq));
  const auto from = static_cast<uint32_t>(r % kAccounts);
  const auto to = static_cast<uint32_t>((r >> 8) % kAccounts);
  const auto amount = static_cast<int64_t>((r >> 16) % (kAmountMax + 1));
  return integration::EncodeArgs(
      {AlgebraicType(TypeKind::kU32), AlgebraicType(TypeKind::kU64), AlgebraicType(TypeKind::kU32),
       AlgebraicType(TypeKind::kU32), AlgebraicType(TypeKind::kI64)},
      {AlgebraicValue(client), AlgebraicValue(seq), AlgebraicValue(from), AlgebraicValue(to),
       AlgebraicValue(amount)});
}

// What one client did before the crash. The server answers a connection's calls in
// order, so the acknowledged seqs are exactly 1..acked_max (the thread checks that each
// answer is for the next seq); recording the highest is recording all of them.
struct ClientLog {
  uint32_t client = 0;
  uint64_t sent_max = 0;   // highest seq sent (counted before the send: it may have arrived)
  uint64_t acked_max = 0;  // highest seq whose ReducerResult was Ok
  std::string error;       // what went wrong before the kill; empty if nothing did
};

// Connects, counts down `connected`, then appends seq 1, 2, ... with up to kInFlightMax
// calls in flight until the connection breaks. A break is expected once `killing` is
// set; anything unexpected (a break before it, an answer that is not Ok or not for the
// next seq) is written to log.error and ends the thread.
void AppendUntilKilled(const ServerProcess& server, uint64_t seed, const std::atomic<bool>& killing,
                       std::latch& connected, ClientLog& log) {
  auto greeted = integration::ConnectAndGreet(server);
  connected.count_down();
  if (!greeted.ok()) {
    log.error = "connect: " + greeted.status().message();
    return;
  }
  net::WsClient& ws = *greeted->client;
  while (true) {
    while (log.sent_max - log.acked_max < kInFlightMax) {
      const uint64_t seq = ++log.sent_max;
      const Status sent = ws.Send(protocol::CallReducer{static_cast<uint32_t>(seq), 0, "append",
                                                        AppendArgs(seed, log.client, seq)});
      if (!sent.ok()) {
        if (!killing.load()) log.error = "send seq " + std::to_string(seq) + ": " + sent.message();
        return;
      }
    }
    auto message = ws.Receive(integration::kReceiveTimeout);
    if (!message.ok()) {
      if (!killing.load()) log.error = "receive: " + message.status().message();
      return;
    }
    const auto* result = std::get_if<protocol::ReducerResult>(&*message);
    if (result == nullptr || result->request_id != log.acked_max + 1 ||
        result->outcome.kind != protocol::ReducerOutcome::Kind::kOk) {
      log.error = "expected an Ok ReducerResult for seq " + std::to_string(log.acked_max + 1) +
                  ", got " + integration::Describe(*message);
      return;
    }
    ++log.acked_max;
  }
}

// ---- Reading the ledger back ----

struct Ledger {
  std::map<uint32_t, std::vector<uint64_t>> entry_seqs;         // by client, ascending
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> progress;   // client -> (last_seq, count)
  std::map<uint32_t, std::vector<uint64_t>> event_seqs;         // by client, in id order
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> event_ids;  // (client, seq) -> id
  uint64_t event_id_max = 0;
  size_t accounts = 0;
  int64_t balance_total = 0;
  int64_t balance_min = 0;
  size_t entries = 0;
};

Result<uint64_t> U64(const json& row, size_t column) {
  if (!row.is_array() || column >= row.size() || !row[column].is_number_unsigned()) {
    return Status(ErrorCode::kInternal, "column " + std::to_string(column) +
                                            " is not an unsigned integer in " + row.dump());
  }
  return row[column].get<uint64_t>();
}

Result<int64_t> I64(const json& row, size_t column) {
  if (!row.is_array() || column >= row.size() || !row[column].is_number_integer()) {
    return Status(ErrorCode::kInternal,
                  "column " + std::to_string(column) + " is not an integer in " + row.dump());
  }
  return row[column].get<int64_t>();
}

// The rows of each statement of one POST /sql request, in statement order.
Result<std::vector<json>> SelectAll(const ServerProcess& server,
                                    const std::vector<std::string>& tables) {
  std::string sql;
  for (const auto& table : tables) sql += "SELECT * FROM " + table + ";";
  STDB_ASSIGN_OR_RETURN(std::string body, integration::SqlHttp(server, sql));
  const json results = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!results.is_array() || results.size() != tables.size()) {
    return Status(ErrorCode::kInternal, "POST /sql returned " + body.substr(0, 500));
  }
  std::vector<json> rows;
  for (const auto& r : results) {
    if (!r.is_object() || !r.contains("rows") || !r["rows"].is_array()) {
      return Status(ErrorCode::kInternal, "a /sql result without rows: " + r.dump());
    }
    rows.push_back(r["rows"]);
  }
  return rows;
}

// Reads all four tables. Columns are in the order the module declares them.
Result<Ledger> ReadLedger(const ServerProcess& server) {
  STDB_ASSIGN_OR_RETURN(auto rows, SelectAll(server, {"entry", "progress", "account", "event"}));
  Ledger ledger;
  for (const json& row : rows[0]) {
    STDB_ASSIGN_OR_RETURN(uint64_t id, U64(row, 0));
    STDB_ASSIGN_OR_RETURN(uint64_t client, U64(row, 1));
    STDB_ASSIGN_OR_RETURN(uint64_t seq, U64(row, 2));
    if (id != ((client << 32) | seq)) {
      return Status(ErrorCode::kInternal,
                    "entry id does not match its client and seq: " + row.dump());
    }
    ledger.entry_seqs[static_cast<uint32_t>(client)].push_back(seq);
    ++ledger.entries;
  }
  for (auto& [client, seqs] : ledger.entry_seqs) std::sort(seqs.begin(), seqs.end());
  for (const json& row : rows[1]) {
    STDB_ASSIGN_OR_RETURN(uint64_t client, U64(row, 0));
    STDB_ASSIGN_OR_RETURN(uint64_t last_seq, U64(row, 1));
    STDB_ASSIGN_OR_RETURN(uint64_t count, U64(row, 2));
    ledger.progress[static_cast<uint32_t>(client)] = {last_seq, count};
  }
  ledger.balance_min = kInitialBalance;
  for (const json& row : rows[2]) {
    STDB_ASSIGN_OR_RETURN(int64_t balance, I64(row, 1));
    ++ledger.accounts;
    ledger.balance_total += balance;
    ledger.balance_min = std::min(ledger.balance_min, balance);
  }
  std::map<uint64_t, std::pair<uint32_t, uint64_t>> events_by_id;
  for (const json& row : rows[3]) {
    STDB_ASSIGN_OR_RETURN(uint64_t id, U64(row, 0));
    STDB_ASSIGN_OR_RETURN(uint64_t client, U64(row, 1));
    STDB_ASSIGN_OR_RETURN(uint64_t seq, U64(row, 2));
    if (!events_by_id.emplace(id, std::pair{static_cast<uint32_t>(client), seq}).second) {
      return Status(ErrorCode::kInternal, "two event rows with id " + std::to_string(id));
    }
    ledger.event_ids[{static_cast<uint32_t>(client), seq}] = id;
    ledger.event_id_max = std::max(ledger.event_id_max, id);
  }
  for (const auto& [id, event] : events_by_id) {
    ledger.event_seqs[event.first].push_back(event.second);
  }
  return ledger;
}

// ---- Checks ----

std::vector<uint64_t> OneTo(uint64_t k) {
  std::vector<uint64_t> seqs(k);
  for (uint64_t i = 0; i < k; ++i) seqs[i] = i + 1;
  return seqs;
}

// Checks that the tables agree with each other and returns k, the number of entries of
// `client`: entries are exactly 1..k, progress says (k, k), events are one per entry and
// were allocated in seq order, and money is conserved.
uint64_t ExpectConsistent(const Ledger& ledger, uint32_t client) {
  const auto entries = ledger.entry_seqs.find(client);
  const uint64_t k = entries == ledger.entry_seqs.end() ? 0 : entries->second.size();
  if (k > 0) {
    EXPECT_EQ(entries->second, OneTo(k)) << "client " << client << ": entry seqs";
  }
  const auto progress = ledger.progress.find(client);
  if (k == 0) {
    EXPECT_EQ(progress, ledger.progress.end()) << "client " << client << ": progress, no entry";
  } else if (progress == ledger.progress.end()) {
    ADD_FAILURE() << "client " << client << ": " << k << " entries but no progress row";
  } else {
    EXPECT_EQ(progress->second, std::pair(k, k)) << "client " << client << ": (last_seq, count)";
  }
  const auto events = ledger.event_seqs.find(client);
  const std::vector<uint64_t> no_events;
  EXPECT_EQ(events == ledger.event_seqs.end() ? no_events : events->second, OneTo(k))
      << "client " << client << ": event seqs in id order";
  EXPECT_EQ(ledger.accounts, kAccounts);
  EXPECT_EQ(ledger.balance_total, int64_t{kAccounts} * kInitialBalance);
  EXPECT_GE(ledger.balance_min, 0);
  return k;
}

// Checks what survived the crash against what the clients saw, and returns each
// client's k. No rows may belong to a client that never ran.
std::map<uint32_t, uint64_t> ExpectRecovered(const Ledger& ledger,
                                             const std::vector<ClientLog>& logs) {
  std::map<uint32_t, uint64_t> recovered;
  for (const ClientLog& log : logs) {
    const uint64_t k = ExpectConsistent(ledger, log.client);
    EXPECT_GE(k, log.acked_max) << "client " << log.client
                                << ": an acknowledged append was lost in the crash";
    EXPECT_LE(k, log.sent_max) << "client " << log.client << ": more entries than were sent";
    recovered[log.client] = k;
  }
  for (const auto& [client, seqs] : ledger.entry_seqs) {
    EXPECT_TRUE(recovered.contains(client))
        << "entries of client " << client << ", which never ran";
  }
  EXPECT_EQ(ledger.event_ids.size(), ledger.entries) << "event rows and entry rows differ";
  return recovered;
}

// Appends seq k + 1 for every client on the restarted server, then checks that each
// append succeeded and that its event id is above every event id from before the crash.
void ExpectAppendsContinue(const ServerProcess& server, uint64_t seed,
                           const std::map<uint32_t, uint64_t>& recovered,
                           uint64_t event_id_max_before) {
  ASSERT_OK_AND_ASSIGN(auto greeted, integration::ConnectAndGreet(server));
  for (const auto& [client, k] : recovered) {
    ASSERT_OK_AND_ASSIGN(auto result, integration::CallWs(*greeted.client, client, "append",
                                                          AppendArgs(seed, client, k + 1)));
    EXPECT_EQ(result.outcome.kind, protocol::ReducerOutcome::Kind::kOk)
        << "client " << client << " seq " << k + 1 << ": "
        << integration::Describe(protocol::ServerMessage(result));
  }
  ASSERT_OK_AND_ASSIGN(Ledger after, ReadLedger(server));
  for (const auto& [client, k] : recovered) {
    EXPECT_EQ(ExpectConsistent(after, client), k + 1) << "client " << client;
    const auto id = after.event_ids.find({client, k + 1});
    ASSERT_NE(id, after.event_ids.end()) << "client " << client << ": no event for seq " << k + 1;
    EXPECT_GT(id->second, event_id_max_before)
        << "client " << client << ": an event id from before the crash was handed out again";
  }
}

// ---- One iteration ----

// How long the clients run before the kill: log-uniform in [kKillDelayMin, kKillDelayMax].
std::chrono::milliseconds KillDelay(uint64_t seed) {
  std::mt19937_64 random(seed);
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(random);
  const double ratio = static_cast<double>(kKillDelayMax.count()) / kKillDelayMin.count();
  return std::chrono::milliseconds(
      static_cast<int64_t>(std::llround(kKillDelayMin.count() * std::pow(ratio, u))));
}

// Starts the clients, kills the server once they have run for `delay`, and returns what
// each saw. The clients' errors are checked by the caller.
std::vector<ClientLog> RunUntilKilled(ServerProcess& server, uint64_t seed,
                                      std::chrono::milliseconds delay) {
  std::vector<ClientLog> logs(kClients);
  std::atomic<bool> killing = false;
  std::latch connected(kClients);
  {
    std::vector<std::jthread> threads;
    for (uint32_t i = 0; i < kClients; ++i) {
      logs[i].client = i + 1;
      threads.emplace_back(AppendUntilKilled, std::cref(server), seed, std::cref(killing),
                           std::ref(connected), std::ref(logs[i]));
    }
    connected.wait();
    std::this_thread::sleep_for(delay);
    killing = true;
    const Status killed = server.Kill();
    EXPECT_TRUE(killed.ok()) << killed.message();
  }  // joins the threads: the kill broke their connections
  for (const ClientLog& log : logs) {
    EXPECT_EQ(log.error, "") << "client " << log.client << " before the kill";
  }
  return logs;
}

// One crash and recovery on a fresh server and data directory: run and kill, restart on
// the same directory, check what was recovered, then check that appends continue. Prints
// one line with the kill delay and the acknowledged and recovered counts.
void RunIteration(int index, uint64_t seed, const std::vector<std::string>& server_args) {
  SCOPED_TRACE("iteration " + std::to_string(index) + ", STDB_CRASH_SEED=" + std::to_string(seed));
  ServerProcess::Options options;
  options.module_path = kLedgerModule;
  options.database = kDatabase;
  options.extra_args = server_args;
  ASSERT_OK_AND_ASSIGN(auto server, ServerProcess::Start(std::move(options)));

  const std::chrono::milliseconds delay = KillDelay(seed);
  const std::vector<ClientLog> logs = RunUntilKilled(*server, seed, delay);
  const std::string killed_log = server->Log();
  uint64_t acked = 0;
  uint64_t sent = 0;
  for (const ClientLog& log : logs) {
    acked += log.acked_max;
    sent += log.sent_max;
  }

  const Status restarted = server->StartAgain();
  ASSERT_TRUE(restarted.ok()) << "restart after the kill: " << restarted.message()
                              << "\n--- log of the killed server ---\n"
                              << killed_log;
  ASSERT_OK_AND_ASSIGN(Ledger ledger, ReadLedger(*server));
  std::cout << "iteration " << index << " seed " << seed << ": kill after " << delay.count()
            << " ms, acknowledged " << acked << " (sent " << sent << "), recovered "
            << ledger.entries << std::endl;
  const std::map<uint32_t, uint64_t> recovered = ExpectRecovered(ledger, logs);
  if (!::testing::Test::HasFailure()) {
    ExpectAppendsContinue(*server, seed, recovered, ledger.event_id_max);
  }
  if (::testing::Test::HasFailure()) {
    std::cerr << "--- log of the killed server ---\n" << killed_log << "--- end ---\n";
  }
}

TEST(CrashRecovery, SigkillKeepsEveryAcknowledgedAppendAndNothingTorn) {
  // Proves that after SIGKILL at a random moment the restarted server holds, per client,
  // exactly a prefix of the appends sent that includes every acknowledged one, with all
  // four tables agreeing and sequence values never reused.
  const uint64_t base_seed = BaseSeed();
  const int iterations = Iterations();
  const std::vector<std::string> server_args = ServerArgs();
  std::string args_text;
  for (const auto& arg : server_args) args_text += " " + arg;
  std::cout << "base seed " << base_seed << ", " << iterations
            << " iterations, server flags:" << (args_text.empty() ? " (none)" : args_text)
            << std::endl;
  for (int i = 0; i < iterations; ++i) {
    // Iteration i runs with seed base + i, so STDB_CRASH_SEED=<its seed> with
    // STDB_CRASH_ITERATIONS=1 runs it alone.
    RunIteration(i, base_seed + static_cast<uint64_t>(i), server_args);
    // One failing iteration is enough to read; the others would repeat it.
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace stdb::crash
