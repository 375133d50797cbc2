// Interop: the guides in docs/idp/ and docs/flyte.md, followed step by step. Each guide marks
// the YAML blocks it means to be used as they are with an HTML comment (`<!-- test:NAME -->`)
// right before the fence. For each guide this test takes those blocks out of the markdown,
// replaces only the example URLs, ports and paths with loopback ones (every replaced string
// must occur, so a changed example fails here instead of being skipped), runs the guide's
// steps (`tessera-server secrets init`, the client secret where the guide puts it, `--check`,
// start, `/readyz`), and signs a person in with chromium against a local IdP that behaves like
// that IdP where tessera's profile cares:
//
//   okta         oidc-provider mounted at /oauth2/default: `idp=` of /login and
//                offline_access reach it; `tessera-client` (flytectl's config from
//                docs/flyte.md) gets a token through it. External mode (okta.md §5): an
//                Okta-like custom authorization server at /oauth2/aus1flyte (RFC 8414 document
//                too) is relayed, its JWT access tokens for api://flyte accepted at /me, others not;
//   google       issuer without a path; `access_type=offline` received, no offline_access;
//   gcp-identity nobody signs in (/login: 500 naming why); an ID token of the project
//                (aud = project id, issuer /<project>) accepted at /me as `IDToken`, one of
//                another project refused; no oidc_client_secret needed;
//   azure-ad     tenants at /<tenant>/v2.0 whose tokens carry `tid`: sign-in at the docs'
//                tenant; /organizations/v2.0 ({tenantid} template) with the docs' allow-list:
//                a listed tenant's ID token accepted at /me, another tenant's refused;
//   auth0        issuer with a trailing slash; `audience` on the authorization and token
//                requests; the client secret from FLYTE_SECRET_oidc_client_secret;
//   keycloak     realm at /realms/flyte, the profile chosen from the path alone; logout ends
//                both sessions and returns to the registered post-logout URI;
//   github       no certified peer: a loopback emulation of GitHub's OAuth endpoints in
//                GitHub Enterprise Server's layout (JSON only with Accept: application/json,
//                API /api/v3/user and /user/emails); subject = the numeric id;
//   flyte        tessera-server in Self mode (flyte.md step 2, the propeller and flyteadmin
//                hashes from `secrets hash --generate`) behind an Okta-like IdP; a second
//                tessera-server in flyteadmin's place with the Helm values of step 4
//                (External); a person signs in at the second through the first; tessera-client
//                with step 5's file (PKCE through chromium) and step 6's (client credentials
//                with the generated password) gets tokens the second accepts at /me.
//
//   node tests/interop/idp_guides.mjs <tessera-server> <tessera-resource> <tessera-client>
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import Provider from 'oidc-provider';
import {
  runTest, startServer, startProgram, serverPath, freePort, check, checkEqual, log, launchChromium, onCleanup,
  clientSandbox, exitIs, startCallbackListener,
} from './harness.mjs';

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-guides-'));
onCleanup(() => fs.rmSync(scratch, { recursive: true, force: true }));

// --- the guides' blocks ------------------------------------------------------------------------

/// The fenced block right after `<!-- test:NAME -->` in docs/FILE (exactly one).
function docBlock(file, name) {
  const text = fs.readFileSync(path.join(DOCS, file), 'utf8');
  const re = new RegExp(`<!-- test:${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\`\\n`, 'g');
  const found = [...text.matchAll(re)];
  check(found.length === 1, `docs/${file} has one block marked test:${name} (found ${found.length})`);
  return found[0][1];
}

/// `text` with each [from, to] replaced; every `from` must occur.
function localize(text, pairs, what) {
  let out = text;
  for (const [from, to] of pairs) {
    const hit = from instanceof RegExp ? from.test(out) : out.includes(from);
    check(hit, `${what}: the example value ${from} is in the block`);
    out = from instanceof RegExp ? out.replace(from, to) : out.replaceAll(from, to);
  }
  return out;
}

/// What every tessera-server block of docs/idp/ names: public URL, listen address, data and
/// secrets directories.
function serverPairs(publicUrl, port, dir, publicExample = 'https://flyte.example.com') {
  return [
    [publicExample, publicUrl],
    [/^( {2}listen:) 0\.0\.0\.0:8088$/m, `$1 127.0.0.1:${port}`],
    ['/var/lib/tessera-server', path.join(dir, 'data')],
    ['/etc/secrets', path.join(dir, 'secrets')],
  ];
}

function yamlValue(block, key) {
  const m = new RegExp(`^\\s*${key}: (\\S+)$`, 'm').exec(block);
  check(m, `the block names ${key}`);
  return m[1];
}

function run(args, input) {
  return spawnSync(serverPath(), args, { input, encoding: 'utf8', timeout: 60000 });
}

/// The guides' first step: Flyte's secrets in DIR/secrets.
function secretsInit(dir) {
  const r = run(['secrets', 'init', '-p', path.join(dir, 'secrets')]);
  checkEqual(r.status, 0, `tessera-server secrets init (${r.stderr})`);
}

/// `tessera-server secrets hash --generate`: { password, hash }.
function generateSecret() {
  const r = run(['secrets', 'hash', '--generate']);
  checkEqual(r.status, 0, `secrets hash --generate (${r.stderr})`);
  const pw = /^Password: (\S+)$/m.exec(r.stdout);
  const hash = /^Hash: (\S+)$/m.exec(r.stdout);
  check(pw && hash, `secrets hash --generate prints Password and Hash (${r.stdout})`);
  return { password: pw[1], hash: hash[1] };
}

/// `--check` of FILE: exit 0 naming the profile.
function checkConfig(file, profile) {
  const r = run(['--config', file, '--check']);
  checkEqual(r.status, 0, `--check of ${path.basename(file)} (${r.stderr})`);
  check(r.stdout.includes(`identity provider ${profile}`), `--check names the profile ${profile}: ${r.stdout}`);
}

function writeFile(dir, name, text, mode = 0o600) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode });
  return file;
}

async function getJson(url, headers = {}) {
  const r = await fetch(url, { headers });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { raw: text }; }
  return { status: r.status, body, headers: r.headers };
}

