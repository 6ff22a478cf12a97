// A relying party on panva's certified openid-client, driving the hub as an OpenID Provider.
//
//   node rp.mjs start    < {issuer, client_id, client_secret, redirect_uri, params: {...}}
//        -> {url, state, nonce, verifier}           (the test's browser follows `url`)
//   node rp.mjs finish   < {... , callback_url, state, nonce, verifier, post_logout_redirect_uri}
//        -> code exchange, signed userinfo, refresh, userinfo again, end-session URL
//   node rp.mjs refresh  < {... , refresh_token}     -> {tokens} or {error}
//   node rp.mjs revoke   < {... , token}             -> {revoked: true} or {error}
//
// Everything openid-client checks stays on: discovery issuer, `iss` in the authorization response
// (RFC 9207), state, PKCE, ID token signature (JWKS) and claims (iss, aud, exp, iat, nonce),
// signed userinfo (ES256, same sub). One JSON object is printed on stdout; protocol errors are
// printed as {"error", "error_description"} rather than thrown.

import * as oidc from 'openid-client';

async function readInput() {
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return JSON.parse(data || '{}');
}

async function configuration(input) {
  return oidc.discovery(
    new URL(input.issuer),
    input.client_id,
    { id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' },
    oidc.ClientSecretPost(input.client_secret),
    { execute: [oidc.allowInsecureRequests] },
  );
}

async function start(config, input) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: input.redirect_uri,
    scope: 'openid petitions',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...input.params,
  });
  return { url: url.href, state, nonce, verifier };
}

async function finish(config, input) {
  const tokens = await oidc.authorizationCodeGrant(config, new URL(input.callback_url), {
    pkceCodeVerifier: input.verifier,
    expectedState: input.state,
    expectedNonce: input.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
  const userinfoAfterRefresh = await oidc.fetchUserInfo(config, refreshed.access_token, claims.sub);
  const endSessionUrl = oidc.buildEndSessionUrl(config, {
    id_token_hint: refreshed.id_token || tokens.id_token,
    post_logout_redirect_uri: input.post_logout_redirect_uri,
    state: 'logout-state-from-the-rp',
  });
  return {
    id_token_claims: claims,
    access_token: tokens.access_token,
    first_refresh_token: tokens.refresh_token,
    userinfo,
    refreshed: {
      id_token_claims: refreshed.claims(),
      access_token: refreshed.access_token,
      refresh_token: refreshed.refresh_token,
      expires_in: refreshed.expiresIn(),
    },
    userinfo_after_refresh: userinfoAfterRefresh,
    end_session_url: endSessionUrl.href,
  };
}

async function refresh(config, input) {
  const tokens = await oidc.refreshTokenGrant(config, input.refresh_token);
  return { access_token: tokens.access_token, refresh_token: tokens.refresh_token };
}

async function revoke(config, input) {
  await oidc.tokenRevocation(config, input.token);
  return { revoked: true };
}

const COMMANDS = { start, finish, refresh, revoke };

async function main() {
  const command = COMMANDS[process.argv[2]];
  if (!command) throw new Error(`usage: rp.mjs ${Object.keys(COMMANDS).join('|')}`);
  const input = await readInput();
  const config = await configuration(input);
  try {
    return await command(config, input);
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError) {
      return { error: err.error, error_description: err.error_description };
    }
    return { error: 'client_check_failed', code: err.code, message: err.message };
  }
}

main().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(2);
  },
);
