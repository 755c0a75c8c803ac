// Tests of ModuleHost: loading real module files (and refusing files that are not
// modules, with messages that say why), and running reducers against a transaction
// through the C ABI: arguments, context, errors, rollback, scans and logging.
#include "module/host.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "sats/bsatn.h"

namespace stdb::module {
namespace {

namespace fs = std::filesystem;
using sats::AlgebraicType;
using sats::Element;
using sats::TypeKind;

struct LogLine {
  LogLevel level;
  std::string text;
};

// Records every log line a reducer writes.
class RecordingLog final : public LogSink {
 public:
  void Write(LogLevel level, std::string_view message) override {
    lines.push_back(LogLine{level, std::string(message)});
  }
  bool Has(LogLevel level, std::string_view text) const {
    for (const auto& l : lines) {
      if (l.level == level && l.text == text) return true;
    }
    return false;
  }
  std::vector<LogLine> lines;
};

// A scratch directory, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("stdb_host_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path Missing() const { return path_ / "missing.so"; }
  fs::path Write(const std::string& name, const Bytes& bytes) const {
    const fs::path p = path_ / name;
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    return p;
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::unique_ptr<ModuleHost> MustLoad(const fs::path& path) {
  auto host = ModuleHost::Load(path);
  EXPECT_TRUE(host.ok()) << path << ": " << host.status().ToString();
  if (!host.ok()) return nullptr;
  return std::move(host).value();
}

void ExpectLoadFails(const fs::path& path, ErrorCode code, std::string_view fragment) {
  auto host = ModuleHost::Load(path);
  ASSERT_FALSE(host.ok()) << path << " loaded";
  EXPECT_EQ(host.status().code(), code) << host.status().ToString();
  EXPECT_NE(host.status().message().find(fragment), std::string::npos)
      << path << ": '" << host.status().message() << "' lacks '" << fragment << "'";
}

Bytes StringArg(std::string_view s) {
  Bytes out;
  ByteWriter(out).String(s);
  return out;
}

Bytes ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every row of every table, for comparing a store before and after.
std::vector<std::vector<Bytes>> Snapshot(const store::Store& store) {
  std::vector<std::vector<Bytes>> out(store.table_count());
  for (store::TableId t = 0; t < store.table_count(); ++t) {
    store.table(t).ForEach(
        [&](store::RowId, ByteView row) { out[t].emplace_back(row.begin(), row.end()); });
  }
  return out;
}

ReducerContext Ctx(uint64_t sender_low, u128 connection_id = 0, int64_t timestamp_micros = 1000) {
  ReducerContext ctx;
  ctx.sender = U256{{sender_low, 0, 0, 0xabcdef}};
  ctx.connection_id = connection_id;
  ctx.timestamp_micros = timestamp_micros;
  ctx.rng_seed = 42;
  ctx.module_identity = U256{{9, 9, 9, 9}};
  return ctx;
}

uint32_t ReducerId(const ModuleHost& host, std::string_view name) {
  auto id = host.def().FindReducer(name);
  EXPECT_TRUE(id.has_value()) << name;
  return id.value_or(0);
}

// ---- Load ----

TEST(ModuleHostLoad, QuickstartChatLoadsWithTheExamplesSchema) {
  // Proves the example module loads and describes exactly the tables and reducers of
  // examples/quickstart-chat/src/lib.cc.
  auto host = MustLoad(QUICKSTART_CHAT_MODULE);
  ASSERT_NE(host, nullptr);
  const ModuleDef& def = host->def();
  ASSERT_EQ(def.tables.size(), 2u);
  EXPECT_EQ(def.tables[0].name, "user");
  EXPECT_EQ(def.tables[0].row_type,
            AlgebraicType::Product({Element{"identity", AlgebraicType::Identity()},
                                    Element{"name", AlgebraicType::Option(AlgebraicType::String())},
                                    Element{"online", AlgebraicType::Bool()}}));
  EXPECT_EQ(def.tables[0].primary_key, 0);
  EXPECT_TRUE(def.tables[0].is_public);
  EXPECT_EQ(def.tables[1].name, "message");
  EXPECT_EQ(def.tables[1].row_type,
            AlgebraicType::Product({Element{"sender", AlgebraicType::Identity()},
                                    Element{"sent", AlgebraicType::Timestamp()},
                                    Element{"text", AlgebraicType::String()}}));
  EXPECT_EQ(def.tables[1].primary_key, std::nullopt);
  EXPECT_TRUE(def.tables[1].is_public);

  std::map<std::string, std::pair<AlgebraicType, Lifecycle>> reducers;
  for (const auto& r : def.reducers) reducers[r.name] = {r.params, r.lifecycle};
  const auto unit = AlgebraicType::Unit();
  EXPECT_EQ(reducers.size(), 5u);
  EXPECT_EQ(reducers["set_name"].first,
            AlgebraicType::Product({Element{"name", AlgebraicType::String()}}));
  EXPECT_EQ(reducers["set_name"].second, Lifecycle::kNone);
  EXPECT_EQ(reducers["send_message"].first,
            AlgebraicType::Product({Element{"text", AlgebraicType::String()}}));
  EXPECT_EQ(reducers["init"].second, Lifecycle::kInit);
  EXPECT_EQ(reducers["client_connected"].second, Lifecycle::kClientConnected);
  EXPECT_EQ(reducers["client_disconnected"].second, Lifecycle::kClientDisconnected);
  EXPECT_EQ(reducers["client_disconnected"].first, unit);
}

TEST(ModuleHostLoad, FilesThatAreNotModulesAreRefusedWithAReason) {
  // Proves non-ELF files, other kinds of ELF file, executables and ordinary shared
  // libraries are all kBadModule with a message saying what is wrong.
  TempDir dir;
  ExpectLoadFails(dir.Write("empty.so", {}), ErrorCode::kBadModule, "not an ELF shared library");
  const std::string text = "#!/bin/sh\necho this is not a module\n";
  ExpectLoadFails(dir.Write("script.so", Bytes(text.begin(), text.end())), ErrorCode::kBadModule,
                  "not an ELF shared library");
  Bytes noise(4096);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>(i * 131 + 7);
  ExpectLoadFails(dir.Write("noise.so", noise), ErrorCode::kBadModule, "not an ELF shared library");
  ExpectLoadFails(dir.Write("short.so", Bytes{0x7f, 'E', 'L', 'F', 2, 1}), ErrorCode::kBadModule,
                  "not an ELF shared library");
  ExpectLoadFails(dir.Missing(), ErrorCode::kBadModule, "cannot read module file");

  // ELF headers of the wrong class, byte order or object type.
  Bytes header(64, 0);
  std::memcpy(header.data(),
              "\x7f"
              "ELF",
              4);
  header[4] = 1;  // 32-bit
  header[5] = 1;
  header[16] = 3;
  ExpectLoadFails(dir.Write("elf32.so", header), ErrorCode::kBadModule,
                  "not a 64-bit little-endian");
  header[4] = 2;
  header[5] = 2;  // big-endian
  ExpectLoadFails(dir.Write("elfbe.so", header), ErrorCode::kBadModule,
                  "not a 64-bit little-endian");
  header[5] = 1;
  header[16] = 2;  // ET_EXEC
  ExpectLoadFails(dir.Write("exec.so", header), ErrorCode::kBadModule,
                  "the ELF file is not a shared library");
  header[16] = 1;  // ET_REL (an object file)
  ExpectLoadFails(dir.Write("obj.so", header), ErrorCode::kBadModule,
                  "the ELF file is not a shared library");

  // A PIE executable is ET_DYN like a library, but has an interpreter: refused before dlopen.
  ExpectLoadFails("/bin/true", ErrorCode::kBadModule, "executable program");
  // A real module cut short (an interrupted upload): the loader would map the missing
  // pages and crash the process with SIGBUS, so the host must refuse it first.
  const Bytes module = ReadFile(QUICKSTART_CHAT_MODULE);
  ASSERT_GT(module.size(), 4000u);
  for (size_t cut : {size_t{40}, size_t{64}, size_t{100}, size_t{2000}, module.size() / 2}) {
    ExpectLoadFails(dir.Write("cut" + std::to_string(cut) + ".so",
                              Bytes(module.begin(), module.begin() + static_cast<ptrdiff_t>(cut))),
                    ErrorCode::kBadModule, "the ELF file is truncated or corrupt");
  }
  // A shared library that is not a module.
  for (const char* lib :
       {"/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1"}) {
    if (!fs::exists(lib)) continue;
    ExpectLoadFails(lib, ErrorCode::kBadModule,
                    "not an stdb module: it does not export stdb_abi_version, stdb_describe and "
                    "stdb_call_reducer");
    break;
  }
}

TEST(ModuleHostLoad, ModulesThatBreakTheAbiAreRefused) {
  // Proves a wrong ABI version, an undecodable schema and an invalid schema are
  // kBadModule, each saying why.
  ExpectLoadFails(FIXTURE_MODULE_1, ErrorCode::kBadModule,
                  "module was built for ABI version 99, server speaks 2");
  ExpectLoadFails(FIXTURE_MODULE_2, ErrorCode::kBadModule, "invalid module schema: ");
  ExpectLoadFails(FIXTURE_MODULE_3, ErrorCode::kBadModule,
                  "invalid module schema: duplicate table name 't'");
  ExpectLoadFails(FIXTURE_MODULE_4, ErrorCode::kBadModule,
                  "invalid module schema: table 't': index 'by_x' names unknown column index 5");
}

TEST(ModuleHostLoad, TwoHostsOfOneFileAreIndependent) {
  // Proves a module file can be loaded twice (as on re-publish) and each host works
  // after the other is destroyed.
  auto a = MustLoad(QUICKSTART_CHAT_MODULE);
  auto b = MustLoad(QUICKSTART_CHAT_MODULE);
  ASSERT_TRUE(a && b);
  a.reset();
  store::Store store(b->def().TableSchemas());
  store::Transaction tx(store);
  RecordingLog log;
  Status s = b->CallReducer(tx, ReducerId(*b, "send_message"), Ctx(1), StringArg("hi"), log);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

// ---- CallReducer with the quickstart module ----

class QuickstartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = MustLoad(QUICKSTART_CHAT_MODULE);
    ASSERT_NE(host_, nullptr);
    store_ = std::make_unique<store::Store>(host_->def().TableSchemas());
  }

  Status Call(std::string_view reducer, const Bytes& args, const ReducerContext& ctx,
              store::TxDelta* delta = nullptr) {
    store::Transaction tx(*store_);
    Status s = host_->CallReducer(tx, ReducerId(*host_, reducer), ctx, args, log_);
    if (s.ok()) {
      store::TxDelta d = tx.Commit();
      if (delta != nullptr) *delta = std::move(d);
    } else {
      tx.Rollback();
    }
    return s;
  }

  std::unique_ptr<ModuleHost> host_;
  std::unique_ptr<store::Store> store_;
  RecordingLog log_;
};

TEST_F(QuickstartTest, SendMessageInsertsARowStampedWithTheContext) {
  // Proves a reducer runs inside the transaction: its insert is in the delta with the
  // sender and timestamp from the ReducerContext, and its log line reaches the sink.
  store::TxDelta delta;
  const ReducerContext ctx = Ctx(77, 0, 1700000000123456);
  Status s = Call("send_message", StringArg("hello"), ctx, &delta);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(delta.tables.size(), 1u);
  EXPECT_EQ(delta.tables[0].table_id, *store_->FindTable("message"));
  ASSERT_EQ(delta.tables[0].inserts.size(), 1u);
  EXPECT_TRUE(delta.tables[0].deletes.empty());
  Bytes want;
  ByteWriter w(want);
  w.Fixed(ctx.sender.limbs);
  w.I64(ctx.timestamp_micros);
  w.String("hello");
  EXPECT_EQ(ToHex(delta.tables[0].inserts[0]), ToHex(want));
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "hello"));
}

