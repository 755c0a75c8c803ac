// Tables: declaring them (STDB_TABLE) and using them from a reducer through
// ctx.db[table]. Keys, unique columns, indexes and sequences are in stdb/index.h.
//
//   struct User { stdb::Identity identity; std::optional<std::string> name; bool online; };
//   STDB_STRUCT(User, identity, name, online);
//   STDB_TABLE(User, user, stdb::Public);     // a public table named "user"
//   STDB_PRIMARY_KEY(user, identity);         // optional (stdb/index.h)
//
//   std::optional<User> u = ctx.db[user].find(ctx.sender());
//   for (const User& row : ctx.db[user]) { ... }
//
// Contract:
// - STDB_TABLE(RowType, name, access) goes at namespace scope, once per module (in a
//   header if several .cc files use the table), and defines the table object `name`.
//   RowType is an STDB_STRUCT; its member names are the column names. The table's id is
//   its position in registration order, which is the order of ModuleDef.tables.
// - find, update and delete_by_pk need STDB_PRIMARY_KEY; without it they do not compile.
// - Every operation calls the host once (iteration: once per batch) and throws HostError
//   if the host reports an error; on a throw the table is as the host left it, and the
//   reducer's transaction is rolled back unless the reducer catches and carries on.
// - ctx.db[x] works for every accessor object the SDK macros define (a table, a unique
//   column, an index): each has a Bind(detail::Host) member that makes its handle.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "stdb/abi.h"
#include "stdb/bsatn.h"
#include "stdb/host.h"
#include "stdb/registry.h"
#include "stdb/struct.h"

namespace stdb {
inline namespace module_sdk {

// Who may read a table: public tables are visible to every client, private ones only to
// the database owner.
enum class TableAccess : uint8_t { kPrivate = 0, kPublic = 1 };
inline constexpr TableAccess Public = TableAccess::kPublic;
inline constexpr TableAccess Private = TableAccess::kPrivate;

namespace detail {

// The member pointer STDB_PRIMARY_KEY declared for a table tag, found by ADL.
template <typename Tag>
concept HasPrimaryKey = requires {
  StdbPrimaryKey(static_cast<const Tag*>(nullptr));
};

template <typename MemberPointer>
struct MemberPointerTraits;
template <typename Class, typename Member>
struct MemberPointerTraits<Member Class::*> {
  using Type = Member;
};

template <typename Tag>
using PrimaryKeyType =
    typename MemberPointerTraits<decltype(StdbPrimaryKey(static_cast<const Tag*>(nullptr)))>::Type;

// The column index of the member of `row` at address `target`, found by comparing
// addresses, because a member (or member pointer) cannot be compared with the positional
// bindings directly. Returns UINT16_MAX if `target` is not a column of `row`, which the
// host rejects at publish.
template <typename Row>
uint16_t ColumnIndexAt(Row& row, const void* target) {
  const auto columns = std::apply(
      [](auto&... field) {
        return std::array<const void*, sizeof...(field)>{std::addressof(field)...};
      },
      StdbFields(row));
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == target) return static_cast<uint16_t>(i);
  }
  return UINT16_MAX;
}

// The column index of `member` in Row (ColumnIndexAt).
template <typename Row, typename Member>
uint16_t ColumnIndexOf(Member Row::*member) {
  Row probe{};
  return ColumnIndexAt(probe, std::addressof(probe.*member));
}

}  // namespace detail

template <typename Tag>
class TableHandle;

// A declared table; STDB_TABLE defines one object of this type per table. Registering in
// the constructor assigns the table id.
template <typename Tag>
class Table {
 public:
  using Row = typename Tag::Row;
  static_assert(detail::StdbStruct<Row>,
                "a table's row type must be a struct declared with STDB_STRUCT");

  explicit Table(TableAccess access) {
    detail::Registry& registry = detail::GetRegistry();
    id_ = static_cast<uint32_t>(registry.tables.size());
    detail::TableEntry entry;
    entry.name = Tag::kName;
    entry.write_row_type = &bsatn::Traits<Row>::WriteType;
    entry.is_public = access == TableAccess::kPublic;
    registry.tables.push_back(std::move(entry));
  }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  uint32_t id() const { return id_; }
  static constexpr std::string_view name() { return Tag::kName; }

  // The handle ctx.db[table] returns (defined below TableHandle).
  TableHandle<Tag> Bind(detail::Host host) const;

 private:
  uint32_t id_;
};

namespace detail {

template <typename Tag>
typename Tag::Row DecodeRow(const std::vector<uint8_t>& bytes) {
  try {
    return bsatn::decode<typename Tag::Row>(bytes);
  } catch (const bsatn::DecodeError& e) {
    throw HostError(STDB_ERR_DECODE, "table '" + std::string(Tag::kName) +
                                         "': a row from the host does not decode: " + e.what());
  }
}

}  // namespace detail

// Marks the end of a table scan.
struct TableEnd {};

