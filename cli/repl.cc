#include "cli/repl.h"

#include <histedit.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <clocale>
#include <cstdio>
#include <cwchar>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "auth/identity.h"
#include "cli/common.h"
#include "cli/table_format.h"
#include "sats/bsatn.h"
#include "sats/json.h"

namespace stdb::cli {
namespace {

using Json = nlohmann::json;

// How long the loop waits for input before it looks at the connection again.
constexpr int kPollMillis = 20;
// Bounded: the history file keeps this many lines.
constexpr int kHistoryLines = 1000;
// Bounded: rows printed per table per update (the rest are counted).
constexpr size_t kRowsPrintedMax = 20;
// Bounded: messages handled between two looks at the keyboard.
constexpr size_t kPumpMessagesMax = 256;
// Bounded: a line read without a terminal (scripts) longer than this is refused.
constexpr size_t kScriptLineMax = 1 << 20;

const char* kHelp =
    "commands:\n"
    "  status              connection, identity, database, subscriptions, last transaction\n"
    "  sub <query>         subscribe to a SELECT query (its rows join the local cache)\n"
    "  unsub [<id>]        drop one subscription (or all); their rows leave the cache\n"
    "  get <table>         the table's rows in the local cache\n"
    "  call <reducer> [<arg>...]  call a reducer; each argument is a JSON value (\"text\", 42)\n"
    "  sql <query>         run SQL on the server (not the cache)\n"
    "  connect <db>        connect to another database on the same server\n"
    "  help                this text\n"
    "  quit                leave (Ctrl-D too)\n";

struct QuerySet {
  std::string query;
  bool applied = false;
  std::map<std::string, std::set<Bytes>> rows;  // table -> rows (BSATN)
};

// Splits "a \"b c\" [1, 2]" into JSON values at top-level whitespace.
std::vector<std::string> SplitJsonArgs(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      cur += c;
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if ((c == ' ' || c == '\t') && depth == 0) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    cur += c;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string ConnectionIdHex(u128 id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 31; i >= 0; --i, id >>= 4) out[static_cast<size_t>(i)] = kDigits[id & 0xf];
  return out;
}

class Session;
Session* g_session = nullptr;  // for libedit's line callback

class Session {
 public:
  Session(std::string http, bool interactive) : http_(std::move(http)), interactive_(interactive) {}

  bool done() const { return done_; }

  // Prints a line without tearing the line being edited: clear it, print, redraw.
  void Say(const std::string& text) {
    if (editing_) std::cout << "\r\033[K";
    std::cout << text;
    if (!text.empty() && text.back() != '\n') std::cout << "\n";
    std::cout.flush();
    if (editing_) el_set(el_, EL_REFRESH);
  }

  // Prints a failure. Without a terminal (a script) it goes to stderr and makes the
  // exit code 1, so a script can tell.
  void Fail(const std::string& text) {
    ++failures_;
    if (interactive_) return Say(text);
    std::cerr << text << (text.ends_with("\n") ? "" : "\n") << std::flush;
  }
  size_t failures() const { return failures_; }

  void Connect(const std::string& database) {
    Disconnect();
    auto config = CliConfig::Load();
    if (!config.ok()) return Fail("error: " + config.status().message());
    auto token = EnsureToken(*config, http_);
    if (!token) {
      ++failures_;  // EnsureToken printed why
      return;
    }
    auto def = FetchModuleDef(http_, database);
    if (!def.ok()) return Fail("error: " + def.status().message());
    net::WsClient::Options ws;
    ws.url = WebSocketBase(http_) + "/v1/database/" + database + "/subscribe";
    ws.subprotocols = {"v2.bsatn.spacetimedb"};
    ws.bearer_token = *token;
    auto client = net::WsClient::Connect(ws);
    if (!client.ok()) return Fail("error: cannot connect: " + client.status().message());
    client_ = std::move(client).value();
    token_ = *token;
    database_ = database;
    def_ = std::move(def).value();
    UpdatePrompt();
  }