TEST_F(QuickstartTest, LifecycleReducersSeeTheCallersIdentity) {
  // Proves client_connected / set_name / client_disconnected act on the sender's row.
  ASSERT_TRUE(Call("client_connected", {}, Ctx(5)).ok());
  ASSERT_TRUE(Call("set_name", StringArg("ann"), Ctx(5)).ok());
  ASSERT_TRUE(Call("client_disconnected", {}, Ctx(5)).ok());
  const store::Table& users = store_->table(*store_->FindTable("user"));
  ASSERT_EQ(users.size(), 1u);
  auto row = sats::DecodeBsatnExact(users.schema().row_type, users.Get(users.LiveIds()[0]));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(*row,
            sats::AlgebraicValue::Product({sats::AlgebraicValue::Identity(Ctx(5).sender),
                                           sats::AlgebraicValue::Some(std::string("ann")), false}));
  // Another identity is unknown to set_name.
  Status s = Call("set_name", StringArg("bob"), Ctx(6));
  EXPECT_EQ(s.code(), ErrorCode::kReducerError);
  EXPECT_EQ(s.message(), "Cannot set name for unknown user");
}

TEST_F(QuickstartTest, AFailingReducerReportsItsMessage) {
  // Proves a reducer's Err becomes kReducerError carrying the module's message.
  Status s = Call("send_message", StringArg(""), Ctx(1));
  EXPECT_EQ(s.code(), ErrorCode::kReducerError);
  EXPECT_EQ(s.message(), "Messages must not be empty");
  EXPECT_EQ(store_->table(*store_->FindTable("message")).size(), 0u);
}

