// The comparison server for benchmarks/throughput.sh: npm oidc-provider (a certified OpenID
// provider, the version in package-lock.json) issuing JWT access tokens for the
// client-credentials grant, on 127.0.0.1:PORT, as a node `cluster` of N workers that share the
// listening socket (node's default round-robin: the primary accepts, the workers serve).
//
//   node benchmarks/oidc_provider_bench.mjs --port PORT [--alg ES256|RS256] [--workers N] [--scope all]
//   environment: BENCH_CLIENT_SECRET (required; the secret of the one client, bench-service)
//
// Configured like a production deployment of this one grant, and like tessera-server's
// client-credentials path, so that the two compare:
//   - one confidential client, client_secret_basic, grant_types ['client_credentials'];
//   - one resource server (resourceIndicators; the default resource of this grant, so the request
//     needs no `resource` parameter) with accessTokenFormat 'jwt': each token is a JWT signed
//     with the one key of `--alg`, made once in the primary and handed to every worker through
//     the environment (BENCH_JWK), so all workers sign with one key and publish one JWKS;
//   - devInteractions off (no login pages), proxy off, NODE_ENV=production unless set; the
//     default in-memory adapter, which JWT access tokens do not touch (they are not stored).
//
// Prints "oidc-provider ready on 127.0.0.1:PORT (N workers, ALG)" once every worker listens.
// SIGTERM/SIGINT to the primary stop the workers and then the primary; a worker whose primary
// is gone (IPC closed, even after SIGKILL) exits on its own; a worker that dies stops the lot.
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

process.env.NODE_ENV ??= 'production';

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string' },
    alg: { type: 'string', default: 'ES256' },
    workers: { type: 'string', default: '2' },
    scope: { type: 'string', default: 'all' },
  },
});
const CLIENT_ID = 'bench-service';
const API = 'urn:tessera:bench-api';

function fail(message) {
  console.error(`oidc_provider_bench: ${message}`);
  process.exit(2);
}

if (cluster.isPrimary) {
  const port = Number(opt.port);
  const workers = Number(opt.workers);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) fail('--port PORT is required');
  if (!Number.isInteger(workers) || workers < 1) fail('--workers must be a positive integer');
  if (!['ES256', 'RS256'].includes(opt.alg)) fail('--alg must be ES256 or RS256');
  if (!process.env.BENCH_CLIENT_SECRET) fail('BENCH_CLIENT_SECRET is not set');

  const { privateKey } = opt.alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `bench-${opt.alg.toLowerCase()}`, alg: opt.alg, use: 'sig' };
  const cookieKey = crypto.randomBytes(32).toString('base64url');

  let stopping = false;
  let listening = 0;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    process.exitCode = code;
    const alive = Object.values(cluster.workers).filter((w) => w && !w.isDead());
    if (alive.length === 0) process.exit(code);
    for (const w of alive) w.process.kill('SIGTERM');
    // Workers that ignore SIGTERM for 3 s are killed.
    setTimeout(() => {
      for (const w of Object.values(cluster.workers)) if (w && !w.isDead()) w.process.kill('SIGKILL');
      process.exit(code);
    }, 3000).unref();
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      console.error(`oidc_provider_bench: worker ${worker.process.pid} died (${signal ?? code}); stopping`);
      stop(1);
    }
    if (Object.values(cluster.workers).every((w) => !w || w.isDead())) process.exit(process.exitCode ?? 0);
  });
  cluster.on('listening', () => {
    if (++listening === workers) {
      console.log(`oidc-provider ready on 127.0.0.1:${port} (${workers} workers, ${opt.alg}) primary ${process.pid}`);
    }
  });
  for (let i = 0; i < workers; ++i) {
    cluster.fork({ BENCH_JWK: JSON.stringify(jwk), BENCH_COOKIE_KEY: cookieKey });
  }
} else {
  // A worker: its primary's IPC channel closing means the primary is gone.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => {});  // Ctrl-C reaches the whole group: the primary decides.

  const { default: Provider } = await import('oidc-provider');
  const port = Number(opt.port);
  const jwk = JSON.parse(process.env.BENCH_JWK);
  const alg = jwk.alg;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: process.env.BENCH_CLIENT_SECRET,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: opt.scope,
      id_token_signed_response_alg: alg,  // the only key is one of `alg`
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [process.env.BENCH_COOKIE_KEY] },
    scopes: ['openid', ...opt.scope.split(' ')],
    ttl: { ClientCredentials: 600 },  // the resource server's accessTokenTTL decides; this silences a notice
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf ?? API,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (ctx, resource) => {
          if (resource !== API) throw new Error(`unknown resource ${resource}`);
          return { audience: API, scope: opt.scope, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg } } };
        },
      },
    },
  });
  provider.proxy = false;
  provider.on('server_error', (ctx, err) => console.error(`oidc-provider server_error: ${err.stack}`));
  const server = http.createServer(provider.callback());
  server.keepAliveTimeout = 60_000;  // wrk keeps its connections; so does tessera-server
  server.on('error', (err) => { console.error(`oidc_provider_bench: ${err.message}`); process.exit(1); });
  server.listen(port, '127.0.0.1');
}
