import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { ClientRegistry } from '../../src/clients/registry.js';
import type { TokenEndpointEvent } from '../../src/core/events.js';
import { type TokenEndpoint, createTokenEndpoint } from '../../src/core/token-endpoint.js';
import type { JWK } from 'jose';
import { createRedisReplayStore, createRedisRevocationStore } from '../../src/redis/index.js';
import { createAccessTokenVerifier } from '../../src/resource-server/index.js';
import { signClientAssertion, assertionTypeUrn } from '../../src/testing/assertions.js';
import { type TestKeyPair, type TestPki, createTestPki, generateKeyPair, toJwk } from '../../src/testing/pki.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest } from '../helpers/http.js';
import { HAS_REDIS, type RedisServer, startRedisServer } from '../helpers/redis.js';
import { type RunningServer, startServer } from '../helpers/servers.js';

const ISSUER = 'https://as.cluster.test';
const SECRET = 'cluster-secret-0123456789abcdef';

/** A registry both instances read, as a database-backed one would be. Disabling replaces the object. */
function sharedRegistry(clients: ClientMetadata[]): ClientRegistry & { disable(clientId: string): void } {
  const byId = new Map(clients.map((client) => [client.client_id, client]));
  return {
    findClient: (clientId) => byId.get(clientId),
    disable: (clientId) => {
      const client = byId.get(clientId);
      if (client) byId.set(clientId, { ...client, disabled: true });
    },
  };
}