// --- local identity providers --------------------------------------------------------------------

/// One loopback HTTP server with handlers mounted under path prefixes ("" = everything else).
async function idpHost() {
  const mounts = [];
  const srv = http.createServer((req, res) => {
    for (const [prefix, handler] of mounts) {
      if (prefix === '' || req.url === prefix || req.url.startsWith(`${prefix}/`) || req.url.startsWith(`${prefix}?`))
        return handler(req, res);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  const port = await freePort();
  await new Promise((resolve, reject) => { srv.once('error', reject); srv.listen(port, '127.0.0.1', resolve); });
  onCleanup(() => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
  return {
    origin: `http://127.0.0.1:${port}`,
    /// Longer prefixes first, so "/a/b" wins over "/a" and "" comes last.
    mount(prefix, handler) { mounts.push([prefix, handler]); mounts.sort((a, b) => b[0].length - a[0].length); },
  };
}

async function signingKey() {
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid: `k-${crypto.randomBytes(4).toString('hex')}`, alg: 'ES256', use: 'sig' };
}

/// oidc-provider with issuer `host.origin + prefix`, mounted at `prefix` of `host`. Records
/// every authorization, token and end-session request (`requests`: { route, params }).
async function mountProvider(host, prefix, { clients, person, claims = {}, key, issuerSuffix = '', extra = {} }) {
  const issuer = `${host.origin}${prefix}${issuerSuffix}`;
  const requests = [];
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({ grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
                                   id_token_signed_response_alg: 'ES256', ...c })),
    jwks: { keys: [key ?? await signingKey()] },
    claims: { openid: ['sub', ...Object.keys(claims)], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'all'],
    conformIdTokenClaims: false,   // the IdP's own claims (tid) in the ID token, as Entra puts them
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, name: person.name, preferred_username: id, email: `${id}@example.com`, email_verified: true, ...claims };
        },
      };
    },
    ttl: { AccessToken: 600, IdToken: 3600, RefreshToken: 3600, Session: 3600, Interaction: 600, Grant: 3600, ClientCredentials: 600 },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true }, ...(extra.features || {}) },
    ...(extra.config || {}),
  });
  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    if (route === 'authorization' || route === 'token' || route === 'end_session')
      requests.push({ route, params: route === 'token' ? { ...(ctx.oidc.body || {}) } : { ...ctx.query } });
  });
  provider.on('server_error', (ctx, err) => log(`oidc-provider ${issuer} server_error: ${err.stack}`));
  const callback = provider.callback();
  host.mount(prefix, (req, res) => {
    if (prefix) {
      req.originalUrl = req.url;
      req.url = req.url.slice(prefix.length) || '/';
    }
    callback(req, res);
  });
  return { issuer, requests, interaction: `${host.origin}${prefix}/interaction/`, provider };
}

/// The IdP's dev login (and consent) pages, as `who`.
async function loginAtIdp(page, idp, who) {
  await page.waitForURL((u) => u.href.startsWith(idp.interaction));
  await page.locator('input[name="login"]').fill(who);
  await page.locator('input[name="password"]').fill('any password');
  await Promise.all([page.waitForLoadState(), page.locator('button[type="submit"]').click()]);
  await page.waitForURL((u) => !u.pathname.endsWith('/login'));
  if (page.url().startsWith(idp.interaction)) {
    // Consent (a new grant): continue.
    await Promise.all([page.waitForLoadState(), page.locator('button[type="submit"]').click()]);
  }
}

/// An ID token straight from `idp` for `clientId` (what an application of that IdP holds):
/// code flow with PKCE in a fresh browser context, redirect to `listener`.
async function idTokenFrom(browser, idp, { clientId, clientSecret, listener, who }) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const url = new URL(`${idp.issuer.replace(/\/$/, '')}/auth`);
  for (const [k, v] of Object.entries({
    client_id: clientId, response_type: 'code', scope: 'openid email profile', redirect_uri: listener.redirectUri,
    state: crypto.randomBytes(8).toString('hex'), nonce: crypto.randomBytes(8).toString('hex'),
    code_challenge: challenge, code_challenge_method: 'S256',
  })) url.searchParams.set(k, v);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(20000);
    const landed = listener.next();
    await page.goto(url.href);
    await loginAtIdp(page, idp, who);
    const cb = await landed;
    const r = await fetch(`${idp.issuer.replace(/\/$/, '')}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
                 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: cb.searchParams.get('code'),
                                  redirect_uri: listener.redirectUri, code_verifier: verifier }),
    });
    const body = await r.json();
    check(typeof body.id_token === 'string', `an ID token from ${idp.issuer} (${JSON.stringify(body)})`);
    return body.id_token;
  } finally {
    await context.close();
  }
}

// --- tessera-server and tessera-client steps shared by the guides --------------------------------

/// Signs in at `${server}/login?...` in a fresh context; returns { context, page, me }.
async function browserLogin(browser, server, idp, who, loginQuery = '') {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(`${server}/login?redirect_url=/me${loginQuery}`);
  await loginAtIdp(page, idp, who);
  await page.waitForURL(`${server}/me`);
  const me = JSON.parse(await page.evaluate(() => document.body.innerText));
  return { context, page, me };
}

/// docs/flyte.md step 5's ~/.flyte/config.yaml for ENDPOINT (http on loopback).
function flytectlConfig(endpointHostPort) {
  return localize(docBlock('flyte.md', 'flytectl-config'), [
    ['dns:///flyte.example.com', `dns:///${endpointHostPort}`],
    [/^( {2}insecure:) false$/m, '$1 true'],
  ], 'flytectl config');
}

