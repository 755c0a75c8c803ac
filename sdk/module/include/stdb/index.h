// Keys, unique columns, indexes and auto-increment columns, and their accessors.
//
//   struct Player { uint64_t id; std::string name; uint32_t level; int32_t x; int32_t y; };
//   STDB_STRUCT(Player, id, name, level, x, y);
//   STDB_TABLE(Player, player, stdb::Public);
//   STDB_PRIMARY_KEY(player, id);       // also defines the accessor `player_id`
//   STDB_AUTO_INC(player, id);          // inserting id 0 allocates the next id
//   STDB_UNIQUE(player, name);          // defines the accessor `player_name`
//   STDB_INDEX(player, player_by_level, stdb::BTree, level);
//   STDB_INDEX(player, player_at, stdb::BTree, x, y);
//
//   Player p = ctx.db[player].insert(Player{0, "ann", 1, 0, 0});   // p.id is allocated
//   std::optional<Player> ann = ctx.db[player_name].find("ann");
//   ctx.db[player_name].update(Player{p.id, "ann", 2, 0, 0});      // replaces by name
//   bool gone = ctx.db[player_id].remove(p.id);
//   for (const Player& q : ctx.db[player_by_level].filter(stdb::range(1u, 10u))) { ... }
//   for (const Player& q : ctx.db[player_at].filter(3, stdb::range_from(0))) { ... }
//   uint64_t removed = ctx.db[player_at].remove(3);                // every row with x == 3
//
// Contract:
// - Each macro goes at namespace scope after its STDB_TABLE, in the same namespace, and
//   (like the table) once per module, in a header if several .cc files use it.
// - Key columns (primary key, unique, index) have a key type: an integer, bool,
//   std::string, Identity, ConnectionId, Timestamp, TimeDuration or an STDB_ENUM. Any
//   other type (float, vector, optional, struct, ScheduleAt) is a compile error.
// - STDB_PRIMARY_KEY(table, column) and STDB_UNIQUE(table, column) define the accessor
//   object `table_column` (a UniqueColumn) and declare a unique hash index named
//   `table_column_key`. A primary key is unique already: do not add STDB_UNIQUE to it.
// - STDB_INDEX(table, name, stdb::BTree | stdb::Hash, column...) defines the accessor
//   object `name` (an Index). A btree index answers equality on any prefix of its
//   columns and a range on the column after the prefix, in key order; a hash index
//   answers only lookups that fix every column (anything else does not compile).
// - Index ids are positions in the TableDef's `indexes` in registration order (see
//   stdb/registry.h), which is how docs/module-abi.md "Index ids" numbers them.
// - STDB_AUTO_INC(table, column): an integer column; inserting a row whose column is 0
//   stores the next value of the table's sequence for it, and insert() returns the row
//   as stored.
// - A key argument converts to the column's type first (find(5) on a uint64_t column),
//   as with find() on a table. Every call throws HostError if the host reports an error.
#pragma once

#include <cstddef>
#include <cstdint>
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
#include "stdb/index_range.h"
#include "stdb/registry.h"
#include "stdb/struct.h"
#include "stdb/table.h"
#include "stdb/types.h"

