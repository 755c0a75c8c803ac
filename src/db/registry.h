// Registry: the databases a server hosts, by name, and their files in the data directory.
//
// Layout under the root directory (docs/data-dir.md):
//   <root>/<name>/meta.json        {"name", "identity", "owner" (hex or null), "module"}
//   <root>/<name>/<module file>    the published module (*.so), one per version
//   <root>/<name>/module.log[.1]   the module log (db/module_log.h)
//   <root>/<name>/log/, snapshots/ the commit log and snapshots (db/durability.h)
//
// Thread safety: all methods may be called from any thread. Publish blocks (it writes
// files, loads the module and may run init); call it off the network IO threads.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/int256.h"
#include "base/status.h"
#include "db/database.h"

namespace stdb::db {

// Bounded: the largest module file accepted.
inline constexpr size_t kModuleBytesMax = 256 << 20;

class Registry {
 public:
  // `derive_identity` maps a database name to its identity (src/auth decides how).
  // `durability` applies to every database (its `dir` is set per database); nullopt
  // keeps data in memory only.
  Registry(std::filesystem::path root, const Clock& clock,
           std::function<U256(std::string_view name)> derive_identity,
           std::optional<DurabilityOptions> durability = DurabilityOptions{});
  ~Registry();

  // Stops every database's worker (Database::Stop) for shutdown: call it after the
  // network server has stopped and before it is destroyed. Databases refuse requests
  // afterwards.
  void StopAll();

  // Loads every database stored under the root. A database that fails to load is
  // reported in the returned list and skipped; the others are served.
  std::vector<Status> LoadAll();

  std::shared_ptr<Database> Find(std::string_view name) const;
  std::vector<std::string> Names() const;
  // The owner of database `name`: nullopt when there is no such database or it has no
  // owner yet (created from the command line and not yet claimed by a publish).
  std::optional<U256> Owner(std::string_view name) const;

  struct PublishResult {
    bool created = false;  // a new database; otherwise an update
    U256 identity;
    bool unchanged = false;  // the same module bytes were already running: nothing done
  };
  // Publishes `module_bytes` as database `name` for `publisher` (nullopt: the server
  // operator, from the command line). Creating a database makes the publisher its
  // owner; updating needs the owner (a database with no owner is claimed by its first
  // publisher). On any failure the previous module keeps running. Errors:
  // kInvalidArgument (bad name, incompatible schema without `clear`), kBadModule,
  // kPermissionDenied, kReducerError (init failed), kIo.
  Result<PublishResult> Publish(const std::string& name, ByteView module_bytes,
                                std::optional<U256> publisher, bool clear);
  // Reads a module file and publishes it as the server operator.
  Result<PublishResult> PublishFile(const std::string& name, const std::filesystem::path& file,
                                    bool clear);

  // Deletes database `name` for `requester` (nullopt: the server operator): stops it,
  // closes its clients ("database deleted"), and removes its folder (renamed to a hidden
  // one first, so a crash mid-delete never leaves a half-removed database that LoadAll
  // would try to serve). Only the owner may delete; a database with no owner only the
  // operator. Works for a stored database that could not be loaded, too. Errors:
  // kNotFound, kPermissionDenied, kIo.
  Status Delete(const std::string& name, std::optional<U256> requester);

  // What `spacetime list` and `describe` show of a database.
  struct Info {
    std::string name;
    U256 identity;
    std::optional<U256> owner;
    std::string module_file;
    bool running = false;  // false: stored, but could not be loaded (see the server log)
  };
  std::vector<Info> List() const;
  std::optional<Info> Describe(std::string_view name) const;

  // A backup of database `name`: its durable state (Database::Backup) plus meta.json and
  // the module file. kNotFound if there is no such database.
  Result<BackupSet> Backup(std::string_view name);
  // Copies a backup folder (as `spacetime backup` writes it) into the data directory as
  // the database its meta.json names, after checking it by recovering it in memory (a
  // damaged backup is refused naming the file). Call before LoadAll. kAlreadyExists if
  // that database exists. Returns the database name.
  Result<std::string> Restore(const std::filesystem::path& from);

  // Checks a database name: 1-64 characters of [a-z0-9_-], starting with a letter or digit.
  static Status ValidateName(std::string_view name);

 private:
  struct Meta {
    std::string name;
    U256 identity;
    std::optional<U256> owner;
    std::string module_file;
  };
  Status WriteMeta(const Meta& meta) const;
  // `check_folder`: the folder must be named after the database (not so for a backup).
  Result<Meta> ReadMeta(const std::filesystem::path& dir, bool check_folder = true) const;
  Result<std::filesystem::path> WriteModuleFile(const std::string& name, ByteView bytes) const;
  Database::Options OptionsFor(const std::string& name, const U256& identity,
                               const std::optional<U256>& owner) const;
  Result<PublishResult> PublishLocked(const std::string& name, ByteView module_bytes,
                                      std::optional<U256> publisher, bool clear);

  const std::filesystem::path root_;
  const Clock& clock_;
  std::function<U256(std::string_view)> derive_identity_;
  const std::optional<DurabilityOptions> durability_;
  std::mutex publish_mu_;  // serialises publishes (file writes, loads, swaps)
  mutable std::mutex mu_;  // guards databases_ and metas_
  std::map<std::string, std::shared_ptr<Database>, std::less<>> databases_;
  std::map<std::string, Meta, std::less<>> metas_;
};

}  // namespace stdb::db
