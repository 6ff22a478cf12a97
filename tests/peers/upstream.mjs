// An upstream identity provider configured like FranceConnect v2, on panva's certified
// oidc-provider: issuer path /api/v2, pairwise subjects, ES256 ID tokens, signed userinfo
// (application/jwt), acr eidas1-3, the pivot-identity claims and their scopes,
// client_secret_post, PKCE required, FranceConnect's lifetimes (code 30 s, tokens 60 s,
// session 1800 s).
//
// Configuration: one JSON object in the PEER_CONFIG environment variable:
//   { "port": 0, "clients": [{ "client_id", "client_secret", "redirect_uris": [...],
//     "post_logout_redirect_uris": [...] }],
//     "accounts": { "<login_hint>": { "acr": "eidas1", "claims": { pivot identity... } } } }
// Prints one line `{"issuer": ...}` on stdout once it listens on 127.0.0.1.
//
// Logging in: `login_hint=<account>` logs that account in at once; otherwise a page with one
// <form method="post"> whose field `account` chooses it. Consent is implicit (FC asks none).

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const MOUNT = '/api/v2';
const PIVOT = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry'];
const CLAIMS = {
  openid: ['sub'],
  given_name: ['given_name'],
  family_name: ['family_name'],
  birthdate: ['birthdate'],
  gender: ['gender'],
  birthplace: ['birthplace'],
  birthcountry: ['birthcountry'],
  email: ['email'],
  preferred_username: ['preferred_username'],
  profile: ['given_name', 'family_name', 'birthdate', 'gender', 'preferred_username'],
  birth: ['birthplace', 'birthcountry'],
  identite_pivot: PIVOT,
};

const config = JSON.parse(process.env.PEER_CONFIG || '{}');
const accounts = config.accounts || {};
const salt = randomBytes(16).toString('hex');

function signingKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomBytes(8).toString('hex'), alg: 'ES256', use: 'sig' };
}

function html(title, body) {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${title}</title>`
    + `</head><body>${body}</body></html>`;
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function clients() {
  return (config.clients || []).map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    post_logout_redirect_uris: c.post_logout_redirect_uris || [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
    userinfo_signed_response_alg: 'ES256',
    subject_type: 'pairwise',
  }));
}

function findAccount(ctx, id) {
  const account = accounts[id];
  if (!account) return undefined;
  return {
    accountId: id,
    async claims() {
      return { sub: id, ...account.claims };
    },
  };
}

async function loadExistingGrant(ctx) {
  // FranceConnect asks the citizen for no consent at the identity provider.
  const grant = new ctx.oidc.provider.Grant({
    clientId: ctx.oidc.client.clientId,
    accountId: ctx.oidc.session.accountId,
  });
  grant.addOIDCScope(ctx.oidc.params.scope);
  await grant.save();
  return grant;
}

function logoutSource(ctx, form) {
  ctx.body = html('Déconnexion', `${form.replace('</form>',
    '<input type="hidden" name="logout" value="yes"></form>')}`
    + '<button type="submit" form="op.logoutForm">Se déconnecter</button>');
}

const provider = new Provider(`http://127.0.0.1:${config.port}${MOUNT}`, {
  clients: clients(),
  jwks: { keys: [signingKey()] },
  findAccount,
  loadExistingGrant,
  claims: CLAIMS,
  scopes: Object.keys(CLAIMS),
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  subjectTypes: ['pairwise'],
  pairwiseIdentifier: async (ctx, accountId, client) => createHash('sha256')
    .update(`${client.sectorIdentifier}\x1f${accountId}\x1f${salt}`).digest('hex') + 'v1',
  pkce: { required: () => true },
  responseTypes: ['code'],
  clientDefaults: { token_endpoint_auth_method: 'client_secret_post' },
  enabledJWA: { idTokenSigningAlgValues: ['ES256', 'RS256'], userinfoSigningAlgValues: ['ES256', 'RS256'] },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true, logoutSource },
    revocation: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  ttl: {
    AuthorizationCode: 30,
    AccessToken: 60,
    IdToken: 60,
    Session: 1800,
    Grant: 1800,
    Interaction: 600,
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = html('Erreur', `<h1>${escape(out.error)}</h1><p>${escape(out.error_description || '')}</p>`);
  },
});
provider.proxy = false;

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {
    return provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
  }
  let chosen = details.params.login_hint;
  if (req.method === 'POST') chosen = new URLSearchParams(await body(req)).get('account');
  const account = accounts[chosen];
  if (!account) return chooser(res, uid);
  const result = { login: { accountId: chosen, acr: account.acr || 'eidas1', amr: ['pwd'] } };
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

function chooser(res, uid) {
  const options = Object.keys(accounts).map((key) => `<li><label><input type="radio" name="account"`
    + ` value="${escape(key)}" required> ${escape(key)}</label></li>`).join('');
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(html('Connexion', `<form method="post" action="/interaction/${uid}"><ul>${options}</ul>`
    + '<button type="submit">Se connecter</button></form>'));
}

function body(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
  });
}

const callback = provider.callback();
const server = createServer((req, res) => {
  const match = req.url.match(/^\/interaction\/([A-Za-z0-9_-]+)/);
  if (match) {
    interaction(req, res, match[1]).catch((err) => {
      res.statusCode = 400;
      res.end(html('Erreur', escape(err.message)));
    });
    return;
  }
  if (req.url === MOUNT || req.url.startsWith(`${MOUNT}/`)) {
    req.originalUrl = req.url;
    req.url = req.url.slice(MOUNT.length) || '/';
    callback(req, res);
    return;
  }
  res.statusCode = 404;
  res.end('not found');
});

server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer: provider.issuer })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
