#include "db/registry.h"

#include <algorithm>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <random>

#include <unistd.h>

#include "base/log.h"
#include "log/file.h"
#include "obs/metrics.h"

namespace stdb::db {
namespace fs = std::filesystem;

namespace {

// A database folder being deleted is renamed to "<kDeletedPrefix><name>-<n>" first.
constexpr std::string_view kDeletedPrefix = ".deleted-";

// Durably: the commit log may depend on these files (a schema record names data that
// only this module file describes), so they must survive a power loss as well as it.
Status WriteFileAtomically(const fs::path& path, ByteView bytes) {
  return log::FileSystem::Posix().WriteFileDurably(path, bytes);
}

// The module files in a database folder other than `except`, newest first (their names
// carry the publish time).
std::vector<std::string> OtherModuleFiles(const fs::path& dir, const std::string& except) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name != except && name.starts_with("module-") && name.ends_with(".so")) out.push_back(name);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

}  // namespace

Registry::Registry(fs::path root, const Clock& clock,
                   std::function<U256(std::string_view)> derive_identity,
                   std::optional<DurabilityOptions> durability)
    : root_(std::move(root)),
      clock_(clock),
      derive_identity_(std::move(derive_identity)),
      durability_(std::move(durability)) {}

Database::Options Registry::OptionsFor(const std::string& name, const U256& identity,
                                       const std::optional<U256>& owner) const {
  Database::Options opts{name, identity, owner.value_or(U256{}), &clock_};
  opts.dir = root_ / name;
  if (durability_) {
    opts.durability = *durability_;
    opts.durability->dir = root_ / name;
  }
  return opts;
}

Registry::~Registry() {
  // Databases stop their workers as they are destroyed.
  std::lock_guard lock(mu_);
  databases_.clear();
}

Status Registry::ValidateName(std::string_view name) {
  auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  };
  if (name.empty() || name.size() > 64 || name[0] == '-' || name[0] == '_') {
    return InvalidArgument("invalid database name '" + std::string(name) +
                           "': use 1-64 characters of a-z, 0-9, '_' and '-', starting with a "
                           "letter or digit");
  }
  for (char c : name) {
    if (!ok_char(c)) {
      return InvalidArgument("invalid database name '" + std::string(name) +
                             "': use 1-64 characters of a-z, 0-9, '_' and '-'");
    }
  }
  return Status::Ok();
}

void Registry::StopAll() {
  std::vector<std::shared_ptr<Database>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, db] : databases_) all.push_back(db);
  }
  for (const auto& db : all) db->Stop();
}

std::shared_ptr<Database> Registry::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = databases_.find(name);
  return it == databases_.end() ? nullptr : it->second;
}

std::optional<U256> Registry::Owner(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = metas_.find(name);
  return it == metas_.end() ? std::nullopt : it->second.owner;
}

std::vector<std::string> Registry::Names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, db] : databases_) out.push_back(name);
  return out;
}

Status Registry::WriteMeta(const Meta& meta) const {
  nlohmann::json j{
      {"name", meta.name},
      {"identity", U256ToHex(meta.identity)},
      {"owner", meta.owner ? nlohmann::json(U256ToHex(*meta.owner)) : nlohmann::json()},
      {"module", meta.module_file}};
  const std::string text = j.dump(2) + "\n";
  return WriteFileAtomically(root_ / meta.name / "meta.json", AsBytes(text));
}

Result<Registry::Meta> Registry::ReadMeta(const fs::path& dir, bool check_folder) const {
  const fs::path path = dir / "meta.json";
  std::ifstream in(path);
  if (!in) return IoError("cannot read " + path.string());
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("name") || !j["name"].is_string() ||
      !j.contains("identity") || !j["identity"].is_string() || !j.contains("module") ||
      !j["module"].is_string()) {
    return DecodeError(path.string() + " is not valid database metadata");
  }
  Meta meta;
  meta.name = j["name"].get<std::string>();
  STDB_ASSIGN_OR_RETURN(meta.identity, U256FromHex(j["identity"].get<std::string>()));
  if (j.contains("owner") && j["owner"].is_string()) {
    STDB_ASSIGN_OR_RETURN(meta.owner, U256FromHex(j["owner"].get<std::string>()));
  }
  meta.module_file = j["module"].get<std::string>();
  if (meta.module_file.find('/') != std::string::npos ||
      (check_folder && meta.name != dir.filename().string())) {
    return DecodeError(path.string() + " names a module file or database outside its folder");
  }
  return meta;
}

