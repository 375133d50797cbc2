// Interop: tessera-server's operations surface over loopback, as Prometheus and a log collector
// see it.
//
//   1. `tessera.logging.format: json` and `tessera.metrics.enabled: true` from a --config file:
//      a client-credentials token and a refused one move `tessera_tokens_issued_total` and
//      `tessera_token_errors_total`; `/metrics` parses as the text exposition format 0.0.4 (its
//      Content-Type, HELP and TYPE for every family, `+Inf` bucket == `_count`); requests are
//      labelled by route, never by the raw path; X-Request-Id is echoed when safe, made when
//      not; every stderr line of the process (listening, access log, stopped) is one JSON
//      object, and none holds the query string, the client secret or the token;
//   2. `--no-metrics` and `--log-format text` on the command line win over the file: no
//      `/metrics`, text lines;
//   3. `--metrics-listen` (tessera.metrics.listen): /metrics and /healthz on a listener of their
//      own, counting the main listener's requests; the main listener answers /metrics 404.
//
//   node tests/interop/observability.mjs <path to tessera-server>
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTest, startServer, serverPath, freePort, check, checkEqual, log, onCleanup } from './harness.mjs';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-ops-'));
onCleanup(() => fs.rmSync(scratch, { recursive: true, force: true }));

function secretHash(secret) {
  const r = spawnSync(serverPath(), ['secrets', 'hash'], { input: `${secret}\n`, encoding: 'utf8', timeout: 60000 });
  checkEqual(r.status, 0, `secrets hash exit status (${r.stderr})`);
  return /^Hash: (\S+)$/m.exec(r.stdout)[1];
}

