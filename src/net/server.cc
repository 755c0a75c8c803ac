#include "net/server.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "auth/identity.h"
#include "auth/token.h"
#include "base/log.h"
#include "base/thread.h"
#include "db/registry.h"
#include "module/schema.h"
#include "net/async.h"
#include "net/backup_stream.h"
#include "net/http_util.h"
#include "net/ws_session.h"
#include "obs/metrics.h"
#include "sats/bsatn.h"
#include "sats/json.h"

namespace stdb::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using sats::Json;
constexpr auto kNoThrow = asio::as_tuple(use_awaitable);

// Bounded: request headers, and bodies other than module uploads.
inline constexpr uint32_t kHeaderBytesMax = 16 << 10;
inline constexpr uint64_t kBodyBytesMax = 1 << 20;
// An idle or slow HTTP client is dropped after this long.
inline constexpr auto kHttpTimeout = std::chrono::seconds(60);
// Short-lived tokens for POST /v1/identity/websocket-token.
inline constexpr int64_t kWebsocketTokenTtlSeconds = 60;
// Bounded: GET /logs?num_lines= above this is refused with 400.
inline constexpr uint64_t kLogLinesRequestMax = 1'000'000;
// A log follower that does not take a chunk within this long is disconnected.
inline constexpr auto kLogWriteTimeout = std::chrono::seconds(30);

namespace {

// A request's caller: the verified claims of its token, and the token we minted for it
// when it came without one.
struct Authed {
  auth::Claims claims;
  std::optional<std::string> minted_token;
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, db::Registry& r, auth::TokenAuthority& t)
      : options(std::move(o)), registry(r), tokens(t) {
    for (int i = 0; i < std::max(1, options.io_threads); ++i) {
      // One thread runs each context (hint 1): handlers it posts to itself take no lock,
      // and an idle thread sleeps in epoll_wait rather than on a condition variable that
      // every post from the release thread would have to signal.
      iocs.push_back(std::make_unique<asio::io_context>(1));
      keep_running.emplace_back(iocs.back()->get_executor());
    }
  }

  ServerOptions options;
  db::Registry& registry;
  auth::TokenAuthority& tokens;
  // One io_context per IO thread; each connection lives on one of them (round robin), so
  // its handlers are serialized without a strand. iocs[0] also runs the acceptor.
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  size_t next_ioc = 0;  // Listen's coroutine only
  std::optional<tcp::acceptor> acceptor;
  asio::thread_pool blocking{1};  // publish: writes files, loads modules, runs init
  std::vector<std::thread> threads;
  std::atomic<uint64_t> next_client_id{1};
  std::atomic<uint64_t> next_request_id{0};  // for requests without an X-Request-Id
  std::mutex mu;
  std::condition_variable stopped_cv;
  bool stopped = false;

  asio::awaitable<void> Listen();
  asio::awaitable<void> HttpSession(beast::tcp_stream stream);
  asio::awaitable<Response> Route(const Request& req, const Target& target);
  asio::awaitable<void> Upgrade(beast::tcp_stream stream, Request req, Target target);

  // Handlers.
  Response Identity(const Request& req);
  Response WebsocketToken(const Request& req, const Target& target);
  asio::awaitable<Response> Call(const Request& req, const Target& t, const std::string& db,
                                 const std::string& reducer);
  asio::awaitable<Response> Sql(const Request& req, const Target& t, const std::string& db);
  Response Schema(const Request& req, const Target& target, const std::string& db);
  asio::awaitable<Response> Publish(const Request& req, const Target& t, const std::string& db);
  asio::awaitable<Response> Delete(const Request& req, const Target& t, const std::string& db);
  asio::awaitable<Response> ListDatabases(const Request& req);
  Response DescribeDatabase(const Request& req, const std::string& db);
  // GET /v1/database/:name/logs writes its own response (a stream when following).
  // Returns whether the connection may serve another request.
  asio::awaitable<bool> Logs(beast::tcp_stream& stream, const Request& req, const Target& t);
  asio::awaitable<void> FollowLogs(beast::tcp_stream& stream, const Request& req,
                                   std::shared_ptr<db::Database> db, size_t backlog_max);
  // GET /v1/database/:name/backup streams its own response. Returns false (the stream
  // is not reused).
  asio::awaitable<bool> Backup(beast::tcp_stream& stream, const Request& req, const Target& t);
  // The error response unless the request's caller owns database `name`; `what` says
  // what they asked for ("read its logs").
  std::optional<Response> RequireOwner(const Request& req, const Target& t,
                                       const std::string& name, const std::string& what);