namespace stdb {
inline namespace module_sdk {

// The algorithm of an STDB_INDEX.
inline constexpr detail::IndexKind BTree = detail::IndexKind::kBTree;
inline constexpr detail::IndexKind Hash = detail::IndexKind::kHash;

namespace detail {

template <typename Tag>
TableEntry& EntryOf(const Table<Tag>& table) {
  return GetRegistry().tables[table.id()];
}

// Appends an index to the table's entry and returns its id.
inline uint32_t AddIndex(TableEntry& table, IndexEntry index) {
  table.indexes.push_back(std::move(index));
  return static_cast<uint32_t>(table.indexes.size() - 1);
}

// The index id for a unique constraint on `column`: the one an earlier constraint on the
// same column declared, or a new unique hash index `<table>_<column>_key`.
inline uint32_t ConstraintIndex(TableEntry& table, uint16_t column, std::string_view name) {
  for (size_t i = 0; i < table.indexes.size(); ++i) {
    const IndexEntry& index = table.indexes[i];
    if (index.for_constraint && index.columns == std::vector<uint16_t>{column}) {
      return static_cast<uint32_t>(i);
    }
  }
  return AddIndex(table, IndexEntry{std::string(table.name) + "_" + std::string(name) + "_key",
                                    IndexKind::kHash,
                                    {column},
                                    true});
}

template <typename Member>
struct MemberOf;
template <typename Class, typename Member>
struct MemberOf<Member Class::*> {
  using Type = Member;
  using Owner = Class;
};

inline constexpr bool kPrimaryKey = true;

}  // namespace detail

template <typename Tag, auto Member>
class UniqueHandle;

// A unique column (STDB_UNIQUE) or primary key (STDB_PRIMARY_KEY): ctx.db[table_column].
template <typename Tag, auto Member>
class UniqueColumn {
 public:
  using Row = typename Tag::Row;
  using Column = typename detail::MemberOf<decltype(Member)>::Type;
  static_assert(std::is_same_v<typename detail::MemberOf<decltype(Member)>::Owner, Row>,
                "the column must be a member of the table's row type");
  static_assert(detail::KeyColumn<Column>,
                "a primary key or unique column must have a key type: an integer, bool, "
                "std::string, Identity, ConnectionId, Timestamp, TimeDuration or an STDB_ENUM");

  UniqueColumn(const Table<Tag>& table, std::string_view column_name, bool primary_key = false)
      : table_id_(table.id()) {
    detail::TableEntry& entry = detail::EntryOf(table);
    const uint16_t column = detail::ColumnIndexOf(Member);
    if (primary_key) {
      entry.primary_key = column;
    } else {
      entry.unique_columns.push_back({column});
    }
    index_id_ = detail::ConstraintIndex(entry, column, column_name);
  }
  UniqueColumn(const UniqueColumn&) = delete;
  UniqueColumn& operator=(const UniqueColumn&) = delete;

  uint32_t table_id() const { return table_id_; }
  uint32_t index_id() const { return index_id_; }
  UniqueHandle<Tag, Member> Bind(detail::Host host) const {
    return UniqueHandle<Tag, Member>(host, table_id_, index_id_);
  }

 private:
  uint32_t table_id_;
  uint32_t index_id_;
};

// Access to one unique column during one reducer call. Cheap to copy.
template <typename Tag, auto Member>
class UniqueHandle {
 public:
  using Row = typename Tag::Row;
  using Column = typename UniqueColumn<Tag, Member>::Column;

  UniqueHandle(detail::Host host, uint32_t table_id, uint32_t index_id)
      : host_(host), table_id_(table_id), index_id_(index_id) {}

  // The row whose column equals `key`, or std::nullopt.
  template <typename Key>
  std::optional<Row> find(const Key& key) const {
    const std::vector<uint8_t> bytes = detail::EncodeKeyValue<Column>(key);
    std::vector<uint8_t> row;
    StdbSink sink = detail::VectorSink(row);
    uint32_t found = 0;
    host_.Check(Raw()->index_find(Raw()->ctx, table_id_, index_id_, bytes.data(), bytes.size(),
                                  &sink, &found),
                "index_find");
    if (found == 0) return std::nullopt;
    return detail::DecodeRow<Tag>(row);
  }

  // Replaces the row whose column equals that of `row` with `row` and returns the row as
  // stored. Throws HostError: STDB_ERR_NOT_FOUND if there is none,
  // STDB_ERR_UNIQUE_VIOLATION if `row` collides with another row in another unique column.
  Row update(const Row& row) const {
    const std::vector<uint8_t> bytes = bsatn::encode(row);
    std::vector<uint8_t> stored;
    StdbSink sink = detail::VectorSink(stored);
    host_.Check(
        Raw()->update_by_index(Raw()->ctx, table_id_, index_id_, bytes.data(), bytes.size(), &sink),
        "update_by_index");
    if (stored.empty() || stored == bytes) return row;
    return detail::DecodeRow<Tag>(stored);
  }

  // Deletes the row whose column equals `key`. Returns whether one was deleted.
  template <typename Key>
  bool remove(const Key& key) const {
    const std::vector<uint8_t> range = detail::EncodeIndexRange<std::tuple<Column>>(key);
    uint64_t deleted = 0;
    host_.Check(
        Raw()->index_delete(Raw()->ctx, table_id_, index_id_, range.data(), range.size(), &deleted),
        "index_delete");
    return deleted != 0;
  }
  // The same as remove(key), for readers used to the standard containers.
  template <typename Key>
  bool erase(const Key& key) const {
    return remove(key);
  }

 private:
  const StdbHost* Raw() const { return host_.raw(); }

  detail::Host host_;
  uint32_t table_id_;
  uint32_t index_id_;
};

// The rows in a range of an index: what filter() returns. Iterating starts a host scan
// (each begin() a new one); see TableIterator. Valid only during the reducer call.
template <typename Tag>
class IndexRows {
 public:
  using Row = typename Tag::Row;

  IndexRows(detail::Host host, uint32_t table_id, uint32_t index_id, std::vector<uint8_t> range)
      : host_(host), table_id_(table_id), index_id_(index_id), range_(std::move(range)) {}

  TableIterator<Tag> begin() const {
    return TableIterator<Tag>(
        host_,
        [this](const StdbHost* raw, uint32_t* out) {
          return raw->index_scan_start(raw->ctx, table_id_, index_id_, range_.data(), range_.size(),
                                       out);
        },
        "index_scan_start");
  }
  TableEnd end() const { return {}; }

  // Every row in the range, in iteration order.
  std::vector<Row> collect() const {
    std::vector<Row> rows;
    for (auto it = begin(); !(it == end()); ++it) rows.push_back(*it);
    return rows;
  }

  // The StdbIndexRange bytes sent to the host (docs/module-abi.md "Index ranges").
  const std::vector<uint8_t>& range_bytes() const { return range_; }

 private:
  detail::Host host_;
  uint32_t table_id_;
  uint32_t index_id_;
  std::vector<uint8_t> range_;
};

template <typename IndexTag>
class IndexHandle;

// An index declared with STDB_INDEX: ctx.db[index]. IndexTag (made by the macro) names
// the table (IndexTag::Table), the algorithm (kAlgorithm) and the columns (a Probe type
// derived from the row whose Tie() ties the index columns by name).
template <typename IndexTag>
class Index {
 public:
  using Tag = typename IndexTag::Table;
  using Row = typename Tag::Row;
  using Columns = decltype(detail::DecayedTuple(std::declval<typename IndexTag::Probe&>().Tie()));
  static constexpr size_t kColumns = std::tuple_size_v<Columns>;
  static_assert(kColumns >= 1, "an index needs at least one column");
  static_assert(detail::AllKeyColumns<Columns>(),
                "an index column must have a key type: an integer, bool, std::string, "
                "Identity, ConnectionId, Timestamp, TimeDuration or an STDB_ENUM");

  explicit Index(const Table<Tag>& table) : table_id_(table.id()) {
    typename IndexTag::Probe probe{};
    Row& row = probe;
    std::vector<uint16_t> columns;
    std::apply(
        [&](auto&... column) {
          (columns.push_back(detail::ColumnIndexAt(row, std::addressof(column))), ...);
        },
        probe.Tie());
    index_id_ = detail::AddIndex(
        detail::EntryOf(table),
        detail::IndexEntry{std::string(IndexTag::kName), IndexTag::kAlgorithm, columns, false});
  }
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  uint32_t table_id() const { return table_id_; }
  uint32_t index_id() const { return index_id_; }
  IndexHandle<IndexTag> Bind(detail::Host host) const {
    return IndexHandle<IndexTag>(host, table_id_, index_id_);
  }

 private:
  uint32_t table_id_;
  uint32_t index_id_;
};

// Access to one index during one reducer call. Cheap to copy.
//
// filter(args...) and remove(args...) take the same arguments: values for the first
// index columns (equality on that prefix), then optionally one range (stdb/index_range.h)
// on the next column. No arguments means every row (btree only). A hash index takes
// exactly one value per column.
template <typename IndexTag>
class IndexHandle {
 public:
  using Tag = typename IndexTag::Table;
  using Row = typename Tag::Row;
  using Columns = typename Index<IndexTag>::Columns;

  IndexHandle(detail::Host host, uint32_t table_id, uint32_t index_id)
      : host_(host), table_id_(table_id), index_id_(index_id) {}

  // The rows matching `args`, in index order for a btree index.
  template <typename... Args>
  IndexRows<Tag> filter(const Args&... args) const {
    CheckHashLookup<Args...>();
    return IndexRows<Tag>(host_, table_id_, index_id_, detail::EncodeIndexRange<Columns>(args...));
  }

  // Deletes the rows matching `args`; returns how many were deleted.
  template <typename... Args>
  uint64_t remove(const Args&... args) const {
    CheckHashLookup<Args...>();
    const std::vector<uint8_t> range = detail::EncodeIndexRange<Columns>(args...);
    uint64_t deleted = 0;
    host_.Check(host_.raw()->index_delete(host_.raw()->ctx, table_id_, index_id_, range.data(),
                                          range.size(), &deleted),
                "index_delete");
    return deleted;
  }

 private:
  template <typename... Args>
  static constexpr void CheckHashLookup() {
    if constexpr (IndexTag::kAlgorithm == detail::IndexKind::kHash) {
      static_assert(
          sizeof...(Args) == std::tuple_size_v<Columns> && !(detail::IsRange<Args> || ...),
          "a hash index answers only lookups that give a value for every column; "
          "use a stdb::BTree index for prefixes and ranges");
    }
  }

  detail::Host host_;
  uint32_t table_id_;
  uint32_t index_id_;
};

namespace detail {

// Adds an auto-increment column (STDB_AUTO_INC).
template <typename Tag, auto Member>
struct AutoIncRegistrar {
  using Column = typename MemberOf<decltype(Member)>::Type;
  static_assert(std::is_same_v<typename MemberOf<decltype(Member)>::Owner, typename Tag::Row>,
                "the column must be a member of the table's row type");
  static_assert(IntegerColumn<Column>, "an auto-increment column must have an integer type");

  explicit AutoIncRegistrar(const Table<Tag>& table) {
    EntryOf(table).sequences.push_back(ColumnIndexOf(Member));
  }
};

}  // namespace detail
}  // namespace module_sdk
}  // namespace stdb

