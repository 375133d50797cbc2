// Shared helpers of the interop tests (tests/interop/*.mjs): start a real tessera-server on a
// free loopback port with a fresh data directory, read the secrets it prints on first start,
// and always stop it (by its PID) and remove the directory, also on failure or timeout.
//
//   import { runTest, startServer, check } from './harness.mjs';
//   runTest('name', async (t) => { const srv = await startServer({ signingAlg: 'ES256' }); ... });
//
// The server binary comes from argv[2] (ctest passes $<TARGET_FILE:tessera-server>) or from
// TESSERA_SERVER. Only 127.0.0.1 is used.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const servers = new Set();   // running servers, killed on any exit
const cleanups = [];         // other things to undo on exit (temp dirs, browsers)

export function serverPath() {
  const p = process.argv[2] || process.env.TESSERA_SERVER;
  if (!p) throw new Error('no tessera-server path: pass it as the first argument or set TESSERA_SERVER');
  if (!fs.existsSync(p)) throw new Error(`tessera-server not found at ${p} (build the tessera-server target)`);
  return p;
}

/// A port that was free a moment ago on 127.0.0.1 (bind to port 0, read it, close).
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

export function checkEqual(actual, expected, what) {
  if (actual !== expected)
    throw new Error(`check failed: ${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/// Awaits `promise` (or calls `fn` and awaits it) and checks that it rejects; returns the error.
export async function expectReject(promiseOrFn, what, predicate = () => true) {
  let err;
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`check failed: ${what}: expected a rejection, got success`);
  if (!predicate(err))
    throw new Error(`check failed: ${what}: rejected with an unexpected error: ${describe(err)}`);
  return err;
}

export function describe(e) {
  if (!e) return String(e);
  const parts = [e.stack || String(e)];
  if (e.code) parts.push(`code=${e.code}`);
  if (e.error) parts.push(`error=${e.error}`);
  if (e.error_description) parts.push(`error_description=${e.error_description}`);
  if (e.cause && e.cause !== e) parts.push(`cause: ${e.cause.stack || JSON.stringify(e.cause)}`);
  return parts.join('\n  ');
}

export function log(...args) {
  console.log(`[${(performance.now() / 1000).toFixed(2)}s]`, ...args);
}

export function onCleanup(fn) {
  cleanups.push(fn);
}

function killAll(signal = 'SIGKILL') {
  for (const s of servers) {
    try {
      if (s.proc.exitCode === null && s.proc.signalCode === null) process.kill(s.proc.pid, signal);
    } catch { /* already gone */ }
    try {
      fs.rmSync(s.dataDir, { recursive: true, force: true });
    } catch { /* best effort */ }
  }
  servers.clear();
}

// Last line of defence: whatever way the process ends, no server outlives it.
process.on('exit', () => killAll('SIGKILL'));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`interop: got ${sig}, stopping servers`);
    killAll('SIGKILL');
    process.exit(1);
  });
}
process.on('unhandledRejection', (e) => {
  console.error(`FAIL: unhandled rejection: ${describe(e)}`);
  process.exit(1);
});
process.on('uncaughtException', (e) => {
  console.error(`FAIL: uncaught exception: ${describe(e)}`);
  process.exit(1);
});

/// The `stop()` of a tracked process `{ proc, dataDir }`: SIGTERM by its PID, SIGKILL after 5 s,
/// then it is untracked and its directory removed. Stopping twice does nothing.
function stopper(tracked, exited) {
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    const { proc } = tracked;
    if (proc.exitCode === null && proc.signalCode === null) {
      try { process.kill(proc.pid, 'SIGTERM'); } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await exited;
      clearTimeout(t);
    }
    servers.delete(tracked);
    fs.rmSync(tracked.dataDir, { recursive: true, force: true });
  };
}

/// Starts tessera-server. Resolves once /healthz answers 200 with
/// { issuer, port, userPassword, clientSecret, dataDir, stop(), output() }.
/// `port` (fixed: an IdP must know the server's callback in advance), `extraArgs` and `env` go
/// to the program.
export async function startServer({ signingAlg, attempts = 3, port, extraArgs = [], env, demo = true } = {}) {
  let lastErr;
  for (let i = 0; i < attempts; ++i) {
    try {
      return await startOnce(signingAlg, { port, extraArgs, env, demo });
    } catch (e) {
      lastErr = e;
      // Another process may have taken the port between our probe and the server's bind.
      if (!/address already in use|bind/i.test(String(e.message))) throw e;
      log(`server start failed (${e.message.split('\n')[0]}), retrying on another port`);
    }
  }
  throw lastErr;
}

// `demo`: the first start prints the demo user and clients (no --config); read them.
async function startOnce(signingAlg, { port: fixedPort, extraArgs = [], env, demo = true } = {}) {
  const bin = serverPath();
  const port = fixedPort ?? await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-interop-'));
  const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', path.join(dataDir, 'data'), ...extraArgs];
  if (signingAlg) args.push('--signing-alg', signingAlg);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(env || {}) } });
  const server = { proc, dataDir, port, issuer: `http://127.0.0.1:${port}` };
  servers.add(server);

  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  proc.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
    if (process.env.TESSERA_INTEROP_VERBOSE) process.stderr.write(d);
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  server.stderrText = () => stderr;
  server.stdoutText = () => stdout;
  server.exited = exited;
  server.output = () => `--- server stdout ---\n${stdout}--- server stderr (last 4000 chars) ---\n${stderr.slice(-4000)}`;

  server.stop = stopper(server, exited);

  try {
    const deadline = Date.now() + 30000;
    let early;
    exited.then((e) => { early = e; });
    for (;;) {
      if (early) throw new Error(`tessera-server exited early (code ${early.code}, signal ${early.sig})\n${server.output()}`);
      if (Date.now() > deadline) throw new Error(`tessera-server did not answer /healthz within 30 s\n${server.output()}`);
      try {
        const r = await fetch(`${server.issuer}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (r.status === 200 && /listening on/.test(stderr)) break;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    const pw = /^\s*demo user\s+demo \/ (\S+)\s*$/m.exec(stdout);
    const cs = /^\s*confidential client\s+tessera-service \/ (\S+)\s*$/m.exec(stdout);
    if (demo && (!pw || !cs)) throw new Error(`could not read the first-start secrets from the server's output\n${server.output()}`);
    server.userPassword = pw?.[1];
    server.clientSecret = cs?.[1];
    const iss = /issuer (\S+), data in/.exec(stdout);
    if (!iss || iss[1] !== server.issuer) throw new Error(`unexpected issuer line (want ${server.issuer})\n${server.output()}`);
    log(`tessera-server pid ${proc.pid} up at ${server.issuer}${signingAlg ? ` (${signingAlg})` : ''}`);
    return server;
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/// Runs one test script: `body` gets nothing and may start servers; everything started is
/// stopped afterwards. Exits 0 on success, 1 with a clear message on failure or timeout.
export async function runTest(name, body, { timeoutMs = 100000 } = {}) {
  const start = performance.now();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  let failed = false;
  try {
    await Promise.race([body(), timeout]);
  } catch (e) {
    failed = true;
    process.exitCode = 1;  // cleanups then print their diagnostics (browser trail)
    console.error(`FAIL: ${name}: ${describe(e)}`);
    for (const s of servers) console.error(s.output());
  } finally {
    clearTimeout(timer);
    for (const fn of cleanups.splice(0).reverse()) {
      try { await Promise.race([fn(), new Promise((r) => setTimeout(r, 10000))]); } catch (e) { console.error(`cleanup: ${describe(e)}`); }
    }
    for (const s of [...servers]) await s.stop();
  }
  const took = ((performance.now() - start) / 1000).toFixed(1);
  if (failed) {
    console.error(`${name}: FAILED in ${took} s`);
    process.exit(1);
  }
  console.log(`${name}: passed in ${took} s`);
  process.exit(0);
}

/// The peer's view of the server as openid-client sees it, over plain HTTP on loopback.
export async function discover(oidc, server, clientId, metadata, clientAuth) {
  return oidc.discovery(new URL(server.issuer), clientId, metadata, clientAuth, {
    execute: [oidc.allowInsecureRequests],
  });
}

export const CHROMIUM = process.env.TESSERA_CHROMIUM || '/usr/bin/chromium';

/// Debian's chromium through playwright-core (never a downloaded browser), headless, with a
/// fresh profile; closed at the end of the test. Returns { browser, context, page, trail }:
/// `trail` lists the main frame's navigations and console messages, for failure reports.
export async function launchChromium() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/install-deps.sh)`);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  onCleanup(() => browser.close());
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const trail = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) trail.push(`navigated ${f.url()}`); });
  page.on('response', (r) => {
    if (r.request().isNavigationRequest()) trail.push(`response ${r.status()} ${r.url()}${r.headers().location ? ` -> ${r.headers().location}` : ''}`);
  });
  page.on('requestfailed', (r) => trail.push(`request failed ${r.url()}: ${r.failure()?.errorText}`));
  page.on('console', (m) => trail.push(`console ${m.type()}: ${m.text()}`));
  onCleanup(async () => { if (process.exitCode) console.error(`browser trail:\n  ${trail.join('\n  ')}`); });
  return { browser, context, page, trail };
}

/// A tiny HTTP listener on 127.0.0.1:<free port> that catches the authorization redirect.
/// `next()` resolves with the URL of the next request to /callback.
export async function startCallbackListener() {
  const http = await import('node:http');
  const port = await freePort();
  const waiting = [];
  const received = [];  // every /callback request
  const unclaimed = []; // those no next() has taken yet
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${port}`);
    if (url.pathname === '/callback') {
      received.push(url);
      const w = waiting.shift();
      if (w) w(url); else unclaimed.push(url);
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    res.end('callback received; you can close this window\n');
  });
  await new Promise((resolve, reject) => { srv.once('error', reject); srv.listen(port, '127.0.0.1', resolve); });
  onCleanup(() => new Promise((r) => { srv.closeAllConnections?.(); srv.close(() => r()); }));
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    received,
    next: (timeoutMs = 20000) => new Promise((resolve, reject) => {
      if (unclaimed.length) return resolve(unclaimed.shift());
      const t = setTimeout(() => reject(new Error(`no request reached the callback listener on port ${port} within ${timeoutMs / 1000} s`)), timeoutMs);
      waiting.push((u) => { clearTimeout(t); resolve(u); });
    }),
  };
}

/// The tessera-resource binary: argv[3] (ctest passes $<TARGET_FILE:tessera-resource>) or
/// TESSERA_RESOURCE.
export function resourcePath() {
  const p = process.argv[3] || process.env.TESSERA_RESOURCE;
  if (!p) throw new Error('no tessera-resource path: pass it as the second argument or set TESSERA_RESOURCE');
  if (!fs.existsSync(p)) throw new Error(`tessera-resource not found at ${p} (build the tessera-resource target)`);
  return p;
}

/// Starts `bin args...` (a program listening on 127.0.0.1:`port` with GET /healthz), tracked
/// like the servers: stopped by its PID at the end of the test or on any exit. Resolves once
/// /healthz answers 200 with { proc, port, url, stop(), output() }.
export async function startProgram({ name, bin, args, port, env }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-interop-'));
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(env || {}) } });
  const program = { proc, dataDir, port, url: `http://127.0.0.1:${port}` };
  servers.add(program);
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
  proc.stderr.setEncoding('utf8').on('data', (d) => {
    out += d;
    if (process.env.TESSERA_INTEROP_VERBOSE) process.stderr.write(d);
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  program.exited = exited;
  program.output = () => `--- ${name} output (last 4000 chars) ---\n${out.slice(-4000)}`;
  program.stop = stopper(program, exited);
  let early;
  exited.then((e) => { early = e; });
  const deadline = Date.now() + 30000;
  for (;;) {
    if (early) {
      await program.stop();
      throw new Error(`${name} exited early (code ${early.code}, signal ${early.sig})\n${program.output()}`);
    }
    if (Date.now() > deadline) {
      await program.stop();
      throw new Error(`${name} did not answer /healthz within 30 s\n${program.output()}`);
    }
    try {
      const r = await fetch(`${program.url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`${name} pid ${proc.pid} up at ${program.url}`);
  return program;
}

/// The tessera-client binary: argv[4] (ctest passes $<TARGET_FILE:tessera-client>) or
/// TESSERA_CLIENT.
export function clientPath() {
  const p = process.argv[4] || process.env.TESSERA_CLIENT;
  if (!p) throw new Error('no tessera-client path: pass it as the third argument or set TESSERA_CLIENT');
  if (!fs.existsSync(p)) throw new Error(`tessera-client not found at ${p} (build the tessera-client target)`);
  return p;
}

/// A sandbox for tessera-client runs: fresh temp directories for HOME, XDG_CACHE_HOME
/// (the token cache is <cache>/tessera) and the working directory, removed at the end of the
/// test; FLYTECTL_CONFIG, every FLYTE_* variable and the display variables are left out of the
/// environment, so neither the real ~/.flyte nor a browser is ever touched. Every process is
/// tracked like the servers: killed by its PID if the test ends first.
///   const cli = clientSandbox();
///   const r = await cli.run(['token'], { env: { FLYTE_PLATFORM_URL: ... } });   // { code, stdout, stderr }
///   const p = cli.start(['login'], ...); await p.waitStderr(/visit:\s+(\S+)/); await p.done;
export function clientSandbox({ name = 'tessera-client' } = {}) {
  const bin = clientPath();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-client-'));
  const home = path.join(root, 'home');
  const cacheHome = path.join(root, 'cache');
  const cwd = path.join(root, 'cwd');
  for (const d of [home, cacheHome, cwd]) fs.mkdirSync(d, { mode: 0o700 });
  const running = new Set();
  onCleanup(async () => {
    for (const r of [...running]) await r.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const baseEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'FLYTECTL_CONFIG' || k.startsWith('FLYTE_') || k === 'DISPLAY' || k === 'WAYLAND_DISPLAY' ||
        k === 'XDG_CONFIG_HOME' || k === 'BROWSER') continue;
    baseEnv[k] = v;
  }
  Object.assign(baseEnv, { HOME: home, XDG_CACHE_HOME: cacheHome });
  const runs = [];  // every run: { args, code, stdout, stderr }, for checks over all output

  function start(args, { env = {}, timeoutMs = 60000 } = {}) {
    const proc = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...baseEnv, ...env } });
    const run = { args, stdout: '', stderr: '', code: null, signal: null, pid: proc.pid };
    runs.push(run);
    const tracked = { proc, dataDir: null, output: () => `--- ${name} ${args.join(' ')} (pid ${proc.pid}, still running) ---\n${run.stderr.slice(-4000)}` };
    servers.add(tracked);
    const watchers = [];
    const poke = () => { for (const w of [...watchers]) w(); };
    proc.stdout.setEncoding('utf8').on('data', (d) => { run.stdout += d; poke(); });
    proc.stderr.setEncoding('utf8').on('data', (d) => {
      run.stderr += d;
      if (process.env.TESSERA_INTEROP_VERBOSE) process.stderr.write(d);
      poke();
    });
    proc.on('error', (e) => { run.stderr += `(spawning ${bin} failed: ${e.message})\n`; poke(); });
    const kill = () => { try { if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ } };
    const timer = setTimeout(kill, timeoutMs);
    running.add(run);
    // Stopping waits for the process itself ('exit'), not for its pipes ('close'): a child
    // it left behind may hold them open.
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    run.done = new Promise((resolve) => proc.on('close', (code, sig) => {
      clearTimeout(timer);
      servers.delete(tracked);
      running.delete(run);
      run.code = code;
      run.signal = sig;
      poke();
      resolve(run);
    }));
    tracked.stop = async () => { kill(); await exited; servers.delete(tracked); running.delete(run); };
    /// Resolves with the match of `re` in stderr once it appears; rejects if the process ends
    /// first or after `ms`.
    run.waitStderr = (re, ms = 20000) => new Promise((resolve, reject) => {
      const t = setTimeout(() => { done(); reject(new Error(`${name} ${args.join(' ')}: no ${re} on stderr within ${ms / 1000} s; stderr:\n${run.stderr}`)); }, ms);
      const done = () => { clearTimeout(t); watchers.splice(watchers.indexOf(check), 1); };
      const check = () => {
        const m = re.exec(run.stderr);
        if (m) { done(); resolve(m); } else if (run.code !== null || run.signal !== null) {
          done();
          reject(new Error(`${name} ${args.join(' ')} ended (exit ${run.code}, signal ${run.signal}) before ${re} appeared; stderr:\n${run.stderr}`));
        }
      };
      watchers.push(check);
      check();
    });
    run.kill = kill;
    run.stop = tracked.stop;
    return run;
  }

  return {
    root, home, cacheHome, cwd, runs, env: baseEnv,
    /// The token cache directory tessera-client uses by default here.
    cacheDir: path.join(cacheHome, 'tessera'),
    start,
    run: (args, opts) => start(args, opts).done,
  };
}

// --- tessera-client runs (tests/interop/client_*.mjs) -----------------------------------------

/// Throws unless `run` (from clientSandbox().run) exited with `code`, showing its output.
export function exitIs(run, code, what) {
  if (run.code !== code)
    throw new Error(`check failed: ${what}: tessera-client ${run.args.join(' ')} exited ${run.code}` +
                    `${run.signal ? ` (signal ${run.signal})` : ''}, expected ${code}\n--- stdout ---\n${run.stdout}--- stderr ---\n${run.stderr}`);
}

/// The one cache file in `dir` whose auth_type is `type`: { file, doc, mode }.
export function cacheEntry(dir, type) {
  const found = [];
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!name.endsWith('.json')) continue;
    check(/^[0-9a-f]{32}\.json$/.test(name), `cache file name is <32 hex>.json (${name})`);
    const file = path.join(dir, name);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (doc.auth_type === type) found.push({ file, doc, mode: fs.statSync(file).mode & 0o777 });
  }
  check(found.length === 1, `one ${type} cache entry in ${dir} (found ${found.length})`);
  return found[0];
}

/// Throws if `dir` holds a cache entry of `type`.
export function noCacheEntry(dir, type) {
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!name.endsWith('.json')) continue;
    const doc = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    check(doc.auth_type !== type, `no ${type} cache entry is left (${name})`);
  }
}

/// POSTs `fields` form-encoded to `url`: { status, body (parsed JSON, or { raw }) }.
export async function form(url, fields, headers = {}) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { raw: text }; }
  return { status: r.status, body };
}