  // Authentication: the verified claims of the request's token, or a freshly minted
  // identity when it has none and `mint` is true.
  Result<Authed> Authenticate(const Request& req, const Target& target, bool mint);
};

namespace {

// Clients may name their request; log lines about it carry the name (base/log.h).
constexpr std::string_view kRequestIdHeader = "X-Request-Id";

RequestId RequestIdOf(const Request& req) { return RequestId(req[kRequestIdHeader]); }

Response MakeResponse(const Request& req, http::status status, std::string body,
                      std::string_view content_type) {
  Response res{status, req.version()};
  res.set(http::field::server, "stdb");
  res.set(http::field::content_type, content_type);
  res.set(http::field::access_control_allow_origin, "*");
  // Every request has one (HttpSession sets it when the client did not).
  if (auto id = req[kRequestIdHeader]; !id.empty()) res.set(kRequestIdHeader, id);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response Text(const Request& req, http::status status, std::string body) {
  if (!body.empty() && body.back() != '\n') body.push_back('\n');
  return MakeResponse(req, status, std::move(body), "text/plain; charset=utf-8");
}

Response JsonResponse(const Request& req, const Json& j, http::status status = http::status::ok) {
  return MakeResponse(req, status, j.dump(), "application/json");
}

http::status StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return http::status::not_found;
    case ErrorCode::kUnauthenticated:
      return http::status::unauthorized;
    case ErrorCode::kPermissionDenied:
      return http::status::forbidden;
    case ErrorCode::kOverloaded:
      return http::status::service_unavailable;
    case ErrorCode::kInternal:
    case ErrorCode::kIo:
      return http::status::internal_server_error;
    // A reducer that ran and failed: SpacetimeDB answers 530 for this.
    case ErrorCode::kReducerError:
      return static_cast<http::status>(530);
    default:
      return http::status::bad_request;
  }
}

Response ErrorResponse(const Request& req, const Status& s) {
  return Text(req, StatusFor(s.code()), s.message());
}

std::string_view Header(const Request& req, http::field f) {
  auto it = req.find(f);
  return it == req.end() ? std::string_view() : std::string_view(it->value());
}

// GET /v1/database/:name/<what> (logs, backup), which Server::Impl answers on the
// stream itself.
bool IsStreamRequest(const Request& req, const Target& t, std::string_view what) {
  const auto& s = t.segments;
  return req.method() == http::verb::get && s.size() == 4 && s[0] == "v1" && s[1] == "database" &&
         s[3] == what;
}

void AddIdentityHeaders(Response& res, const Authed& a) {
  if (!a.minted_token) return;
  res.set("spacetime-identity", auth::IdentityToHex(a.claims.identity));
  res.set("spacetime-identity-token", *a.minted_token);
}

}  // namespace

Result<Authed> Server::Impl::Authenticate(const Request& req, const Target& target, bool mint) {
  std::optional<std::string> token;
  if (auto h = Header(req, http::field::authorization); !h.empty()) {
    token = BearerToken(h);
    if (!token) {
      return Status(ErrorCode::kUnauthenticated,
                    "the Authorization header must be 'Bearer <token>'");
    }
  } else if (auto it = target.query.find("token"); it != target.query.end()) {
    token = it->second;
  }
  if (token) {
    STDB_ASSIGN_OR_RETURN(auto claims, tokens.Verify(*token));
    return Authed{std::move(claims), std::nullopt};
  }
  if (!mint) {
    return Status(ErrorCode::kUnauthenticated,
                  "this request needs an identity token (Authorization: Bearer <token>)");
  }
  STDB_ASSIGN_OR_RETURN(auto minted, tokens.CreateIdentity());
  return Authed{std::move(minted.claims), std::move(minted.token)};
}

Response Server::Impl::Identity(const Request& req) {
  auto minted = tokens.CreateIdentity();
  if (!minted.ok()) return ErrorResponse(req, minted.status());
  return JsonResponse(req, Json{{"identity", auth::IdentityToHex(minted->claims.identity)},
                                {"token", minted->token}});
}

Response Server::Impl::WebsocketToken(const Request& req, const Target& target) {
  auto authed = Authenticate(req, target, /*mint=*/false);
  if (!authed.ok()) return ErrorResponse(req, authed.status());
  auto token = tokens.IssueShortLived(authed->claims, kWebsocketTokenTtlSeconds);
  if (!token.ok()) return ErrorResponse(req, token.status());
  return JsonResponse(req, Json{{"token", *token}});
}