/// tessera-client with flytectl's configuration against `endpoint`: `login` (PKCE; chromium
/// approves on `page`, whose context already has a session at the authorization server),
/// then `whoami`. Returns { token, whoami }.
async function flytectlLogin(page, endpointHostPort, authServer) {
  const cli = clientSandbox();
  writeFile(path.join(cli.home, '.flyte'), 'config.yaml', flytectlConfig(endpointHostPort));
  const login = cli.start(['--no-browser', 'login']);
  const [, authUrlText] = await login.waitStderr(/Sign in through your browser\. If it does not open, visit:\n\n {2}(\S+)\n/);
  const authUrl = new URL(authUrlText);
  checkEqual(authUrl.origin, new URL(authServer).origin, 'flytectl is sent to the authorization server');
  checkEqual(authUrl.searchParams.get('client_id'), 'flytectl', 'the advertised client (thirdPartyConfig.flyteClient)');
  checkEqual(authUrl.searchParams.get('redirect_uri'), 'http://localhost:53593/callback', 'flytectl\'s redirect');
  await page.goto(authUrl.href);
  await page.waitForURL((u) => u.pathname === '/oauth2/consent');
  check((await page.locator('main').innerText()).includes('flytectl'), 'the consent page names flytectl');
  await Promise.all([
    page.waitForURL((u) => u.host === 'localhost:53593' && u.pathname === '/callback', { waitUntil: 'load' }),
    page.locator('button[name="decision"][value="approve"]').click(),
  ]);
  await login.done;
  exitIs(login, 0, 'tessera-client login (flytectl, PKCE)');
  const token = await cli.run(['token']);
  exitIs(token, 0, 'tessera-client token');
  const whoami = await cli.run(['whoami']);
  exitIs(whoami, 0, 'tessera-client whoami');
  return { token: token.stdout.trim(), whoami: whoami.stdout };
}

/// The common part of every interactive guide: secrets, --check, start, /readyz, a browser
/// sign-in to /me, flytectl's PKCE login. Returns { server, me, context, page }.
async function followInteractiveGuide(browser, g) {
  const dir = path.join(scratch, g.name);
  secretsInit(dir);
  const secretEnv = {};
  if (g.secretInEnv) secretEnv.FLYTE_SECRET_oidc_client_secret = g.clientSecret;
  else writeFile(path.join(dir, 'secrets'), 'oidc_client_secret', `${g.clientSecret}\n`);
  const file = writeFile(dir, 'config.yaml', g.config);
  const r = spawnSync(serverPath(), ['--config', file, '--check'], { encoding: 'utf8', env: { ...process.env, ...secretEnv } });
  checkEqual(r.status, 0, `${g.name}: --check (${r.stderr})`);
  check(r.stdout.includes(`identity provider ${g.profile}`), `${g.name}: --check names ${g.profile}: ${r.stdout}`);
  const server = await startServer({ port: g.port, attempts: 1, demo: false, extraArgs: ['--config', file], env: secretEnv });
  checkEqual((await fetch(`${server.issuer}/readyz`)).status, 200, `${g.name}: /readyz`);
  const { context, page, me } = await browserLogin(browser, server.issuer, g.idp, g.who, g.loginQuery);
  log(`${g.name}: signed in, /me subject ${me.subject}`);
  if (g.flytectl !== false) {
    const { token, whoami } = await flytectlLogin(page, `127.0.0.1:${g.port}`, server.issuer);
    const claims = jose.decodeJwt(token);
    checkEqual(claims.sub, me.subject, `${g.name}: flytectl's token names the person`);
    checkEqual(claims.client_id, 'flytectl', `${g.name}: flytectl's token client_id`);
    check(whoami.includes(me.subject), `${g.name}: tessera-client whoami names ${me.subject} (${whoami})`);
  }
  return { server, me, context, page };
}

// --- the guides ----------------------------------------------------------------------------------