// STDB_PRIMARY_KEY(table, column): makes `column` the primary key of `table`, which
// enables ctx.db[table].find / update / delete_by_pk, and defines the accessor
// `table_column` (find / update / remove by that column).
#define STDB_PRIMARY_KEY(table, column)                                                 \
  inline constexpr auto StdbPrimaryKey(const StdbTable_##table*) {                      \
    return &StdbTable_##table::Row::column;                                             \
  }                                                                                     \
  inline const ::stdb::UniqueColumn<StdbTable_##table, &StdbTable_##table::Row::column> \
      table##_##column {                                                                \
    table, #column, ::stdb::detail::kPrimaryKey                                         \
  }

// STDB_UNIQUE(table, column): no two rows of `table` have equal `column`; defines the
// accessor `table_column`.
#define STDB_UNIQUE(table, column)                                                      \
  inline const ::stdb::UniqueColumn<StdbTable_##table, &StdbTable_##table::Row::column> \
      table##_##column {                                                                \
    table, #column                                                                      \
  }

// STDB_INDEX(table, name, algorithm, column...): an index `name` on the columns, in
// order; algorithm is stdb::BTree or stdb::Hash. Defines the accessor `name`.
#define STDB_INDEX(table, name, algorithm, ...)                        \
  struct StdbIndex_##name {                                            \
    using Table = StdbTable_##table;                                   \
    static constexpr ::std::string_view kName = #name;                 \
    static constexpr ::stdb::detail::IndexKind kAlgorithm = algorithm; \
    struct Probe : StdbTable_##table::Row {                            \
      auto Tie() { return ::std::tie(__VA_ARGS__); }                   \
    };                                                                 \
  };                                                                   \
  inline const ::stdb::Index<StdbIndex_##name> name { table }

// STDB_AUTO_INC(table, column): `column` (an integer) is filled from the table's
// sequence when a row is inserted with 0 there.
#define STDB_AUTO_INC(table, column)                                             \
  inline const ::stdb::detail::AutoIncRegistrar<StdbTable_##table,               \
                                                &StdbTable_##table::Row::column> \
      StdbAutoInc_##table##_##column {                                           \
    table                                                                        \
  }
