// Refresh tokens for benchmarks/throughput.sh's refresh rows, without a browser: the demo user
// signs in to tessera-server through its own login form (HTTP only: GET the form, POST it with
// its csrf_token and the session cookies), allows the public client tessera-cli once on the
// consent page, and then every further authorization request with that session goes straight to
// the redirect URI with a code. Each code (PKCE S256) is redeemed for a refresh token.
// The redirect URI is a loopback one (RFC 8252, any port) that is never contacted: the code is
// read from the Location header.
//
//   node benchmarks/refresh_bench.mjs --base http://127.0.0.1:PORT --count N
//   environment: BENCH_USER_PASSWORD (the demo user's password, printed by --init-only)
//
// Prints N refresh tokens, one per line, on stdout (nothing else); diagnostics on stderr.
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    count: { type: 'string', default: '16' },
    user: { type: 'string', default: 'demo' },
    client: { type: 'string', default: 'tessera-cli' },
    scope: { type: 'string', default: 'openid offline all' },
  },
});
const fail = (message) => { console.error(`refresh_bench: ${message}`); process.exit(1); };
if (!opt.base) fail('--base URL is required');
const password = process.env.BENCH_USER_PASSWORD;
if (!password) fail('BENCH_USER_PASSWORD is not set');
const count = Number(opt.count);
if (!Number.isInteger(count) || count < 1) fail('--count must be a positive integer');
const base = opt.base.replace(/\/+$/, '');
const redirectUri = 'http://127.0.0.1:9/callback';  // never contacted

const jar = new Map();
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
async function request(url, { method = 'GET', form } = {}) {
  const headers = { cookie: cookieHeader() };
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const r = await fetch(new URL(url, base), { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(10000) });
  for (const c of r.headers.getSetCookie()) {
    const [pair, ...attrs] = c.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (!value || attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a))) jar.delete(name);
    else jar.set(name, value);
  }
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}
const csrfOf = (html, what) => {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!m) fail(`no csrf_token on the ${what} page`);
  return m[1];
};

// One authorization code: follows the server's redirects, signing in and consenting if asked.
async function code() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const state = crypto.randomBytes(16).toString('base64url');
  const authorize = `/oauth2/authorize?${new URLSearchParams({
    response_type: 'code', client_id: opt.client, redirect_uri: redirectUri, scope: opt.scope,
    code_challenge: challenge, code_challenge_method: 'S256', state,
  })}`;
  let url = authorize;
  for (let hops = 0; hops < 12; ++hops) {
    if (url.startsWith(redirectUri)) {
      const u = new URL(url);
      if (u.searchParams.get('state') !== state) fail(`state mismatch at ${u.pathname}`);
      const c = u.searchParams.get('code');
      if (!c) fail(`no code: ${u.search}`);
      return { code: c, verifier };
    }
    const r = await request(url);
    if (r.status >= 300 && r.status < 400 && r.location) {
      url = r.location.startsWith('/') || r.location.startsWith(base) ? new URL(r.location, base).href.replace(base, '') : r.location;
      if (!url.startsWith('/') && !url.startsWith(redirectUri)) fail(`redirected away to ${url}`);
      continue;
    }
    if (r.status !== 200) fail(`GET ${url}: ${r.status} ${r.text.slice(0, 300)}`);
    const path = new URL(url, base).pathname;
    if (path === '/login') {
      const s = await request(url, { method: 'POST', form: { csrf_token: csrfOf(r.text, 'login'), username: opt.user, password } });
      if (s.status !== 303 && s.status !== 302) fail(`sign-in: ${s.status} ${s.text.slice(0, 300)}`);
      if (!jar.has('tessera_session')) fail('sign-in set no session cookie');
      url = authorize;  // again, now with a session
    } else if (path === '/oauth2/consent') {
      const s = await request('/oauth2/consent', { method: 'POST', form: { csrf_token: csrfOf(r.text, 'consent'), decision: 'approve' } });
      if (!s.location) fail(`consent: ${s.status} ${s.text.slice(0, 300)}`);
      url = s.location.startsWith(base) ? s.location.replace(base, '') : s.location;
    } else {
      fail(`unexpected page ${path}`);
    }
  }
  fail('too many redirects');
}

async function refreshToken() {
  const c = await code();
  const r = await request('/oauth2/token', {
    method: 'POST',
    form: { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: redirectUri, client_id: opt.client },
  });
  let body;
  try { body = JSON.parse(r.text); } catch { body = {}; }
  if (r.status !== 200 || typeof body.refresh_token !== 'string') fail(`code redemption: ${r.status} ${r.text.slice(0, 300)}`);
  return body.refresh_token;
}

const tokens = [await refreshToken()];  // the first signs in and consents; the rest reuse the session
while (tokens.length < count) {
  const batch = await Promise.all(Array.from({ length: Math.min(8, count - tokens.length) }, refreshToken));
  tokens.push(...batch);
}
process.stdout.write(`${tokens.join('\n')}\n`);