Response Server::Impl::Schema(const Request& req, const Target& target,
                                const std::string& name) {
  auto db = registry.Find(name);
  if (!db) return Text(req, http::status::not_found, "no database named '" + name + "'");
  auto format = target.query.find("format");
  if (format == target.query.end() || format->second == "json")
    return JsonResponse(req, module::ModuleDefToJson(*db->schema()));
  if (format->second == "bsatn") {
    Bytes def = module::EncodeModuleDef(*db->schema());
    return MakeResponse(req, http::status::ok, std::string(def.begin(), def.end()),
                        "application/octet-stream");
  }
  return Text(req, http::status::bad_request,
              "format must be 'json' or 'bsatn', not '" + format->second + "'");
}

asio::awaitable<Response> Server::Impl::Call(const Request& req, const Target& t,
                                             const std::string& name, const std::string& reducer) {
  auto db = registry.Find(name);
  if (!db) co_return Text(req, http::status::not_found, "no database named '" + name + "'");
  auto authed = Authenticate(req, t, /*mint=*/true);
  if (!authed.ok()) co_return ErrorResponse(req, authed.status());
  auto schema = db->schema();
  auto id = schema->FindReducer(reducer);
  if (!id) {
    co_return Text(req, http::status::not_found,
                   "no such reducer '" + reducer + "' in database '" + name + "'");
  }
  const sats::AlgebraicType& params = schema->reducers[*id].params;
  std::string_view body = req.body();
  Json args = body.find_first_not_of(" \t\r\n") == std::string_view::npos
                  ? Json::array()
                  : Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (args.is_discarded()) {
    co_return Text(req, http::status::bad_request, "the request body is not valid JSON");
  }
  if (!args.is_array()) {
    co_return Text(req, http::status::bad_request,
                   "the request body must be a JSON array of the reducer's arguments");
  }
  if (args.size() != params.elements().size()) {
    co_return Text(req, http::status::bad_request,
                   "reducer '" + reducer + "' takes " + std::to_string(params.elements().size()) +
                       " argument(s) " + params.ToString() + ", got " +
                       std::to_string(args.size()));
  }
  // One argument at a time, so that an error names the parameter, not just its index.
  std::vector<sats::AlgebraicValue> fields;
  for (size_t i = 0; i < args.size(); ++i) {
    const sats::Element& param = params.elements()[i];
    auto field = sats::ValueFromJson(param.type, args[i]);
    if (!field.ok()) {
      co_return Text(req, http::status::bad_request,
                     "invalid argument " + std::to_string(i) + " '" + param.name.value_or("") +
                         "' (" + param.type.ToString() + ") for reducer '" + reducer +
                         "': " + field.status().message());
    }
    fields.push_back(std::move(field).value());
  }
  Bytes bsatn;
  if (Status s = sats::EncodeBsatn(params, sats::AlgebraicValue::Product(std::move(fields)), bsatn);
      !s.ok()) {
    co_return ErrorResponse(req, s);
  }
  const db::Caller caller{authed->claims.identity, 0};
  db::CallOutcome outcome = co_await AwaitCallback<db::CallOutcome>([&](auto done) {
    ScopedRequestId request(RequestIdOf(req));  // not across a co_await: set per thread
    Status s = db->CallReducer(caller, reducer, std::move(bsatn), done);
    if (!s.ok()) done(db::CallOutcome{s});
  });
  Response res =
      outcome.status.ok() ? Text(req, http::status::ok, "") : ErrorResponse(req, outcome.status);
  AddIdentityHeaders(res, *authed);
  co_return res;
}

asio::awaitable<Response> Server::Impl::Sql(const Request& req, const Target& t,
                                            const std::string& name) {
  auto db = registry.Find(name);
  if (!db) co_return Text(req, http::status::not_found, "no database named '" + name + "'");
  auto authed = Authenticate(req, t, /*mint=*/true);
  if (!authed.ok()) co_return ErrorResponse(req, authed.status());
  const db::Caller caller{authed->claims.identity, 0};
  using SqlOut = Result<std::vector<db::SqlResult>>;
  SqlOut out = co_await AwaitCallback<SqlOut>([&](auto done) {
    ScopedRequestId request(RequestIdOf(req));
    Status s = db->Sql(caller, req.body(), done);
    if (!s.ok()) done(SqlOut(s));
  });
  if (!out.ok()) co_return ErrorResponse(req, out.status());
  Json results = Json::array();
  for (const auto& r : *out) {
    Json rows = Json::array();
    for (const auto& row : r.rows) {
      auto v = sats::DecodeBsatnExact(r.schema, row);
      rows.push_back(v.ok() ? sats::ValueToJson(r.schema, *v) : Json());
    }
    results.push_back(Json{{"schema", sats::TypeToJson(r.schema)["Product"]},
                           {"rows", std::move(rows)},
                           {"total_duration_micros", r.duration_micros},
                           {"rows_affected", r.rows_affected}});
  }
  Response res = JsonResponse(req, results);
  AddIdentityHeaders(res, *authed);
  co_return res;
}

