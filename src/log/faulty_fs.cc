#include "log/faulty_fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace stdb::log {
namespace fs = std::filesystem;

namespace {

// A WritableFile over the base file system's file, consulting the fault settings of the
// FaultyFileSystem that opened it on every call.
class FaultyFile final : public WritableFile {
 public:
  FaultyFile(FaultyFileSystem& faults, std::unique_ptr<WritableFile> base, fs::path path)
      : faults_(faults), base_(std::move(base)), path_(std::move(path)) {}

  Status Append(ByteView data) override {
    if (faults_.fail_append.load()) {
      // A write that reached the disk only in part, as a crash or a full disk leaves it.
      const ByteView half = data.subspan(0, data.size() / 2);
      STDB_RETURN_IF_ERROR(WritePieces(half));
      return IoError("cannot write " + path_.string() + ": injected write failure");
    }
    return WritePieces(data);
  }

  Status Sync() override {
    faults_.syncs.fetch_add(1);
    {
      std::lock_guard lock(faults_.sync_mu);
      faults_.bytes_per_sync.push_back(unsynced_);
      unsynced_ = 0;
    }
    if (faults_.fail_sync.load()) {
      return IoError("cannot fsync " + path_.string() + ": injected fsync failure");
    }
    if (faults_.skip_sync.load()) return Status::Ok();
    return base_->Sync();
  }

  uint64_t size() const override { return base_->size(); }

  Status Truncate() override {
    if (faults_.fail_sync.load()) {
      return IoError("cannot truncate " + path_.string() + ": injected fsync failure");
    }
    return base_->Truncate();
  }

 private:
  // Splits `data` into base writes of at most max_write_bytes (short writes), counting
  // each in `appends`.
  Status WritePieces(ByteView data) {
    const uint64_t max = faults_.max_write_bytes.load();
    const size_t piece_max = max == 0 ? data.size() : static_cast<size_t>(max);
    do {
      const size_t n = std::min(piece_max, data.size());
      faults_.appends.fetch_add(1);
      unsynced_ += n;
      STDB_RETURN_IF_ERROR(base_->Append(data.subspan(0, n)));
      data = data.subspan(n);
    } while (!data.empty());
    return Status::Ok();
  }

  FaultyFileSystem& faults_;
  uint64_t unsynced_ = 0;  // bytes written since the last Sync
  const std::unique_ptr<WritableFile> base_;
  const fs::path path_;
};

Status Errno(const std::string& what, const fs::path& path) {
  return IoError(what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<WritableFile>> FaultyFileSystem::OpenAppend(const fs::path& path,
                                                                   uint64_t keep_bytes) {
  STDB_ASSIGN_OR_RETURN(auto base, base_.OpenAppend(path, keep_bytes));
  return std::unique_ptr<WritableFile>(std::make_unique<FaultyFile>(*this, std::move(base), path));
}

Result<std::unique_ptr<WritableFile>> FaultyFileSystem::OpenOverwrite(const fs::path& path) {
  STDB_ASSIGN_OR_RETURN(auto base, base_.OpenOverwrite(path));
  return std::unique_ptr<WritableFile>(std::make_unique<FaultyFile>(*this, std::move(base), path));
}

Result<Bytes> FaultyFileSystem::ReadFile(const fs::path& path) { return base_.ReadFile(path); }

Result<std::vector<std::string>> FaultyFileSystem::List(const fs::path& dir) {
  return base_.List(dir);
}

Status FaultyFileSystem::CreateDirectories(const fs::path& dir) {
  return base_.CreateDirectories(dir);
}

Status FaultyFileSystem::Rename(const fs::path& from, const fs::path& to) {
  return base_.Rename(from, to);
}

Status FaultyFileSystem::Remove(const fs::path& path) { return base_.Remove(path); }

Status FaultyFileSystem::SyncDirectory(const fs::path& dir) {
  syncs.fetch_add(1);
  if (fail_sync.load()) return IoError("cannot fsync " + dir.string() + ": injected fsync failure");
  if (skip_sync.load()) return Status::Ok();
  return base_.SyncDirectory(dir);
}

Status TruncateFile(const fs::path& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    return Errno("cannot truncate", path);
  }
  return Status::Ok();
}

Status FlipBit(const fs::path& path, uint64_t offset, int bit) {
  STDB_ASSERT(bit >= 0 && bit < 8);
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  uint8_t b = 0;
  Status s;
  if (::pread(fd, &b, 1, static_cast<off_t>(offset)) != 1) {
    s = IoError("cannot read byte " + std::to_string(offset) + " of " + path.string());
  } else {
    b ^= static_cast<uint8_t>(1u << bit);
    if (::pwrite(fd, &b, 1, static_cast<off_t>(offset)) != 1) s = Errno("cannot write", path);
  }
  ::close(fd);
  return s;
}

}  // namespace stdb::log
