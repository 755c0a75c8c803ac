// spacetime: the stdb command-line tool (docs/cli.md).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"

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
                      "server URL or 'local' (default http://127.0.0.1:3000)");

  auto* call = app.add_subcommand("call", "Call a reducer");
  std::string database, reducer, query;
  std::vector<std::string> args;
  call->add_option("database", database, "database name")->required();
  call->add_option("reducer", reducer, "reducer name")->required();
  call->add_option("args", args, "arguments, each a JSON value (strings need quotes: '\"hi\"')");
  call->add_option("-s,--server", server, "server URL or 'local'");

  auto* sql = app.add_subcommand("sql", "Run a SQL query");
  bool json = false;
  sql->add_option("database", database, "database name")->required();
  sql->add_option("query", query, "SQL text")->required();
  sql->add_flag("--json", json, "print the server's JSON instead of a table");
  sql->add_option("-s,--server", server, "server URL or 'local'");

  auto* logs = app.add_subcommand("logs", "Print a database's module log (owner only)");
  LogsOptions logs_opts;
  logs->add_option("database", logs_opts.database, "database name")->required();
  logs->add_option("-n,--num-lines", logs_opts.num_lines,
                   "print only the last N lines (default: all the server keeps)")
      ->check(CLI::Range(0, 1000000));
  logs->add_flag("-f,--follow", logs_opts.follow, "keep printing new lines until Ctrl-C");
  logs->add_flag("--json", logs_opts.json, "print the server's JSON lines unchanged");
  logs->add_option("-s,--server", server, "server URL or 'local'");

  auto* backup = app.add_subcommand(
      "backup", "Copy a running database's durable state into a folder (owner only)");
  std::string backup_dir;
  backup->add_option("database", database, "database name")->required();
  backup->add_option("dir", backup_dir, "a new or empty folder")->required();
  backup->add_option("-s,--server", server, "server URL or 'local'");

  auto* generate = app.add_subcommand(
      "generate", "Write client bindings for a database's or module file's schema");
  GenerateOptions gen;
  generate->add_option("-l,--lang", gen.lang, "typescript or cpp")
      ->required()
      ->check(CLI::IsMember({"typescript", "cpp"}));
  generate->add_option("-o,--out-dir", gen.out_dir, "folder to write the bindings into")
      ->required();
  generate->add_option("source", gen.source,
                       "a database name, or a module file (a path, or a name ending in .so)")
      ->required();
  generate->add_option("-s,--server", server, "server URL or 'local' (for a database name)");

  auto* start = app.add_subcommand("start", "Start a server (runs spacetimedb start)");
  start->prefix_command();
  start->allow_extras();

  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
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
  if (*start) return Start(start->remaining());
  if (*version) {
    std::cout << "spacetime (stdb) 0.1.0\n";
    return 0;
  }
  return 1;
}
