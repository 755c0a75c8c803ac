#include "log/archive.h"

#include <cstring>

#include "log/crc32c.h"

namespace stdb::log {

Status ValidateArchiveName(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return DecodeError("bad file name '" + std::string(name.substr(0, 64)) + "' in archive: " + why);
  };
  if (name.empty() || name.size() > kArchiveNameMax) return bad("empty or too long");
  int parts = 0;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return bad("empty, '.' or '..' part");
    for (char c : part) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) return bad("characters outside [A-Za-z0-9._-]");
    }
    if (++parts > 2) return bad("more than two path parts");
    start = end + 1;
  }
  return Status::Ok();
}

void AppendArchiveHeader(Bytes& out) {
  out.insert(out.end(), kArchiveMagic, kArchiveMagic + 8);
}

void AppendArchiveEntryHeader(std::string_view name, uint64_t size, Bytes& out) {
  ByteWriter w(out);
  w.U32(static_cast<uint32_t>(name.size()));
  out.insert(out.end(), name.begin(), name.end());
  w.U64(size);
}

void AppendArchiveEntryTrailer(uint32_t crc, Bytes& out) { ByteWriter(out).U32(crc); }

void AppendArchiveEnd(uint32_t files, Bytes& out) {
  ByteWriter w(out);
  w.U32(0);
  w.U32(files);
}

namespace {

uint32_t LoadU32(const Bytes& b) {
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}
uint64_t LoadU64(const Bytes& b) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | b[static_cast<size_t>(i)];
  return v;
}

}  // namespace

Status ArchiveReader::Malformed(const std::string& why) const {
  return DecodeError("malformed backup archive at byte " + std::to_string(pos_) + ": " + why);
}

void ArchiveReader::Fill(ByteView& data, size_t want) {
  const size_t take = std::min(want - buf_.size(), data.size());
  buf_.insert(buf_.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(take));
  data = data.subspan(take);
  pos_ += take;
}

Status ArchiveReader::Feed(ByteView data) {
  while (!data.empty()) {
    switch (state_) {
      case State::kMagic:
        Fill(data, 8);
        if (buf_.size() < 8) return Status::Ok();
        if (std::memcmp(buf_.data(), kArchiveMagic, 8) != 0) {
          return Malformed("not a stdb backup archive (bad magic)");
        }
        buf_.clear();
        state_ = State::kNameLength;
        break;
      case State::kNameLength: {
        Fill(data, 4);
        if (buf_.size() < 4) return Status::Ok();
        const uint32_t n = LoadU32(buf_);
        buf_.clear();
        if (n == 0) {
          state_ = State::kCount;
        } else if (n > kArchiveNameMax) {
          return Malformed("file name of " + std::to_string(n) + " bytes");
        } else {
          left_ = n;
          state_ = State::kName;
        }
        break;
      }
      case State::kName:
        Fill(data, left_);
        if (buf_.size() < left_) return Status::Ok();
        name_.assign(buf_.begin(), buf_.end());
        buf_.clear();
        if (Status s = ValidateArchiveName(name_); !s.ok()) return Malformed(s.message());
        state_ = State::kSize;
        break;
      case State::kSize: {
        Fill(data, 8);
        if (buf_.size() < 8) return Status::Ok();
        left_ = LoadU64(buf_);
        buf_.clear();
        if (left_ > kArchiveFileBytesMax) return Malformed("file '" + name_ + "' is too large");
        if (files_ >= kArchiveFilesMax) return Malformed("too many files");
        STDB_RETURN_IF_ERROR(cb_.begin_file(name_, left_));
        crc_ = 0;
        state_ = State::kData;
        break;
      }
      case State::kData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(left_, data.size()));
        const ByteView piece = data.first(take);
        crc_ = Crc32c(piece, crc_);
        STDB_RETURN_IF_ERROR(cb_.data(piece));
        data = data.subspan(take);
        pos_ += take;
        left_ -= take;
        if (left_ == 0) state_ = State::kCrc;
        break;
      }
      case State::kCrc:
        Fill(data, 4);
        if (buf_.size() < 4) return Status::Ok();
        if (LoadU32(buf_) != crc_) return Malformed("CRC mismatch in file '" + name_ + "'");
        buf_.clear();
        ++files_;
        STDB_RETURN_IF_ERROR(cb_.end_file());
        state_ = State::kNameLength;
        break;
      case State::kCount:
        Fill(data, 4);
        if (buf_.size() < 4) return Status::Ok();
        if (LoadU32(buf_) != files_) {
          return Malformed("the archive says " + std::to_string(LoadU32(buf_)) + " files, " +
                           std::to_string(files_) + " were read");
        }
        buf_.clear();
        state_ = State::kDone;
        break;
      case State::kDone:
        return Malformed("bytes after the end of the archive");
    }
  }
  // A zero-length file is complete as soon as its header is read.
  if (state_ == State::kData && left_ == 0) state_ = State::kCrc;
  return Status::Ok();
}

Status ArchiveReader::Finish() const {
  if (state_ != State::kDone) return Malformed("the archive ends early (incomplete backup)");
  return Status::Ok();
}

}  // namespace stdb::log
