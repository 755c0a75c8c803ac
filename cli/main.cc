// spacetime: the stdb command-line tool (docs/cli.md).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/repl.h"
#include "obs/build_info.h"

int main(int argc, char** argv) {
  using namespace stdb::cli;
  CLI::App app{"spacetime: build, publish and talk to stdb databases", "spacetime"};
  app.require_subcommand(1);
  std::optional<std::string> server;

  auto* build = app.add_subcommand("build", "Build the module project in the current directory");
  BuildOptions build_opts;
  build->add_option("-p,--project-path", build_opts.project,
                    "module project directory (default .)");
  build->add_flag("--debug", build_opts.debug, "build without optimisation");

  auto* publish = app.add_subcommand("publish", "Build a module and publish it as a database");
  PublishOptions pub;
  publish->add_option("database", pub.database, "database name")->required();
  publish->add_option("-p,--project-path", pub.build.project,
                      "module project directory (default .)");
  publish->add_option("-b,--bin-path", pub.bin_path,
                      "publish this module file instead of building");
  publish->add_flag("-c,--delete-data", pub.delete_data,
                    "clear the database's data (needed for incompatible schema changes)");
  publish->add_option("-s,--server", server,
                      "server URL, nickname or 'local' (default: the default server)");

  auto* call = app.add_subcommand("call", "Call a reducer");
  std::string database, reducer, query;
  std::vector<std::string> args;
  call->add_option("database", database, "database name")->required();
  call->add_option("reducer", reducer, "reducer name")->required();
  call->add_option("args", args, "arguments, each a JSON value (strings need quotes: '\"hi\"')");
  call->add_option("-s,--server", server, "server URL, nickname or 'local'");

  auto* sql = app.add_subcommand("sql", "Run a SQL query");
  bool json = false;
  sql->add_option("database", database, "database name")->required();
  sql->add_option("query", query, "SQL text")->required();
  sql->add_flag("--json", json, "print the server's JSON instead of a table");
  sql->add_option("-s,--server", server, "server URL, nickname or 'local'");

  auto* logs = app.add_subcommand("logs", "Print a database's module log (owner only)");
  LogsOptions logs_opts;
  logs->add_option("database", logs_opts.database, "database name")->required();
  logs->add_option("-n,--num-lines", logs_opts.num_lines,
                   "print only the last N lines (default: all the server keeps)")
      ->check(CLI::Range(0, 1000000));
  logs->add_flag("-f,--follow", logs_opts.follow, "keep printing new lines until Ctrl-C");
  logs->add_flag("--json", logs_opts.json, "print the server's JSON lines unchanged");
  logs->add_option("-s,--server", server, "server URL, nickname or 'local'");

  auto* backup = app.add_subcommand(
      "backup", "Copy a running database's durable state into a folder (owner only)");
  std::string backup_dir;
  backup->add_option("database", database, "database name")->required();
  backup->add_option("dir", backup_dir, "a new or empty folder")->required();
  backup->add_option("-s,--server", server, "server URL, nickname or 'local'");

  auto* generate = app.add_subcommand(
      "generate", "Write client bindings for a database's or module file's schema");
  GenerateOptions gen;
  generate->add_option("-l,--lang", gen.lang, "typescript or cpp")
      ->required()
      ->check(CLI::IsMember({"typescript", "cpp"}));
  generate->add_option("-o,--out-dir", gen.out_dir, "folder to write the bindings into")
      ->required();
  generate
      ->add_option("source", gen.source,
                   "a database name, or a module file (a path, or a name ending in .so)")
      ->required();
  generate->add_option("-s,--server", server,
                       "server URL, nickname or 'local' (for a database name)");

  auto* init = app.add_subcommand("init", "Create a new module project in a folder");
  InitOptions init_opts;
  init->add_option("--lang", init_opts.lang, "module language (cpp)")
      ->check(CLI::IsMember({"cpp"}));
  init->add_option("dir", init_opts.dir, "a new or empty folder")->required();

  auto* del = app.add_subcommand("delete", "Delete a database and all its data (owner only)");
  DeleteOptions del_opts;
  del->add_option("database", del_opts.database, "database name")->required();
  del->add_flag("-y,--yes", del_opts.yes, "do not ask (required when stdin is not a terminal)");
  del->add_option("-s,--server", server, "server URL, nickname or 'local'");

  auto* list = app.add_subcommand("list", "List the server's databases");
  list->add_flag("--json", json, "print JSON");
  list->add_option("-s,--server", server, "server URL, nickname or 'local'");

  auto* describe = app.add_subcommand("describe", "Show a database's tables and reducers");
  describe->add_option("database", database, "database name")->required();
  describe->add_flag("--json", json, "print JSON (the schema as GET /v1/database/:name serves it)");
  describe->add_option("-s,--server", server, "server URL, nickname or 'local'");

  auto* subscribe = app.add_subcommand(
      "subscribe", "Subscribe to SQL queries and print each update as a JSON line");
  SubscribeOptions sub_opts;
  subscribe->add_option("database", sub_opts.database, "database name")->required();
  subscribe->add_option("queries", sub_opts.queries, "one or more SELECT queries")->required();
  subscribe->add_option("-n,--num-updates", sub_opts.num_updates,
                        "exit after this many updates (0: after the initial rows)");
  subscribe
      ->add_option("-t,--timeout", sub_opts.timeout_secs,
                   "exit after this many seconds (an error if -n updates did not arrive)")
      ->check(CLI::PositiveNumber);
  subscribe->add_flag("--print-initial-update", sub_opts.print_initial,
                      "also print the rows the queries match when the subscription starts");
  subscribe->add_option("-s,--server", server, "server URL, nickname or 'local'");

  auto* server_cmd = app.add_subcommand("server", "Manage the servers the CLI talks to");
  server_cmd->require_subcommand(1);
  ServerOptions srv;
  auto* server_add = server_cmd->add_subcommand("add", "Add a server under a nickname");
  server_add->add_option("name", srv.name, "nickname")->required();
  server_add->add_option("url", srv.url, "URL, e.g. http://10.0.0.5:3000")->required();
  server_add->add_flag("-d,--default", srv.make_default, "make it the default server");
  auto* server_remove = server_cmd->add_subcommand("remove", "Forget a server nickname");
  server_remove->add_option("name", srv.name, "nickname")->required();
  auto* server_list = server_cmd->add_subcommand("list", "List the known servers");
  auto* server_default = server_cmd->add_subcommand("set-default", "Set the default server");
  server_default->add_option("name", srv.name, "nickname, 'local' or URL")->required();
  auto* server_ping = server_cmd->add_subcommand("ping", "Check that a server is up");
  server_ping->add_option("name", srv.name, "nickname or URL (default: the default server)");

  auto* login = app.add_subcommand("login", "Get (or store) an identity for a server");
  std::optional<std::string> login_token;
  login->add_option("--token", login_token, "use this token (checked with the server first)");
  login->add_option("-s,--server", server, "server URL, nickname or 'local'");
  auto* logout = app.add_subcommand("logout", "Forget the identity stored for a server");
  logout->add_option("-s,--server", server, "server URL, nickname or 'local'");
  auto* identity = app.add_subcommand("identity", "Print the identity used for a server");
  bool show_token = false;
  identity->add_flag("--token", show_token, "print the token too");
  identity->add_option("-s,--server", server, "server URL, nickname or 'local'");

  auto* client = app.add_subcommand("client", "Interactive client");
  client->require_subcommand(1);
  auto* client_connect = client->add_subcommand(
      "connect", "Connect to a database and type commands (help lists them)");
  ClientOptions client_opts;
  client_connect->add_option("url", client_opts.url, "server, e.g. ws://127.0.0.1:3000")
      ->required();
  client_connect->add_option("database", client_opts.database, "database name");

  auto* start = app.add_subcommand("start", "Start a server (runs spacetimedb start)");
  start->prefix_command();
  start->allow_extras();

  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  auto Dispatch = [&]() -> int {
    if (*build) return Build(build_opts);
    if (*publish) {
      pub.server = server;
      return Publish(pub);
    }
    if (*call) return Call(server, database, reducer, args);
    if (*sql) return Sql(server, database, query, json);
    if (*logs) {
      logs_opts.server = server;
      return Logs(logs_opts);
    }
    if (*backup) return Backup(server, database, backup_dir);
    if (*generate) {
      gen.server = server;
      return Generate(gen);
    }
    if (*init) return Init(init_opts);
    if (*del) {
      del_opts.server = server;
      return Delete(del_opts);
    }
    if (*list) return List(server, json);
    if (*describe) return Describe(server, database, json);
    if (*subscribe) {
      sub_opts.server = server;
      return Subscribe(sub_opts);
    }
    if (*server_cmd) {
      srv.action = *server_add       ? "add"
                   : *server_remove  ? "remove"
                   : *server_list    ? "list"
                   : *server_default ? "set-default"
                                     : "ping";
      (void)server_ping;
      return ServerCommand(srv);
    }
    if (*login) return Login(server, login_token);
    if (*logout) return Logout(server);
    if (*identity) return Identity(server, show_token);
    if (*client_connect) return ClientConnect(client_opts);
    if (*start) return Start(start->remaining());
    if (*version) {
      std::cout << "spacetime (stdb) " << stdb::obs::kVersion << " (commit "
                << stdb::obs::BuildCommit() << ")\n";
      return 0;
    }
    return 1;
  };
  // Server responses are checked where they are read; a shape nobody foresaw makes
  // nlohmann::json throw, which becomes one line instead of an abort.
  try {
    return Dispatch();
  } catch (const std::exception& e) {
    std::cerr << "error: unexpected response from the server (" << e.what()
              << "); is the CLI older or newer than the server?\n";
    return 1;
  }
}