// A scan over rows of a table: all of them in the host's order (ctx.db[table]), or those
// in a range of an index, in index order (ctx.db[index].filter(...)). It owns the host
// scan and closes it when exhausted or destroyed, whichever is first. Rows are fetched a
// batch at a time, so a row deleted by the reducer while the scan is inside its batch is
// still returned. Move-only.
template <typename Tag>
class TableIterator {
 public:
  using Row = typename Tag::Row;
  using value_type = Row;
  using difference_type = std::ptrdiff_t;

  // A scan of the whole table.
  TableIterator(detail::Host host, uint32_t table_id)
      : TableIterator(
            host,
            [&](const StdbHost* raw, uint32_t* out) {
              return raw->iter_start(raw->ctx, table_id, out);
            },
            "iter_start") {}

  // A scan that `start(raw_host, &iter)` opens (a host function returning STDB_* that
  // sets the scan id); `what` names it in errors.
  template <typename Start>
  TableIterator(detail::Host host, Start&& start, const char* what) : host_(host) {
    host_.Check(start(host_.raw(), &iter_), what);
    open_ = true;
    // The destructor does not run for a constructor that throws, so close here: a reducer
    // that catches the error may go on for a long time.
    try {
      Advance();
    } catch (...) {
      Close();
      throw;
    }
  }
  TableIterator(TableIterator&& other) noexcept
      : host_(other.host_),
        iter_(other.iter_),
        open_(std::exchange(other.open_, false)),
        host_exhausted_(other.host_exhausted_),
        done_(other.done_),
        batch_(std::move(other.batch_)),
        batch_pos_(other.batch_pos_),
        current_(std::move(other.current_)) {}
  TableIterator& operator=(TableIterator&&) = delete;
  TableIterator(const TableIterator&) = delete;
  TableIterator& operator=(const TableIterator&) = delete;
  ~TableIterator() { Close(); }

  const Row& operator*() const { return current_; }
  const Row* operator->() const { return &current_; }
  TableIterator& operator++() {
    Advance();
    return *this;
  }
  friend bool operator==(const TableIterator& it, TableEnd) { return it.done_; }

 private:
  // Loads the next row into current_, fetching a batch when the current one is used up.
  // Bounded: the host returns at least one row per batch unless the scan is exhausted
  // (abi.h), and an empty batch that is not the last fails the scan instead of looping.
  void Advance() {
    while (batch_pos_ == batch_.size()) {
      if (host_exhausted_) {
        done_ = true;
        Close();
        return;
      }
      batch_.clear();
      batch_pos_ = 0;
      StdbSink sink = detail::VectorSink(batch_);
      uint32_t exhausted = 0;
      host_.Check(host_.raw()->iter_next(host_.raw()->ctx, iter_, &sink, &exhausted), "iter_next");
      host_exhausted_ = exhausted != 0;
      if (batch_.empty() && !host_exhausted_) {
        throw HostError(STDB_ERR_INTERNAL, "table '" + std::string(Tag::kName) +
                                               "': the host returned an empty batch for a "
                                               "scan that is not exhausted");
      }
    }
    bsatn::Reader reader(batch_.data() + batch_pos_, batch_.size() - batch_pos_);
    try {
      current_ = bsatn::Traits<Row>::Decode(reader);
    } catch (const bsatn::DecodeError& e) {
      throw HostError(STDB_ERR_DECODE, "table '" + std::string(Tag::kName) +
                                           "': a scanned row does not decode: " + e.what());
    }
    batch_pos_ += reader.position();
  }

  void Close() noexcept {
    if (!open_) return;
    open_ = false;
    host_.raw()->iter_close(host_.raw()->ctx, iter_);
  }

  detail::Host host_;
  uint32_t iter_ = 0;
  bool open_ = false;            // iter_start succeeded and iter_close is not yet called
  bool host_exhausted_ = false;  // the host said no batches follow the current one
  bool done_ = false;            // current_ is past the last row
  std::vector<uint8_t> batch_;   // concatenated BSATN rows of the current batch
  size_t batch_pos_ = 0;         // offset of the next undecoded row in batch_
  Row current_{};
};

// Access to one table during one reducer call: ctx.db[table]. Cheap to copy; valid only
// during the call.
template <typename Tag>
class TableHandle {
 public:
  using Row = typename Tag::Row;

  TableHandle(detail::Host host, uint32_t table_id) : host_(host), id_(table_id) {}

  // Inserts `row` and returns the row as stored. Inserting a row identical to an
  // existing one changes nothing. Throws HostError (STDB_ERR_UNIQUE_VIOLATION) if
  // another row has the same primary key.
  Row insert(const Row& row) const {
    const std::vector<uint8_t> bytes = bsatn::encode(row);
    std::vector<uint8_t> stored;
    StdbSink sink = detail::VectorSink(stored);
    host_.Check(Raw()->insert(Raw()->ctx, id_, bytes.data(), bytes.size(), &sink), "insert");
    // The host stores what it was given unless it fills in columns (sequences), so the
    // common case needs no decode.
    if (stored == bytes) return row;
    return detail::DecodeRow<Tag>(stored);
  }

