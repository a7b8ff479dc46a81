// A machine client that authenticates with private_key_jwt (RFC 7523) using oauth4webapi.
// Run (after `npm run serve`, which prints its fixtures directory):
//   npx tsx examples/private-key-jwt-client.ts --fixtures /tmp/m2m-serve-XXXX --issuer https://localhost:8443
// It discovers the server from its RFC 8414 metadata, signs a fresh assertion per request with the
// client's private key (aud = the issuer, a new jti each time), and prints the token response.
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type JWK, importJWK } from 'jose';
import * as oauth from 'oauth4webapi';

export interface PrivateKeyJwtClientOptions {
  /** The authorization server's issuer identifier, e.g. https://localhost:8443. */
  readonly issuer: string;
  /** PEM of the CA that issued the server's certificate (the demo server uses a private test CA). */
  readonly caPem: string;
  readonly clientId: string;
  /** The client's private JWK; its `kid` selects the registered public key, its `alg` (default ES256) signs. */
  readonly privateJwk: JWK;
}

/**
 * oauth4webapi's `customFetch` over node:https, so the server certificate is checked against
 * `caPem` for these requests only (never NODE_TLS_REJECT_UNAUTHORIZED).
 */
function fetchTrusting(caPem: string) {
  return (url: string, init: { method: string; headers: Record<string, string>; body?: unknown }): Promise<Response> =>
    new Promise((resolve, reject) => {
      const body = init.body === undefined || init.body === null ? undefined : String(init.body); // URLSearchParams or string
      const request = https.request(url, { method: init.method, headers: init.headers, ca: caPem }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
          }
          const status = response.statusCode ?? 0;
          resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers }));
        });
      });
      request.on('error', reject);
      request.end(body);
    });
}

/** Discovers the server and gets an access token with the client_credentials grant and private_key_jwt. */
export async function getTokenWithPrivateKeyJwt(options: PrivateKeyJwtClientOptions): Promise<oauth.TokenEndpointResponse> {
  const issuer = new URL(options.issuer);
  const http = { [oauth.customFetch]: fetchTrusting(options.caPem) };

  // RFC 8414 metadata at /.well-known/oauth-authorization-server (not the OpenID Connect path).
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...http, algorithm: 'oauth2' }));

  const alg = typeof options.privateJwk.alg === 'string' ? options.privateJwk.alg : 'ES256';
  const key = (await importJWK(options.privateJwk, alg)) as oauth.CryptoKey;
  const clientAuth = oauth.PrivateKeyJwt({ key, ...(typeof options.privateJwk.kid === 'string' ? { kid: options.privateJwk.kid } : {}) });

  const client: oauth.Client = { client_id: options.clientId };
  const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, new URLSearchParams(), http);
  return oauth.processClientCredentialsResponse(as, client, response);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fixtures: { type: 'string' },
      issuer: { type: 'string', default: 'https://localhost:8443' },
      'client-id': { type: 'string', default: 'demo-private-key-jwt' },
      key: { type: 'string' },
    },
  });
  if (!values.fixtures) throw new Error('--fixtures DIR is required (the directory `npm run serve` printed)');
  const keyFile = values.key ?? join(values.fixtures, 'demo-private-key-jwt.key.json');
  const token = await getTokenWithPrivateKeyJwt({
    issuer: values.issuer,
    caPem: await readFile(join(values.fixtures, 'ca.pem'), 'utf8'),
    clientId: values['client-id'],
    privateJwk: JSON.parse(await readFile(keyFile, 'utf8')) as JWK,
  });
  process.stdout.write(`${JSON.stringify(token, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