TEST_F(QuickstartTest, MalformedArgumentsAreRefusedBeforeTheModuleRuns) {
  // Proves arguments that are not the BSATN of the parameters fail with kInvalidArgument
  // naming the reducer and its parameter types, and the module never sees them.
  Bytes trailing = StringArg("hi");
  trailing.push_back(0);
  for (const Bytes& args :
       {Bytes{}, Bytes{1, 0}, Bytes{9, 0, 0, 0, 'x'}, trailing, Bytes{2, 0, 0, 0, 0xff, 0xfe}}) {
    const auto before = Snapshot(*store_);
    Status s = Call("send_message", args, Ctx(1));
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << ToHex(args) << ": " << s.ToString();
    EXPECT_NE(
        s.message().find("invalid arguments for reducer 'send_message' (expected (text: String))"),
        std::string::npos)
        << s.message();
    EXPECT_EQ(Snapshot(*store_), before);
  }
  EXPECT_TRUE(log_.lines.empty());
  Status s = Call("client_connected", Bytes{0}, Ctx(1));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("client_connected"), std::string::npos);
}

// ---- CallReducer with the SDK's test module (errors, rollback, scans, context) ----

class SdkModuleTest : public QuickstartTest {
 protected:
  void SetUp() override {
    host_ = MustLoad(SDK_TEST_MODULE);
    ASSERT_NE(host_, nullptr);
    store_ = std::make_unique<store::Store>(host_->def().TableSchemas());
  }
  store::TableId Table(std::string_view name) const { return *store_->FindTable(name); }
};