async function okta(browser) {
  const host = await idpHost();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const block = docBlock('idp/okta.md', 'okta-config');
  const clientId = yamlValue(block, 'clientId');
  const clientSecret = crypto.randomBytes(24).toString('base64url');
  const idp = await mountProvider(host, '/oauth2/default', {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${publicUrl}/callback`],
                post_logout_redirect_uris: [`${publicUrl}/logout`] }],
    person: { name: 'Ada Okta' },
  });
  const dir = path.join(scratch, 'okta');
  const config = localize(block, [['https://dev-123456.okta.com', host.origin], ...serverPairs(publicUrl, port, dir)], 'okta.md');
  const { server, me, context } = await followInteractiveGuide(browser, {
    name: 'okta', profile: 'okta', port, config, clientSecret, idp, who: '00u1ada', loginQuery: '&idp=0oa2saml',
  });
  checkEqual(me.subject, '00u1ada', 'okta: /me subject');
  checkEqual(me.name, 'Ada Okta', 'okta: /me name');
  const authz = idp.requests.filter((q) => q.route === 'authorization');
  check(authz.length >= 1, 'okta: an authorization request at /oauth2/default');
  checkEqual(authz[0].params.idp, '0oa2saml', 'okta: /login?idp= is passed on (idpQueryParameter)');
  check(authz[0].params.scope.split(' ').includes('offline_access'), `okta: offline_access asked (${authz[0].params.scope})`);
  checkEqual(authz[0].params.code_challenge_method, 'S256', 'okta: PKCE towards Okta');
  await context.close();
  await server.stop();

  // §5: an Okta custom authorization server as Flyte's (External mode).
  const ext = docBlock('idp/okta.md', 'okta-external');
  const api = yamlValue(ext, 'allowedAudience').replace(/^\[|\]$/g, '');
  const ctlId = /flyteClient:\n\s+clientId: (\S+)/.exec(ext)?.[1];
  check(ctlId, 'okta.md External names flytectl\'s Okta client under thirdPartyConfig.flyteClient');
  const as = await mountProvider(host, '/oauth2/aus1flyte', {
    clients: [
      { client_id: yamlValue(ext, 'clientId'), client_secret: clientSecret, redirect_uris: [`${publicUrl}/callback`] },
      { client_id: 'propeller', client_secret: 'propeller-secret', grant_types: ['client_credentials'], redirect_uris: [],
        response_types: [], scope: 'all' },
    ],
    person: { name: 'Ada Okta' },
    extra: { features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true, defaultResource: () => api, useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => ({ scope: 'all', audience: resource, accessTokenTTL: 600,
                                                     accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
      },
    } },
  });
  // Okta serves its metadata at both well-known paths; oidc-provider only at the OpenID one.
  host.mount('/oauth2/aus1flyte/.well-known/oauth-authorization-server', (req, res) => {
    fetch(`${as.issuer}/.well-known/openid-configuration`).then(async (r) => {
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
    }).catch((e) => res.writeHead(502).end(String(e)));
  });
  const extDir = path.join(scratch, 'okta-external');
  secretsInit(extDir);
  writeFile(path.join(extDir, 'secrets'), 'oidc_client_secret', clientSecret);
  const extFile = writeFile(extDir, 'config.yaml',
    localize(ext, [['https://dev-123456.okta.com', host.origin], ...serverPairs(publicUrl, port, extDir)], 'okta.md External'));
  checkConfig(extFile, 'okta');
  const extServer = await startServer({ port, attempts: 1, demo: false, extraArgs: ['--config', extFile] });
  checkEqual((await fetch(`${publicUrl}/readyz`)).status, 200, 'okta External: /readyz');
  const relayed = await getJson(`${publicUrl}/.well-known/oauth-authorization-server`);
  checkEqual(relayed.body.issuer, as.issuer, 'okta External: the custom authorization server\'s metadata, relayed');
  checkEqual((await getJson(`${publicUrl}/config/v1/flyte_client`, { accept: 'application/json' })).body.client_id,
             ctlId, 'okta External: flyte_client names flytectl\'s Okta client');
  const tokenFor = async (resource) => {
    const r = await fetch(`${as.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('propeller:propeller-secret').toString('base64')}`,
                 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'all', resource }),
    });
    return (await r.json()).access_token;
  };
  const good = await getJson(`${publicUrl}/me`, { 'flyte-authorization': `Bearer ${await tokenFor(api)}` });
  checkEqual(good.status, 200, `okta External: /me accepts an access token for ${api} (${JSON.stringify(good.body)})`);
  checkEqual(good.body.subject, 'propeller', 'okta External: /me subject');
  const other = await fetch(`${publicUrl}/me`, { headers: { 'flyte-authorization': `Bearer ${await tokenFor('api://other')}` } });
  checkEqual(other.status, 401, 'okta External: a token for another audience is refused');
  await extServer.stop();
  log('okta.md: sign-in, idp=, offline_access, flytectl; External mode relayed and its tokens checked');
}

async function google(browser) {
  const host = await idpHost();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const block = docBlock('idp/google.md', 'google-config');
  const clientId = yamlValue(block, 'clientId');
  const clientSecret = crypto.randomBytes(24).toString('base64url');
  const idp = await mountProvider(host, '', {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${publicUrl}/callback`] }],
    person: { name: 'Grace Google' },
    extra: { config: { extraParams: ['access_type'] } },
  });
  const dir = path.join(scratch, 'google');
  const config = localize(block, [['https://accounts.google.com', host.origin], ...serverPairs(publicUrl, port, dir)], 'google.md');
  const { server, me, context } = await followInteractiveGuide(browser, {
    name: 'google', profile: 'google', port, config, clientSecret, idp, who: '109876543210987654321',
  });
  checkEqual(me.subject, '109876543210987654321', 'google: /me subject is Google\'s sub');
  checkEqual(me.email, '109876543210987654321@example.com', 'google: /me email');
  const authz = idp.requests.find((q) => q.route === 'authorization');
  checkEqual(authz.params.access_type, 'offline', 'google: access_type=offline received');
  check(!authz.params.scope.split(' ').includes('offline_access'), `google: no offline_access scope (${authz.params.scope})`);
  await context.close();
  await server.stop();
  log('google.md: sign-in with access_type=offline, flytectl');
}

async function gcpIdentity(browser, listener) {
  const host = await idpHost();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const block = docBlock('idp/gcp-identity.md', 'gcp-identity-config');
  const project = yamlValue(block, 'audience');
  checkEqual(yamlValue(block, 'clientId'), project, 'gcp-identity.md: clientId is the project id');
  // Identity Platform's tokens: issuer securetoken/<project>, aud = the project. An app of the
  // project is the client whose id is the project; another project is a second issuer.
  const app = { client_id: project, client_secret: 'app-secret', redirect_uris: [listener.redirectUri] };
  const idp = await mountProvider(host, `/${project}`, { clients: [app], person: { name: 'Uma Uid' } });
  const otherProject = await mountProvider(host, '/another-project', {
    clients: [{ ...app, client_id: 'another-project' }], person: { name: 'Olga Other' } });
  const dir = path.join(scratch, 'gcp-identity');
  secretsInit(dir);   // and no oidc_client_secret: the guide says none is read
  const file = writeFile(dir, 'config.yaml', localize(block, [['https://securetoken.google.com', host.origin],
                                                              ...serverPairs(publicUrl, port, dir)], 'gcp-identity.md'));
  checkConfig(file, 'gcp_identity');
  const server = await startServer({ port, attempts: 1, demo: false, extraArgs: ['--config', file] });
  checkEqual((await fetch(`${publicUrl}/readyz`)).status, 200, 'gcp-identity: /readyz');
  const login = await fetch(`${publicUrl}/login`, { redirect: 'manual' });
  checkEqual(login.status, 500, 'gcp-identity: nobody signs in through /login');
  check((await login.text()).includes('only vouches for tokens'), 'gcp-identity: /login says why');

  const idToken = await idTokenFrom(browser, idp, { clientId: project, clientSecret: 'app-secret', listener, who: 'uid-uma' });
  checkEqual(jose.decodeJwt(idToken).aud, project, 'the test IdP\'s token has the project as aud');
  for (const header of ['flyte-authorization', 'authorization']) {
    const me = await getJson(`${publicUrl}/me`, { [header]: `IDToken ${idToken}` });
    checkEqual(me.status, 200, `gcp-identity: /me with IDToken in ${header} (${JSON.stringify(me.body)})`);
    checkEqual(me.body.subject, 'uid-uma', 'gcp-identity: /me subject is the UID');
    checkEqual(me.headers.get('x-user-subject'), 'uid-uma', 'gcp-identity: X-User-Subject');
  }
  const foreign = await idTokenFrom(browser, otherProject, { clientId: 'another-project', clientSecret: 'app-secret', listener, who: 'uid-olga' });
  checkEqual((await fetch(`${publicUrl}/me`, { headers: { 'flyte-authorization': `IDToken ${foreign}` } })).status, 401,
             'gcp-identity: an ID token of another project is refused');
  await server.stop();
  log('gcp-identity.md: /login refused by design, IDToken of the project accepted, another project refused');
}

