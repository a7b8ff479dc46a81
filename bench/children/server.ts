/**
 * One HTTPS server under test, on a free loopback port: our fastify adapter, our node:http
 * adapter, or oidc-provider configured as close to ours as it allows (ES256 JWT access tokens,
 * the same clients, private_key_jwt and tls_client_auth with the certificate from the socket).
 *
 * Args: --fixtures FILE --kind fastify|node|oidc-provider
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { parseArgs } from 'node:util';
import { serveCommands } from '../lib/child.js';
import { type Fixtures, publicJwk, readFixtures } from '../lib/fixtures.js';
import { loadFastifyAdapter, loadNodeAdapter } from '../lib/lib.js';
import { createBenchEndpoint } from '../lib/scenarios.js';

export type ServerKind = 'fastify' | 'node' | 'oidc-provider' | 'minimal';

const { values } = parseArgs({ options: { fixtures: { type: 'string' }, kind: { type: 'string' } } });
const fixtures = readFixtures(values.fixtures as string);
const kind = values.kind as ServerKind;

/** The same TLS settings for every server: ask for a client certificate, require none. */
function tlsOptions(f: Fixtures): https.ServerOptions {
  return {
    key: f.server.keyPem,
    cert: f.server.certPem,
    requestCert: true,
    rejectUnauthorized: false,
    // oidc-provider has no chain validation of its own: it reads socket.authorized, which needs the CA.
    ...(kind === 'oidc-provider' ? { ca: f.trustAnchorsPem } : {}),
  };
}

let closeServer: () => Promise<void> = async () => {};

async function startOurs(which: 'fastify' | 'node'): Promise<number> {
  const endpoint = createBenchEndpoint(fixtures);
  if (which === 'fastify') {
    const { default: Fastify } = await import('fastify');
    const { tokenEndpoint } = await loadFastifyAdapter();
    const app = Fastify({ https: tlsOptions(fixtures), logger: false });
    await app.register(tokenEndpoint, { endpoint });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closeServer = () => app.close();
    return (app.server.address() as AddressInfo).port;
  }
  const { createNodeHandler } = await loadNodeAdapter();
  const server = https.createServer(tlsOptions(fixtures), createNodeHandler(endpoint));
  return listen(server);
}

async function listen(server: https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeServer = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return (server.address() as AddressInfo).port;
}

/** RFC 4514 string of a node:crypto subject ("C=DE\nO=…\nCN=…", least specific first). */
function rfc4514(subject: string): string {
  return subject.split('\n').reverse().join(',');
}

async function startOidcProvider(): Promise<number> {
  const { default: Provider } = await import('oidc-provider');
  const certificates = new WeakMap<TLSSocket, X509Certificate | null>();
  // Read once per connection, as our adapters do.
  const peerCertificate = (socket: TLSSocket): X509Certificate | undefined => {
    let certificate = certificates.get(socket);
    if (certificate === undefined) {
      certificate = socket.getPeerX509Certificate() ?? null;
      certificates.set(socket, certificate);
    }
    return certificate ?? undefined;
  };
  const pkjwt = fixtures.clients.find((client) => client.client_id === 'pkjwt-es256');
  const mtls = fixtures.clients.find((client) => client.client_id === 'mtls-dn');
  if (!pkjwt || !mtls) throw new Error('fixtures lack the pkjwt-es256 or mtls-dn client');
  // id_token_signed_response_alg: its default (RS256) needs an RSA key we do not give it; no id_token is ever issued here.
  const common = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: fixtures.scope, id_token_signed_response_alg: 'ES256' };
  const provider = new Provider(fixtures.issuer, {
    clients: [
      { ...common, client_id: 'pkjwt-es256', token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [publicJwk(fixtures.pkjwtKeys.ES256)] } },
      {
        ...common,
        client_id: 'mtls-dn',
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: mtls.tls_client_auth_subject_dn as string,
        tls_client_certificate_bound_access_tokens: true,
      },
    ] as never,
    clientAuthMethods: ['private_key_jwt', 'tls_client_auth'],
    ttl: { ClientCredentials: 300 },
    jwks: { keys: [fixtures.signingJwk] } as never,
    scopes: [fixtures.scope],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => fixtures.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: fixtures.scope,
          audience: fixtures.audience,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        getCertificate: (ctx: { socket: TLSSocket }) => peerCertificate(ctx.socket),
        certificateAuthorized: (ctx: { socket: TLSSocket }) => ctx.socket.authorized,
        certificateSubjectMatches: (ctx: { socket: TLSSocket }, property: string, expected: string) => {
          const certificate = peerCertificate(ctx.socket);
          if (!certificate || property !== 'tls_client_auth_subject_dn') return false;
          return rfc4514(certificate.subject) === expected;
        },
      },
    },
  } as never);
  // Keep its own console warnings (development defaults) out of the table.
  provider.on('server_error', (_ctx: unknown, error: Error) => console.error('oidc-provider server_error', error.message));
  const server = https.createServer(tlsOptions(fixtures), provider.callback());
  return listen(server);
}

/**
 * The HTTPS floor for these scenarios: node:https and node:crypto with nothing else — parse the
 * form, verify the ES256 assertion's signature (no claim checks, no replay store) or take the
 * socket certificate's SHA-256, sign an ES256 token, answer. Not a token endpoint (it checks
 * almost nothing): the bound on what any implementation can do on this machine and stack.
 */
async function startMinimal(): Promise<number> {
  const { createHash, createPrivateKey, createPublicKey, randomUUID, sign, verify } = await import('node:crypto');
  const signingKey = createPrivateKey({ key: fixtures.signingJwk as never, format: 'jwk' });
  const clientKey = createPublicKey({ key: publicJwk(fixtures.pkjwtKeys.ES256) as never, format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'minimal' })).toString('base64url');
  const thumbprints = new WeakMap<object, string>();
  const server = https.createServer(tlsOptions(fixtures), (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('latin1'));
      const clientId = form.get('client_id') ?? '';
      let cnf: string | undefined;
      const assertion = form.get('client_assertion');
      let ok = true;
      if (assertion) {
        const dot = assertion.lastIndexOf('.');
        ok = verify('sha256', Buffer.from(assertion.slice(0, dot)), { key: clientKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(assertion.slice(dot + 1), 'base64url'));
        JSON.parse(Buffer.from(assertion.slice(assertion.indexOf('.') + 1, dot), 'base64url').toString());
      } else {
        const socket = request.socket as TLSSocket;
        cnf = thumbprints.get(socket);
        if (cnf === undefined) {
          cnf = createHash('sha256').update(socket.getPeerCertificate().raw).digest('base64url');
          thumbprints.set(socket, cnf);
        }
      }
      const iat = Math.floor(Date.now() / 1000);
      const claims = { iss: fixtures.issuer, sub: clientId, client_id: clientId, aud: fixtures.audience, iat, exp: iat + 300, jti: randomUUID(), scope: fixtures.scope, ...(cnf ? { cnf: { 'x5t#S256': cnf } } : {}) };
      const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      const token = `${input}.${sign('sha256', Buffer.from(input), { key: signingKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
      const body = ok ? JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 300, scope: fixtures.scope }) : '{"error":"invalid_client"}';
      response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  return listen(server);
}

let port = 0;
const setup = (async () => {
  port = kind === 'oidc-provider' ? await startOidcProvider() : kind === 'minimal' ? await startMinimal() : await startOurs(kind);
})();

serveCommands(
  {
    port: () => port,
    memory: () => process.memoryUsage(),
    cpu: () => process.cpuUsage(),
    close: async () => {
      await closeServer();
      return true;
    },
  },
  setup,
);