  // The row whose primary key equals `key`, or std::nullopt.
  template <typename Key>
  std::optional<Row> find(const Key& key) const {
    static_assert(detail::HasPrimaryKey<Tag>,
                  "find() needs a primary key: add STDB_PRIMARY_KEY(table, column)");
    if constexpr (detail::HasPrimaryKey<Tag>) {
      const std::vector<uint8_t> bytes = EncodeKey(key);
      std::vector<uint8_t> row;
      StdbSink sink = detail::VectorSink(row);
      uint32_t found = 0;
      host_.Check(Raw()->find_by_pk(Raw()->ctx, id_, bytes.data(), bytes.size(), &sink, &found),
                  "find");
      if (found == 0) return std::nullopt;
      return detail::DecodeRow<Tag>(row);
    } else {
      return std::nullopt;
    }
  }

  // Replaces the row that has the primary key of `row` with `row`. Throws HostError
  // (STDB_ERR_NOT_FOUND) if there is none.
  void update(const Row& row) const {
    static_assert(detail::HasPrimaryKey<Tag>,
                  "update() needs a primary key: add STDB_PRIMARY_KEY(table, column)");
    const std::vector<uint8_t> bytes = bsatn::encode(row);
    host_.Check(Raw()->update_by_pk(Raw()->ctx, id_, bytes.data(), bytes.size()), "update");
  }

  // Deletes the row whose primary key equals `key`. Returns whether one was deleted.
  template <typename Key>
  bool delete_by_pk(const Key& key) const {
    static_assert(detail::HasPrimaryKey<Tag>,
                  "delete_by_pk() needs a primary key: add STDB_PRIMARY_KEY(table, column)");
    if constexpr (detail::HasPrimaryKey<Tag>) {
      const std::vector<uint8_t> bytes = EncodeKey(key);
      uint32_t deleted = 0;
      host_.Check(Raw()->delete_by_pk(Raw()->ctx, id_, bytes.data(), bytes.size(), &deleted),
                  "delete_by_pk");
      return deleted != 0;
    } else {
      return false;
    }
  }

  // Deletes the row equal to `row` (all columns). Returns whether one was deleted.
  bool remove(const Row& row) const {
    const std::vector<uint8_t> bytes = bsatn::encode(row);
    uint32_t deleted = 0;
    host_.Check(Raw()->delete_row(Raw()->ctx, id_, bytes.data(), bytes.size(), &deleted), "remove");
    return deleted != 0;
  }

  // The number of rows in the table.
  uint64_t count() const {
    uint64_t n = 0;
    host_.Check(Raw()->row_count(Raw()->ctx, id_, &n), "count");
    return n;
  }

  // A scan of all rows; see TableIterator.
  TableIterator<Tag> begin() const { return TableIterator<Tag>(host_, id_); }
  TableEnd end() const { return {}; }

  uint32_t id() const { return id_; }

 private:
  const StdbHost* Raw() const { return host_.raw(); }

  // The key is converted to the primary key column's type first, so find(5) works for a
  // uint64_t key and find("x") for a std::string key.
  template <typename Key>
  static std::vector<uint8_t> EncodeKey(const Key& key) {
    using KeyType = detail::PrimaryKeyType<Tag>;
    static_assert(std::is_constructible_v<KeyType, const Key&>,
                  "the key does not convert to the primary key column's type");
    return bsatn::encode(KeyType(key));
  }

  detail::Host host_;
  uint32_t id_;
};

template <typename Tag>
TableHandle<Tag> Table<Tag>::Bind(detail::Host host) const {
  return TableHandle<Tag>(host, id_);
}

namespace detail {
// Objects ctx.db[...] accepts: tables, unique columns and indexes.
template <typename Accessor>
concept DbAccessor = requires(const Accessor& a, Host host) {
  a.Bind(host);
};
}  // namespace detail

// The tables of the database, as seen by one reducer call: ctx.db[table],
// ctx.db[unique_column], ctx.db[index].
class Database {
 public:
  explicit Database(const StdbHost* host) : host_(host) {}

  template <detail::DbAccessor Accessor>
  auto operator[](const Accessor& accessor) const {
    return accessor.Bind(host_);
  }

 private:
  detail::Host host_;
};

}  // namespace module_sdk
}  // namespace stdb

// STDB_TABLE(RowType, name, access): declares table `name` with rows of RowType;
// access is stdb::Public or stdb::Private. See the contract at the top of this file.
#define STDB_TABLE(RowType, name, access)              \
  struct StdbTable_##name {                            \
    using Row = RowType;                               \
    static constexpr ::std::string_view kName = #name; \
  };                                                   \
  inline const ::stdb::Table<StdbTable_##name> name { access }
