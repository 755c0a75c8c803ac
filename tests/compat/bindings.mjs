// Generates TypeScript client bindings for a module with `spacetime generate --lang
// typescript` and compiles them with the TypeScript compiler in strict mode against the
// SDK's own type declarations, so bindings the SDK's types reject fail here.
//
// As a library (quickstart.test.mjs): `await buildBindings({ module, outDir, emit: true })`
// returns the path of the compiled index.js (ES modules).
// As a command (the compat_bindings_typecheck ctest):
//   node bindings.mjs --module <module.so> --out-dir <dir> [--emit] [--check <file.ts>]
//   node bindings.mjs --generator <program> --out-dir <dir> [--check <file.ts>]
// --generator runs `<program> <dir>/src` instead of `spacetime generate` (for schemas no
// module declares, see src/codegen/typescript_edge_module.h).
// --check copies a TypeScript file that uses the bindings next to them, so its type-level
// assertions are compiled with them.
// STDB_CLI_BIN names the `spacetime` CLI (default build/debug/bin/spacetime).
//
// Layout of <dir>: src/ (generated .ts), js/ (compiled, with --emit), tsconfig.json,
// package.json ("type": "module") and node_modules -> tests/compat/node_modules, so that
// both tsc and Node resolve `spacetimedb` to the SDK installed by `npm ci` here.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const NODE_MODULES = path.join(HERE, 'node_modules');
const TSC = path.join(NODE_MODULES, 'typescript/bin/tsc');
// Bounded: generation and compilation of a module's bindings take seconds.
const STEP_TIMEOUT_MS = 120_000;

// Strict, plus the checks that keep generated code tidy. The bindings are checked against
// the SDK's declarations; skipLibCheck only skips checking those declarations themselves,
// whose server-side part needs @types/node and the module host's `spacetime:sys` module.
const COMPILER_OPTIONS = {
  skipLibCheck: true,
  strict: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  forceConsistentCasingInFileNames: true,
  target: 'ES2022',
  // The SDK's declarations use extension-less relative imports, which only "Bundler"
  // resolution accepts; the bindings' own imports end in ".js", so the emitted ES modules
  // also run in Node unchanged.
  module: 'ES2022',
  moduleResolution: 'Bundler',
  rootDir: 'src',
  outDir: 'js',
  types: [],
};

export function cliPath() {
  return process.env.STDB_CLI_BIN || path.join(REPO, 'build/debug/bin/spacetime');
}

function run(what, command, args) {
  const res = spawnSync(command, args, { encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  if (res.error) throw new Error(`${what}: cannot run ${command}: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(
      `${what} failed (exit ${res.status}, signal ${res.signal}):\n` +
        `$ ${[command, ...args].join(' ')}\n${res.stdout}${res.stderr}`,
    );
  }
  return res.stdout;
}

// Generates the bindings of `module` into `outDir` (emptied first) and type-checks them;
// with `emit`, also compiles them to ES modules. Returns the path of js/index.js. Throws
// with what to do when the CLI, the module or `npm ci` is missing, and with the compiler's
// diagnostics when the bindings do not type-check.
export function buildBindings({ module, generator, outDir, emit, check }) {
  const cli = cliPath();
  if (generator) {
    if (!existsSync(generator)) throw new Error(`no generator program ${generator}: build it first`);
  } else {
    if (!existsSync(cli)) {
      throw new Error(`no spacetime CLI at ${cli}: build it (target spacetime) or set STDB_CLI_BIN`);
    }
    if (!existsSync(module)) throw new Error(`no module file ${module}: build it first`);
  }
  if (!existsSync(TSC) || !existsSync(path.join(NODE_MODULES, 'spacetimedb'))) {
    throw new Error(
      `${NODE_MODULES} has no typescript or spacetimedb package. ` +
        'Run `npm ci` in tests/compat, then run this test again.',
    );
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  if (generator) run(path.basename(generator), generator, [path.join(outDir, 'src')]);
  else run('spacetime generate', cli, ['generate', '--lang', 'typescript', '--out-dir', path.join(outDir, 'src'), module]);
  if (check) copyFileSync(check, path.join(outDir, 'src', path.basename(check)));
  writeFileSync(path.join(outDir, 'package.json'), JSON.stringify({ private: true, type: 'module' }, null, 2) + '\n');
  symlinkSync(NODE_MODULES, path.join(outDir, 'node_modules'), 'dir');
  const tsconfig = { compilerOptions: { ...COMPILER_OPTIONS, noEmit: !emit }, include: ['src/**/*.ts'] };
  writeFileSync(path.join(outDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n');
  run(`tsc (strict) on the bindings of ${path.basename(module ?? generator)}`, process.execPath, [TSC, '-p', outDir, '--pretty', 'false']);
  return path.join(outDir, 'js', 'index.js');
}

function main(argv) {
  const args = { emit: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--module') args.module = argv[++i];
    else if (argv[i] === '--out-dir') args.outDir = argv[++i];
    else if (argv[i] === '--generator') args.generator = path.resolve(argv[++i]);
    else if (argv[i] === '--emit') args.emit = true;
    else if (argv[i] === '--check') args.check = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!(args.module || args.generator) || !args.outDir) {
    throw new Error('usage: node bindings.mjs (--module <file> | --generator <program>) --out-dir <dir> [--emit] [--check <file.ts>]');
  }
  buildBindings(args);
  console.log(`bindings of ${args.module ?? args.generator} type-check (${args.outDir})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
