#include "net/backup_stream.h"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "log/archive.h"
#include "log/crc32c.h"

namespace stdb::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr auto kBackupWriteTimeout = std::chrono::seconds(60);

asio::awaitable<void> StreamBackup(beast::tcp_stream& stream, unsigned http_version,
                                   db::BackupSet set) {
  http::response<http::empty_body> head{http::status::ok, http_version};
  head.set(http::field::server, "stdb");
  head.set(http::field::content_type, "application/octet-stream");
  if (set.offset) head.set("spacetime-backup-offset", std::to_string(*set.offset));
  uint64_t total = 0;
  for (const auto& f : set.files) total += f.bytes;
  head.set("spacetime-backup-bytes", std::to_string(total));
  head.chunked(true);
  head.keep_alive(false);
  http::response_serializer<http::empty_body> serializer{head};
  stream.expires_after(kBackupWriteTimeout);
  auto [head_ec, head_n] = co_await http::async_write_header(stream, serializer, kNoThrow);
  if (head_ec) co_return;

  auto send = [&](const Bytes& chunk) -> asio::awaitable<bool> {
    stream.expires_after(kBackupWriteTimeout);
    auto [ec, n] = co_await asio::async_write(
        stream, http::make_chunk(asio::buffer(chunk.data(), chunk.size())), kNoThrow);
    co_return !ec;
  };
  Bytes chunk;
  log::AppendArchiveHeader(chunk);
  for (const auto& f : set.files) {
    log::AppendArchiveEntryHeader(f.name, f.bytes, chunk);
    uint32_t crc = 0;
    uint64_t done = 0;
    while (done < f.bytes) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kBackupChunkBytes, f.bytes - done));
      const size_t at = chunk.size();
      chunk.resize(at + want);
      const ssize_t n = ::pread(f.fd, chunk.data() + at, want, static_cast<off_t>(done));
      if (n <= 0) {
        // The file shrank or cannot be read: end the stream without its terminator, so
        // the client reports an incomplete backup instead of writing a damaged one.
        LogError("backup", "cannot read " + f.name + ": " +
                               (n < 0 ? std::strerror(errno) : std::string("unexpected end")));
        co_return;
      }
      chunk.resize(at + static_cast<size_t>(n));
      crc = log::Crc32c(ByteView(chunk.data() + at, static_cast<size_t>(n)), crc);
      done += static_cast<uint64_t>(n);
      if (chunk.size() >= kBackupChunkBytes) {
        if (!co_await send(chunk)) co_return;
        chunk.clear();
      }
    }
    log::AppendArchiveEntryTrailer(crc, chunk);
  }
  log::AppendArchiveEnd(static_cast<uint32_t>(set.files.size()), chunk);
  if (!co_await send(chunk)) co_return;
  stream.expires_after(kBackupWriteTimeout);
  co_await asio::async_write(stream, http::make_chunk_last(), kNoThrow);
}

}  // namespace stdb::net
