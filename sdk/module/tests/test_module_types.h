// Row and argument types of the SDK test module (test_module.cc). Shared with the tests,
// which decode the module's rows with the same definitions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stdb/struct.h"
#include "stdb/types.h"

namespace test_module {

STDB_ENUM(Color, Red, Green, Blue);

struct Point {
  int32_t x;
  int32_t y;

  friend bool operator==(const Point&, const Point&) = default;
};
STDB_STRUCT(Point, x, y);

// One column of every supported type.
struct Everything {
  bool flag;
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  stdb::i128 i128;
  stdb::u128 u128;
  stdb::I256 i256;
  stdb::U256 u256;
  float f32;
  double f64;
  std::string text;
  std::vector<uint8_t> bytes;
  std::vector<std::string> words;
  std::optional<int32_t> maybe;
  stdb::Identity identity;
  stdb::ConnectionId connection_id;
  stdb::Timestamp timestamp;
  stdb::TimeDuration duration;
  stdb::ScheduleAt schedule;
  Point point;
  Color color;
  std::vector<Point> path;
  std::optional<std::vector<std::optional<Color>>> nested;

  friend bool operator==(const Everything&, const Everything&) = default;
};
STDB_STRUCT(Everything, flag, i8, i16, i32, i64, u8, u16, u32, u64, i128, u128, i256, u256, f32,
            f64, text, bytes, words, maybe, identity, connection_id, timestamp, duration, schedule,
            point, color, path, nested);

struct Item {
  uint64_t id;
  std::string label;
  int64_t value;

  friend bool operator==(const Item&, const Item&) = default;
};
STDB_STRUCT(Item, id, label, value);

struct Note {
  stdb::Identity author;
  std::string text;
};
STDB_STRUCT(Note, author, text);

// What a reducer saw in its context (record_call).
struct CallInfo {
  stdb::Identity sender;
  std::optional<stdb::ConnectionId> connection_id;
  stdb::Timestamp timestamp;
  stdb::Identity module_identity;
  std::vector<uint64_t> random;
};
STDB_STRUCT(CallInfo, sender, connection_id, timestamp, module_identity, random);

// A table with a primary key, a sequence, a unique column and three indexes
// (test_module_indexes.cc).
struct Player {
  uint64_t id;
  std::string name;
  uint32_t level;
  int32_t x;
  int32_t y;
  std::string team;

  friend bool operator==(const Player&, const Player&) = default;
};
STDB_STRUCT(Player, id, name, level, x, y, team);

// A schedule table's row.
struct Tick {
  uint64_t scheduled_id;
  stdb::ScheduleAt scheduled_at;
  std::string note;
};
STDB_STRUCT(Tick, scheduled_id, scheduled_at, note);

// One scheduled call as the tick reducer saw it.
struct Fired {
  uint64_t n;
  uint64_t tick_id;
  std::string note;
  bool from_module;     // sender == the database's identity
  bool has_connection;  // a connection id was set
  stdb::Timestamp at;
};
STDB_STRUCT(Fired, n, tick_id, note, from_module, has_connection, at);

}  // namespace test_module