asio::awaitable<Response> Server::Impl::Publish(const Request& req, const Target& t,
                                                const std::string& name) {
  auto authed = Authenticate(req, t, /*mint=*/false);
  if (!authed.ok()) co_return ErrorResponse(req, authed.status());
  const bool clear = t.query.contains("clear") && t.query.at("clear") != "false";
  const U256 publisher = authed->claims.identity;
  using Out = Result<db::Registry::PublishResult>;
  // Loading a module and running init block: do it on the blocking pool.
  Out out = co_await AwaitCallback<Out>([&](auto done) {
    asio::post(blocking, [this, &req, name, publisher, clear, done] {
      ScopedRequestId request(RequestIdOf(req));
      done(registry.Publish(name, AsBytes(req.body()), publisher, clear));
    });
  });
  if (!out.ok()) co_return ErrorResponse(req, out.status());
  co_return JsonResponse(req,
                         Json{{"database", name},
                              {"identity", auth::IdentityToHex(out->identity)},
                              {"created", out->created},
                              {"unchanged", out->unchanged}},
                         out->created ? http::status::created : http::status::ok);
}

asio::awaitable<Response> Server::Impl::Delete(const Request& req, const Target& t,
                                               const std::string& name) {
  auto authed = Authenticate(req, t, /*mint=*/false);
  if (!authed.ok()) co_return ErrorResponse(req, authed.status());
  const U256 requester = authed->claims.identity;
  // Stopping the database waits for its worker and commit log: off the IO threads.
  Status out = co_await AwaitCallback<Status>([&](auto done) {
    asio::post(blocking, [this, &req, name, requester, done] {
      ScopedRequestId request(RequestIdOf(req));
      done(registry.Delete(name, requester));
    });
  });
  if (!out.ok()) co_return ErrorResponse(req, out);
  co_return JsonResponse(req, Json{{"database", name}, {"deleted", true}});
}

namespace {

Json InfoToJson(const db::Registry::Info& info) {
  return Json{{"name", info.name},
              {"identity", auth::IdentityToHex(info.identity)},
              {"owner", info.owner ? Json(auth::IdentityToHex(*info.owner)) : Json()},
              {"module", info.module_file},
              {"running", info.running}};
}

}  // namespace

asio::awaitable<Response> Server::Impl::ListDatabases(const Request& req) {
  // List reads every database's meta.json: off the IO threads.
  auto infos = co_await AwaitCallback<std::vector<db::Registry::Info>>([&](auto done) {
    asio::post(blocking, [this, done] { done(registry.List()); });
  });
  Json list = Json::array();
  for (const auto& info : infos) list.push_back(InfoToJson(info));
  co_return JsonResponse(req, Json{{"databases", std::move(list)}});
}

Response Server::Impl::DescribeDatabase(const Request& req, const std::string& name) {
  auto info = registry.Describe(name);
  if (!info) return Text(req, http::status::not_found, "no database named '" + name + "'");
  Json j = InfoToJson(*info);
  if (auto db = registry.Find(name)) j["schema"] = module::ModuleDefToJson(*db->schema());
  return JsonResponse(req, j);
}

namespace {

// What GET /logs asks for, once checked.
struct LogsQuery {
  std::optional<size_t> num_lines;  // nullopt: every line in the ring
  bool follow = false;
};

Result<LogsQuery> ParseLogsQuery(const Target& t) {
  LogsQuery q;
  if (auto it = t.query.find("num_lines"); it != t.query.end()) {
    const std::string& text = it->second;
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    const bool digits = !text.empty() && end == text.data() + text.size();
    if (!digits || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      return InvalidArgument("num_lines must be a whole number, got '" + text + "'");
    }
    if (ec == std::errc::result_out_of_range || n > kLogLinesRequestMax) {
      return InvalidArgument("num_lines must be at most " + std::to_string(kLogLinesRequestMax));
    }
    q.num_lines = static_cast<size_t>(n);
  }
  if (auto it = t.query.find("follow"); it != t.query.end()) {
    if (it->second != "true" && it->second != "false") {
      return InvalidArgument("follow must be true or false, got '" + it->second + "'");
    }
    q.follow = it->second == "true";
  }
  return q;
}

// The records as newline-delimited JSON (docs/http-api.md).
std::string LogLines(const std::vector<db::LogRecord>& records) {
  std::string out;
  for (const auto& r : records) {
    out += db::LogRecordToJson(r);
    out += '\n';
  }
  return out;
}

asio::awaitable<bool> WriteResponse(beast::tcp_stream& stream, Response res) {
  const bool keep_alive = res.keep_alive();
  auto [ec, n] = co_await http::async_write(stream, res, kNoThrow);
  co_return keep_alive && !ec;
}

}  // namespace

