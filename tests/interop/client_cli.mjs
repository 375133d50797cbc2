// Interop: tessera-client (examples/client), the token CLI configured the way Flyte's clients
// are, against a real tessera-server; every run in a sandbox (fresh HOME, XDG_CACHE_HOME and
// working directory; no FLYTECTL_CONFIG, no FLYTE_* but those set here; no display):
//   a. client credentials from the FLYTE_* environment exactly as Flyte's seed page writes it:
//      `token` prints an access token that verifies with jose against the server's JWKS (iss,
//      typ at+jwt, client_id tessera-service, scope all), a second `token` prints the same one
//      from the 0600 cache file, `status` says it is valid; a wrong secret exits 5 naming
//      invalid_client and never showing the secret; `whoami` (Flyte's /me) names
//      tessera-service; `logout` revokes the token (introspection: inactive);
//   b. PKCE from ~/.flyte/config.yaml (dns:///127.0.0.1:PORT, insecure, authType Pkce) with
//      --no-browser and a loopback redirect on any free port: chromium follows the printed URL
//      through /login and the consent page to the CLI's "Signed in." page; `token` then prints
//      the cached token, `whoami` names demo, `status` shows the entry;
//   c. an expired cache entry (expires_at edited to the past) is refreshed by `token`: a new
//      access token and a rotated refresh token in the file;
//   d. four `token` processes at once on one expired entry all print the same new token, and a
//      later refresh still works: no refresh token was spent twice (docs/security.md row 51) —
//      the rotated-out refresh token of c is then refused with invalid_grant (which shows the
//      server does detect reuse: the family's newest token dies with it);
//   g. the device flow (--auth-type DeviceFlow --no-browser): chromium signs in at the printed
//      verification_uri_complete and approves; `status` shows a refresh token and an expiry;
//   f. logout of that entry: the file is gone, the copied refresh token is refused with
//      invalid_grant and the access token introspects inactive;
//   h. a server nobody listens on: `token` exits 3;
//   e. the -v output of every run holds none of the tokens, codes or secrets seen (row 55).
//
//   node tests/interop/client_cli.mjs <tessera-server> <tessera-resource> <tessera-client>
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import {
  runTest, startServer, check, checkEqual, log, launchChromium, clientSandbox, freePort, exitIs, cacheEntry, noCacheEntry, form,
} from './harness.mjs';

const PUBLIC_CLIENT = 'tessera-cli';
const SERVICE_CLIENT = 'tessera-service';

/// The CLI's own lines of stderr, without -v's and the configuration warnings.
function brief(stderr) {
  return stderr.trim().split('\n').filter((l) => !l.startsWith('tessera: ') && !l.startsWith('tessera-client: warning:')).join(' | ');
}




/// Moves the entry's expiry into the past, as an hour of waiting would; the file stays 0600.
function expire(entry) {
  const doc = JSON.parse(fs.readFileSync(entry.file, 'utf8'));
  doc.tokens.expires_at = Math.floor(Date.now() / 1000) - 120;
  fs.writeFileSync(entry.file, `${JSON.stringify(doc)}\n`, { mode: 0o600 });
  fs.chmodSync(entry.file, 0o600);
  return doc;
}

function checkTokens(doc, what) {
  const t = doc.tokens;
  check(typeof t.access_token === 'string' && t.access_token.length > 20, `${what}: an access token in the cache`);
  check(/^bearer$/i.test(t.token_type), `${what}: token_type Bearer (${t.token_type})`);
  const now = Date.now() / 1000;
  check(Number.isInteger(t.expires_at) && t.expires_at > now + 60 && t.expires_at < now + 24 * 3600,
        `${what}: expires_at is a unix time in the future (${t.expires_at})`);
  check(Number.isInteger(t.obtained_at) && Math.abs(t.obtained_at - now) < 120, `${what}: obtained_at is about now (${t.obtained_at})`);
}


