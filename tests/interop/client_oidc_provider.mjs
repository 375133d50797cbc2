// Interop: tessera-client (examples/client) against oidc-provider — a certified OpenID provider,
// run in this node process on a free 127.0.0.1 port — with /.well-known/oauth-authorization-server
// hidden (404, as at many OpenID providers) and no Flyte /config/v1/flyte_client: the client falls
// back to /.well-known/openid-configuration; client id and scopes come from the config file.
// Every run is in a sandbox (fresh HOME, XDG_CACHE_HOME and working directory; no FLYTECTL_CONFIG,
// no FLYTE_*; no display).
//   client credentials (--config FILE: authType ClientSecret, the secret in the file
//     clientSecretLocation, with characters that must be form-encoded for HTTP Basic): `token`
//     prints a JWT access token (oidc-provider issues JWTs for a resource server: a default
//     resource for this grant) that verifies with jose against the provider's JWKS; a second
//     `token` prints it from the cache; `logout` forgets it;
//   PKCE (~/.flyte/config.yaml: authType Pkce, a native public client registered with
//     http://127.0.0.1/callback, which oidc-provider matches on any port): chromium follows the
//     printed URL through the provider's login and consent pages to the CLI's "Signed in." page;
//     `token` prints the cached (opaque) token, which introspects active; `whoami` is the
//     provider's userinfo (sub ada);
//   refresh after real expiry (AccessToken TTL 20 s): once the access token has expired (the
//     provider says inactive), `token` refreshes: a new token, active, and a rotated refresh
//     token (the old one introspects inactive);
//   logout revokes: the cache file is gone, the refresh token is refused (invalid_grant) and
//     the access token introspects inactive;
//   device code (--auth-type DeviceFlow, deviceFlowConfig.pollInterval 1s): chromium opens the
//     printed verification_uri_complete, confirms the user code, logs in and consents; the CLI
//     caches a refresh token and an expiry; `whoami` names ada;
//   the -v output of every run holds none of the tokens, codes or secrets seen.
//
//   node tests/interop/client_oidc_provider.mjs <tessera-server> <tessera-resource> <tessera-client>
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as jose from 'jose';
import Provider from 'oidc-provider';
import {
  runTest, freePort, check, checkEqual, log, launchChromium, clientSandbox, exitIs, cacheEntry, form,
} from './harness.mjs';

const PERSON = 'ada';
const NATIVE = 'tessera-native';
const SERVICE = 'tessera-svc';
const SERVICE_SECRET = 'svc:secret/with+special%&= chars';
const API = 'urn:tessera:test-api';
const ACCESS_TTL = 20;  // seconds; the CLI refreshes when less than 10 s are left

async function privateJwk(kid) {
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
}

const page = (title, body) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

