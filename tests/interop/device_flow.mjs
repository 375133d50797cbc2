// Interop: the device authorization grant (RFC 8628) of the public client `tessera-cli` with
// openid-client polling and a real browser (Debian's chromium via playwright-core) approving:
//   openid-client initiates -> polling starts (authorization_pending) -> the browser opens
//   verification_uri_complete, is sent to /login, signs in as demo, comes back to the device
//   page with the user code filled in, continues to the page naming the client and approves
//   -> the polling completes with tokens for demo (access token verified with jose) -> a second device code is denied and its polling
//   ends with access_denied.
//
//   node tests/interop/device_flow.mjs <path to tessera-server>
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { runTest, startServer, check, checkEqual, expectReject, discover, log, launchChromium } from './harness.mjs';

const CLIENT = 'tessera-cli';

async function decide(page, device, decision) {
  await page.goto(device.verification_uri_complete);
  const u = new URL(page.url());
  checkEqual(u.pathname, '/oauth2/device', 'the device page');
  const form = page.locator('form[action="/oauth2/device"]');
  checkEqual(await form.locator('input[name="user_code"]').inputValue(), device.user_code, 'the user code is filled in');
  // First the code, then a page that says who asks for what (RFC 8628 §5.4), then the decision.
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/oauth2/device'),
    form.locator('button', { hasText: 'Continue' }).click(),
  ]);
  await page.waitForLoadState();
  const confirm = page.locator('form[action="/oauth2/device"]');
  const message = await page.locator('p').first().innerText();
  if ((await confirm.locator('button[name="decision"]').count()) === 0) {
    log(`the code was not accepted: ${message}`);
    return page.locator('h1').innerText();  // e.g. a used or unknown code: the entry form again
  }
  check(message.includes(`"${CLIENT}"`), `the confirmation page names the client (${message})`);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/oauth2/device'),
    confirm.locator(`button[name="decision"][value="${decision}"]`).click(),
  ]);
  await page.waitForLoadState();
  return page.locator('h1').innerText();
}

runTest('interop_device_flow', async () => {
  const server = await startServer();
  const config = await discover(oidc, server, CLIENT, { token_endpoint_auth_method: 'none' }, oidc.None());
  const md = config.serverMetadata();
  check(md.grant_types_supported?.includes('urn:ietf:params:oauth:grant-type:device_code'), 'metadata: device_code grant');
  check(md.device_authorization_endpoint, 'metadata: device_authorization_endpoint');

  const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid offline all' });
  check(/^[A-Z]{4}-[A-Z]{4}$/.test(device.user_code), `user code looks like XXXX-XXXX (${device.user_code})`);
  checkEqual(device.verification_uri, `${server.issuer}/oauth2/device`, 'verification_uri');
  check(device.verification_uri_complete?.startsWith(device.verification_uri), 'verification_uri_complete');
  log(`device authorization: user code ${device.user_code}, interval ${device.interval}s, expires in ${device.expires_in}s`);

  const polling = oidc.pollDeviceAuthorizationGrant(config, device);
  polling.catch(() => {});  // awaited below; no unhandled rejection meanwhile

  const { page } = await launchChromium();
  await page.goto(device.verification_uri_complete);
  checkEqual(new URL(page.url()).pathname, '/login', 'not logged in: sent to /login');
  const login = page.locator('form[method="post"]');
  await login.locator('input[name="username"]').fill('demo');
  await login.locator('input[name="password"]').fill(server.userPassword);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/oauth2/device', { waitUntil: 'load' }),
    login.locator('button[type="submit"]').click(),
  ]);
  log('logged in, back on the device page');
  checkEqual(await decide(page, device, 'approve'), 'Device connected', 'approval page title');

  const tokens = await polling;
  check(typeof tokens.access_token === 'string', 'polling: an access token');
  check(typeof tokens.refresh_token === 'string', 'polling: a refresh token (scope offline)');
  const jwks = jose.createRemoteJWKSet(new URL(md.jwks_uri));
  const { payload } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: server.issuer, typ: 'at+jwt' });
  checkEqual(payload.sub, 'demo', 'device access token sub');
  checkEqual(payload.client_id, CLIENT, 'device access token client_id');
  if (tokens.id_token) checkEqual(tokens.claims().sub, 'demo', 'device ID token sub');
  const info = await oidc.fetchUserInfo(config, tokens.access_token, 'demo');
  checkEqual(info.sub, 'demo', 'userinfo sub');
  log('approved: polling completed with tokens for demo');

  // The same user code again: already used.
  checkEqual(await decide(page, device, 'approve'), 'Connect a device', 'a used user code is not accepted again');

  // Denied: the polling ends with access_denied.
  const denied = await oidc.initiateDeviceAuthorization(config, { scope: 'all' });
  const deniedPolling = oidc.pollDeviceAuthorizationGrant(config, denied);
  deniedPolling.catch(() => {});
  checkEqual(await decide(page, denied, 'deny'), 'Device denied', 'denial page title');
  await expectReject(deniedPolling, 'polling a denied device code', (e) => e.error === 'access_denied');
  log('denied: polling ended with access_denied');
}, { timeoutMs: 110000 });