async function token(issuer, id, secret, extra = '') {
  const r = await fetch(`${issuer}/oauth2/token${extra}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'all' }),
  });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

// The samples of a text exposition: { name, labels: {..}, value }; checks the format as it goes.
function parseExposition(text) {
  check(text.endsWith('\n'), 'the exposition ends with a newline');
  const samples = [];
  const typed = new Map();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      typed.set(t[1], t[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    check(m, `an exposition line: ${JSON.stringify(line)}`);
    const labels = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/g;
      let consumed = 0;
      for (let l; (l = re.exec(m[2])); consumed = re.lastIndex) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
      checkEqual(consumed, m[2].length, `labels of ${line}`);
    }
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    check(typed.has(m[1]) || typed.get(family) === 'histogram', `a TYPE line before ${m[1]}`);
    const value = Number(m[3].replace('+Inf', 'Infinity'));
    check(!Number.isNaN(value), `a number: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

function value(samples, name, labels) {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

async function scrape(issuer) {
  const r = await fetch(`${issuer}/metrics`);
  checkEqual(r.status, 200, '/metrics status');
  checkEqual(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8', '/metrics Content-Type');
  return parseExposition(await r.text());
}

// A request is counted when its response has been written, a moment after the client has it:
// scrape again (for up to 3 s) until `ready` holds, as a Prometheus scrape a moment later would.
async function scrapeSettled(issuer, ready) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const samples = await scrape(issuer);
    if (ready(samples) || Date.now() > deadline) return samples;
    await new Promise((r) => setTimeout(r, 20));
  }
}

runTest('interop_observability', async () => {
  const secret = 'ops-propeller-secret';
  const file = path.join(scratch, 'ops.yaml');
  fs.writeFileSync(file, `auth:
  appAuth:
    selfAuthServer:
      staticClients:
        flytepropeller:
          client_secret: ${secretHash(secret)}
          grant_types: [client_credentials]
          scopes: [all]
tessera:
  store: memory
  logging:
    format: json
  metrics:
    enabled: true
`);

  // 1. JSON logs and metrics from the file.
  {
    const port = await freePort();
    const server = await startServer({ port, attempts: 1, demo: false, extraArgs: ['--config', file] });
    const { issuer } = server;
    const before = await scrape(issuer);
    checkEqual(value(before, 'tessera_tokens_issued_total', { grant_type: 'client_credentials' }), 0, 'no token issued yet');
    for (const g of ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']) {
      check(before.some((s) => s.name === 'tessera_tokens_issued_total' && s.labels.grant_type === g), `issued series for ${g}`);
    }
    check(before.some((s) => s.name === 'process_start_time_seconds' && s.value > 1.6e9), 'process_start_time_seconds');
    check(before.some((s) => s.name === 'tessera_build_info' && s.value === 1), 'tessera_build_info');

    const good = await token(issuer, 'flytepropeller', secret, '?code=QUERYSECRET');
    checkEqual(good.status, 200, `a client-credentials token (${JSON.stringify(good.body)})`);
    checkEqual(good.headers.get('x-request-id')?.length, 32, 'a made request id comes back');
    const bad = await token(issuer, 'flytepropeller', 'WRONGSECRET');
    checkEqual(bad.status, 401, 'a wrong secret');
    const traced = await fetch(`${issuer}/healthz`, { headers: { 'x-request-id': 'trace-abc.123' } });
    checkEqual(traced.headers.get('x-request-id'), 'trace-abc.123', 'a safe X-Request-Id is echoed');
    const hostile = await fetch(`${issuer}/healthz`, { headers: { 'x-request-id': 'a"b<c>' } });
    checkEqual(hostile.headers.get('x-request-id')?.length, 32, 'an unsafe X-Request-Id is replaced');
    checkEqual((await fetch(`${issuer}/no/such/path/QUERYSECRET?x=1`)).status, 404, 'an unknown path');

    const after = await scrapeSettled(issuer,
      (x) => value(x, 'tessera_http_requests_total', { route: 'other', status: '404' }) === 1 &&
             value(x, 'tessera_http_requests_total', { route: '/oauth2/token', status: '200' }) === 1 &&
             value(x, 'tessera_http_requests_total', { route: '/oauth2/token', status: '401' }) === 1 &&
             value(x, 'tessera_http_requests_total', { route: '/healthz', status: '200' }) >= 3);
    checkEqual(value(after, 'tessera_tokens_issued_total', { grant_type: 'client_credentials' }), 1, 'one token issued');
    checkEqual(value(after, 'tessera_token_errors_total', { error: 'invalid_client' }), 1, 'one invalid_client');
    checkEqual(value(after, 'tessera_http_requests_total', { route: '/oauth2/token', status: '200' }), 1, 'token 200');
    checkEqual(value(after, 'tessera_http_requests_total', { route: '/oauth2/token', status: '401' }), 1, 'token 401');
    checkEqual(value(after, 'tessera_http_requests_total', { route: '/healthz', status: '200' }) >= 3, true, 'healthz');
    checkEqual(value(after, 'tessera_http_requests_total', { route: 'other', status: '404' }), 1, 'the unknown path as other');
    checkEqual(value(after, 'tessera_http_request_duration_seconds_count', { route: '/oauth2/token' }), 2, 'token latency count');
    for (const s of after.filter((x) => x.name === 'tessera_http_request_duration_seconds_count')) {
      checkEqual(value(after, 'tessera_http_request_duration_seconds_bucket', { route: s.labels.route, le: '+Inf' }), s.value,
        `+Inf bucket == _count for ${s.labels.route}`);
    }
    check(after.some((s) => s.name === 'tessera_store_operation_duration_seconds_count' && s.labels.operation === 'use_once'),
      'store latency per operation');
    const labelValues = after.flatMap((s) => Object.values(s.labels)).join('\n');
    for (const raw of ['QUERYSECRET', 'no/such', 'WRONGSECRET', secret, 'trace-abc']) {
      check(!labelValues.includes(raw), `no label holds ${raw}`);
    }
    await server.stop();

    const lines = server.stderrText().split('\n').filter((l) => l.length > 0);
    const records = lines.map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`a stderr line that is not JSON: ${l}`);
      }
    });
    for (const r of records) {
      check(typeof r.time === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(r.time), `RFC 3339 time: ${r.time}`);
      check(['info', 'warn', 'error'].includes(r.level), `a level: ${r.level}`);
    }
    check(records.some((r) => r.event === 'listening' && r.url === issuer), 'listening, as JSON');
    check(records.some((r) => r.event === 'stopped'), 'stopped, as JSON');
    const access = records.filter((r) => r.event === 'http_request');
    const tokenLine = access.find((r) => r.path === '/oauth2/token' && r.status === 200);
    check(tokenLine, 'the token request is in the access log');
    checkEqual(tokenLine.request_id, good.headers.get('x-request-id'), 'the log holds the id the response carried');
    checkEqual(tokenLine.method, 'POST', 'method');
    check(Number.isInteger(tokenLine.duration_us) && tokenLine.bytes > 0 && tokenLine.tls === false, 'duration, bytes, tls');
    check(access.some((r) => r.request_id === 'trace-abc.123'), 'the client\'s id in the log');
    const all = lines.join('\n');
    for (const raw of ['QUERYSECRET?', 'code=', 'WRONGSECRET', secret, good.body.access_token, 'Basic ']) {
      check(!all.includes(raw), `the log never holds ${raw.slice(0, 20)}`);
    }
  }

  // 2. Flags over the file.
  {
    const server = await startServer({ attempts: 1, demo: false,
                                       extraArgs: ['--config', file, '--no-metrics', '--log-format', 'text'] });
    checkEqual((await fetch(`${server.issuer}/metrics`)).status, 404, '--no-metrics: no /metrics');
    await server.stop();
    const first = server.stderrText().split('\n').find((l) => l.includes('listening on'));
    check(first && first.startsWith('tessera-server: listening on'), `--log-format text wins: ${first}`);
  }

  // 3. Metrics on a listener of their own.
  {
    const mport = await freePort();
    const server = await startServer({ attempts: 1, demo: false,
                                       extraArgs: ['--config', file, '--metrics-listen', `127.0.0.1:${mport}`] });
    const metricsUrl = `http://127.0.0.1:${mport}`;
    checkEqual((await fetch(`${server.issuer}/metrics`)).status, 404, 'the main listener has no /metrics');
    checkEqual((await fetch(`${metricsUrl}/healthz`)).status, 200, '/healthz beside /metrics');
    checkEqual((await fetch(`${metricsUrl}/oauth2/token`, { method: 'POST' })).status, 404, 'nothing else there');
    const good = await token(server.issuer, 'flytepropeller', secret);
    checkEqual(good.status, 200, 'a token from the main listener');
    const scraped = await scrapeSettled(metricsUrl,
      (x) => value(x, 'tessera_http_requests_total', { route: 'other', status: '404' }) === 1 &&
             value(x, 'tessera_http_requests_total', { route: '/oauth2/token', status: '200' }) === 1);
    checkEqual(value(scraped, 'tessera_tokens_issued_total', { grant_type: 'client_credentials' }), 1, 'counted there');
    checkEqual(value(scraped, 'tessera_http_requests_total', { route: '/oauth2/token', status: '200' }), 1, 'main requests counted');
    checkEqual(value(scraped, 'tessera_http_requests_total', { route: 'other', status: '404' }), 1, 'the main /metrics 404 as other');
    await server.stop();
    const records = server.stderrText().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
    check(records.some((r) => r.event === 'metrics_listening' && r.url === `${metricsUrl}/metrics`), 'metrics_listening logged');
    checkEqual(records.filter((r) => r.event === 'http_request' && r.path === '/metrics').length, 1,
      'only the main listener\'s /metrics 404 is in the access log, not the scrapes');
  }
  log('operations: metrics, JSON logs, request ids, flags passed');
});
