#!/usr/bin/env python3
"""Runs every example in the user docs, so that none of them can rot.

Each fenced code block in a checked document must be preceded by a directive, an HTML
comment the rendered page does not show:

  <!-- test: run -->          a shell block: run it (bash, -e) in the session's folder;
                              `cd` carries over to the next block
  <!-- test: output -->       a text block: the stdout of the previous run block. A line
                              "..." matches any number of lines; "..." inside a line
                              matches any text
  <!-- test: background -->   a shell block that starts a server: run it in the
                              background and wait until the server answers /v1/ping
  <!-- test: file PATH -->    write the block to PATH (relative to the session folder)
  <!-- test: append PATH -->  append the block to PATH
  <!-- test: skip REASON -->  not run, with the reason (e.g. it installs packages)

Two directives stand alone, with no block after them: <!-- test: hidden COMMANDS -->
runs COMMANDS (set-up and checks a reader need not see), and <!-- test: server -->
starts a server (in a folder of its own) for a page that assumes one is running. A block without a directive fails the test: a new
example cannot slip in untested.

Every command runs with the built `spacetime` and `spacetimedb` first on PATH, HOME and
the CLI config in a fresh folder, SPDB_BIND_ADDRESS set to a free loopback port, and
the CLI's default server set to that address, so the documented commands run exactly as
written without touching port 3000 or the user's files. Everything started is stopped.

Usage: doc_examples.py --bin-dir DIR --sdk-dir DIR [--node-modules DIR] DOC.md...
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

# Bounded: one block may run this long (a module build takes ~10 s, under ASan longer).
BLOCK_TIMEOUT_S = 300
# Bounded: a background server must answer /v1/ping within this.
SERVER_READY_S = 60

DIRECTIVE = re.compile(r"^<!--\s*test:\s*(\w[\w-]*)\s*(.*?)\s*(-->)?$")
FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")


class Block:
    def __init__(self, doc, line, directive, arg, lang, text):
        self.doc, self.line, self.directive, self.arg, self.lang, self.text = (
            doc, line, directive, arg, lang, text)

    def where(self):
        return f"{self.doc}:{self.line}"


def parse(doc):
    """The blocks of `doc`, each with the directive before it (None if there is none)."""
    lines = open(doc, encoding="utf-8").read().split("\n")
    blocks = []
    pending = None  # (directive, arg, line)
    i = 0
    while i < len(lines):
        line = lines[i]
        m = DIRECTIVE.match(line.strip())
        if m:
            directive, arg = m.group(1), m.group(2)
            start = i
            if not m.group(3):  # a multi-line comment: collect until -->
                parts = [arg]
                i += 1
                while i < len(lines) and "-->" not in lines[i]:
                    parts.append(lines[i])
                    i += 1
                if i < len(lines):
                    parts.append(lines[i].split("-->")[0])
                arg = "\n".join(parts).strip()
            if directive == "hidden":
                blocks.append(Block(doc, start + 1, "hidden", arg, "sh", arg))
            elif directive == "server":
                blocks.append(Block(doc, start + 1, "server", "", "sh", "spacetimedb start\n"))
            else:
                pending = (directive, arg, start + 1)
            i += 1
            continue
        f = FENCE.match(line)
        if f:
            fence, lang = f.group(1), f.group(2)
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i])
                i += 1
            text = "\n".join(body) + "\n"
            if pending:
                blocks.append(Block(doc, pending[2], pending[0], pending[1], lang, text))
            else:
                blocks.append(Block(doc, i - len(body), None, "", lang, text))
            pending = None
            i += 1
            continue
        if line.strip() and pending and not line.strip().startswith("<!--"):
            # Text between a directive and its block: the directive is misplaced.
            blocks.append(Block(doc, pending[2], "misplaced", pending[0], "", ""))
            pending = None
        i += 1
    if pending:
        blocks.append(Block(doc, pending[2], "misplaced", pending[0], "", ""))
    return blocks


def matches(expected, actual):
    """Whether `actual` (text) matches `expected` (text with "..." wildcards)."""
    exp = [l.rstrip() for l in expected.rstrip("\n").split("\n")]
    act = [l.rstrip() for l in actual.rstrip("\n").split("\n")]

    def line_ok(e, a):
        pattern = ".*".join(re.escape(part) for part in e.split("..."))
        return re.fullmatch(pattern, a) is not None

    def go(i, j):
        if i == len(exp):
            return j == len(act)
        if exp[i] == "...":
            return any(go(i + 1, k) for k in range(j, len(act) + 1))
        return j < len(act) and line_ok(exp[i], act[j]) and go(i + 1, j + 1)

    return go(0, 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    def __init__(self, args, doc):
        self.root = tempfile.mkdtemp(prefix="stdb-doc-")
        self.cwd = os.path.join(self.root, "work")
        os.makedirs(self.cwd)
        self.port = free_port()
        self.background = []
        self.last_output = None
        home = os.path.join(self.root, "home")
        os.makedirs(os.path.join(home, ".config", "stdb"))
        config = os.path.join(home, ".config", "stdb", "cli.json")
        with open(config, "w") as f:
            f.write('{"default_server": "http://127.0.0.1:%d", "tokens": {}}\n' % self.port)
        self.env = dict(os.environ)
        # $STDB_DOC_BIN (empty, first on PATH): hidden set-up may put wrappers there.
        doc_bin = os.path.join(self.root, "bin")
        os.makedirs(doc_bin)
        self.env.update({
            "STDB_DOC_BIN": doc_bin,
            "PATH": doc_bin + os.pathsep + args.bin_dir + os.pathsep + self.env.get("PATH", ""),
            "HOME": home,
            "STDB_CLI_CONFIG": config,
            "STDB_SDK_DIR": args.sdk_dir,
            "SPDB_BIND_ADDRESS": "127.0.0.1:%d" % self.port,
            "TERM": "dumb",
        })
        if args.node_modules:
            self.env["STDB_DOC_NODE_MODULES"] = args.node_modules
        for pair in args.env:
            name, _, value = pair.partition("=")
            self.env[name] = value
        self.env.pop("SPDB_CONFIG", None)

    def run(self, block):
        state = os.path.join(self.root, "cwd")
        script = "set -eo pipefail\n" + block.text + f"\npwd > '{state}'\n"
        try:
            r = subprocess.run(["bash", "-c", script], cwd=self.cwd, env=self.env,
                               capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"timed out after {BLOCK_TIMEOUT_S} s"
        if r.returncode != 0:
            return (f"exited with {r.returncode}\n--- stdout\n{r.stdout}--- stderr\n{r.stderr}")
        self.cwd = open(state).read().strip()
        if block.directive == "run":  # hidden checks are not what an output block shows
            self.last_output = r.stdout
        return None

    def start_background(self, block, cwd=None):
        log = open(os.path.join(self.root, f"background-{len(self.background)}.log"), "w")
        p = subprocess.Popen(["bash", "-c", "exec " + block.text.strip()], cwd=cwd or self.cwd,
                             env=self.env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.background.append((p, log.name))
        deadline = time.time() + SERVER_READY_S
        while time.time() < deadline:
            if p.poll() is not None:
                return f"exited with {p.returncode}:\n" + open(log.name).read()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/ping", timeout=1)
            except OSError:
                time.sleep(0.1)
                continue
            # Answered: make sure it was this server (not one already on the port).
            time.sleep(0.3)
            if p.poll() is not None:
                return f"exited with {p.returncode}:\n" + open(log.name).read()
            return None
        return "the server did not answer /v1/ping in time:\n" + open(log.name).read()

    def close(self):
        for p, _ in self.background:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def check_doc(args, doc):
    failures = []
    blocks = parse(doc)
    session = Session(args, doc)
    try:
        for b in blocks:
            err = None
            if b.directive is None:
                err = (f"a ```{b.lang} block with no <!-- test: ... --> directive "
                       "(run, output, file, append, background or skip REASON)")
            elif b.directive == "misplaced":
                err = f"directive '{b.arg}' is not directly followed by a code block"
            elif b.directive in ("run", "hidden"):
                err = session.run(b)
            elif b.directive == "output":
                if session.last_output is None:
                    err = "an output block with no run block before it"
                elif not matches(b.text, session.last_output):
                    err = f"output differs\n--- expected\n{b.text}--- actual\n{session.last_output}"
            elif b.directive in ("file", "append"):
                path = os.path.join(session.cwd, b.arg)
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
                with open(path, "w" if b.directive == "file" else "a") as f:
                    f.write(b.text)
            elif b.directive == "background":
                err = session.start_background(b)
            elif b.directive == "server":
                server_dir = os.path.join(session.root, "server")
                os.makedirs(server_dir, exist_ok=True)
                err = session.start_background(b, cwd=server_dir)
            elif b.directive == "skip":
                if not b.arg:
                    err = "skip needs a reason"
            else:
                err = f"unknown directive '{b.directive}'"
            status = "ok" if err is None else "FAILED"
            print(f"{status:6} {b.where()} {b.directive or '-'} {b.arg[:60]!r}"
                  if b.directive != "hidden" else f"{status:6} {b.where()} hidden", flush=True)
            if err:
                failures.append(f"{b.where()}: {err}")
                if b.directive in ("run", "hidden", "background", "server"):
                    break  # later blocks depend on this one
    finally:
        session.close()
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--sdk-dir", required=True)
    ap.add_argument("--node-modules")
    ap.add_argument("--env", action="append", default=[],
                    help="NAME=VALUE for every command (e.g. paths of built modules)")
    ap.add_argument("docs", nargs="+")
    args = ap.parse_args()
    args.bin_dir = os.path.abspath(args.bin_dir)
    args.sdk_dir = os.path.abspath(args.sdk_dir)
    if args.node_modules:
        args.node_modules = os.path.abspath(args.node_modules)
    failures = []
    for doc in args.docs:
        print(f"== {doc}", flush=True)
        failures += check_doc(args, doc)
    if failures:
        print("\n".join(["", "FAILED:"] + failures), file=sys.stderr)
        return 1
    print(f"every example in {len(args.docs)} documents ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
