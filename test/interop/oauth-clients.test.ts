/**
 * Interoperability: real, independent OAuth client libraries (oauth4webapi 3, openid-client 6)
 * against one real `serve` process over real HTTPS and mutual TLS. Nothing here uses the
 * project's own request helpers: if a library disagrees with the server, this fails.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JWK, type JWTPayload, createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTokenWithPrivateKeyJwt } from '../../examples/private-key-jwt-client.js';
import type { TokenEndpointAuthMethod } from '../../src/clients/metadata.js';
import { type DemoClient, type FixtureSet, generateFixtureSet } from '../../src/testing/fixture-set.js';
import { type FetchLike, nodeHttpsFetch } from './node-https-fetch.js';
import { type ServeProcess, startServe, stopServe } from './serve-process.js';

const AUDIENCE = 'https://resource.localhost';

let fixtures: FixtureSet;
let serve: ServeProcess | undefined;
let issuer: string;
let trustingFetch: FetchLike;

beforeAll(async () => {
  fixtures = await generateFixtureSet(await mkdtemp(join(tmpdir(), 'm2m-interop-')));
  serve = await startServe([
    '--tls-cert', fixtures.files.serverCertificate,
    '--tls-key', fixtures.files.serverKey,
    '--client-ca', fixtures.files.caCertificate,
    '--clients', fixtures.files.clients,
  ]);
  issuer = `https://localhost:${serve.port}`;
  trustingFetch = nodeHttpsFetch({ ca: fixtures.pki.trustAnchorsPem });
});
afterAll(async () => {
  // SIGTERM stops `serve` cleanly (exit code 0).
  if (serve) expect(await stopServe(serve)).toBe(0);
});

function demo(method: TokenEndpointAuthMethod, clientId?: string): DemoClient {
  const found = fixtures.clients.find(
    (candidate) => candidate.metadata.token_endpoint_auth_method === method && (clientId === undefined || candidate.metadata.client_id === clientId),
  );
  if (!found) throw new Error(`no demo client for ${method} ${clientId ?? ''}`);
  return found;
}

async function privateKeyOf(demoClient: DemoClient): Promise<{ jwk: JWK; key: oauth.PrivateKey }> {
  const jwk = JSON.parse(await readFile(String(demoClient.files.privateKeyJwk), 'utf8')) as JWK;
  const key = (await importJWK(jwk, String(jwk.alg))) as oauth.CryptoKey;
  return { jwk, key: { key, kid: String(jwk.kid) } };
}

/** A fetch presenting the demo client's certificate chain in the TLS handshake. */
async function mtlsFetch(demoClient: DemoClient): Promise<FetchLike> {
  return nodeHttpsFetch({
    ca: fixtures.pki.trustAnchorsPem,
    cert: await readFile(String(demoClient.files.certificatePem), 'utf8'),
    key: await readFile(String(demoClient.files.privateKeyPem), 'utf8'),
  });
}

/** RFC 8705 §3.1: base64url SHA-256 of the DER leaf certificate. */
async function thumbprintOf(demoClient: DemoClient): Promise<string> {
  const leaf = new X509Certificate(await readFile(String(demoClient.files.certificatePem), 'utf8'));
  return createHash('sha256').update(leaf.raw).digest('base64url');
}