Bytes ItemArgs(uint64_t id, std::string_view label, int64_t value) {
  Bytes out;
  ByteWriter w(out);
  w.U64(id);
  w.String(label);
  w.I64(value);
  return out;
}

TEST_F(SdkModuleTest, RollbackAfterAFailedReducerLeavesTheStoreUnchanged) {
  // Proves a reducer that writes and then fails returns kReducerError with its message,
  // and the caller's rollback restores every table exactly.
  ASSERT_TRUE(Call("put_item", ItemArgs(1, "one", 10), Ctx(1)).ok());
  ASSERT_TRUE(Call("put_item", ItemArgs(2, "two", 20), Ctx(1)).ok());
  const auto before = Snapshot(*store_);
  Status s = Call("insert_then_fail", {}, Ctx(1));
  EXPECT_EQ(s.code(), ErrorCode::kReducerError);
  EXPECT_EQ(s.message(), "failed after a write");
  EXPECT_EQ(Snapshot(*store_), before);
}

TEST_F(SdkModuleTest, ExceptionsAndHostErrorsBecomeReducerErrors) {
  // Proves thrown exceptions and unhandled host errors fail the reducer with a message,
  // and a host error the reducer catches carries the right code name.
  Status e = Call("fail_std_exception", {}, Ctx(1));
  EXPECT_EQ(e.code(), ErrorCode::kReducerError);
  EXPECT_NE(e.message().find("index 7 is out of range"), std::string::npos) << e.message();
  Status n = Call("fail_non_std_exception", {}, Ctx(1));
  EXPECT_EQ(n.code(), ErrorCode::kReducerError);
  EXPECT_NE(n.message().find("fail_non_std_exception"), std::string::npos) << n.message();
  Status u = Call("update_missing", {}, Ctx(1));
  EXPECT_EQ(u.code(), ErrorCode::kReducerError);
  EXPECT_NE(u.message().find("item"), std::string::npos) << u.message();
  ASSERT_TRUE(Call("insert_duplicate_caught", {}, Ctx(1)).ok());
  bool saw = false;
  for (const auto& l : log_.lines) saw |= l.text.starts_with("STDB_ERR_UNIQUE_VIOLATION: ");
  EXPECT_TRUE(saw);
  EXPECT_EQ(store_->table(Table("note")).size(), 1u);
}

