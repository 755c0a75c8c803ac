// FaultyFileSystem: a FileSystem over the real one (under a test's temporary folder)
// that injects the faults a disk can produce, for the fault-injection tests of the log,
// snapshots and databases.
//
// Thread safety: the fault settings are atomics; set them from a test thread while
// another thread writes.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>
#include <cstdint>

#include "log/file.h"

namespace stdb::log {

class FaultyFileSystem final : public FileSystem {
 public:
  explicit FaultyFileSystem(FileSystem& base = FileSystem::Posix()) : base_(base) {}

  // Each underlying write(2) writes at most this many bytes (short writes, which
  // WritableFile::Append must retry). 0 = no limit.
  std::atomic<uint64_t> max_write_bytes{0};
  // Once set, every Sync and SyncDirectory fails with kIo ("injected fsync failure").
  std::atomic<bool> fail_sync{false};
  // Once set, Sync and SyncDirectory succeed without syncing (fuzzing, where durability
  // is not under test and an fsync per input would slow it a hundredfold).
  std::atomic<bool> skip_sync{false};
  // Once set, every Append fails with kIo after writing half its bytes.
  std::atomic<bool> fail_append{false};
  // Counters, for tests that check group commit (syncs < appends): file Syncs
  // attempted (not SyncDirectory), and base writes issued (pieces of short writes).
  std::atomic<uint64_t> syncs{0};
  std::atomic<uint64_t> appends{0};
  // The bytes each file Sync covered (written to that file since its previous Sync), in
  // order, for tests of group sizes. Guarded by sync_mu.
  std::mutex sync_mu;
  std::vector<uint64_t> bytes_per_sync;

  Result<std::unique_ptr<WritableFile>> OpenAppend(const std::filesystem::path& path,
                                                   uint64_t keep_bytes) override;
  Result<std::unique_ptr<WritableFile>> OpenOverwrite(const std::filesystem::path& path) override;
  Result<Bytes> ReadFile(const std::filesystem::path& path) override;
  Result<std::vector<std::string>> List(const std::filesystem::path& dir) override;
  Status CreateDirectories(const std::filesystem::path& dir) override;
  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Status Remove(const std::filesystem::path& path) override;
  Status SyncDirectory(const std::filesystem::path& dir) override;

 private:
  FileSystem& base_;
};

// Test helpers that damage files in place, as a crash or a bad disk would.
// Cuts `path` to `size` bytes.
Status TruncateFile(const std::filesystem::path& path, uint64_t size);
// Flips bit `bit` (0-7) of byte `offset` of `path`.
Status FlipBit(const std::filesystem::path& path, uint64_t offset, int bit);

}  // namespace stdb::log
