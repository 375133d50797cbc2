// tessera-server on its embedded default, the SQLite store, killed with SIGKILL in the middle
// of a burst of refreshes and started again on the same data directory: every refresh token a
// client received still works (or, when its last request got no answer, is cleanly refused),
// and every token already rotated is still detected as reused. Codes, consents and sessions
// survive too: after the restart the browser gets a code without signing in or consenting.
//
//   node tests/interop/sqlite_restart.mjs <tessera-server>
import fs from 'node:fs';
import path from 'node:path';
import { check, checkEqual, freePort, log, runTest } from './harness.mjs';
import { checkChains, initDataDir, redeem, signIn, startReplica, traffic } from './replicas_common.mjs';

runTest('interop_sqlite_restart', async () => {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const data = initDataDir(issuer);
  const opts = { port, data, issuer, store: 'sqlite' };
  let server = await startReplica({ name: 'tessera-server (sqlite)', ...opts });
  check(fs.existsSync(path.join(data.dir, 'tessera.db')), 'the SQLite file is in the data directory');
  const url = server.url;

  const session = await signIn(url, data);
  const tokens = [];
  const firstTokens = await redeem(url, session.firstCode);
  checkEqual(firstTokens.status, 200, 'first code redeemed');
  tokens.push(firstTokens.body.refresh_token);
  for (let i = 1; i < 4; ++i) {
    const r = await redeem(url, await session.authorize(url));
    checkEqual(r.status, 200, `code ${i} redeemed`);
    tokens.push(r.body.refresh_token);
  }
  // A code issued before the crash, redeemed after it.
  const pending = await session.authorize(url);

  let up = true;
  let stop = false;
  const run = traffic({ tokens, data, until: () => stop, replicas: () => (up ? [url] : []) });
  await new Promise((r) => setTimeout(r, 1500));
  up = false;
  process.kill(server.proc.pid, 'SIGKILL');
  await server.exited;
  log('tessera-server killed (SIGKILL) mid-burst');
  await server.stop();
  server = await startReplica({ name: 'tessera-server (sqlite, restarted)', ...opts });
  up = true;
  await new Promise((r) => setTimeout(r, 1500));
  stop = true;
  const result = await run;
  log(`traffic: ${result.refreshed} refreshes, ${result.issued} client-credentials tokens`);
  await checkChains(result, [url]);

  const late = await redeem(url, pending);
  checkEqual(late.status, 200, `a code issued before the crash is redeemed after it (${JSON.stringify(late.body)})`);
  const again = await redeem(url, await session.authorize(url));
  checkEqual(again.status, 200, 'after the restart the session and the consent still hold: a code without any page');
  await server.stop();
});
