#include "log/segment.h"

#include <algorithm>
#include <cstring>

#include "log/crc32c.h"

namespace stdb::log {
namespace fs = std::filesystem;

namespace {

// Segment header (docs/commit-log.md "Segments"):
//   bytes 0-7   magic "STDBLOG1"
//   bytes 8-15  u64 first offset (equals the offset in the file name)
//   bytes 16-19 u32 CRC32C of bytes 0-15
constexpr char kMagic[8] = {'S', 'T', 'D', 'B', 'L', 'O', 'G', '1'};
constexpr size_t kNameDigits = 20;

uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

bool AllZero(ByteView b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

std::string At(const fs::path& file, uint64_t pos) {
  return file.string() + " byte " + std::to_string(pos);
}

Status Corrupt(const fs::path& file, uint64_t pos, const std::string& why) {
  return DecodeError("commit log corrupt at " + At(file, pos) + ": " + why);
}

// Reads one segment; state carried from segment to segment.
struct Reader {
  uint64_t from_offset;
  const std::function<Status(TxRecord&&)>& on_record;
  uint64_t expected = 0;  // the offset the next record must carry
  LogEnd end;

  // Checks the header of `file` (`data` its contents). Returns false (and sets the end)
  // for a torn header in the last segment.
  Result<bool> CheckHeader(const fs::path& file, ByteView data, uint64_t first, bool last) {
    // A crash while a segment was being started: its header is synced before any
    // record is written to it, so nothing in it was ever durable.
    const bool torn = data.size() < kSegmentHeaderBytes || AllZero(data);
    if (torn && last) {
      end.last_segment = file;
      end.last_segment_valid_bytes = 0;
      end.notices.push_back("truncated a torn segment header at " + At(file, 0) + "; " +
                            std::to_string(data.size()) + " bytes dropped");
      return false;
    }
    if (data.size() < kSegmentHeaderBytes) {
      return Corrupt(file, 0, "segment header is " + std::to_string(data.size()) + " bytes");
    }
    uint64_t header_first = 0;
    std::memcpy(&header_first, data.data() + 8, 8);
    if (std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
      return Corrupt(file, 0, "bad segment magic");
    }
    if (Crc32c(data.subspan(0, 16)) != LoadU32(data.data() + 16)) {
      return Corrupt(file, 16, "bad segment header CRC");
    }
    if (header_first != first) {
      return Corrupt(file, 8,
                     "segment header says first offset " + std::to_string(header_first) +
                         ", file name says " + std::to_string(first));
    }
    return true;
  }

  // Stops at a torn tail of the last segment: records where appending resumes.
  void TornTail(const fs::path& file, ByteView data, uint64_t pos, const std::string& why) {
    end.last_segment_valid_bytes = pos;
    end.notices.push_back("truncated a torn record at " + At(file, pos) + " (" + why + "); " +
                          std::to_string(data.size() - pos) + " bytes dropped");
  }

  // A bad frame at `pos` of the last segment (`frame_bytes` long, 0 if its length is
  // unknown) is a torn tail when nothing but zeros follows it. In a prepared segment
  // that a crash left uncut (it ends in at least a page of zeros) the writer's last
  // group may have reached the disk out of order: holes and stray pages are expected
  // within kGroupBytesMax bytes of the bad frame (or within the frame, if its checked
  // length says it is longer); data beyond that was written after a later fsync, so the
  // damage is in something that was durable.
  static bool TornWindow(ByteView data, uint64_t pos, uint64_t frame_bytes) {
    constexpr size_t kPage = 4096;
    const bool uncut_prepared =
        data.size() - pos > kPage && AllZero(data.subspan(data.size() - kPage));
    const uint64_t window =
        uncut_prepared ? std::max<uint64_t>(kGroupBytesMax, frame_bytes) : frame_bytes;
    const uint64_t end = window >= data.size() - pos ? data.size() : pos + window;
    return AllZero(data.subspan(end));
  }

  Status Segment(const fs::path& file, ByteView data, uint64_t first, bool last) {
    STDB_ASSIGN_OR_RETURN(const bool has_header, CheckHeader(file, data, first, last));
    if (!has_header) return Status::Ok();
    end.last_segment = file;
    uint64_t pos = kSegmentHeaderBytes;
    // Stops at a bad frame: a torn tail (last segment, nothing after the window) or
    // corruption. `frame_bytes`: the frame's size if its length CRC checked, else 0.
    const auto bad = [&](const std::string& torn_why, const std::string& corrupt_why,
                         uint64_t frame_bytes) -> Status {
      if (last && TornWindow(data, pos, frame_bytes)) {
        TornTail(file, data, pos, torn_why);
        return Status::Ok();
      }
      return Corrupt(file, pos, corrupt_why);
    };
    while (pos < data.size()) {
      const ByteView rest = data.subspan(pos);
      if (last && AllZero(rest)) {
        TornTail(file, data, pos, "zero-filled tail");
        return Status::Ok();
      }
      if (rest.size() < kFrameHeaderBytes) {
        return bad("incomplete frame header",
                   "incomplete frame header at the end of a closed segment", kFrameHeaderBytes);
      }
      const uint32_t len = LoadU32(rest.data());
      if (Crc32c(rest.subspan(0, 4)) != LoadU32(rest.data() + 4)) {
        return bad("bad record length CRC in the last group",
                   last ? "bad record length CRC with data after the last group"
                        : "bad record length CRC",
                   0);
      }
      if (len > kRecordBytesMax) {
        return Corrupt(file, pos, "record length " + std::to_string(len) + " over the maximum");
      }
      const uint64_t frame_bytes = kFrameHeaderBytes + uint64_t{len};
      if (len > rest.size() - kFrameHeaderBytes) {
        return bad("payload runs past the end of the file",
                   "payload runs past the end of a closed segment", frame_bytes);
      }
      const ByteView payload = rest.subspan(kFrameHeaderBytes, len);
      if (Crc32c(payload) != LoadU32(rest.data() + 8)) {
        // The last group of a crash: the frame may be complete in size while its bytes
        // were not all written (or were written out of order).
        return bad("bad payload CRC in the last group",
                   last ? "bad payload CRC with data after the last group"
                        : "bad payload CRC in a closed segment",
                   frame_bytes);
      }
      STDB_RETURN_IF_ERROR(Record(file, pos, payload));
      pos += frame_bytes;
    }
    end.last_segment_valid_bytes = pos;
    return Status::Ok();
  }

  Status Record(const fs::path& file, uint64_t pos, ByteView payload) {
    auto rec = DecodeRecordPayload(payload);
    if (!rec.ok()) return Corrupt(file, pos, rec.status().message());
    if (rec->offset != expected) {
      return Corrupt(file, pos,
                     "record offset " + std::to_string(rec->offset) +
                         " out of sequence (expected " + std::to_string(expected) + ")");
    }
    ++expected;
    if (rec->offset < from_offset) return Status::Ok();
    return on_record(std::move(rec).value());
  }
};

struct SegmentName {
  uint64_t first;
  std::string name;
};

Result<std::vector<SegmentName>> ListSegments(FileSystem& fs, const fs::path& dir) {
  STDB_ASSIGN_OR_RETURN(auto names, fs.List(dir));
  std::vector<SegmentName> out;
  for (std::string& name : names) {
    if (auto first = ParseSegmentFileName(name)) out.push_back({*first, std::move(name)});
  }
  // Names have a fixed number of digits, so List's order is already by offset.
  STDB_ASSERT(std::is_sorted(out.begin(), out.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; }));
  return out;
}

}  // namespace

std::string SegmentFileName(uint64_t first_offset) {
  std::string digits = std::to_string(first_offset);
  return std::string(kNameDigits - digits.size(), '0') + digits + kSegmentSuffix;
}

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  const std::string_view suffix = kSegmentSuffix;
  if (name.size() != kNameDigits + suffix.size() || !name.ends_with(suffix)) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < kNameDigits; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

void AppendSegmentHeader(uint64_t first_offset, Bytes& out) {
  const size_t start = out.size();
  ByteWriter w(out);
  w.Raw(kMagic, sizeof kMagic);
  w.U64(first_offset);
  w.U32(Crc32c(ByteView(out.data() + start, 16)));
  STDB_ASSERT(out.size() - start == kSegmentHeaderBytes);
}

Result<LogEnd> ReadLog(FileSystem& fs, const fs::path& dir, uint64_t from_offset,
                       const std::function<Status(TxRecord&&)>& on_record) {
  STDB_ASSIGN_OR_RETURN(const auto segments, ListSegments(fs, dir));
  Reader reader{from_offset, on_record};
  if (segments.empty()) {
    reader.end.next_offset = from_offset;
    return std::move(reader.end);
  }
  // The first segment to read is the last one starting at or before from_offset: the
  // ones before it hold only earlier records.
  size_t start = 0;
  while (start + 1 < segments.size() && segments[start + 1].first <= from_offset) ++start;
  if (segments[start].first > from_offset) {
    return Corrupt(dir / segments[start].name, 0,
                   "records from " + std::to_string(from_offset) + " to " +
                       std::to_string(segments[start].first - 1) + " are missing");
  }
  reader.expected = segments[start].first;
  for (size_t i = start; i < segments.size(); ++i) {
    const fs::path file = dir / segments[i].name;
    if (segments[i].first != reader.expected) {
      return Corrupt(file, 0,
                     "segment starts at offset " + std::to_string(segments[i].first) +
                         ", but the segment before it continues at offset " +
                         std::to_string(reader.expected) + " (records missing or repeated)");
    }
    STDB_ASSIGN_OR_RETURN(const Bytes data, fs.ReadFile(file));
    STDB_RETURN_IF_ERROR(reader.Segment(file, data, segments[i].first, i + 1 == segments.size()));
  }
  reader.end.next_offset = reader.expected;
  if (reader.expected < from_offset) {
    // The log ends before the state the caller already has (a snapshot taken past the
    // durable offset, then a crash). Appending resumes in a new segment at from_offset;
    // the records in between exist only in the snapshot.
    reader.end.notices.push_back("the log ends before offset " + std::to_string(from_offset) +
                                 "; a new segment starts there");
    reader.end.next_offset = from_offset;
    reader.end.last_segment.reset();
    reader.end.last_segment_valid_bytes = 0;
  }
  return std::move(reader.end);
}

}  // namespace stdb::log
