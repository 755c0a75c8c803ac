// Backpressure and connection limits against a real server (docs/configuration.md,
// "WebSocket clients"): a subscriber that stops reading is disconnected as too slow while
// the others keep up, v3 batches what has queued for a client into one frame, a client
// that never answers pings is dropped, and an over-size client message closes its
// connection with 1009.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <semaphore>
#include <stop_token>
#include <thread>

#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

using Clock = std::chrono::steady_clock;
using protocol::ReducerOutcome;
using protocol::ServerMessage;

// SO_RCVBUF for clients that stop reading: with the kernel's default (and autotuning)
// a client's socket absorbs far more before the server's writes stall.
constexpr int kSmallReceiveBufferBytes = 16 << 10;
// How long a reading client waits per Receive before checking whether it should stop.
constexpr auto kPollTimeout = std::chrono::milliseconds(250);

// edge_cases' add_item(id: u64, label: String, qty: i32).
Bytes AddItemArgs(uint64_t id, const std::string& label) {
  using sats::AlgebraicType;
  using sats::AlgebraicValue;
  return EncodeArgs({AlgebraicType(sats::TypeKind::kU64), AlgebraicType::String(),
                     AlgebraicType(sats::TypeKind::kI32)},
                    {AlgebraicValue(id), AlgebraicValue(label), AlgebraicValue(int32_t{0})});
}

// Calls add_item over `client` and checks that it committed.
Status AddItem(net::WsClient& client, uint32_t request_id, uint64_t id, const std::string& label) {
  STDB_ASSIGN_OR_RETURN(auto result,
                        CallWs(client, request_id, "add_item", AddItemArgs(id, label)));
  if (result.outcome.kind != ReducerOutcome::Kind::kOk &&
      result.outcome.kind != ReducerOutcome::Kind::kOkEmpty) {
    return Status(ErrorCode::kInternal, "add_item(" + std::to_string(id) +
                                            ") failed: " + Describe(ServerMessage(result)));
  }
  return Status::Ok();
}

// Calls add_large_item over `client`: one item whose label is `bytes` bytes long, from a
// call of a few bytes (so that the call's own size plays no part).
Status AddLargeItem(net::WsClient& client, uint32_t request_id, uint64_t id, uint32_t bytes) {
  using sats::AlgebraicType;
  using sats::AlgebraicValue;
  Bytes args =
      EncodeArgs({AlgebraicType(sats::TypeKind::kU64), AlgebraicType(sats::TypeKind::kU32)},
                 {AlgebraicValue(id), AlgebraicValue(bytes)});
  STDB_ASSIGN_OR_RETURN(auto result, CallWs(client, request_id, "add_large_item", std::move(args)));
  if (result.outcome.kind != ReducerOutcome::Kind::kOk &&
      result.outcome.kind != ReducerOutcome::Kind::kOkEmpty) {
    return Status(ErrorCode::kInternal, "add_large_item(" + std::to_string(id) +
                                            ") failed: " + Describe(ServerMessage(result)));
  }
  return Status::Ok();
}

// The id of the one item row that `message` (a TransactionUpdate) inserts; an error for
// any other message.
Result<uint64_t> InsertedItemId(const ServerMessage& message) {
  const auto* update = std::get_if<protocol::TransactionUpdate>(&message);
  if (update == nullptr || update->query_sets.size() != 1 ||
      update->query_sets[0].tables.size() != 1 ||
      update->query_sets[0].tables[0].table_name != "item" ||
      update->query_sets[0].tables[0].inserts.count() != 1 ||
      update->query_sets[0].tables[0].deletes.count() != 0) {
    return Status(ErrorCode::kInternal, "expected one inserted item row, got " + Describe(message));
  }
  STDB_ASSIGN_OR_RETURN(auto rows,
                        DecodeRows(ItemRowType(), update->query_sets[0].tables[0].inserts));
  return Field(rows.at(0), 0).as<uint64_t>();
}

// True if `status` is WsClient::Receive's timeout, after which the connection is still
// usable; false for a close or a broken connection.
bool IsReceiveTimeout(const Status& status) {
  return status.message().rfind("no message within", 0) == 0;
}

// Why the connection of `client` ended, for failure messages.
std::string Ending(const net::WsClient& client, const Status& status) {
  std::string out = status.message();
  if (auto reason = client.close_reason()) {
    out += " (close code " + std::to_string(reason->first) + ", reason '" + reason->second + "')";
  }
  return out;
}

