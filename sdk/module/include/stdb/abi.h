/*
 * The C ABI between the stdb server (the host) and a module (a shared library).
 *
 * This header is the whole contract; it is C so that any compiler (and later a WASM
 * backend) can implement either side. docs/module-abi.md describes the semantics and
 * the BSATN layout of the schema a module returns from stdb_describe.
 *
 * Threading: the host calls into a module from one thread at a time per database. A
 * StdbHost and its ctx are valid only for the duration of the stdb_call_reducer call
 * that received them.
 */
#ifndef STDB_ABI_H_
#define STDB_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change to this header. */
#define STDB_ABI_VERSION 2u

/* Host function results. Values equal the server's ErrorCode registry. */
#define STDB_OK 0
#define STDB_ERR_INVALID_ARGUMENT 1
#define STDB_ERR_NOT_FOUND 2
#define STDB_ERR_UNIQUE_VIOLATION 4
#define STDB_ERR_TYPE_MISMATCH 5
#define STDB_ERR_DECODE 6
#define STDB_ERR_INTERNAL 13

/* stdb_call_reducer results. */
#define STDB_REDUCER_OK 0
#define STDB_REDUCER_ERROR 1 /* the reducer failed; the message is in error_out */

/* Log levels for StdbHost.log. */
#define STDB_LOG_ERROR 0u
#define STDB_LOG_WARN 1u
#define STDB_LOG_INFO 2u
#define STDB_LOG_DEBUG 3u
#define STDB_LOG_TRACE 4u

/* A byte sink owned by the caller of the function that takes it: the callee appends
 * bytes with append(ctx, data, len). */
typedef struct StdbSink {
  void* ctx;
  void (*append)(void* ctx, const uint8_t* data, size_t len);
} StdbSink;

/*
 * Host functions, passed to every reducer call. Rows and keys are BSATN (docs/bsatn.md):
 * a row is the BSATN product of the table's row type; a key is the BSATN of the primary
 * key column alone. Every function returns STDB_OK or an STDB_ERR_* code; after an error,
 * last_error writes a human-readable message that names the table and the problem.
 * Table ids are indexes into the ModuleDef's tables array.
 */
