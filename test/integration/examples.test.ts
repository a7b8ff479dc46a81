import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExpressExample } from '../../examples/express.js';
import { startFastifyMtls } from '../../examples/fastify-mtls.js';
import { startFetchHost } from '../../examples/fetch-host.js';
import { getTokenWithPrivateKeyJwt } from '../../examples/private-key-jwt-client.js';
import { startResourceServer } from '../../examples/resource-server.js';
import { FORM_CONTENT_TYPE, formBody, httpsRequest } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const fixture = (name: string) => readFile(`${FIXTURES}${name}`, 'utf8');

/** The committed fixtures, as a newcomer uses them: `npx tsx examples/<name>.ts`. */
describe('examples run on the committed fixtures (smoke run of every host example)', () => {
  let ca: string;
  let dnClient: { chainPem: string; privateKeyPem: string };
  let sanClient: { chainPem: string; privateKeyPem: string };

  beforeAll(async () => {
    ca = await fixture('ca.pem');
    dnClient = { chainPem: await fixture('demo-tls-client-auth-dn.cert.pem'), privateKeyPem: await fixture('demo-tls-client-auth-dn.key.pem') };
    sanClient = { chainPem: await fixture('demo-tls-client-auth-san.cert.pem'), privateKeyPem: await fixture('demo-tls-client-auth-san.key.pem') };
  });

  const mtlsToken = async (tokenUrl: string, clientId: string, identity: { chainPem: string; privateKeyPem: string }) => {
    const response = await httpsRequest(tokenUrl, {
      body: formBody({ grant_type: 'client_credentials', client_id: clientId }),
      headers: FORM_CONTENT_TYPE,
      ca,
      clientCertificate: identity,
    });
    expect(response.status, response.text).toBe(200);
    return String(response.json.access_token);
  };

  const hosts = [
    ['examples/fastify-mtls.ts', (port: number) => startFastifyMtls({ fixtures: FIXTURES, port }).then((server) => ({ tokenUrl: `${server.origin}/token`, close: server.close }))],
    ['examples/express.ts', (port: number) => startExpressExample({ fixtures: FIXTURES, port }).then((server) => ({ tokenUrl: `${server.origin}/token`, close: server.close }))],
    [
      'examples/fetch-host.ts',
      async (port: number) => {
        const server = await startFetchHost({
          caPem: await fixture('ca.pem'),
          serverCertificatePem: await fixture('server.cert.pem'),
          serverKeyPem: await fixture('server.key.pem'),
          clients: JSON.parse(await fixture('clients.json')) as ClientMetadata[],
          port,
        });
        return { tokenUrl: server.tokenUrl.replace('localhost', '127.0.0.1'), close: server.close };
      },
    ],
  ] as const;

  it.each(hosts)('%s issues a certificate-bound token over real mTLS', async (_name, start) => {
    const host = await start(await freePort());
    try {
      const token = await mtlsToken(host.tokenUrl, 'demo-tls-client-auth-dn', dnClient);
      const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { cnf?: Record<string, string> };
      expect(claims.cnf?.['x5t#S256']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } finally {
      await host.close();
    }
  });

  describe('examples/resource-server.ts and examples/private-key-jwt-client.ts against examples/fastify-mtls.ts', () => {
    let authorizationServer: { origin: string; close(): Promise<void> };
    let resourceServer: { url: string; close(): Promise<void> };
    let issuer: string;

    beforeAll(async () => {
      const port = await freePort();
      issuer = `https://localhost:${port}`;
      authorizationServer = await startFastifyMtls({ fixtures: FIXTURES, port });
      resourceServer = await startResourceServer({
        issuer,
        audience: 'https://resource.localhost',
        caPem: ca,
        serverCertificatePem: await fixture('server.cert.pem'),
        serverKeyPem: await fixture('server.key.pem'),
        port: 0,
      });
    });
    afterAll(async () => {
      await resourceServer?.close();
      await authorizationServer?.close();
    });

    it('the resource server accepts the bound token with its certificate and refuses it with another', async () => {
      const token = await mtlsToken(`${authorizationServer.origin}/token`, 'demo-tls-client-auth-dn', dnClient);
      const url = resourceServer.url.replace('localhost', '127.0.0.1');
      const call = (identity: { chainPem: string; privateKeyPem: string }) =>
        httpsRequest(url, { method: 'GET', headers: { authorization: `Bearer ${token}` }, ca, clientCertificate: identity });
      const accepted = await call(dnClient);
      expect(accepted.status, accepted.text).toBe(200);
      expect(accepted.json.hello).toBe('demo-tls-client-auth-dn');
      const refused = await call(sanClient);
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    });

    it('the private_key_jwt client example gets a token', async () => {
      const privateJwk = JSON.parse(await fixture('demo-private-key-jwt.key.json')) as JWK;
      const response = await getTokenWithPrivateKeyJwt({ issuer, caPem: ca, clientId: 'demo-private-key-jwt', privateJwk });
      expect(response.access_token).toBeTruthy();
    });
  });
});
