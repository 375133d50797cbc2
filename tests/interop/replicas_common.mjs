// Shared state across tessera-server processes, checked from outside: what replicas.mjs (two
// replicas on one PostgreSQL, then on one Redis) and sqlite_restart.mjs (one server on its
// SQLite file, killed and restarted) have in common.
//
//   initDataDir()          one data directory for every replica: keys, clients, users, made
//                          once with --init-only (a shared store refuses to start without it)
//   startReplica(...)      tessera-server on a port with that directory, a common issuer, a store
//   signIn(...)            the demo user signs in through chromium and allows tessera-cli once;
//                          authorize(...) then returns a code without any page (session + consent)
//   traffic(...)           refresh-token chains and client-credentials requests against the
//                          replicas while the test kills and restarts things; every outcome is
//                          classified, and a token a client received is never silently lost or
//                          spent twice.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  check, checkEqual, form, freePort, launchChromium, log, onCleanup, serverPath, startCallbackListener, startProgram,
} from './harness.mjs';

export const PUBLIC_CLIENT = 'tessera-cli';
export const SERVICE_CLIENT = 'tessera-service';

/// A data directory made once by `tessera-server --init-only`: { dir, userPassword, clientSecret }.
export function initDataDir(issuer) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-replicas-'));
  onCleanup(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, 'data');
  const r = spawnSync(serverPath(), ['--init-only', '--data-dir', dir, '--issuer', issuer], { encoding: 'utf8' });
  checkEqual(r.status, 0, `tessera-server --init-only exit status (${r.stderr})`);
  const pw = /^\s*demo user\s+demo \/ (\S+)\s*$/m.exec(r.stdout);
  const cs = /^\s*confidential client\s+tessera-service \/ (\S+)\s*$/m.exec(r.stdout);
  check(pw && cs, `--init-only printed the demo secrets:\n${r.stdout}`);
  return { dir, root, userPassword: pw[1], clientSecret: cs[1] };
}

/// tessera-server on 127.0.0.1:`port` with the shared data directory and issuer.
export async function startReplica({ name, port, data, issuer, store, extraArgs = [] }) {
  const args = ['--listen', `127.0.0.1:${port}`, '--data-dir', data.dir, '--issuer', issuer, '--store', store, '--quiet', ...extraArgs];
  const replica = await startProgram({ name, bin: serverPath(), args, port });
  replica.name = name;
  return replica;
}

function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/// Signs the demo user in at `url` (a replica) in chromium and allows tessera-cli; returns
/// { authorize(replicaUrl) -> { code, verifier, redirectUri } }, which later needs no page at all.
export async function signIn(url, data) {
  const callback = await startCallbackListener();
  const { page } = await launchChromium();
  const authorizeUrl = (base, challenge, state) => {
    const u = new URL('/oauth2/authorize', base);
    u.search = new URLSearchParams({
      response_type: 'code', client_id: PUBLIC_CLIENT, redirect_uri: callback.redirectUri, scope: 'openid offline all',
      code_challenge: challenge, code_challenge_method: 'S256', state,
    }).toString();
    return u.href;
  };
  const first = pkce();
  const state = crypto.randomBytes(16).toString('base64url');
  await page.goto(authorizeUrl(url, first.challenge, state));
  check(new URL(page.url()).pathname === '/login', `the browser is on /login (${page.url()})`);
  const loginForm = page.locator('form[method="post"]');
  await loginForm.locator('input[name="username"]').fill('demo');
  await loginForm.locator('input[name="password"]').fill(data.userPassword);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/oauth2/consent', { waitUntil: 'load', timeout: 15000 }),
    loginForm.locator('button[type="submit"]').click(),
  ]);
  const reached = callback.next(20000);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(callback.redirectUri), { waitUntil: 'load', timeout: 15000 }),
    page.locator('form[action="/oauth2/consent"] button[name="decision"][value="approve"]').click(),
  ]);
  const got = await reached;
  checkEqual(got.searchParams.get('state'), state, 'callback state');
  const firstCode = { code: got.searchParams.get('code'), verifier: first.verifier, redirectUri: callback.redirectUri };
  check(firstCode.code, 'the first sign-in returned a code');
  log(`signed in at ${url} and allowed ${PUBLIC_CLIENT}`);

  return {
    firstCode,
    /// A new code from `base` with the browser's session: no login page, no consent page.
    async authorize(base) {
      const p = pkce();
      const s = crypto.randomBytes(16).toString('base64url');
      const next = callback.next(20000);
      await page.goto(authorizeUrl(base, p.challenge, s), { waitUntil: 'load' });
      const u = await next;
      check(page.url().startsWith(callback.redirectUri),
            `with a session and a consent, ${base}/oauth2/authorize went straight to the client (at ${page.url()})`);
      checkEqual(u.searchParams.get('state'), s, 'callback state');
      return { code: u.searchParams.get('code'), verifier: p.verifier, redirectUri: callback.redirectUri };
    },
  };
}

const timeout = () => AbortSignal.timeout(5000);

export async function post(url, fields, auth) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.id}:${auth.secret}`).toString('base64')}`;
  const r = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(fields).toString(), signal: timeout() });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { raw: text }; }
  return { status: r.status, body };
}

