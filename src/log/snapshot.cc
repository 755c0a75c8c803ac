#include "log/snapshot.h"

#include <zstd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

#include "log/crc32c.h"

namespace stdb::log {
namespace fs = std::filesystem;

namespace {

// Header layout (docs/snapshots.md): byte positions of the fields.
constexpr char kMagic[] = "STDBSNP1";
constexpr size_t kMagicBytes = 8;
constexpr size_t kEpochAt = 8;
constexpr size_t kOffsetAt = 16;
constexpr size_t kRawBytesAt = 24;
constexpr size_t kCompressedBytesAt = 32;
constexpr size_t kBodyCrcAt = 40;
constexpr size_t kHeaderCrcAt = 44;
static_assert(kHeaderCrcAt + 4 == kSnapshotHeaderBytes);
static_assert(sizeof(kMagic) - 1 == kMagicBytes);

constexpr size_t kOffsetDigits = 20;  // UINT64_MAX has 20 decimal digits
constexpr size_t kSuffixBytes = sizeof(kSnapshotSuffix) - 1;

// The fewest body bytes each counted item takes, so that a count read from the body can
// be checked against the bytes left before anything is reserved for it.
// A table: table_id u32, name length u32, sequence count u32, row_count u64, rows length u64.
constexpr size_t kTableBytesMin = 4 + 4 + 4 + 8 + 8;
constexpr size_t kSequenceBytes = 2 + 8;  // column u16, next u64
constexpr size_t kRowFrameBytes = 4;      // u32 row length

// zstd (RFC 8878): every block has a 3-byte header and decompresses to at most 128 KiB,
// so a frame of C bytes cannot hold more than C / 3 * 128 KiB. A raw size beyond that is
// refused before the buffer for it is allocated.
constexpr uint64_t kZstdBlockHeaderBytes = 3;
constexpr uint64_t kZstdBlockBytesMax = 128 << 10;
// Speed over size: snapshots are compressed while the database runs.
constexpr int kZstdLevel = 1;

struct Header {
  uint64_t epoch = 0;
  uint64_t offset = 0;
  uint64_t raw_bytes = 0;
  uint64_t compressed_bytes = 0;
  uint32_t body_crc = 0;
  uint32_t header_crc = 0;
};

// Little-endian fixed-width fields at a header position (this code base targets
// little-endian hosts, as ByteWriter does).
template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void Store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// The byte of `rows` where its framing goes wrong (as ForEachSnapshotRow reports it), or
// nullopt if it holds exactly `row_count` framed rows. Bounded by rows.size() / 4 steps.
std::optional<size_t> FirstMalformedRow(ByteView rows, uint64_t row_count) {
  size_t pos = 0;
  uint64_t seen = 0;
  while (pos < rows.size()) {
    if (rows.size() - pos < kRowFrameBytes) return pos;
    const uint32_t len = Load<uint32_t>(rows.data() + pos);
    if (rows.size() - pos - kRowFrameBytes < len) return pos;
    pos += kRowFrameBytes + len;
    ++seen;
  }
  STDB_ASSERT(pos == rows.size());
  if (seen != row_count) return pos;
  return std::nullopt;
}

// Produces the body as a sequence of pieces, calling emit(ByteView) for each. Small
// fields are gathered in a scratch buffer; module_def and each rows buffer are passed
// through whole, so WriteSnapshot streams them into zstd without copying them first.
template <typename Emit>
void EmitBody(const SnapshotData& data, Emit&& emit) {
  Bytes scratch;
  ByteWriter w(scratch);
  w.U32(static_cast<uint32_t>(data.module_def.size()));
  emit(ByteView(scratch));
  scratch.clear();
  emit(ByteView(data.module_def));
  w.U32(static_cast<uint32_t>(data.tables.size()));
  for (const TableSnapshot& t : data.tables) {
    w.U32(t.table_id);
    w.String(t.name);
    w.U32(static_cast<uint32_t>(t.sequences.size()));
    for (const SequencePosition& s : t.sequences) {
      w.U16(s.column);
      w.U64(s.next);
    }
    w.U64(t.row_count);
    w.U64(t.rows.size());
    emit(ByteView(scratch));
    scratch.clear();
    emit(ByteView(t.rows));
  }
  emit(ByteView(scratch));
}

uint64_t BodyBytes(const SnapshotData& data) {
  uint64_t n = 0;
  EmitBody(data, [&](ByteView piece) { n += piece.size(); });
  return n;
}

std::string Where(const fs::path& path) { return "snapshot " + path.string() + ": "; }

Status HeaderError(const fs::path& path, const std::string& what, uint64_t at) {
  return DecodeError(Where(path) + what + " at byte " + std::to_string(at));
}

Header ParseHeader(ByteView file) {
  STDB_ASSERT(file.size() >= kSnapshotHeaderBytes);
  const uint8_t* p = file.data();
  Header h;
  h.epoch = Load<uint64_t>(p + kEpochAt);
  h.offset = Load<uint64_t>(p + kOffsetAt);
  h.raw_bytes = Load<uint64_t>(p + kRawBytesAt);
  h.compressed_bytes = Load<uint64_t>(p + kCompressedBytesAt);
  h.body_crc = Load<uint32_t>(p + kBodyCrcAt);
  h.header_crc = Load<uint32_t>(p + kHeaderCrcAt);
  return h;
}

// Checks everything the header says against itself, the bounds, the file name and the
// file's size, and the compressed body against its CRC. Nothing is allocated here.
Result<Header> CheckHeader(const fs::path& path, ByteView file) {
  if (file.size() < kSnapshotHeaderBytes) {
    return HeaderError(
        path, "truncated: " + std::to_string(file.size()) + " bytes, shorter than the header",
        file.size());
  }
  if (std::memcmp(file.data(), kMagic, kMagicBytes) != 0) {
    return HeaderError(path, "bad magic (not a snapshot file)", 0);
  }
  const Header h = ParseHeader(file);
  if (Crc32c(file.first(kHeaderCrcAt)) != h.header_crc) {
    return HeaderError(path, "header CRC mismatch", kHeaderCrcAt);
  }
  const auto named = ParseSnapshotFileName(path.filename().string());
  if (named && *named != h.offset) {
    return HeaderError(path,
                       "header offset " + std::to_string(h.offset) +
                           " differs from the file name's " + std::to_string(*named),
                       kOffsetAt);
  }
  if (h.raw_bytes > kSnapshotBytesMax) {
    return HeaderError(path, "body size " + std::to_string(h.raw_bytes) + " over the limit",
                       kRawBytesAt);
  }
  const uint64_t present = file.size() - kSnapshotHeaderBytes;
  if (h.compressed_bytes > present) {
    return HeaderError(path,
                       "truncated: the header gives " + std::to_string(h.compressed_bytes) +
                           " compressed bytes, the file holds " + std::to_string(present),
                       file.size());
  }
  if (h.compressed_bytes < present) {
    return HeaderError(path, "trailing bytes after the compressed body",
                       kSnapshotHeaderBytes + h.compressed_bytes);
  }
  if (h.raw_bytes / kZstdBlockBytesMax > h.compressed_bytes / kZstdBlockHeaderBytes) {
    return HeaderError(path,
                       "body size " + std::to_string(h.raw_bytes) + " more than " +
                           std::to_string(h.compressed_bytes) + " compressed bytes can hold",
                       kRawBytesAt);
  }
  if (Crc32c(file.subspan(kSnapshotHeaderBytes)) != h.body_crc) {
    return HeaderError(path, "compressed body does not match its CRC (header byte 40)",
                       kSnapshotHeaderBytes);
  }
  return h;
}

// A decompressed body. Not a Bytes: the buffer is written whole by zstd, so zeroing it
// first would be wasted work.
struct RawBody {
  std::unique_ptr<uint8_t[]> bytes;
  size_t size = 0;
  ByteView view() const { return {bytes.get(), size}; }
};

// Decompresses a body whose header passed CheckHeader into exactly h.raw_bytes bytes.
Result<RawBody> Decompress(const fs::path& path, const Header& h, ByteView body) {
  STDB_ASSERT(body.size() == h.compressed_bytes);
  const unsigned long long stated = ZSTD_getFrameContentSize(body.data(), body.size());
  if (stated == ZSTD_CONTENTSIZE_ERROR || stated == ZSTD_CONTENTSIZE_UNKNOWN) {
    return HeaderError(path, "compressed body is not a zstd frame that states its size",
                       kSnapshotHeaderBytes);
  }
  if (stated != h.raw_bytes) {
    return HeaderError(path,
                       "zstd frame holds " + std::to_string(stated) + " bytes, the header says " +
                           std::to_string(h.raw_bytes),
                       kSnapshotHeaderBytes);
  }
  const size_t frame_bytes = ZSTD_findFrameCompressedSize(body.data(), body.size());
  if (ZSTD_isError(frame_bytes) || frame_bytes != body.size()) {
    return HeaderError(path, "compressed body is not exactly one zstd frame", kSnapshotHeaderBytes);
  }
  // The bound checks above justify this allocation: raw_bytes is within kSnapshotBytesMax
  // and within what body.size() compressed bytes can decompress to.
  RawBody raw{std::make_unique_for_overwrite<uint8_t[]>(h.raw_bytes), h.raw_bytes};
  const size_t got = ZSTD_decompress(raw.bytes.get(), raw.size, body.data(), body.size());
  if (ZSTD_isError(got)) {
    return HeaderError(path, std::string("zstd: ") + ZSTD_getErrorName(got), kSnapshotHeaderBytes);
  }
  if (got != raw.size) {
    return HeaderError(path, "zstd frame decompressed to " + std::to_string(got) + " bytes",
                       kSnapshotHeaderBytes);
  }
  return raw;
}

// Decodes a body field by field. Every failure names the byte where the field starts.
class BodyDecoder {
 public:
  explicit BodyDecoder(ByteView raw) : r_(raw) {}

