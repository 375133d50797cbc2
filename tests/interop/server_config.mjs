// Interop: tessera-server started from Flyte's configuration (`--config`), over loopback.
//
//   1. `--check` accepts each sample and refuses each class of mistake with exit 2 and a
//      message naming the file, the key and its line;
//   2. Flyte's `auth:` block (Self mode, local login), its secrets made by `tessera-server
//      secrets init`: the client secret hash made by `tessera-server secrets hash` (the docs'
//      Step 2), the lifespans, the static clients, the header names and thirdPartyConfig are
//      what discovery, `/config/v1/flyte_client`, the token endpoint and /me answer; the
//      token verifies with `jose` against the JWKS, which serves the secrets' signing key;
//   3. the Flyte docs' Helm values (Step 3), oidc-provider as the IdP: ready once the IdP is
//      known, a person logs in through it in chromium, flytepropeller gets a token with the
//      docs' internal secret;
//   4. External mode (the docs' external authorization server fragment), oidc-provider as the
//      authorization server and IdP: its metadata relayed, its JWT access tokens accepted by
//      /me for the allowed audience only, openid-configuration sent to the IdP (303).
//
//   node tests/interop/server_config.mjs <path to tessera-server>
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as jose from 'jose';
import Provider from 'oidc-provider';
import {
  runTest, startServer, serverPath, freePort, check, checkEqual, log, launchChromium, onCleanup,
} from './harness.mjs';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-config-'));
onCleanup(() => fs.rmSync(scratch, { recursive: true, force: true }));

function writeConfig(name, text) {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, text);
  return file;
}

function run(args, input) {
  return spawnSync(serverPath(), args, { input, encoding: 'utf8', timeout: 60000 });
}

// The docs' Step 2 without Python: a secret and the base64 of its bcrypt hash.
function secretHash(secret) {
  const r = run(['secrets', 'hash'], `${secret}\n`);
  checkEqual(r.status, 0, `secrets hash exit status (${r.stderr})`);
  const m = /^Hash: (\S+)$/m.exec(r.stdout);
  check(m, `secrets hash prints "Hash: ..." (got ${r.stdout})`);
  check(!r.stdout.includes(secret), 'secrets hash does not echo a secret it was given');
  return m[1];
}

async function json(url, headers = {}) {
  const r = await fetch(url, { headers });
  const text = await r.text();
  try {
    return { status: r.status, body: JSON.parse(text), headers: r.headers };
  } catch {
    throw new Error(`${url}: not JSON (${r.status}): ${text.slice(0, 300)}`);
  }
}