export function redeem(base, c) {
  return post(`${base}/oauth2/token`, {
    grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: c.redirectUri, client_id: PUBLIC_CLIENT,
  });
}

export function refresh(base, token) {
  return post(`${base}/oauth2/token`, { grant_type: 'refresh_token', refresh_token: token, client_id: PUBLIC_CLIENT });
}

export async function introspect(base, token, data) {
  const r = await post(`${base}/oauth2/introspect`, { token }, { id: SERVICE_CLIENT, secret: data.clientSecret });
  checkEqual(r.status, 200, `introspection status at ${base} (${JSON.stringify(r.body)})`);
  return r.body.active === true;
}

export function clientCredentials(base, data) {
  return post(`${base}/oauth2/token`, { grant_type: 'client_credentials' }, { id: SERVICE_CLIENT, secret: data.clientSecret });
}

export function revoke(base, token, data) {
  return post(`${base}/oauth2/revoke`, { token }, { id: SERVICE_CLIENT, secret: data.clientSecret });
}

/// Refresh-token chains (one per entry of `tokens`) and a client-credentials loop against
/// `replicas()` (the replicas up now) until `until()` says stop. A client keeps the last refresh
/// token it RECEIVED; after an answer it did not get (connection lost, 5xx) it retries the same
/// token elsewhere, and a refusal of that retry is clean (the first attempt may have rotated it
/// and lost the answer). A refusal of a token whose every earlier presentation got no answer
/// can only be that; a refusal of a token never presented before is a lost token: a failure.
/// Resolves with { chains: [{ token, history, ended }], refreshed, issued, failures }.
export async function traffic({ tokens, replicas, until, data, onProgress = () => {} }) {
  const failures = [];
  let refreshed = 0;
  let issued = 0;
  const pick = (i) => {
    const up = replicas();
    return up.length ? up[i % up.length] : null;
  };
  const chain = async (token, i) => {
    const c = { token, history: [token], ended: null, unanswered: false };
    let n = i;
    while (!until() && !c.ended) {
      const base = pick(n++);
      if (!base) { await new Promise((r) => setTimeout(r, 50)); continue; }
      let r;
      try {
        r = await refresh(base, c.token);
      } catch (e) {
        c.unanswered = true;  // no answer: it may or may not have been rotated
        await new Promise((res) => setTimeout(res, 100));
        continue;
      }
      if (r.status === 200) {
        check(typeof r.body.refresh_token === 'string' && typeof r.body.access_token === 'string', 'a refresh answer has both tokens');
        c.token = r.body.refresh_token;
        c.history.push(c.token);
        c.unanswered = false;
        ++refreshed;
        onProgress();
      } else if (r.status >= 500) {
        check(typeof r.body.error === 'string', `a ${r.status} answer is an RFC 6749 error (${JSON.stringify(r.body)})`);
        c.unanswered = true;  // the store failed: the rotation may have been committed or not
        await new Promise((res) => setTimeout(res, 100));
      } else if (r.status === 400 && r.body.error === 'invalid_grant' && c.unanswered) {
        c.ended = 'refused after an unanswered attempt';  // clean: never silently lost
      } else {
        failures.push(`chain ${i}: ${base} answered ${r.status} ${JSON.stringify(r.body)} to a token it had never seen answered`);
        c.ended = 'lost';
      }
    }
    return c;
  };
  const cc = async () => {
    let n = 0;
    while (!until()) {
      const base = pick(n++);
      if (!base) { await new Promise((r) => setTimeout(r, 50)); continue; }
      try {
        const r = await clientCredentials(base, data);
        if (r.status === 200) ++issued;
        else if (r.status < 500) failures.push(`client credentials at ${base}: ${r.status} ${JSON.stringify(r.body)}`);
      } catch { /* the replica is down: the next one */ }
      await new Promise((res) => setTimeout(res, 10));
    }
  };
  const [chains] = await Promise.all([Promise.all(tokens.map((t, i) => chain(t, i))), cc()]);
  return { chains, refreshed, issued, failures };
}

/// After the traffic: every chain still running holds a token that works now — on every
/// replica given, once — and the token before it is spent (presenting it again is a reuse,
/// which ends the family: checked last).
export async function checkChains(result, bases) {
  check(result.failures.length === 0, `no token was lost or wrongly refused:\n  ${result.failures.join('\n  ')}`);
  let alive = 0;
  for (const [i, c] of result.chains.entries()) {
    if (c.ended) { log(`chain ${i}: ${c.ended} after ${c.history.length - 1} rotations`); continue; }
    ++alive;
    const base = bases[i % bases.length];
    const r = await refresh(base, c.token);
    checkEqual(r.status, 200, `chain ${i}: the last token received works at ${base} (${JSON.stringify(r.body)})`);
    const spent = c.history[c.history.length - 1];
    const again = await refresh(bases[(i + 1) % bases.length], spent);
    checkEqual(again.status, 400, `chain ${i}: a token already rotated is refused (reuse) at ${bases[(i + 1) % bases.length]}`);
    checkEqual(again.body.error, 'invalid_grant', `chain ${i}: reuse is invalid_grant`);
  }
  check(alive > 0, 'at least one chain survived the restarts');
  return alive;
}

export { freePort };
