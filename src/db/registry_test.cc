// Tests of Registry: database names, publishing (files, metadata, ownership, failures
// that keep the previous module serving) and reloading from disk.
#include "db/registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "db/db_test_util.h"

namespace stdb::db {
namespace {

namespace fs = std::filesystem;
using testing::CallHttp;
using testing::RunSql;
using testing::StringArg;

Bytes ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

U256 DeriveIdentity(std::string_view name) {
  U256 v;
  v.limbs[0] = std::hash<std::string_view>{}(name);
  v.limbs[3] = 0xd00d;
  return v;
}

std::string HexBigEndian(const U256& v) {
  Bytes be(32);
  std::memcpy(be.data(), v.limbs.data(), 32);
  std::reverse(be.begin(), be.end());
  return ToHex(be);
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("stdb_registry_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    registry_ = MakeRegistry();
    module_ = ReadFile(QUICKSTART_CHAT_MODULE);
    ASSERT_FALSE(module_.empty());
  }
  void TearDown() override {
    registry_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<Registry> MakeRegistry() {
    return std::make_unique<Registry>(root_, clock_, &DeriveIdentity);
  }

  Result<Registry::PublishResult> Publish(const std::string& name, std::optional<U256> who,
                                          bool clear = false) {
    clock_.Advance(1000);  // module file names include the time
    return registry_->Publish(name, module_, who, clear);
  }

  std::vector<std::string> ModuleFiles(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(root_ / name)) {
      if (e.path().extension() == ".so") out.push_back(e.path().filename().string());
    }
    return out;
  }

  nlohmann::json Meta(const std::string& name) const {
    std::ifstream in(root_ / name / "meta.json");
    return nlohmann::json::parse(in, nullptr, false);
  }

  static inline const U256 kAlice = U256{{0xa1, 0, 0, 0}};
  static inline const U256 kBob = U256{{0xb0b, 0, 0, 0}};
  fs::path root_;
  ManualClock clock_{1700000000000000};
  std::unique_ptr<Registry> registry_;
  Bytes module_;
};

TEST(RegistryName, ValidateNameAcceptsOnlyTheDocumentedAlphabet) {
  // Proves names are 1-64 of [a-z0-9_-], not starting with '-' or '_'.
  for (const char* ok : {"a", "chat", "quickstart-chat", "db_1", "0day", "a-_-b",
                         "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01"}) {
    EXPECT_TRUE(Registry::ValidateName(ok).ok()) << ok;
  }
  for (const char* bad : {"", "-a", "_a", "Chat", "a b", "a/b", "..", ".", "a.b", "ü",
                          "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012"}) {
    Status s = Registry::ValidateName(bad);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("invalid database name"), std::string::npos) << bad;
  }
}

TEST_F(RegistryTest, PublishCreatesTheDatabaseItsFilesAndMetadata) {
  // Proves a first publish creates a running database owned by the publisher, with its
  // module file and meta.json (name, derived identity, owner, module) on disk.
  auto r = Publish("chat", kAlice);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->identity, DeriveIdentity("chat"));
  auto db = registry_->Find("chat");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->identity(), DeriveIdentity("chat"));
  EXPECT_EQ(registry_->Names(), std::vector<std::string>{"chat"});
  EXPECT_EQ(registry_->Find("other"), nullptr);
  EXPECT_TRUE(CallHttp(*db, Caller{kAlice, 0}, "send_message", StringArg("hi")).ok());

  const auto files = ModuleFiles("chat");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(ReadFile(root_ / "chat" / files[0]), module_);
  const auto meta = Meta("chat");
  ASSERT_TRUE(meta.is_object()) << "meta.json does not parse";
  EXPECT_EQ(meta["name"], "chat");
  EXPECT_EQ(meta["identity"], HexBigEndian(DeriveIdentity("chat")));
  EXPECT_EQ(meta["owner"], HexBigEndian(kAlice));
  EXPECT_EQ(meta["module"], files[0]);
}

