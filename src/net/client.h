// Blocking HTTP and WebSocket clients for the CLI and tests. Not for use on server IO
// threads.
#pragma once

#include <chrono>
#include <functional>
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

// Called as the request goes out: bytes of the body sent so far (approximate: counted
// with the head) and the body's size.
using UploadProgress = std::function<void(uint64_t sent, uint64_t total)>;

// Sends one request and reads the response. Fails with kIo when the server cannot be
// reached (the message says which address), never on an HTTP error status.
Result<HttpResponse> HttpRequest(const std::string& method, const std::string& url,
                                 const std::map<std::string, std::string>& headers,
                                 const std::string& body,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                 const UploadProgress& on_upload = {});

// What HttpStream does with a response as it arrives.
struct HttpStreamHandler {
  // Called once with the status and the headers (lower-case names) before any body.
  std::function<void(int status, const std::map<std::string, std::string>& headers)> on_head;
  // Called with each piece of the body as it arrives (chunk boundaries are not kept).
  // Returns false to stop reading.
  std::function<bool(std::string_view data)> on_body;
  // Polled at least every kHttpStreamPollInterval while waiting; returns true to stop
  // (e.g. after Ctrl-C). May be empty.
  std::function<bool()> cancelled;
};
inline constexpr auto kHttpStreamPollInterval = std::chrono::milliseconds(100);

struct HttpStreamResult {
  int status = 0;
  // The body ended as the server framed it. False when the connection closed first (the
  // server went away), or the handler or `cancelled` stopped the read.
  bool complete = false;
};

// Sends one request and hands the response body to `handler` piece by piece as it
// arrives, without keeping it, for responses that stay open (GET /logs?follow=true).
// `head_timeout` bounds connecting, sending and receiving the response head; the body has
// no deadline. Fails with kIo when the server cannot be reached or no head arrives;
// once the head has arrived, a broken connection is reported as complete = false.
Result<HttpStreamResult> HttpStream(
    const std::string& method, const std::string& url,
    const std::map<std::string, std::string>& headers, const std::string& body,
    const HttpStreamHandler& handler,
    std::chrono::milliseconds head_timeout = std::chrono::seconds(60));

// A WebSocket client speaking the v2 or v3 protocol.
class WsClient {
 public:
  struct Options {
    std::string url;  // ws://host:port/v1/database/<name>/subscribe?...
    std::vector<std::string> subprotocols = {"v3.bsatn.spacetimedb", "v2.bsatn.spacetimedb"};
    std::optional<std::string> bearer_token;
    // If set, SO_RCVBUF for the socket, applied before connecting so that the TCP window
    // stays this small (the kernel doubles it for bookkeeping and keeps a floor). For
    // tests of slow readers: a client that stops reading then stalls the server's writes
    // after a few KiB instead of several MiB.
    std::optional<int> receive_buffer_bytes;
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

  // How many WebSocket messages (frames, in the protocol's sense) Receive has read from
  // the socket so far; a v3 frame carrying several server messages counts once. Control
  // frames (ping, pong, close) are not counted. For tests of batching.
  size_t frames_received() const;

  // How many messages of the last v3 frame are decoded and waiting: the next this many
  // Receive calls return at once, without touching the socket.
  size_t buffered_messages() const;

  void Close();

 private:
  struct Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stdb::net