typedef struct StdbHost {
  uint32_t abi_version; /* STDB_ABI_VERSION of the host */
  void* ctx;            /* opaque; pass back as the first argument */

  /* Inserts `row`. If an identical row exists this is a no-op. Auto-increment columns
   * that are 0 in `row` get the next value of their sequence. If another row has the
   * same key in a unique index (primary key included): STDB_ERR_UNIQUE_VIOLATION.
   * Malformed row: STDB_ERR_DECODE. On success the stored row (with allocated values)
   * is appended to out_row (if non-null). */
  int32_t (*insert)(void* ctx, uint32_t table_id, const uint8_t* row, size_t row_len,
                    StdbSink* out_row);

  /* Replaces the row whose primary key equals the key of `row` with `row`.
   * STDB_ERR_NOT_FOUND if no such row; requires a table with a primary key. */
  int32_t (*update_by_pk)(void* ctx, uint32_t table_id, const uint8_t* row, size_t row_len);

  /* Deletes the row whose primary key equals `key`. *out_deleted = 1 if one was
   * deleted, 0 if none matched. */
  int32_t (*delete_by_pk)(void* ctx, uint32_t table_id, const uint8_t* key, size_t key_len,
                          uint32_t* out_deleted);

  /* Deletes the row equal to `row` (byte for byte). *out_deleted = 1 or 0. */
  int32_t (*delete_row)(void* ctx, uint32_t table_id, const uint8_t* row, size_t row_len,
                        uint32_t* out_deleted);

  /* Finds the row whose primary key equals `key`. *out_found = 1 and the row is appended
   * to out_row, or *out_found = 0. */
  int32_t (*find_by_pk)(void* ctx, uint32_t table_id, const uint8_t* key, size_t key_len,
                        StdbSink* out_row, uint32_t* out_found);

  /* *out_count = the number of rows in the table. */
  int32_t (*row_count)(void* ctx, uint32_t table_id, uint64_t* out_count);

  /* Starts a scan of the table. The scan sees the rows present at iter_start that are
   * still present when it reaches them; rows inserted during the scan are not seen. */
  int32_t (*iter_start)(void* ctx, uint32_t table_id, uint32_t* out_iter);
  /* Appends the next batch of rows (concatenated BSATN rows) to out_rows and sets
   * *out_exhausted = 0; a batch holds at least one row. When no rows remain it appends
   * nothing and sets *out_exhausted = 1. */
  int32_t (*iter_next)(void* ctx, uint32_t iter, StdbSink* out_rows, uint32_t* out_exhausted);
  /* Releases a scan. Scans left open are released when the reducer returns. */
  void (*iter_close)(void* ctx, uint32_t iter);

  /* Writes a log line for the database's module log. */
  void (*log)(void* ctx, uint32_t level, const char* message, size_t message_len);

  /* Appends the message of the last failed host call to out. */
  void (*last_error)(void* ctx, StdbSink* out);

  /* ---- ABI 2: indexes. `index_id` numbers a table's indexes as described in
   * docs/module-abi.md ("Index ids"): the TableDef's `indexes` in order, then one hash
   * index per unique constraint that no declared index covers exactly.
   * A `key` is the concatenated BSATN of the index's columns, in index column order.
   * A `range` is an StdbIndexRange in BSATN (docs/module-abi.md "Index ranges"). */

  /* Point lookup on a unique index: *out_found = 1 and the row appended to out_row, or
   * *out_found = 0. STDB_ERR_INVALID_ARGUMENT if the index is not unique. */
  int32_t (*index_find)(void* ctx, uint32_t table_id, uint32_t index_id, const uint8_t* key,
                        size_t key_len, StdbSink* out_row, uint32_t* out_found);
  /* Starts a scan of the rows in `range` of the index (in index order for a btree; a hash
   * index accepts only a range that fixes every column). Continue with iter_next. */
  int32_t (*index_scan_start)(void* ctx, uint32_t table_id, uint32_t index_id,
                              const uint8_t* range, size_t range_len, uint32_t* out_iter);
  /* Deletes every row in `range` of the index; *out_deleted = how many. */
  int32_t (*index_delete)(void* ctx, uint32_t table_id, uint32_t index_id,
                          const uint8_t* range, size_t range_len, uint64_t* out_deleted);
  /* Replaces the row whose key in unique index `index_id` equals that of `row` with `row`
   * (auto-increment columns are not re-allocated). STDB_ERR_NOT_FOUND if no such row.
   * On success the stored row is appended to out_row (if non-null). */
  int32_t (*update_by_index)(void* ctx, uint32_t table_id, uint32_t index_id,
                             const uint8_t* row, size_t row_len, StdbSink* out_row);
} StdbHost;

/* Everything a reducer may know about its call besides its arguments. */
typedef struct StdbReducerContext {
  uint8_t sender[32];          /* caller Identity, u256 little-endian */
  uint8_t connection_id[16];   /* u128 little-endian; all zero when there is none */
  int64_t timestamp_micros;    /* transaction time, microseconds since the Unix epoch */
  uint64_t rng_seed;           /* seed for the reducer's deterministic rng */
  uint8_t module_identity[32]; /* the database's own Identity, u256 little-endian */
} StdbReducerContext;

/* ---- Functions a module exports (with C linkage and default visibility) ---- */

/* Returns STDB_ABI_VERSION of the SDK the module was built with. */
typedef uint32_t (*StdbAbiVersionFn)(void);
#define STDB_EXPORT_ABI_VERSION "stdb_abi_version"

/* Appends the module's schema, a BSATN ModuleDef (docs/module-abi.md), to out. */
typedef void (*StdbDescribeFn)(StdbSink* out);
#define STDB_EXPORT_DESCRIBE "stdb_describe"

/* Runs reducer `reducer_id` (an index into ModuleDef.reducers) with BSATN `args` (the
 * product of its parameters). Returns STDB_REDUCER_OK, or STDB_REDUCER_ERROR with a
 * UTF-8 message appended to error_out. Must not let a C++ exception escape. */
typedef int32_t (*StdbCallReducerFn)(const StdbHost* host, uint32_t reducer_id,
                                     const StdbReducerContext* ctx, const uint8_t* args,
                                     size_t args_len, StdbSink* error_out);
#define STDB_EXPORT_CALL_REDUCER "stdb_call_reducer"

#ifdef __cplusplus
}
#endif

#endif /* STDB_ABI_H_ */
