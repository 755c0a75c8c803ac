// Tests of Database with the quickstart-chat module: the client lifecycle, subscriptions
// and their updates, reducer calls over WebSocket and HTTP, SQL, module updates, and the
// bound on queued work. Results are awaited through completions and the recording
// outbox (db_test_util.h), never by sleeping.
#include "db/database.h"

#include <gtest/gtest.h>

#include <future>

#include "db/db_test_util.h"
#include "sats/bsatn.h"

namespace stdb::db {
namespace {

using protocol::ServerMessage;
using sats::AlgebraicValue;
using testing::Await;
using testing::Barrier;
using testing::CallHttp;
using testing::FakeOutbox;
using testing::RunSql;
using testing::StringArg;

constexpr int64_t kNow = 1700000000000000;

U256 Id(uint64_t n) { return U256{{n, 0, 0, 0x5eed}}; }

std::unique_ptr<module::ModuleHost> LoadModule(const char* path) {
  auto host = module::ModuleHost::Load(path);
  EXPECT_TRUE(host.ok()) << host.status().ToString();
  return host.ok() ? std::move(host).value() : nullptr;
}

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(QUICKSTART_CHAT_MODULE); }

  void Open(const char* module_path) {
    auto host = LoadModule(module_path);
    ASSERT_NE(host, nullptr);
    auto db =
        Database::Create(Database::Options{"chat", Id(1000), kOwner, &clock_}, std::move(host));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  // Connects client `id` (identity Id(id)) and waits for its InitialConnection.
  std::shared_ptr<FakeOutbox> Connect(ClientId id) {
    auto outbox = std::make_shared<FakeOutbox>();
    EXPECT_TRUE(
        db_->Connect(id, Caller{Id(id), u128{id} << 64 | 1}, "token-" + std::to_string(id), outbox)
            .ok());
    outbox->WaitFor(1);
    return outbox;
  }

  // Subscribes client `id` to `queries` as set `set` and waits for the reply.
  ServerMessage Subscribe(ClientId id, FakeOutbox& outbox, uint32_t set,
                          std::vector<std::string> queries) {
    const size_t before = outbox.count();
    EXPECT_TRUE(
        db_->HandleMessage(id, protocol::Subscribe{100 + set, set, std::move(queries)}).ok());
    auto all = outbox.WaitFor(before + 1);
    return all.size() > before ? all[before] : ServerMessage{};
  }

  Status SendMessage(ClientId id, uint32_t request_id, std::string_view text) {
    return db_->HandleMessage(
        id, protocol::CallReducer{request_id, 0, "send_message", StringArg(text)});
  }

  // The decoded rows of the user table, via SQL.
  std::vector<AlgebraicValue> Users() {
    auto r = RunSql(*db_, Caller{kOwner, 0}, "SELECT * FROM user");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<AlgebraicValue> out;
    if (!r.ok()) return out;
    for (const Bytes& row : (*r)[0].rows) {
      auto v = sats::DecodeBsatnExact((*r)[0].schema, row);
      EXPECT_TRUE(v.ok());
      if (v.ok()) out.push_back(std::move(v).value());
    }
    return out;
  }

  static AlgebraicValue UserRow(uint64_t id, std::optional<std::string> name, bool online) {
    return AlgebraicValue::Product({AlgebraicValue::Identity(Id(id)),
                                    name ? AlgebraicValue::Some(*name) : AlgebraicValue::None(),
                                    online});
  }

  // The message-table rows inserted by a query set update.
  static std::vector<Bytes> Inserted(const protocol::TransactionUpdate& tu,
                                     std::string_view table) {
    std::vector<Bytes> out;
    for (const auto& qs : tu.query_sets) {
      for (const auto& t : qs.tables) {
        if (t.table_name != table) continue;
        for (ByteView r : t.inserts.Rows()) out.emplace_back(r.begin(), r.end());
      }
    }
    return out;
  }

  static Bytes MessageRow(uint64_t sender, int64_t micros, std::string_view text) {
    Bytes out;
    ByteWriter w(out);
    w.Fixed(Id(sender).limbs);
    w.I64(micros);
    w.String(text);
    return out;
  }

  static inline const U256 kOwner = U256{{1, 2, 3, 4}};
  ManualClock clock_{kNow};
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, ConnectRunsClientConnectedThenSendsInitialConnectionFirst) {
  // Proves Connect runs client_connected (the user row is online) and the first message
  // is InitialConnection with the caller's identity, connection id and token.
  auto outbox = std::make_shared<FakeOutbox>();
  ASSERT_TRUE(db_->Connect(7, Caller{Id(7), 0x77}, "tok", outbox).ok());
  auto hello = outbox->Nth<protocol::InitialConnection>(0);
  EXPECT_EQ(hello.identity, Id(7));
  EXPECT_EQ(hello.connection_id, u128{0x77});
  EXPECT_EQ(hello.token, "tok");
  EXPECT_EQ(Users(), (std::vector<AlgebraicValue>{UserRow(7, std::nullopt, true)}));
  EXPECT_EQ(db_->name(), "chat");
  EXPECT_EQ(db_->schema()->tables.size(), 2u);
}

TEST_F(DatabaseTest, SubscribeRepliesWithTheCurrentRows) {
  // Proves Subscribe is answered with SubscribeApplied echoing the ids and carrying the
  // rows the query selects now.
  auto a = Connect(1);
  auto b = Connect(2);
  auto reply = Subscribe(1, *a, 3, {"SELECT * FROM user WHERE online = true"});
  auto* applied = std::get_if<protocol::SubscribeApplied>(&reply);
  ASSERT_NE(applied, nullptr) << "variant " << reply.index();
  EXPECT_EQ(applied->request_id, 103u);
  EXPECT_EQ(applied->query_set_id, 3u);
  ASSERT_EQ(applied->rows.tables.size(), 1u);
  EXPECT_EQ(applied->rows.tables[0].table, "user");
  EXPECT_EQ(applied->rows.tables[0].rows.count(), 2u);
}

TEST_F(DatabaseTest, AReducerCallUpdatesTheCallerAndOtherSubscribers) {
  // Proves the caller gets ReducerResult Ok carrying its own subscription changes and no
  // separate TransactionUpdate; another subscriber gets one TransactionUpdate; a client
  // whose queries are unaffected gets nothing.
  auto a = Connect(1);
  auto b = Connect(2);
  auto c = Connect(3);
  Subscribe(1, *a, 0, {"SELECT * FROM message"});
  Subscribe(2, *b, 0, {"SELECT * FROM message"});
  Subscribe(3, *c, 0, {"SELECT * FROM user"});
  clock_.Set(kNow + 55);
  ASSERT_TRUE(SendMessage(1, 42, "hi all").ok());
  auto result = a->Nth<protocol::ReducerResult>(2);
  EXPECT_EQ(result.request_id, 42u);
  EXPECT_EQ(result.timestamp_micros, kNow + 55);
  ASSERT_EQ(result.outcome.kind, protocol::ReducerOutcome::Kind::kOk);
  const Bytes row = MessageRow(1, kNow + 55, "hi all");
  EXPECT_EQ(Inserted(result.outcome.update, "message"), std::vector<Bytes>{row});
  auto update = b->Nth<protocol::TransactionUpdate>(2);
  ASSERT_EQ(update.query_sets.size(), 1u);
  EXPECT_EQ(update.query_sets[0].query_set_id, 0u);
  EXPECT_EQ(Inserted(update, "message"), std::vector<Bytes>{row});
  Barrier(*db_);
  EXPECT_EQ(a->count(), 3u);  // InitialConnection, SubscribeApplied, ReducerResult
  EXPECT_EQ(b->count(), 3u);
  EXPECT_EQ(c->count(), 2u);
}

TEST_F(DatabaseTest, TheCallersResultLeavesAheadOfTheFanOutOfItsTransaction) {
  // Proves the caller's ReducerResult is handed to its connection before the other
  // subscribers' updates of the same transaction, so a caller's latency does not grow
  // with the number of subscribers (each client still gets its own messages in order).
  auto a = Connect(1);
  std::vector<std::shared_ptr<FakeOutbox>> others;
  for (ClientId id = 2; id < 12; ++id) {
    others.push_back(Connect(id));
    Subscribe(id, *others.back(), 0, {"SELECT * FROM message"});
  }
  Subscribe(1, *a, 0, {"SELECT * FROM message"});
  ASSERT_TRUE(SendMessage(1, 42, "first").ok());
  ASSERT_TRUE(SendMessage(1, 43, "second").ok());
  EXPECT_EQ(a->Nth<protocol::ReducerResult>(2).request_id, 42u);
  EXPECT_EQ(a->Nth<protocol::ReducerResult>(3).request_id, 43u);
  for (const auto& o : others) {
    EXPECT_EQ(Inserted(o->Nth<protocol::TransactionUpdate>(2), "message").size(), 1u);
    EXPECT_EQ(Inserted(o->Nth<protocol::TransactionUpdate>(3), "message").size(), 1u);
    EXPECT_LT(a->arrival(2), o->arrival(2));
    EXPECT_LT(a->arrival(3), o->arrival(3));
    EXPECT_LT(o->arrival(2), a->arrival(3));  // transactions still leave in commit order
  }
}

TEST_F(DatabaseTest, AOneOffDmlQuerysOwnUpdateArrivesBeforeItsResult) {
  // Proves a reply that reflects a transaction never overtakes that transaction's update
  // to the same client: the owner, subscribed to `message`, deletes the rows with a
  // one-off DELETE and gets the TransactionUpdate first, then the OneOffQueryResult.
  auto owner = std::make_shared<FakeOutbox>();
  ASSERT_TRUE(db_->Connect(50, Caller{kOwner, u128{50} << 64 | 1}, "tok", owner).ok());
  owner->WaitFor(1);
  auto a = Connect(1);
  ASSERT_TRUE(SendMessage(1, 1, "going away").ok());
  a->WaitFor(2);
  Subscribe(50, *owner, 0, {"SELECT * FROM message"});
  ASSERT_TRUE(db_->HandleMessage(50, protocol::OneOffQuery{7, "DELETE FROM message"}).ok());
  auto update = owner->Nth<protocol::TransactionUpdate>(2);
  ASSERT_EQ(update.query_sets.size(), 1u);
  EXPECT_EQ(update.query_sets[0].tables.at(0).deletes.count(), 1u);
  EXPECT_EQ(owner->Nth<protocol::OneOffQueryResult>(3).request_id, 7u);
}

TEST_F(DatabaseTest, AFailedReducerRepliesErrAndUpdatesNobody) {
  // Proves a reducer error reaches only the caller, as ReducerResult Err with the
  // module's message, and its transaction is rolled back.
  auto a = Connect(1);
  auto b = Connect(2);
  Subscribe(1, *a, 0, {"SELECT * FROM message", "SELECT * FROM user"});
  Subscribe(2, *b, 0, {"SELECT * FROM message", "SELECT * FROM user"});
  ASSERT_TRUE(SendMessage(1, 9, "").ok());
  auto result = a->Nth<protocol::ReducerResult>(2);
  EXPECT_EQ(result.request_id, 9u);
  EXPECT_EQ(result.outcome.kind, protocol::ReducerOutcome::Kind::kErr);
  EXPECT_EQ(result.outcome.message, "Messages must not be empty");
  ASSERT_TRUE(db_->HandleMessage(1, protocol::CallReducer{10, 0, "set_name", StringArg("")}).ok());
  auto named = a->Nth<protocol::ReducerResult>(3);
  EXPECT_EQ(named.outcome.kind, protocol::ReducerOutcome::Kind::kErr);
  EXPECT_EQ(named.outcome.message, "Names must not be empty");
  Barrier(*db_);
  EXPECT_EQ(b->count(), 2u);
  auto rows = RunSql(*db_, Caller{kOwner, 0}, "SELECT * FROM message");
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE((*rows)[0].rows.empty());
}

TEST_F(DatabaseTest, CallsThatCannotRunAreInternalErrors) {
  // Proves unknown reducers, lifecycle reducers and malformed arguments are answered
  // with ReducerResult InternalError saying why.
  auto a = Connect(1);
  ASSERT_TRUE(db_->HandleMessage(1, protocol::CallReducer{1, 0, "nope", {}}).ok());
  ASSERT_TRUE(db_->HandleMessage(1, protocol::CallReducer{2, 0, "init", {}}).ok());
  ASSERT_TRUE(db_->HandleMessage(1, protocol::CallReducer{3, 0, "send_message", {1, 2}}).ok());
  auto all = a->WaitFor(4);
  ASSERT_EQ(all.size(), 4u);
  const auto& unknown = std::get<protocol::ReducerResult>(all[1]);
  EXPECT_EQ(unknown.outcome.kind, protocol::ReducerOutcome::Kind::kInternalError);
  EXPECT_EQ(unknown.outcome.message, "no such reducer 'nope'");
  const auto& lifecycle = std::get<protocol::ReducerResult>(all[2]);
  EXPECT_EQ(lifecycle.outcome.kind, protocol::ReducerOutcome::Kind::kInternalError);
  EXPECT_EQ(lifecycle.outcome.message, "lifecycle reducer 'init' cannot be called directly");
  const auto& bad_args = std::get<protocol::ReducerResult>(all[3]);
  EXPECT_EQ(bad_args.request_id, 3u);
  EXPECT_EQ(bad_args.outcome.kind, protocol::ReducerOutcome::Kind::kInternalError);
  EXPECT_NE(bad_args.outcome.message.find("invalid arguments for reducer 'send_message'"),
            std::string::npos);
}

TEST_F(DatabaseTest, DisconnectRunsClientDisconnectedAndDropsSubscriptions) {
  // Proves Disconnect marks the user offline (seen by other subscribers), forgets the
  // client's subscriptions, and ignores later messages from it.
  auto a = Connect(1);
  auto b = Connect(2);
  Subscribe(1, *a, 0, {"SELECT * FROM message"});
  Subscribe(2, *b, 0, {"SELECT * FROM user"});
  db_->Disconnect(1);
  auto update = b->Nth<protocol::TransactionUpdate>(2);
  ASSERT_EQ(update.query_sets.size(), 1u);
  ASSERT_EQ(update.query_sets[0].tables.size(), 1u);
  const auto& t = update.query_sets[0].tables[0];
  EXPECT_EQ(t.table_name, "user");
  ASSERT_EQ(t.deletes.count(), 1u);
  ASSERT_EQ(t.inserts.count(), 1u);
  const auto& row_type = db_->schema()->tables[0].row_type;
  EXPECT_EQ(*sats::DecodeBsatnExact(row_type, t.inserts.Rows()[0]),
            UserRow(1, std::nullopt, false));
  EXPECT_EQ(*sats::DecodeBsatnExact(row_type, t.deletes.Rows()[0]), UserRow(1, std::nullopt, true));
  ASSERT_TRUE(SendMessage(1, 5, "ghost").ok());  // dropped: the client is gone
  ASSERT_TRUE(CallHttp(*db_, Caller{Id(2), 0}, "send_message", StringArg("after")).ok());
  Barrier(*db_);
  EXPECT_EQ(a->count(), 2u);
  db_->Disconnect(1);   // twice: harmless
  db_->Disconnect(99);  // never connected: harmless
  Barrier(*db_);
  EXPECT_EQ(Users().size(), 2u);
}

TEST_F(DatabaseTest, HttpReducerCallsCompleteWithTheirStatus) {
  // Proves CallReducer's completion reports OK, the reducer's error, or why the call
  // could not run, and that its changes reach WebSocket subscribers.
  auto a = Connect(1);
  Subscribe(1, *a, 0, {"SELECT * FROM message"});
  EXPECT_TRUE(CallHttp(*db_, Caller{Id(9), 0}, "send_message", StringArg("via http")).ok());
  auto update = a->Nth<protocol::TransactionUpdate>(2);
  EXPECT_EQ(Inserted(update, "message"), std::vector<Bytes>{MessageRow(9, kNow, "via http")});
  Status err = CallHttp(*db_, Caller{Id(9), 0}, "send_message", StringArg(""));
  EXPECT_EQ(err.code(), ErrorCode::kReducerError);
  EXPECT_EQ(err.message(), "Messages must not be empty");
  Status unknown = CallHttp(*db_, Caller{Id(9), 0}, "nope", {});
  EXPECT_EQ(unknown.code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown.message(), "no such reducer 'nope' in database 'chat'");
  Status lifecycle = CallHttp(*db_, Caller{Id(9), 0}, "client_connected", {});
  EXPECT_EQ(lifecycle.code(), ErrorCode::kPermissionDenied);
  Status bad_args = CallHttp(*db_, Caller{Id(9), 0}, "set_name", {0xff});
  EXPECT_EQ(bad_args.code(), ErrorCode::kInvalidArgument);
}

TEST_F(DatabaseTest, SqlRunsEveryStatementOrFailsAsAWhole) {
  // Proves /sql runs ';'-separated statements in order with their result schemas, and
  // any bad statement fails the request with its error.
  Connect(1);
  Connect(2);
  ASSERT_TRUE(CallHttp(*db_, Caller{Id(1), 0}, "set_name", StringArg("ann")).ok());
  auto r =
      RunSql(*db_, Caller{Id(5), 0},
             "SELECT * FROM user; SELECT online AS here FROM user WHERE online = true LIMIT 1;");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].rows.size(), 2u);
  EXPECT_EQ((*r)[1].schema,
            sats::AlgebraicType::Product({sats::Element{"here", sats::AlgebraicType::Bool()}}));
  EXPECT_EQ((*r)[1].rows, std::vector<Bytes>{Bytes{1}});
  auto bad = RunSql(*db_, Caller{Id(5), 0}, "SELECT * FROM user; SELECT * FROM nope");
  EXPECT_EQ(bad.status().code(), ErrorCode::kNotFound);
  auto syntax = RunSql(*db_, Caller{Id(5), 0}, "SELECT * FROM user ORDER BY online");
  EXPECT_EQ(syntax.status().code(), ErrorCode::kUnsupported);
  auto empty = RunSql(*db_, Caller{Id(5), 0}, " ; -- nothing");
  EXPECT_EQ(empty.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(DatabaseTest, OwnerDmlCommitsTransactionsThatSubscribersSee) {
  // Proves the owner's INSERT / UPDATE / DELETE through /sql each commit as a transaction
  // that reaches subscribers as a TransactionUpdate and report rows_affected, and that
  // anyone else is refused with a message saying why.
  auto a = Connect(1);
  Subscribe(1, *a, 0, {"SELECT * FROM message"});
  const std::string sender = "0x5eed" + std::string(47, '0') + "1";  // Id(1)
  auto ins =
      RunSql(*db_, Caller{kOwner, 0}, "INSERT INTO message VALUES (" + sender + ", 7, 'from sql')");
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  EXPECT_EQ((*ins)[0].rows_affected, 1u);
  EXPECT_TRUE((*ins)[0].rows.empty());
  auto inserted = a->Nth<protocol::TransactionUpdate>(2);
  EXPECT_EQ(Inserted(inserted, "message"), std::vector<Bytes>{MessageRow(1, 7, "from sql")});
  auto up = RunSql(*db_, Caller{kOwner, 0}, "UPDATE message SET text = 'edited' WHERE sent = 7");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ((*up)[0].rows_affected, 1u);
  auto updated = a->Nth<protocol::TransactionUpdate>(3);
  EXPECT_EQ(Inserted(updated, "message"), std::vector<Bytes>{MessageRow(1, 7, "edited")});
  auto denied = RunSql(*db_, Caller{Id(5), 0}, "DELETE FROM message");
  EXPECT_EQ(denied.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "only the database owner may modify tables with SQL");
  auto del = RunSql(*db_, Caller{kOwner, 0}, "DELETE FROM message; SELECT * FROM message");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ((*del)[0].rows_affected, 1u);
  EXPECT_TRUE((*del)[1].rows.empty());
  a->Nth<protocol::TransactionUpdate>(4);
  Barrier(*db_);
  EXPECT_EQ(a->count(), 5u);  // InitialConnection, SubscribeApplied, three updates
}

TEST_F(DatabaseTest, OneOffQueriesUnsubscribeAndProceduresAreAnswered) {
  // Proves OneOffQuery gets OneOffQueryResult (rows or error), Unsubscribe gets
  // UnsubscribeApplied with dropped rows when asked or SubscriptionError for an unknown
  // set, a duplicate set id is a SubscriptionError, and CallProcedure is refused.
  auto a = Connect(1);
  ASSERT_TRUE(db_->HandleMessage(1, protocol::OneOffQuery{1, "SELECT * FROM user"}).ok());
  auto q = a->Nth<protocol::OneOffQueryResult>(1);
  EXPECT_EQ(q.request_id, 1u);
  ASSERT_TRUE(q.ok);
  ASSERT_EQ(q.rows.tables.size(), 1u);
  EXPECT_EQ(q.rows.tables[0].rows.count(), 1u);
  ASSERT_TRUE(db_->HandleMessage(1, protocol::OneOffQuery{2, "SELECT * FROM nope"}).ok());
  auto q_err = a->Nth<protocol::OneOffQueryResult>(2);
  EXPECT_FALSE(q_err.ok);
  EXPECT_EQ(q_err.error, "unknown table 'nope'");

  Subscribe(1, *a, 4, {"SELECT * FROM user"});
  auto dup = Subscribe(1, *a, 4, {"SELECT * FROM message"});
  ASSERT_TRUE(std::holds_alternative<protocol::SubscriptionError>(dup));
  EXPECT_EQ(std::get<protocol::SubscriptionError>(dup).request_id, 104u);
  auto bad = Subscribe(1, *a, 5, {"SELECT text FROM message"});
  ASSERT_TRUE(std::holds_alternative<protocol::SubscriptionError>(bad));
  EXPECT_NE(std::get<protocol::SubscriptionError>(bad).error.find("whole rows"), std::string::npos);

  ASSERT_TRUE(db_->HandleMessage(
                     1, protocol::Unsubscribe{7, 4, protocol::UnsubscribeFlags::kSendDroppedRows})
                  .ok());
  auto gone = a->Nth<protocol::UnsubscribeApplied>(6);
  EXPECT_EQ(gone.request_id, 7u);
  EXPECT_EQ(gone.query_set_id, 4u);
  ASSERT_TRUE(gone.rows.has_value());
  EXPECT_EQ(gone.rows->tables[0].rows.count(), 1u);
  ASSERT_TRUE(
      db_->HandleMessage(1, protocol::Unsubscribe{8, 4, protocol::UnsubscribeFlags::kDefault})
          .ok());
  auto unknown = a->Nth<protocol::SubscriptionError>(7);
  EXPECT_EQ(unknown.request_id, 8u);
  EXPECT_EQ(unknown.query_set_id, 4u);

  ASSERT_TRUE(db_->HandleMessage(1, protocol::CallProcedure{9, 0, "p", {}}).ok());
  auto proc = a->Nth<protocol::ProcedureResult>(8);
  EXPECT_EQ(proc.request_id, 9u);
  EXPECT_FALSE(proc.returned);
  EXPECT_NE(proc.message.find("not supported"), std::string::npos);
}

TEST_F(DatabaseTest, CompatibleModuleUpdateKeepsDataAndClients) {
  // Proves replacing the module with one of the same tables keeps every row, keeps
  // clients connected and their subscriptions working.
  auto a = Connect(1);
  Subscribe(1, *a, 0, {"SELECT * FROM message"});
  ASSERT_TRUE(CallHttp(*db_, Caller{Id(1), 0}, "send_message", StringArg("before")).ok());
  a->WaitFor(3);
  std::promise<Status> done;
  ASSERT_TRUE(db_->UpdateModule(LoadModule(QUICKSTART_CHAT_MODULE), false, std::nullopt,
                                [&](Status s) { done.set_value(std::move(s)); })
                  .ok());
  auto f = done.get_future();
  auto s = Await(f);
  ASSERT_TRUE(s && s->ok()) << (s ? s->ToString() : "timeout");
  EXPECT_EQ(Users().size(), 1u);
  auto msgs = RunSql(*db_, Caller{kOwner, 0}, "SELECT * FROM message");
  ASSERT_TRUE(msgs.ok());
  EXPECT_EQ((*msgs)[0].rows.size(), 1u);
  ASSERT_TRUE(SendMessage(1, 3, "after").ok());
  auto result = a->Nth<protocol::ReducerResult>(3);
  EXPECT_EQ(result.outcome.kind, protocol::ReducerOutcome::Kind::kOk);
  EXPECT_EQ(Inserted(result.outcome.update, "message").size(), 1u);
  EXPECT_FALSE(a->closed());
}

TEST_F(DatabaseTest, ModuleUpdateWithClearDropsDataAndClosesClients) {
  // Proves an update with clear empties every table and disconnects every client with
  // a reason, after which clients can connect again.
  auto a = Connect(1);
  ASSERT_TRUE(CallHttp(*db_, Caller{Id(1), 0}, "send_message", StringArg("old")).ok());
  std::promise<Status> done;
  ASSERT_TRUE(db_->UpdateModule(LoadModule(QUICKSTART_CHAT_MODULE), true, std::nullopt,
                                [&](Status s) { done.set_value(std::move(s)); })
                  .ok());
  auto f = done.get_future();
  auto s = Await(f);
  ASSERT_TRUE(s && s->ok());
  auto reason = a->WaitClosed();
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("module was replaced"), std::string::npos);
  EXPECT_TRUE(Users().empty());
  auto msgs = RunSql(*db_, Caller{kOwner, 0}, "SELECT * FROM message");
  ASSERT_TRUE(msgs.ok());
  EXPECT_TRUE((*msgs)[0].rows.empty());
  auto again = Connect(1);
  EXPECT_EQ(Users().size(), 1u);
}

