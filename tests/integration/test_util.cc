#include "test_util.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "auth/identity.h"
#include "sats/bsatn.h"

namespace stdb::integration {

void PrintServerLog(const ServerProcess& server) {
  std::cerr << "--- log of the server on port " << server.port() << " ---\n"
            << server.Log() << "--- end of server log ---\n";
}

Result<net::HttpResponse> Http(const std::string& method, const std::string& url,
                               const std::string& body, const Headers& headers) {
  return net::HttpRequest(method, url, headers, body, std::chrono::seconds(60));
}

Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

Result<Identity> MintIdentity(const ServerProcess& server) {
  STDB_ASSIGN_OR_RETURN(auto res, Http("POST", server.HttpUrl("/v1/identity")));
  if (res.status != 200) {
    return Status(ErrorCode::kInternal,
                  "POST /v1/identity answered " + std::to_string(res.status) + ": " + res.body);
  }
  auto j = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("identity") || !j["identity"].is_string() ||
      !j.contains("token") || !j["token"].is_string()) {
    return Status(ErrorCode::kInternal, "POST /v1/identity returned " + res.body);
  }
  Identity out;
  out.hex = j["identity"].get<std::string>();
  out.token = j["token"].get<std::string>();
  STDB_ASSIGN_OR_RETURN(out.identity, auth::IdentityFromHex(out.hex));
  return out;
}

Result<net::HttpResponse> CallHttp(const ServerProcess& server, const std::string& reducer,
                                   const std::string& json_args,
                                   const std::optional<std::string>& token) {
  return Http("POST", server.DbUrl("call/" + reducer), json_args,
              token ? Bearer(*token) : Headers{});
}

Result<std::string> SqlHttp(const ServerProcess& server, const std::string& sql,
                            const std::optional<std::string>& token) {
  STDB_ASSIGN_OR_RETURN(auto res,
                        Http("POST", server.DbUrl("sql"), sql, token ? Bearer(*token) : Headers{}));
  if (res.status != 200) {
    return Status(ErrorCode::kInternal,
                  "POST /sql answered " + std::to_string(res.status) + ": " + res.body);
  }
  return res.body;
}

Result<std::unique_ptr<net::WsClient>> ConnectWs(const ServerProcess& server,
                                                 const WsOptions& options) {
  net::WsClient::Options o;
  o.url = options.database.empty() ? server.SubscribeUrl(options.query)
                                   : server.SubscribeUrl(options.database, options.query);
  o.subprotocols = options.subprotocols;
  o.bearer_token = options.token;
  return net::WsClient::Connect(o);
}

Result<Connected> ConnectAndGreet(const ServerProcess& server, const WsOptions& options) {
  Connected out;
  STDB_ASSIGN_OR_RETURN(out.client, ConnectWs(server, options));
  STDB_ASSIGN_OR_RETURN(out.hello, ReceiveAs<protocol::InitialConnection>(*out.client));
  return out;
}

namespace {

std::string DescribeRows(const protocol::QueryRows& rows) {
  std::string out = "{";
  for (const auto& t : rows.tables) {
    if (out.size() > 1) out += ", ";
    out += "'" + t.table + "': " + std::to_string(t.rows.count()) + " rows";
  }
  return out + "}";
}

std::string DescribeUpdate(const protocol::TransactionUpdate& u) {
  std::string out = "[";
  for (const auto& qs : u.query_sets) {
    out += " set " + std::to_string(qs.query_set_id) + ":";
    for (const auto& t : qs.tables) {
      out += " '" + t.table_name + "' +" + std::to_string(t.inserts.count()) + " -" +
             std::to_string(t.deletes.count());
    }
  }
  return out + " ]";
}

}  // namespace

