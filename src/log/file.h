// The file layer under the commit log and snapshots. Everything durable goes through a
// FileSystem, so tests can inject faults (faulty_fs.h): short writes, failed fsyncs,
// torn tails, flipped bits.
//
// Thread safety: a FileSystem may be used from several threads at once; a WritableFile
// by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace stdb::log {

// A file opened for appending.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data` (retrying short writes). kIo naming the file on failure; after
  // a failure the file's contents past the last successful Sync are unknown.
  virtual Status Append(ByteView data) = 0;
  // Makes everything appended so far durable (fdatasync). kIo naming the file on failure.
  virtual Status Sync() = 0;
  // Bytes in the file (what was there when opened plus what was appended); for a file
  // opened with OpenOverwrite, the bytes written (its preallocated rest is not counted).
  virtual uint64_t size() const = 0;
  // Cuts the file at size() (dropping a preallocated rest) and makes that durable.
  virtual Status Truncate() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens `path` for appending, creating it if missing. Existing bytes past `keep_bytes`
  // are cut off first (recovery truncates a torn tail this way); keep_bytes = UINT64_MAX
  // keeps everything.
  virtual Result<std::unique_ptr<WritableFile>> OpenAppend(const std::filesystem::path& path,
                                                           uint64_t keep_bytes = UINT64_MAX) = 0;
  // Opens the existing file `path` for writing from its first byte, keeping its length:
  // writes overwrite what is there (a preallocated segment's zeros). size() starts at 0.
  virtual Result<std::unique_ptr<WritableFile>> OpenOverwrite(const std::filesystem::path& path) = 0;
  // Makes `path` a file of `bytes` zero bytes, durably (written and fsynced, so that
  // later overwrites need no block allocation: fdatasync then flushes data only).
  // If `stop` is given and becomes true, it stops between 1 MiB writes with kIo.
  Status WriteZeros(const std::filesystem::path& path, uint64_t bytes,
                    const std::atomic<bool>* stop = nullptr);
  // The whole contents of `path`. kNotFound if it does not exist, kIo otherwise.
  virtual Result<Bytes> ReadFile(const std::filesystem::path& path) = 0;
  // File names (not paths) in `dir`, sorted; empty if `dir` does not exist.
  virtual Result<std::vector<std::string>> List(const std::filesystem::path& dir) = 0;
  virtual Status CreateDirectories(const std::filesystem::path& dir) = 0;
  // rename(2): atomic replace.
  virtual Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  // Removes a file; a missing file is not an error.
  virtual Status Remove(const std::filesystem::path& path) = 0;
  // fsync of a directory, so that created, renamed and removed entries are durable.
  virtual Status SyncDirectory(const std::filesystem::path& dir) = 0;

  // Writes `path` whole and durably: to "<path>.tmp", fsync, rename, fsync the folder.
  Status WriteFileDurably(const std::filesystem::path& path, ByteView data);

  // The real file system (POSIX calls).
  static FileSystem& Posix();
};

}  // namespace stdb::log
