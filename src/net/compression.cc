#include "net/compression.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace stdb::net {

std::optional<Compression> ParseCompression(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "none") return Compression::kNone;
  if (lower == "gzip") return Compression::kGzip;
  if (lower == "brotli") return Compression::kBrotli;
  return std::nullopt;
}

Bytes GzipCompress(ByteView data) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper.
  int rc = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  STDB_ASSERT(rc == Z_OK);
  Bytes out(deflateBound(&zs, data.size()) + 32);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  rc = deflate(&zs, Z_FINISH);
  STDB_ASSERT(rc == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Result<Bytes> GzipDecompress(ByteView data, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return InternalError("inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  Bytes out;
  uint8_t chunk[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = chunk;
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return DecodeError("corrupt gzip data");
    }
    out.insert(out.end(), chunk, chunk + (sizeof(chunk) - zs.avail_out));
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      return DecodeError("gzip data expands beyond " + std::to_string(max_bytes) + " bytes");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return DecodeError("truncated gzip data");
    }
  }
  inflateEnd(&zs);
  return out;
}

Bytes BrotliCompress(ByteView data) {
  size_t size = BrotliEncoderMaxCompressedSize(data.size());
  if (size == 0) size = data.size() + 1024;
  Bytes out(size);
  // Quality 4 trades ratio for speed, as a real-time server should.
  const BROTLI_BOOL ok = BrotliEncoderCompress(4, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
                                               data.size(), data.data(), &size, out.data());
  STDB_ASSERT(ok == BROTLI_TRUE);
  out.resize(size);
  return out;
}

Result<Bytes> BrotliDecompress(ByteView data, size_t max_bytes) {
  BrotliDecoderState* st = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  if (st == nullptr) return InternalError("cannot create brotli decoder");
  Bytes out;
  uint8_t chunk[16384];
  size_t avail_in = data.size();
  const uint8_t* next_in = data.data();
  BrotliDecoderResult rc = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
  while (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
    size_t avail_out = sizeof(chunk);
    uint8_t* next_out = chunk;
    rc = BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out.insert(out.end(), chunk, next_out);
    if (out.size() > max_bytes) {
      BrotliDecoderDestroyInstance(st);
      return DecodeError("brotli data expands beyond " + std::to_string(max_bytes) + " bytes");
    }
  }
  BrotliDecoderDestroyInstance(st);
  if (rc != BROTLI_DECODER_RESULT_SUCCESS) return DecodeError("corrupt or truncated brotli data");
  return out;
}

Bytes EncodeServerFrame(ByteView message, Compression compression) {
  if (compression == Compression::kNone || message.size() <= kCompressThresholdBytes) {
    Bytes frame;
    frame.reserve(message.size() + 1);
    frame.push_back(static_cast<uint8_t>(Compression::kNone));
    frame.insert(frame.end(), message.begin(), message.end());
    return frame;
  }
  Bytes body = compression == Compression::kGzip ? GzipCompress(message) : BrotliCompress(message);
  Bytes frame;
  frame.reserve(body.size() + 1);
  frame.push_back(static_cast<uint8_t>(compression));
  frame.insert(frame.end(), body.begin(), body.end());
  return frame;
}

Result<Bytes> DecodeServerFrame(ByteView frame) {
  if (frame.empty()) return DecodeError("empty server frame");
  ByteView body = frame.subspan(1);
  switch (frame[0]) {
    case 0: return Bytes(body.begin(), body.end());
    case 1: return BrotliDecompress(body, kDecompressedBytesMax);
    case 2: return GzipDecompress(body, kDecompressedBytesMax);
    default: return DecodeError("unknown compression tag " + std::to_string(frame[0]));
  }
}

}  // namespace stdb::net
