// GET /v1/database/:name/backup: a running database's durable state as a backup archive
// (log/archive.h) in a chunked HTTP response, read from the files the BackupSet holds
// open. The `spacetime-backup-offset` header names the last transaction it holds.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "db/durability.h"

namespace stdb::net {

// Bounded: the archive is read and sent this many bytes at a time.
inline constexpr size_t kBackupChunkBytes = 1 << 20;

// Writes the response (status 200 and the archive). A write error ends it early; the
// client then sees an incomplete archive and says so.
boost::asio::awaitable<void> StreamBackup(boost::beast::tcp_stream& stream, unsigned http_version,
                                          db::BackupSet set);

}  // namespace stdb::net