TEST_F(RegistryTest, OnlyTheOwnerMayPublishAgain) {
  // Proves another identity is refused with kPermissionDenied and nothing changes; the
  // owner's update replaces the module file and keeps the data.
  ASSERT_TRUE(Publish("chat", kAlice).ok());
  auto db = registry_->Find("chat");
  ASSERT_TRUE(CallHttp(*db, Caller{kAlice, 0}, "send_message", StringArg("kept")).ok());
  const auto files_before = ModuleFiles("chat");

  auto denied = Publish("chat", kBob);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message(), "only the owner of database 'chat' may publish to it");
  EXPECT_EQ(ModuleFiles("chat"), files_before);

  module_.push_back(0);  // other bytes (the same bytes again would be a no-op)
  auto updated = Publish("chat", kAlice);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_FALSE(updated->created);
  EXPECT_EQ(registry_->Find("chat"), db);  // the same database, new module
  const auto files_after = ModuleFiles("chat");
  ASSERT_EQ(files_after.size(), 1u);  // the old module file is removed
  EXPECT_NE(files_after, files_before);
  EXPECT_EQ(Meta("chat")["module"], files_after[0]);
  auto rows = RunSql(*db, Caller{kAlice, 0}, "SELECT * FROM message");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].rows.size(), 1u);
  // The server operator (no publisher) may always publish.
  EXPECT_TRUE(Publish("chat", std::nullopt).ok());
}

// Whether `who` may read the SDK test module's private table in database `name`.
bool SeesPrivateTable(Registry& registry, const std::string& name, const U256& who) {
  auto db = registry.Find(name);
  EXPECT_NE(db, nullptr);
  if (db == nullptr) return false;
  auto r = RunSql(*db, Caller{who, 0}, "SELECT * FROM everything");
  EXPECT_TRUE(r.ok() || r.status().code() == ErrorCode::kPermissionDenied) << r.status().ToString();
  return r.ok();
}

TEST_F(RegistryTest, TheOwnerIsTheRunningDatabasesOwner) {
  // Proves the publisher of a new database is its owner in the running database (only
  // it sees private tables), and still is after a reload from disk.
  module_ = ReadFile(SDK_TEST_MODULE);
  ASSERT_TRUE(Publish("vault", kAlice).ok());
  EXPECT_TRUE(SeesPrivateTable(*registry_, "vault", kAlice));
  EXPECT_FALSE(SeesPrivateTable(*registry_, "vault", kBob));
  registry_ = MakeRegistry();
  EXPECT_TRUE(registry_->LoadAll().empty());
  EXPECT_TRUE(SeesPrivateTable(*registry_, "vault", kAlice));
  EXPECT_FALSE(SeesPrivateTable(*registry_, "vault", kBob));
}

