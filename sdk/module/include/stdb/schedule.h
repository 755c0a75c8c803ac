// Schedule tables: rows that make the server call a reducer at a time or at an interval.
//
//   struct Reminder {
//     uint64_t scheduled_id;           // the schedule's primary key, allocated on insert
//     stdb::ScheduleAt scheduled_at;   // when: ScheduleAt::time(t) or ::interval(d)
//     std::string text;                // anything else the reducer needs
//   };
//   STDB_STRUCT(Reminder, scheduled_id, scheduled_at, text);
//   STDB_TABLE(Reminder, reminder, stdb::Private);
//
//   void send_reminder(stdb::ReducerContext& ctx, Reminder row) { ... }
//   STDB_REDUCER(send_reminder, row);
//   STDB_SCHEDULE(reminder, send_reminder, scheduled_at);
//
//   ctx.db[reminder].insert(Reminder{0, stdb::ScheduleAt::time(ctx.timestamp() + d), "hi"});
//
// Contract (docs/module-abi.md "Schedule tables"):
// - STDB_SCHEDULE(table, reducer, at_column) goes at namespace scope after the table and a
//   declaration of the reducer. It makes `scheduled_id` (which must be a uint64_t member)
//   the table's auto-increment primary key, so it also defines the accessor
//   `table_scheduled_id` (stdb/index.h); do not declare that key yourself.
// - at_column has type stdb::ScheduleAt; the reducer takes exactly one parameter after the
//   context, of the table's row type. Both are checked at compile time.
// - A Time(t) row runs the reducer once at t and is then deleted; an Interval(d) row runs
//   it every d until the row is deleted. Deleting a row cancels it. Scheduled calls run
//   with the database's own identity as sender (ctx.sender() == ctx.identity()) and no
//   connection id.
#pragma once

#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "stdb/index.h"
#include "stdb/reducer.h"
#include "stdb/registry.h"
#include "stdb/table.h"
#include "stdb/types.h"

namespace stdb {
inline namespace module_sdk {
namespace detail {

// Binds a schedule table to its reducer (STDB_SCHEDULE).
template <typename Tag, auto AtMember, auto Reducer>
struct ScheduleRegistrar {
  using Row = typename Tag::Row;
  using Sig = ReducerSignature<decltype(Reducer)>;
  static_assert(std::is_same_v<typename MemberOf<decltype(AtMember)>::Type, ScheduleAt>,
                "the schedule column (STDB_SCHEDULE's third argument) must be a "
                "stdb::ScheduleAt");
  static_assert(std::is_same_v<decltype(std::declval<Row&>().scheduled_id), uint64_t>,
                "a schedule table's row needs a `uint64_t scheduled_id` member");
  static_assert(Sig::kIsReducer && Sig::kArity == 1,
                "a scheduled reducer takes the context and one parameter, the table's row");

  ScheduleRegistrar(const Table<Tag>& table, std::string_view reducer_name) {
    if constexpr (Sig::kIsReducer && Sig::kArity == 1) {
      static_assert(std::is_same_v<std::tuple_element_t<0, typename Sig::Values>, Row>,
                    "a scheduled reducer's parameter must be the schedule table's row type");
    }
    EntryOf(table).schedule = ScheduleEntry{reducer_name, ColumnIndexOf(AtMember)};
  }
};

}  // namespace detail
}  // namespace module_sdk
}  // namespace stdb

// STDB_SCHEDULE(table, reducer, at_column): see the contract at the top of this file.
#define STDB_SCHEDULE(table, reducer, at_column)                                               \
  STDB_PRIMARY_KEY(table, scheduled_id);                                                       \
  STDB_AUTO_INC(table, scheduled_id);                                                          \
  inline const ::stdb::detail::ScheduleRegistrar<StdbTable_##table,                            \
                                                 &StdbTable_##table::Row::at_column, &reducer> \
      StdbSchedule_##table {                                                                   \
    table, #reducer                                                                            \
  }
