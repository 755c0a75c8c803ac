// Per-message compression of server messages (protocol.md, "Framing"): the first byte
// of every server frame is a tag (0 none, 1 brotli, 2 gzip) and the rest is the message,
// compressed as a whole when the tag says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace stdb::net {

enum class Compression : uint8_t { kNone = 0, kBrotli = 1, kGzip = 2 };

// Messages at or below this size are sent uncompressed even when compression is asked
// for, as SpacetimeDB does: compressing small messages costs more than it saves.
inline constexpr size_t kCompressThresholdBytes = 1024;

// Bounded: decompression stops with an error past this many output bytes, so a small
// hostile frame cannot expand into gigabytes.
inline constexpr size_t kDecompressedBytesMax = 64 << 20;

// Parses the `compression` query parameter ("None", "Gzip", "Brotli", any case).
std::optional<Compression> ParseCompression(std::string_view text);

// Builds a server frame: tag byte, then `message` (compressed when `compression` is not
// kNone and the message is larger than kCompressThresholdBytes).
Bytes EncodeServerFrame(ByteView message, Compression compression);

// Splits a server frame into its message, decompressing as the tag says. Fails on an
// unknown tag, corrupt compressed data, or output beyond kDecompressedBytesMax.
Result<Bytes> DecodeServerFrame(ByteView frame);

Bytes GzipCompress(ByteView data);
Result<Bytes> GzipDecompress(ByteView data, size_t max_bytes);
Bytes BrotliCompress(ByteView data);
Result<Bytes> BrotliDecompress(ByteView data, size_t max_bytes);

}  // namespace stdb::net
