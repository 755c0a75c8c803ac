#include "store/table.h"

#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace stdb::store {
namespace {

using testing::PeopleSchema;
using testing::PersonRow;
using testing::U64Key;

TEST(Table, InsertedRowIsFoundByPrimaryKeyAndByValue) {
  // Proves both indexes point at the stored row.
  Table t(PeopleSchema());
  auto r = t.Insert(PersonRow(7, "ada"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->inserted);
  EXPECT_EQ(t.FindByPrimaryKey(U64Key(7)), r->id);
  EXPECT_EQ(t.FindRow(PersonRow(7, "ada")), r->id);
  EXPECT_FALSE(t.FindByPrimaryKey(U64Key(8)).has_value());
  EXPECT_EQ(t.size(), 1u);
}

TEST(Table, DuplicateRowIsANoOpButDuplicateKeyIsAViolation) {
  // Proves set semantics for equal rows and uniqueness for equal keys.
  Table t(PeopleSchema());
  ASSERT_TRUE(t.Insert(PersonRow(1, "a")).ok());
  auto again = t.Insert(PersonRow(1, "a"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->inserted);
  auto clash = t.Insert(PersonRow(1, "b"));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), ErrorCode::kUniqueViolation);
  EXPECT_NE(clash.status().message().find("people"), std::string::npos);
  EXPECT_EQ(t.size(), 1u);
}

TEST(Table, MalformedRowIsRejectedAndTableUnchanged) {
  // Proves rows are validated against the schema before they are stored.
  Table t(PeopleSchema());
  Bytes bad = PersonRow(1, "abc");
  bad.pop_back();
  auto r = t.Insert(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDecode);
  EXPECT_EQ(t.size(), 0u);
}

TEST(Table, RemoveFreesTheKeyAndRestorePutsTheRowBackInItsSlot) {
  // Proves Remove/Restore keep indexes exact, which rollback depends on.
  Table t(PeopleSchema());
  auto a = t.Insert(PersonRow(1, "a"));
  ASSERT_TRUE(a.ok());
  Bytes removed = t.Remove(a->id);
  EXPECT_FALSE(t.FindByPrimaryKey(U64Key(1)).has_value());
  EXPECT_EQ(t.size(), 0u);
  t.Restore(a->id, std::move(removed));
  EXPECT_EQ(t.FindByPrimaryKey(U64Key(1)), a->id);
  EXPECT_EQ(t.size(), 1u);
}

TEST(Table, ForEachVisitsEveryLiveRowOnce) {
  // Proves scans skip freed slots.
  Table t(PeopleSchema());
  for (uint64_t i = 0; i < 100; ++i) ASSERT_TRUE(t.Insert(PersonRow(i, "n")).ok());
  for (uint64_t i = 0; i < 100; i += 2) t.Remove(*t.FindByPrimaryKey(U64Key(i)));
  size_t seen = 0;
  t.ForEach([&](RowId, ByteView) { ++seen; });
  EXPECT_EQ(seen, 50u);
  EXPECT_EQ(t.LiveIds().size(), 50u);
}

}  // namespace
}  // namespace stdb::store