asio::awaitable<bool> Server::Impl::Logs(beast::tcp_stream& stream, const Request& req,
                                         const Target& t) {
  const std::string& name = t.segments[2];
  auto db = registry.Find(name);
  if (!db) {
    co_return co_await WriteResponse(
        stream, Text(req, http::status::not_found, "no database named '" + name + "'"));
  }
  // Module logs may hold anything a reducer printed: only the owner reads them.
  if (auto refused = RequireOwner(req, t, name, "read its logs")) {
    co_return co_await WriteResponse(stream, std::move(*refused));
  }
  auto query = ParseLogsQuery(t);
  if (!query.ok()) co_return co_await WriteResponse(stream, ErrorResponse(req, query.status()));
  const size_t num_lines = query->num_lines.value_or(SIZE_MAX);
  if (!query->follow) {
    co_return co_await WriteResponse(
        stream, MakeResponse(req, http::status::ok, LogLines(db->module_log().Tail(num_lines)),
                             "application/x-ndjson"));
  }
  co_await FollowLogs(stream, req, std::move(db), num_lines);
  co_return false;
}

std::optional<Response> Server::Impl::RequireOwner(const Request& req, const Target& t,
                                                  const std::string& name,
                                                  const std::string& what) {
  auto authed = Authenticate(req, t, /*mint=*/false);
  if (!authed.ok()) return ErrorResponse(req, authed.status());
  const std::optional<U256> owner = registry.Owner(name);
  if (owner && *owner == authed->claims.identity) return std::nullopt;
  std::string why = owner ? "only the owner of database '" + name + "' may " + what
                          : "database '" + name + "' has no owner yet; publish to it to claim it, then " +
                                what;
  return Text(req, http::status::forbidden, std::move(why));
}

asio::awaitable<bool> Server::Impl::Backup(beast::tcp_stream& stream, const Request& req,
                                           const Target& t) {
  const std::string& name = t.segments[2];
  if (!registry.Find(name)) {
    co_return co_await WriteResponse(
        stream, Text(req, http::status::not_found, "no database named '" + name + "'"));
  }
  if (auto refused = RequireOwner(req, t, name, "back it up")) {
    co_return co_await WriteResponse(stream, std::move(*refused));
  }
  // Registry::Backup waits for a publish in progress: not on an IO thread, which would
  // stall every connection that lives on it.
  using Out = Result<db::BackupSet>;
  Out set = co_await AwaitCallback<Out>([&](auto done) {
    asio::post(blocking, [this, name, done] { done(registry.Backup(name)); });
  });
  if (!set.ok()) co_return co_await WriteResponse(stream, ErrorResponse(req, set.status()));
  co_await StreamBackup(stream, req.version(), std::move(set).value());
  co_return false;
}

