// Per-message compression (?compression=Gzip|Brotli|None): large server messages arrive
// compressed with the requested algorithm, small ones uncompressed.
#include "net/compression.h"

#include <gtest/gtest.h>

#include "server_process.h"
#include "test_util.h"

namespace stdb::integration {
namespace {

using protocol::ReducerOutcome;

constexpr uint32_t kItems = 200;  // ~30 bytes each: the initial rows exceed 1 KiB

struct CompressionCase {
  std::string query;  // the ?compression= parameter
  uint8_t large_tag;  // the frame tag expected for messages above the threshold
};

void PrintTo(const CompressionCase& c, std::ostream* os) { *os << c.query; }

// The cases share one edge_cases server; each adds its own block of items.
class Compression
    : public SharedServerTest<SharedModule::kEdgeCases, ::testing::TestWithParam<CompressionCase>> {
};

TEST_P(Compression, LargeMessagesAreCompressedAndSmallOnesAreNot) {
  // Proves frames above 1 KiB carry the requested compression tag and decode to the full
  // message, while small frames carry tag 0.
  const CompressionCase& c = GetParam();
  // Ids unique to this case: 10000 * (tag + 1) onwards.
  const uint64_t first_id = 10'000 * (uint64_t{c.large_tag} + 1);
  ASSERT_OK_AND_ASSIGN(auto fill, CallHttp(server(), "add_items",
                                           "[" + std::to_string(first_id) + ", " +
                                               std::to_string(kItems) + ", \"item label\"]"));
  ASSERT_EQ(fill.status, 200) << fill.body;

  ASSERT_OK_AND_ASSIGN(auto conn, ConnectAndGreet(server(), {.query = "?compression=" + c.query}));
  ASSERT_FALSE(conn.client->last_frame().empty());
  EXPECT_EQ(conn.client->last_frame()[0], 0) << "InitialConnection is small";

  ASSERT_OK_AND_ASSIGN(auto applied, SubscribeAndWait(*conn.client, 1, 1, {"SELECT * FROM item"}));
  const Bytes big_frame = conn.client->last_frame();
  ASSERT_OK_AND_ASSIGN(auto rows, DecodeRows(ItemRowType(), applied.rows.tables.at(0).rows));
  size_t mine = 0;
  for (const auto& row : rows) {
    const uint64_t id = Field(row, 0).as<uint64_t>();
    mine += id >= first_id && id < first_id + kItems;
  }
  EXPECT_EQ(mine, kItems) << "every item of this case arrives, decoded";
  Bytes encoded;
  protocol::EncodeServerMessage(protocol::ServerMessage(applied), encoded);
  ASSERT_GT(encoded.size(), net::kCompressThresholdBytes);
  EXPECT_EQ(big_frame.at(0), c.large_tag);
  if (c.large_tag != 0) {
    EXPECT_LT(big_frame.size(), encoded.size()) << "the repetitive rows compress";
  } else {
    EXPECT_EQ(big_frame.size(), encoded.size() + 1) << "an uncompressed frame is tag + message";
  }

  // A small reply (a one-row update) is sent uncompressed.
  ASSERT_OK_AND_ASSIGN(auto result, CallWs(*conn.client, 2, "add_item",
                                           EncodeArgs({sats::AlgebraicType(sats::TypeKind::kU64),
                                                       sats::AlgebraicType::String(),
                                                       sats::AlgebraicType(sats::TypeKind::kI32)},
                                                      {sats::AlgebraicValue(first_id + kItems),
                                                       sats::AlgebraicValue(std::string("small")),
                                                       sats::AlgebraicValue(int32_t{1})})));
  ASSERT_EQ(result.outcome.kind, ReducerOutcome::Kind::kOk)
      << Describe(protocol::ServerMessage(result));
  EXPECT_EQ(conn.client->last_frame().at(0), 0);
  EXPECT_LE(conn.client->last_frame().size(), net::kCompressThresholdBytes + 1);
}

INSTANTIATE_TEST_SUITE_P(WebSocket, Compression,
                         ::testing::Values(CompressionCase{"Gzip", 2}, CompressionCase{"Brotli", 1},
                                           CompressionCase{"None", 0}),
                         [](const ::testing::TestParamInfo<CompressionCase>& info) {
                           return info.param.query;
                         });
}  // namespace
}  // namespace stdb::integration
