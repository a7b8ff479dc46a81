/**
 * The testing toolkit under Node's own runner (`node:test` + `node:assert`), no vitest involved:
 * proof that `m2m-token-endpoint/testing` needs nothing from a particular test framework.
 *
 *   node --import tsx --test test/node-test/toolkit.node-test.ts
 *
 * (Node 20's `--test DIR` looks for `.js` files only, so name the `.ts` files; the vitest suite
 * `test/unit/testing/node-test-compat.test.ts` runs this file that way.)
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createNodeHandler } from '../../src/adapters/node.js';
import { createTokenEndpoint, generateSigningKey } from '../../src/index.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import { assertionTypeUrn, canWritePkcs12, createTestClients, createTestPki, signClientAssertion, toPkcs12, type TestClients } from '../../src/testing/index.js';

interface TlsCredentials {
  readonly key?: string;
  readonly cert?: string;
}

function postForm(url: string, form: Record<string, string>, ca: string, credentials: TlsCredentials = {}, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: 'POST', ca, ...credentials, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      },
    );
    request.on('error', reject);
    request.end(new URLSearchParams(form).toString());
  });
}

describe('createTestClients under node:test', () => {
  let clients: TestClients;
  let server: https.Server;
  let issuer: string;
  let endpoint: TokenEndpoint;

  before(async () => {
    clients = await createTestClients();
    // The endpoint needs its issuer URL, which needs the port: listen first, then mount.
    let handle: ReturnType<typeof createNodeHandler> = (_request, response) => response.writeHead(503).end();
    server = https.createServer(
      { key: clients.pki.server.privateKeyPem, cert: clients.pki.server.chainPem, requestCert: true, rejectUnauthorized: false },
      (request, response) => handle(request, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    endpoint = createTokenEndpoint({
      issuer,
      clients: clients.metadata,
      signingKeys: [{ privateKey: generateSigningKey() }],
      defaultAudience: 'https://api.example.test',
      mtls: { trustAnchors: clients.pki.trustAnchorsPem },
    });
    handle = createNodeHandler(endpoint);
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('has one client per authentication method, each with its credentials', () => {
    const methods = clients.metadata.map((metadata) => metadata.token_endpoint_auth_method);
    assert.deepEqual(methods, ['private_key_jwt', 'client_secret_basic', 'client_secret_post', 'tls_client_auth', 'tls_client_auth', 'self_signed_tls_client_auth']);
    assert.equal(clients.byMethod.privateKeyJwt.privateJwk.kid, clients.byMethod.privateKeyJwt.kid);
    assert.match(String(clients.byMethod.clientSecretPost.metadata.client_secret_hash), /^sha256:/);
    assert.equal(clients.byMethod.tlsClientAuthSan.identity.keyType, 'rsa');
  });

  it('private_key_jwt: a signed assertion gets a token (RFC 7523 §2.2)', async () => {
    const { privateKeyJwt } = clients.byMethod;
    const assertion = await signClientAssertion({ clientId: privateKeyJwt.clientId, audience: issuer, privateKey: privateKeyJwt.privateJwk });
    const response = await postForm(`${issuer}/token`, { grant_type: 'client_credentials', client_assertion_type: assertionTypeUrn, client_assertion: assertion }, clients.pki.trustAnchorsPem);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body['token_type'], 'Bearer');
  });

  it('client_secret_basic and client_secret_post: the plaintext secret gets a token (RFC 6749 §2.3.1)', async () => {
    const { clientSecretBasic, clientSecretPost } = clients.byMethod;
    const basic = Buffer.from(`${clientSecretBasic.clientId}:${clientSecretBasic.clientSecret}`).toString('base64');
    const viaHeader = await postForm(`${issuer}/token`, { grant_type: 'client_credentials' }, clients.pki.trustAnchorsPem, {}, { authorization: `Basic ${basic}` });
    assert.equal(viaHeader.status, 200, JSON.stringify(viaHeader.body));
    const viaBody = await postForm(
      `${issuer}/token`,
      { grant_type: 'client_credentials', client_id: clientSecretPost.clientId, client_secret: clientSecretPost.clientSecret },
      clients.pki.trustAnchorsPem,
    );
    assert.equal(viaBody.status, 200, JSON.stringify(viaBody.body));
  });

  for (const name of ['tlsClientAuthDn', 'tlsClientAuthSan', 'selfSignedTlsClientAuth'] as const) {
    it(`${name}: the certificate on the connection gets a certificate-bound token (RFC 8705 §2, §3)`, async () => {
      const client = clients.byMethod[name];
      const response = await postForm(
        `${issuer}/token`,
        { grant_type: 'client_credentials', client_id: client.clientId },
        clients.pki.trustAnchorsPem,
        { key: client.identity.privateKeyPem, cert: client.identity.chainPem },
      );
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const payload = JSON.parse(Buffer.from(String(response.body['access_token']).split('.')[1] ?? '', 'base64url').toString('utf8')) as { cnf?: Record<string, string> };
      assert.equal(payload.cnf?.['x5t#S256'], client.identity.x5tS256);
    });
  }

  it('toPkcs12 bundles an RSA identity of an RSA PKI and refuses an EC key', async () => {
    const rsaPki = await createTestPki({ keyType: 'rsa' });
    const rsaClients = await createTestClients({ pki: rsaPki });
    const p12 = toPkcs12(rsaClients.byMethod.tlsClientAuthSan.identity, { password: 'changeit' });
    assert.equal(p12[0], 0x30);
    assert.equal(canWritePkcs12(rsaClients.byMethod.tlsClientAuthDn.identity), false);
    assert.throws(() => toPkcs12(rsaClients.byMethod.tlsClientAuthDn.identity, { password: 'changeit' }), { code: 'ERR_M2M_INVALID_OPTION' });
    // The default PKI's intermediate is EC: node-forge cannot carry it in the chain.
    assert.equal(canWritePkcs12(clients.byMethod.tlsClientAuthSan.identity), false);
  });
});
