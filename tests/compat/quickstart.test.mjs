// Proves that the official SpacetimeDB TypeScript SDK (npm `spacetimedb` 2.x) works
// unchanged against stdb: it starts a fresh server with the quickstart-chat module and
// drives SDK clients through connect, subscribe (plain and typed SQL), reducer calls (ok
// and error), unsubscribe and reconnect-with-token over v3, then a v2-only client and a
// gzip-compressed update, and checks that nothing failed to decode along the way.
//
// Run: `npm ci && npm test` in tests/compat (after building the server), or `ctest -R
// compat_sdk`. STDB_SERVER_BIN and STDB_QUICKSTART_MODULE override the build/debug paths;
// STDB_COMPAT_SERVER_LOG=<file> keeps the server's log.
//
// Every wait is bounded: a step that hangs fails with what it was waiting for, the SDK's
// warnings and errors, and the tail of the server log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The SDK and `ws` come from `npm ci` in tests/compat. Without them, fail with that
// instruction instead of a bare ERR_MODULE_NOT_FOUND.
let NodeWebSocket;
let SenderError;
let setGlobalLogLevel;
let DbConnection;
try {
  ({ WebSocket: NodeWebSocket } = await import('ws'));
  ({ SenderError, setGlobalLogLevel } = await import('spacetimedb'));
  ({ DbConnection } = await import('./module_bindings/index.mjs'));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  throw new Error(
    `tests/compat/node_modules is missing or incomplete (${e.message}). ` +
      'Run `npm ci` in tests/compat, then run this test again.',
  );
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const SERVER_BIN =
  process.env.STDB_SERVER_BIN || path.join(REPO, 'build/debug/bin/spacetimedb');
const QUICKSTART_MODULE =
  process.env.STDB_QUICKSTART_MODULE || path.join(REPO, 'build/debug/modules/quickstart_chat.so');
const DATABASE = 'quickstart';

const SERVER_START_MS = 20_000;
const SERVER_STOP_MS = 5_000;
const STEP_MS = 10_000; // one network round trip or callback; generous for debug builds
const PROTOCOL_V2 = 'v2.bsatn.spacetimedb';
const PROTOCOL_V3 = 'v3.bsatn.spacetimedb';
// Close codes of a deliberate, clean close (normal; no status received).
const CLEAN_CLOSE_CODES = new Set([1000, 1005]);

// ---------------------------------------------------------------------------------------
// Observation: everything that could reveal a protocol problem is recorded and asserted
// empty at the end, and dumped into the message of any failed wait.

const sdkProblems = []; // SDK log lines at warn/error level, console.error output
const asyncErrors = []; // unhandled rejections / uncaught exceptions (e.g. a decode throw)
const socketCloses = []; // { label, code, reason } for every WebSocket the SDK opened
const recentFrames = []; // last server->client frames, hex, for failure reports
const compressionTagCounts = new Map(); // frame byte 0 (0 none, 1 brotli, 2 gzip) -> frames
const RECENT_FRAMES_MAX = 24;
const FRAME_HEX_BYTES_MAX = 160;

// The SDK logs through console.log('%c<icon> LEVEL%c message', style, style, ...args).
setGlobalLogLevel('warn');
const originalLog = console.log;
const originalError = console.error;
console.log = (...args) => {
  if (typeof args[0] === 'string' && /^%c\S+ (ERROR|WARN)%c/u.test(args[0])) {
    sdkProblems.push(describeArgs([args[0].replace(/%c/g, ''), ...args.slice(3)]));
  }
  originalLog(...args);
};
console.error = (...args) => {
  sdkProblems.push(describeArgs(args));
  originalError(...args);
};
process.on('unhandledRejection', (e) => asyncErrors.push(`unhandled rejection: ${e?.stack ?? e}`));
process.on('uncaughtException', (e) => asyncErrors.push(`uncaught exception: ${e?.stack ?? e}`));
// Exit on interruption so that the 'exit' handler below stops the server.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) process.once(signal, () => process.exit(code));

function describeArgs(args) {
  return args.map((a) => (a instanceof Error ? a.stack : typeof a === 'string' ? a : String(a))).join(' ');
}

function hex(bytes) {
  const shown = Buffer.from(bytes.subarray(0, FRAME_HEX_BYTES_MAX)).toString('hex');
  return bytes.length > FRAME_HEX_BYTES_MAX ? `${shown}... (${bytes.length} bytes)` : shown;
}

// Node 20 has no global WebSocket; the SDK uses globalThis.WebSocket when it exists. This
// subclass of the `ws` client also records each socket's close code and incoming frames.
let socketCount = 0;
let latestSocket; // the socket the SDK opened last (connections are opened one at a time)
class RecordingWebSocket extends NodeWebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    const label = `socket#${++socketCount}`;
    this.framesReceived = 0;
    latestSocket = this;
    this.addEventListener('message', (ev) => {
      this.framesReceived += 1;
      const bytes = new Uint8Array(ev.data instanceof ArrayBuffer ? ev.data : Buffer.from(ev.data));
      compressionTagCounts.set(bytes[0], (compressionTagCounts.get(bytes[0]) ?? 0) + 1);
      recentFrames.push(`${label} <- ${hex(bytes)}`);
      if (recentFrames.length > RECENT_FRAMES_MAX) recentFrames.shift();
    });
    this.addEventListener('close', (ev) => socketCloses.push({ label, code: ev.code, reason: ev.reason }));
  }
}
globalThis.WebSocket = RecordingWebSocket;