  Result<SnapshotData> Decode() {
    SnapshotData data;
    ByteView module_def;
    STDB_RETURN_IF_ERROR(Prefixed(module_def, "module_def"));
    data.module_def.assign(module_def.begin(), module_def.end());
    uint32_t tables = 0;
    STDB_RETURN_IF_ERROR(Count(tables, kTableBytesMin, "table count"));
    data.tables.resize(tables);
    for (TableSnapshot& t : data.tables) STDB_RETURN_IF_ERROR(Table(t));
    if (!r_.at_end()) return Fail("trailing bytes after the last table", r_.position());
    return data;
  }

 private:
  Status Fail(const std::string& what, size_t at) const {
    return DecodeError(what + " in the decompressed body at byte " + std::to_string(at));
  }

  template <typename T>
  Status Fixed(T& v, const char* what) {
    const size_t at = r_.position();
    if (!r_.Fixed(v)) return Fail(std::string("truncated ") + what, at);
    return Status::Ok();
  }

  Status Prefixed(ByteView& out, const char* what) {
    const size_t at = r_.position();
    if (!r_.LengthPrefixed(out)) return Fail(std::string("truncated ") + what, at);
    return Status::Ok();
  }

  // Reads a u32 count of items of at least `each_bytes` bytes each.
  Status Count(uint32_t& n, size_t each_bytes, const char* what) {
    const size_t at = r_.position();
    STDB_RETURN_IF_ERROR(Fixed(n, what));
    if (n > r_.remaining() / each_bytes) {
      return Fail(std::string(what) + " " + std::to_string(n) + " larger than the " +
                      std::to_string(r_.remaining()) + " bytes left could hold",
                  at);
    }
    return Status::Ok();
  }