// Connects as ConnectAndGreet does, with a small socket receive buffer, so that the
// server's writes to this client stall soon after it stops reading.
Result<Connected> ConnectWithSmallWindow(const ServerProcess& server,
                                         const std::vector<std::string>& subprotocols) {
  net::WsClient::Options options;
  options.url = server.SubscribeUrl();
  options.subprotocols = subprotocols;
  options.receive_buffer_bytes = kSmallReceiveBufferBytes;
  Connected out;
  STDB_ASSIGN_OR_RETURN(out.client, net::WsClient::Connect(options));
  STDB_ASSIGN_OR_RETURN(out.hello, ReceiveAs<protocol::InitialConnection>(*out.client));
  return out;
}

// The most a Linux TCP socket's send buffer grows to by itself (tcp_wmem's maximum): a
// bound on what the server can hand to the kernel for a client that does not read.
size_t TcpSendBufferBytesMax() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_wmem");
  size_t min = 0, initial = 0, max = 0;
  if (in >> min >> initial >> max) return max;
  return 4 << 20;  // the kernel's default
}

// The q-quantile (0 < q <= 1) of `samples` by nearest rank. REQUIRES: samples not empty.
int64_t Quantile(std::vector<int64_t> samples, double q) {
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

// A subscriber that reads continuously on its own thread, as a healthy client does,
// recording the id of each item update and when it arrived.
struct Reader {
  std::unique_ptr<net::WsClient> client;
  std::vector<uint64_t> ids;
  std::vector<Clock::time_point> arrivals;
  std::string error;  // why the reader stopped before the last update; empty if it did not
};

// Released once by each reader as it stops.
using StoppedReaders = std::counting_semaphore<64>;

// Reads item updates into `reader` until the one inserting `last_id` arrives, or until
// `stop`, a message that is not an item insert, or the end of the connection (the last
// three set reader.error). Releases `stopped` as it returns.
void ReadUntil(Reader& reader, uint64_t last_id, StoppedReaders& stopped, std::stop_token stop) {
  reader.error = "stopped before the last update arrived";
  while (!stop.stop_requested()) {
    auto message = reader.client->Receive(kPollTimeout);
    if (!message.ok()) {
      if (IsReceiveTimeout(message.status())) continue;
      reader.error = "the connection ended: " + Ending(*reader.client, message.status());
      break;
    }
    const auto arrival = Clock::now();
    auto id = InsertedItemId(*message);
    if (!id.ok()) {
      reader.error = id.status().message();
      break;
    }
    reader.ids.push_back(*id);
    reader.arrivals.push_back(arrival);
    if (*id == last_id) {
      reader.error.clear();
      break;
    }
  }
  stopped.release();
}

// "" if `ids` is 0, 1, ..., count - 1 followed by `last_id`; otherwise where it differs.
std::string CheckSequence(const std::vector<uint64_t>& ids, uint64_t count, uint64_t last_id) {
  for (uint64_t i = 0; i <= count; ++i) {
    const uint64_t want = i < count ? i : last_id;
    if (i >= ids.size()) {
      return "only " + std::to_string(ids.size()) + " updates arrived; the next should insert " +
             std::to_string(want);
    }
    if (ids[i] != want) {
      return "update " + std::to_string(i) + " inserts id " + std::to_string(ids[i]) +
             ", expected " + std::to_string(want);
    }
  }
  if (ids.size() > count + 1) return "updates arrived after the last one";
  return "";
}

TEST(Backpressure, AStalledClientIsDisconnectedAndTheOthersKeepUp) {
  // Proves a subscriber that stops reading is closed with 1008 "client too slow" once its
  // outbox passes --ws-outbox-bytes, while five subscribers that keep reading receive
  // every update, in commit order, and stay connected; the server then still accepts
  // clients. Prints the reading clients' call-to-receipt latency before the stall, while
  // the stalled client's socket fills and while its outbox fills (not asserted: the
  // machine's load decides it).
  constexpr int kReaders = 5;
  constexpr uint32_t kPayloadBytes = 4096;
  // Phase 1: the first calls, which the stalled client still reads (right after each).
  constexpr uint64_t kPhase1Calls = 50;
  // Phase 2 runs until the server closes the stalled client; bounded so that a server
  // that never does fails the test (1 MiB of outbox plus the socket buffers, which Linux
  // lets grow to tcp_wmem's maximum, 4 MiB by default: about 1,300 calls of 4 KiB).
  constexpr uint64_t kCallsMax = 20000;
  constexpr uint64_t kLastId = 1'000'000'000;  // the call after phase 2: every reader stops on it
  // --in-memory: commits do not wait for an fsync, so the thousands of calls take
  // seconds even on a loaded machine. --ws-idle-timeout 0: the stalled client answers no
  // pings, and must be closed by its outbox, not by the idle timer.
  ASSERT_OK_AND_ASSIGN(auto server,
                       ServerProcess::Start({.module_path = kEdgeCasesModule,
                                             .database = "edge",
                                             .extra_args = {"--in-memory", "--ws-outbox-bytes",
                                                            "1048576", "--ws-idle-timeout", "0"}}));
  ASSERT_OK_AND_ASSIGN(auto writer, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto stalled, ConnectWithSmallWindow(*server, {"v3.bsatn.spacetimedb",
                                                                      "v2.bsatn.spacetimedb"}));
  ASSERT_OK(SubscribeAndWait(*stalled.client, 1, 1, {"SELECT * FROM item"}).status());
  std::vector<std::unique_ptr<Reader>> readers;
  for (int i = 0; i < kReaders; ++i) {
    ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(*server));
    ASSERT_OK(SubscribeAndWait(*conn.client, 1, 1, {"SELECT * FROM item"}).status());
    readers.push_back(std::make_unique<Reader>());
    readers.back()->client = std::move(conn.client);
  }
  // Declared after `readers` and `stopped`, so destroyed (stopped and joined) before them
  // on any exit.
  StoppedReaders stopped(0);
  std::vector<std::jthread> threads;
  for (auto& reader : readers) {
    threads.emplace_back(
        [&r = *reader, &stopped](std::stop_token stop) { ReadUntil(r, kLastId, stopped, stop); });
  }

  std::vector<Clock::time_point> sent;  // when the call inserting id i was sent
  for (uint64_t id = 0; id < kPhase1Calls; ++id) {
    sent.push_back(Clock::now());
    ASSERT_OK(AddLargeItem(*writer.client, static_cast<uint32_t>(id + 1), id, kPayloadBytes));
    ASSERT_OK_AND_ASSIGN(auto message, stalled.client->Receive(kReceiveTimeout));
    ASSERT_OK_AND_ASSIGN(auto got, InsertedItemId(message));
    ASSERT_EQ(got, id);
  }
  // Phase 2: the stalled client reads nothing more. Its socket buffers fill, then its
  // outbox, until the server closes it (and says so in its log).
  uint64_t calls = kPhase1Calls;
  bool closed = false;
  while (!closed) {
    ASSERT_LT(calls, kCallsMax) << "the server never closed the client that stopped reading";
    sent.push_back(Clock::now());
    ASSERT_OK(AddLargeItem(*writer.client, static_cast<uint32_t>(calls + 1), calls, kPayloadBytes));
    ++calls;
    closed = server->Log().find("client too slow") != std::string::npos;
  }

  // The close frame can only follow the frame the server is stuck writing, so the
  // stalled client reads now (the server gives it kCloseGraceSeconds before dropping the
  // socket): a gap-free run of phase 2's updates, then the close.
  uint64_t next = kPhase1Calls;
  Status ended;
  while (true) {
    auto message = stalled.client->Receive(kReceiveTimeout);
    if (!message.ok()) {
      ended = message.status();
      break;
    }
    ASSERT_OK_AND_ASSIGN(auto id, InsertedItemId(*message));
    ASSERT_EQ(id, next) << "the stalled client's updates have a gap";
    ++next;
  }
  const auto reason = stalled.client->close_reason();
  ASSERT_TRUE(reason.has_value()) << "no close frame: " << ended.message();
  EXPECT_EQ(reason->first, 1008) << reason->second;
  EXPECT_NE(reason->second.find("too slow"), std::string::npos) << reason->second;
  // The metrics count the disconnect and the messages thrown away with it.
  ASSERT_OK_AND_ASSIGN(auto metrics, Http("GET", server->HttpUrl("/v1/metrics")));
  EXPECT_NE(metrics.body.find("\nstdb_slow_client_disconnects_total 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_EQ(metrics.body.find("\nstdb_outbox_dropped_messages_total 0\n"), std::string::npos)
      << metrics.body;

  // Every reading client got every update in commit order and is still connected.
  ASSERT_OK(AddItem(*writer.client, static_cast<uint32_t>(calls + 1), kLastId, "last"));
  const auto readers_deadline = Clock::now() + kReceiveTimeout;
  int readers_stopped = 0;
  while (readers_stopped < kReaders && stopped.try_acquire_until(readers_deadline)) {
    ++readers_stopped;
  }
  for (auto& thread : threads) {
    thread.request_stop();  // a reader still waiting has lost an update: it fails below
    thread.join();
  }
  // Small queries from here on: a single message larger than --ws-outbox-bytes (all
  // rows, about 5 MiB) is refused even by an empty outbox, closing the connection as
  // "client too slow: 0 messages (0 bytes) waiting".
  const std::string last_row = "SELECT * FROM item WHERE id = " + std::to_string(kLastId);
  for (int i = 0; i < kReaders; ++i) {
    SCOPED_TRACE("reader " + std::to_string(i));
    Reader& reader = *readers[i];
    EXPECT_EQ(reader.error, "");
    EXPECT_EQ(CheckSequence(reader.ids, calls, kLastId), "");
    const Status barrier = ExpectNothingPending(*reader.client, 2, last_row);
    EXPECT_TRUE(barrier.ok()) << barrier.message();
  }
  // And a new client is served.
  ASSERT_OK_AND_ASSIGN(auto newcomer, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto applied, SubscribeAndWait(*newcomer.client, 1, 1, {last_row}));
  EXPECT_EQ(applied.rows.tables.at(0).rows.count(), 1u);
  ASSERT_OK(AddItem(*newcomer.client, 2, kLastId + 1, "newcomer"));
  if (HasFailure()) return;

  // Call-to-receipt latency of the reading clients in three phases, each a fixed range
  // of calls: 1, every client reads; 2, the stalled client's socket buffers fill (the
  // updates it received after it stopped reading, ids below `next`); 3, its outbox fills
  // (the updates the close dropped, which include the call or two made between the
  // server's decision and its log line).
  const uint64_t bounds[] = {0, kPhase1Calls, next, calls};
  const char* names[] = {"every client reading", "one client stalled, its socket filling",
                         "one client stalled, its outbox filling until closed"};
  std::cout << "[ latency  ] call-to-receipt over " << kReaders << " reading clients, "
            << kPayloadBytes << "-byte rows\n";
  for (int phase = 0; phase < 3; ++phase) {
    std::vector<int64_t> us;
    for (const auto& reader : readers) {
      for (uint64_t i = bounds[phase]; i < bounds[phase + 1]; ++i) {
        us.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(reader->arrivals[i] - sent[i])
                .count());
      }
    }
    if (us.empty()) continue;
    const int64_t p50 = Quantile(us, 0.5), p99 = Quantile(us, 0.99);
    const std::string key = "phase" + std::to_string(phase + 1);
    RecordProperty(key + "_calls", static_cast<int>(bounds[phase + 1] - bounds[phase]));
    RecordProperty(key + "_p50_us", static_cast<int>(p50));
    RecordProperty(key + "_p99_us", static_cast<int>(p99));
    std::cout << "[ latency  ] phase " << phase + 1 << " (" << bounds[phase + 1] - bounds[phase]
              << " calls, " << names[phase] << "): p50 " << p50 << " us, p99 " << p99 << " us\n";
  }
}

TEST(Backpressure, V3BatchesQueuedMessagesIntoOneFrame) {
  // Proves that updates which queue on the server while a client is not reading all
  // reach it afterwards, in commit order: a v3 client gets them in fewer frames than
  // messages (several per frame), a v2 client in exactly one frame each.
  constexpr uint32_t kPayloadBytes = 16 << 10;
  // --in-memory: commits do not wait for an fsync. --ws-idle-timeout 0: the clients that
  // do not read answer no pings meanwhile.
  ASSERT_OK_AND_ASSIGN(
      auto server, ServerProcess::Start({.module_path = kEdgeCasesModule,
                                         .database = "edge",
                                         .extra_args = {"--in-memory", "--ws-idle-timeout", "0"}}));
  ASSERT_OK_AND_ASSIGN(auto writer, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto v3, ConnectWithSmallWindow(*server, kV3Only));
  ASSERT_OK_AND_ASSIGN(auto v2, ConnectWithSmallWindow(*server, kV2Only));
  ASSERT_EQ(v3.client->protocol(), "v3.bsatn.spacetimedb");
  ASSERT_EQ(v2.client->protocol(), "v2.bsatn.spacetimedb");
  ASSERT_OK(SubscribeAndWait(*v3.client, 1, 1, {"SELECT * FROM item"}).status());
  ASSERT_OK(SubscribeAndWait(*v2.client, 1, 1, {"SELECT * FROM item"}).status());

  // More than both socket buffers can hold, by at least 1 MiB: the rest must queue in
  // the server's outbox while the clients do not read.
  const size_t bytes = TcpSendBufferBytesMax() + 2 * kSmallReceiveBufferBytes + (1 << 20);
  const uint64_t calls = bytes / kPayloadBytes + 1;
  for (uint64_t id = 0; id < calls; ++id) {
    ASSERT_OK(AddLargeItem(*writer.client, static_cast<uint32_t>(id + 1), id, kPayloadBytes));
  }

  size_t frames[2] = {0, 0};
  Connected* clients[2] = {&v3, &v2};
  for (int c = 0; c < 2; ++c) {
    net::WsClient& client = *clients[c]->client;
    SCOPED_TRACE(client.protocol());
    const size_t frames_before = client.frames_received();
    for (uint64_t id = 0; id < calls; ++id) {
      auto message = client.Receive(kReceiveTimeout);
      ASSERT_TRUE(message.ok()) << "update " << id << " of " << calls
                                << " did not arrive: " << Ending(client, message.status());
      ASSERT_OK_AND_ASSIGN(auto got, InsertedItemId(*message));
      ASSERT_EQ(got, id);
    }
    frames[c] = client.frames_received() - frames_before;
    ASSERT_OK(ExpectNothingPending(client, 2, "SELECT * FROM item WHERE id = 0"));
  }
  EXPECT_LT(frames[0], calls) << "v3 sent one frame per queued message";
  EXPECT_EQ(frames[1], calls) << "v2 must send exactly one message per frame";
  RecordProperty("messages", static_cast<int>(calls));
  RecordProperty("v3_frames", static_cast<int>(frames[0]));
  RecordProperty("v2_frames", static_cast<int>(frames[1]));
  std::cout << "[ batching ] " << calls << " updates of " << kPayloadBytes << " bytes: v3 in "
            << frames[0] << " frames, v2 in " << frames[1] << " frames\n";
}

TEST(Backpressure, OneMessageLargerThanTheOutboxBoundReachesAClientThatIsNotBehind) {
  // Proves the outbox bound is on how far a client falls behind, not on the size of what
  // it asks for: with --ws-outbox-bytes 65536, a subscription whose initial rows are
  // ~100 KB and a transaction of that size both arrive at a client with nothing queued.
  ASSERT_OK_AND_ASSIGN(
      auto server, ServerProcess::Start({.module_path = kEdgeCasesModule,
                                         .database = "edge",
                                         .extra_args = {"--in-memory", "--ws-outbox-bytes", "65536"}}));
  ASSERT_OK_AND_ASSIGN(auto writer, ConnectAndGreet(*server));
  ASSERT_OK(AddLargeItem(*writer.client, 1, 1, 100000));
  ASSERT_OK_AND_ASSIGN(auto reader, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto applied, SubscribeAndWait(*reader.client, 1, 1, {"SELECT * FROM item"}));
  ASSERT_EQ(applied.rows.tables.size(), 1u);
  EXPECT_EQ(applied.rows.tables[0].rows.count(), 1u);
  ASSERT_OK(AddLargeItem(*writer.client, 2, 2, 100000));
  ASSERT_OK_AND_ASSIGN(auto update, ReceiveAs<protocol::TransactionUpdate>(*reader.client));
  ASSERT_OK_AND_ASSIGN(auto id, InsertedItemId(update));
  EXPECT_EQ(id, 2u);
  EXPECT_EQ(reader.client->close_reason(), std::nullopt);
}

TEST(Backpressure, AnIdleClientThatNeverAnswersPingsIsDropped) {
  // Proves --ws-idle-timeout: a client that never reads, so never answers the server's
  // pings, is dropped, while a client that keeps reading (and so answers them) stays
  // connected for several timeouts and still receives updates afterwards.
  constexpr auto kIdleTimeout = std::chrono::seconds(2);
  ASSERT_OK_AND_ASSIGN(
      auto server, ServerProcess::Start({.module_path = kEdgeCasesModule,
                                         .database = "edge",
                                         .extra_args = {"--ws-idle-timeout",
                                                        std::to_string(kIdleTimeout.count())}}));
  ASSERT_OK_AND_ASSIGN(auto idle, ConnectWs(*server));
  ASSERT_OK_AND_ASSIGN(auto active, ConnectAndGreet(*server));
  ASSERT_OK(SubscribeAndWait(*active.client, 1, 1, {"SELECT * FROM item"}).status());

  // Nothing is sent to the active client meanwhile: only pings, which Receive answers.
  const auto until = Clock::now() + 3 * kIdleTimeout;
  while (Clock::now() < until) {
    auto message = active.client->Receive(kPollTimeout);
    ASSERT_FALSE(message.ok()) << "unexpected " << Describe(*message);
    ASSERT_TRUE(IsReceiveTimeout(message.status()))
        << "the reading client was dropped: " << Ending(*active.client, message.status());
  }
  ASSERT_OK_AND_ASSIGN(auto call, CallHttp(*server, "add_item", "[7, \"after the wait\", 1]"));
  ASSERT_EQ(call.status, 200) << call.body;
  ASSERT_OK_AND_ASSIGN(auto update, ReceiveAs<protocol::TransactionUpdate>(*active.client));
  ASSERT_OK_AND_ASSIGN(auto id, InsertedItemId(update));
  EXPECT_EQ(id, 7u);

  // The idle client finds what was sent before the drop (InitialConnection), then the
  // end of the connection: not a timeout.
  Status ended;
  for (int i = 0; i < 4 && ended.ok(); ++i) {
    auto message = idle->Receive(kReceiveTimeout);
    if (!message.ok()) ended = message.status();
  }
  ASSERT_FALSE(ended.ok()) << "the idle client kept receiving messages";
  EXPECT_FALSE(IsReceiveTimeout(ended)) << "the idle client was not dropped: " << ended.message();
  EXPECT_NE(server->Log().find("nothing received for 2 s"), std::string::npos)
      << "the server did not log why it dropped the idle client";
  RecordProperty("idle_client_ending", Ending(*idle, ended));
  std::cout << "[ idle     ] the idle client's connection ended: " << Ending(*idle, ended) << "\n";
}

TEST(Backpressure, AnOversizedClientMessageClosesWith1009) {
  // Proves --ws-max-message-bytes: a message under the limit is served, a larger one
  // closes its connection with code 1009 without running, and another client on the
  // same server is unaffected.
  ASSERT_OK_AND_ASSIGN(auto server,
                       ServerProcess::Start({.module_path = kEdgeCasesModule,
                                             .database = "edge",
                                             .extra_args = {"--ws-max-message-bytes", "1024"}}));
  ASSERT_OK_AND_ASSIGN(auto bystander, ConnectAndGreet(*server));
  ASSERT_OK(SubscribeAndWait(*bystander.client, 1, 1, {"SELECT * FROM item"}).status());
  ASSERT_OK_AND_ASSIGN(auto offender, ConnectAndGreet(*server));

  // The positive control: a message just under the limit runs.
  ASSERT_OK(AddItem(*offender.client, 1, 1, std::string(900, 's')));
  ASSERT_OK_AND_ASSIGN(auto update, ReceiveAs<protocol::TransactionUpdate>(*bystander.client));
  ASSERT_OK_AND_ASSIGN(auto id, InsertedItemId(update));
  EXPECT_EQ(id, 1u);

  Bytes big;
  protocol::EncodeClientMessage(
      protocol::CallReducer{2, 0, "add_item", AddItemArgs(2, std::string(2048, 'b'))}, big);
  ASSERT_GT(big.size(), 2048u);
  ASSERT_OK(offender.client->SendRaw(big));
  ASSERT_OK_AND_ASSIGN(auto close, ReceiveClose(*offender.client));
  EXPECT_EQ(close.first, 1009) << close.second;

  // Had the large call run, its update would reach the bystander before this result.
  ASSERT_OK_AND_ASSIGN(auto result,
                       CallWs(*bystander.client, 2, "add_item", AddItemArgs(3, "still up")));
  ASSERT_EQ(result.outcome.kind, ReducerOutcome::Kind::kOk) << Describe(ServerMessage(result));
  ASSERT_OK_AND_ASSIGN(auto own, InsertedItemId(ServerMessage(result.outcome.update)));
  EXPECT_EQ(own, 3u);
  ASSERT_OK_AND_ASSIGN(auto newcomer, ConnectAndGreet(*server));
  ASSERT_OK_AND_ASSIGN(auto applied,
                       SubscribeAndWait(*newcomer.client, 1, 1, {"SELECT * FROM item"}));
  EXPECT_EQ(applied.rows.tables.at(0).rows.count(), 2u);
}

}  // namespace
}  // namespace stdb::integration