  // Reads the messages that have arrived (at most kPumpMessagesMax, so that a stream of
  // updates cannot keep the keyboard from being read); never blocks for long.
  void Pump() {
    for (size_t n = 0; client_ && n < kPumpMessagesMax; ++n) {
      auto message = client_->Receive(std::chrono::milliseconds(1));
      if (!message.ok()) {
        if (message.status().message().starts_with("no message within")) return;
        auto closed = client_->close_reason();
        Say("disconnected from '" + database_ + "': " +
            (closed ? std::to_string(closed->first) + " " + closed->second
                    : message.status().message()) +
            " (`connect " + database_ + "` to reconnect)");
        Disconnect();
        return;
      }
      Handle(*message);
    }
  }

  void Execute(const std::string& raw) {
    std::string line = raw;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    const size_t first = line.find_first_not_of(' ');
    if (first == std::string::npos) return;
    line = line.substr(first);
    const size_t space = line.find(' ');
    const std::string cmd = line.substr(0, space);
    std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    rest.erase(0, std::min(rest.size(), rest.find_first_not_of(' ')));
    if (cmd == "help" || cmd == "?") return Say(kHelp);
    if (cmd == "quit" || cmd == "exit") {
      done_ = true;
      return;
    }
    if (cmd == "status") return Status();
    if (cmd == "connect") {
      if (rest.empty()) return Fail("error: connect needs a database name");
      return Connect(rest);
    }
    if (cmd != "sub" && cmd != "unsub" && cmd != "get" && cmd != "call" && cmd != "sql")
      return Fail("error: unknown command '" + cmd + "' (type help)");
    if (!client_) return Fail("error: not connected to a database; `connect <db>` first");
    if (cmd == "sub") return Sub(rest);
    if (cmd == "unsub") return Unsub(rest);
    if (cmd == "get") return Get(rest);
    if (cmd == "call") return Call(rest);
    return Sql(rest);
  }

  const std::string& prompt() const { return prompt_; }
  // While libedit reads a line (`el` is inside el_gets), messages that arrive clear the
  // line being edited, print, and have libedit redraw the prompt and the line.
  void set_editing(EditLine* el) {
    el_ = el;
    editing_ = el != nullptr;
  }

  // For scripts at end of input: waits (bounded) until every call has its result and
  // every subscription is applied, so their output is not lost.
  void Settle() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (client_ && std::chrono::steady_clock::now() < deadline && Unsettled()) {
      auto message = client_->Receive(std::chrono::milliseconds(50));
      if (message.ok())
        Handle(*message);
      else if (!message.status().message().starts_with("no message within"))
        return Pump();
    }
  }

 private:
  void Disconnect() {
    if (client_) client_->Close();
    client_.reset();
    query_sets_.clear();
    pending_calls_.clear();
    identity_.reset();
    UpdatePrompt();
  }

  void UpdatePrompt() { prompt_ = (client_ ? database_ : std::string("(not connected)")) + "> "; }

  bool Unsettled() const {
    if (!pending_calls_.empty() || !identity_) return true;
    for (const auto& [id, qs] : query_sets_)
      if (!qs.applied) return true;
    return false;
  }

  const module::TableDef* FindTable(const std::string& name) const {
    for (const auto& t : def_.tables)
      if (t.name == name) return &t;
    return nullptr;
  }

  // Applies one table's changes to a query set's cache and describes them.
  void Apply(QuerySet& qs, const protocol::TableUpdate& t, std::string& text) {
    auto& rows = qs.rows[t.table_name];
    const module::TableDef* table = FindTable(t.table_name);
    size_t printed = 0, total = 0;
    for (const auto& [list, sign] : {std::pair{&t.deletes, '-'}, {&t.inserts, '+'}}) {
      for (ByteView row : list->Rows()) {
        Bytes bytes(row.begin(), row.end());
        if (sign == '-')
          rows.erase(bytes);
        else
          rows.insert(bytes);
        ++total;
        if (printed++ < kRowsPrintedMax) {
          text += std::string("  ") + sign + " " + t.table_name + " " +
                  (table ? RowToJson(table->row_type, row).dump() : ToHex(row)) + "\n";
        }
      }
    }
    if (total > kRowsPrintedMax)
      text += "  ... and " + std::to_string(total - kRowsPrintedMax) + " more rows\n";
  }