async function startProvider(port) {
  const issuer = `http://127.0.0.1:${port}`;
  const stats = { grants: [], revoked: [] };
  const own = async (ctx, client, token) => token.clientId === client.clientId;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: NATIVE,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
    }, {
      client_id: SERVICE,
      client_secret: SERVICE_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'api:read',
      id_token_signed_response_alg: 'ES256',  // the only key is an ES256 one
    }],
    jwks: { keys: [await privateJwk('op-key-1')] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
    scopes: ['openid', 'offline_access', 'profile', 'api:read'],
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return { sub: id, name: 'Ada Lovelace', preferred_username: id }; } };
    },
    // The CLI, like Flyte's clients, sends no prompt=consent, so oidc-provider (OIDC Core §11)
    // drops offline_access from the authorization request: issue refresh tokens to clients
    // allowed the grant anyway, as most providers do.
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: ACCESS_TTL, ClientCredentials: 600, IdToken: 3600, RefreshToken: 3600, Session: 3600,
      Interaction: 600, Grant: 3600, DeviceCode: 600,
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true, allowedPolicy: own },
      introspection: { enabled: true, allowedPolicy: own },
      deviceFlow: {
        enabled: true,
        // Plain pages (the defaults load web fonts from the internet).
        userCodeInputSource: async (ctx, form, out, err) => {
          ctx.body = page('Enter the code', `${err ? `<p class="error">${err.name}</p>` : ''}${form}<button type="submit" form="op.deviceInputForm">Continue</button>`);
        },
        userCodeConfirmSource: async (ctx, form, client, deviceInfo, userCode) => {
          ctx.body = page('Confirm the device', `<p id="client">${client.clientId}</p><p><code id="user-code">${userCode}</code></p>${form}` +
            '<button id="confirm" type="submit" form="op.deviceConfirmForm">Continue</button>' +
            '<button id="abort" type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button>');
        },
        successSource: async (ctx) => { ctx.body = page('Sign-in Success', '<p>You may close this page.</p>'); },
      },
      // JWT access tokens for a resource server: the client-credentials grant gets this API by
      // default. The person's tokens stay opaque and resource-less: oidc-provider's userinfo
      // takes only tokens without an audience, and whoami asks it.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf ?? (ctx.oidc.params?.grant_type === 'client_credentials' ? API : undefined),
        useGrantedResource: async () => false,
        getResourceServerInfo: async (ctx, resource) => {
          if (resource !== API) throw new Error(`unknown resource ${resource}`);
          return { audience: API, scope: 'api:read', accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'ES256' } } };
        },
      },
    },
  });
  provider.on('grant.success', (ctx) => stats.grants.push(ctx.oidc.params?.grant_type));
  provider.on('grant.revoked', (ctx, grantId) => stats.revoked.push(grantId));
  provider.on('server_error', (ctx, err) => log(`oidc-provider server_error: ${err.stack}`));
  // oidc-provider 9 also answers /.well-known/oauth-authorization-server; many OpenID providers
  // do not (Google, Keycloak before 25, Azure AD): hide it, so the client's fallback to the
  // OpenID document is what runs here.
  const app = provider.callback();
  const server = http.createServer((req, res) => {
    if (req.url.split('?')[0] === '/.well-known/oauth-authorization-server') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not_found"}');
      return;
    }
    app(req, res);
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve); });
  return { issuer, stats, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}




// The devInteractions login and consent pages.
async function signInAtProvider(p, issuer) {
  await p.waitForURL((u) => u.href.startsWith(`${issuer}/interaction/`));
  await p.locator('input[name="login"]').fill(PERSON);
  await p.locator('input[name="password"]').fill('any password');
  await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), p.locator('button[type="submit"]').click()]);
  if (p.url().startsWith(`${issuer}/interaction/`) && (await p.locator('input[name="login"]').count()) === 0) {
    const shown = await p.locator('body').innerText();
    check(shown.includes('Authorize'), `the provider's consent page (${shown.slice(0, 300)})`);
    await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), p.locator('button[type="submit"]').click()]);
  }
}

