// Throwaway PostgreSQL and Redis servers for the interop tests: on 127.0.0.1, a free port and a
// temporary directory each; stopped by their PID when the test ends (harness onCleanup), also on
// failure. Both can be killed and restarted mid-test, on the same port with the same data.
//
//   const pg = await startPostgres();     // { url, restart({ crash }), stop() }
//   const redis = await startRedis();     // { url, restart({ crash }), stop() }
//
// PostgreSQL refuses to run as root: as root, initdb and postgres run as the `postgres` user
// (runuser), and the PID signalled is the postmaster's own (from postmaster.pid). Redis runs
// with an append-only file fsynced at every write, so a SIGKILL loses nothing acknowledged.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, log, onCleanup } from './harness.mjs';

const isRoot = process.getuid?.() === 0;

function postgresBin() {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => b - a) : [];
  for (const v of versions) {
    const bin = path.join(base, v, 'bin');
    if (fs.existsSync(path.join(bin, 'postgres'))) return bin;
  }
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
}

function asPostgres(cmd, args) {
  return isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function waitGone(pid, ms) {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

export async function startPostgres() {
  const bin = postgresBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-pg-'));
  const data = path.join(dir, 'data');
  if (isRoot) {
    fs.chmodSync(dir, 0o755);
    spawnSync('chown', ['postgres:postgres', dir]);
  }
  const [icmd, iargs] = asPostgres(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'tessera', '--no-instructions', '-E', 'UTF8']);
  const init = spawnSync(icmd, iargs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const pg = { port, url: `postgresql://tessera@127.0.0.1:${port}/postgres`, pid: 0, dir };
  let output = '';

  pg.start = async () => {
    const [cmd, args] = asPostgres(path.join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on',
      '-c', 'max_connections=200', '-c', 'logging_collector=off']);
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; output = output.slice(-8000); });
    const deadline = Date.now() + 30000;
    for (;;) {
      const ready = spawnSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'tessera', '-t', '1']);
      if (ready.status === 0) break;
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    pg.pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    log(`postgres pid ${pg.pid} up on 127.0.0.1:${port}`);
  };
  /// Stops it: a fast shutdown (SIGINT), or with `crash` an immediate one (SIGQUIT: no
  /// checkpoint, recovery from the WAL at the next start), as a crash would leave it.
  pg.halt = async ({ crash = false } = {}) => {
    if (!pg.pid || !alive(pg.pid)) return;
    process.kill(pg.pid, crash ? 'SIGQUIT' : 'SIGINT');
    if (!(await waitGone(pg.pid, 20000))) process.kill(pg.pid, 'SIGKILL');
    await waitGone(pg.pid, 5000);
  };
  pg.restart = async (opts) => { await pg.halt(opts); await pg.start(); };
  pg.stop = async () => { await pg.halt(); fs.rmSync(dir, { recursive: true, force: true }); };
  onCleanup(() => pg.stop());
  await pg.start();
  return pg;
}

export async function startRedis() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-redis-'));
  const port = await freePort();
  const redis = { port, url: `redis://127.0.0.1:${port}`, proc: null, dir };
  let output = '';
  redis.start = async () => {
    const proc = spawn('redis-server', [
      '--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'always', '--daemonize', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d) => { output += d; output = output.slice(-8000); });
    proc.stderr.on('data', (d) => { output += d; });
    redis.proc = proc;
    const deadline = Date.now() + 20000;
    for (;;) {
      const ping = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' });
      if (ping.stdout?.trim() === 'PONG') break;
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    log(`redis-server pid ${proc.pid} up on 127.0.0.1:${port}`);
  };
  redis.halt = async ({ crash = false } = {}) => {
    const proc = redis.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    process.kill(proc.pid, crash ? 'SIGKILL' : 'SIGTERM');
    await gone;
  };
  redis.restart = async (opts) => { await redis.halt(opts); await redis.start(); };
  redis.stop = async () => { await redis.halt(); fs.rmSync(dir, { recursive: true, force: true }); };
  onCleanup(() => redis.stop());
  await redis.start();
  return redis;
}