  Status Table(TableSnapshot& t) {
    STDB_RETURN_IF_ERROR(Fixed(t.table_id, "table_id"));
    ByteView name;
    STDB_RETURN_IF_ERROR(Prefixed(name, "table name"));
    t.name.assign(AsStringView(name));
    uint32_t sequences = 0;
    STDB_RETURN_IF_ERROR(Count(sequences, kSequenceBytes, "sequence count"));
    t.sequences.resize(sequences);
    for (SequencePosition& s : t.sequences) {
      s.table_id = t.table_id;
      STDB_RETURN_IF_ERROR(Fixed(s.column, "sequence column"));
      STDB_RETURN_IF_ERROR(Fixed(s.next, "sequence next"));
    }
    const size_t row_count_at = r_.position();
    STDB_RETURN_IF_ERROR(Fixed(t.row_count, "row_count"));
    const size_t rows_len_at = r_.position();
    uint64_t rows_len = 0;
    STDB_RETURN_IF_ERROR(Fixed(rows_len, "rows length"));
    if (rows_len > r_.remaining()) {
      return Fail("rows length " + std::to_string(rows_len) + " larger than the " +
                      std::to_string(r_.remaining()) + " bytes left",
                  rows_len_at);
    }
    if (t.row_count > rows_len / kRowFrameBytes) {
      return Fail("row_count " + std::to_string(t.row_count) + " larger than " +
                      std::to_string(rows_len) + " bytes of rows could hold",
                  row_count_at);
    }
    const size_t rows_at = r_.position();
    ByteView rows;
    const bool took = r_.Take(rows_len, rows);
    STDB_ASSERT(took);  // rows_len <= remaining, checked above
    if (const auto bad = FirstMalformedRow(rows, t.row_count)) {
      return Fail("rows of table " + t.name + " malformed", rows_at + *bad);
    }
    t.rows.assign(rows.begin(), rows.end());
    return Status::Ok();
  }

