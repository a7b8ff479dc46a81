// A token endpoint inside an existing Express app, over HTTPS with optional client certificates.
// Run:  npx tsx examples/express.ts                 (then the curl commands in fixtures/README.md)
// In an application, import from 'm2m-token-endpoint' and 'm2m-token-endpoint/node'.
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import express from 'express';
import { createNodeHandler } from '../src/adapters/node.js';
import type { ClientMetadata } from '../src/clients/metadata.js';
import { createTokenEndpoint } from '../src/core/token-endpoint.js';
import { generateSigningKey } from '../src/tokens/generate.js';

export interface ExpressExampleOptions {
  readonly fixtures: string;
  readonly port?: number;
  readonly issuer?: string;
}

export async function startExpressExample(options: ExpressExampleOptions): Promise<{ readonly origin: string; close(): Promise<void> }> {
  const file = (name: string) => readFile(join(options.fixtures, name), 'utf8');
  const port = options.port ?? 8443;
  const endpoint = createTokenEndpoint({
    issuer: options.issuer ?? `https://localhost:${port}`,
    clients: JSON.parse(await file('clients.json')) as ClientMetadata[],
    signingKeys: [{ privateKey: generateSigningKey() }],
    defaultAudience: 'https://resource.localhost',
    mtls: { trustAnchors: await file('ca.pem') },
  });

  const app = express();
  // Mount before global body parsers: the endpoint reads the raw body itself (size cap, strict UTF-8).
  app.use(createNodeHandler(endpoint));
  app.use(express.json());
  app.get('/health', (_request, response) => {
    response.json({ ok: true });
  });

  const server = https.createServer({ cert: await file('server.cert.pem'), key: await file('server.key.pem'), requestCert: true, rejectUnauthorized: false }, app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { fixtures: { type: 'string', default: 'fixtures' }, port: { type: 'string', default: '8443' } } });
  const server = await startExpressExample({ fixtures: values.fixtures, port: Number(values.port) });
  console.log(`token endpoint at ${server.origin}/token`);
}
