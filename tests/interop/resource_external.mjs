// tessera-resource (examples/resource) in front of oidc-provider, a certified OpenID provider,
// as Flyte's External mode has it: discovery, JWT access tokens verified with the provider's
// JWKS, audience, issuer, expiry and scope checks with RFC 6750 answers, key rotation followed
// (one fetch) with and without a grace for the withdrawn key, a flood of made-up `kid`s costing
// at most one fetch, and opaque tokens through RFC 7662 introspection.
//
//   node tests/interop/resource_external.mjs <tessera-server> <tessera-resource>
import http from 'node:http';
import crypto from 'node:crypto';
import * as jose from 'jose';
import Provider from 'oidc-provider';
import { runTest, freePort, startProgram, resourcePath, check, checkEqual, log, onCleanup } from './harness.mjs';

const API = 'https://api.example.com';

async function privateJwk(kid) {
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
}

/// oidc-provider on 127.0.0.1:port with the given signing keys; counts JWKS requests.
/// Scope `short` gives 2-second tokens, scope `opaque` opaque ones.
function provider(port, keys, stats) {
  const issuer = `http://127.0.0.1:${port}`;
  const p = new Provider(issuer, {
    clients: [
      { client_id: 'svc', client_secret: 'svc-secret', grant_types: ['client_credentials'], redirect_uris: [],
        response_types: [], scope: 'all read short opaque', id_token_signed_response_alg: 'ES256' },
      { client_id: 'resource-server', client_secret: 'rs-secret', grant_types: ['client_credentials'],
        redirect_uris: [], response_types: [], id_token_signed_response_alg: 'ES256' },
    ],
    jwks: { keys },
    scopes: ['all', 'read', 'short', 'opaque'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          const scope = String(ctx.oidc.params.scope || '');
          return {
            scope: 'all read short opaque',
            audience: resource,
            accessTokenTTL: scope.includes('short') ? 2 : 600,
            accessTokenFormat: scope.includes('opaque') ? 'opaque' : 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  });
  p.on('server_error', (ctx, err) => log(`oidc-provider server_error: ${err.stack}`));
  const cb = p.callback();
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/jwks')) stats.jwks += 1;
    cb(req, res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ issuer, server })));
}