  void ApplyTransaction(const protocol::TransactionUpdate& tx, const std::string& heading) {
    std::string text;
    for (const auto& qsu : tx.query_sets) {
      auto it = query_sets_.find(qsu.query_set_id);
      if (it == query_sets_.end()) continue;
      for (const auto& t : qsu.tables) Apply(it->second, t, text);
    }
    ++transactions_;
    last_transaction_ = std::chrono::system_clock::now();
    if (!text.empty()) Say(heading + "\n" + text);
  }

  void Handle(const protocol::ServerMessage& message) {
    if (auto* hello = std::get_if<protocol::InitialConnection>(&message)) {
      identity_ = auth::IdentityToHex(hello->identity);
      connection_id_ = hello->connection_id;
      Say("connected to '" + database_ + "' as " + *identity_);
    } else if (auto* applied = std::get_if<protocol::SubscribeApplied>(&message)) {
      auto it = query_sets_.find(applied->query_set_id);
      if (it == query_sets_.end()) return;
      size_t count = 0;
      for (const auto& t : applied->rows.tables) {
        for (ByteView row : t.rows.Rows()) {
          it->second.rows[t.table].insert(Bytes(row.begin(), row.end()));
          ++count;
        }
      }
      it->second.applied = true;
      Say("subscription #" + std::to_string(applied->query_set_id) +
          " applied: " + std::to_string(count) + (count == 1 ? " row" : " rows"));
    } else if (auto* dropped = std::get_if<protocol::UnsubscribeApplied>(&message)) {
      query_sets_.erase(dropped->query_set_id);
      Say("subscription #" + std::to_string(dropped->query_set_id) + " removed");
    } else if (auto* error = std::get_if<protocol::SubscriptionError>(&message)) {
      query_sets_.erase(error->query_set_id);
      Fail("subscription #" + std::to_string(error->query_set_id) + " failed: " + error->error);
    } else if (auto* tx = std::get_if<protocol::TransactionUpdate>(&message)) {
      ApplyTransaction(*tx, "transaction:");
    } else if (auto* result = std::get_if<protocol::ReducerResult>(&message)) {
      auto it = pending_calls_.find(result->request_id);
      const std::string name = it == pending_calls_.end() ? "?" : it->second;
      if (it != pending_calls_.end()) pending_calls_.erase(it);
      using Kind = protocol::ReducerOutcome::Kind;
      const auto& outcome = result->outcome;
      if (outcome.kind == Kind::kOk) {
        ApplyTransaction(outcome.update, "call " + name + ": ok");
        if (outcome.update.query_sets.empty()) Say("call " + name + ": ok");
      } else if (outcome.kind == Kind::kOkEmpty) {
        Say("call " + name + ": ok");
      } else {
        Fail("call " + name + " failed: " + outcome.message);
      }
    }
  }

  void Status() {
    std::ostringstream out;
    out << "server       " << http_ << "\n";
    if (!client_) {
      out << "connection   not connected\n";
      return Say(out.str());
    }
    out << "connection   connected (" << client_->protocol() << ")\n"
        << "database     " << database_ << "\n"
        << "identity     " << identity_.value_or("(waiting for the server)") << "\n"
        << "connection id " << ConnectionIdHex(connection_id_) << "\n"
        << "subscriptions " << query_sets_.size() << "\n";
    for (const auto& [id, qs] : query_sets_) {
      size_t rows = 0;
      for (const auto& [table, set] : qs.rows) rows += set.size();
      out << "  #" << id << " " << (qs.applied ? "applied" : "pending") << ", " << rows
          << " rows: " << qs.query << "\n";
    }
    out << "transactions " << transactions_ << " received";
    if (transactions_ > 0) {
      const auto ago = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now() - last_transaction_);
      out << ", last " << ago.count() << " ms ago";
    }
    out << "\n";
    if (!pending_calls_.empty()) out << "calls waiting " << pending_calls_.size() << "\n";
    Say(out.str());
  }

  void Sub(const std::string& query) {
    if (query.empty()) return Fail("error: sub needs a query, e.g. sub SELECT * FROM message");
    const uint32_t id = next_query_set_++;
    query_sets_[id] = QuerySet{query, false, {}};
    if (auto s = client_->Send(protocol::Subscribe{next_request_++, id, {query}}); !s.ok())
      return Fail("error: " + s.message());
    Say("subscription #" + std::to_string(id) + " sent");
  }