  ByteReader r_;
};

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

Status ZstdError(const char* what, size_t code) {
  return InternalError(std::string("snapshot: zstd ") + what + ": " + ZSTD_getErrorName(code));
}

// The whole file: header, then the body compressed in one zstd frame that states its
// size. The body is streamed into zstd piece by piece (EmitBody), so the only full copy
// of the data made here is the compressed one.
Result<Bytes> EncodeFile(const SnapshotData& data) {
  const uint64_t raw_bytes = BodyBytes(data);
  std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  if (!cctx) return InternalError("snapshot: cannot create a zstd context");
  size_t rc = ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kZstdLevel);
  if (ZSTD_isError(rc)) return ZstdError("level", rc);
  rc = ZSTD_CCtx_setPledgedSrcSize(cctx.get(), raw_bytes);
  if (ZSTD_isError(rc)) return ZstdError("size", rc);

  // ZSTD_compressBound room means zstd never runs out of output: each call below
  // consumes input, so each loop ends.
  Bytes file(kSnapshotHeaderBytes + ZSTD_compressBound(raw_bytes));
  ZSTD_outBuffer out{file.data(), file.size(), kSnapshotHeaderBytes};
  EmitBody(data, [&](ByteView piece) {
    ZSTD_inBuffer in{piece.data(), piece.size(), 0};
    while (in.pos < in.size && !ZSTD_isError(rc)) {
      rc = ZSTD_compressStream2(cctx.get(), &out, &in, ZSTD_e_continue);
      STDB_ASSERT(ZSTD_isError(rc) || out.pos < out.size || in.pos == in.size);
    }
  });
  if (ZSTD_isError(rc)) return ZstdError("compress", rc);
  ZSTD_inBuffer none{nullptr, 0, 0};
  do {
    rc = ZSTD_compressStream2(cctx.get(), &out, &none, ZSTD_e_end);
    if (ZSTD_isError(rc)) return ZstdError("end", rc);
    STDB_ASSERT(rc == 0 || out.pos < out.size);
  } while (rc != 0);
  file.resize(out.pos);

  const ByteView body = ByteView(file).subspan(kSnapshotHeaderBytes);
  uint8_t* header = file.data();
  std::memcpy(header, kMagic, kMagicBytes);
  Store(header + kEpochAt, data.epoch);
  Store(header + kOffsetAt, data.offset);
  Store(header + kRawBytesAt, raw_bytes);
  Store(header + kCompressedBytesAt, static_cast<uint64_t>(body.size()));
  Store(header + kBodyCrcAt, Crc32c(body));
  Store(header + kHeaderCrcAt, Crc32c(ByteView(header, kHeaderCrcAt)));
  STDB_ASSERT(ParseHeader(file).raw_bytes == raw_bytes);
  return file;
}

}  // namespace

Status SnapshotRowsMalformed(const TableSnapshot& table, size_t at) {
  return DecodeError("snapshot table " + table.name + " (id " + std::to_string(table.table_id) +
                     "): rows malformed at byte " + std::to_string(at) + " of " +
                     std::to_string(table.rows.size()) + " (row_count " +
                     std::to_string(table.row_count) + ")");
}

void AppendSnapshotRow(TableSnapshot& table, ByteView row) {
  STDB_ASSERT(row.size() <= UINT32_MAX);
  ByteWriter w(table.rows);
  w.LengthPrefixed(row);
  ++table.row_count;
}

std::string SnapshotFileName(uint64_t offset) {
  std::string digits = std::to_string(offset);
  STDB_ASSERT(digits.size() <= kOffsetDigits);
  return std::string(kOffsetDigits - digits.size(), '0') + digits + kSnapshotSuffix;
}