// ---------------------------------------------------------------------------------------
// Server process.

let server; // { child, port, dataDir, log() }

async function startServer() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'stdb-compat-'));
  // Port 0: the server binds a free port and logs the one it got, so there is no race
  // between picking a port and binding it.
  const child = spawn(
    SERVER_BIN,
    [
      'start',
      '--module', QUICKSTART_MODULE,
      '--database', DATABASE,
      '--db-path', path.join(dataDir, 'data'),
      '--bind-address', '127.0.0.1:0',
      '--log-level', 'debug',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s) => (output += s));
  // A test process that exits early (or is interrupted) must not leave the server or its
  // data behind.
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);
  server = { child, dataDir, port: 0, log: () => output, killOnExit };

  const listening = new Promise((resolve, reject) => {
    const check = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    };
    child.stderr.on('data', check);
    child.stdout.on('data', check);
    child.once('error', (e) => reject(new Error(`cannot start ${SERVER_BIN}: ${e.message}`)));
    child.once('exit', (code, signal) =>
      reject(new Error(`server exited (code ${code}, signal ${signal}) before listening:\n${output}`)),
    );
  });
  server.port = await within(SERVER_START_MS, listening, 'the server to log "listening on"');
}

// Stops the server (SIGTERM, then SIGKILL after SERVER_STOP_MS) and removes its data.
// Returns how it exited.
async function stopServer() {
  if (!server) return undefined;
  const { child, dataDir, killOnExit } = server;
  let exit = child.exitCode !== null || child.signalCode !== null
    ? { code: child.exitCode, signal: child.signalCode, killed: false }
    : undefined;
  if (!exit) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = delay(SERVER_STOP_MS).then(() => 'timeout');
    const first = await Promise.race([exited, timer]);
    if (first === 'timeout') {
      child.kill('SIGKILL');
      const [code, signal] = await exited;
      exit = { code, signal, killed: true };
    } else {
      const [code, signal] = first;
      exit = { code, signal, killed: false };
    }
  }
  process.off('exit', killOnExit);
  if (process.env.STDB_COMPAT_SERVER_LOG) {
    await writeFile(process.env.STDB_COMPAT_SERVER_LOG, server.log());
  }
  await rm(dataDir, { recursive: true, force: true });
  return exit;
}

// ---------------------------------------------------------------------------------------
// Helpers.

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function diagnostics() {
  const logTail = server ? server.log().split('\n').slice(-40).join('\n') : '(no server)';
  return [
    `SDK warnings/errors: ${sdkProblems.length ? '\n  ' + sdkProblems.join('\n  ') : 'none'}`,
    `async errors: ${asyncErrors.length ? '\n  ' + asyncErrors.join('\n  ') : 'none'}`,
    `socket closes: ${JSON.stringify(socketCloses)}`,
    `frames by compression tag: ${JSON.stringify(Object.fromEntries(compressionTagCounts))}`,
    `last frames from the server (compression tag byte first):\n  ${recentFrames.join('\n  ')}`,
    `server log tail:\n${logTail}`,
  ].join('\n');
}