std::vector<Status> Registry::LoadAll() {
  std::vector<Status> problems;
  std::error_code ec;
  if (!fs::exists(root_, ec)) return problems;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    // Hidden folders are not databases (a restore stages its copy in one); a leftover
    // of an interrupted delete is finished now.
    const std::string folder = entry.path().filename().string();
    if (entry.is_directory() && folder.starts_with(kDeletedPrefix)) {
      std::error_code rm;
      fs::remove_all(entry.path(), rm);
      if (rm) LogWarn("registry", "cannot remove " + entry.path().string() + ": " + rm.message());
      continue;
    }
    if (!entry.is_directory() || folder.starts_with(".")) continue;
    auto meta = ReadMeta(entry.path());
    if (!meta.ok()) {
      problems.push_back(meta.status());
      continue;
    }
    auto host = module::ModuleHost::Load(entry.path() / meta->module_file);
    if (!host.ok()) {
      problems.push_back(Status(host.status().code(),
                                "database '" + meta->name + "': " + host.status().message()));
      continue;
    }
    auto db = Database::Create(OptionsFor(meta->name, meta->identity, meta->owner),
                               std::move(host).value());
    if (!db.ok() && db.status().code() == ErrorCode::kInvalidArgument) {
      // The stored data follows another module's schema: a publish stopped after logging
      // its new schema and before recording its module file. That file is still here.
      for (const std::string& other : OtherModuleFiles(entry.path(), meta->module_file)) {
        auto other_host = module::ModuleHost::Load(entry.path() / other);
        if (!other_host.ok()) continue;
        auto other_db = Database::Create(OptionsFor(meta->name, meta->identity, meta->owner),
                                         std::move(other_host).value());
        if (!other_db.ok()) continue;
        LogWarn("registry", "database '" + meta->name + "': its data was written by module " +
                                other + ", not " + meta->module_file + " (a publish was "
                                "interrupted); serving " + other);
        meta->module_file = other;
        if (Status s = WriteMeta(*meta); !s.ok()) LogWarn("registry", s.message());
        db = std::move(other_db);
        break;
      }
    }
    if (!db.ok()) {
      problems.push_back(
          Status(db.status().code(), "database '" + meta->name + "': " + db.status().message()));
      continue;
    }
    std::lock_guard lock(mu_);
    metas_[meta->name] = *meta;
    databases_[meta->name] = std::move(db).value();
    LogInfo("registry", "loaded database '" + meta->name + "'");
  }
  return problems;
}