std::optional<uint64_t> ParseSnapshotFileName(std::string_view name) {
  if (name.size() != kOffsetDigits + kSuffixBytes || !name.ends_with(kSnapshotSuffix)) {
    return std::nullopt;
  }
  uint64_t offset = 0;
  const char* end = name.data() + kOffsetDigits;
  const auto [p, ec] = std::from_chars(name.data(), end, offset);
  if (ec != std::errc() || p != end) return std::nullopt;  // not all digits, or over u64
  return offset;
}

Status ValidForSnapshot(const SnapshotData& data) {
  if (data.module_def.size() > UINT32_MAX || data.tables.size() > UINT32_MAX) {
    return InvalidArgument("snapshot: module_def or table count over the u32 limit");
  }
  for (const TableSnapshot& t : data.tables) {
    const std::string which =
        "snapshot table " + t.name + " (id " + std::to_string(t.table_id) + "): ";
    if (t.name.size() > UINT32_MAX || t.sequences.size() > UINT32_MAX) {
      return InvalidArgument(which + "name or sequence count over the u32 limit");
    }
    for (const SequencePosition& s : t.sequences) {
      if (s.table_id != t.table_id) {
        return InvalidArgument(which + "holds a sequence of table " + std::to_string(s.table_id));
      }
    }
    if (const auto bad = FirstMalformedRow(t.rows, t.row_count)) {
      return InvalidArgument(SnapshotRowsMalformed(t, *bad).message());
    }
  }
  const uint64_t raw_bytes = BodyBytes(data);
  if (raw_bytes > kSnapshotBytesMax) {
    return InvalidArgument("snapshot: body of " + std::to_string(raw_bytes) +
                           " bytes over the limit of " + std::to_string(kSnapshotBytesMax));
  }
  return Status::Ok();
}

void EncodeSnapshotBody(const SnapshotData& data, Bytes& out) {
  const size_t before = out.size();
  out.reserve(before + BodyBytes(data));
  EmitBody(data, [&](ByteView piece) { out.insert(out.end(), piece.begin(), piece.end()); });
  STDB_ASSERT(out.size() >= before + 8);  // module_def length and table count at least
}

Result<SnapshotData> DecodeSnapshotBody(ByteView raw) { return BodyDecoder(raw).Decode(); }

Result<uint64_t> WriteSnapshot(FileSystem& fs, const fs::path& dir, const SnapshotData& data) {
  STDB_RETURN_IF_ERROR(ValidForSnapshot(data));
  STDB_ASSIGN_OR_RETURN(const Bytes file, EncodeFile(data));
  STDB_RETURN_IF_ERROR(fs.CreateDirectories(dir));
  const fs::path path = dir / SnapshotFileName(data.offset);
  Status written = fs.WriteFileDurably(path, file);
  if (!written.ok()) {
    // Best effort: a failed write must not leave a partial .tmp file behind. ListSnapshots
    // ignores one anyway, and the next write of this offset truncates it.
    fs.Remove(path.string() + ".tmp").IgnoreError();
    return written;
  }
  return static_cast<uint64_t>(file.size());
}

Result<SnapshotData> ReadSnapshot(FileSystem& fs, const fs::path& path) {
  STDB_ASSIGN_OR_RETURN(const Bytes file, fs.ReadFile(path));
  STDB_ASSIGN_OR_RETURN(const Header h, CheckHeader(path, file));
  STDB_ASSIGN_OR_RETURN(const RawBody raw,
                        Decompress(path, h, ByteView(file).subspan(kSnapshotHeaderBytes)));
  Result<SnapshotData> data = DecodeSnapshotBody(raw.view());
  if (!data.ok()) return DecodeError(Where(path) + data.status().message());
  data->epoch = h.epoch;
  data->offset = h.offset;
  return data;
}

Result<std::vector<uint64_t>> ListSnapshots(FileSystem& fs, const fs::path& dir) {
  STDB_ASSIGN_OR_RETURN(const std::vector<std::string> names, fs.List(dir));
  std::vector<uint64_t> offsets;
  for (const std::string& name : names) {
    if (const auto offset = ParseSnapshotFileName(name)) offsets.push_back(*offset);
  }
  std::sort(offsets.begin(), offsets.end());
  return offsets;
}

}  // namespace stdb::log