TEST_F(RegistryTest, AnUnownedDatabaseIsClaimedByItsFirstPublisher) {
  // Proves a database published by the operator has no owner until someone publishes
  // to it; from then on only that identity may publish, and it sees private tables in
  // the running database at once.
  module_ = ReadFile(SDK_TEST_MODULE);
  ASSERT_TRUE(Publish("vault", std::nullopt).ok());
  EXPECT_TRUE(Meta("vault")["owner"].is_null());
  EXPECT_FALSE(SeesPrivateTable(*registry_, "vault", kBob));
  ASSERT_TRUE(Publish("vault", kBob).ok());
  EXPECT_EQ(Meta("vault")["owner"], HexBigEndian(kBob));
  EXPECT_TRUE(SeesPrivateTable(*registry_, "vault", kBob));
  EXPECT_EQ(Publish("vault", kAlice).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(Publish("vault", kBob).ok());
  EXPECT_TRUE(SeesPrivateTable(*registry_, "vault", kBob));
}

TEST_F(RegistryTest, ABadModuleLeavesThePreviousOneServing) {
  // Proves publishing bytes that are not a module fails with kBadModule, leaves no file
  // behind, and the running database, its module file and metadata are untouched.
  ASSERT_TRUE(Publish("chat", kAlice).ok());
  auto db = registry_->Find("chat");
  const auto files = ModuleFiles("chat");
  const auto meta = Meta("chat");
  const std::string text = "definitely not an ELF file";
  auto r = registry_->Publish("chat", Bytes(text.begin(), text.end()), kAlice, false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kBadModule);
  EXPECT_EQ(registry_->Find("chat"), db);
  EXPECT_EQ(ModuleFiles("chat"), files);
  EXPECT_EQ(Meta("chat"), meta);
  EXPECT_TRUE(CallHttp(*db, Caller{kAlice, 0}, "send_message", StringArg("still up")).ok());
}

TEST_F(RegistryTest, InvalidPublishRequestsAreRefusedWithoutTouchingDisk) {
  // Proves bad names and empty modules are kInvalidArgument and create nothing, and a
  // first publish of a bad module leaves no database and no directory behind.
  EXPECT_EQ(Publish("Bad Name", kAlice).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Publish("../escape", kAlice).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_->Publish("chat", Bytes{}, kAlice, false).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(root_ / "chat"));
  auto bad = registry_->Publish("chat", Bytes{1, 2, 3}, kAlice, false);
  EXPECT_EQ(bad.status().code(), ErrorCode::kBadModule);
  EXPECT_EQ(registry_->Find("chat"), nullptr);
  EXPECT_FALSE(fs::exists(root_ / "chat"));
  // So a restart finds nothing to complain about.
  auto reloaded = MakeRegistry();
  EXPECT_TRUE(reloaded->LoadAll().empty());
}

TEST_F(RegistryTest, LoadAllReloadsEveryDatabaseFromDisk) {
  // Proves a new Registry over the same root serves the published databases with their
  // identities and owners, and that an unreadable one is reported and skipped.
  ASSERT_TRUE(Publish("chat", kAlice).ok());
  ASSERT_TRUE(Publish("other", std::nullopt).ok());
  fs::create_directories(root_ / "broken");
  std::ofstream(root_ / "broken" / "meta.json") << "{not json";
  fs::create_directories(root_ / "missing-module");
  std::ofstream(root_ / "missing-module" / "meta.json")
      << R"({"name": "missing-module", "identity": ")" << std::string(64, '0')
      << R"(", "owner": null, "module": "gone.so"})";
  std::ofstream(root_ / "stray-file.txt") << "ignored";
  registry_.reset();

  registry_ = MakeRegistry();
  const auto problems = registry_->LoadAll();
  EXPECT_EQ(problems.size(), 2u);
  bool broken = false, missing = false;
  for (const Status& s : problems) {
    broken |= s.message().find("broken") != std::string::npos;
    missing |= s.message().find("database 'missing-module'") != std::string::npos &&
               s.code() == ErrorCode::kBadModule;
  }
  EXPECT_TRUE(broken && missing);
  EXPECT_EQ(registry_->Names(), (std::vector<std::string>{"chat", "other"}));
  auto chat = registry_->Find("chat");
  ASSERT_NE(chat, nullptr);
  EXPECT_EQ(chat->identity(), DeriveIdentity("chat"));
  EXPECT_TRUE(CallHttp(*chat, Caller{kBob, 0}, "send_message", StringArg("back")).ok());
  // Ownership survives the restart.
  EXPECT_EQ(Publish("chat", kBob).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(Publish("chat", kAlice).ok());
  EXPECT_TRUE(MakeRegistry()->LoadAll().size() == 2u);
}

