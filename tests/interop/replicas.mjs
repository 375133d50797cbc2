// Scale-out, checked from outside: two tessera-server processes on two loopback ports share
// one PostgreSQL, then one Redis (each started here, stopped by PID at the end):
//   * a shared store without the replicas' shared keys is refused at start;
//   * a code issued by one replica is redeemed at the other, once: the replay at the first is
//     refused and revokes what the code gave;
//   * a consent given on one holds on the other (no page at all the second time);
//   * a refresh token rotated on one is detected as reused on the other, and the family dies;
//   * an RFC 7009 revocation on one is seen by the other within revocation_cache_ttl (5 s);
//   * traffic (refresh chains, client credentials) while one replica is killed with SIGKILL and
//     restarted, and the database is crashed and restarted: every token a client received is
//     valid or cleanly refused, never silently lost or spent twice.
//
//   node tests/interop/replicas.mjs <tessera-server> [<tessera-resource> <tessera-client>] [postgres|redis]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, checkEqual, freePort, log, runTest, serverPath } from './harness.mjs';
import { startPostgres, startRedis } from './engines.mjs';
import {
  checkChains, clientCredentials, initDataDir, introspect, redeem, refresh, revoke, signIn, startReplica, traffic,
} from './replicas_common.mjs';

const only = process.argv.slice(2).find((a) => a === 'postgres' || a === 'redis');

async function scenario(engineName, startEngine) {
  log(`=== replicas on ${engineName} ===`);
  const engine = await startEngine();

  // Without the keys every replica must share, a shared store is refused.
  const lonely = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-lonely-'));
  const refused = spawnSync(serverPath(), ['--data-dir', path.join(lonely, 'data'), '--store', engine.url, '--listen', '127.0.0.1:1'],
                            { encoding: 'utf8' });
  fs.rmSync(lonely, { recursive: true, force: true });
  checkEqual(refused.status, 2, `a shared store without shared keys: exit status (${refused.stderr})`);
  check(/share their keys/.test(refused.stderr), `the refusal says why (${refused.stderr})`);

  const [portA, portB] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${portA}`;
  const data = initDataDir(issuer);
  const opts = { data, issuer, store: engine.url };
  let a = await startReplica({ name: `${engineName} replica A`, port: portA, ...opts });
  const b = await startReplica({ name: `${engineName} replica B`, port: portB, ...opts });
  const A = a.url, B = b.url;

  // A code from A, redeemed at B once; the replay at A is refused and revokes what it gave.
  const session = await signIn(A, data);
  const first = await redeem(B, session.firstCode);
  checkEqual(first.status, 200, `code issued by A redeemed at B (${JSON.stringify(first.body)})`);
  check(await introspect(A, first.body.access_token, data), 'A sees the access token B issued as active');
  const replay = await redeem(A, session.firstCode);
  checkEqual(replay.status, 400, 'the same code at A: refused');
  checkEqual(replay.body.error, 'invalid_grant', 'the replay is invalid_grant');
  check(!(await introspect(B, first.body.access_token, data)), 'the replay revoked the tokens of that code, at B too');
  checkEqual((await refresh(B, first.body.refresh_token)).status, 400, 'and its refresh token');
  log('code: issued by A, redeemed once at B, replay at A refused and its tokens revoked');

  // Consent given at A holds at B: a code with no page in between.
  const second = await redeem(A, await session.authorize(B));
  checkEqual(second.status, 200, `code from B (consent given at A) redeemed at A (${JSON.stringify(second.body)})`);
  log('consent given at A held at B');

  // Rotation at B, reuse at A: the family dies everywhere.
  const rotated = await refresh(B, second.body.refresh_token);
  checkEqual(rotated.status, 200, 'refresh at B');
  const reuse = await refresh(A, second.body.refresh_token);
  checkEqual(reuse.status, 400, 'the rotated token at A: refused');
  checkEqual(reuse.body.error, 'invalid_grant', 'reuse is invalid_grant');
  checkEqual((await refresh(B, rotated.body.refresh_token)).status, 400, 'the family is revoked: the new token too, at B');
  check(!(await introspect(B, rotated.body.access_token, data)), 'and its access token');
  log('refresh: rotated at B, reuse detected at A, family revoked');

  // Revocation at A, seen at B within the documented bound (B remembered "active" first).
  const cc = await clientCredentials(A, data);
  checkEqual(cc.status, 200, 'client credentials at A');
  check(await introspect(B, cc.body.access_token, data), 'B: active');
  checkEqual((await revoke(A, cc.body.access_token, data)).status, 200, 'revoked at A');
  check(!(await introspect(A, cc.body.access_token, data)), 'A: inactive at once');
  const t0 = Date.now();
  while (await introspect(B, cc.body.access_token, data)) {
    check(Date.now() - t0 < 6500, 'B sees the revocation within revocation_cache_ttl (5 s) + 1.5 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`revocation at A seen at B after ${Date.now() - t0} ms`);

  // Traffic while A is killed and restarted and the database crashes and restarts.
  const tokens = [];
  for (let i = 0; i < 4; ++i) {
    const r = await redeem(i % 2 ? A : B, await session.authorize(i % 2 ? B : A));
    checkEqual(r.status, 200, `chain ${i}: code redeemed`);
    tokens.push(r.body.refresh_token);
  }
  let aUp = true;
  let stop = false;
  let afterRestart = 0;
  let restarted = false;
  const run = traffic({
    tokens, data, until: () => stop, replicas: () => (aUp ? [A, B] : [B]),
    onProgress: () => { if (restarted) ++afterRestart; },
  });
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  await wait(1500);
  aUp = false;
  process.kill(a.proc.pid, 'SIGKILL');
  await a.exited;
  log('replica A killed (SIGKILL) mid-traffic');
  await wait(1000);
  await engine.restart({ crash: true });
  restarted = true;
  log(`${engineName} crashed and restarted mid-traffic`);
  await wait(1500);
  await a.stop();
  a = await startReplica({ name: `${engineName} replica A (restarted)`, port: portA, ...opts });
  aUp = true;
  await wait(2000);
  stop = true;
  const result = await run;
  log(`traffic: ${result.refreshed} refreshes (${afterRestart} after the database restart), ${result.issued} client-credentials tokens`);
  check(afterRestart > 0, 'refreshes succeeded again after the database restart');
  check(result.issued > 0, 'client credentials were issued');
  await checkChains(result, [A, B]);
  for (const base of [A, B]) checkEqual((await clientCredentials(base, data)).status, 200, `client credentials at ${base} after everything`);
  await a.stop();
  await b.stop();
  await engine.stop();
}

runTest('interop_replicas', async () => {
  if (!only || only === 'postgres') await scenario('postgres', startPostgres);
  if (!only || only === 'redis') await scenario('redis', startRedis);
}, { timeoutMs: 170000 });