/** Verifies an access token independently (jose, the server's published JWKS) as RFC 9068 requires. */
async function verifyAccessToken(accessToken: string, clientId: string): Promise<JWTPayload> {
  expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt');
  const jwksResponse = await trustingFetch(`${issuer}/jwks`, { method: 'GET', headers: { accept: 'application/json' } });
  expect(jwksResponse.status).toBe(200);
  const jwks = createLocalJWKSet((await jwksResponse.json()) as { keys: JWK[] });
  const { payload } = await jwtVerify(accessToken, jwks, { typ: 'at+jwt', issuer, audience: AUDIENCE, requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'] });
  expect(payload.client_id).toBe(clientId);
  expect(payload.sub).toBe(clientId);
  return payload;
}

describe('oauth4webapi 3', () => {
  let as: oauth.AuthorizationServer;
  const http = (): { [oauth.customFetch]: FetchLike } => ({ [oauth.customFetch]: trustingFetch });

  beforeAll(async () => {
    const url = new URL(issuer);
    as = await oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, { ...http(), algorithm: 'oauth2' }));
  });

  it('discovers the server from /.well-known/oauth-authorization-server (RFC 8414)', () => {
    expect(as.issuer).toBe(issuer);
    expect(as.token_endpoint).toBe(`${issuer}/token`);
    expect(as.jwks_uri).toBe(`${issuer}/jwks`);
    expect(as.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'client_secret_basic', 'client_secret_post']),
    );
    expect(as.tls_client_certificate_bound_access_tokens).toBe(true);
    expect(as.mtls_endpoint_aliases).toBeUndefined();
  });

  async function grant(clientId: string, auth: oauth.ClientAuth, fetch: FetchLike = trustingFetch): Promise<oauth.TokenEndpointResponse> {
    const c: oauth.Client = { client_id: clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, c, auth, new URLSearchParams({ scope: 'demo:read' }), { [oauth.customFetch]: fetch });
    return oauth.processClientCredentialsResponse(as, c, response);
  }

  /** oauth4webapi's own RFC 9068 resource-server check (it supports no cnf other than DPoP's jkt, so unbound tokens only). */
  async function validateWithOauth4webapi(accessToken: string): Promise<oauth.JWTAccessTokenClaims> {
    const request = new Request('https://resource.localhost/api', { headers: { authorization: `Bearer ${accessToken}` } });
    return oauth.validateJwtAccessToken(as, request, AUDIENCE, http());
  }

  it('private_key_jwt: PrivateKeyJwt (aud = issuer, fresh jti) gets a token', async () => {
    const demoClient = demo('private_key_jwt');
    const { key } = await privateKeyOf(demoClient);
    const token = await grant(demoClient.metadata.client_id, oauth.PrivateKeyJwt(key));
    expect(token.token_type.toLowerCase()).toBe('bearer');
    expect(token.scope).toBe('demo:read');
    expect(token.expires_in).toBe(300);
    const claims = await verifyAccessToken(token.access_token, demoClient.metadata.client_id);
    expect(claims.cnf).toBeUndefined();
    const validated = await validateWithOauth4webapi(token.access_token);
    expect(validated.client_id).toBe(demoClient.metadata.client_id);
  });

  it('client_secret_basic and client_secret_post get tokens (Basic credentials form-urlencoded per RFC 6749 §2.3.1)', async () => {
    for (const [method, auth] of [
      ['client_secret_basic', oauth.ClientSecretBasic],
      ['client_secret_post', oauth.ClientSecretPost],
    ] as const) {
      const demoClient = demo(method);
      const token = await grant(demoClient.metadata.client_id, auth(String(demoClient.clientSecret)));
      await verifyAccessToken(token.access_token, demoClient.metadata.client_id);
      expect((await validateWithOauth4webapi(token.access_token)).client_id).toBe(demoClient.metadata.client_id);
    }
  });

  it('tls_client_auth (subject DN and DNS SAN) and self_signed_tls_client_auth: TlsClientAuth over mTLS gets a certificate-bound token', async () => {
    const mtlsClients = fixtures.clients.filter((c) => c.metadata.token_endpoint_auth_method.endsWith('tls_client_auth'));
    expect(mtlsClients.map((c) => c.metadata.client_id)).toEqual(['demo-tls-client-auth-dn', 'demo-tls-client-auth-san', 'demo-self-signed']);
    for (const demoClient of mtlsClients) {
      const token = await grant(demoClient.metadata.client_id, oauth.TlsClientAuth(), await mtlsFetch(demoClient));
      const claims = await verifyAccessToken(token.access_token, demoClient.metadata.client_id);
      expect(claims.cnf, demoClient.metadata.client_id).toEqual({ 'x5t#S256': await thumbprintOf(demoClient) });
    }
  });

  it('tls_client_auth without a client certificate: processClientCredentialsResponse surfaces invalid_client', async () => {
    const demoClient = demo('tls_client_auth', 'demo-tls-client-auth-dn');
    const error = await grant(demoClient.metadata.client_id, oauth.TlsClientAuth()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect((error as oauth.ResponseBodyError).error).toBe('invalid_client');
    expect((error as oauth.ResponseBodyError).status).toBe(401);
  });

  it('a wrong secret: the error response parses as an RFC 6749 §5.2 error', async () => {
    const demoClient = demo('client_secret_post');
    const error = await grant(demoClient.metadata.client_id, oauth.ClientSecretPost('not-the-secret')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect((error as oauth.ResponseBodyError).error).toBe('invalid_client');
  });

  it('a wrong Basic secret: 401 whose WWW-Authenticate Basic challenge (RFC 6749 §5.2) parses as RFC 9110 syntax', async () => {
    const demoClient = demo('client_secret_basic');
    const error = await grant(demoClient.metadata.client_id, oauth.ClientSecretBasic('not-the-secret')).catch((caught: unknown) => caught);
    // oauth4webapi reports a 401 carrying a challenge as the challenge, not as the JSON error body.
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = error as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause).toEqual([{ scheme: 'basic', parameters: { realm: 'token', charset: 'UTF-8' } }]);
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('introspection (RFC 7662) and revocation (RFC 7009) with private_key_jwt', async () => {
    const demoClient = demo('private_key_jwt');
    const { key } = await privateKeyOf(demoClient);
    const c: oauth.Client = { client_id: demoClient.metadata.client_id };
    const token = await grant(c.client_id, oauth.PrivateKeyJwt(key));

    const introspected = await oauth.processIntrospectionResponse(
      as,
      c,
      await oauth.introspectionRequest(as, c, oauth.PrivateKeyJwt(key), token.access_token, http()),
    );
    expect(introspected.active).toBe(true);
    expect(introspected.client_id).toBe(c.client_id);

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, c, oauth.PrivateKeyJwt(key), token.access_token, http()));
    const after = await oauth.processIntrospectionResponse(
      as,
      c,
      await oauth.introspectionRequest(as, c, oauth.PrivateKeyJwt(key), token.access_token, http()),
    );
    expect(after.active).toBe(false);
  });

  it('examples/private-key-jwt-client.ts gets a token', async () => {
    const demoClient = demo('private_key_jwt');
    const { jwk } = await privateKeyOf(demoClient);
    const token = await getTokenWithPrivateKeyJwt({ issuer, caPem: fixtures.pki.trustAnchorsPem, clientId: demoClient.metadata.client_id, privateJwk: jwk });
    await verifyAccessToken(token.access_token, demoClient.metadata.client_id);
  });
});