  void Unsub(const std::string& arg) {
    std::vector<uint32_t> ids;
    if (arg.empty()) {
      for (const auto& [id, qs] : query_sets_) ids.push_back(id);
    } else {
      char* end = nullptr;
      const unsigned long id = std::strtoul(arg.c_str(), &end, 10);
      if (end == arg.c_str() || *end != '\0' || !query_sets_.contains(static_cast<uint32_t>(id)))
        return Fail("error: no subscription #" + arg + " (see status)");
      ids.push_back(static_cast<uint32_t>(id));
    }
    if (ids.empty()) return Say("no subscriptions");
    for (uint32_t id : ids) {
      if (auto s = client_->Send(protocol::Unsubscribe{next_request_++, id, {}}); !s.ok())
        return Fail("error: " + s.message());
    }
  }

  void Get(const std::string& table_name) {
    const module::TableDef* table = FindTable(table_name);
    if (table == nullptr) return Fail("error: no table named '" + table_name + "'");
    std::set<Bytes> rows;
    for (const auto& [id, qs] : query_sets_) {
      if (auto it = qs.rows.find(table_name); it != qs.rows.end())
        rows.insert(it->second.begin(), it->second.end());
    }
    Json result{{"schema", sats::TypeToJson(table->row_type)["Product"]}, {"rows", Json::array()}};
    for (const Bytes& row : rows) {
      auto value = sats::DecodeBsatnExact(table->row_type, row);
      if (value.ok()) result["rows"].push_back(sats::ValueToJson(table->row_type, *value));
    }
    Say(FormatSqlTable(result));
  }

  void Call(const std::string& rest) {
    const size_t space = rest.find(' ');
    const std::string name = rest.substr(0, space);
    if (name.empty()) return Fail("error: call needs a reducer name");
    auto id = def_.FindReducer(name);
    if (!id || def_.reducers[*id].lifecycle != module::Lifecycle::kNone) {
      std::string names;
      for (const auto& r : def_.reducers)
        if (r.lifecycle == module::Lifecycle::kNone) names += (names.empty() ? "" : ", ") + r.name;
      return Fail("error: no reducer named '" + name + "' (reducers: " + names + ")");
    }
    Json args = Json::array();
    for (const auto& text :
         SplitJsonArgs(space == std::string::npos ? "" : rest.substr(space + 1))) {
      Json value = Json::parse(text, nullptr, false);
      if (value.is_discarded())
        return Fail("error: argument " + std::to_string(args.size()) + " (" + text +
                    ") is not JSON; strings need quotes: \"hello\"");
      args.push_back(std::move(value));
    }
    const auto& params = def_.reducers[*id].params;
    if (args.size() != params.elements().size())
      return Fail("error: " + name + " takes " + std::to_string(params.elements().size()) +
                  " argument(s) " + params.ToString() + ", got " + std::to_string(args.size()));
    auto value = sats::ValueFromJson(params, args);
    if (!value.ok()) return Fail("error: " + value.status().message());
    Bytes bsatn;
    if (auto s = sats::EncodeBsatn(params, *value, bsatn); !s.ok())
      return Fail("error: " + s.message());
    const uint32_t request = next_request_++;
    pending_calls_[request] = name;
    if (auto s = client_->Send(protocol::CallReducer{request, 0, name, std::move(bsatn)}); !s.ok())
      Fail("error: " + s.message());
  }

  void Sql(const std::string& query) {
    if (query.empty()) return Fail("error: sql needs a query");
    auto text = SqlAsText(http_, database_, token_, query);
    if (text.ok())
      Say(*text);
    else
      Fail("error: " + text.status().message());
  }

  const std::string http_;
  const bool interactive_;
  EditLine* el_ = nullptr;
  bool editing_ = false;
  size_t failures_ = 0;
  bool done_ = false;
  std::string prompt_ = "(not connected)> ";
  std::unique_ptr<net::WsClient> client_;
  std::string database_;
  std::string token_;
  module::ModuleDef def_;
  std::optional<std::string> identity_;
  u128 connection_id_ = 0;
  uint32_t next_request_ = 1;
  uint32_t next_query_set_ = 1;
  std::map<uint32_t, QuerySet> query_sets_;
  std::map<uint32_t, std::string> pending_calls_;  // request id -> reducer
  uint64_t transactions_ = 0;
  std::chrono::system_clock::time_point last_transaction_;
};