Status Registry::Delete(const std::string& name, std::optional<U256> requester) {
  STDB_RETURN_IF_ERROR(ValidateName(name));
  std::lock_guard publishing(publish_mu_);
  std::shared_ptr<Database> db;
  std::optional<Meta> meta;
  {
    std::lock_guard lock(mu_);
    if (auto it = databases_.find(name); it != databases_.end()) db = it->second;
    if (auto it = metas_.find(name); it != metas_.end()) meta = it->second;
  }
  if (!meta) {
    // Stored but not loaded (its module or data could not be read): still deletable.
    auto on_disk = ReadMeta(root_ / name);
    if (!on_disk.ok()) return NotFound("no database named '" + name + "'");
    meta = std::move(on_disk).value();
  }
  if (requester && (!meta->owner || *meta->owner != *requester)) {
    return Status(ErrorCode::kPermissionDenied,
                  meta->owner ? "only the owner of database '" + name + "' may delete it"
                              : "database '" + name + "' has no owner (it was started from the "
                                "server's command line); only the server operator can delete it");
  }
  {
    std::lock_guard lock(mu_);
    databases_.erase(name);
    metas_.erase(name);
  }
  // New requests now get "no database"; queued ones run, then clients are told why.
  if (db) db->Stop("database '" + name + "' was deleted");
  db.reset();
  obs::Global().RemoveDatabase(name);
  std::error_code ec;
  if (!fs::exists(root_ / name, ec)) return Status::Ok();
  // Rename first: one atomic step makes the database gone for every later start-up.
  fs::path doomed;
  for (int n = 0;; ++n) {
    doomed = root_ / (std::string(kDeletedPrefix) + name + "-" + std::to_string(n));
    if (!fs::exists(doomed, ec)) break;
  }
  fs::rename(root_ / name, doomed, ec);
  if (ec) {
    return IoError("cannot remove database folder " + (root_ / name).string() + ": " +
                   ec.message());
  }
  // The rename is what makes the delete survive a power loss.
  STDB_RETURN_IF_ERROR(log::FileSystem::Posix().SyncDirectory(root_));
  fs::remove_all(doomed, ec);
  if (ec) LogWarn("registry", "cannot remove " + doomed.string() + ": " + ec.message() +
                                  " (it is removed at the next start-up)");
  LogInfo("registry", "deleted database '" + name + "'");
  return Status::Ok();
}

std::vector<Registry::Info> Registry::List() const {
  std::map<std::string, Info> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    if (!entry.is_directory() || entry.path().filename().string().starts_with(".")) continue;
    auto meta = ReadMeta(entry.path());
    if (!meta.ok()) continue;
    out[meta->name] = Info{meta->name, meta->identity, meta->owner, meta->module_file, false};
  }
  std::lock_guard lock(mu_);
  for (const auto& [name, meta] : metas_) {
    out[name] = Info{name, meta.identity, meta.owner, meta.module_file, databases_.contains(name)};
  }
  std::vector<Info> list;
  for (auto& [name, info] : out) list.push_back(std::move(info));
  return list;
}

std::optional<Registry::Info> Registry::Describe(std::string_view name) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = metas_.find(name); it != metas_.end()) {
      return Info{it->second.name, it->second.identity, it->second.owner, it->second.module_file,
                  databases_.contains(name)};
    }
  }
  if (!ValidateName(name).ok()) return std::nullopt;
  auto meta = ReadMeta(root_ / std::string(name));
  if (!meta.ok()) return std::nullopt;
  return Info{meta->name, meta->identity, meta->owner, meta->module_file, false};
}

Result<BackupSet> Registry::Backup(std::string_view name) {
  // No publish in between: the module file and the log's schema must belong together.
  std::lock_guard publish_lock(publish_mu_);
  std::shared_ptr<Database> db;
  std::optional<Meta> meta;
  {
    std::lock_guard lock(mu_);
    if (auto it = databases_.find(name); it != databases_.end()) db = it->second;
    if (auto it = metas_.find(name); it != metas_.end()) meta = it->second;
  }
  if (!db || !meta) return NotFound("no database named '" + std::string(name) + "'");
  STDB_ASSIGN_OR_RETURN(BackupSet set, db->Backup());
  STDB_RETURN_IF_ERROR(set.Add(root_ / meta->name / "meta.json", "meta.json"));
  STDB_RETURN_IF_ERROR(set.Add(root_ / meta->name / meta->module_file, meta->module_file));
  return set;
}