TEST_F(DatabaseTest, IncompatibleModuleUpdateIsRefusedAndTheOldModuleKeepsRunning) {
  // Proves an update that would drop or change tables without clear fails with
  // kInvalidArgument naming the table, and nothing changes.
  auto a = Connect(1);
  std::promise<Status> done;
  ASSERT_TRUE(db_->UpdateModule(LoadModule(SDK_TEST_MODULE), false, std::nullopt,
                                [&](Status s) { done.set_value(std::move(s)); })
                  .ok());
  auto f = done.get_future();
  auto s = Await(f);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s->message().find("table 'user' would be removed"), std::string::npos) << s->message();
  EXPECT_EQ(db_->schema()->tables[0].name, "user");
  EXPECT_TRUE(CallHttp(*db_, Caller{Id(1), 0}, "send_message", StringArg("still here")).ok());
  EXPECT_EQ(Users().size(), 1u);
  EXPECT_FALSE(a->closed());
}

TEST_F(DatabaseTest, PrivateTablesAreVisibleOnlyToTheOwner) {
  // Proves SQL and subscriptions on a private table are refused for other identities
  // and allowed for the owner (the SDK test module's "everything" table is private).
  db_.reset();
  Open(SDK_TEST_MODULE);
  auto r = RunSql(*db_, Caller{Id(5), 0}, "SELECT * FROM everything");
  EXPECT_EQ(r.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("private"), std::string::npos);
  EXPECT_TRUE(RunSql(*db_, Caller{kOwner, 0}, "SELECT * FROM everything").ok());
  EXPECT_TRUE(RunSql(*db_, Caller{Id(5), 0}, "SELECT * FROM item").ok());
  auto stranger = Connect(5);
  auto denied = Subscribe(5, *stranger, 0, {"SELECT * FROM everything"});
  ASSERT_TRUE(std::holds_alternative<protocol::SubscriptionError>(denied));
  auto owner_box = std::make_shared<FakeOutbox>();
  ASSERT_TRUE(db_->Connect(6, Caller{kOwner, 6}, "t", owner_box).ok());
  owner_box->WaitFor(1);
  auto allowed = Subscribe(6, *owner_box, 0, {"SELECT * FROM everything"});
  EXPECT_TRUE(std::holds_alternative<protocol::SubscribeApplied>(allowed));
}