describe('openid-client 6', () => {
  const discover = (clientId: string, auth: client.ClientAuth, fetch: FetchLike = trustingFetch): Promise<client.Configuration> =>
    // The server publishes RFC 8414 metadata only (no OpenID Connect), hence algorithm 'oauth2'.
    client.discovery(new URL(issuer), clientId, undefined, auth, { algorithm: 'oauth2', [client.customFetch]: fetch });

  it('private_key_jwt: discovery() + clientCredentialsGrant() with PrivateKeyJwt', async () => {
    const demoClient = demo('private_key_jwt');
    const { key } = await privateKeyOf(demoClient);
    const config = await discover(demoClient.metadata.client_id, client.PrivateKeyJwt(key));
    expect(config.serverMetadata().token_endpoint).toBe(`${issuer}/token`);
    const token = await client.clientCredentialsGrant(config, { scope: 'demo:read demo:write' });
    expect(token.scope).toBe('demo:read demo:write');
    const claims = await verifyAccessToken(token.access_token, demoClient.metadata.client_id);
    expect(claims.cnf).toBeUndefined();
  });

  it('tls_client_auth: TlsClientAuth with the client certificate in customFetch gets a bound token', async () => {
    const demoClient = demo('tls_client_auth', 'demo-tls-client-auth-dn');
    const config = await discover(demoClient.metadata.client_id, client.TlsClientAuth(), await mtlsFetch(demoClient));
    const token = await client.clientCredentialsGrant(config);
    expect(token.scope).toBe('demo:read demo:write');
    const claims = await verifyAccessToken(token.access_token, demoClient.metadata.client_id);
    expect(claims.cnf).toEqual({ 'x5t#S256': await thumbprintOf(demoClient) });
  });

  it('client_secret_basic: ClientSecretBasic gets a token', async () => {
    const demoClient = demo('client_secret_basic');
    const config = await discover(demoClient.metadata.client_id, client.ClientSecretBasic(String(demoClient.clientSecret)));
    const token = await client.clientCredentialsGrant(config);
    await verifyAccessToken(token.access_token, demoClient.metadata.client_id);
  });
});