runTest('interop_client_oidc_provider', async () => {
  const op = await startProvider(await freePort());
  try {
    const md = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
    checkEqual((await fetch(`${op.issuer}/.well-known/oauth-authorization-server`)).status, 404, 'no RFC 8414 document (the client falls back)');
    const jwks = jose.createRemoteJWKSet(new URL(md.jwks_uri));
    log(`oidc-provider at ${op.issuer}`);
    const introspect = async (token) => (await form(md.introspection_endpoint, { token, client_id: NATIVE })).body;

    const cli = clientSandbox();
    const secrets = new Map();
    const keep = (value, what) => { if (value) secrets.set(value, what); };
    keep(SERVICE_SECRET, 'the client secret');

    // --- client credentials ---------------------------------------------------------------
    const secretFile = path.join(cli.root, 'client_secret');
    fs.writeFileSync(secretFile, `${SERVICE_SECRET}\n`, { mode: 0o600 });
    const ccConfig = path.join(cli.root, 'service.yaml');
    fs.writeFileSync(ccConfig, [
      'admin:',
      `  endpoint: http://127.0.0.1:${new URL(op.issuer).port}`,
      '  insecure: true',
      '  authType: ClientSecret',
      `  clientId: ${SERVICE}`,
      `  clientSecretLocation: ${secretFile}`,
      '  scopes: ["api:read"]',
      '',
    ].join('\n'));
    let r = await cli.run(['-v', '--config', ccConfig, 'token']);
    exitIs(r, 0, 'client credentials: token');
    const ccToken = r.stdout.trim();
    keep(ccToken, 'the client-credentials access token');
    check(r.stderr.includes('/.well-known/openid-configuration'), `the client fell back to the OpenID document (stderr: ${r.stderr})`);
    const { payload: cc, protectedHeader } = await jose.jwtVerify(ccToken, jwks, { issuer: op.issuer, audience: API, typ: 'at+jwt' });
    checkEqual(cc.client_id, SERVICE, 'client-credentials token client_id');
    checkEqual(cc.scope, 'api:read', 'client-credentials token scope');
    checkEqual(protectedHeader.alg, 'ES256', 'client-credentials token alg');
    r = await cli.run(['-v', '--config', ccConfig, 'token']);
    exitIs(r, 0, 'client credentials: second token');
    checkEqual(r.stdout.trim(), ccToken, 'the second token is the cached one');
    checkEqual(op.stats.grants.filter((g) => g === 'client_credentials').length, 1, 'one client_credentials grant at the provider');
    const ccEntry = cacheEntry(cli.cacheDir, 'ClientSecret');
    checkEqual(ccEntry.mode, 0o600, 'cache file mode');
    check(!fs.readFileSync(ccEntry.file, 'utf8').includes(SERVICE_SECRET), 'the cache file does not hold the secret');
    r = await cli.run(['--config', ccConfig, 'status']);
    check(/^token\s+valid until /m.test(r.stdout), `status: valid (${r.stdout})`);
    check(r.stdout.includes(`from file ${secretFile}`) || r.stdout.includes(secretFile), `status names the secret file (${r.stdout})`);
    // oidc-provider cannot revoke JWT access tokens (RFC 7009 unsupported_token_type): the
    // entry is forgotten all the same.
    r = await cli.run(['-v', '--config', ccConfig, 'logout']);
    log(`client credentials logout: exit ${r.code}: ${r.stderr.trim().split('\n').filter((l) => !l.startsWith('tessera: ')).join(' | ')}`);
    check(!fs.existsSync(ccEntry.file), 'logout deletes the client-credentials entry');
    exitIs(r, 0, 'client credentials: logout at a server that cannot revoke JWT access tokens');
    log(`client credentials: JWT access token verified (aud ${cc.aud}, scope ${cc.scope}); cached; logged out`);

    // --- PKCE --------------------------------------------------------------------------------
    fs.mkdirSync(path.join(cli.home, '.flyte'));
    const configFile = path.join(cli.home, '.flyte', 'config.yaml');
    fs.writeFileSync(configFile, [
      'admin:',
      `  endpoint: dns:///127.0.0.1:${new URL(op.issuer).port}`,
      '  insecure: true',
      '  authType: Pkce',
      `  clientId: ${NATIVE}`,
      '  scopes:',
      '    - openid',
      '    - offline_access',
      '  deviceFlowConfig:',
      '    pollInterval: 1s',
      '    timeout: 1m',
      '',
    ].join('\n'));
    const login = cli.start(['-v', '--no-browser', '--redirect-uri', 'http://127.0.0.1:0/callback', 'login']);
    const [, authUrlText] = await login.waitStderr(/If it does not open, visit:\n\n {2}(\S+)\n/);
    const authUrl = new URL(authUrlText);
    checkEqual(`${authUrl.origin}${authUrl.pathname}`, md.authorization_endpoint, 'the printed URL is the authorization endpoint');
    checkEqual(authUrl.searchParams.get('client_id'), NATIVE, 'authorization URL client_id');
    checkEqual(authUrl.searchParams.get('scope'), 'openid offline_access', 'authorization URL scope');
    const redirect = new URL(authUrl.searchParams.get('redirect_uri'));
    check(redirect.hostname === '127.0.0.1' && Number(redirect.port) > 0, `a loopback redirect on a real port (${redirect.href})`);

    const { browser, page: p } = await launchChromium();
    await p.goto(authUrl.href);
    await signInAtProvider(p, op.issuer);
    await p.waitForURL((u) => u.origin === redirect.origin && u.pathname === '/callback', { waitUntil: 'load' });
    const landed = new URL(p.url());
    keep(landed.searchParams.get('code'), 'the authorization code');
    checkEqual(landed.searchParams.get('iss'), op.issuer, 'the callback carries iss (RFC 9207)');
    const shown = await p.locator('body').innerText();
    check(shown.includes('Signed in'), `the CLI's page says "Signed in" (${shown})`);
    await login.done;
    exitIs(login, 0, 'PKCE login');
    const pkce = cacheEntry(cli.cacheDir, 'Pkce');
    checkEqual(pkce.mode, 0o600, 'PKCE cache file mode');
    const at0 = pkce.doc.tokens.access_token;
    const rt0 = pkce.doc.tokens.refresh_token;
    const exp0 = pkce.doc.tokens.expires_at;
    keep(at0, 'the PKCE access token');
    keep(rt0, 'the PKCE refresh token');
    check(typeof rt0 === 'string' && rt0.length > 20, 'PKCE: a refresh token');
    check(Math.abs(exp0 - (Date.now() / 1000 + ACCESS_TTL)) < 10, `PKCE: expires_at about ${ACCESS_TTL} s ahead (${exp0})`);
    keep(pkce.doc.tokens.id_token, 'the ID token');
    r = await cli.run(['-v', 'token']);
    exitIs(r, 0, 'PKCE: token');
    checkEqual(r.stdout.trim(), at0, 'token prints the cached access token');
    let info = await introspect(at0);
    checkEqual(info.active, true, 'the access token is active');
    checkEqual(info.sub, PERSON, 'introspection sub');
    checkEqual(info.client_id, NATIVE, 'introspection client_id');
    r = await cli.run(['-v', 'whoami']);
    exitIs(r, 0, 'PKCE: whoami');
    checkEqual(JSON.parse(r.stdout).sub, PERSON, 'whoami (userinfo) sub');
    log(`PKCE: signed in through oidc-provider; whoami ${r.stdout.trim()}`);

    // --- refresh after real expiry -------------------------------------------------------------
    const wait = exp0 * 1000 - Date.now() + 1500;
    log(`waiting ${(wait / 1000).toFixed(1)} s for the access token to expire`);
    await new Promise((res) => setTimeout(res, Math.max(0, wait)));
    info = await introspect(at0);
    checkEqual(info.active, false, 'the access token has expired at the provider');
    r = await cli.run(['status']);
    check(/^token\s+expired at /m.test(r.stdout), `status: expired (${r.stdout})`);
    r = await cli.run(['-v', 'token']);
    exitIs(r, 0, 'token after expiry');
    const at1 = r.stdout.trim();
    keep(at1, 'the refreshed access token');
    check(at1 !== at0, 'a new access token');
    check(r.stderr.includes('grant_type=refresh_token'), `refreshed (stderr: ${r.stderr})`);
    checkEqual(op.stats.grants.filter((g) => g === 'refresh_token').length, 1, 'one refresh_token grant at the provider');
    checkEqual((await introspect(at1)).active, true, 'the refreshed access token is active');
    const after = cacheEntry(cli.cacheDir, 'Pkce').doc.tokens;
    const rt1 = after.refresh_token;
    keep(rt1, 'the rotated refresh token');
    keep(after.id_token, 'the refreshed ID token');
    check(rt1 && rt1 !== rt0, 'oidc-provider rotated the public client\'s refresh token');
    checkEqual((await introspect(rt0)).active, false, 'the rotated-out refresh token is inactive');
    checkEqual((await introspect(rt1)).active, true, 'the new refresh token is active');
    check(after.expires_at > Date.now() / 1000 + ACCESS_TTL - 10, 'a new expiry');
    r = await cli.run(['-v', 'whoami']);
    exitIs(r, 0, 'whoami after refresh');
    checkEqual(JSON.parse(r.stdout).sub, PERSON, 'whoami sub after refresh');
    log('refresh after real expiry: new access token, rotated refresh token');

    // --- logout revokes -----------------------------------------------------------------------
    r = await cli.run(['-v', 'logout']);
    exitIs(r, 0, 'PKCE logout');
    checkEqual(op.stats.revoked.length, 1, 'the provider revoked one grant');
    r = await cli.run(['status']);
    check(/^token\s+none/m.test(r.stdout), `status after logout: none (${r.stdout})`);
    const refused = await form(md.token_endpoint, { grant_type: 'refresh_token', refresh_token: rt1, client_id: NATIVE });
    checkEqual(refused.status, 400, 'refresh after logout: status');
    checkEqual(refused.body.error, 'invalid_grant', 'refresh after logout: error');
    checkEqual((await introspect(at1)).active, false, 'the access token is inactive after logout');
    log('logout: revoked at the provider; refresh refused; access token inactive');

    // --- device code -----------------------------------------------------------------------------
    const device = cli.start(['-v', '--auth-type', 'DeviceFlow', '--no-browser', 'login'], { timeoutMs: 60000 });
    const [, verification] = await device.waitStderr(/To sign in, visit:\n\n {2}(\S+)\n/);
    const [, userCode] = await device.waitStderr(/shows the code (\S+)\./);
    check(verification.startsWith(`${op.issuer}/device`), `verification_uri_complete (${verification})`);
    const dctx = await browser.newContext();
    const dp = await dctx.newPage();
    dp.setDefaultTimeout(20000);
    await dp.goto(verification);
    await dp.waitForSelector('#confirm');  // the user code was posted by the page's script
    checkEqual(await dp.locator('#user-code').innerText(), userCode, 'the confirmation page shows the CLI\'s user code');
    checkEqual(await dp.locator('#client').innerText(), NATIVE, 'the confirmation page names the client');
    await dp.locator('#confirm').click();
    await signInAtProvider(dp, op.issuer);
    await dp.waitForFunction(() => document.title === 'Sign-in Success');
    await device.done;
    exitIs(device, 0, 'device login');
    const dev = cacheEntry(cli.cacheDir, 'DeviceFlow');
    keep(dev.doc.tokens.access_token, 'the device access token');
    keep(dev.doc.tokens.refresh_token, 'the device refresh token');
    keep(dev.doc.tokens.id_token, 'the device ID token');
    check(typeof dev.doc.tokens.refresh_token === 'string' && dev.doc.tokens.refresh_token.length > 20, 'device: a refresh token');
    check(dev.doc.tokens.expires_at > Date.now() / 1000, 'device: an expiry');
    r = await cli.run(['--auth-type', 'DeviceFlow', 'status']);
    check(/^refresh\s+refresh token cached$/m.test(r.stdout) && /^token\s+valid until /m.test(r.stdout), `device status (${r.stdout})`);
    r = await cli.run(['-v', '--auth-type', 'DeviceFlow', 'whoami']);
    exitIs(r, 0, 'device: whoami');
    checkEqual(JSON.parse(r.stdout).sub, PERSON, 'device whoami sub');
    r = await cli.run(['-v', '--auth-type', 'DeviceFlow', 'logout']);
    exitIs(r, 0, 'device: logout');
    checkEqual((await introspect(dev.doc.tokens.refresh_token)).active, false, 'the device refresh token is revoked');
    log(`device flow: code ${userCode} confirmed in chromium; whoami ${PERSON}; logged out`);

    // --- nothing secret in any output ------------------------------------------------------------
    for (const run of cli.runs) {
      for (const [value, what] of secrets) {
        if (run.stderr.includes(value))
          throw new Error(`check failed: the stderr of tessera-client ${run.args.join(' ')} contains ${what}:\n${run.stderr}`);
        if (run.stdout.includes(value) && !(run.args.at(-1) === 'token' && value === run.stdout.trim()))
          throw new Error(`check failed: the stdout of tessera-client ${run.args.join(' ')} contains ${what}`);
      }
    }
    log(`${cli.runs.length} runs: no token, code or secret in their output`);
  } finally {
    await op.close();
  }
}, { timeoutMs: 110000 });
