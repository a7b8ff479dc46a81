// The token endpoint through the Fetch adapter, hosted by Hono on @hono/node-server over real
// mutual TLS. Run (with the fixtures directory `npm run serve` printed; stop that server first, or
// pass another --port, since both default to 8443):
//   npx tsx examples/fetch-host.ts --fixtures /tmp/m2m-serve-XXXX
// The curl commands `npm run serve` printed then work against this server unchanged.
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { type HttpBindings, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createFetchHandler } from '../src/adapters/fetch.js';
import { type ClientMetadata, type TlsClientCertificate, createTokenEndpoint, generateSigningKey } from '../src/index.js';

export interface FetchHostOptions {
  /** PEM of the CA that issues client certificates (the `tls_client_auth` trust anchor). */
  readonly caPem: string;
  /** Server certificate chain and key, PEM. */
  readonly serverCertificatePem: string;
  readonly serverKeyPem: string;
  /** The client registry, RFC 7591/8705 names (what `clients.json` holds). */
  readonly clients: readonly ClientMetadata[];
  /** Default 8443; 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Default `https://localhost:PORT`. */
  readonly issuer?: string;
}

/**
 * The certificate the client presented in this connection's handshake, with the intermediates it
 * sent. The Fetch `Request` cannot carry it, so the host reads it from Node's TLS socket.
 */
function clientCertificateOf(socket: Socket): TlsClientCertificate | undefined {
  if (!(socket as TLSSocket).encrypted) return undefined;
  const peer = (socket as TLSSocket).getPeerCertificate(true);
  if (!peer?.raw) return undefined;
  const intermediates: Buffer[] = [];
  // The detailed chain links to itself at the root: stop there, and cap the walk.
  for (let next = peer.issuerCertificate; next?.raw && next !== next.issuerCertificate && intermediates.length < 8; next = next.issuerCertificate) {
    if (next.raw.equals(peer.raw)) break;
    intermediates.push(next.raw);
  }
  return { certificate: peer.raw, intermediates };
}

/** The issuer must name the port, so port 0 is resolved to a free port before anything starts. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export async function startFetchHost(options: FetchHostOptions): Promise<{ readonly url: string; readonly tokenUrl: string; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port === 0 ? await freePort(host) : (options.port ?? 8443);
  const issuer = options.issuer ?? `https://localhost:${port}`;
  const endpoint = createTokenEndpoint({
    issuer,
    clients: [...options.clients],
    signingKeys: [{ privateKey: generateSigningKey('ES256') }],
    defaultAudience: 'https://resource.localhost',
    mtls: { trustAnchors: options.caPem },
  });

  // Mounted as middleware: the endpoint's paths are answered, every other path falls through to
  // the rest of the app (here, one route and Hono's 404).
  const handle = createFetchHandler(endpoint);
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.use('*', async (c, next) => {
    const socket = c.env.incoming.socket;
    const response = await handle(c.req.raw, { tlsClientCertificate: clientCertificateOf(socket), peerAddress: socket.remoteAddress });
    if (response) return response;
    await next();
    return undefined;
  });
  app.get('/', (c) => c.text('a Hono app that also hosts an OAuth 2.0 token endpoint\n'));

  const server = await new Promise<https.Server>((resolve, reject) => {
    const created = serve(
      {
        fetch: app.fetch,
        createServer: https.createServer,
        // Ask every client for a certificate, require none: the library judges it per client.
        serverOptions: { cert: options.serverCertificatePem, key: options.serverKeyPem, requestCert: true, rejectUnauthorized: false },
        port,
        hostname: host,
      },
      () => resolve(created as https.Server),
    );
    created.once('error', reject);
  });

  const tokenUrl = `${new URL(issuer).origin}${endpoint.paths.token}`;
  return {
    url: issuer,
    tokenUrl,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fixtures: { type: 'string' },
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '127.0.0.1' },
      issuer: { type: 'string' },
    },
  });
  if (!values.fixtures) throw new Error('--fixtures DIR is required (the directory `npm run serve` printed)');
  const clients = JSON.parse(await readFile(join(values.fixtures, 'clients.json'), 'utf8')) as ClientMetadata[];
  const server = await startFetchHost({
    caPem: await readFile(join(values.fixtures, 'ca.pem'), 'utf8'),
    serverCertificatePem: await readFile(join(values.fixtures, 'server.cert.pem'), 'utf8'),
    serverKeyPem: await readFile(join(values.fixtures, 'server.key.pem'), 'utf8'),
    clients,
    port: Number(values.port),
    host: values.host,
    ...(values.issuer === undefined ? {} : { issuer: values.issuer }),
  });
  process.stdout.write(`Hono + fetch adapter: issuer ${server.url}, token endpoint ${server.tokenUrl}\n`);
  process.once('SIGTERM', () => void server.close());
  process.once('SIGINT', () => void server.close());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
