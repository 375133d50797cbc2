// Interop: a person logs in to tessera-server through oidc-provider (a certified OpenID
// provider, in this node process) in Debian's chromium (playwright-core):
//   /login → the IdP's login and consent pages → /callback → /me shows the IdP's person;
//   the IdP's access token goes stale and the next request refreshes it silently (one
//   refresh_token grant at the IdP);
//   the built-in server's PKCE flow (openid-client as the CLI) in a fresh browser goes through
//   the IdP too, and the ID token tessera issues names the IdP's person;
//   a callback with a state of another sign-in is refused with its cause;
//   logout ends the session here (POST with CSRF) and at the IdP (RP-initiated logout with
//   id_token_hint, back to tessera's /logout).
//
//   node tests/interop/identity_oidc.mjs <path to tessera-server>
import http from 'node:http';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import Provider from 'oidc-provider';
import {
  runTest, startServer, freePort, check, checkEqual, log, launchChromium, startCallbackListener, discover,
} from './harness.mjs';

const PERSON = 'ada';
const ACCESS_TTL = 36;  // seconds; tessera refreshes 30 s before expiry

async function privateJwk(kid) {
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
}

async function startProvider(port, rpUrl, stats) {
  const issuer = `http://127.0.0.1:${port}`;
  const p = new Provider(issuer, {
    clients: [{
      client_id: 'tessera',
      client_secret: 'tessera-upstream-secret',
      redirect_uris: [`${rpUrl}/callback`],
      post_logout_redirect_uris: [`${rpUrl}/logout`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
    }],
    jwks: { keys: [await privateJwk('idp-key-1')] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, name: 'Ada Lovelace', preferred_username: id, email: `${id}@example.com`, email_verified: true };
        },
      };
    },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: ACCESS_TTL, IdToken: 3600, RefreshToken: 3600, Session: 3600, Interaction: 600, Grant: 3600 },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  });
  p.on('grant.success', (ctx) => {
    const gt = ctx.oidc.params?.grant_type;
    stats.grants.push(gt);
  });
  p.on('server_error', (ctx, err) => log(`oidc-provider server_error: ${err.stack}`));
  const server = http.createServer(p.callback());
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { issuer, server, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

// The IdP's dev login and consent pages.
async function loginAtIdp(page, idpIssuer) {
  await page.waitForURL((u) => u.href.startsWith(`${idpIssuer}/interaction/`));
  await page.locator('input[name="login"]').fill(PERSON);
  await page.locator('input[name="password"]').fill('any password');
  await Promise.all([page.waitForLoadState(), page.locator('button[type="submit"]').click()]);
  // Consent (a new grant): Continue.
  await page.waitForURL((u) => !u.href.includes('/login'));
  if (page.url().startsWith(`${idpIssuer}/interaction/`)) {
    await Promise.all([page.waitForLoadState(), page.locator('button[type="submit"]').click()]);
  }
}

runTest('interop_identity_oidc', async () => {
  const rpPort = await freePort();
  const rpUrl = `http://127.0.0.1:${rpPort}`;
  const stats = { grants: [] };
  const idp = await startProvider(await freePort(), rpUrl, stats);
  log(`oidc-provider at ${idp.issuer}`);
  try {
    const server = await startServer({
      port: rpPort,
      attempts: 1,
      extraArgs: ['--oidc-base-url', idp.issuer, '--oidc-client-id', 'tessera', '--oidc-client-secret-env', 'TESSERA_TEST_OIDC_SECRET',
                  '--oidc-post-logout-redirect-uri', `${rpUrl}/logout`],
      env: { TESSERA_TEST_OIDC_SECRET: 'tessera-upstream-secret' },
    });
    checkEqual((await fetch(`${server.issuer}/readyz`)).status, 200, '/readyz once the IdP is known');

    // 1. Sign in through the IdP.
    const { browser, context, page } = await launchChromium();
    await page.goto(`${server.issuer}/login?redirect_url=/me`);
    await loginAtIdp(page, idp.issuer);
    await page.waitForURL(`${server.issuer}/me`);
    const me = JSON.parse(await page.evaluate(() => document.body.innerText));
    checkEqual(me.subject, PERSON, '/me subject is the IdP person');
    checkEqual(me.name, 'Ada Lovelace', '/me name from the IdP');
    checkEqual(me.email, `${PERSON}@example.com`, '/me email from the IdP');
    const cookies = await context.cookies(server.issuer);
    check(cookies.some((c) => c.name === 'tessera_session' && c.httpOnly), 'an HttpOnly tessera_session cookie');
    check(!cookies.some((c) => c.name === 'tessera_oidc'), 'the sign-in state cookie is spent');
    checkEqual(stats.grants.filter((g) => g === 'authorization_code').length, 1, 'one code exchange at the IdP');

    // 2. Silent refresh once the IdP's access token is within 30 s of expiry.
    await new Promise((r) => setTimeout(r, (ACCESS_TTL - 30 + 1) * 1000));
    const refreshed = await context.request.get(`${server.issuer}/me`);
    checkEqual(refreshed.status(), 200, '/me after the IdP access token went stale');
    checkEqual(stats.grants.filter((g) => g === 'refresh_token').length, 1, 'one refresh_token grant at the IdP');
    checkEqual((await context.request.get(`${server.issuer}/me`)).status(), 200, '/me again');
    checkEqual(stats.grants.filter((g) => g === 'refresh_token').length, 1, 'fresh tokens: no second refresh');

    // 3. A callback carrying the state of another sign-in is refused with its cause.
    const forged = await context.request.get(`${server.issuer}/callback?code=x&state=not-this-browsers`, { maxRedirects: 0 });
    checkEqual(forged.status(), 400, 'a callback without this browser\'s sign-in');
    check((await forged.text()).includes('no sign-in is in progress'), 'the page names the cause');

    // 4. The built-in server's PKCE flow, a fresh browser: login goes through the IdP.
    const config = await discover(oidc, server, 'tessera-cli', { token_endpoint_auth_method: 'none' }, oidc.None());
    const callback = await startCallbackListener();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callback.redirectUri, scope: 'openid offline all', state, nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const cli = await browser.newContext();
    const cliPage = await cli.newPage();
    cliPage.setDefaultTimeout(20000);
    await cliPage.goto(authUrl.href);
    await loginAtIdp(cliPage, idp.issuer);
    // tessera's own consent page for the CLI.
    await cliPage.waitForURL((u) => u.href.startsWith(server.issuer));
    const got = callback.next();
    await cliPage.locator('button[name="decision"][value="approve"]').click();
    const cbUrl = await got;
    const tokens = await oidc.authorizationCodeGrant(config, cbUrl, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    checkEqual(tokens.claims().sub, PERSON, 'the ID token tessera issued names the IdP person');
    // Flyte's /me answers for a Bearer access token too, in either header.
    for (const header of ['authorization', 'flyte-authorization']) {
      const r = await fetch(`${server.issuer}/me`, { headers: { [header]: `Bearer ${tokens.access_token}` } });
      checkEqual(r.status, 200, `/me with a Bearer token in ${header}`);
      checkEqual((await r.json()).subject, PERSON, `/me subject for the Bearer token in ${header}`);
      checkEqual(r.headers.get('x-user-subject'), PERSON, 'X-User-Subject');
    }
    await cli.close();

    // 5. Logout at both ends.
    await page.goto(`${server.issuer}/logout`);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(idp.issuer)), page.locator('form[method="post"] button[type="submit"]').click()]);
    const endUrl = new URL(page.url());
    log(`at the IdP's logout: ${endUrl.pathname}`);
    checkEqual((await context.request.get(`${server.issuer}/me`)).status(), 401, '/me after logout here');
    // The IdP asks to confirm, then returns to tessera's /logout, which sends the browser on to
    // sign in again: at the IdP, whose session has ended too.
    await page.locator('button[type="submit"], button[name="logout"]').first().click();
    await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`));
    check(await page.locator('input[name="login"]').count() === 1, 'the IdP asks for a login again: its session ended');
    checkEqual((await context.request.get(`${server.issuer}/me`)).status(), 401, '/me stays logged out');
    await server.stop();
  } finally {
    await idp.close();
  }
}, { timeoutMs: 110000 });