TEST_F(SdkModuleTest, ScansSeeEveryRowAcrossBatches) {
  // Proves a scan larger than one batch (kScanBatchBytes) sees every row once, an
  // abandoned scan does not fail the reducer, and rows deleted mid-scan are handled.
  constexpr uint32_t kRows = 5000;
  Bytes count;
  ByteWriter(count).U32(kRows);
  ASSERT_TRUE(Call("fill_items", count, Ctx(1)).ok());
  ASSERT_TRUE(Call("scan_items", {}, Ctx(1)).ok());
  const int64_t sum = int64_t{kRows} * (kRows - 1) / 2;
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "rows=5000 sum=" + std::to_string(sum) + " count=5000"));
  Bytes limit;
  ByteWriter(limit).U32(3);
  ASSERT_TRUE(Call("scan_first", limit, Ctx(1)).ok());
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "seen=3"));
  ASSERT_TRUE(Call("scan_and_delete", {}, Ctx(1)).ok());
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "seen=5000"));
  EXPECT_EQ(store_->table(Table("item")).size(), kRows / 2);
}

TEST_F(SdkModuleTest, TheReducerContextReachesTheModule) {
  // Proves sender, connection id, timestamp, module identity and rng seed arrive intact.
  const ReducerContext ctx = Ctx(0x1234, (u128{7} << 64) | 8, 987654321);
  ASSERT_TRUE(Call("record_call", {}, ctx).ok());
  const store::Table& t = store_->table(Table("call_info"));
  ASSERT_EQ(t.size(), 1u);
  auto row = sats::DecodeBsatnExact(t.schema().row_type, t.Get(t.LiveIds()[0]));
  ASSERT_TRUE(row.ok());
  const auto& f = row->as<sats::ProductValue>().fields;
  EXPECT_EQ(f[0], sats::AlgebraicValue::Identity(ctx.sender));
  EXPECT_EQ(f[1],
            sats::AlgebraicValue::Some(sats::AlgebraicValue::ConnectionId(ctx.connection_id)));
  EXPECT_EQ(f[2], sats::AlgebraicValue::Timestamp(987654321));
  EXPECT_EQ(f[3], sats::AlgebraicValue::Identity(ctx.module_identity));
  // The same seed gives the same random numbers.
  ASSERT_TRUE(Call("record_call", {}, Ctx(0x1234, 0, 987654321)).ok());
  ASSERT_EQ(t.size(), 2u);
  std::vector<sats::AlgebraicValue> randoms;
  t.ForEach([&](store::RowId, ByteView r) {
    auto v = sats::DecodeBsatnExact(t.schema().row_type, r);
    ASSERT_TRUE(v.ok());
    randoms.push_back(v->as<sats::ProductValue>().fields[4]);
  });
  EXPECT_EQ(randoms[0], randoms[1]);
}

TEST_F(SdkModuleTest, LogLinesKeepTheirLevels) {
  // Proves each log level the module uses reaches the sink unchanged.
  ASSERT_TRUE(Call("on_disconnect", {}, Ctx(1)).ok());
  ASSERT_TRUE(Call("init", {}, Ctx(1)).ok());
  ASSERT_EQ(log_.lines.size(), 2u);
  EXPECT_EQ(log_.lines[0].level, LogLevel::kWarn);
  EXPECT_TRUE(log_.lines[0].text.starts_with("disconnected "));
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "init"));
  ASSERT_TRUE(Call("scan_catching", {}, Ctx(1)).ok());
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "scan ok"));
}

// ---- Index host functions (ABI 2) ----

Bytes PlayerArgs(std::string_view name, uint32_t level, int32_t x, int32_t y,
                 std::string_view team) {
  Bytes out;
  ByteWriter w(out);
  w.String(name);
  w.U32(level);
  w.Fixed(x);
  w.Fixed(y);
  w.String(team);
  return out;
}

