// `spacetime client connect`: an interactive client (line editing and history through
// libedit). It keeps a local cache of the rows its subscriptions match, prints every
// change as it arrives, and calls reducers over its own WebSocket connection.
#pragma once

#include <optional>
#include <string>

namespace stdb::cli {

struct ClientOptions {
  std::string url;                      // ws://host:port (or http://)
  std::optional<std::string> database;  // else `connect <db>` in the session
};

// Runs the session until `quit`, Ctrl-D or Ctrl-C (exit 0). When stdin is not a
// terminal it reads commands line by line without a prompt (for scripts).
int ClientConnect(const ClientOptions& options);

}  // namespace stdb::cli