async function azureAd(browser, listener) {
  const host = await idpHost();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const block = docBlock('idp/azure-ad.md', 'azure-ad-config');
  const clientId = yamlValue(block, 'clientId');
  const tenant = /microsoftonline\.com\/([0-9a-f-]{36})\/v2\.0/.exec(block)?.[1];
  check(tenant, 'azure-ad.md names a tenant in baseUrl');
  const outsider = '77777777-0000-4000-8000-000000000077';
  const clientSecret = crypto.randomBytes(24).toString('base64url');
  const key = await signingKey();   // Entra signs every tenant's tokens with the same keys
  const client = { client_id: clientId, client_secret: clientSecret,
                   redirect_uris: [`${publicUrl}/callback`, listener.redirectUri], post_logout_redirect_uris: [`${publicUrl}/logout`] };
  const home = await mountProvider(host, `/${tenant}/v2.0`, { clients: [client], person: { name: 'Ada Entra' }, claims: { tid: tenant }, key });
  const away = await mountProvider(host, `/${outsider}/v2.0`, { clients: [client], person: { name: 'Eve Elsewhere' }, claims: { tid: outsider }, key });
  // /organizations/v2.0: the multi-tenant document names the issuer as a template.
  host.mount('/organizations/v2.0/.well-known/openid-configuration', (req, res) => {
    fetch(`${home.issuer}/.well-known/openid-configuration`).then(async (r) => {
      const doc = await r.json();
      doc.issuer = `${host.origin}/{tenantid}/v2.0`;
      delete doc.authorization_response_iss_parameter_supported;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    }).catch((e) => res.writeHead(502).end(String(e)));
  });

  const dir = path.join(scratch, 'azure-ad');
  const config = localize(block, [['https://login.microsoftonline.com', host.origin], ...serverPairs(publicUrl, port, dir)], 'azure-ad.md');
  const { server, me, context } = await followInteractiveGuide(browser, {
    name: 'azure-ad', profile: 'azure_ad', port, config, clientSecret, idp: home, who: 'entra-sub-ada',
  });
  checkEqual(me.subject, 'entra-sub-ada', 'azure-ad: /me subject');
  checkEqual(me.additional_claims?.tid, tenant, `azure-ad: tid among /me's claims (${JSON.stringify(me)})`);
  await context.close();
  // An ID token of another tenant, presented to the single-tenant server: refused.
  const awayToken = await idTokenFrom(browser, away, { clientId, clientSecret, listener, who: 'entra-sub-eve' });
  checkEqual(jose.decodeJwt(awayToken).tid, outsider, 'the other tenant\'s token carries its tid');
  checkEqual((await fetch(`${publicUrl}/me`, { headers: { 'flyte-authorization': `IDToken ${awayToken}` } })).status, 401,
             'azure-ad: another tenant\'s ID token at a single-tenant server');
  await server.stop();

  // §4: /organizations with the docs' allow-list.
  const multi = docBlock('idp/azure-ad.md', 'azure-ad-tenants');
  check(multi.includes(`- ${tenant}`), 'azure-ad.md §4 lists the tenant of §3');
  check(!multi.includes(outsider), 'the test\'s outsider tenant is not in the docs\' list');
  const mdir = path.join(scratch, 'azure-ad-multi');
  secretsInit(mdir);
  writeFile(path.join(mdir, 'secrets'), 'oidc_client_secret', clientSecret);
  const mfile = writeFile(mdir, 'config.yaml', localize(multi, [['https://login.microsoftonline.com', host.origin],
                                                                ...serverPairs(publicUrl, port, mdir)], 'azure-ad.md §4'));
  checkConfig(mfile, 'azure_ad');
  const noList = writeFile(mdir, 'no-tenants.yaml', fs.readFileSync(mfile, 'utf8').replace(/^ {4}tenants:\n( {6}- .*\n)+/m, ''));
  const refused = run(['--config', noList, '--check']);
  checkEqual(refused.status, 1, `azure-ad: /organizations without tenants is refused (${refused.stdout}${refused.stderr})`);
  check(/needs tenants/.test(refused.stderr), `azure-ad: the refusal names the allow-list (${refused.stderr})`);
  const mserver = await startServer({ port, attempts: 1, demo: false, extraArgs: ['--config', mfile] });
  checkEqual((await fetch(`${publicUrl}/readyz`)).status, 200, 'azure-ad /organizations: /readyz');
  const homeToken = await idTokenFrom(browser, home, { clientId, clientSecret, listener, who: 'entra-sub-ada' });
  const ok = await getJson(`${publicUrl}/me`, { 'flyte-authorization': `IDToken ${homeToken}` });
  checkEqual(ok.status, 200, `azure-ad /organizations: a listed tenant's ID token (${JSON.stringify(ok.body)})`);
  checkEqual(ok.body.subject, 'entra-sub-ada', 'azure-ad /organizations: its subject');
  checkEqual((await fetch(`${publicUrl}/me`, { headers: { 'flyte-authorization': `IDToken ${awayToken}` } })).status, 401,
             'azure-ad /organizations: a tenant outside the allow-list is refused');
  await mserver.stop();
  log('azure-ad.md: sign-in with tid, flytectl; other tenant refused; /organizations allow-list enforced');
}

