import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResourceServer } from '../../examples/resource-server.js';
import { createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { createAccessTokenVerifier } from '../../src/resource-server/index.js';
import { type TestIdentity, type TestPki, createTestPki } from '../../src/testing/pki.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import { FORM_CONTENT_TYPE, formBody, httpsRequest } from '../helpers/http.js';
import { type RunningServer, startServer } from '../helpers/servers.js';

const AUDIENCE = 'https://resource.localhost';

describe('RFC 8705 §3 / RFC 9068 §4: the example resource server enforces the certificate binding over real mTLS', () => {
  let pki: TestPki;
  let bound: TestIdentity;
  let other: TestIdentity;
  let authorizationServer: RunningServer;
  let issuer: string;
  let resourceServer: { url: string; close(): Promise<void> };

  const getToken = async (clientId: string, identity?: TestIdentity): Promise<string> => {
    const response = await httpsRequest(`${authorizationServer.origin}/token`, {
      body: formBody({ grant_type: 'client_credentials', client_id: clientId }),
      headers: FORM_CONTENT_TYPE,
      ca: pki.trustAnchorsPem,
      clientCertificate: identity,
    });
    expect(response.status, response.text).toBe(200);
    return String(response.json.access_token);
  };
  const callResource = (token: string | undefined, identity?: TestIdentity) =>
    httpsRequest(resourceServer.url.replace('localhost', '127.0.0.1'), {
      method: 'GET',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ca: pki.trustAnchorsPem,
      clientCertificate: identity,
    });

  beforeAll(async () => {
    pki = await createTestPki();
    bound = await pki.issueClientCertificate({ subject: 'CN=bound-client,O=Demo' });
    other = await pki.issueClientCertificate({ subject: 'CN=bound-client,O=Demo' }); // same subject, different key and cert
    // The issuer must name the port the server listens on; start once to learn it, then for real.
    const placeholder = createTokenEndpoint({ issuer: 'https://localhost', clients: [], signingKeys: [{ privateKey: generateSigningKey() }] });
    const probe = await startServer('fastify', placeholder, pki);
    const port = new URL(probe.origin).port;
    await probe.close();
    issuer = `https://localhost:${port}`;
    const endpoint = createTokenEndpoint({
      issuer,
      defaultAudience: AUDIENCE,
      signingKeys: [{ privateKey: generateSigningKey() }],
      mtls: { trustAnchors: pki.trustAnchorsPem },
      clients: [
        { client_id: 'bound-client', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=bound-client,O=Demo', tls_client_certificate_bound_access_tokens: true, scope: 'demo:read' },
        { client_id: 'unbound-client', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=bound-client,O=Demo', scope: 'demo:read' },
        { client_id: 'no-scope-client', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=bound-client,O=Demo', tls_client_certificate_bound_access_tokens: true, scope: 'other' },
      ],
    });
    authorizationServer = await startServer('fastify', endpoint, pki, Number(port));
    resourceServer = await startResourceServer({
      issuer,
      audience: AUDIENCE,
      caPem: pki.trustAnchorsPem,
      serverCertificatePem: pki.server.chainPem,
      serverKeyPem: pki.server.privateKeyPem,
      port: 0,
    });
  });
  afterAll(async () => {
    await resourceServer?.close();
    await authorizationServer?.close();
  });

  it('accepts a bound token presented with the certificate it is bound to', async () => {
    const token = await getToken('bound-client', bound);
    const response = await callResource(token, bound);
    expect(response.status, response.text).toBe(200);
    expect(response.json.hello).toBe('bound-client');
    expect(response.json.boundTo).toBe(bound.x5tS256);
  });

  it('refuses the same token presented with another certificate: 401 invalid_token', async () => {
    const token = await getToken('bound-client', bound);
    const response = await callResource(token, other);
    expect(response.status).toBe(401);
    expect(response.json.error).toBe('invalid_token');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });

  it('refuses the token presented without a certificate', async () => {
    const token = await getToken('bound-client', bound);
    const response = await callResource(token);
    expect(response.status).toBe(401);
    expect(response.json.error).toBe('invalid_token');
  });

  it('refuses an unbound token where binding is required', async () => {
    const token = await getToken('unbound-client', bound);
    const response = await callResource(token, bound);
    expect(response.status).toBe(401);
  });

  it('answers a missing token with a bare Bearer challenge (RFC 6750 §3.1)', async () => {
    const response = await callResource(undefined, bound);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers a token without the required scope with 403 insufficient_scope', async () => {
    const token = await getToken('no-scope-client', bound);
    const response = await callResource(token, bound);
    expect(response.status).toBe(403);
    expect(response.json.error).toBe('insufficient_scope');
  });

  describe('createAccessTokenVerifier checks (RFC 9068 §4)', () => {
    const verifierFor = (options: Partial<Parameters<typeof createAccessTokenVerifier>[0]> = {}) =>
      createAccessTokenVerifier({ issuer, audience: AUDIENCE, jwks: { uri: `${authorizationServer.origin}/jwks`, ca: pki.trustAnchorsPem }, ...options });

    it('accepts a valid token and reports its claims', async () => {
      const token = await getToken('bound-client', bound);
      const verified = await verifierFor().verify({ authorization: `Bearer ${token}`, certificate: bound.der });
      expect(verified.clientId).toBe('bound-client');
      expect([...verified.scopes]).toEqual(['demo:read']);
    });
    it('refuses another audience', async () => {
      const token = await getToken('bound-client', bound);
      await expect(verifierFor({ audience: 'https://other.example' }).verify({ authorization: `Bearer ${token}`, certificate: bound.der })).rejects.toMatchObject({ reason: 'token_audience_mismatch', status: 401 });
    });
    it('refuses another issuer', async () => {
      const token = await getToken('bound-client', bound);
      await expect(verifierFor({ issuer: 'https://evil.example' }).verify({ authorization: `Bearer ${token}`, certificate: bound.der })).rejects.toMatchObject({ reason: 'token_issuer_mismatch' });
    });
    it('refuses an expired token', async () => {
      const token = await getToken('bound-client', bound);
      await expect(verifierFor({ now: () => Date.now() + 3_600_000 }).verify({ authorization: `Bearer ${token}`, certificate: bound.der })).rejects.toMatchObject({ reason: 'token_expired' });
    });
    it('refuses a tampered token', async () => {
      const token = await getToken('bound-client', bound);
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(String(payload), 'base64url').toString()) as Record<string, unknown>;
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${signature}`;
      await expect(verifierFor().verify({ authorization: `Bearer ${forged}`, certificate: bound.der })).rejects.toMatchObject({ reason: 'token_signature_invalid' });
    });
    it('refuses a JWT that is not an access token (typ other than at+jwt)', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwt = await new SignJWT({ client_id: 'x', jti: 'j', scope: 's' })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'k' })
        .setIssuer(issuer).setAudience(AUDIENCE).setSubject('x').setIssuedAt().setExpirationTime('5m')
        .sign(privateKey);
      const verifier = createAccessTokenVerifier({ issuer, audience: AUDIENCE, jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k', alg: 'ES256' }] } });
      await expect(verifier.verify({ authorization: `Bearer ${jwt}` })).rejects.toMatchObject({ reason: 'token_type_invalid' });
    });
    it('refuses a malformed Authorization header with 400 invalid_request', async () => {
      await expect(verifierFor().verify({ authorization: 'Basic abc' })).rejects.toMatchObject({ status: 400, error: 'invalid_request' });
    });
  });
});
