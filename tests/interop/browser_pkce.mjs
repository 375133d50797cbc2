// Interop: a real browser (Debian's chromium driven by playwright-core) and openid-client run
// the authorization-code + PKCE flow of the public client `tessera-cli` against a real
// tessera-server:
//   openid-client builds the authorization URL (S256, state, nonce, `openid offline all`,
//   a loopback redirect on a free port: RFC 8252 §7.3) -> the browser is sent to /login ->
//   a wrong password shows the form again with an error and starts no session -> the right
//   one leads to the consent page (client, user, destination; docs/security.md row 37) ->
//   Allow lands on the callback listener with code, state and iss -> openid-client exchanges the
//   code (validating the ID token: iss, aud, nonce, signature via JWKS; at_hash checked here
//   with jose) -> refresh with rotation (the old refresh token then fails with invalid_grant,
//   and reuse revokes the family) -> userinfo (sub demo) -> /me in the browser shows demo ->
//   prompt=consent asks again, and Deny sends access_denied to the callback.
//
//   node tests/interop/browser_pkce.mjs <path to tessera-server>
import * as oidc from 'openid-client';
import * as jose from 'jose';
import {
  runTest, startServer, check, checkEqual, expectReject, discover, log, launchChromium, startCallbackListener,
} from './harness.mjs';

const CLIENT = 'tessera-cli';

function atHash(accessToken, alg) {
  const bits = { RS256: 256, ES256: 256, PS256: 256, RS384: 384, ES384: 384, RS512: 512, ES512: 512, EdDSA: 512 }[alg];
  return import('node:crypto').then(({ createHash }) => {
    const digest = createHash(`sha${bits}`).update(accessToken).digest();
    return jose.base64url.encode(digest.subarray(0, digest.length / 2));
  });
}

async function loginForm(page) {
  check(new URL(page.url()).pathname === '/login', `the browser is on /login (it is on ${page.url()})`);
  const form = page.locator('form[method="post"]');
  checkEqual(await form.count(), 1, 'one login form');
  check(await form.locator('input[type="hidden"][name="csrf_token"]').count() === 1, 'a hidden csrf_token field');
  return form;
}

