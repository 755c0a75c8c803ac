// The generated C++ bindings for a schema with every module type compile, and their rows
// encode exactly as the server's encoder encodes the same values.
#include <gtest/gtest.h>

#include "module_bindings.h"
#include "codegen/testdata/all_types.h"
#include "sats/bsatn.h"

namespace {

TEST(GeneratedBindings, AllTypesRowRoundTripsAndMatchesTheServersEncoding) {
  // A row built with the generated struct encodes to bytes that the server's decoder
  // reads as the table's type, and decodes back to an equal struct.
  module_bindings::Everything row;
  row.id = 7;
  row.b = true;
  row.i8 = -8;
  row.u256 = stdb::U256::FromU64(256);
  row.i128 = -128;
  row.s = "text";
  row.bytes = {1, 2};
  row.list = {"a", "b"};
  row.maybe = 5;
  row.pos = {1, -1};
  row.path = {{2, 3}, {4, 5}};
  row.color = module_bindings::EverythingColor::Green;
  row.shape.value.emplace<2>(module_bindings::EverythingShapeBox{9, 10});
  row.who = stdb::U256::FromU64(42);
  row.conn = 99;
  row.at = {1234};
  row.took = {-5};
  row.when.value = stdb::client::Timestamp{77};
  row.class_ = true;

  const stdb::Bytes bytes = stdb::client::bsatn::Encode(row);
  const auto def = stdb::codegen::testdata::AllTypesModule();
  ASSERT_TRUE(stdb::sats::ValidateBsatn(def.tables[0].row_type, bytes).ok());
  auto back = stdb::client::bsatn::Decode<module_bindings::Everything>(bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, row);

  // Re-encoding the server's decoded value gives the same bytes.
  auto value = stdb::sats::DecodeBsatnExact(def.tables[0].row_type, bytes);
  ASSERT_TRUE(value.ok());
  stdb::Bytes again;
  ASSERT_TRUE(stdb::sats::EncodeBsatn(def.tables[0].row_type, *value, again).ok());
  EXPECT_EQ(again, bytes);
}

TEST(GeneratedBindings, EnumOutOfRangeDoesNotDecode) {
  // An enum tag beyond the declared variants is rejected.
  stdb::Bytes bytes = {2};
  EXPECT_FALSE(stdb::client::bsatn::Decode<module_bindings::EverythingColor>(bytes).ok());
  bytes = {1};
  EXPECT_TRUE(stdb::client::bsatn::Decode<module_bindings::EverythingColor>(bytes).ok());
}

}  // namespace