async function auth0(browser) {
  const host = await idpHost();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const block = docBlock('idp/auth0.md', 'auth0-config');
  const clientId = yamlValue(block, 'clientId');
  const audience = yamlValue(block, 'audience');
  const clientSecret = crypto.randomBytes(24).toString('base64url');
  // Auth0's issuer ends in "/": so does this provider's.
  const idp = await mountProvider(host, '', {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${publicUrl}/callback`],
                post_logout_redirect_uris: [`${publicUrl}/logout`] }],
    person: { name: 'Zero Auth' }, issuerSuffix: '/', extra: { config: { extraParams: ['audience'] } },
  });
  const meta = await getJson(`${host.origin}/.well-known/openid-configuration`);
  checkEqual(meta.body.issuer, `${host.origin}/`, 'the test IdP\'s issuer has Auth0\'s trailing slash');
  const dir = path.join(scratch, 'auth0');
  const config = localize(block, [['https://flyte-example.us.auth0.com', host.origin], ...serverPairs(publicUrl, port, dir)], 'auth0.md');
  check(config.includes(`baseUrl: ${host.origin}/\n`), 'auth0.md: baseUrl keeps the trailing slash');
  const { server, me, context } = await followInteractiveGuide(browser, {
    name: 'auth0', profile: 'auth0', port, config, clientSecret, idp, who: 'auth0|64f0zero', secretInEnv: true,
  });
  checkEqual(me.subject, 'auth0|64f0zero', 'auth0: /me subject');
  const authz = idp.requests.find((q) => q.route === 'authorization');
  checkEqual(authz.params.audience, audience, 'auth0: audience on the authorization request');
  const code = idp.requests.find((q) => q.route === 'token' && q.params.grant_type === 'authorization_code');
  checkEqual(code?.params.audience, audience, 'auth0: audience on the token request');
  await context.close();
  await server.stop();
  log('auth0.md: trailing-slash issuer, audience on authorize and token, secret from FLYTE_SECRET_oidc_client_secret');
}

async function keycloak(browser) {
  const host = await idpHost();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const block = docBlock('idp/keycloak.md', 'keycloak-config');
  check(!/profile:/.test(block), 'keycloak.md leaves the profile to the /realms/ path');
  const clientId = yamlValue(block, 'clientId');
  const clientSecret = crypto.randomBytes(24).toString('base64url');
  const idp = await mountProvider(host, '/realms/flyte', {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${publicUrl}/callback`],
                post_logout_redirect_uris: [`${publicUrl}/logout`] }],
    person: { name: 'Kay Cloak' },
  });
  const dir = path.join(scratch, 'keycloak');
  const config = localize(block, [['https://keycloak.example.com', host.origin], ...serverPairs(publicUrl, port, dir)], 'keycloak.md');
  const { server, me, context, page } = await followInteractiveGuide(browser, {
    name: 'keycloak', profile: 'keycloak', port, config, clientSecret, idp, who: 'f3b1c2d4-kay',
  });
  checkEqual(me.subject, 'f3b1c2d4-kay', 'keycloak: /me subject');
  checkEqual(me.preferred_username, 'f3b1c2d4-kay', 'keycloak: preferred_username');
  // Logout at both ends, back to the registered post-logout URI.
  await page.goto(`${publicUrl}/logout`);
  await Promise.all([page.waitForURL((u) => u.href.startsWith(idp.issuer)),
                     page.locator('form[method="post"] button[type="submit"]').click()]);
  checkEqual((await context.request.get(`${publicUrl}/me`)).status(), 401, 'keycloak: /me after logout');
  const end = idp.requests.find((q) => q.route === 'end_session');
  checkEqual(end?.params.post_logout_redirect_uri, `${publicUrl}/logout`, 'keycloak: post_logout_redirect_uri');
  check(typeof end?.params.id_token_hint === 'string', 'keycloak: id_token_hint sent');
  await page.locator('button[type="submit"], button[name="logout"]').first().click();
  await page.waitForURL((u) => u.href.startsWith(idp.interaction));
  check(await page.locator('input[name="login"]').count() === 1, 'keycloak: the realm asks for a login again');
  await context.close();
  await server.stop();
  log('keycloak.md: profile from /realms/, sign-in, flytectl, logout at both ends');
}

