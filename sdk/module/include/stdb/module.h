// The module SDK: include this one header to write a module.
//
//   #include <stdb/module.h>
//
//   struct Message { stdb::Identity sender; stdb::Timestamp sent; std::string text; };
//   STDB_STRUCT(Message, sender, sent, text);
//   STDB_TABLE(Message, message, stdb::Public);
//
//   void send_message(stdb::ReducerContext& ctx, std::string text) {
//     if (text.empty()) throw stdb::ReducerError("Messages must not be empty");
//     ctx.db[message].insert(Message{ctx.sender(), ctx.timestamp(), std::move(text)});
//   }
//   STDB_REDUCER(send_message, text);
//
// Build it with stdb_add_module() from sdk/module/cmake/StdbModule.cmake, which produces
// <name>.so exporting only the three functions below.
//
// This header defines the module's exports (stdb/abi.h): stdb_abi_version, stdb_describe
// and stdb_call_reducer. They are inline, so every translation unit that includes this
// header may define them and the linker keeps one copy; `used` makes the compiler emit
// them although nothing in the module calls them, and the visibility attribute exports
// them even under -fvisibility=hidden.
#pragma once

#include <type_traits>

#include "stdb/abi.h"
#include "stdb/bsatn.h"
#include "stdb/host.h"
#include "stdb/index.h"
#include "stdb/index_range.h"
#include "stdb/reducer.h"
#include "stdb/registry.h"
#include "stdb/rng.h"
#include "stdb/schedule.h"
#include "stdb/struct.h"
#include "stdb/table.h"
#include "stdb/types.h"

#define STDB_DETAIL_EXPORT __attribute__((visibility("default"), used))

extern "C" {

// Returns the STDB_ABI_VERSION this module was built with.
STDB_DETAIL_EXPORT inline uint32_t stdb_abi_version(void) { return STDB_ABI_VERSION; }

// Appends the module's BSATN ModuleDef to `out`.
STDB_DETAIL_EXPORT inline void stdb_describe(StdbSink* out) { stdb::detail::Describe(out); }

// Runs reducer `reducer_id`; never lets an exception escape.
STDB_DETAIL_EXPORT inline int32_t stdb_call_reducer(const StdbHost* host, uint32_t reducer_id,
                                                    const StdbReducerContext* ctx,
                                                    const uint8_t* args, size_t args_len,
                                                    StdbSink* error_out) {
  return stdb::detail::CallReducer(host, reducer_id, ctx, args, args_len, error_out);
}

}  // extern "C"

static_assert(std::is_same_v<decltype(&stdb_abi_version), StdbAbiVersionFn>);
static_assert(std::is_same_v<decltype(&stdb_describe), StdbDescribeFn>);
static_assert(std::is_same_v<decltype(&stdb_call_reducer), StdbCallReducerFn>);