TEST_F(RegistryTest, ADatabaseThatFailedToLoadStillBelongsToItsOwner) {
  // Proves a database whose files are on disk but which did not load at start-up (its
  // module file is gone) cannot be taken over by another identity; its owner, or the
  // operator, can publish it again, and the recorded owner is kept.
  module_ = ReadFile(SDK_TEST_MODULE);
  ASSERT_TRUE(Publish("vault", kAlice).ok());
  const auto file = ModuleFiles("vault").at(0);
  registry_.reset();
  fs::remove(root_ / "vault" / file);
  registry_ = MakeRegistry();
  ASSERT_EQ(registry_->LoadAll().size(), 1u);
  ASSERT_EQ(registry_->Find("vault"), nullptr);

  auto stolen = Publish("vault", kBob);
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(Meta("vault")["owner"], HexBigEndian(kAlice));

  auto by_operator = Publish("vault", std::nullopt);
  ASSERT_TRUE(by_operator.ok()) << by_operator.status().ToString();
  EXPECT_EQ(Meta("vault")["owner"], HexBigEndian(kAlice));
  EXPECT_TRUE(SeesPrivateTable(*registry_, "vault", kAlice));
  EXPECT_FALSE(SeesPrivateTable(*registry_, "vault", kBob));
  EXPECT_EQ(ModuleFiles("vault").size(), 1u);
}

TEST_F(RegistryTest, OnlyTheOwnerDeletesADatabaseAndItIsGoneForGood) {
  // Proves Delete refuses other identities (and anyone but the operator for an unowned
  // database), removes the folder, is not undone by a restart, frees the name for a new
  // database with fresh data, and that a leftover of an interrupted delete is removed at
  // start-up instead of being served.
  ASSERT_TRUE(Publish("chat", kAlice).ok());
  ASSERT_TRUE(Publish("unowned", std::nullopt).ok());
  ASSERT_TRUE(CallHttp(*registry_->Find("chat"), Caller{kAlice, 0}, "send_message",
                       StringArg("before")).ok());
  EXPECT_EQ(registry_->Delete("chat", kBob).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(registry_->Delete("unowned", kAlice).code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(registry_->Delete("nope", kAlice).code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry_->Delete("../x", kAlice).code(), ErrorCode::kInvalidArgument);
  ASSERT_NE(registry_->Find("chat"), nullptr);

  ASSERT_TRUE(registry_->Delete("chat", kAlice).ok());
  EXPECT_EQ(registry_->Find("chat"), nullptr);
  EXPECT_FALSE(fs::exists(root_ / "chat"));
  EXPECT_FALSE(registry_->Describe("chat").has_value());
  ASSERT_TRUE(registry_->Delete("unowned", std::nullopt).ok());
  EXPECT_TRUE(registry_->List().empty());

  // An interrupted delete leaves a hidden folder: start-up removes it.
  ASSERT_TRUE(Publish("chat", kBob).ok());
  fs::create_directories(root_ / ".deleted-chat-0" / "log");
  registry_.reset();
  registry_ = MakeRegistry();
  EXPECT_TRUE(registry_->LoadAll().empty());
  EXPECT_FALSE(fs::exists(root_ / ".deleted-chat-0"));
  auto chat = registry_->Find("chat");
  ASSERT_NE(chat, nullptr);
  auto rows = RunSql(*chat, Caller{kBob, 0}, "SELECT * FROM message");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->at(0).rows.size(), 0u) << "a new database of a deleted name starts empty";
  auto list = registry_->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "chat");
  EXPECT_EQ(list[0].owner, kBob);
  EXPECT_TRUE(list[0].running);
}