TEST_F(DatabaseTest, AModuleUpdateCanHandOwnershipToANewOwner) {
  // Proves UpdateModule's new_owner takes effect for the running database: the new
  // owner sees private tables at once, the old one no longer does.
  db_.reset();
  Open(SDK_TEST_MODULE);
  std::promise<Status> done;
  ASSERT_TRUE(db_->UpdateModule(LoadModule(SDK_TEST_MODULE), false, Id(8),
                                [&](Status s) { done.set_value(std::move(s)); })
                  .ok());
  auto f = done.get_future();
  auto s = Await(f);
  ASSERT_TRUE(s && s->ok()) << (s ? s->ToString() : "timeout");
  EXPECT_TRUE(RunSql(*db_, Caller{Id(8), 0}, "SELECT * FROM everything").ok());
  EXPECT_EQ(RunSql(*db_, Caller{kOwner, 0}, "SELECT * FROM everything").status().code(),
            ErrorCode::kPermissionDenied);
}

TEST_F(DatabaseTest, AFullQueueRefusesWorkButStillAcceptsDisconnects) {
  // Proves the kWorkQueueMax bound: with the worker blocked and the queue full, new
  // requests fail fast with kOverloaded, a disconnect is still queued, and everything
  // queued runs once the worker is free.
  auto a = Connect(1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> blocked;
  ASSERT_TRUE(db_->Sql(Caller{}, "SELECT * FROM user",
                       [&, released](Result<std::vector<SqlResult>>) {
                         blocked.set_value();
                         released.wait();
                       })
                  .ok());
  blocked.get_future().wait();  // the worker is now inside the completion
  std::atomic<size_t> ran{0};
  std::promise<void> all_ran;
  auto count = [&](Result<std::vector<SqlResult>>) {
    if (++ran == kWorkQueueMax) all_ran.set_value();
  };
  for (size_t i = 0; i < kWorkQueueMax; ++i) {
    ASSERT_TRUE(db_->Sql(Caller{}, "SELECT * FROM user", count).ok()) << i;
  }
  Status over = db_->Sql(Caller{}, "SELECT * FROM user", [](Result<std::vector<SqlResult>>) {});
  EXPECT_EQ(over.code(), ErrorCode::kOverloaded);
  EXPECT_NE(over.message().find("database 'chat' is overloaded"), std::string::npos);
  EXPECT_EQ(SendMessage(1, 1, "x").code(), ErrorCode::kOverloaded);
  EXPECT_EQ(db_->Connect(2, Caller{Id(2), 2}, "t", std::make_shared<FakeOutbox>()).code(),
            ErrorCode::kOverloaded);
  db_->Disconnect(1);
  release.set_value();
  auto drained = all_ran.get_future();
  ASSERT_EQ(drained.wait_for(testing::kWaitTimeout), std::future_status::ready);
  Barrier(*db_);  // the queue has room again; this runs after the disconnect
  EXPECT_EQ(ran.load(), kWorkQueueMax);
  EXPECT_EQ(Users(), (std::vector<AlgebraicValue>{UserRow(1, std::nullopt, false)}));
}

TEST_F(DatabaseTest, DestroyingTheDatabaseRunsQueuedWorkFirst) {
  // Proves the destructor drains the queue: completions queued before it still run.
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(db_->CallReducer(Caller{Id(1), 0}, "send_message", StringArg("m"),
                                 [&](CallOutcome o) { ran += o.status.ok() ? 1 : 0; })
                    .ok());
  }
  db_.reset();
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace stdb::db

namespace stdb::db {
namespace {

double HistogramCount(prometheus::Histogram& h) {
  return static_cast<double>(h.Collect().histogram.sample_count);
}

TEST_F(DatabaseTest, MetricsCountReducerCallsFailuresRowsAndSubscriptions) {
  // Proves the worker reports to the database's series: per-reducer calls and failures,
  // the execution histogram, rows per table, clients and subscriptions.
  auto m = obs::Global().ForDatabase("chat");
  const double calls = m->ReducerCalls("send_message").Value();
  const double failures = m->ReducerFailures("send_message").Value();
  const double executions = HistogramCount(m->reducer_seconds);
  const double evaluations = HistogramCount(m->evaluation_seconds);
  auto a = Connect(1);
  auto b = Connect(2);
  Subscribe(2, *b, 0, {"SELECT * FROM message", "SELECT * FROM user"});
  Subscribe(2, *b, 1, {"SELECT * FROM message"});
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(SendMessage(1, i, "hello " + std::to_string(i)).ok());
  ASSERT_TRUE(SendMessage(1, 3, "").ok());  // refused by the module
  a->Nth<protocol::ReducerResult>(4);
  Barrier(*db_);
  EXPECT_EQ(m->ReducerCalls("send_message").Value() - calls, 4);
  EXPECT_EQ(m->ReducerFailures("send_message").Value() - failures, 1);
  // Two client_connected calls and four send_message calls ran module code.
  EXPECT_EQ(HistogramCount(m->reducer_seconds) - executions, 6);
  EXPECT_EQ(HistogramCount(m->evaluation_seconds) - evaluations, 5);  // 2 connects + 3 sends
  EXPECT_EQ(m->TableRows("message").Value(), 3);
  EXPECT_EQ(m->TableRows("user").Value(), 2);
  EXPECT_EQ(m->clients.Value(), 2);
  EXPECT_EQ(m->query_sets.Value(), 2);
  EXPECT_EQ(m->queries.Value(), 2) << "the same message query in two sets is evaluated once";
  db_->Disconnect(2);
  Barrier(*db_);
  EXPECT_EQ(m->clients.Value(), 1);
  EXPECT_EQ(m->query_sets.Value(), 0);
  EXPECT_EQ(m->queries.Value(), 0);
}

TEST_F(DatabaseTest, AReducersLogLinesCarryTheIdOfTheRequestThatCalledIt) {
  SetLogFormat(LogFormat::kJson);
  ::testing::internal::CaptureStderr();
  {
    ScopedRequestId request(RequestId("req-42"));
    ASSERT_TRUE(CallHttp(*db_, Caller{Id(2), 0}, "send_message", StringArg("traced")).ok());
  }
  ASSERT_TRUE(CallHttp(*db_, Caller{Id(2), 0}, "send_message", StringArg("untraced")).ok());
  const std::string err = ::testing::internal::GetCapturedStderr();
  SetLogFormat(DefaultLogFormat());
  // The quickstart module logs each message's text.
  const size_t traced = err.find("\"message\":\"traced\"");
  ASSERT_NE(traced, std::string::npos) << err;
  const std::string line = err.substr(err.rfind('\n', traced) + 1,
                                      err.find('\n', traced) - err.rfind('\n', traced) - 1);
  EXPECT_NE(line.find("\"request_id\":\"req-42\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"database\":\"chat\""), std::string::npos) << line;
  const size_t untraced = err.find("\"message\":\"untraced\"");
  ASSERT_NE(untraced, std::string::npos) << err;
  EXPECT_EQ(err.find("request_id", untraced), std::string::npos) << err;
}

}  // namespace
}  // namespace stdb::db
