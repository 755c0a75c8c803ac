// Log segments: the files of the commit log, and reading them back (recovery).
//
//   <log dir>/<first offset, 20 decimal digits>.stdblog
//
// A segment starts with a 20-byte header (magic "STDBLOG1", u64 first offset, u32
// CRC32C of the 16 bytes before it) followed by framed records (record.h) with
// consecutive offsets; the next segment starts at the offset after the last record of
// the one before. docs/commit-log.md has the byte format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "log/file.h"
#include "log/record.h"

namespace stdb::log {

inline constexpr size_t kSegmentHeaderBytes = 20;
inline constexpr char kSegmentSuffix[] = ".stdblog";

// "<20 digits>.stdblog".
std::string SegmentFileName(uint64_t first_offset);
// The first offset named by a segment file name; nullopt for other names.
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);
// Appends a segment header for `first_offset`.
void AppendSegmentHeader(uint64_t first_offset, Bytes& out);

// The most bytes the commit log writes between two fsyncs, unless a single record is
// larger (it is then written alone, its frame header first: see CommitLog). ReadLog's
// torn-tail window.
inline constexpr uint64_t kGroupBytesMax = 1ull << 20;

// Where appending resumes after reading the log.
struct LogEnd {
  uint64_t next_offset = 0;  // the offset the next record gets
  // The last segment and how many of its bytes are valid (the rest is a torn tail to
  // cut off). nullopt: there is no segment yet.
  std::optional<std::filesystem::path> last_segment;
  uint64_t last_segment_valid_bytes = 0;
  // What was repaired, one line each, for the server log: "truncated a torn record at
  // <file> byte <n> (<why>); <k> bytes dropped".
  std::vector<std::string> notices;
};

// Reads every record with offset >= `from_offset` in `dir`, in order, passing each to
// `on_record` (an error from it stops reading and is returned).
//
// Torn tail vs corruption (nothing acknowledged is ever dropped silently):
//   - The writer has at most one group written and not yet fsynced, of at most
//     kGroupBytesMax bytes (or one larger record alone). Its pages may reach the disk in
//     any order. So in the LAST segment, a bad frame (an incomplete frame header, a bad
//     length or payload CRC, a payload that runs past the end of the file, zeros) is a
//     torn write when everything after it is zeros, or, in a prepared segment a crash
//     left uncut (it ends in a page of zeros), everything from kGroupBytesMax bytes
//     after it (or the end of that frame, if its checked length says it is longer):
//     reading stops there and LogEnd says where to cut. So is a last segment shorter
//     than its header or all zeros (a crash while it was being started):
//     last_segment_valid_bytes is then 0 and CommitLog::Open writes the segment again.
//   - Anything else is corruption and fails with kDecode naming the file and the byte
//     offset: a bad frame with data beyond that window or in a closed segment, a record
//     length over kRecordBytesMax, an undecodable payload, an offset out of sequence, a
//     bad segment header, or a gap between segments at or after `from_offset`.
// Segments wholly before `from_offset` are not read. A missing `dir` is an empty log
// (next_offset = from_offset). If the log ends before `from_offset` (a snapshot newer
// than the log's durable end), next_offset = from_offset and last_segment is nullopt,
// so appending resumes in a new segment there; a notice says so.
Result<LogEnd> ReadLog(FileSystem& fs, const std::filesystem::path& dir, uint64_t from_offset,
                       const std::function<Status(TxRecord&&)>& on_record);

}  // namespace stdb::log
