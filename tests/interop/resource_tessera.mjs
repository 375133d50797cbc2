// tessera-resource (examples/resource) in front of tessera-server, each its own process: the
// server's RFC 8414 metadata and JWKS found from its issuer URL, its RFC 9068 access tokens
// accepted with their scopes, and revocation honoured through RFC 7662 introspection by the
// resource server that asks (the one that does not ask accepts the JWT until it expires —
// the trade-off External mode without introspection makes).
//
//   node tests/interop/resource_tessera.mjs <tessera-server> <tessera-resource>
import { runTest, startServer, freePort, startProgram, resourcePath, check, checkEqual } from './harness.mjs';

async function clientToken(srv, scope) {
  const r = await fetch(`${srv.issuer}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded',
               authorization: `Basic ${Buffer.from(`tessera-service:${srv.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  const body = await r.json();
  checkEqual(r.status, 200, `token request (${JSON.stringify(body)})`);
  return body.access_token;
}

async function call(rs, path, tok) {
  const r = await fetch(`${rs.url}${path}`, { headers: tok ? { authorization: `Bearer ${tok}` } : {} });
  return { status: r.status, challenge: r.headers.get('www-authenticate'), body: await r.text() };
}

runTest('interop_resource_tessera', async () => {
  const srv = await startServer({ signingAlg: 'ES256' });
  const start = async (extra, env) => {
    const port = await freePort();
    return startProgram({
      name: `tessera-resource :${port}`, bin: resourcePath(), port, env,
      args: ['--issuer', srv.issuer, '--audience', srv.issuer, '--listen', `127.0.0.1:${port}`, '--quiet', ...extra],
    });
  };
  const plain = await start([]);
  const asking = await start(['--cache-max-age', '0', '--introspection-client', 'tessera-service',
                              '--introspection-secret-env', 'TESSERA_SERVICE_SECRET', '--introspect-jwts'],
                             { TESSERA_SERVICE_SECRET: srv.clientSecret });

  const all = await clientToken(srv, 'all');
  let r = await call(plain, '/api/admin', all);
  checkEqual(r.status, 200, `GET /api/admin with scope all (${r.body})`);
  r = await call(asking, '/api/hello', all);
  checkEqual(r.status, 200, `introspecting resource server (${r.body})`);
  const who = JSON.parse(r.body);
  checkEqual(who.subject, 'tessera-service', 'subject of a client-credentials token');
  checkEqual(who.client_id, 'tessera-service', 'client_id');

  r = await call(plain, '/api/admin', await clientToken(srv, 'openid'));
  checkEqual(r.status, 403, 'a token without scope all');
  checkEqual(r.challenge, 'Bearer realm="tessera", error="insufficient_scope", scope="all"', 'challenge');

  // Revoke the token at the server (RFC 7009).
  const rev = await fetch(`${srv.issuer}/oauth2/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded',
               authorization: `Basic ${Buffer.from(`tessera-service:${srv.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ token: all }),
  });
  checkEqual(rev.status, 200, 'revocation');
  r = await call(asking, '/api/hello', all);
  checkEqual(r.status, 401, 'the introspecting resource server refuses the revoked token');
  checkEqual(r.challenge, 'Bearer realm="tessera", error="invalid_token"', 'invalid_token challenge');
  checkEqual((await call(plain, '/api/hello', all)).status, 200,
             'without introspection a revoked JWT is accepted until it expires (documented)');

  // Tokens of another tessera-server (another issuer and key) are refused.
  const other = await startServer({ signingAlg: 'ES256' });
  r = await call(plain, '/api/hello', await clientToken(other, 'all'));
  checkEqual(r.status, 401, 'a token of another tessera-server');
  check(r.challenge.includes('invalid_token'), 'invalid_token');
});