describe.skipIf(!HAS_REDIS)('Redis: replay and revocation hold across two instances (real redis-server)', () => {
  let redis: RedisServer;
  let pki: TestPki;
  let clientKey: TestKeyPair;
  let registry: ReturnType<typeof sharedRegistry>;
  const events: TokenEndpointEvent[] = [];
  const instances: { endpoint: TokenEndpoint; server: RunningServer }[] = [];
  const closers: (() => Promise<void>)[] = [];

  const post = (index: number, path: string, parameters: Record<string, string>): Promise<HttpResult> => {
    const instance = instances[index % instances.length];
    if (!instance) throw new Error('no instance');
    return httpsRequest(`${instance.server.origin}${path}`, { body: formBody(parameters), headers: FORM_CONTENT_TYPE, ca: pki.trustAnchorsPem });
  };
  const assertion = (): Promise<string> =>
    signClientAssertion({ clientId: 'pkjwt', audience: ISSUER, privateKey: clientKey.privateKey, kid: 'k1' });
  const tokenRequest = (value: string) => ({ grant_type: 'client_credentials', client_assertion_type: assertionTypeUrn, client_assertion: value });
  const secretTokenRequest = () => ({ grant_type: 'client_credentials', client_id: 'secret', client_secret: SECRET });
  const introspect = (index: number, token: string) => post(index, '/introspect', { token, client_id: 'secret', client_secret: SECRET });

  beforeAll(async () => {
    redis = await startRedisServer();
    [pki, clientKey] = await Promise.all([createTestPki(), generateKeyPair('ec-p256')]);
    registry = sharedRegistry([
      { client_id: 'pkjwt', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...toJwk(clientKey.publicKey), kid: 'k1' }] }, scope: 'read' },
      { client_id: 'secret', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, scope: 'read' },
      { client_id: 'doomed', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, scope: 'read' },
    ]);
    const signingKey = generateSigningKey();
    for (const adapter of ['fastify', 'node'] as const) {
      // Each instance has its own connection, as separate processes would.
      const connection = await redis.connect();
      closers.push(connection.close);
      const endpoint = createTokenEndpoint({
        issuer: ISSUER,
        clients: registry,
        signingKeys: [{ privateKey: signingKey }],
        defaultAudience: 'https://api.cluster.test',
        replayStore: createRedisReplayStore({ client: connection.client, prefix: 'test:' }),
        revocationStore: createRedisRevocationStore({ client: connection.client, prefix: 'test:' }),
        onEvent: (event) => events.push(event),
        // 99 deliberate replays would trip brute-force throttling; it has its own suite.
        throttle: false,
      });
      instances.push({ endpoint, server: await startServer(adapter, endpoint, pki) });
    }
  });
  afterAll(async () => {
    for (const instance of instances) await instance.server.close();
    for (const close of closers) await close();
    await redis?.stop();
  });

  it('RFC 7523 §3 item 7: 100 concurrent requests reusing one assertion, spread over both instances, yield exactly one token', async () => {
    const value = await assertion();
    const responses = await Promise.all(Array.from({ length: 100 }, (_, index) => post(index, '/token', tokenRequest(value))));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(99);
    expect(responses.filter((response) => response.json.error === 'invalid_client')).toHaveLength(99);
  });

  it('keys are namespaced, hash-tagged and expire with the assertion', async () => {
    const value = await assertion();
    expect((await post(0, '/token', tokenRequest(value))).status).toBe(200);
    const { raw, close } = await redis.connect();
    try {
      const keys = await raw.keys('test:jti:*');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key).toMatch(/^test:jti:\{[A-Za-z0-9_-]+\}:[A-Za-z0-9_-]+$/);
      const ttl = await raw.pTTL(keys[0] as string);
      // exp is 60 s after iat, plus the 15 s tolerance, plus the 60 s clock-skew margin.
      expect(ttl).toBeGreaterThan(75_000);
      expect(ttl).toBeLessThanOrEqual(136_000);
    } finally {
      await close();
    }
  });

  it('RFC 7009 + RFC 7662: a token revoked on one instance is inactive on both, within one request', async () => {
    const issued = await post(0, '/token', secretTokenRequest());
    const token = String(issued.json.access_token);
    expect((await introspect(1, token)).json.active).toBe(true);
    const revoked = await post(1, '/revoke', { token, client_id: 'secret', client_secret: SECRET });
    expect(revoked.status).toBe(200);
    expect((await introspect(0, token)).json).toEqual({ active: false });
    expect((await introspect(1, token)).json).toEqual({ active: false });
  });

  it('the resource-server verifier configured with the shared revocation store refuses a revoked token at once', async () => {
    const connection = await redis.connect();
    try {
      const verifier = createAccessTokenVerifier({
        issuer: ISSUER,
        audience: 'https://api.cluster.test',
        jwks: { keys: (JSON.parse((instances[0] as { endpoint: TokenEndpoint }).endpoint.jwks().body) as { keys: JWK[] }).keys },
        revocation: createRedisRevocationStore({ client: connection.client, prefix: 'test:' }),
      });
      const token = String((await post(0, '/token', secretTokenRequest())).json.access_token);
      await expect(verifier.verify({ authorization: `Bearer ${token}` })).resolves.toMatchObject({ clientId: 'secret' });
      await post(1, '/revoke', { token, client_id: 'secret', client_secret: SECRET });
      await expect(verifier.verify({ authorization: `Bearer ${token}` })).rejects.toMatchObject({ reason: 'token_revoked', status: 401 });
    } finally {
      await connection.close();
    }
  });

  it('a disabled client is refused at once and its live tokens are inactive on both instances', async () => {
    const issued = await post(1, '/token', { grant_type: 'client_credentials', client_id: 'doomed', client_secret: SECRET });
    const token = String(issued.json.access_token);
    expect((await introspect(0, token)).json.active).toBe(true);
    registry.disable('doomed');
    expect((await introspect(0, token)).json).toEqual({ active: false });
    expect((await introspect(1, token)).json).toEqual({ active: false });
    const refused = await post(0, '/token', { grant_type: 'client_credentials', client_id: 'doomed', client_secret: SECRET });
    expect(refused.status).toBe(401);
    expect(events.at(-1)).toMatchObject({ reason: 'client_disabled' });
  });

  it('Redis stopped mid-run: 503 temporarily_unavailable and no token; Redis back: service resumes without a restart', async () => {
    await redis.stop();
    try {
      for (const index of [0, 1]) {
        const response = await post(index, '/token', tokenRequest(await assertion()));
        expect(response.status).toBe(503);
        expect(response.json.error).toBe('temporarily_unavailable');
        expect(response.json).not.toHaveProperty('access_token');
        expect(events.at(-1)).toMatchObject({ type: 'store_unavailable', reason: 'replay_store_unavailable' });
      }
      // Introspection consults the revocation store: it fails closed too, never "active".
      const issuedBefore = await post(0, '/token', secretTokenRequest());
      expect(issuedBefore.status).toBe(200); // the secret method needs no store
      const introspection = await introspect(1, String(issuedBefore.json.access_token));
      expect(introspection.status).toBe(503);
    } finally {
      await redis.start();
    }
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await post(0, '/token', tokenRequest(await assertion()))).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    expect((await post(1, '/token', tokenRequest(await assertion()))).status).toBe(200);
  });
});