function basic(id, secret) {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function refreshRefused(md, refreshToken, what) {
  const r = await form(md.token_endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: PUBLIC_CLIENT });
  checkEqual(r.status, 400, `${what}: status of a refresh with it`);
  checkEqual(r.body.error, 'invalid_grant', `${what}: error of a refresh with it`);
}

runTest('interop_client_cli', async () => {
  const server = await startServer();
  const md = await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json();
  const jwks = jose.createRemoteJWKSet(new URL(md.jwks_uri));
  const cli = clientSandbox();
  const secrets = new Map();  // value -> what it is: none may appear in any run's stderr
  const keep = (value, what) => { if (value) secrets.set(value, what); };
  keep(server.clientSecret, 'the client secret of tessera-service');
  keep(server.userPassword, 'the demo password');

  // --- a. client credentials from the environment --------------------------------------------
  const ccEnv = {
    FLYTE_PLATFORM_URL: server.issuer,
    FLYTE_CREDENTIALS_CLIENT_ID: SERVICE_CLIENT,
    FLYTE_CREDENTIALS_CLIENT_SECRET: server.clientSecret,
    FLYTE_CREDENTIALS_AUTH_MODE: 'basic',
    FLYTE_CREDENTIALS_AUTHORIZATION_METADATA_KEY: 'flyte-authorization',
    FLYTE_CREDENTIALS_OAUTH_SCOPES: 'all',
    FLYTE_PLATFORM_AUTH: 'True',
  };
  let r = await cli.run(['-v', 'token'], { env: ccEnv });
  exitIs(r, 0, 'client credentials: token');
  const ccToken = r.stdout.trim();
  keep(ccToken, 'the client-credentials access token');
  checkEqual(r.stdout, `${ccToken}\n`, 'token prints the access token alone on one line');
  const { payload: cc, protectedHeader: ccHeader } = await jose.jwtVerify(ccToken, jwks, { issuer: server.issuer, typ: 'at+jwt' });
  checkEqual(cc.client_id, SERVICE_CLIENT, 'client-credentials token client_id');
  check(typeof cc.scope === 'string' && cc.scope.split(' ').includes('all'), `client-credentials token scope has all (${cc.scope})`);
  check(r.stderr.includes('tessera: > POST') && r.stderr.includes('grant_type=client_credentials'),
        `-v shows the token request (stderr: ${r.stderr})`);
  check(r.stderr.includes('client authentication: Basic [redacted]'), '-v says Basic authentication was used, redacted');
  log(`client credentials: token verified (${ccHeader.alg}, scope ${cc.scope})`);

  const ccEntry = cacheEntry(cli.cacheDir, 'ClientSecret');
  checkEqual(ccEntry.mode, 0o600, 'cache file mode');
  checkEqual(fs.statSync(cli.cacheDir).mode & 0o777, 0o700, 'cache directory mode');
  checkEqual(ccEntry.doc.tokens.access_token, ccToken, 'the cache holds the printed token');
  checkEqual(ccEntry.doc.client_id, SERVICE_CLIENT, 'cache entry client_id');
  checkEqual(ccEntry.doc.endpoint, server.issuer, 'cache entry endpoint');
  check(typeof ccEntry.doc.key === 'string' && ccEntry.doc.key.length > 0, 'cache entry key');
  checkEqual(path.basename(ccEntry.file), `${ccEntry.doc.key}.json`, 'the file is named after the key');
  checkTokens(ccEntry.doc, 'client credentials');
  check(!JSON.stringify(ccEntry.doc).includes(server.clientSecret), 'the cache file does not hold the client secret');

  r = await cli.run(['-v', 'token'], { env: ccEnv });
  exitIs(r, 0, 'client credentials: second token');
  checkEqual(r.stdout.trim(), ccToken, 'the second token is the cached one');
  check(!r.stderr.includes('grant_type=client_credentials'), `the second token asked the server for nothing (stderr: ${r.stderr})`);

  r = await cli.run(['status'], { env: ccEnv });
  exitIs(r, 0, 'client credentials: status');
  check(/^token\s+valid until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/m.test(r.stdout), `status says the token is valid (${r.stdout})`);
  check(/^flow\s+ClientSecret$/m.test(r.stdout), 'status: flow ClientSecret');
  check(new RegExp(`^client\\s+${SERVICE_CLIENT}$`, 'm').test(r.stdout), 'status: client');
  check(new RegExp(`^endpoint\\s+${server.issuer}$`, 'm').test(r.stdout), 'status: endpoint');
  check(/^secret\s+from \S/m.test(r.stdout), 'status: where the secret comes from');
  check(!r.stdout.includes(server.clientSecret) && !r.stdout.includes(ccToken), 'status shows neither the secret nor the token');
  log('client credentials: cached token reused, status valid');

  r = await cli.run(['-v', 'whoami'], { env: ccEnv });
  exitIs(r, 0, 'client credentials: whoami');
  checkEqual(JSON.parse(r.stdout).subject, SERVICE_CLIENT, 'whoami (Flyte\'s /me) for a client-credentials token');
  r = await cli.run(['-v', 'logout'], { env: ccEnv });
  exitIs(r, 0, 'client credentials: logout');
  check(!fs.existsSync(ccEntry.file), 'logout deletes the client-credentials entry');
  const ccIntro = await form(md.introspection_endpoint, { token: ccToken }, { authorization: basic(SERVICE_CLIENT, server.clientSecret) });
  checkEqual(ccIntro.body.active, false, 'the client-credentials token is revoked by logout');
  log('client credentials: whoami tessera-service; logout revoked the token');

  const wrongSecret = `wrong-${Math.random().toString(36).slice(2)}-secret`;
  keep(wrongSecret, 'the wrong client secret');
  r = await cli.run(['-v', '--cache-dir', path.join(cli.root, 'cache-wrong'), 'token'],
                    { env: { ...ccEnv, FLYTE_CREDENTIALS_CLIENT_SECRET: wrongSecret } });
  exitIs(r, 5, 'client credentials with a wrong secret');
  checkEqual(r.stdout, '', 'no token printed for a wrong secret');
  check(r.stderr.includes('invalid_client'), `stderr names invalid_client (${r.stderr})`);
  log(`wrong secret: exit 5, ${brief(r.stderr)}`);

  // --- h. nobody listening -------------------------------------------------------------------
  const deadPort = await freePort();
  r = await cli.run(['-v', '--cache-dir', path.join(cli.root, 'cache-dead'), 'token'],
                    { env: { ...ccEnv, FLYTE_PLATFORM_URL: `http://127.0.0.1:${deadPort}` } });
  exitIs(r, 3, 'token against a port nobody listens on');
  checkEqual(r.stdout, '', 'no token printed when the server is unreachable');
  log(`unreachable server: exit 3 (${brief(r.stderr)})`);

  // --- b. PKCE through chromium -------------------------------------------------------------
  const flyteDir = path.join(cli.home, '.flyte');
  fs.mkdirSync(flyteDir);
  const configFile = path.join(flyteDir, 'config.yaml');
  fs.writeFileSync(configFile, [
    'admin:',
    `  endpoint: dns:///127.0.0.1:${server.port}`,
    '  insecure: true',
    '  authType: Pkce',
    'logger:',  // other sections of flytectl's config are ignored
    '  show-source: true',
    '',
  ].join('\n'));
  const login = cli.start(['-v', '--no-browser', '--redirect-uri', 'http://127.0.0.1:0/callback', 'login']);
  const [, authUrlText] = await login.waitStderr(/Sign in through your browser\. If it does not open, visit:\n\n {2}(\S+)\n/);
  const authUrl = new URL(authUrlText);
  checkEqual(`${authUrl.origin}${authUrl.pathname}`, md.authorization_endpoint, 'the printed URL is the authorization endpoint');
  checkEqual(authUrl.searchParams.get('client_id'), PUBLIC_CLIENT, 'authorization URL client_id (the server\'s advertised client)');
  checkEqual(authUrl.searchParams.get('code_challenge_method'), 'S256', 'authorization URL code_challenge_method');
  checkEqual(authUrl.searchParams.get('response_type'), 'code', 'authorization URL response_type');
  check(/^[A-Za-z0-9_-]{43}$/.test(authUrl.searchParams.get('code_challenge') ?? ''), 'authorization URL code_challenge');
  check((authUrl.searchParams.get('state') ?? '').length >= 32, 'authorization URL state');
  const redirect = new URL(authUrl.searchParams.get('redirect_uri'));
  checkEqual(redirect.hostname, '127.0.0.1', 'redirect host');
  check(Number(redirect.port) > 0, `the redirect names the port the CLI listens on (${redirect.href})`);
  checkEqual(redirect.pathname, '/callback', 'redirect path');
  checkEqual(authUrl.searchParams.get('scope'), 'all offline', 'authorization URL scope (the server\'s advertised scopes)');
  log(`login waits at ${redirect.href}`);

  const { browser, page } = await launchChromium();
  await page.goto(authUrl.href);
  checkEqual(new URL(page.url()).pathname, '/login', 'the browser is sent to /login');
  const loginForm = page.locator('form[method="post"]');
  await loginForm.locator('input[name="username"]').fill('demo');
  await loginForm.locator('input[name="password"]').fill(server.userPassword);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/oauth2/consent', { waitUntil: 'load', timeout: 15000 }),
    loginForm.locator('button[type="submit"]').click(),
  ]);
  check((await page.locator('main').innerText()).includes(PUBLIC_CLIENT), 'the consent page names tessera-cli');
  await Promise.all([
    page.waitForURL((u) => u.origin === redirect.origin && u.pathname === '/callback', { waitUntil: 'load', timeout: 15000 }),
    page.locator('button[name="decision"][value="approve"]').click(),
  ]);
  const landed = new URL(page.url());
  keep(landed.searchParams.get('code'), 'the authorization code');
  checkEqual(landed.searchParams.get('iss'), server.issuer, 'the callback carries iss');
  const cliPage = await page.locator('body').innerText();
  check(cliPage.includes('Signed in'), `the CLI's page says "Signed in" (it says: ${cliPage})`);
  await login.done;
  exitIs(login, 0, 'PKCE login');
  check(/signed in to http:\/\/127\.0\.0\.1:\d+/.test(login.stderr), `login reports where it signed in (${login.stderr})`);
  const pkceEntry = cacheEntry(cli.cacheDir, 'Pkce');
  checkEqual(pkceEntry.mode, 0o600, 'PKCE cache file mode');
  checkEqual(pkceEntry.doc.endpoint, server.issuer, 'PKCE cache entry endpoint (dns:/// and insecure -> http)');
  check(['', PUBLIC_CLIENT].includes(pkceEntry.doc.client_id), `PKCE cache entry client_id (${pkceEntry.doc.client_id})`);
  checkTokens(pkceEntry.doc, 'PKCE');
  const at0 = pkceEntry.doc.tokens.access_token;
  const rt0 = pkceEntry.doc.tokens.refresh_token;
  keep(at0, 'the PKCE access token');
  keep(rt0, 'the PKCE refresh token');
  check(typeof rt0 === 'string' && rt0.length > 20, 'PKCE: a refresh token (scope offline)');
  const { payload: pk } = await jose.jwtVerify(at0, jwks, { issuer: server.issuer, typ: 'at+jwt' });
  checkEqual(pk.sub, 'demo', 'PKCE access token sub');
  checkEqual(pk.client_id, PUBLIC_CLIENT, 'PKCE access token client_id');
  log('PKCE: chromium signed in, the CLI exchanged the code and cached the tokens');

  r = await cli.run(['-v', 'token']);
  exitIs(r, 0, 'PKCE: token after login');
  checkEqual(r.stdout.trim(), at0, 'token prints the cached PKCE access token');
  check(!r.stderr.includes('Sign in through your browser') && !r.stderr.includes('> POST'),
        `token after login neither signs in nor asks the token endpoint (stderr: ${r.stderr})`);

  r = await cli.run(['-v', 'whoami']);
  exitIs(r, 0, 'whoami');
  let who;
  try { who = JSON.parse(r.stdout); } catch { throw new Error(`check failed: whoami prints JSON (got ${r.stdout})`); }
  check((who.sub ?? who.subject) === 'demo', `whoami names demo (${r.stdout.trim()})`);
  log(`whoami: ${r.stdout.trim()}`);

  r = await cli.run(['status']);
  exitIs(r, 0, 'PKCE: status');
  check(/^flow\s+Pkce$/m.test(r.stdout), `status: flow Pkce (${r.stdout})`);
  checkEqual(r.stdout.match(/^config\s+(.*)$/m)?.[1], configFile, 'status: the config file found in ~/.flyte');
  check(new RegExp(`^endpoint\\s+${server.issuer}$`, 'm').test(r.stdout), 'status: endpoint');
  check(/^token\s+valid until /m.test(r.stdout), 'status: valid');
  check(/^refresh\s+refresh token cached$/m.test(r.stdout), 'status: refresh token cached');
  checkEqual(r.stdout.match(/^cache\s+(.*)$/m)?.[1], pkceEntry.file, 'status: the cache file');

  // --- c. refresh of an expired entry -------------------------------------------------------
  expire(pkceEntry);
  checkEqual(fs.statSync(pkceEntry.file).mode & 0o777, 0o600, 'the edited cache file is still 0600');
  r = await cli.run(['status']);
  check(/^token\s+expired at /m.test(r.stdout), `status says expired (${r.stdout})`);
  r = await cli.run(['-v', 'token']);
  exitIs(r, 0, 'token on an expired entry');
  const at1 = r.stdout.trim();
  keep(at1, 'the refreshed access token');
  check(at1 !== at0, 'a new access token after expiry');
  check(r.stderr.includes('grant_type=refresh_token'), `the CLI refreshed (stderr: ${r.stderr})`);
  check(!r.stderr.includes('Sign in through your browser'), 'no sign-in for a refresh');
  let doc = cacheEntry(cli.cacheDir, 'Pkce').doc;
  checkTokens(doc, 'after refresh');
  checkEqual(doc.tokens.access_token, at1, 'the cache holds the refreshed token');
  const rt1 = doc.tokens.refresh_token;
  keep(rt1, 'the rotated refresh token');
  check(rt1 && rt1 !== rt0, 'the refresh token was rotated');
  const { payload: p1 } = await jose.jwtVerify(at1, jwks, { issuer: server.issuer, typ: 'at+jwt' });
  checkEqual(p1.sub, 'demo', 'refreshed token sub');
  log('expired entry: refreshed, refresh token rotated');

  // --- d. four processes on one expired entry -----------------------------------------------
  expire(pkceEntry);
  const parallel = [];
  for (let i = 0; i < 4; ++i) parallel.push(cli.start(['-v', 'token'], { timeoutMs: 30000 }));
  const done = await Promise.all(parallel.map((p) => p.done));
  done.forEach((p, i) => exitIs(p, 0, `parallel token ${i + 1}`));
  const at2 = done[0].stdout.trim();
  keep(at2, 'the access token of the parallel refresh');
  check(at2 !== at1, 'the parallel runs got a new token');
  done.forEach((p, i) => checkEqual(p.stdout.trim(), at2, `parallel token ${i + 1} prints the same token`));
  checkEqual(done.filter((p) => p.stderr.includes('grant_type=refresh_token')).length, 1, 'exactly one of the four refreshed');
  check(done.every((p) => !p.stderr.includes('Sign in through your browser')), 'none of the four had to sign in');
  doc = cacheEntry(cli.cacheDir, 'Pkce').doc;
  checkEqual(doc.tokens.access_token, at2, 'the cache holds the token the four printed');
  const rt2 = doc.tokens.refresh_token;
  keep(rt2, 'the refresh token after the parallel refresh');
  check(rt2 !== rt1, 'rotated once more');
  expire(pkceEntry);
  r = await cli.run(['-v', 'token']);
  exitIs(r, 0, 'a refresh after the parallel runs');
  const at3 = r.stdout.trim();
  keep(at3, 'the access token after the parallel refresh');
  check(at3 !== at2 && r.stderr.includes('grant_type=refresh_token'), 'refreshed again: the family is intact');
  doc = cacheEntry(cli.cacheDir, 'Pkce').doc;
  const rt3 = doc.tokens.refresh_token;
  keep(rt3, 'the last PKCE refresh token');
  log('four parallel token runs: one refresh, one token, and the family still refreshes');

  // c, continued: the rotated-out refresh token is refused — and, since the server detects
  // reuse, the family's newest refresh token dies with it (so d would have failed had two
  // processes spent one refresh token).
  await refreshRefused(md, rt0, 'the rotated-out refresh token');
  await refreshRefused(md, rt3, 'the newest refresh token after a reuse');
  log('rotated-out refresh token: invalid_grant (and the server revoked its family)');

  // --- g. device flow -----------------------------------------------------------------------
  const device = cli.start(['-v', '--auth-type', 'DeviceFlow', '--no-browser', 'login'], { timeoutMs: 60000 });
  const [, verification] = await device.waitStderr(/To sign in, visit:\n\n {2}(\S+)\n/);
  const [, userCode] = await device.waitStderr(/shows the code (\S+)\./);
  const vurl = new URL(verification);
  checkEqual(`${vurl.origin}${vurl.pathname}`, `${server.issuer}/oauth2/device`, 'verification_uri_complete');
  check(/^[A-Z]{4}-[A-Z]{4}$/.test(userCode), `user code (${userCode})`);
  const deviceContext = await browser.newContext();
  const dpage = await deviceContext.newPage();
  dpage.setDefaultTimeout(20000);
  await dpage.goto(verification);
  checkEqual(new URL(dpage.url()).pathname, '/login', 'device: a fresh browser is sent to /login');
  const dlogin = dpage.locator('form[method="post"]');
  await dlogin.locator('input[name="username"]').fill('demo');
  await dlogin.locator('input[name="password"]').fill(server.userPassword);
  await Promise.all([
    dpage.waitForURL((u) => u.pathname === '/oauth2/device', { waitUntil: 'load' }),
    dlogin.locator('button[type="submit"]').click(),
  ]);
  const dform = dpage.locator('form[action="/oauth2/device"]');
  checkEqual(await dform.locator('input[name="user_code"]').inputValue(), userCode, 'the device page has the code filled in');
  await Promise.all([
    dpage.waitForResponse((x) => x.request().method() === 'POST' && new URL(x.url()).pathname === '/oauth2/device'),
    dform.locator('button', { hasText: 'Continue' }).click(),
  ]);
  await dpage.waitForLoadState();
  await Promise.all([
    dpage.waitForResponse((x) => x.request().method() === 'POST' && new URL(x.url()).pathname === '/oauth2/device'),
    dpage.locator('form[action="/oauth2/device"] button[name="decision"][value="approve"]').click(),
  ]);
  await dpage.waitForLoadState();
  checkEqual(await dpage.locator('h1').innerText(), 'Device connected', 'device approval page');
  await device.done;
  exitIs(device, 0, 'device login');
  const devEntry = cacheEntry(cli.cacheDir, 'DeviceFlow');
  checkEqual(devEntry.mode, 0o600, 'device cache file mode');
  checkTokens(devEntry.doc, 'device flow');
  const devAt = devEntry.doc.tokens.access_token;
  const devRt = devEntry.doc.tokens.refresh_token;
  keep(devAt, 'the device access token');
  keep(devRt, 'the device refresh token');
  check(typeof devRt === 'string' && devRt.length > 20, 'device flow: a refresh token');
  const { payload: dp } = await jose.jwtVerify(devAt, jwks, { issuer: server.issuer, typ: 'at+jwt' });
  checkEqual(dp.sub, 'demo', 'device access token sub');
  r = await cli.run(['--auth-type', 'DeviceFlow', 'status']);
  exitIs(r, 0, 'device: status');
  check(/^flow\s+DeviceFlow$/m.test(r.stdout), `status: flow DeviceFlow (${r.stdout})`);
  check(/^token\s+valid until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ min left\)$/m.test(r.stdout), 'status: an expiry');
  check(/^refresh\s+refresh token cached$/m.test(r.stdout), 'status: a refresh token');
  r = await cli.run(['--auth-type', 'DeviceFlow', 'token']);
  exitIs(r, 0, 'device: token');
  checkEqual(r.stdout.trim(), devAt, 'device: token prints the cached token');
  log(`device flow: approved in chromium (code ${userCode}); tokens cached`);

  // --- f. logout ------------------------------------------------------------------------------
  r = await cli.run(['-v', '--auth-type', 'DeviceFlow', 'logout']);
  exitIs(r, 0, 'logout');
  check(r.stderr.includes('signed out'), `logout says so (${r.stderr})`);
  check(!fs.existsSync(devEntry.file), 'the cache file is gone after logout');
  noCacheEntry(cli.cacheDir, 'DeviceFlow');
  await refreshRefused(md, devRt, 'the refresh token after logout');
  const intro = await form(md.introspection_endpoint, { token: devAt }, { authorization: basic(SERVICE_CLIENT, server.clientSecret) });
  checkEqual(intro.status, 200, 'introspection status');
  checkEqual(intro.body.active, false, 'the access token is inactive after logout');
  r = await cli.run(['--auth-type', 'DeviceFlow', 'status']);
  check(/^token\s+none/m.test(r.stdout), `status after logout: none (${r.stdout})`);
  r = await cli.run(['-v', '--auth-type', 'DeviceFlow', 'logout']);
  exitIs(r, 0, 'a second logout (nothing cached)');
  log('logout: cache file gone, refresh token refused, access token inactive');

  // --- e. nothing secret in any output ----------------------------------------------------------
  check(cli.runs.length >= 20, `many runs checked (${cli.runs.length})`);
  // Each secret also in the encodings a leak would take: form-encoded, base64 (a Basic header).
  const encodings = [];
  for (const [value, what] of secrets) {
    encodings.push([encodeURIComponent(value), `${what} (URL-encoded)`]);
    encodings.push([Buffer.from(value).toString('base64').replace(/=+$/, ''), `${what} (base64)`]);
  }
  for (const run of cli.runs) {
    for (const [value, what] of encodings) {
      if (value.length >= 8 && (run.stderr.includes(value) || (run.stdout.includes(value) && run.args.at(-1) !== 'token')))
        throw new Error(`check failed: the output of tessera-client ${run.args.join(' ')} contains ${what}`);
    }
    for (const [value, what] of secrets) {
      if (run.stderr.includes(value))
        throw new Error(`check failed: the stderr of tessera-client ${run.args.join(' ')} contains ${what}:\n${run.stderr}`);
      if (run.stdout.includes(value) && !(run.args.at(-1) === 'token' && value === run.stdout.trim()))
        throw new Error(`check failed: the stdout of tessera-client ${run.args.join(' ')} contains ${what}`);
    }
  }
  const verbose = cli.runs.filter((x) => x.args.includes('-v'));
  check(verbose.some((x) => x.stderr.includes('refresh_token=[redacted]')), '-v shows refresh requests redacted');
  check(verbose.some((x) => x.stderr.includes('code=[redacted]')), '-v shows the code exchange redacted');
  check(verbose.some((x) => x.stderr.includes('device_code=[redacted]')), '-v shows device polls redacted');
  check(verbose.some((x) => / token=\[redacted\]&token_type_hint=/.test(x.stderr)), '-v shows revocations redacted');
  log(`${cli.runs.length} runs (${verbose.length} with -v): no token, code or secret in their output`);
}, { timeoutMs: 110000 });
