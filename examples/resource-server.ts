// A resource server that accepts only certificate-bound access tokens, over real mutual TLS.
// Run (after `npm run serve`, which prints its fixtures directory):
//   npx tsx examples/resource-server.ts --fixtures /tmp/m2m-serve-XXXX --issuer https://localhost:8443
// Then call it with the token and the same client certificate the token was issued to:
//   curl --cacert DIR/ca.pem --cert DIR/demo-tls-client-auth-dn.cert.pem --key DIR/demo-tls-client-auth-dn.key.pem \
//        -H "Authorization: Bearer $TOKEN" https://localhost:9443/resource
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { accessTokenGuard, accessTokenOf } from '../src/adapters/fastify.js';
import { createAccessTokenVerifier } from '../src/resource-server/index.js';

export interface ResourceServerOptions {
  /** The authorization server's issuer identifier; its JWKS is fetched from `${issuer}/jwks`. */
  readonly issuer: string;
  /** This resource server's identifier: the `aud` its tokens must carry. */
  readonly audience: string;
  /** PEM of the CA that issued both servers' certificates (to fetch the JWKS). */
  readonly caPem: string;
  readonly serverCertificatePem: string;
  readonly serverKeyPem: string;
  readonly port?: number;
  readonly host?: string;
}

export async function startResourceServer(options: ResourceServerOptions): Promise<{ readonly url: string; close(): Promise<void> }> {
  const verifier = createAccessTokenVerifier({
    issuer: options.issuer,
    audience: options.audience,
    jwks: { uri: `${options.issuer}/jwks`, ca: options.caPem },
    // This API takes bound tokens only: a stolen token is useless without the client's key.
    requireCertificateBinding: true,
  });
  const app = Fastify({
    https: { cert: options.serverCertificatePem, key: options.serverKeyPem, requestCert: true, rejectUnauthorized: false },
  });
  app.get('/resource', { preHandler: accessTokenGuard(verifier, { requiredScopes: ['demo:read'] }) }, async (request) => {
    const token = accessTokenOf(request);
    return { hello: token?.clientId, scopes: [...(token?.scopes ?? [])], boundTo: token?.certificateThumbprint };
  });
  await app.listen({ port: options.port ?? 9443, host: options.host ?? '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { url: `https://localhost:${port}/resource`, close: () => app.close() };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fixtures: { type: 'string' },
      issuer: { type: 'string', default: 'https://localhost:8443' },
      audience: { type: 'string', default: 'https://resource.localhost' },
      port: { type: 'string', default: '9443' },
    },
  });
  if (!values.fixtures) throw new Error('--fixtures DIR is required (the directory `npm run serve` printed)');
  const server = await startResourceServer({
    issuer: values.issuer,
    audience: values.audience,
    caPem: await readFile(join(values.fixtures, 'ca.pem'), 'utf8'),
    serverCertificatePem: await readFile(join(values.fixtures, 'server.cert.pem'), 'utf8'),
    serverKeyPem: await readFile(join(values.fixtures, 'server.key.pem'), 'utf8'),
    port: Number(values.port),
  });
  process.stdout.write(`resource server at ${server.url}\n`);
  process.once('SIGTERM', () => void server.close());
  process.once('SIGINT', () => void server.close());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