asio::awaitable<void> Server::Impl::FollowLogs(beast::tcp_stream& stream, const Request& req,
                                               std::shared_ptr<db::Database> db,
                                               size_t backlog_max) {
  std::vector<db::LogRecord> backlog;
  auto followed = db->module_log().Follow(backlog_max, &backlog);
  if (!followed.ok()) {
    Response res = ErrorResponse(req, followed.status());
    res.keep_alive(false);
    co_await WriteResponse(stream, std::move(res));
    co_return;
  }
  // Closed on every way out, including this frame being destroyed at shutdown: after
  // Close no wake-up refers to the timer any more.
  struct CloseOnExit {
    std::shared_ptr<db::LogFollower> follower;
    ~CloseOnExit() { follower->Close(); }
  } guard{std::move(followed).value()};
  db::LogFollower& follower = *guard.follower;

  http::response<http::empty_body> head{http::status::ok, req.version()};
  head.set(http::field::server, "stdb");
  head.set(http::field::content_type, "application/x-ndjson");
  head.set(http::field::access_control_allow_origin, "*");
  head.chunked(true);
  head.keep_alive(false);
  http::response_serializer<http::empty_body> serializer{head};
  stream.expires_after(kLogWriteTimeout);
  auto [head_ec, head_n] = co_await http::async_write_header(stream, serializer, kNoThrow);
  if (head_ec) co_return;

  // The coroutine waits on `wake`; the writer's thread cancels it (through the connection's executor)
  // when a line arrives, and so does the socket turning readable (the client closed, or
  // sent something, which a follower has no reason to do).
  auto executor = co_await asio::this_coro::executor;
  auto wake = std::make_shared<asio::steady_timer>(executor);
  auto client_gone = std::make_shared<bool>(false);
  stream.socket().async_wait(tcp::socket::wait_read,
                             [client_gone, weak = std::weak_ptr(wake)](beast::error_code) {
                               *client_gone = true;
                               if (auto timer = weak.lock()) timer->cancel();
                             });
  std::string chunk = LogLines(backlog);
  backlog.clear();
  while (true) {
    if (!chunk.empty()) {
      stream.expires_after(kLogWriteTimeout);
      auto [ec, n] =
          co_await asio::async_write(stream, http::make_chunk(asio::buffer(chunk)), kNoThrow);
      if (ec) co_return;
      chunk.clear();
    }
    db::LogFollower::Batch batch = follower.Take();
    chunk = LogLines(batch.records);
    if (batch.dropped) {
      chunk += db::LogRecordToJson(db::LogRecord{
                   SystemClock::Get().NowMicros(), module::LogLevel::kWarn, "",
                   "this log stream fell behind and lines were dropped; request the logs "
                   "again to continue"}) +
               "\n";
    }
    if (batch.ended) {
      stream.expires_after(kLogWriteTimeout);
      if (!chunk.empty()) {
        auto [ec, n] =
            co_await asio::async_write(stream, http::make_chunk(asio::buffer(chunk)), kNoThrow);
        if (ec) co_return;
      }
      co_await asio::async_write(stream, http::make_chunk_last(), kNoThrow);
      co_return;
    }
    if (!chunk.empty()) continue;
    if (*client_gone) co_return;
    const bool armed = follower.ArmWake([executor, weak = std::weak_ptr(wake)] {
      asio::post(executor, [weak] {
        if (auto timer = weak.lock()) timer->cancel();
      });
    });
    if (!armed) continue;
    stream.expires_never();
    wake->expires_at(asio::steady_timer::time_point::max());
    co_await wake->async_wait(kNoThrow);
    if (*client_gone) co_return;
  }
}

asio::awaitable<Response> Server::Impl::Route(const Request& req, const Target& t) {
  const auto& s = t.segments;
  const auto method = req.method();
  if (method == http::verb::options) {
    // CORS preflight for browser clients.
    Response res = Text(req, http::status::no_content, "");
    res.set(http::field::access_control_allow_methods, "GET, POST, PUT, OPTIONS");
    res.set(http::field::access_control_allow_headers, "Authorization, Content-Type");
    co_return res;
  }
  if ((s.size() == 2 && s[0] == "v1" && s[1] == "ping") || (s.size() == 1 && s[0] == "health")) {
    co_return Text(req, http::status::ok, "");
  }
  if (s.size() == 2 && s[0] == "v1" && s[1] == "metrics" && method == http::verb::get) {
    co_return MakeResponse(req, http::status::ok, obs::Global().Render(),
                           "text/plain; version=0.0.4; charset=utf-8");
  }
  if (s.size() >= 2 && s[0] == "v1" && s[1] == "identity") {
    if (s.size() == 2 && method == http::verb::post) co_return Identity(req);
    if (s.size() == 3 && s[2] == "websocket-token" && method == http::verb::post) {
      co_return WebsocketToken(req, t);
    }
    if (s.size() == 3 && s[2] == "public-key" && method == http::verb::get) {
      co_return MakeResponse(req, http::status::ok, tokens.PublicKeyPem(),
                             "application/x-pem-file");
    }
  }
  if (s.size() == 2 && s[0] == "v1" && s[1] == "database" && method == http::verb::get) {
    co_return co_await ListDatabases(req);
  }
  if (s.size() >= 3 && s[0] == "v1" && s[1] == "database") {
    const std::string& name = s[2];
    if (s.size() == 3 && method == http::verb::put) co_return co_await Publish(req, t, name);
    if (s.size() == 3 && method == http::verb::delete_) co_return co_await Delete(req, t, name);
    if (s.size() == 3 && method == http::verb::get) co_return DescribeDatabase(req, name);
    if (s.size() == 4 && s[3] == "schema" && method == http::verb::get) {
      co_return Schema(req, t, name);
    }
    if (s.size() == 4 && s[3] == "sql" && method == http::verb::post)
      co_return co_await Sql(req, t, name);
    if (s.size() == 5 && s[3] == "call" && method == http::verb::post) {
      co_return co_await Call(req, t, name, s[4]);
    }
    if (s.size() == 4 && s[3] == "subscribe") {
      co_return Text(req, http::status::bad_request,
                     "this endpoint needs a WebSocket upgrade request");
    }
  }
  co_return Text(
      req, http::status::not_found,
      "no route for " + std::string(req.method_string()) + " " + std::string(req.target()));
}

