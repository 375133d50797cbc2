// Interop: tessera-server as an operator runs it, over a real socket.
//   * the embedded default's first start prints ready tessera-client commands, and the
//     ClientSecret one, run as printed, gets a token that /me accepts;
//   * /healthz, Flyte's /healthcheck and /readyz (store and IdP) answer;
//   * key rotation under load: the signing key file is replaced by one `openssl genrsa
//     -traditional` wrote (Flyte's PKCS#1 form) and SIGHUP sent; new tokens carry the new key,
//     the JWKS publishes both, a token of the old key still works, and not one request of the
//     load fails; a broken key file and SIGHUP leave the keys as they were, again without a
//     failed request;
//   * SIGTERM under load: the server stops by itself with status 0 within its drain time, and
//     every answer a client got was a whole 200 (connections refused after the listening
//     socket closed are the only other outcome).
//
//   node tests/interop/operations.mjs <tessera-server> <tessera-resource> <tessera-client>
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  runTest, startServer, check, checkEqual, log, clientPath, clientSandbox, form,
} from './harness.mjs';

const WORKERS = 6;

function kidOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()).kid;
}

async function waitFor(what, cond, ms = 15000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Client-credentials tokens and /me with each, from WORKERS loops, until stop(). Every
// answer that is not a 200 is a failure; errors without an answer are counted apart.
function startLoad(server, secret) {
  const stats = { tokens: 0, me: 0, failures: [], noAnswer: 0, kids: new Set() };
  let running = true;
  const basic = `Basic ${Buffer.from(`tessera-service:${secret}`).toString('base64')}`;
  const worker = async () => {
    while (running) {
      try {
        const t = await form(`${server.issuer}/oauth2/token`, { grant_type: 'client_credentials' }, { authorization: basic });
        if (t.status !== 200) {
          stats.failures.push(`token ${t.status} ${JSON.stringify(t.body)}`);
          continue;
        }
        ++stats.tokens;
        stats.kids.add(kidOf(t.body.access_token));
        const me = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${t.body.access_token}`, accept: 'application/json' } });
        await me.arrayBuffer();
        if (me.status !== 200) stats.failures.push(`/me ${me.status}`);
        else ++stats.me;
      } catch (e) {
        ++stats.noAnswer;
        stats.lastError = String(e.cause?.code || e.message);
      }
    }
  };
  const done = Promise.all(Array.from({ length: WORKERS }, worker));
  stats.stop = async () => { running = false; await done; };
  return stats;
}

async function jwksKids(server) {
  const r = await fetch(`${server.issuer}/oauth2/jwks`);
  return (await r.json()).keys.map((k) => k.kid);
}

async function clientToken(server, secret) {
  const basic = `Basic ${Buffer.from(`tessera-service:${secret}`).toString('base64')}`;
  const t = await form(`${server.issuer}/oauth2/token`, { grant_type: 'client_credentials' }, { authorization: basic });
  checkEqual(t.status, 200, 'client-credentials token');
  return t.body.access_token;
}

async function meStatus(server, token) {
  const r = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

runTest('operations', async () => {
  const server = await startServer();
  const out = server.stdoutText();

  // --- the first start's ready commands --------------------------------------------------
  const client = fs.realpathSync(clientPath());
  const pkceLine = out.split('\n').find((l) => l.includes('--auth-type Pkce login'));
  check(pkceLine, `the first start prints a tessera-client PKCE command\n${out}`);
  check(pkceLine.includes(`--endpoint ${server.issuer}`), `the PKCE command names the server: ${pkceLine}`);
  const csLine = out.split('\n').find((l) => l.includes('--auth-type ClientSecret'));
  check(csLine, `the first start prints a tessera-client ClientSecret command\n${out}`);
  const m = /^\s*FLYTE_CREDENTIALS_CLIENT_SECRET=(\S+) (\S+) (.*)$/.exec(csLine);
  check(m, `the ClientSecret command has the form VAR=secret program args: ${csLine}`);
  checkEqual(m[1], server.clientSecret, 'the printed command carries the printed client secret');
  checkEqual(fs.realpathSync(m[2]), client, 'the printed command runs the tessera-client built beside the server');
  const cli = clientSandbox();
  const run = await cli.run(m[3].split(' '), { env: { FLYTE_CREDENTIALS_CLIENT_SECRET: m[1] } });
  checkEqual(run.code, 0, `the printed ClientSecret command succeeds (stderr: ${run.stderr})`);
  const cliToken = run.stdout.trim();
  checkEqual(await meStatus(server, cliToken), 200, 'the printed command\'s token works at /me');
  log('first-start commands: ok');

  // --- health ------------------------------------------------------------------------------
  for (const [p, body] of [['/healthz', 'ok\n'], ['/healthcheck', ''], ['/readyz', 'ready\n']]) {
    const r = await fetch(`${server.issuer}${p}`);
    checkEqual(r.status, 200, p);
    checkEqual(await r.text(), body, `${p} body`);
  }

  // --- rotation under load -------------------------------------------------------------------
  const keyFile = path.join(server.dataDir, 'data', 'token_rsa_key.pem');
  check(fs.existsSync(keyFile), `the data directory holds ${keyFile}`);
  const oldToken = await clientToken(server, server.clientSecret);
  const oldKid = kidOf(oldToken);
  checkEqual(JSON.stringify(await jwksKids(server)), JSON.stringify([oldKid]), 'one key before the rotation');

  const load = startLoad(server, server.clientSecret);
  await waitFor('load to flow', () => load.tokens > 20);
  const fresh = path.join(server.dataDir, 'fresh.pem');
  execFileSync('openssl', ['genrsa', '-traditional', '-out', fresh, '2048'], { stdio: 'ignore' });
  check(fs.readFileSync(fresh, 'utf8').startsWith('-----BEGIN RSA PRIVATE KEY-----'), 'openssl wrote a PKCS#1 key');
  fs.renameSync(fresh, keyFile);
  const mark = server.stderrText().length;
  process.kill(server.proc.pid, 'SIGHUP');
  await waitFor('the reload line', () => /reload: signing key \S+ \(rotated from/.test(server.stderrText().slice(mark)));
  const newKid = /reload: signing key (\S+) \(rotated from (\S+)\)/.exec(server.stderrText().slice(mark));
  checkEqual(newKid[2], oldKid, 'the reload names the key it rotated from');
  const tokensAtRotation = load.tokens;
  await waitFor('tokens of the new key under load', () => load.kids.has(newKid[1]) && load.tokens > tokensAtRotation + 20);
  checkEqual(JSON.stringify(await jwksKids(server)), JSON.stringify([newKid[1], oldKid]), 'the JWKS after the rotation');
  checkEqual(kidOf(await clientToken(server, server.clientSecret)), newKid[1], 'a new token\'s kid');
  checkEqual(await meStatus(server, oldToken), 200, 'a token of the old key still works');
  log(`rotated ${oldKid} -> ${newKid[1]} under load`);

  // A broken key file: the reload is refused and nothing changes.
  fs.writeFileSync(keyFile, '-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n');
  const mark2 = server.stderrText().length;
  process.kill(server.proc.pid, 'SIGHUP');
  await waitFor('the refused reload', () => /reload failed, keys unchanged/.test(server.stderrText().slice(mark2)));
  const tokensAtRefusal = load.tokens;
  await waitFor('more tokens after the refused reload', () => load.tokens > tokensAtRefusal + 20);
  checkEqual(JSON.stringify(await jwksKids(server)), JSON.stringify([newKid[1], oldKid]), 'the JWKS after a refused reload');
  checkEqual(kidOf(await clientToken(server, server.clientSecret)), newKid[1], 'the signing key after a refused reload');
  check(!server.stderrText().includes('BEGIN RSA'), 'no key material in the log');
  await load.stop();
  checkEqual(load.failures.length, 0, `failed requests during rotation: ${load.failures.slice(0, 5).join('; ')}`);
  checkEqual(load.noAnswer, 0, `requests without an answer during rotation (last: ${load.lastError})`);
  log(`rotation under load: ${load.tokens} tokens, ${load.me} /me, no failure`);

  // --- graceful stop under load --------------------------------------------------------------
  const load2 = startLoad(server, server.clientSecret);
  await waitFor('load to flow again', () => load2.tokens > 20);
  const t0 = Date.now();
  process.kill(server.proc.pid, 'SIGTERM');
  const exit = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r({ timeout: true }), 12000))]);
  check(!exit.timeout, 'the server stops within its 10 s drain time');
  const took = Date.now() - t0;
  await load2.stop();
  checkEqual(exit.code, 0, `exit status after SIGTERM (signal ${exit.sig})`);
  check(/tessera-server: stopped/.test(server.stderrText()), 'the server says it stopped');
  checkEqual(load2.failures.length, 0, `answers other than 200 while stopping: ${load2.failures.slice(0, 5).join('; ')}`);
  log(`SIGTERM under load: stopped in ${took} ms; ${load2.tokens} tokens, ${load2.noAnswer} requests refused after close (${load2.lastError ?? 'none'})`);
}, { timeoutMs: 110000 });