// Resolves like `promise`, or rejects once `ms` pass with what was awaited.
async function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms waiting for ${what}\n${diagnostics()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// Resolves with the arguments of the first `kind` callback ('onInsert', 'onUpdate',
// 'onDelete') on `table` for which `match(...args)` is true.
function nextRowEvent(table, kind, match) {
  const { promise, resolve } = deferred();
  const cb = (...args) => {
    if (!match(...args)) return;
    table[`remove${kind[0].toUpperCase()}${kind.slice(1)}`](cb); // e.g. removeOnInsert
    resolve(args);
  };
  table[kind](cb);
  return promise;
}

// Opens a connection and waits for onConnect. Returns { conn, identity, token,
// disconnected } where `disconnected` resolves (with the error, if any) on onDisconnect.
async function connect(label, { token, wsFn } = {}) {
  const connected = deferred();
  const disconnected = deferred();
  let builder = DbConnection.builder()
    .withUri(`ws://127.0.0.1:${server.port}`)
    .withDatabaseName(DATABASE)
    .onConnect((conn, identity, tok) => connected.resolve({ identity, token: tok }))
    .onConnectError((_ctx, err) => connected.reject(new Error(`${label}: connect error: ${err?.message ?? err}`)))
    .onDisconnect((_ctx, err) => disconnected.resolve(err));
  if (token !== undefined) builder = builder.withToken(token);
  if (wsFn !== undefined) builder = builder.withWSFn(wsFn);
  const conn = builder.build();
  const { identity, token: tok } = await within(STEP_MS, connected.promise, `${label} onConnect`);
  return { label, conn, identity, token: tok, disconnected: disconnected.promise, socket: latestSocket };
}

// Subscribes and waits for onApplied; rejects on onError.
async function subscribe(client, queries) {
  const applied = deferred();
  const handle = client.conn
    .subscriptionBuilder()
    .onApplied(() => applied.resolve())
    .onError((_ctx, err) => applied.reject(new Error(`${client.label}: subscription error: ${err?.message ?? err}`)))
    .subscribe(queries);
  await within(STEP_MS, applied.promise, `${client.label} onApplied for ${describeQueries(queries)}`);
  return handle;
}

function describeQueries(queries) {
  return typeof queries === 'function' ? 'a typed query' : JSON.stringify(queries);
}

function rows(table) {
  return [...table.iter()];
}

// The negotiated subprotocol of a connection. `ws` is private in the SDK's TypeScript
// declarations but an ordinary property at run time.
function negotiatedProtocol(client) {
  return client.conn.ws?.protocol;
}

// A WebSocket factory for the SDK that offers only the v2 subprotocol and asks for no
// compression, so the v2 framing (one message per frame) is exercised too. It mirrors
// what the SDK's own factory does, minus the token exchange.
async function openV2OnlySocket({ url, nameOrAddress }) {
  const target = new URL(`v1/database/${nameOrAddress}/subscribe`, url);
  target.searchParams.set('compression', 'None');
  const ws = new RecordingWebSocket(target.toString(), [PROTOCOL_V2]);
  ws.binaryType = 'arraybuffer';
  return {
    get protocol() {
      return ws.protocol;
    },
    get readyState() {
      return ws.readyState;
    },
    send: (bytes) => ws.send(bytes),
    close: () => ws.close(),
    set onopen(handler) {
      ws.onopen = handler;
    },
    set onclose(handler) {
      ws.onclose = handler;
    },
    set onerror(handler) {
      ws.onerror = handler;
    },
    set onmessage(handler) {
      ws.onmessage = (ev) => {
        const frame = new Uint8Array(ev.data);
        if (frame[0] !== 0) {
          sdkProblems.push(`v2 client: compression tag ${frame[0]} although it asked for None`);
          return;
        }
        handler({ data: frame.subarray(1) });
      };
    },
  };
}

// ---------------------------------------------------------------------------------------
// The scenario. Steps share state and run in order; once one fails, the rest are skipped.

describe('official TypeScript SDK against stdb (quickstart-chat)', { timeout: 120_000 }, () => {
  let failed = false;
  let a; // client A
  let b; // client B
  let bHandle; // B's subscription
  let bFramesAfterUnsubscribe; // frames B had received when its unsubscribe completed
  const step = (name, fn) =>
    it(name, async (t) => {
      if (failed) {
        t.skip('an earlier step failed');
        return;
      }
      try {
        await fn(t);
      } catch (e) {
        failed = true;
        throw e;
      }
    });

  before(startServer);

  after(async () => {
    for (const c of [a, b]) {
      try {
        c?.conn.disconnect();
      } catch {
        // Already closed.
      }
    }
    const exit = await stopServer();
    console.log = originalLog;
    console.error = originalError;
    if (exit && (exit.killed || exit.code !== 0)) {
      throw new Error(`server did not exit cleanly on SIGTERM: ${JSON.stringify(exit)}\n${diagnostics()}`);
    }
  });

  step('1. two clients connect and get distinct identities and tokens', async () => {
    a = await connect('A');
    b = await connect('B');
    for (const c of [a, b]) {
      assert.ok(c.identity, `${c.label} has an identity`);
      assert.match(c.identity.toHexString(), /^[0-9a-f]{64}$/);
      assert.equal(typeof c.token, 'string');
      assert.ok(c.token.length > 0, `${c.label} has a token`);
      assert.equal(c.conn.isActive, true);
      // The SDK offers v3 then v2; the server must pick v3.
      assert.equal(negotiatedProtocol(c), PROTOCOL_V3, `${c.label} negotiated v3`);
    }
    assert.equal(a.identity.isEqual(b.identity), false, 'A and B have different identities');
    assert.notEqual(a.token, b.token);
  });

  step('2. both subscribe (plain and quoted typed SQL); B sees both users online', async () => {
    await subscribe(a, ['SELECT * FROM message', 'SELECT * FROM user']);
    // The typed query builder quotes identifiers and renders an Identity as a hex literal:
    // SELECT * FROM "user" WHERE "user"."identity" = 0x...
    await subscribe(a, (tables) => tables.user.where((u) => u.identity.eq(a.identity)));
    // SELECT * FROM "message", SELECT * FROM "user"
    bHandle = await subscribe(b, (tables) => [tables.message, tables.user]);

    const users = rows(b.conn.db.user);
    assert.equal(users.length, 2, `B sees two users: ${users.map((u) => u.identity.toHexString())}`);
    for (const c of [a, b]) {
      const u = b.conn.db.user.identity.find(c.identity);
      assert.ok(u, `B's cache has ${c.label}'s user row`);
      assert.equal(u.online, true, `${c.label} is online`);
      assert.equal(u.name, undefined, `${c.label} has no name yet`);
    }
    assert.equal(b.conn.db.message.count(), 0n, 'no messages yet');
    assert.equal(a.conn.db.user.count(), 2n, 'A sees both users too');
  });

  step('3. A sets a name and sends a message; B sees the update and the insert', async () => {
    const bSawRename = nextRowEvent(b.conn.db.user, 'onUpdate', (_ctx, _old, row) =>
      row.identity.isEqual(a.identity),
    );
    const bSawMessage = nextRowEvent(b.conn.db.message, 'onInsert', () => true);
    const aSawOwnMessage = nextRowEvent(a.conn.db.message, 'onInsert', () => true);

    await within(STEP_MS, a.conn.reducers.setName({ name: 'alice' }), 'set_name("alice") to resolve');
    const [renameCtx, oldUser, newUser] = await within(STEP_MS, bSawRename, "B's user onUpdate for A");
    assert.equal(oldUser.name, undefined);
    assert.equal(newUser.name, 'alice');
    assert.equal(newUser.online, true);
    assert.equal(renameCtx.event.tag, 'Transaction', 'B did not call the reducer');

    const before = Date.now();
    await within(STEP_MS, a.conn.reducers.sendMessage({ text: 'hello' }), 'send_message("hello") to resolve');
    const [, message] = await within(STEP_MS, bSawMessage, "B's message onInsert");
    assert.ok(message.sender.isEqual(a.identity), `sender ${message.sender.toHexString()} is A`);
    assert.equal(message.sender.toHexString(), a.identity.toHexString());
    assert.equal(message.text, 'hello');
    const sentMs = Number(message.sent.microsSinceUnixEpoch / 1000n);
    assert.ok(Math.abs(sentMs - before) < 60_000, `sent (${message.sent.toDate().toISOString()}) is about now`);

    // The caller gets its own changes inside ReducerResult, tagged as its reducer event.
    const [ownCtx, ownMessage] = await within(STEP_MS, aSawOwnMessage, "A's own message onInsert");
    assert.equal(ownMessage.text, 'hello');
    assert.equal(ownCtx.event.tag, 'Reducer');
    assert.equal(ownCtx.event.value.reducer.name, 'send_message');
    assert.deepEqual(ownCtx.event.value.reducer.args, { text: 'hello' });

    assert.equal(b.conn.db.user.identity.find(a.identity).name, 'alice');
    assert.equal(b.conn.db.message.count(), 1n);
  });

  step('4. a failing reducer rejects with SenderError and changes nothing', async () => {
    const unexpectedInserts = [];
    const onInsert = (_ctx, row) => unexpectedInserts.push(row.text);
    b.conn.db.message.onInsert(onInsert);
    a.conn.db.message.onInsert(onInsert);
    try {
      await assert.rejects(
        within(STEP_MS, a.conn.reducers.sendMessage({ text: '' }), 'send_message("") to settle'),
        (err) => {
          assert.ok(err instanceof SenderError, `got ${err?.name}: ${err?.message}`);
          assert.equal(err.message, 'Messages must not be empty');
          return true;
        },
      );
      await assert.rejects(
        within(STEP_MS, a.conn.reducers.setName({ name: '' }), 'set_name("") to settle'),
        (err) => {
          assert.ok(err instanceof SenderError, `got ${err?.name}: ${err?.message}`);
          assert.equal(err.message, 'Names must not be empty');
          return true;
        },
      );
      // Barrier: the server sends a client its updates in commit order, so once B's own
      // reducer call has resolved, B has seen every transaction committed before it.
      const bSawOwnRename = nextRowEvent(b.conn.db.user, 'onUpdate', (_ctx, _old, row) =>
        row.identity.isEqual(b.identity),
      );
      await within(STEP_MS, b.conn.reducers.setName({ name: 'bob' }), 'set_name("bob") to resolve');
      const [ctx, , bob] = await within(STEP_MS, bSawOwnRename, "B's own user onUpdate");
      assert.equal(bob.name, 'bob');
      assert.equal(ctx.event.tag, 'Reducer');
    } finally {
      b.conn.db.message.removeOnInsert(onInsert);
      a.conn.db.message.removeOnInsert(onInsert);
    }
    assert.deepEqual(unexpectedInserts, [], 'the failed call inserted nothing');
    assert.equal(b.conn.db.message.count(), 1n);
    assert.equal(a.conn.db.message.count(), 1n);
    assert.equal(b.conn.db.user.identity.find(a.identity).name, 'alice', "A's name is unchanged");
  });

  step("5. B unsubscribes; onDelete fires for every row that leaves B's cache", async () => {
    const deletedMessages = [];
    const deletedUsers = [];
    b.conn.db.message.onDelete((_ctx, row) => deletedMessages.push(row));
    b.conn.db.user.onDelete((_ctx, row) => deletedUsers.push(row));
    const ended = deferred();
    bHandle.unsubscribeThen(() => ended.resolve());
    // The SDK dispatches the row callbacks synchronously right after onEnd returns, so
    // they have all run by the time this await continues.
    await within(STEP_MS, ended.promise, "B's unsubscribe onEnd");
    await delay(0);

    assert.equal(deletedMessages.length, 1, 'one message left B\'s cache');
    assert.equal(deletedMessages[0].text, 'hello');
    assert.ok(deletedMessages[0].sender.isEqual(a.identity));
    const gone = deletedUsers.map((u) => u.identity.toHexString()).sort();
    assert.deepEqual(gone, [a.identity.toHexString(), b.identity.toHexString()].sort(), 'both users left');
    assert.equal(b.conn.db.message.count(), 0n);
    assert.equal(b.conn.db.user.count(), 0n);
    assert.equal(bHandle.isEnded(), true);
    bFramesAfterUnsubscribe = b.socket.framesReceived;
    // A's subscriptions are untouched.
    assert.equal(a.conn.db.message.count(), 1n);
  });

  step("6. A disconnects; a client with A's saved token gets A's identity back", async () => {
    a.conn.disconnect();
    const err = await within(STEP_MS, a.disconnected, "A's onDisconnect");
    assert.equal(err, undefined, `A disconnected without an error: ${err?.message}`);

    const again = await connect('A again', { token: a.token });
    try {
      assert.ok(again.identity.isEqual(a.identity), `same identity: ${again.identity.toHexString()}`);
      assert.equal(negotiatedProtocol(again), PROTOCOL_V3);
      // Only A's row matches; B's row must be filtered out by the server.
      await subscribe(again, (tables) => tables.user.where((u) => u.identity.eq(a.identity)));
      assert.equal(again.conn.db.user.count(), 1n, 'the WHERE clause selected one row');
      const me = again.conn.db.user.identity.find(a.identity);
      assert.ok(me, 'the returning user has a row');
      assert.equal(me.name, 'alice', 'the name survived the reconnect');
      assert.equal(me.online, true);
    } finally {
      again.conn.disconnect();
      await within(STEP_MS, again.disconnected, "reconnected A's onDisconnect");
    }
  });

  step('7. a client that offers only v2 negotiates v2 and works', async () => {
    const v2 = await connect('v2 client', { wsFn: openV2OnlySocket });
    try {
      assert.equal(negotiatedProtocol(v2), PROTOCOL_V2);
      await subscribe(v2, ['SELECT * FROM message']);
      assert.deepEqual(rows(v2.conn.db.message).map((m) => m.text), ['hello']);
      const sawInsert = nextRowEvent(v2.conn.db.message, 'onInsert', (_ctx, row) => row.text === 'over v2');
      await within(STEP_MS, v2.conn.reducers.sendMessage({ text: 'over v2' }), 'send_message over v2');
      const [, row] = await within(STEP_MS, sawInsert, 'v2 client onInsert');
      assert.ok(row.sender.isEqual(v2.identity));
    } finally {
      v2.conn.disconnect();
      await within(STEP_MS, v2.disconnected, "v2 client's onDisconnect");
    }
  });

  step('8. a large message travels gzip-compressed and decodes', async () => {
    // The SDK asks for gzip by default; the server compresses payloads above 1 KiB.
    const c = await connect('C');
    try {
      const gzipFramesBefore = compressionTagCounts.get(2) ?? 0;
      await subscribe(c, ['SELECT * FROM message']);
      const text = 'long '.repeat(1000).trim();
      const sawInsert = nextRowEvent(c.conn.db.message, 'onInsert', (_ctx, row) => row.text === text);
      await within(STEP_MS, c.conn.reducers.sendMessage({ text }), 'send_message(<5 KB>)');
      const [, row] = await within(STEP_MS, sawInsert, "C's onInsert of the large message");
      assert.ok(row.sender.isEqual(c.identity));
      assert.ok((compressionTagCounts.get(2) ?? 0) > gzipFramesBefore, 'at least one gzip frame arrived');
    } finally {
      c.conn.disconnect();
      await within(STEP_MS, c.disconnected, "C's onDisconnect");
    }
  });

  step('9. a client without subscriptions got no updates from later transactions', async () => {
    // Steps 6-8 committed transactions touching both tables; B had no query set left.
    assert.equal(b.socket.framesReceived, bFramesAfterUnsubscribe, 'B received no frames');
    assert.equal(b.conn.db.message.count(), 0n);
    assert.equal(b.conn.db.user.count(), 0n);
  });

  step('10. a join subscription keeps the joined rows live', async () => {
    // SELECT m.* FROM message JOIN user: the server maintains the join incrementally and
    // sends rows of `message`, which the SDK files under that table as usual.
    const d = await connect('D');
    try {
      await subscribe(d, [
        'SELECT m.* FROM message m JOIN user u ON m.sender = u.identity WHERE u.online = true',
      ]);
      const before = rows(d.conn.db.message);
      for (const m of before) {
        assert.ok(m.sender.isEqual(d.identity) || m.sender.isEqual(b.identity) || m.sender.isEqual(a.identity),
          `initial row from a known sender: ${m.text}`);
      }
      const sawInsert = nextRowEvent(d.conn.db.message, 'onInsert', (_ctx, row) => row.text === 'joined');
      await within(STEP_MS, d.conn.reducers.sendMessage({ text: 'joined' }), 'send_message("joined")');
      const [, row] = await within(STEP_MS, sawInsert, "D's onInsert through the join");
      assert.ok(row.sender.isEqual(d.identity));
      assert.equal(rows(d.conn.db.message).length, before.length + 1);
    } finally {
      d.conn.disconnect();
      await within(STEP_MS, d.disconnected, "D's onDisconnect");
    }
  });

  step('11. nothing logged a decode error and every socket closed cleanly', async () => {
    b.conn.disconnect();
    await within(STEP_MS, b.disconnected, "B's onDisconnect");
    assert.deepEqual(asyncErrors, [], 'no unhandled rejections or uncaught exceptions');
    assert.deepEqual(sdkProblems, [], 'the SDK logged no warnings or errors');
    const unclean = socketCloses.filter((c) => !CLEAN_CLOSE_CODES.has(c.code));
    assert.deepEqual(unclean, [], 'every WebSocket closed with a normal close code');
    const serverProblems = server
      .log()
      .split('\n')
      .filter((line) => /\b(WARN|ERROR)\b|malformed|decode/i.test(line));
    assert.deepEqual(serverProblems, [], 'the server logged no warnings, errors or decode failures');
  });
});