function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function token(issuer, { scope = 'all read', resource = API } = {}) {
  const r = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded',
               authorization: `Basic ${Buffer.from('svc:svc-secret').toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }),
  });
  const body = await r.json();
  if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function call(rs, path, tok, header = 'authorization') {
  const headers = tok ? { [header]: `Bearer ${tok}` } : {};
  const r = await fetch(`${rs.url}${path}`, { headers });
  return { status: r.status, challenge: r.headers.get('www-authenticate'), body: await r.text() };
}

async function startResource(issuer, port, extra = [], env = {}) {
  return startProgram({
    name: `tessera-resource :${port}`,
    bin: resourcePath(),
    port,
    env,
    args: ['--issuer', issuer, '--metadata-url', '.well-known/openid-configuration', '--audience', API,
           '--listen', `127.0.0.1:${port}`, '--leeway', '0', '--jwks-cooldown', '1', '--quiet', ...extra],
  });
}

runTest('interop_resource_external', async () => {
  const stats = { jwks: 0 };
  const port = await freePort();
  const k1 = await privateJwk('k1');
  let op = await provider(port, [k1], stats);
  onCleanup(() => close(op.server));
  log(`oidc-provider up at ${op.issuer}`);

  const strict = await startResource(op.issuer, await freePort());                     // withdrawn keys: gone at once
  const lenient = await startResource(op.issuer, await freePort(), ['--key-grace', '3']);  // 3 s of grace
  const introspecting = await startResource(op.issuer, await freePort(),
    ['--introspection-client', 'resource-server', '--introspection-secret-env', 'RS_SECRET'], { RS_SECRET: 'rs-secret' });
  const FLOOD_COOLDOWN = 5;
  const flooded = await startResource(op.issuer, await freePort(), ['--jwks-cooldown', String(FLOOD_COOLDOWN)]);
  const floodedSince = Date.now();
  checkEqual(stats.jwks, 4, 'each resource server fetched the JWKS once at start');

  // A good token, in either header; a missing scope; no token.
  const good = await token(op.issuer);
  let r = await call(strict, '/api/hello', good);
  checkEqual(r.status, 200, `GET /api/hello with a good token (${r.body})`);
  const hello = JSON.parse(r.body);
  checkEqual(hello.client_id, 'svc', 'client_id');
  check(hello.scopes.includes('all') && hello.scopes.includes('read'), `scopes ${r.body}`);
  checkEqual((await call(strict, '/api/admin', good, 'flyte-authorization')).status, 200, 'flyte-authorization header');
  r = await call(strict, '/api/admin', await token(op.issuer, { scope: 'read' }));
  checkEqual(r.status, 403, 'a token without scope all');
  checkEqual(r.challenge, 'Bearer realm="tessera", error="insufficient_scope", scope="all"', 'insufficient_scope challenge');
  r = await call(strict, '/api/hello');
  checkEqual(r.status, 401, 'no token');
  checkEqual(r.challenge, 'Bearer realm="tessera"', 'bare challenge');

  // Another audience; another issuer with the very same key; an expired token.
  r = await call(strict, '/api/hello', await token(op.issuer, { resource: 'https://other.example.com' }));
  checkEqual(r.status, 401, 'a token for another audience');
  checkEqual(r.challenge, 'Bearer realm="tessera", error="invalid_token"', 'invalid_token challenge');
  const stranger = await provider(await freePort(), [k1], { jwks: 0 });
  onCleanup(() => close(stranger.server));
  r = await call(strict, '/api/hello', await token(stranger.issuer));
  checkEqual(r.status, 401, 'a token of another issuer signed with the same key');
  const short = await token(op.issuer, { scope: 'all short' });
  checkEqual((await call(strict, '/api/hello', short)).status, 200, 'a short-lived token while valid');
  await new Promise((res) => setTimeout(res, 3200));
  checkEqual((await call(strict, '/api/hello', short)).status, 401, 'the same token after its exp (cached before)');

  // Opaque tokens: refused without introspection, accepted with it.
  const opaque = await token(op.issuer, { scope: 'all opaque' });
  check(opaque.split('.').length !== 3, 'oidc-provider issued an opaque token');
  checkEqual((await call(strict, '/api/hello', opaque)).status, 401, 'an opaque token without introspection');
  r = await call(introspecting, '/api/admin', opaque);
  checkEqual(r.status, 200, `an opaque token through introspection (${r.body})`);
  checkEqual((await call(introspecting, '/api/hello', 'made-up-opaque-token')).status, 401, 'an unknown opaque token');

  // Key rotation: the provider restarts signing with k2 only. Tokens of k1 minted before the
  // rotation and not yet presented: the strict server refuses them, the lenient one accepts
  // them for its grace.
  const oldTokens = [await token(op.issuer), await token(op.issuer), await token(op.issuer)];
  await close(op.server);
  const k2 = await privateJwk('k2');
  op = await provider(port, [k2], stats);
  onCleanup(() => close(op.server));
  await new Promise((res) => setTimeout(res, 1100));  // past the 1 s cooldown since start
  const before = stats.jwks;
  const fresh = await token(op.issuer);
  checkEqual((await call(strict, '/api/hello', fresh)).status, 200, 'strict: a token of the new key');
  checkEqual((await call(lenient, '/api/hello', fresh)).status, 200, 'lenient: a token of the new key');
  checkEqual(stats.jwks - before, 2, 'one JWKS fetch per resource server for the new kid');
  checkEqual((await call(strict, '/api/hello', oldTokens[0])).status, 401, 'strict: a withdrawn key');
  checkEqual((await call(lenient, '/api/hello', oldTokens[1])).status, 200, 'lenient: a withdrawn key in its grace');
  await new Promise((res) => setTimeout(res, 3200));
  checkEqual((await call(lenient, '/api/hello', oldTokens[2])).status, 401, 'lenient: a withdrawn key after its grace');

  // A thousand made-up kids, sixteen at a time (the server allows 64 connections per address,
  // and fetch keeps earlier ones open), at a server whose cooldown since its start-up fetch has
  // passed: the first unknown kid may fetch, the rest must not — at most one fetch per
  // cooldown (5 s here) for the whole flood.
  const { privateKey } = await jose.generateKeyPair('ES256');
  const forged = [];
  for (let i = 0; i < 1000; ++i)
    forged.push(await new jose.SignJWT({ scope: 'all', client_id: 'svc' })
      .setProtectedHeader({ alg: 'ES256', kid: crypto.randomUUID(), typ: 'at+jwt' })
      .setIssuer(op.issuer).setAudience(API).setSubject('mallory').setIssuedAt().setExpirationTime('5m')
      .sign(privateKey));
  const wait = FLOOD_COOLDOWN * 1000 + 200 - (Date.now() - floodedSince);
  if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  const flood = stats.jwks;
  const floodStart = Date.now();
  let refused = 0;
  for (let i = 0; i < forged.length; i += 16) {
    const batch = await Promise.all(forged.slice(i, i + 16).map((t) => call(flooded, '/api/hello', t)));
    refused += batch.filter((b) => b.status === 401).length;
  }
  const floodSeconds = (Date.now() - floodStart) / 1000;
  checkEqual(refused, 1000, 'every forged token refused');
  const allowed = 1 + Math.floor(floodSeconds / FLOOD_COOLDOWN);  // 1 unless the machine is very slow
  log(`kid flood: 1000 tokens in ${floodSeconds.toFixed(1)} s, ${stats.jwks - flood} JWKS fetch(es), ${allowed} allowed`);
  check(stats.jwks - flood <= allowed, `a kid flood cost ${stats.jwks - flood} JWKS fetches (at most ${allowed} allowed)`);
  check(stats.jwks - flood >= 1, 'the flood\'s first unknown kid was allowed its fetch');
  checkEqual((await call(flooded, '/api/hello', fresh)).status, 200, 'good tokens still pass after the flood');
});