runTest('interop_browser_pkce', async () => {
  const server = await startServer();
  const config = await discover(oidc, server, CLIENT, { token_endpoint_auth_method: 'none' }, oidc.None());
  const md = config.serverMetadata();
  check(md.code_challenge_methods_supported?.includes('S256'), 'metadata: S256');
  checkEqual(md.authorization_response_iss_parameter_supported, true, 'metadata: RFC 9207 iss parameter');

  const callback = await startCallbackListener();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const authUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callback.redirectUri,
    scope: 'openid offline all',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  log(`authorization URL ${authUrl.href}`);

  const { context, page, trail } = await launchChromium();
  await page.goto(authUrl.href);
  let form = await loginForm(page);

  // A wrong password: the form again, with an error, and no session.
  await form.locator('input[name="username"]').fill('demo');
  await form.locator('input[name="password"]').fill(`${server.userPassword}-wrong`);
  const [failed] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
    form.locator('button[type="submit"]').click(),
  ]);
  await page.waitForLoadState();
  checkEqual(failed.status(), 401, 'status of a wrong-password POST /login');
  form = await loginForm(page);
  check((await page.locator('.error[role="alert"]').innerText()).includes('Wrong user name or password'),
        'the form shows "Wrong user name or password."');
  checkEqual(await form.locator('input[name="username"]').inputValue(), 'demo', 'the user name is kept');
  checkEqual(await form.locator('input[name="password"]').inputValue(), '', 'the password is not echoed');
  check(!(await page.content()).includes(server.userPassword), 'the page does not contain the password');
  const noSession = await context.request.get(`${server.issuer}/me`);
  checkEqual(noSession.status(), 401, '/me after a wrong password (no session)');
  check(callback.received.length === 0, 'no redirect to the client after a wrong password');
  log('wrong password: form again with an error, no session');

  // The right password: redirected (303 -> /oauth2/authorize_callback -> 303) to the consent
  // page: demo never allowed tessera-cli, so no code goes anywhere before demo decides.
  await form.locator('input[name="password"]').fill(server.userPassword);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/oauth2/consent', { waitUntil: 'load', timeout: 15000 }),
    form.locator('button[type="submit"]').click(),
  ]);
  check(callback.received.length === 0, 'no redirect to the client before the consent');
  const consent = page.locator('form[method="post"][action="/oauth2/consent"]');
  checkEqual(await consent.count(), 1, 'one consent form');
  check(await consent.locator('input[type="hidden"][name="csrf_token"]').count() === 1, 'the consent form has a csrf_token');
  const shown = await page.locator('main').innerText();
  check(shown.includes(CLIENT), `the consent page names the client (${shown})`);
  check(shown.includes('demo'), 'the consent page names the signed-in user');
  check(shown.includes('an application on this computer'), 'the consent page says the answer goes to a local application');
  log('consent page: client, user, scopes and destination shown');

  // Allow: redirected (303) to the loopback callback. If the browser blocks that redirect, the
  // rest of the flow is still checked (the consent is remembered by then, so a fresh
  // navigation to the authorization URL goes straight to the callback) and the test fails at
  // the end with the reason.
  const reached = callback.next(40000);  // also serves the second navigation below
  reached.catch(() => {});  // awaited below
  const trailBefore = trail.length;
  let blocked;
  try {
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(callback.redirectUri), { waitUntil: 'load', timeout: 15000 }),
      consent.locator('button[name="decision"][value="approve"]').click(),
    ]);
  } catch (e) {
    await page.waitForTimeout(1000);  // chromium logs the reason just after the abort
    const since = trail.slice(trailBefore);
    const csp = since.find((l) => /Content Security Policy/.test(l));
    blocked = `after Allow on the consent page the browser never reached the client's redirect URI ${callback.redirectUri}: ${e.message.split('\n')[0]}` +
      (csp ? `\n  chromium: ${csp}\n  (the page's CSP form-action applies to every redirect that follows the form POST, ` +
                `so it must allow the client's redirect URI, or not be set)` : '') +
      `\n  navigation: ${since.join('\n              ')}`;
    console.error(`FAILED (continuing to check the rest of the flow): ${blocked}`);
    check((await context.request.get(`${server.issuer}/me`)).status() === 200, 'the login itself started a session');
    await page.goto(authUrl.href, { waitUntil: 'load' });
    check(page.url().startsWith(callback.redirectUri), `with a session and a consent, /oauth2/authorize redirects straight to the callback (at ${page.url()})`);
  }
  const got = await reached;  // the server really redirected the browser to our listener
  const current = new URL(page.url());
  checkEqual(current.href, got.href, 'the browser URL is the one the listener received');
  check(current.searchParams.get('code'), 'the callback has a code');
  checkEqual(current.searchParams.get('state'), state, 'callback state');
  checkEqual(current.searchParams.get('iss'), server.issuer, 'callback iss (RFC 9207)');
  check(!current.searchParams.has('error'), `no error on the callback (${current.search})`);
  log('callback reached with code, state and iss');

  const tokens = await oidc.authorizationCodeGrant(config, current, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  checkEqual(claims.sub, 'demo', 'ID token sub');
  checkEqual(claims.iss, server.issuer, 'ID token iss');
  check(claims.aud === CLIENT || (Array.isArray(claims.aud) && claims.aud.includes(CLIENT)), `ID token aud has ${CLIENT}`);
  checkEqual(claims.nonce, nonce, 'ID token nonce');
  check(typeof tokens.refresh_token === 'string' && tokens.refresh_token.length > 0, 'a refresh token (scope offline)');
  check(tokens.scope === undefined || tokens.scope.split(' ').includes('openid'), `granted scope has openid (${tokens.scope})`);
  // openid-client checks the signature through the JWKS; check it independently with jose too,
  // and at_hash (OIDC Core §3.1.3.6), which openid-client does not require.
  const jwks = jose.createRemoteJWKSet(new URL(md.jwks_uri));
  const { payload: idt, protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, { issuer: server.issuer, audience: CLIENT });
  checkEqual(idt.at_hash, await atHash(tokens.access_token, protectedHeader.alg), 'ID token at_hash');
  const { payload: at } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: server.issuer, typ: 'at+jwt' });
  checkEqual(at.sub, 'demo', 'access token sub');
  checkEqual(at.client_id, CLIENT, 'access token client_id');
  log('code exchanged: ID token (iss, aud, nonce, at_hash, signature) and access token valid');

  // Refresh with rotation.
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
  check(typeof refreshed.access_token === 'string', 'refresh: a new access token');
  check(typeof refreshed.refresh_token === 'string' && refreshed.refresh_token !== tokens.refresh_token,
        'refresh: a new, different refresh token (rotation)');
  if (refreshed.id_token) checkEqual(refreshed.claims().sub, 'demo', 'refreshed ID token sub');

  const info = await oidc.fetchUserInfo(config, refreshed.access_token, 'demo');
  checkEqual(info.sub, 'demo', 'userinfo sub');
  if (info.preferred_username !== undefined) checkEqual(info.preferred_username, 'demo', 'userinfo preferred_username');
  log(`refresh rotated; userinfo ${JSON.stringify(info)}`);

  await expectReject(oidc.refreshTokenGrant(config, tokens.refresh_token), 'the rotated-out refresh token',
                     (e) => e.error === 'invalid_grant');
  // Reuse detection: replaying the old token revoked its family, the new one included.
  await expectReject(oidc.refreshTokenGrant(config, refreshed.refresh_token), 'the newest refresh token after a reuse',
                     (e) => e.error === 'invalid_grant');
  log('old refresh token: invalid_grant; its family is revoked');

  // A code is single use (a replay would also revoke what it issued: done above already).
  await expectReject(oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }),
                     'a replayed authorization code', (e) => e.error === 'invalid_grant');

  // The browser's session: /me shows the demo user.
  const me = await page.goto(`${server.issuer}/me`);
  checkEqual(me.status(), 200, '/me status in the browser');
  const doc = JSON.parse(await page.locator('body').innerText());
  checkEqual(doc.subject, 'demo', '/me subject');
  checkEqual(doc.preferred_username, 'demo', '/me preferred_username');
  log(`/me in the browser: ${JSON.stringify(doc)}`);

  if (blocked) throw new Error(blocked);

  // prompt=consent asks again although demo allowed tessera-cli; Deny sends access_denied.
  const again = new URL(authUrl.href);
  again.searchParams.set('prompt', 'consent');
  again.searchParams.set('state', 'deny-state');
  await page.goto(again.href, { waitUntil: 'load' });
  checkEqual(new URL(page.url()).pathname, '/oauth2/consent', 'prompt=consent shows the consent page');
  const deniedAt = callback.next(40000);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(callback.redirectUri), { waitUntil: 'load', timeout: 15000 }),
    page.locator('button[name="decision"][value="deny"]').click(),
  ]);
  await deniedAt;
  const denied = new URL(page.url());
  checkEqual(denied.searchParams.get('error'), 'access_denied', 'Deny: error at the callback');
  checkEqual(denied.searchParams.get('state'), 'deny-state', 'Deny: state at the callback');
  check(!denied.searchParams.has('code'), 'Deny: no code');
  log('prompt=consent: the page again; Deny -> access_denied');
}, { timeoutMs: 110000 });
