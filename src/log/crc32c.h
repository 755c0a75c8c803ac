// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by the commit log and
// snapshots. Uses the SSE4.2 crc32 instruction when the CPU has it, a table otherwise;
// both give the same values.
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace stdb::log {

// The CRC32C of `data`, continuing from `crc` (the CRC of the bytes before it; 0 to
// start). Crc32c(b, Crc32c(a)) == Crc32c(a ++ b). Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(ByteView data, uint32_t crc = 0);

}  // namespace stdb::log