asio::awaitable<void> Server::Impl::Upgrade(beast::tcp_stream stream, Request req, Target t) {
  auto reject = [&](http::status status, std::string message) -> asio::awaitable<void> {
    Response res = Text(req, status, std::move(message));
    res.keep_alive(false);
    co_await http::async_write(stream, res, kNoThrow);
  };
  const auto& s = t.segments;
  if (!(s.size() == 4 && s[0] == "v1" && s[1] == "database" && s[3] == "subscribe")) {
    co_return co_await reject(http::status::not_found, "no WebSocket endpoint at this path");
  }
  auto db = registry.Find(s[2]);
  if (!db) co_return co_await reject(http::status::not_found, "no database named '" + s[2] + "'");
  auto protocol = ChooseSubprotocol(Header(req, http::field::sec_websocket_protocol));
  if (!protocol) {
    co_return co_await reject(http::status::bad_request,
                              "no supported WebSocket subprotocol offered; this server speaks " +
                                  std::string(kProtocolV3) + " and " + std::string(kProtocolV2));
  }
  Compression compression = Compression::kNone;
  if (auto it = t.query.find("compression"); it != t.query.end()) {
    auto c = ParseCompression(it->second);
    if (!c) {
      co_return co_await reject(http::status::bad_request,
                                "invalid compression '" + it->second + "' (None, Gzip or Brotli)");
    }
    compression = *c;
  }
  bool confirmed = true;
  if (auto it = t.query.find("confirmed"); it != t.query.end()) {
    if (it->second != "true" && it->second != "false") {
      co_return co_await reject(http::status::bad_request, "confirmed must be true or false");
    }
    confirmed = it->second == "true";
  }
  auto authed = Authenticate(req, t, /*mint=*/true);
  if (!authed.ok())
    co_return co_await reject(StatusFor(authed.status().code()), authed.status().message());
  std::string token;
  if (authed->minted_token) {
    token = *authed->minted_token;
  } else if (auto h = BearerToken(Header(req, http::field::authorization))) {
    token = *h;
  } else {
    token = t.query.at("token");
  }

  WsSession::Stream ws(std::move(stream));
  const WsLimits& limits = options.ws;
  websocket::stream_base::timeout timeouts =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  if (limits.idle_timeout.count() > 0) {
    // Beast pings every half of the idle time and drops the connection when a half
    // after a ping passes with nothing at all (data, ping or pong) arriving.
    timeouts.idle_timeout = limits.idle_timeout;
    timeouts.keep_alive_pings = true;
  } else {
    timeouts.idle_timeout = websocket::stream_base::none();
  }
  ws.set_option(timeouts);
  ws.set_option(
      websocket::stream_base::decorator([proto = *protocol](websocket::response_type& res) {
        res.set(http::field::sec_websocket_protocol, proto);
        res.set(http::field::server, "stdb");
      }));
  ws.read_message_max(limits.client_message_bytes_max);
  ws.binary(true);
  auto [ec] = co_await ws.async_accept(req, kNoThrow);
  if (ec) co_return;
  const auto session_executor = ws.get_executor();
  WsSession::Params params;
  params.database = std::move(db);
  params.client_id = next_client_id.fetch_add(1);
  params.caller = db::Caller{authed->claims.identity, auth::RandomConnectionId()};
  params.token = std::move(token);
  params.compression = compression;
  params.v3 = *protocol == kProtocolV3;
  params.confirmed = confirmed;
  params.limits = limits;
  auto session = std::make_shared<WsSession>(std::move(ws), std::move(params));
  // The session runs as its own coroutine: this one and the HTTP session's end here, so
  // an idle connection does not keep the upgrade request, the HTTP read buffer and their
  // coroutine frames for its whole life (about 1 KB per client).
  asio::co_spawn(session_executor, [session] { return session->Run(); }, [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      LogError("ws", std::string("connection failed: ") + ex.what());
    }
  });
}

