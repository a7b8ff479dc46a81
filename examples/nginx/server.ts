// Run: npx tsx examples/nginx/server.ts   — then start nginx with the command it prints (see examples/nginx/README.md).
//
// The library side of "Behind a TLS-terminating proxy" (README, mTLS): a plain-HTTP node:http
// server on loopback that believes the X-SSL-Client-Cert header only from nginx's address, and
// validates the forwarded certificate exactly as if it had come from its own TLS socket.
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeHandler } from '../../src/adapters/node.js';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { EventListener } from '../../src/core/events.js';
import { createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { generateFixtureSet } from '../../src/testing/fixture-set.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import type { SigningKeyInput } from '../../src/tokens/signing-keys.js';
import { renderNginxConfig } from './config.js';

/** nginx connects from loopback: trust exactly that, never a wider range. */
export const LOOPBACK_PROXIES: readonly string[] = ['127.0.0.1/32', '::1/128'];

export interface TokenEndpointBehindNginxOptions {
  /** The issuer identifier: nginx's public https URL, e.g. `https://auth.example.com`. */
  readonly issuer: string;
  readonly clients: readonly ClientMetadata[];
  /**
   * CAs that issue client certificates. nginx forwards the leaf alone, so this must hold the
   * CA that signed each leaf (the intermediate), not only the root.
   */
  readonly trustAnchors: string | readonly string[];
  /** Addresses nginx connects from, as this server sees them. Default {@link LOOPBACK_PROXIES}. */
  readonly trustedProxies?: readonly string[] | undefined;
  /** Default: one freshly generated ES256 key (tokens then die with the process). */
  readonly signingKeys?: readonly SigningKeyInput[] | undefined;
  /** `aud` of tokens requested without `resource`. Default `https://resource.localhost`. */
  readonly defaultAudience?: string | undefined;
  /** Default 3000; 0 picks a free port. */
  readonly port?: number | undefined;
  /** Default 127.0.0.1: only local processes — nginx — can reach the plain-HTTP listener. */
  readonly host?: string | undefined;
  readonly onEvent?: EventListener | undefined;
}

/** Starts the token endpoint for nginx to proxy to. `url` is the plain-HTTP origin nginx's `proxy_pass` names. */
export async function startTokenEndpointBehindNginx(
  options: TokenEndpointBehindNginxOptions,
): Promise<{ readonly url: string; readonly port: number; close(): Promise<void> }> {
  const endpoint = createTokenEndpoint({
    issuer: options.issuer,
    clients: options.clients,
    signingKeys: options.signingKeys ?? [{ privateKey: generateSigningKey() }],
    defaultAudience: options.defaultAudience ?? 'https://resource.localhost',
    mtls: {
      trustAnchors: options.trustAnchors,
      // Only from these peers is X-SSL-Client-Cert believed; from anyone else it is ignored and
      // the operator event says untrustedProxyHeader: true.
      trustedProxies: options.trustedProxies ?? LOOPBACK_PROXIES,
      // nginx: proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;
      proxyCertificateSource: { format: 'nginx' },
    },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const server = http.createServer(createNodeHandler(endpoint));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Demo: generates a test PKI and demo clients, writes a ready nginx.conf next to them, and starts the library. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      'nginx-port': { type: 'string', default: '8443' },
      'fixtures-dir': { type: 'string' },
    },
  });
  const nginxPort = Number(values['nginx-port']);
  const directory = values['fixtures-dir'] ?? (await mkdtemp(join(tmpdir(), 'm2m-nginx-')));
  const fixtures = await generateFixtureSet(directory);
  const { pki } = fixtures;
  // The root and the intermediate that issued the demo client certificates.
  const trustAnchors = [pki.root.certificatePem, ...(pki.intermediate ? [pki.intermediate.certificatePem] : [])];

  const library = await startTokenEndpointBehindNginx({
    issuer: `https://localhost:${nginxPort}`,
    clients: fixtures.clients.map((client) => client.metadata),
    trustAnchors,
    port: Number(values.port),
    onEvent: (event) => {
      const { type, reason, clientId, peerAddress, certificateSource, untrustedProxyHeader } = event;
      process.stdout.write(`${JSON.stringify({ type, reason, clientId, peerAddress, certificateSource, untrustedProxyHeader })}\n`);
    },
  });

  const configFile = join(directory, 'nginx.conf');
  await writeFile(
    configFile,
    await renderNginxConfig({
      prefix: directory,
      listenPort: nginxPort,
      serverCertificateFile: fixtures.files.serverCertificate,
      serverKeyFile: fixtures.files.serverKey,
      upstreamPort: library.port,
    }),
  );
  const client = fixtures.clients.find((candidate) => candidate.metadata.client_id === 'demo-tls-client-auth-dn');
  process.stdout.write(
    [
      `library:   ${library.url} (trusts X-SSL-Client-Cert from ${LOOPBACK_PROXIES.join(', ')})`,
      `fixtures:  ${directory}`,
      '',
      'Start nginx (another terminal; /usr/sbin/nginx if nginx is not on PATH):',
      `  nginx -p ${directory}/ -c ${configFile} -e stderr -g 'daemon off; master_process off;'`,
      '',
      'Get a certificate-bound token through nginx:',
      `  curl --cacert ${fixtures.files.caCertificate} --cert ${client?.files.certificatePem} --key ${client?.files.privateKeyPem} \\`,
      `       -d grant_type=client_credentials -d client_id=demo-tls-client-auth-dn https://localhost:${nginxPort}/token`,
      '',
    ].join('\n'),
  );
  process.once('SIGTERM', () => void library.close());
  process.once('SIGINT', () => void library.close());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