// Commands from a pipe or file, one per line, each waiting for its results.
int RunScript(Session& session) {
  std::string buffer;
  while (!session.done() && !Interrupted()) {
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (::poll(&in, 1, kPollMillis) > 0) {
      char buf[4096];
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
      if (n <= 0) {
        if (!buffer.empty()) session.Execute(buffer);
        session.Settle();
        break;
      }
      buffer.append(buf, static_cast<size_t>(n));
      for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
        session.Execute(buffer.substr(0, nl));
        buffer.erase(0, nl + 1);
        session.Settle();
      }
      if (buffer.size() > kScriptLineMax) return Error("input line longer than 1 MiB");
    }
    session.Pump();
  }
  return session.failures() == 0 ? 0 : 1;
}

char* Prompt(EditLine*) { return const_cast<char*>(g_session->prompt().c_str()); }

// libedit's read function: waits for a key while keeping the connection serviced, so
// updates are printed as they arrive while a line is being typed. Returns 1 with a
// character, 0 at end of input (or Ctrl-C), -1 on a read error.
int ReadChar(EditLine* el, wchar_t* out) {
  std::mbstate_t state{};
  while (!Interrupted()) {
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (::poll(&in, 1, kPollMillis) > 0) {
      char byte = 0;
      const ssize_t n = ::read(STDIN_FILENO, &byte, 1);
      if (n == 0) return 0;
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return -1;
      }
      const size_t r = std::mbrtowc(out, &byte, 1, &state);
      if (r == static_cast<size_t>(-2)) continue;  // more bytes of this character to come
      if (r == static_cast<size_t>(-1)) {
        state = {};
        *out = L'?';
      }
      return 1;
    }
    g_session->set_editing(el);
    g_session->Pump();
    g_session->set_editing(nullptr);
  }
  return 0;
}

}  // namespace

int ClientConnect(const ClientOptions& options) {
  std::string http = options.url;
  if (http.starts_with("ws://")) http = "http://" + http.substr(5);
  http = CliConfig::NormaliseUrl(http);
  if (auto url = net::ParseUrl(http); !url.ok())
    return Error("server URL: " + url.status().message());
  const bool interactive = ::isatty(STDIN_FILENO) != 0;
  Session session(http, interactive);
  g_session = &session;
  CatchInterrupts();
  if (options.database)
    session.Connect(*options.database);
  else
    session.Say("not connected; `connect <db>` to choose a database, `help` for commands");

  if (!interactive) {
    const int rc = RunScript(session);
    g_session = nullptr;
    return rc;
  }
  std::setlocale(LC_CTYPE, "");
  const std::string history_file =
      (CliConfig::DefaultPath().parent_path() / "client_history").string();
  History* history = history_init();
  HistEvent event;
  ::history(history, &event, H_SETSIZE, kHistoryLines);
  ::history(history, &event, H_SETUNIQUE, 1);
  ::history(history, &event, H_LOAD, history_file.c_str());
  EditLine* el = el_init("spacetime", stdin, stdout, stderr);
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_SIGNAL, 1);
  el_set(el, EL_PROMPT, Prompt);
  el_set(el, EL_HIST, ::history, history);
  el_set(el, EL_GETCFN, ReadChar);
  el_source(el, nullptr);  // the user's ~/.editrc, if any
  while (!session.done() && !Interrupted()) {
    int count = 0;
    const char* line = el_gets(el, &count);
    if (line == nullptr || count <= 0) break;  // Ctrl-D on an empty line
    std::string text(line, static_cast<size_t>(count));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.find_first_not_of(' ') != std::string::npos)
      ::history(history, &event, H_ENTER, text.c_str());
    session.Execute(text);
  }
  el_end(el);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(history_file).parent_path(), ec);
  ::history(history, &event, H_SAVE, history_file.c_str());
  ::chmod(history_file.c_str(), 0600);  // it holds the arguments of past calls
  history_end(history);
  std::cout << "\n";
  g_session = nullptr;
  return 0;
}

}  // namespace stdb::cli