std::string Describe(const protocol::ServerMessage& message) {
  using namespace protocol;
  return std::visit(
      [](const auto& m) -> std::string {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, InitialConnection>) {
          return "InitialConnection{identity " + auth::IdentityToHex(m.identity) + "}";
        } else if constexpr (std::is_same_v<M, SubscribeApplied>) {
          return "SubscribeApplied{request " + std::to_string(m.request_id) + ", set " +
                 std::to_string(m.query_set_id) + ", rows " + DescribeRows(m.rows) + "}";
        } else if constexpr (std::is_same_v<M, UnsubscribeApplied>) {
          return "UnsubscribeApplied{request " + std::to_string(m.request_id) + ", set " +
                 std::to_string(m.query_set_id) + ", rows " +
                 (m.rows ? DescribeRows(*m.rows) : std::string("none")) + "}";
        } else if constexpr (std::is_same_v<M, SubscriptionError>) {
          return "SubscriptionError{request " +
                 (m.request_id ? std::to_string(*m.request_id) : std::string("none")) + ", set " +
                 std::to_string(m.query_set_id) + ", error '" + m.error + "'}";
        } else if constexpr (std::is_same_v<M, TransactionUpdate>) {
          return "TransactionUpdate" + DescribeUpdate(m);
        } else if constexpr (std::is_same_v<M, OneOffQueryResult>) {
          return "OneOffQueryResult{request " + std::to_string(m.request_id) + ", " +
                 (m.ok ? "ok " + DescribeRows(m.rows) : "error '" + m.error + "'") + "}";
        } else if constexpr (std::is_same_v<M, ReducerResult>) {
          std::string outcome;
          switch (m.outcome.kind) {
            case ReducerOutcome::Kind::kOk:
              outcome = "Ok " + DescribeUpdate(m.outcome.update);
              break;
            case ReducerOutcome::Kind::kOkEmpty:
              outcome = "OkEmpty";
              break;
            case ReducerOutcome::Kind::kErr:
              outcome = "Err '" + m.outcome.message + "'";
              break;
            case ReducerOutcome::Kind::kInternalError:
              outcome = "InternalError '" + m.outcome.message + "'";
              break;
          }
          return "ReducerResult{request " + std::to_string(m.request_id) + ", " + outcome + "}";
        } else {
          return "ProcedureResult{request " + std::to_string(m.request_id) + "}";
        }
      },
      message);
}

Result<std::pair<int, std::string>> ReceiveClose(net::WsClient& client, size_t messages_max) {
  for (size_t i = 0; i <= messages_max; ++i) {
    auto message = client.Receive(kReceiveTimeout);
    if (message.ok()) continue;
    if (auto reason = client.close_reason()) return *reason;
    return Status(message.status().code(),
                  "the connection ended without a close frame: " + message.status().message());
  }
  return Status(ErrorCode::kInternal,
                "the server kept sending messages instead of closing the connection");
}

Result<protocol::SubscribeApplied> SubscribeAndWait(net::WsClient& client, uint32_t request_id,
                                                    uint32_t query_set_id,
                                                    std::vector<std::string> queries) {
  STDB_RETURN_IF_ERROR(
      client.Send(protocol::Subscribe{request_id, query_set_id, std::move(queries)}));
  STDB_ASSIGN_OR_RETURN(auto applied, ReceiveAs<protocol::SubscribeApplied>(client));
  if (applied.request_id != request_id || applied.query_set_id != query_set_id) {
    return Status(ErrorCode::kInternal, "SubscribeApplied for the wrong request: " +
                                            Describe(protocol::ServerMessage(applied)));
  }
  return applied;
}

Result<protocol::ReducerResult> CallWs(net::WsClient& client, uint32_t request_id,
                                       const std::string& reducer, Bytes args) {
  STDB_RETURN_IF_ERROR(client.Send(protocol::CallReducer{request_id, 0, reducer, std::move(args)}));
  STDB_ASSIGN_OR_RETURN(auto result, ReceiveAs<protocol::ReducerResult>(client));
  if (result.request_id != request_id) {
    return Status(ErrorCode::kInternal, "ReducerResult for the wrong request: " +
                                            Describe(protocol::ServerMessage(result)));
  }
  return result;
}

