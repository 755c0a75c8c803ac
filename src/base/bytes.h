// Byte buffers and little-endian readers/writers used by every binary format.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace stdb {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsStringView(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Appends little-endian fixed-width values to a Bytes buffer.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}

  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { Fixed(v); }
  void U32(uint32_t v) { Fixed(v); }
  void U64(uint64_t v) { Fixed(v); }
  void I64(int64_t v) { Fixed(v); }
  void Raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  // u32 length prefix, then the bytes (BSATN String / Bytes).
  void LengthPrefixed(ByteView b) {
    U32(static_cast<uint32_t>(b.size()));
    Raw(b);
  }
  void String(std::string_view s) { LengthPrefixed(AsBytes(s)); }

  size_t size() const { return out_.size(); }
  Bytes& buffer() { return out_; }

  // Writes a fixed-width little-endian value (this code base targets little-endian hosts).
  template <typename T>
  void Fixed(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const size_t at = out_.size();
    out_.resize(at + sizeof(T));
    std::memcpy(out_.data() + at, &v, sizeof(T));
  }

 private:
  Bytes& out_;
};

// Reads little-endian values from a byte span. Every read is bounds-checked; after
// the first failure `ok()` is false and all later reads fail too.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool at_end() const { return pos_ == data_.size(); }
  ByteView data() const { return data_; }

  template <typename T>
  [[nodiscard]] bool Fixed(T& out) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (remaining() < sizeof(T)) return false;
    std::memcpy(&out, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  [[nodiscard]] bool Take(size_t n, ByteView& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool Skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  // u32 length prefix, then that many bytes.
  [[nodiscard]] bool LengthPrefixed(ByteView& out) {
    uint32_t n = 0;
    return Fixed(n) && Take(n, out);
  }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

// Lower-case hex of `b`, no prefix.
std::string ToHex(ByteView b);
// Parses hex (optionally "0x"-prefixed, either case). Fails on odd length or bad digits.
Result<Bytes> FromHex(std::string_view hex);

}  // namespace stdb
