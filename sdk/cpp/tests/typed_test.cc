// Unit tests of the client SDK's pure parts: endpoint parsing, backoff, option
// validation and the typed BSATN codecs (checked against the server's own encoder).
#include <gtest/gtest.h>

#include "sats/bsatn.h"
#include "stdb/client.h"
#include "stdb/client/bsatn.h"

namespace stdb::client {
namespace {

TEST(ClientEndpoint, ParsesSchemesHostsAndPorts) {
  // Endpoints accept the forms users paste: with or without a scheme and a port.
  auto a = ParseEndpoint("ws://127.0.0.1:3001");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 3001);
  auto b = ParseEndpoint("http://localhost/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "localhost");
  EXPECT_EQ(b->port, 3000);
  EXPECT_TRUE(ParseEndpoint("node7:9").ok());
  EXPECT_EQ(ParseEndpoint("wss://x:1").status().code(), ErrorCode::kUnsupported);
  EXPECT_FALSE(ParseEndpoint("ws://x:0").ok());
  EXPECT_FALSE(ParseEndpoint("ws://x:70000").ok());
  EXPECT_FALSE(ParseEndpoint("ws://x:1/v1/database").ok());
  EXPECT_FALSE(ParseEndpoint("").ok());
  EXPECT_FALSE(ParseEndpoint(":80").ok());
}

TEST(ClientBackoff, DoublesFromTheInitialDelayUpToTheMaximum) {
  // The n-th consecutive failure waits initial * 2^(n-1), capped at the maximum.
  Options o;
  o.reconnect_initial_delay = std::chrono::milliseconds(100);
  o.reconnect_max_delay = std::chrono::milliseconds(1000);
  EXPECT_EQ(BackoffDelay(o, 1).count(), 100);
  EXPECT_EQ(BackoffDelay(o, 2).count(), 200);
  EXPECT_EQ(BackoffDelay(o, 4).count(), 800);
  EXPECT_EQ(BackoffDelay(o, 5).count(), 1000);
  EXPECT_EQ(BackoffDelay(o, 4000000000u).count(), 1000);
}

TEST(ClientOptions, ConnectRejectsInvalidOptions) {
  // Bad options fail at Connect with a message, before any thread starts.
  Options o;
  o.database = "chat";
  EXPECT_EQ(Connection::Connect(o).status().code(), ErrorCode::kInvalidArgument);  // no endpoint
  o.endpoints = {"127.0.0.1:1"};
  o.inbox_messages_max = 0;
  EXPECT_FALSE(Connection::Connect(o).ok());
  o.inbox_messages_max = 8;
  o.reconnect_max_delay = std::chrono::milliseconds(1);
  EXPECT_FALSE(Connection::Connect(o).ok());
  o.reconnect_max_delay = kReconnectMaxDelayDefault;
  o.database = "a/b";
  EXPECT_FALSE(Connection::Connect(o).ok());
  o.database = "chat";
  o.reconnect_jitter = 2;
  EXPECT_FALSE(Connection::Connect(o).ok());
}

TEST(ClientOptions, SubscriptionsBeyondTheBoundAreRefused) {
  // subscriptions_max bounds the live query sets (each is resent on every reconnection).
  Options o;
  o.database = "chat";
  o.endpoints = {"127.0.0.1:1"};  // never reached: nothing here needs a server
  o.subscriptions_max = 1;
  auto conn = Connection::Connect(o);
  ASSERT_TRUE(conn.ok());
  auto first = (*conn)->subscribe({"SELECT * FROM message"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*conn)->subscribe({"SELECT * FROM user"}).status().code(), ErrorCode::kOverloaded);
  EXPECT_EQ((*conn)->subscribe({}).status().code(), ErrorCode::kInvalidArgument);
  (*conn)->stop();
  EXPECT_EQ((*conn)->subscribe({"SELECT * FROM user"}).status().code(), ErrorCode::kIo);
  EXPECT_EQ((*conn)->call_reducer("x", {}).status().code(), ErrorCode::kIo);
}

struct Point {
  int32_t x = 0;
  std::optional<std::string> label;
  void bsatn_write(Bytes& out) const {
    bsatn::Write(out, x);
    bsatn::Write(out, label);
  }
  bool bsatn_read(ByteReader& r) { return bsatn::Read(r, x) && bsatn::Read(r, label); }
  friend bool operator==(const Point&, const Point&) = default;
};

TEST(ClientBsatn, TypedValuesEncodeAsTheServersEncoder) {
  // The typed codecs produce the bytes src/sats produces for the same SATS values.
  using sats::AlgebraicType;
  using sats::AlgebraicValue;
  const AlgebraicType type = AlgebraicType::Product({
      {"id", AlgebraicType::Identity()},
      {"at", AlgebraicType::Timestamp()},
      {"tags", AlgebraicType::Array(AlgebraicType::String())},
      {"maybe", AlgebraicType::Option(AlgebraicType(sats::TypeKind::kI128))},
      {"when", AlgebraicType::ScheduleAt()},
      {"blob", AlgebraicType::Bytes()},
      {"flag", AlgebraicType::Bool()},
  });
  U256 id = U256::FromU64(42);
  id.limbs[3] = 7;
  const AlgebraicValue value = AlgebraicValue::Product({
      AlgebraicValue::Identity(id),
      AlgebraicValue::Timestamp(-5),
      sats::ArrayValue{{std::string("a"), std::string("bc")}},
      AlgebraicValue::Some(i128(-3)),
      AlgebraicValue::Sum(1, AlgebraicValue::Timestamp(99)),
      Bytes{1, 2, 3},
      true,
  });
  Bytes expected;
  ASSERT_TRUE(sats::EncodeBsatn(type, value, expected).ok());

  Bytes got;
  bsatn::Write(got, id);
  bsatn::Write(got, Timestamp{-5});
  bsatn::Write(got, std::vector<std::string>{"a", "bc"});
  bsatn::Write(got, std::optional<i128>(-3));
  bsatn::Write(got, ScheduleAt{Timestamp{99}});
  bsatn::Write(got, std::vector<uint8_t>{1, 2, 3});
  bsatn::Write(got, true);
  EXPECT_EQ(got, expected);

  ByteReader r(got);
  U256 id2;
  Timestamp ts;
  std::vector<std::string> tags;
  std::optional<i128> maybe;
  ScheduleAt when;
  std::vector<uint8_t> blob;
  bool flag = false;
  ASSERT_TRUE(bsatn::Read(r, id2) && bsatn::Read(r, ts) && bsatn::Read(r, tags) &&
              bsatn::Read(r, maybe) && bsatn::Read(r, when) && bsatn::Read(r, blob) &&
              bsatn::Read(r, flag));
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(id2, id);
  EXPECT_EQ(ts.micros_since_epoch, -5);
  EXPECT_EQ(tags, (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(maybe, std::optional<i128>(-3));
  EXPECT_EQ(when, (ScheduleAt{Timestamp{99}}));
  EXPECT_EQ(blob, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_TRUE(flag);
}

TEST(ClientBsatn, DecodeRejectsTruncatedAndInvalidInput) {
  // Hostile bytes fail to decode instead of reading out of bounds or allocating.
  const Bytes good = bsatn::Encode(Point{7, "p"});
  ASSERT_TRUE(bsatn::Decode<Point>(good).ok());
  EXPECT_EQ(*bsatn::Decode<Point>(good), (Point{7, "p"}));
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(bsatn::Decode<Point>(ByteView(good).first(n)).ok()) << n;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(bsatn::Decode<Point>(trailing).ok());
  Bytes bad_tag = bsatn::Encode(Point{1, std::nullopt});
  bad_tag[4] = 2;  // option tag
  EXPECT_FALSE(bsatn::Decode<Point>(bad_tag).ok());
  const Bytes huge_count = {0xff, 0xff, 0xff, 0xff};
  EXPECT_FALSE(bsatn::Decode<std::vector<uint64_t>>(huge_count).ok());
  EXPECT_FALSE(bsatn::Decode<bool>(Bytes{2}).ok());
}

}  // namespace
}  // namespace stdb::client