/// GitHub's documented OAuth endpoints, in GitHub Enterprise Server's layout (API under
/// /api/v3), on loopback. Records what it was asked.
async function githubEmulation(host, { clientId, clientSecret, callback }) {
  const seen = { authorize: [], token: [], api: [] };
  const codes = new Map();
  const tokens = new Set();
  const user = { login: 'octocat', id: 583231, name: 'Mona Octocat', email: null,
                 avatar_url: 'https://avatars.example/u/583231', html_url: 'https://github.example/octocat' };
  const body = (req) => new Promise((resolve) => { let b = ''; req.on('data', (d) => { b += d; }); req.on('end', () => resolve(b)); });
  host.mount('', async (req, res) => {
    const url = new URL(req.url, host.origin);
    const send = (status, type, text) => res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(text);
    if (url.pathname === '/login/oauth/authorize' && req.method === 'GET') {
      const q = Object.fromEntries(url.searchParams);
      seen.authorize.push(q);
      if (q.client_id !== clientId || q.redirect_uri !== callback) return send(400, 'text/plain', 'The redirect_uri is not associated with this application.');
      const hidden = Object.entries(q).map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/"/g, '&quot;')}">`).join('');
      return send(200, 'text/html', `<!doctype html><title>Authorize</title><form method="post" action="/login/oauth/authorize">${hidden}<button type="submit" name="authorize" value="1">Authorize</button></form>`);
    }
    if (url.pathname === '/login/oauth/authorize' && req.method === 'POST') {
      const q = Object.fromEntries(new URLSearchParams(await body(req)));
      const code = crypto.randomBytes(10).toString('hex');
      codes.set(code, q);
      const to = new URL(q.redirect_uri);
      to.searchParams.set('code', code);
      if (q.state) to.searchParams.set('state', q.state);
      res.writeHead(302, { location: to.href }).end();
      return undefined;
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      const form = Object.fromEntries(new URLSearchParams(await body(req)));
      let id = form.client_id;
      let secret = form.client_secret;
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization || '');
      if (basic) [id, secret] = Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent);
      seen.token.push({ accept: req.headers.accept, form: { ...form, client_secret: undefined } });
      const json = /application\/json/.test(req.headers.accept || '');
      const answer = (o) => (json ? send(200, 'application/json', JSON.stringify(o))
        : send(200, 'application/x-www-form-urlencoded', new URLSearchParams(o).toString()));
      const grant = codes.get(form.code);
      codes.delete(form.code);
      // GitHub reports errors with status 200.
      if (id !== clientId || secret !== clientSecret) return answer({ error: 'incorrect_client_credentials' });
      if (!grant || form.redirect_uri && form.redirect_uri !== grant.redirect_uri) return answer({ error: 'bad_verification_code' });
      if (grant.code_challenge) {
        const expect = crypto.createHash('sha256').update(form.code_verifier || '').digest('base64url');
        if (expect !== grant.code_challenge) return answer({ error: 'bad_verification_code' });
      }
      const token = `gho_${crypto.randomBytes(18).toString('hex')}`;
      tokens.add(token);
      return answer({ access_token: token, token_type: 'bearer', scope: (grant.scope || '').split(' ').join(',') });
    }
    if (url.pathname === '/api/v3/user' || url.pathname === '/api/v3/user/emails') {
      seen.api.push({ path: url.pathname, accept: req.headers.accept });
      const t = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization || '')?.[1];
      if (!tokens.has(t)) return send(401, 'application/json', JSON.stringify({ message: 'Bad credentials' }));
      if (url.pathname === '/api/v3/user') return send(200, 'application/json', JSON.stringify(user));
      return send(200, 'application/json', JSON.stringify([
        { email: 'mona-old@example.com', primary: false, verified: true, visibility: null },
        { email: 'mona@example.com', primary: true, verified: true, visibility: 'private' },
      ]));
    }
    return send(404, 'application/json', JSON.stringify({ message: 'Not Found' }));
  });
  return seen;
}

async function github(browser) {
  const host = await idpHost();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const block = docBlock('idp/github.md', 'github-config');
  const clientId = yamlValue(block, 'clientId');
  const clientSecret = crypto.randomBytes(20).toString('hex');
  const seen = await githubEmulation(host, { clientId, clientSecret, callback: `${publicUrl}/callback` });
  const dir = path.join(scratch, 'github');
  secretsInit(dir);
  writeFile(path.join(dir, 'secrets'), 'oidc_client_secret', `${clientSecret}\n`);
  const file = writeFile(dir, 'config.yaml', localize(block, [['https://github.com', host.origin], ...serverPairs(publicUrl, port, dir)], 'github.md'));
  checkConfig(file, 'github');
  const server = await startServer({ port, attempts: 1, demo: false, extraArgs: ['--config', file] });
  checkEqual((await fetch(`${publicUrl}/readyz`)).status, 200, 'github: /readyz');
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(`${publicUrl}/login?redirect_url=/me`);
  await page.waitForURL((u) => u.href.startsWith(`${host.origin}/login/oauth/authorize`));
  await Promise.all([page.waitForURL(`${publicUrl}/me`), page.locator('button[name="authorize"]').click()]);
  const me = JSON.parse(await page.evaluate(() => document.body.innerText));
  checkEqual(me.subject, '583231', 'github: the subject is the numeric id');
  checkEqual(me.preferred_username, 'octocat', 'github: login as preferred_username');
  checkEqual(me.name, 'Mona Octocat', 'github: name');
  checkEqual(me.email, 'mona@example.com', 'github: the primary verified address from /user/emails');
  checkEqual(seen.authorize[0].scope, 'read:user user:email', 'github: the guide\'s scopes');
  check(/application\/json/.test(seen.token[0].accept), `github: the token request asks for JSON (${seen.token[0].accept})`);
  check(seen.api.some((a) => a.path === '/api/v3/user/emails'), 'github: /user/emails asked when /user has no email');
  const { token, whoami } = await flytectlLogin(page, `127.0.0.1:${port}`, publicUrl);
  checkEqual(jose.decodeJwt(token).sub, '583231', 'github: flytectl\'s token names the numeric id');
  check(whoami.includes('583231'), `github: whoami (${whoami})`);
  await context.close();
  await server.stop();
  log('github.md: plain OAuth 2.0 sign-in, numeric id as subject, email from /user/emails, flytectl');
}

async function flyteGuide(browser) {
  const host = await idpHost();
  const portA = await freePort();
  const portB = await freePort();
  // Two servers on one host would share cookies (cookies ignore the port): tessera-server, the
  // authorization server, is reached as localhost, flyteadmin's stand-in as 127.0.0.1.
  const authUrl = `http://localhost:${portA}`;
  const flyteUrl = `http://127.0.0.1:${portB}`;
  const block = docBlock('flyte.md', 'flyte-tessera-server');
  const idpClientId = yamlValue(block, 'clientId');
  const idpSecret = crypto.randomBytes(24).toString('base64url');
  const idp = await mountProvider(host, '/oauth2/default', {
    clients: [{ client_id: idpClientId, client_secret: idpSecret, redirect_uris: [`${authUrl}/callback`] }],
    person: { name: 'Fay Flyte' },
  });

  // Step 2: tessera-server, Self mode; the two hashes from `secrets hash --generate`.
  const propeller = generateSecret();
  const admin = generateSecret();
  const hashOf = (client) => new RegExp(`(\\n {8}${client}:\\n(?: {10}.*\\n)*? {10}client_secret: )(\\S+)`);
  const dirA = path.join(scratch, 'flyte-auth');
  secretsInit(dirA);
  writeFile(path.join(dirA, 'secrets'), 'oidc_client_secret', idpSecret);
  const fileA = writeFile(dirA, 'config.yaml', localize(block, [
    ['https://dev-123456.okta.com', host.origin],
    ...serverPairs(authUrl, portA, dirA, 'https://auth.example.com'),
    ['https://flyte.example.com', flyteUrl],
    [hashOf('flytepropeller'), `$1${propeller.hash}`],
    [hashOf('flyteadmin'), `$1${admin.hash}`],
  ], 'flyte.md step 2'));
  checkConfig(fileA, 'okta');
  const serverA = await startProgram({ name: 'tessera-server (authorization server)', bin: serverPath(), port: portA,
                                       args: ['--config', fileA] });
  checkEqual((await fetch(`http://127.0.0.1:${portA}/readyz`)).status, 200, 'flyte: the authorization server is ready');
  const metaA = await getJson(`${authUrl}/.well-known/oauth-authorization-server`);
  checkEqual(metaA.body.issuer, authUrl, 'flyte: tessera\'s issuer is its publicUrl');

  // Step 4: flyteadmin's Helm values, in a tessera-server in External mode. The values are
  // flyteadmin's; the tessera: section only says where this stand-in listens and keeps keys.
  const values = docBlock('flyte.md', 'flyte-admin-values');
  const dirB = path.join(scratch, 'flyte-admin');
  secretsInit(dirB);
  const fileB = writeFile(dirB, 'values.yaml', `${localize(values, [
    ['https://auth.example.com', authUrl],
    ['https://flyte.example.com', flyteUrl],
    ['\'the flyteadmin Password of step 2\'', `'${admin.password}'`],
    ['\'the flytepropeller Password of step 2\'', `'${propeller.password}'`],
  ], 'flyte.md step 4')}tessera:\n  dataDir: ${path.join(dirB, 'data')}\n  secretsDir: ${path.join(dirB, 'secrets')}\n  store: memory\n`);
  checkConfig(fileB, 'generic_oidc');
  const serverB = await startServer({ port: portB, attempts: 1, demo: false, extraArgs: ['--config', fileB] });
  checkEqual((await fetch(`${flyteUrl}/readyz`)).status, 200, 'flyte: flyteadmin\'s stand-in is ready');
  const relayed = await getJson(`${flyteUrl}/.well-known/oauth-authorization-server`);
  checkEqual(relayed.body.issuer, authUrl, 'flyte: flyteadmin relays tessera\'s metadata');
  checkEqual(relayed.body.token_endpoint, `${authUrl}/oauth2/token`, 'flyte: the clients get tessera\'s token endpoint');
  const fc = await getJson(`${flyteUrl}/config/v1/flyte_client`, { accept: 'application/json' });
  checkEqual(fc.body.client_id, 'flytectl', 'flyte: /config/v1/flyte_client names flytectl');
  checkEqual(fc.body.redirect_uri, 'http://localhost:53593/callback', 'flyte: and its redirect');

  // A person opens flyteadmin's /login: flyteadmin → tessera → IdP, and back (no consent for
  // the first-party flyteadmin client).
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(`${flyteUrl}/login?redirect_url=/me`);
  await loginAtIdp(page, idp, 'fay');
  await page.waitForURL(`${flyteUrl}/me`);
  const me = JSON.parse(await page.evaluate(() => document.body.innerText));
  checkEqual(me.subject, 'fay', 'flyte: flyteadmin\'s /me after signing in through tessera');

  // Step 5: flytectl's config pointing at flyteadmin; the token comes from tessera.
  const { token, whoami } = await flytectlLogin(page, `127.0.0.1:${portB}`, authUrl);
  const claims = jose.decodeJwt(token);
  checkEqual(claims.iss, authUrl, 'flyte: flytectl\'s token is tessera\'s');
  check([].concat(claims.aud).includes(authUrl), `flyte: its aud is the allowedAudience of step 4 (${claims.aud})`);
  checkEqual(claims.sub, 'fay', 'flyte: flytectl\'s token names the person');
  check(whoami.includes('fay'), `flyte: whoami at flyteadmin's stand-in (${whoami})`);
  await context.close();

  // Step 6: FlytePropeller's client credentials with the generated password.
  const cli = clientSandbox({ name: 'tessera-client (propeller)' });
  const secretFile = writeFile(path.join(cli.root, 'etc-secrets'), 'client_secret', `${propeller.password}\n`);
  const propConfig = writeFile(cli.root, 'propeller.yaml', localize(docBlock('flyte.md', 'propeller-config'), [
    ['dns:///flyte.example.com', `dns:///127.0.0.1:${portB}`],
    [/^( {2}insecure:) false$/m, '$1 true'],
    ['/etc/secrets/client_secret', secretFile],
  ], 'flyte.md step 6'));
  const t = await cli.run(['--config', propConfig, 'token']);
  exitIs(t, 0, 'flyte: FlytePropeller\'s token');
  const pc = jose.decodeJwt(t.stdout.trim());
  checkEqual(pc.client_id, 'flytepropeller', 'flyte: propeller token client_id');
  checkEqual(pc.iss, authUrl, 'flyte: propeller token issuer');
  check([].concat(pc.scp).includes('all'), `flyte: propeller token scp has all, as flyteadmin requires (${pc.scp})`);
  const pw = await cli.run(['--config', propConfig, 'whoami']);
  exitIs(pw, 0, 'flyte: FlytePropeller whoami');
  check(pw.stdout.includes('flytepropeller'), `flyte: flyteadmin's stand-in names flytepropeller (${pw.stdout})`);
  fs.writeFileSync(secretFile, 'not-the-password\n');
  const wrong = await cli.run(['--config', propConfig, '--cache-dir', path.join(cli.root, 'other-cache'), 'token']);
  exitIs(wrong, 5, 'flyte: a wrong propeller secret is refused');
  check(!wrong.stderr.includes(propeller.password), 'flyte: no secret in the error');
  await serverB.stop();
  await serverA.stop();
  log('flyte.md: Self server + External flyteadmin stand-in; console login, flytectl PKCE, propeller client credentials');
}

runTest('interop_idp_guides', async () => {
  const { browser } = await launchChromium();
  const listener = await startCallbackListener();
  const only = process.env.TESSERA_GUIDES ? process.env.TESSERA_GUIDES.split(',') : null;
  const guides = { okta, google, 'gcp-identity': gcpIdentity, 'azure-ad': azureAd, auth0, keycloak, github, flyte: flyteGuide };
  for (const [name, fn] of Object.entries(guides)) {
    if (only && !only.includes(name)) continue;
    const t0 = performance.now();
    await fn(browser, listener);
    log(`guide ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}, { timeoutMs: 170000 });