Result<std::string> Registry::Restore(const fs::path& from) {
  auto meta = ReadMeta(from, /*check_folder=*/false);
  if (!meta.ok()) {
    return Status(meta.status().code(),
                  "--restore: " + from.string() + " is not a database backup: " + meta.status().message());
  }
  if (Status s = ValidateName(meta->name); !s.ok()) return Status(s.code(), "--restore: " + s.message());
  std::error_code ec;
  if (!fs::is_regular_file(from / meta->module_file, ec)) {
    return InvalidArgument("--restore: the backup lacks its module file " +
                           (from / meta->module_file).string());
  }
  // Check the data before copying anything: a damaged backup is refused, naming the file.
  DurabilityOptions check;
  check.dir = from;
  auto recovered = Recover(meta->name, check);
  if (!recovered.ok()) return Status(recovered.status().code(), "--restore: " + recovered.status().message());
  if (recovered->fresh) return InvalidArgument("--restore: " + from.string() + " holds no data");
  const fs::path target = root_ / meta->name;
  if (fs::exists(target, ec)) {
    return Status(ErrorCode::kAlreadyExists,
                  "--restore: database '" + meta->name + "' already exists in " + root_.string() +
                      " (its data may be newer than the backup); start without --restore to "
                      "serve it, or restore into another --db-path");
  }
  const fs::path staging = root_ / (".restore-" + meta->name);
  fs::remove_all(staging, ec);
  fs::create_directories(root_, ec);
  fs::copy(from, staging, fs::copy_options::recursive, ec);
  if (ec) {
    fs::remove_all(staging, ec);
    return IoError("--restore: cannot copy " + from.string() + " to " + staging.string() + ": " +
                   ec.message());
  }
  ::sync();  // the copy is durable before it becomes the database
  fs::rename(staging, target, ec);
  if (ec) return IoError("--restore: cannot rename " + staging.string() + ": " + ec.message());
  STDB_RETURN_IF_ERROR(log::FileSystem::Posix().SyncDirectory(root_));
  LogInfo("registry", "restored database '" + meta->name + "' from " + from.string() + " (" +
                          std::to_string(recovered->store.table_count()) + " tables, next offset " +
                          std::to_string(recovered->end.next_offset) + ")");
  return meta->name;
}

Result<fs::path> Registry::WriteModuleFile(const std::string& name, ByteView bytes) const {
  std::error_code ec;
  fs::create_directories(root_ / name, ec);
  if (ec) return IoError("cannot create " + (root_ / name).string() + ": " + ec.message());
  // A fresh file name per version: the dynamic loader caches libraries by path, and the
  // previous version's file is deleted after a successful update.
  std::random_device rd;
  fs::path path;
  do {
    path = root_ / name /
           ("module-" + std::to_string(clock_.NowMicros()) + "-" + std::to_string(rd()) + ".so");
  } while (fs::exists(path, ec));
  STDB_RETURN_IF_ERROR(WriteFileAtomically(path, bytes));
  return path;
}

Result<Registry::PublishResult> Registry::Publish(const std::string& name, ByteView module_bytes,
                                                  std::optional<U256> publisher, bool clear) {
  std::lock_guard publish_lock(publish_mu_);
  return PublishLocked(name, module_bytes, publisher, clear);
}

