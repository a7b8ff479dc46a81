// A token endpoint in fastify over direct mutual TLS (RFC 8705), on the committed fixtures.
// Run:  npx tsx examples/fastify-mtls.ts            (then the curl commands in fixtures/README.md)
// In an application, import from 'm2m-token-endpoint' and 'm2m-token-endpoint/fastify'.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { tokenEndpoint } from '../src/adapters/fastify.js';
import type { ClientMetadata } from '../src/clients/metadata.js';
import { createTokenEndpoint } from '../src/core/token-endpoint.js';
import { generateSigningKey } from '../src/tokens/generate.js';

export interface FastifyMtlsOptions {
  /** A directory written by `npm run fixtures` (ca.pem, server.cert.pem, server.key.pem, clients.json). */
  readonly fixtures: string;
  readonly port?: number;
  readonly issuer?: string;
}

export async function startFastifyMtls(options: FastifyMtlsOptions): Promise<{ readonly origin: string; close(): Promise<void> }> {
  const file = (name: string) => readFile(join(options.fixtures, name), 'utf8');
  const port = options.port ?? 8443;
  const endpoint = createTokenEndpoint({
    issuer: options.issuer ?? `https://localhost:${port}`,
    clients: JSON.parse(await file('clients.json')) as ClientMetadata[],
    signingKeys: [{ privateKey: generateSigningKey() }], // production: load a persistent key
    defaultAudience: 'https://resource.localhost',
    mtls: { trustAnchors: await file('ca.pem') },
    onEvent: (event) => console.log(JSON.stringify(event)),
  });
  // Ask every client for a certificate, require none, and let the library judge it.
  const app = Fastify({ https: { cert: await file('server.cert.pem'), key: await file('server.key.pem'), requestCert: true, rejectUnauthorized: false } });
  await app.register(tokenEndpoint, { endpoint });
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  return { origin: `https://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`, close: () => app.close() };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { fixtures: { type: 'string', default: 'fixtures' }, port: { type: 'string', default: '8443' } } });
  const server = await startFastifyMtls({ fixtures: values.fixtures, port: Number(values.port) });
  console.log(`token endpoint at ${server.origin}/token`);
}
