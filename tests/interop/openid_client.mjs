// Interop: openid-client (a certified OpenID Connect relying party) and jose against a real
// tessera-server, for each signing algorithm the server offers (RS256, ES256, EdDSA):
//   discovery -> client credentials (client_secret_basic and client_secret_post)
//   -> introspection (active, client_id, scope) -> RFC 9068 access-token checks with
//   jose.jwtVerify through the remote JWKS -> revocation -> introspection (inactive);
//   a wrong client secret is refused with invalid_client.
//
//   node tests/interop/openid_client.mjs <path to tessera-server>
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { runTest, startServer, check, checkEqual, expectReject, discover, log } from './harness.mjs';

const CLIENT = 'tessera-service';

async function clientCredentialsRound(server, alg, method) {
  const auth = method === 'client_secret_basic' ? oidc.ClientSecretBasic(server.clientSecret)
                                                : oidc.ClientSecretPost(server.clientSecret);
  const config = await discover(oidc, server, CLIENT, undefined, auth);
  const md = config.serverMetadata();
  checkEqual(md.issuer, server.issuer, 'discovered issuer');
  check(md.token_endpoint_auth_methods_supported?.includes(method), `metadata lists ${method}`);
  check(JSON.stringify(md.id_token_signing_alg_values_supported) === JSON.stringify([alg]),
        `id_token_signing_alg_values_supported is [${alg}], got ${JSON.stringify(md.id_token_signing_alg_values_supported)}`);

  const tokens = await oidc.clientCredentialsGrant(config, { scope: 'all' });
  check(typeof tokens.access_token === 'string' && tokens.access_token.length > 0, 'an access token');
  checkEqual(tokens.token_type?.toLowerCase(), 'bearer', 'token_type');
  check(typeof tokens.expires_in === 'number' && tokens.expires_in > 0, `expires_in > 0 (${tokens.expires_in})`);
  check(tokens.refresh_token === undefined, 'no refresh token for client credentials (RFC 6749 §4.4.3)');

  // RFC 9068 access token, verified by jose through the published JWKS.
  const jwks = jose.createRemoteJWKSet(new URL(md.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, {
    issuer: server.issuer,
    audience: server.issuer,
    typ: 'at+jwt',
    algorithms: [alg],
    requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
  });
  checkEqual(protectedHeader.alg, alg, 'JWS alg');
  check(typeof protectedHeader.kid === 'string' && protectedHeader.kid.length > 0, 'a kid in the JWS header');
  checkEqual(payload.client_id, CLIENT, 'access token client_id');
  checkEqual(payload.sub, CLIENT, 'access token sub (client credentials: the client, RFC 9068 §2.2)');
  checkEqual(payload.scope, 'all', 'access token scope');
  // The kid is the RFC 7638 thumbprint of the key that verified it.
  const { keys } = await (await fetch(md.jwks_uri)).json();
  const jwk = keys.find((k) => k.kid === protectedHeader.kid);
  check(jwk, `kid ${protectedHeader.kid} is in the JWKS`);
  checkEqual(await jose.calculateJwkThumbprint(jwk, 'sha256'), protectedHeader.kid, 'kid is the RFC 7638 thumbprint');
  check(!('d' in jwk) && !('p' in jwk), 'the JWKS has no private key members');
  await expectReject(jose.jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, audience: 'someone-else' }),
                     'jwtVerify with another audience', (e) => e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED');

  const active = await oidc.tokenIntrospection(config, tokens.access_token);
  checkEqual(active.active, true, 'introspection active');
  checkEqual(active.client_id, CLIENT, 'introspection client_id');
  checkEqual(active.scope, 'all', 'introspection scope');
  if (active.iss !== undefined) checkEqual(active.iss, server.issuer, 'introspection iss');

  await oidc.tokenRevocation(config, tokens.access_token);
  const after = await oidc.tokenIntrospection(config, tokens.access_token);
  checkEqual(after.active, false, 'introspection after revocation: active');
  check(Object.keys(after).length === 1, `an inactive introspection says nothing else (got ${JSON.stringify(after)})`);
  log(`${alg} ${method}: token, JWKS verification, introspection, revocation ok`);
}

// RFC 6749 §5.2: invalid_client; 401 with a WWW-Authenticate challenge when the client used
// the Authorization header (openid-client then reports the challenge, with the response).
async function wrongSecret(server) {
  for (const [method, auth] of [['client_secret_basic', oidc.ClientSecretBasic('not-the-secret')],
                                ['client_secret_post', oidc.ClientSecretPost('not-the-secret')]]) {
    const config = await discover(oidc, server, CLIENT, undefined, auth);
    const e = await expectReject(oidc.clientCredentialsGrant(config, { scope: 'all' }), `${method} with a wrong secret`);
    let error = e.error;
    if (e.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
      checkEqual(e.status, 401, `${method}: status with a challenge`);
      check(e.cause?.some((c) => c.scheme === 'basic'), `${method}: a Basic challenge (${JSON.stringify(e.cause)})`);
      error = (await e.response.json()).error;
    }
    checkEqual(error, 'invalid_client', `${method} with a wrong secret: error`);
    log(`${method} with a wrong secret: invalid_client (${e.code}, status ${e.status})`);
  }
}

runTest('interop_openid_client', async () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const server = await startServer({ signingAlg: alg === 'RS256' ? undefined : alg });
    try {
      await clientCredentialsRound(server, alg, 'client_secret_basic');
      await clientCredentialsRound(server, alg, 'client_secret_post');
      if (alg === 'RS256') await wrongSecret(server);
    } finally {
      await server.stop();
    }
  }
});