async function clientCredentials(issuer, id, secret, scope = 'all') {
  const r = await fetch(`${issuer}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  return { status: r.status, body: await r.json() };
}

// oidc-provider as the IdP; with `audience`, also an authorization server issuing JWT access
// tokens for that audience to the client `ci` (client credentials), as an Okta custom
// authorization server does for Flyte's External mode.
async function startIdp(port, rpUrl, audience) {
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const clients = [{
    client_id: 'flyte-web',
    client_secret: 'idp-secret-value',
    redirect_uris: [`${rpUrl}/callback`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
  }];
  const features = { devInteractions: { enabled: true } };
  if (audience) {
    clients.push({ client_id: 'ci', client_secret: 'ci-secret', grant_types: ['client_credentials'], redirect_uris: [],
                   response_types: [], scope: 'all', id_token_signed_response_alg: 'ES256' });
    features.clientCredentials = { enabled: true };
    features.resourceIndicators = {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => ({
        scope: 'all', audience: resource, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } },
      }),
    };
  }
  const p = new Provider(issuer, {
    clients,
    jwks: { keys: [{ ...(await jose.exportJWK(privateKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] },
    scopes: ['openid', 'profile', 'email', 'all', 'offline_access'],
    ttl: { AccessToken: 600, IdToken: 3600, RefreshToken: 3600, Session: 3600, Interaction: 600, Grant: 3600, ClientCredentials: 600 },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id, name: 'Grace Hopper', preferred_username: id, email: `${id}@example.com` }; } };
    },
    features,
  });
  const server = http.createServer(p.callback());
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { issuer, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

runTest('interop_server_config', async () => {
  // 1. --check.
  const hash = secretHash('propeller-secret-1');
  const good = writeConfig('good.yaml', `auth:
  appAuth:
    selfAuthServer:
      staticClients:
        flytepropeller:
          client_secret: ${hash}
          grant_types: [client_credentials]
          scopes: [all]
tessera:
  store: memory
`);
  const ok = run(['--config', good, '--check']);
  checkEqual(ok.status, 0, `--check of a good file (${ok.stderr})`);
  check(/ok \(issuer http:\/\/127\.0\.0\.1:8088, 3 static clients, local login\)/.test(ok.stdout), `--check reports what it read: ${ok.stdout}`);
  const mistakes = [
    ['unknown.yaml', 'auth:\n  userAuth:\n    openId:\n      clientSecret: x\n', /unknown.yaml: auth\.userAuth\.openId\.clientSecret: unknown key at line 4/],
    ['type.yaml', 'tessera:\n  threads: [1]\n', /tessera\.threads: not an integer from 0 to 1024 \(line 2\)/],
    ['duration.yaml', 'auth:\n  appAuth:\n    selfAuthServer:\n      accessTokenLifespan: forever\n', /accessTokenLifespan: not a Go duration.*\(line 4\)/],
    ['client.yaml', 'auth:\n  appAuth:\n    selfAuthServer:\n      staticClients:\n        web:\n          public: true\n          redirect_uris: [\'http://evil.example/cb\']\n',
      /staticClients\.web\.redirect_uris\[0\].*\(line 7\)/],
    ['external-bad.yaml', 'auth:\n  appAuth:\n    authServerType: External\n', /externalAuthServer\.baseUrl: required/],
    ['store.yaml', 'tessera:\n  store: mongodb://x\n', /tessera\.store \(line 2\): not a store/],
    ['yaml.yaml', 'auth: [\n', /not valid YAML/],
  ];
  for (const [name, text, expect] of mistakes) {
    const file = writeConfig(name, text);
    const r = run(['--config', file, '--check']);
    checkEqual(r.status, 2, `--check of ${name} exits 2 (${r.stderr})`);
    check(expect.test(r.stderr), `${name}: ${expect} in: ${r.stderr}`);
  }
  const missing = run(['--config', path.join(scratch, 'nonexistent.yaml'), '--check']);
  checkEqual(missing.status, 2, 'a missing file exits 2');

  // 2. Flyte's auth: block.
  {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const secret = 'propeller-secret-2';
    const secretsDir = path.join(scratch, 'secrets');
    const init = run(['secrets', 'init', '-p', secretsDir]);
    checkEqual(init.status, 0, `secrets init (${init.stderr})`);
    const file = writeConfig('flyte.yaml', `# flyteadmin's configuration: other sections belong to other parts of Flyte
server:
  httpPort: 8088
auth:
  httpAuthorizationHeader: flyte-authorization
  grpcAuthorizationHeader: x-flyte-auth
  authorizedUris:
    - ${issuer}
  appAuth:
    authServerType: Self
    selfAuthServer:
      accessTokenLifespan: 10m
      staticClients:
        flytepropeller:
          id: flytepropeller
          client_secret: ${secretHash(secret)}
          redirect_uris: [http://localhost:3846/callback]
          grant_types: [refresh_token, client_credentials]
          response_types: [token]
          scopes: [all, offline, access_token]
    thirdPartyConfig:
      flyteClient:
        clientId: flytectl
        redirectUri: http://localhost:53593/callback
        scopes: [all, offline]
        audience: ${issuer}
tessera:
  store: memory
  secretsDir: ${secretsDir}
`);
    const server = await startServer({ port, attempts: 1, demo: false, extraArgs: ['--config', file] });
    // The signing key is the one `secrets init` wrote, as flyteadmin would read it.
    const pem = fs.readFileSync(path.join(secretsDir, 'token_rsa_key.pem'), 'utf8');
    check(pem.startsWith('-----BEGIN RSA PRIVATE KEY-----'), 'secrets init writes PKCS#1, as Flyte reads it');
    const secretKey = await jose.exportJWK(crypto.createPublicKey(pem));
    const served = await json(`${issuer}/oauth2/jwks`);
    checkEqual(served.body.keys[0].kid, await jose.calculateJwkThumbprint(secretKey, 'sha256'), 'JWKS serves the secrets\' key');
    const meta = await json(`${issuer}/.well-known/oauth-authorization-server`);
    checkEqual(meta.body.issuer, issuer, 'issuer from the first authorizedUris entry');
    check(server.stderrText().includes('first authorizedUris entry'), 'the choice of issuer is said');
    const snake = await json(`${issuer}/config/v1/flyte_client`, { accept: 'application/json' });
    checkEqual(snake.body.client_id, 'flytectl', 'flyte_client client_id');
    checkEqual(snake.body.redirect_uri, 'http://localhost:53593/callback', 'flyte_client redirect_uri');
    checkEqual(JSON.stringify(snake.body.scopes), '["all","offline"]', 'flyte_client scopes');
    checkEqual(snake.body.authorization_metadata_key, 'x-flyte-auth', 'flyte_client authorization_metadata_key = grpcAuthorizationHeader');
    checkEqual(snake.body.audience, issuer, 'flyte_client audience');
    const camel = await json(`${issuer}/config/v1/flyte_client`);
    checkEqual(camel.body.clientId, 'flytectl', 'camelCase without Accept: application/json');

    const wrong = await clientCredentials(issuer, 'flytepropeller', 'not the secret');
    checkEqual(wrong.status, 401, 'a wrong secret');
    const t = await clientCredentials(issuer, 'flytepropeller', secret);
    checkEqual(t.status, 200, `flytepropeller's token (${JSON.stringify(t.body)})`);
    checkEqual(t.body.expires_in, 600, 'accessTokenLifespan 10m');
    const jwks = jose.createRemoteJWKSet(new URL(`${issuer}/oauth2/jwks`));
    const { payload, protectedHeader } = await jose.jwtVerify(t.body.access_token, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
    checkEqual(protectedHeader.alg, 'RS256', 'Flyte\'s algorithm');
    checkEqual(payload.exp - payload.iat, 600, 'exp - iat');
    checkEqual(JSON.stringify(payload.scp), '["all"]', 'scp');
    checkEqual(payload.client_id, 'flytepropeller', 'client_id');
    const flyteCli = await clientCredentials(issuer, 'flyte-cli', 'x');
    checkEqual(flyteCli.status, 401, 'flyte-cli (public, Flyte default) cannot use client credentials');

    const me = await json(`${issuer}/me`, { 'x-flyte-auth': `Bearer ${t.body.access_token}` });
    checkEqual(me.status, 200, '/me with the token in grpcAuthorizationHeader');
    checkEqual(me.body.subject, 'flytepropeller', '/me subject');
    await server.stop();
  }

  // 3. The docs' Helm values, oidc-provider as the IdP.
  {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const idp = await startIdp(await freePort(), issuer);
    try {
      const internalSecret = 'b7f0c9a1d2e3f4a5b6c7d8e9f0a1b2c3';
      const file = writeConfig('values.yaml', `configuration:
  auth:
    enabled: true
    oidc:
      # Uncomment the correct baseUrl for your IdP:
      # baseUrl: https://accounts.google.com
      # baseUrl: https://<keycloak-url>/auth/realms/<realm>
      # baseUrl: https://login.microsoftonline.com/<tenant-id>/v2.0
      baseUrl: ${idp.issuer}
      clientId: flyte-web
      clientSecret: idp-secret-value
    internal:
      clientSecret: '${internalSecret}'
      clientSecretHash: ${secretHash(internalSecret)}
    authorizedUris:
      - ${issuer}
tessera:
  store: memory
`);
      const checked = run(['--config', file, '--check']);
      checkEqual(checked.status, 0, `--check of the Helm values (${checked.stderr})`);
      check(checked.stdout.includes('identity provider generic_oidc'), `profile from the base URL: ${checked.stdout}`);
      const server = await startServer({ port, attempts: 1, demo: false, extraArgs: ['--config', file] });
      check(server.stderrText().includes('the data directory\'s keys are used'), 'without Flyte secrets: the data directory\'s keys, said');
      checkEqual((await fetch(`${issuer}/readyz`)).status, 200, '/readyz once the IdP is known');
      const t = await clientCredentials(issuer, 'flytepropeller', internalSecret);
      checkEqual(t.status, 200, `flytepropeller with the docs' internal secret (${JSON.stringify(t.body)})`);

      const { page } = await launchChromium();
      await page.goto(`${issuer}/login?redirect_url=/me`);
      await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`));
      await page.locator('input[name="login"]').fill('grace');
      await page.locator('input[name="password"]').fill('any password');
      await Promise.all([page.waitForLoadState(), page.locator('button[type="submit"]').click()]);
      await page.waitForURL((u) => !u.href.includes('/login'));
      if (page.url().startsWith(`${idp.issuer}/interaction/`)) {
        await Promise.all([page.waitForLoadState(), page.locator('button[type="submit"]').click()]);
      }
      await page.waitForURL(`${issuer}/me`);
      const me = JSON.parse(await page.evaluate(() => document.body.innerText));
      checkEqual(me.subject, 'grace', '/me after logging in through the IdP');
      checkEqual(me.name, 'Grace Hopper', '/me name');
      await server.stop();
    } finally {
      await idp.close();
    }
  }
  // 4. External mode (the Flyte docs' second fragment): oidc-provider is the authorization
  //    server and the IdP; tessera-server relays its metadata and accepts its tokens.
  {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const api = 'https://flyte.example.com/api';
    const idp = await startIdp(await freePort(), issuer, api);
    try {
      const file = writeConfig('external.yaml', `configuration:
  inline:
    auth:
      appAuth:
        authServerType: External
        externalAuthServer:
          baseUrl: ${idp.issuer}
          metadataUrl: .well-known/openid-configuration
          allowedAudience: [${api}]
        thirdPartyConfig:
          flyteClient:
            clientId: flytectl-at-idp
            redirectUri: http://localhost:53593/callback
            scopes: [offline, all]
      userAuth:
        openId:
          baseUrl: ${idp.issuer}
          scopes: [profile, openid]
          clientId: flyte-web
tessera:
  store: memory
`);
      const server = await startServer({
        port, attempts: 1, demo: false, extraArgs: ['--config', file, '--oidc-client-secret-env', 'TEST_IDP_SECRET'],
        env: { TEST_IDP_SECRET: 'idp-secret-value' },
      });
      const meta = await json(`${issuer}/.well-known/oauth-authorization-server`);
      checkEqual(meta.body.issuer, idp.issuer, 'the external server\'s metadata, relayed');
      check(meta.body.token_endpoint.startsWith(idp.issuer), 'its token endpoint');
      const oidcDoc = await fetch(`${issuer}/.well-known/openid-configuration`, { redirect: 'manual' });
      checkEqual(oidcDoc.status, 303, 'openid-configuration: 303 to the IdP, as Flyte');
      checkEqual(oidcDoc.headers.get('location'), `${idp.issuer}/.well-known/openid-configuration`, 'its location');
      checkEqual((await json(`${issuer}/config/v1/flyte_client`)).body.clientId, 'flytectl-at-idp', 'thirdPartyConfig');
      checkEqual((await fetch(`${issuer}/oauth2/token`, { method: 'POST' })).status, 404, 'no token endpoint of its own');

      const t = await fetch(`${idp.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('ci:ci-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'all', resource: api }),
      });
      const token = (await t.json()).access_token;
      check(token && token.split('.').length === 3, 'a JWT access token from the external server');
      const me = await json(`${issuer}/me`, { 'flyte-authorization': `Bearer ${token}` });
      checkEqual(me.status, 200, `/me accepts the external server's token (${JSON.stringify(me.body)})`);
      checkEqual(me.body.subject, 'ci', '/me subject');
      const other = await fetch(`${idp.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('ci:ci-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'all', resource: 'https://other.example/api' }),
      });
      const otherToken = (await other.json()).access_token;
      checkEqual((await fetch(`${issuer}/me`, { headers: { 'flyte-authorization': `Bearer ${otherToken}` } })).status, 401,
                 'a token for another audience is refused');
      await server.stop();
    } finally {
      await idp.close();
    }
  }
  log('server configuration: checks, Flyte auth block, Helm values and External mode passed');
});