Status ExpectNothingPending(net::WsClient& client, uint32_t request_id, const std::string& query) {
  STDB_RETURN_IF_ERROR(client.Send(protocol::OneOffQuery{request_id, query}));
  STDB_ASSIGN_OR_RETURN(auto result, ReceiveAs<protocol::OneOffQueryResult>(client));
  if (result.request_id != request_id) {
    return Status(ErrorCode::kInternal, "OneOffQueryResult for the wrong request: " +
                                            Describe(protocol::ServerMessage(result)));
  }
  return Status::Ok();
}

sats::AlgebraicType UserRowType() {
  using sats::AlgebraicType;
  return AlgebraicType::Product({{"identity", AlgebraicType::Identity()},
                                 {"name", AlgebraicType::Option(AlgebraicType::String())},
                                 {"online", AlgebraicType::Bool()}});
}

sats::AlgebraicType MessageRowType() {
  using sats::AlgebraicType;
  return AlgebraicType::Product({{"sender", AlgebraicType::Identity()},
                                 {"sent", AlgebraicType::Timestamp()},
                                 {"text", AlgebraicType::String()}});
}

sats::AlgebraicType ItemRowType() {
  using sats::AlgebraicType;
  using sats::TypeKind;
  return AlgebraicType::Product({{"id", AlgebraicType(TypeKind::kU64)},
                                 {"label", AlgebraicType::String()},
                                 {"qty", AlgebraicType(TypeKind::kI32)}});
}

Result<std::vector<sats::AlgebraicValue>> DecodeRows(const sats::AlgebraicType& row_type,
                                                     const protocol::BsatnRowList& list) {
  std::vector<sats::AlgebraicValue> out;
  for (ByteView row : list.Rows()) {
    STDB_ASSIGN_OR_RETURN(auto value, sats::DecodeBsatnExact(row_type, row));
    out.push_back(std::move(value));
  }
  if (out.size() != list.count()) {
    return Status(ErrorCode::kInternal, "BsatnRowList claims " + std::to_string(list.count()) +
                                            " rows but holds " + std::to_string(out.size()));
  }
  return out;
}

const protocol::SingleTableRows* FindTable(const protocol::QueryRows& rows,
                                           std::string_view table) {
  for (const auto& t : rows.tables) {
    if (t.table == table) return &t;
  }
  return nullptr;
}

const sats::AlgebraicValue& Field(const sats::AlgebraicValue& row, size_t index) {
  return row.as<sats::ProductValue>().fields.at(index);
}

U256 IdentityOf(const sats::AlgebraicValue& identity_value) {
  return Field(identity_value, 0).as<U256>();
}

std::string MessageText(const sats::AlgebraicValue& message_row) {
  return Field(message_row, 2).as<std::string>();
}

std::vector<std::string> MessageTexts(const std::vector<sats::AlgebraicValue>& message_rows) {
  std::vector<std::string> out;
  for (const auto& row : message_rows) out.push_back(MessageText(row));
  return out;
}

Bytes EncodeArgs(const std::vector<sats::AlgebraicType>& types,
                 const std::vector<sats::AlgebraicValue>& values) {
  std::vector<sats::Element> elements;
  for (const auto& t : types) elements.push_back(sats::Element{std::nullopt, t});
  Bytes out;
  Status s = sats::EncodeBsatn(sats::AlgebraicType::Product(std::move(elements)),
                               sats::AlgebraicValue::Product(values), out);
  STDB_ASSERT_MSG(s.ok(), "test arguments do not match their types");
  return out;
}

Bytes StringArg(const std::string& text) {
  return EncodeArgs({sats::AlgebraicType::String()}, {sats::AlgebraicValue(text)});
}

}  // namespace stdb::integration
