// Blocking HTTP and WebSocket clients for the CLI and tests. Not for use on server IO
// threads.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "protocol/messages.h"

namespace stdb::net {

// A parsed http://host:port[/path] URL (https is not supported by these clients).
struct Url {
  std::string host;
  uint16_t port = 80;
  std::string path;  // begins with '/'
};
Result<Url> ParseUrl(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Sends one request and reads the response. Fails with kIo when the server cannot be
// reached (the message says which address), never on an HTTP error status.
Result<HttpResponse> HttpRequest(const std::string& method, const std::string& url,
                                 const std::map<std::string, std::string>& headers,
                                 const std::string& body,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A WebSocket client speaking the v2 or v3 protocol.
class WsClient {
 public:
  struct Options {
    std::string url;  // ws://host:port/v1/database/<name>/subscribe?...
    std::vector<std::string> subprotocols = {"v3.bsatn.spacetimedb", "v2.bsatn.spacetimedb"};
    std::optional<std::string> bearer_token;
  };
  // Connects and completes the WebSocket handshake. On an HTTP rejection the Status
  // message carries the status code and body.
  static Result<std::unique_ptr<WsClient>> Connect(const Options& options);
  ~WsClient();

  // The subprotocol the server chose.
  const std::string& protocol() const;

  // Sends one client message (one per frame).
  Status Send(const protocol::ClientMessage& message);
  // Sends raw bytes as one binary (or text) frame, for tests of malformed input.
  Status SendRaw(ByteView frame, bool binary = true);

  // Receives the next server message (v3 frames may carry several; they are returned
  // one at a time). Fails with kIo on close or timeout; after a close, close_reason()
  // says why. A timeout leaves the connection usable: the next call continues waiting
  // for the same frame.
  Result<protocol::ServerMessage> Receive(std::chrono::milliseconds timeout);

  // The close code and reason sent by the server, once the connection has closed.
  std::optional<std::pair<int, std::string>> close_reason() const;

  // The raw bytes of the last frame Receive read from the socket, compression tag
  // included (empty before the first). Messages split from one v3 frame share it. For
  // tests of framing and compression.
  const Bytes& last_frame() const;

  void Close();

 private:
  struct Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stdb::net