Bytes U32Arg(uint32_t v) {
  Bytes out;
  ByteWriter(out).U32(v);
  return out;
}

// The ids of the last "n=<k> <id>:..." line the test module's filter_players logged.
std::vector<uint64_t> LoggedIds(const RecordingLog& log) {
  std::vector<uint64_t> ids;
  if (log.lines.empty()) return ids;
  std::istringstream in(log.lines.back().text);
  std::string word;
  in >> word;
  while (in >> word) ids.push_back(std::stoull(word.substr(0, word.find(':'))));
  return ids;
}

class SdkIndexTest : public SdkModuleTest {
 protected:
  void SetUp() override {
    SdkModuleTest::SetUp();
    ASSERT_NE(host_, nullptr);
    for (const auto& [name, level, x, y, team] :
         std::vector<std::tuple<std::string, uint32_t, int32_t, int32_t, std::string>>{
             {"ann", 1, 0, 0, "red"},
             {"bob", 2, 1, 5, "red"},
             {"cat", 3, 1, 2, "blue"},
             {"dan", 3, 1, -1, "red"},
             {"eve", 4, 2, 2, "blue"}}) {
      Status s = Call("add_player", PlayerArgs(name, level, x, y, team), Ctx(1));
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  std::string LastLog() const { return log_.lines.empty() ? "" : log_.lines.back().text; }
};

TEST_F(SdkIndexTest, SequencesAllocateIdsThatInsertReturns) {
  // Proves the store's sequence fills the zero id and the SDK's insert sees the stored row.
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "added 1:ann:1:0,0:red"));
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "added 5:eve:4:2,2:blue"));
}

TEST_F(SdkIndexTest, FiltersReturnTheRowsOfTheirRangeInKeyOrder) {
  // Proves index_scan_start decodes every range form the SDK sends and scans in index
  // order (the same cases the SDK tests run against the fake host).
  const std::vector<std::pair<uint32_t, std::vector<uint64_t>>> cases = {
      {0, {3, 4}}, {1, {2, 3, 4}},    {2, {2, 3, 4, 5}},     {3, {3, 4, 5}},
      {4, {1, 2}}, {5, {1, 2, 3, 4}}, {6, {4, 3, 2}},        {7, {3}},
      {8, {3, 2}}, {9, {3, 2}},       {10, {1, 4, 3, 2, 5}}, {11, {4}}};
  for (const auto& [which, ids] : cases) {
    Status s = Call("filter_players", U32Arg(which), Ctx(1));
    ASSERT_TRUE(s.ok()) << which << ": " << s.ToString();
    EXPECT_EQ(LoggedIds(log_), ids) << which << ": " << LastLog();
  }
}