TEST_F(RegistryTest, PublishingTheSameModuleAgainChangesNothing) {
  // Proves a publish of the bytes already running (a restart with --module, a repeated
  // publish) is a no-op: same module file, no schema record in the log, data kept; a
  // different module, or clear, still updates.
  ASSERT_TRUE(Publish("chat", kAlice).ok());
  ASSERT_TRUE(CallHttp(*registry_->Find("chat"), Caller{kAlice, 0}, "send_message",
                       StringArg("kept")).ok());
  const std::string file = Meta("chat")["module"];
  auto log_bytes = [&] {
    uintmax_t total = 0;
    for (const auto& e : fs::recursive_directory_iterator(root_ / "chat" / "log"))
      if (e.is_regular_file()) total += e.file_size();
    return total;
  };
  const uintmax_t before = log_bytes();
  auto again = Publish("chat", kAlice);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(Meta("chat")["module"], file);
  EXPECT_EQ(ModuleFiles("chat").size(), 1u);
  EXPECT_EQ(log_bytes(), before) << "no schema record for an unchanged module";
  auto rows = RunSql(*registry_->Find("chat"), Caller{kAlice, 0}, "SELECT * FROM message");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->at(0).rows.size(), 1u);

  ASSERT_TRUE(Publish("chat", kAlice, /*clear=*/true).ok());
  EXPECT_NE(Meta("chat")["module"], file) << "clear always updates";
  module_.push_back(0);  // different bytes, same schema: an update
  const std::string cleared = Meta("chat")["module"];
  ASSERT_TRUE(Publish("chat", kAlice).ok());
  EXPECT_NE(Meta("chat")["module"], cleared);
}

TEST_F(RegistryTest, PublishFileReadsTheModuleFromDisk) {
  // Proves PublishFile publishes as the operator, and a missing file is kIo.
  auto r = registry_->PublishFile("chat", QUICKSTART_CHAT_MODULE, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->created);
  EXPECT_EQ(registry_->PublishFile("chat", root_ / "nope.so", false).status().code(),
            ErrorCode::kIo);
}


// Writes a BackupSet out as a folder, as `spacetime backup` does with the archive.
void WriteBackup(const BackupSet& set, const fs::path& dir) {
  for (const auto& f : set.files) {
    fs::create_directories((dir / f.name).parent_path());
    std::string data(f.bytes, '\0');
    ASSERT_EQ(::pread(f.fd, data.data(), f.bytes, 0), static_cast<ssize_t>(f.bytes)) << f.name;
    std::ofstream(dir / f.name, std::ios::binary) << data;
  }
}

TEST_F(RegistryTest, ABackupRestoresIntoAnotherDataDirectoryAndIsCheckedFirst) {
  ASSERT_TRUE(Publish("chat", U256{{1, 0, 0, 0}}).ok());
  auto db = registry_->Find("chat");
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(CallHttp(*db, Caller{U256{{9, 0, 0, 0}}, 0}, "send_message",
                         StringArg("m" + std::to_string(i)))
                    .ok());
  }
  const fs::path backup = root_ / "backup";
  {
    auto set = registry_->Backup("chat");
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    ASSERT_TRUE(set->offset.has_value());
    WriteBackup(*set, backup);
  }
  EXPECT_EQ(registry_->Backup("nope").status().code(), ErrorCode::kNotFound);

  // A damaged copy is refused before anything is copied.
  const fs::path damaged = root_ / "damaged";
  fs::copy(backup, damaged, fs::copy_options::recursive);
  fs::path segment;
  for (const auto& e : fs::directory_iterator(damaged / "log")) segment = e.path();
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(segment) / 2));
    f.put('\x7f');
  }
  Registry other(root_ / "other", clock_, &DeriveIdentity);
  auto refused = other.Restore(damaged);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kDecode) << refused.status().ToString();
  EXPECT_FALSE(fs::exists(root_ / "other" / "chat"));

  // The good copy restores, with every message and its owner.
  auto restored = other.Restore(backup);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(*restored, "chat");
  EXPECT_TRUE(other.LoadAll().empty());
  auto copy = other.Find("chat");
  ASSERT_NE(copy, nullptr);
  auto rows = RunSql(*copy, Caller{}, "SELECT * FROM message");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0].rows.size(), 20u);
  EXPECT_EQ(other.Owner("chat"), (U256{{1, 0, 0, 0}}));
  // Restoring over an existing database is refused.
  EXPECT_EQ(other.Restore(backup).status().code(), ErrorCode::kAlreadyExists);
}

}  // namespace
}  // namespace stdb::db