Result<Registry::PublishResult> Registry::PublishLocked(const std::string& name,
                                                        ByteView module_bytes,
                                                        std::optional<U256> publisher, bool clear) {
  STDB_RETURN_IF_ERROR(ValidateName(name));
  if (module_bytes.empty()) return InvalidArgument("the module is empty");
  if (module_bytes.size() > kModuleBytesMax) {
    return InvalidArgument("the module is larger than " + std::to_string(kModuleBytesMax >> 20) +
                           " MiB");
  }
  std::shared_ptr<Database> existing;
  std::optional<Meta> meta;
  {
    std::lock_guard lock(mu_);
    if (auto it = databases_.find(name); it != databases_.end()) existing = it->second;
    if (auto it = metas_.find(name); it != metas_.end()) meta = it->second;
  }
  // A database can be on disk without running (LoadAll could not load it, e.g. its
  // module file is damaged). It still belongs to the owner in its meta.json: without
  // this, any identity could publish over it and take it.
  std::optional<Meta> stranded;
  if (!existing) {
    auto on_disk = ReadMeta(root_ / name);
    if (on_disk.ok()) stranded = std::move(on_disk).value();
  }
  const std::optional<U256> owner =
      existing ? meta->owner : (stranded ? stranded->owner : std::nullopt);
  if (publisher && owner && *owner != *publisher) {
    return Status(ErrorCode::kPermissionDenied,
                  "only the owner of database '" + name + "' may publish to it");
  }
  // The same module again (every `spacetimedb start --module` of an unchanged file, or
  // a repeated publish): nothing to do. An update would log a schema record and close
  // every client ("module replaced") for no change.
  if (existing && !clear && !(!meta->owner && publisher)) {
    std::error_code ec;
    const fs::path current = root_ / name / meta->module_file;
    if (fs::file_size(current, ec) == module_bytes.size() && !ec) {
      std::ifstream in(current, std::ios::binary);
      Bytes stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (std::equal(stored.begin(), stored.end(), module_bytes.begin(), module_bytes.end())) {
        LogInfo("registry", "database '" + name + "': module unchanged, nothing to update");
        return PublishResult{false, meta->identity, /*unchanged=*/true};
      }
    }
  }
  STDB_ASSIGN_OR_RETURN(fs::path file, WriteModuleFile(name, module_bytes));
  auto host = module::ModuleHost::Load(file);
  if (!host.ok()) {
    std::error_code ec;
    fs::remove(file, ec);
    // A first publish created the folder: take it away again if nothing else is in it
    // (remove() refuses a non-empty folder), or LoadAll reports it at every start.
    if (!existing) fs::remove(root_ / name, ec);
    return host.status();
  }
  if (existing) {
    std::promise<Status> swapped;
    std::optional<U256> claim;
    if (!meta->owner && publisher) claim = publisher;
    Status queued = existing->UpdateModule(std::move(host).value(), clear, claim,
                                           [&](Status s) { swapped.set_value(std::move(s)); });
    Status s = queued.ok() ? swapped.get_future().get() : queued;
    std::error_code ec;
    // kReducerError means the swap happened but init failed afterwards: the new module
    // is the one running, so the files must say so too.
    if (!s.ok() && s.code() != ErrorCode::kReducerError) {
      fs::remove(file, ec);
      return s;
    }
    const std::string old_file = meta->module_file;
    meta->module_file = file.filename().string();
    if (!meta->owner && publisher) meta->owner = publisher;
    STDB_RETURN_IF_ERROR(WriteMeta(*meta));
    fs::remove(root_ / name / old_file, ec);
    {
      std::lock_guard lock(mu_);
      metas_[name] = *meta;
    }
    if (!s.ok()) return s;
    return PublishResult{false, meta->identity};
  }
  Meta fresh{name, derive_identity_(name), publisher ? publisher : owner, file.filename().string()};
  if (stranded && clear) {
    // --delete-data on a database that could not be loaded (its stored data does not fit
    // any module it has): the owner asked for its data to go.
    std::error_code ec;
    fs::remove_all(LogDir(root_ / name), ec);
    fs::remove_all(SnapshotDir(root_ / name), ec);
    LogWarn("registry", "database '" + name + "': stored data deleted (--delete-data)");
  }
  auto db = Database::Create(OptionsFor(name, fresh.identity, fresh.owner), std::move(host).value());
  if (!db.ok()) {
    std::error_code ec;
    if (stranded) {
      fs::remove(file, ec);  // the stranded database's own files stay
    } else {
      fs::remove_all(root_ / name, ec);
      // No database of this name exists: its series go too (failed publishes under new
      // names must not grow the metrics without bound).
      obs::Global().RemoveDatabase(name);
    }
    return db.status();
  }
  STDB_RETURN_IF_ERROR(WriteMeta(fresh));
  if (stranded && stranded->module_file != fresh.module_file) {
    std::error_code ec;
    fs::remove(root_ / name / stranded->module_file, ec);
  }
  std::lock_guard lock(mu_);
  metas_[name] = fresh;
  databases_[name] = std::move(db).value();
  LogInfo("registry", "created database '" + name + "'");
  return PublishResult{true, fresh.identity};
}

Result<Registry::PublishResult> Registry::PublishFile(const std::string& name, const fs::path& file,
                                                      bool clear) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return IoError("cannot read module file " + file.string());
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Publish(name, bytes, std::nullopt, clear);
}

}  // namespace stdb::db