TEST_F(SdkIndexTest, UniqueColumnsFindUpdateAndRemove) {
  // Proves index_find, update_by_index and index_delete on unique indexes, and that a
  // unique clash fails the reducer with a message naming the table and the index.
  Bytes name;
  ByteWriter(name).String("cat");
  ASSERT_TRUE(Call("find_by_name", name, Ctx(1)).ok());
  EXPECT_EQ(LastLog(), "found 3:cat:3:1,2:blue");
  Bytes rename;
  ByteWriter rw(rename);
  rw.U64(2);
  rw.String("rob");
  ASSERT_TRUE(Call("rename_player", rename, Ctx(1)).ok());
  EXPECT_EQ(LastLog(), "renamed 2:rob:2:1,5:red");
  Bytes rob;
  ByteWriter(rob).String("rob");
  ASSERT_TRUE(Call("find_by_name", rob, Ctx(1)).ok());
  EXPECT_EQ(LastLog(), "found 2:rob:3:1,5:red");

  Bytes clash;
  ByteWriter cw(clash);
  cw.U64(2);
  cw.String("ann");
  Status s = Call("rename_player", clash, Ctx(1));
  EXPECT_EQ(s.code(), ErrorCode::kReducerError);
  EXPECT_NE(s.message().find("player"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("player_name_key"), std::string::npos) << s.message();

  ASSERT_TRUE(Call("remove_by_name", rob, Ctx(1)).ok());
  EXPECT_EQ(LastLog(), "removed");
  ASSERT_TRUE(Call("remove_by_name", rob, Ctx(1)).ok());
  EXPECT_EQ(LastLog(), "absent");
  EXPECT_EQ(store_->table(Table("player")).size(), 4u);
}

TEST_F(SdkIndexTest, RemoveDeletesARangeAndCountsIt) {
  // Proves index_delete removes exactly the rows of the range and reports how many.
  ASSERT_TRUE(Call("remove_at", Bytes{1, 0, 0, 0}, Ctx(1)).ok());
  EXPECT_EQ(LastLog(), "removed 3");
  Bytes levels;
  ByteWriter lw(levels);
  lw.U32(4);
  lw.U32(9);
  ASSERT_TRUE(Call("remove_levels", levels, Ctx(1)).ok());
  EXPECT_EQ(LastLog(), "removed 1");
  EXPECT_EQ(store_->table(Table("player")).size(), 1u);
}

TEST(ModuleHostIndex, BadIdsAndRangesAreRefusedWithMessagesNamingThem) {
  // Proves the index host functions check their arguments: unknown table or index ids
  // and non-unique indexes are STDB_ERR_INVALID_ARGUMENT, undecodable ranges and keys are
  // STDB_ERR_DECODE, each with a message naming the table and index; valid calls work.
  auto host = MustLoad(FIXTURE_MODULE_6);
  ASSERT_NE(host, nullptr);
  store::Store store(host->def().TableSchemas());
  RecordingLog log;
  store::Transaction tx(store);
  Status s = host->CallReducer(tx, 0, Ctx(1), {}, log);
  ASSERT_TRUE(s.ok()) << s.ToString();
  tx.Rollback();
  std::map<std::string, std::string> got;
  for (const auto& l : log.lines) {
    const size_t space = l.text.find(' ');
    got[l.text.substr(0, space)] = l.text.substr(space + 1);
  }
  EXPECT_EQ(got["find_no_table"], "1 index_find: no table with id 5");
  EXPECT_EQ(got["find_no_index"], "1 index_find: table 't' has no index with id 9 (it has 2)");
  EXPECT_EQ(got["find_not_unique"], "1 index_find: index 't_v' of table 't' is not unique");
  EXPECT_TRUE(got["find_bad_key"].starts_with("6 bad key for index 't_k' of table 't'"))
      << got["find_bad_key"];
  EXPECT_TRUE(got["scan_bad_range"].starts_with("6 bad range for index 't_k' of table 't'"))
      << got["scan_bad_range"];
  EXPECT_TRUE(got["scan_hash_range"].starts_with("1 ")) << got["scan_hash_range"];
  EXPECT_NE(got["scan_hash_range"].find("t_v"), std::string::npos) << got["scan_hash_range"];
  EXPECT_TRUE(got["delete_bad_range"].starts_with("6 bad range for index 't_k' of table 't'"))
      << got["delete_bad_range"];
  EXPECT_EQ(got["delete_no_index"], "1 index_delete: table 't' has no index with id 2 (it has 2)");
  EXPECT_EQ(got["update_not_unique"], "1 update_by_index: index 't_v' of table 't' is not unique");
  EXPECT_TRUE(got["update_missing"].starts_with("2 ")) << got["update_missing"];
  EXPECT_EQ(got["insert"], "0 ");
  EXPECT_EQ(got["find"], "0 1 5");
  EXPECT_EQ(got["update"], "0 1");
  EXPECT_EQ(got["scan"], "0 5");
  EXPECT_EQ(got["delete"], "0 1");
}

TEST(ModuleHostCall, UnknownStatusesAndEmptyMessagesAreExplained) {
  // Proves a module that returns a status outside the ABI, or fails without a message,
  // still yields a kReducerError with a useful message.
  auto host = MustLoad(FIXTURE_MODULE_5);
  ASSERT_NE(host, nullptr);
  store::Store store(host->def().TableSchemas());
  RecordingLog log;
  store::Transaction tx(store);
  Status weird = host->CallReducer(tx, 0, Ctx(1), {}, log);
  EXPECT_EQ(weird.code(), ErrorCode::kReducerError);
  EXPECT_EQ(weird.message(), "module returned unknown status 7");
  Status silent = host->CallReducer(tx, 1, Ctx(1), {}, log);
  EXPECT_EQ(silent.code(), ErrorCode::kReducerError);
  EXPECT_EQ(silent.message(), "reducer 'silent' failed");
  tx.Rollback();
}

}  // namespace
}  // namespace stdb::module