asio::awaitable<void> Server::Impl::HttpSession(beast::tcp_stream stream) {
  beast::flat_buffer buffer;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderBytesMax);
    // Module uploads may be large; every other body is small. Beast checks Content-Length
    // against the body limit while it parses the header, so the limit must allow uploads
    // before the method is known; other requests get the small limit right after the
    // header, before any body octet is parsed.
    parser.body_limit(db::kModuleBytesMax);
    stream.expires_after(kHttpTimeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    if (!ec) obs::Global().http_requests.Increment();
    if (!ec && parser.get().method() != http::verb::put) {
      parser.body_limit(kBodyBytesMax);
      if (parser.content_length().value_or(0) > kBodyBytesMax) ec = http::error::body_limit;
    }
    if (!ec) std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (ec == http::error::body_limit) {
      Request head = parser.release();
      head.erase(kRequestIdHeader);
      Response res = Text(head, http::status::payload_too_large, "request body too large");
      res.keep_alive(false);
      co_await http::async_write(stream, res, kNoThrow);
      break;
    }
    if (ec) break;
    Request req = parser.release();
    if (req[kRequestIdHeader].empty()) {
      req.set(kRequestIdHeader, "h" + std::to_string(next_request_id.fetch_add(1) + 1));
    } else {
      req.set(kRequestIdHeader, RequestIdOf(req).view());  // bounded and sanitised
    }
    auto target = ParseTarget(req.target());
    if (websocket::is_upgrade(req) && target) {
      stream.expires_never();
      co_await Upgrade(std::move(stream), std::move(req), std::move(*target));
      co_return;
    }
    if (target && IsStreamRequest(req, *target, "logs")) {
      const bool keep_alive = co_await Logs(stream, req, *target);
      if (!keep_alive) break;
      continue;
    }
    if (target && IsStreamRequest(req, *target, "backup")) {
      co_await Backup(stream, req, *target);
      break;
    }
    // (No co_await inside a conditional expression: g++ 12 miscompiles temporaries there.)
    Response res;
    if (target) {
      res = co_await Route(req, *target);
    } else {
      res = Text(req, http::status::bad_request, "malformed request target");
    }
    const bool keep_alive = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res, kNoThrow);
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> Server::Impl::Listen() {
  while (true) {
    asio::io_context& ioc = *iocs[next_ioc++ % iocs.size()];
    auto [ec, socket] = co_await acceptor->async_accept(ioc, kNoThrow);
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) continue;  // e.g. EMFILE: keep serving existing clients
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, HttpSession(beast::tcp_stream(std::move(socket))),
                   [](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       LogError("http", std::string("connection failed: ") + ex.what());
                     }
                   });
  }
}

Server::Server(ServerOptions options, db::Registry& registry, auth::TokenAuthority& tokens)
    : impl_(std::make_unique<Impl>(std::move(options), registry, tokens)) {}

Server::~Server() { Stop(); }

Result<uint16_t> Server::Start() {
  Impl& im = *impl_;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(im.options.address, ec);
  if (ec) return InvalidArgument("invalid bind address '" + im.options.address + "'");
  tcp::endpoint endpoint(address, im.options.port);
  im.acceptor.emplace(*im.iocs[0]);
  if (im.acceptor->open(endpoint.protocol(), ec); ec) {
    return IoError("cannot open socket: " + ec.message());
  }
  im.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (im.acceptor->bind(endpoint, ec); ec) {
    return IoError("cannot bind " + im.options.address + ":" + std::to_string(im.options.port) +
                   ": " + ec.message());
  }
  if (im.acceptor->listen(asio::socket_base::max_listen_connections, ec); ec) {
    return IoError("cannot listen: " + ec.message());
  }
  const uint16_t port = im.acceptor->local_endpoint().port();
  asio::co_spawn(*im.iocs[0], im.Listen(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      LogError("http", std::string("listener failed: ") + ex.what());
    }
  });
  for (auto& ioc : im.iocs) {
    im.threads.emplace_back([ioc = ioc.get()] {
      SetThreadName("stdb-io");
      ioc->run();
    });
  }
  return port;
}

void Server::Wait() {
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [&] { return impl_->stopped; });
}

void Server::Stop() {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.mu);
    if (im.stopped) return;
    im.stopped = true;
  }
  if (im.acceptor) {
    asio::post(*im.iocs[0], [&im] {
      boost::system::error_code ec;
      im.acceptor->close(ec);
    });
  }
  for (auto& ioc : im.iocs) ioc->stop();
  for (auto& t : im.threads) t.join();
  im.threads.clear();
  im.blocking.join();
  im.stopped_cv.notify_all();
}

}  // namespace stdb::net
