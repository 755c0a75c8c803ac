// Quickstart chat: the module from SpacetimeDB's quickstart, written with the stdb C++
// module SDK. Clients connect, pick a name and send messages; every client subscribed to
// the public tables sees users come and go and messages arrive.
#include <stdb/module.h>

#include <optional>
#include <string>
#include <utility>

namespace chat {

// One row per identity that has ever connected.
struct User {
  stdb::Identity identity;
  std::optional<std::string> name;  // none until the user sets one
  bool online;
};
STDB_STRUCT(User, identity, name, online);
STDB_TABLE(User, user, stdb::Public);
STDB_PRIMARY_KEY(user, identity);

struct Message {
  stdb::Identity sender;
  stdb::Timestamp sent;
  std::string text;
};
STDB_STRUCT(Message, sender, sent, text);
STDB_TABLE(Message, message, stdb::Public);

// Sets the caller's display name.
stdb::Outcome set_name(stdb::ReducerContext& ctx, std::string name) {
  if (name.empty()) return stdb::Err("Names must not be empty");
  std::optional<User> u = ctx.db[user].find(ctx.sender());
  if (!u.has_value()) return stdb::Err("Cannot set name for unknown user");
  u->name = std::move(name);
  ctx.db[user].update(*u);
  return stdb::Ok();
}
STDB_REDUCER(set_name, name);

// Posts a message from the caller, stamped with the transaction's time.
stdb::Outcome send_message(stdb::ReducerContext& ctx, std::string text) {
  if (text.empty()) return stdb::Err("Messages must not be empty");
  ctx.log_info(text);
  ctx.db[message].insert(Message{ctx.sender(), ctx.timestamp(), std::move(text)});
  return stdb::Ok();
}
STDB_REDUCER(send_message, text);

// Runs once, when the database is created. The chat starts empty.
void init(stdb::ReducerContext& ctx) { ctx.log_info("quickstart chat initialized"); }
STDB_INIT(init);

// A returning user comes back online with their name; a new one starts without a name.
void client_connected(stdb::ReducerContext& ctx) {
  if (std::optional<User> u = ctx.db[user].find(ctx.sender())) {
    u->online = true;
    ctx.db[user].update(*u);
  } else {
    ctx.db[user].insert(User{ctx.sender(), std::nullopt, true});
  }
}
STDB_CLIENT_CONNECTED(client_connected);

// The user row stays so that the name survives a reconnect.
void client_disconnected(stdb::ReducerContext& ctx) {
  if (std::optional<User> u = ctx.db[user].find(ctx.sender())) {
    u->online = false;
    ctx.db[user].update(*u);
  } else {
    ctx.log_warn("Disconnect event for unknown user with identity " + ctx.sender().to_hex());
  }
}
STDB_CLIENT_DISCONNECTED(client_disconnected);

}  // namespace chat
