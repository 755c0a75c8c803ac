#include "log/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace stdb::log {
namespace fs = std::filesystem;

namespace {

Status Errno(const std::string& what, const fs::path& path) {
  return IoError(what + " " + path.string() + ": " + std::strerror(errno));
}

class PosixFile final : public WritableFile {
 public:
  PosixFile(int fd, fs::path path, uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixFile() override { ::close(fd_); }

  Status Append(ByteView data) override {
    const uint8_t* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot write", path_);
      }
      p += n;
      left -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Errno("cannot fsync", path_);
    return Status::Ok();
  }

  uint64_t size() const override { return size_; }

  Status Truncate() override {
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0 || ::fdatasync(fd_) != 0) {
      return Errno("cannot truncate", path_);
    }
    return Status::Ok();
  }

 private:
  const int fd_;
  const fs::path path_;
  uint64_t size_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> OpenAppend(const fs::path& path,
                                                   uint64_t keep_bytes) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("cannot open", path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      Status s = Errno("cannot stat", path);
      ::close(fd);
      return s;
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (keep_bytes < size) {
      if (::ftruncate(fd, static_cast<off_t>(keep_bytes)) != 0 || ::fdatasync(fd) != 0) {
        Status s = Errno("cannot truncate", path);
        ::close(fd);
        return s;
      }
      size = keep_bytes;
    }
    if (::lseek(fd, static_cast<off_t>(size), SEEK_SET) < 0) {
      Status s = Errno("cannot seek in", path);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<WritableFile>(std::make_unique<PosixFile>(fd, path, size));
  }

  Result<std::unique_ptr<WritableFile>> OpenOverwrite(const fs::path& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Errno("cannot open", path);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixFile>(fd, path, 0));
  }

  Result<Bytes> ReadFile(const fs::path& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return NotFound("no file " + path.string());
      return Errno("cannot open", path);
    }
    Bytes out;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
    uint8_t buf[1 << 16];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status s = Errno("cannot read", path);
        ::close(fd);
        return s;
      }
      if (n == 0) break;
      out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return out;
  }

  Result<std::vector<std::string>> List(const fs::path& dir) override {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return names;
      return Errno("cannot list", dir);
    }
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDirectories(const fs::path& dir) override {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return IoError("cannot create " + dir.string() + ": " + ec.message());
    return Status::Ok();
  }

  Status Rename(const fs::path& from, const fs::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return Errno("cannot rename to " + to.string() + ":", from);
    return Status::Ok();
  }

  Status Remove(const fs::path& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove", path);
    return Status::Ok();
  }

  Status SyncDirectory(const fs::path& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno("cannot open", dir);
    const int rc = ::fsync(fd);
    Status s = rc == 0 ? Status::Ok() : Errno("cannot fsync", dir);
    ::close(fd);
    return s;
  }
};

}  // namespace

Status FileSystem::WriteFileDurably(const fs::path& path, ByteView data) {
  const fs::path tmp = path.string() + ".tmp";
  {
    STDB_ASSIGN_OR_RETURN(auto file, OpenAppend(tmp, 0));
    STDB_RETURN_IF_ERROR(file->Append(data));
    STDB_RETURN_IF_ERROR(file->Sync());
  }
  STDB_RETURN_IF_ERROR(Rename(tmp, path));
  return SyncDirectory(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

Status FileSystem::WriteZeros(const fs::path& path, uint64_t bytes, const std::atomic<bool>* stop) {
  STDB_ASSIGN_OR_RETURN(auto file, OpenAppend(path, 0));
  const Bytes zeros(std::min<uint64_t>(bytes, 1 << 20), 0);
  while (file->size() < bytes) {
    if (stop != nullptr && stop->load()) return IoError("stopped writing " + path.string());
    const uint64_t n = std::min<uint64_t>(zeros.size(), bytes - file->size());
    STDB_RETURN_IF_ERROR(file->Append(ByteView(zeros.data(), static_cast<size_t>(n))));
    // A piece at a time to the disk: 64 MiB of dirty pages flushed at once would stall
    // the commit log's own fsyncs behind them.
    STDB_RETURN_IF_ERROR(file->Sync());
  }
  return file->Sync();
}

FileSystem& FileSystem::Posix() {
  static PosixFileSystem fs;
  return fs;
}

}  // namespace stdb::log
