import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEndpointEvent } from '../../src/core/events.js';
import { type TokenEndpoint, createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { createRedisThrottleStore } from '../../src/redis/index.js';
import type { ThrottleStore } from '../../src/throttle/throttle.js';
import { createTestPki, type TestPki } from '../../src/testing/pki.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import { FORM_CONTENT_TYPE, formBody } from '../helpers/http.js';
import { HAS_REDIS, type RedisServer, startRedisServer } from '../helpers/redis.js';
import { type RunningServer, startServer } from '../helpers/servers.js';
import { httpsRequest } from '../helpers/http.js';

const SECRET = 'throttle-secret-0123456789abcdef';

function endpointWith(throttle: object, events: TokenEndpointEvent[], now?: () => number): TokenEndpoint {
  return createTokenEndpoint({
    issuer: 'https://as.throttle.test',
    defaultAudience: 'https://api.throttle.test',
    signingKeys: [{ privateKey: generateSigningKey() }],
    clients: [
      { client_id: 'victim', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET },
      { client_id: 'bystander', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET },
    ],
    throttle,
    onEvent: (event) => events.push(event),
    ...(now ? { now } : {}),
  });
}

const attempt = (endpoint: TokenEndpoint, clientId: string, secret: string, peerAddress = '192.0.2.10') =>
  endpoint.token({
    method: 'POST',
    headers: FORM_CONTENT_TYPE,
    body: formBody({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
    peerAddress,
  });

describe('RFC 6749 §2.3.1 "MUST protect ... against brute force attacks": throttling failed client authentication', () => {
  it('per client: after maxFailuresPerClient failures the client gets 429 with Retry-After, even with the right secret; other clients are unaffected', async () => {
    const events: TokenEndpointEvent[] = [];
    let clock = Date.now();
    const endpoint = endpointWith({ maxFailuresPerClient: 5, maxFailuresPerAddress: 1000, windowSeconds: 60 }, events, () => clock);
    for (let index = 0; index < 5; index++) {
      expect((await attempt(endpoint, 'victim', `guess-${index}`, `198.51.100.${index}`)).status).toBe(401);
    }
    const blocked = await attempt(endpoint, 'victim', SECRET, '198.51.100.99');
    expect(blocked.status).toBe(429);
    expect(JSON.parse(blocked.body)).toEqual({ error: 'temporarily_unavailable', error_description: 'too many failed authentication attempts; retry later' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(events.at(-1)).toMatchObject({ reason: 'throttled', clientId: 'victim', decision: 'deny' });
    expect((await attempt(endpoint, 'bystander', SECRET, '198.51.100.99')).status).toBe(200);
    // The window ends: the client is served again.
    clock += 61_000;
    expect((await attempt(endpoint, 'victim', SECRET)).status).toBe(200);
  });

  it('per peer address: spraying many client ids from one address is throttled, other addresses are not', async () => {
    const events: TokenEndpointEvent[] = [];
    const endpoint = endpointWith({ maxFailuresPerClient: 1000, maxFailuresPerAddress: 10 }, events);
    for (let index = 0; index < 10; index++) {
      expect((await attempt(endpoint, `unknown-${index}`, 'x', '203.0.113.7')).status).toBe(401);
    }
    expect((await attempt(endpoint, 'bystander', SECRET, '203.0.113.7')).status).toBe(429);
    expect((await attempt(endpoint, 'bystander', SECRET, '203.0.113.8')).status).toBe(200);
  });

  it('unknown client ids count against the address only, so guessing ids cannot grow per-client state', async () => {
    const seen: string[] = [];
    const recording: ThrottleStore = {
      hit: async (key) => {
        seen.push(key);
        return { count: 1, resetAt: Date.now() + 1000 };
      },
      peek: async () => undefined,
    };
    const endpoint = endpointWith({ store: recording }, []);
    await attempt(endpoint, 'no-such-client', 'x', '203.0.113.9');
    await attempt(endpoint, 'victim', 'wrong', '203.0.113.9');
    expect(seen).toEqual(['a:203.0.113.9', 'a:203.0.113.9', 'c:victim']);
  });

  it('a throttle store that cannot answer fails open, with a warning event', async () => {
    const events: TokenEndpointEvent[] = [];
    const broken: ThrottleStore = {
      hit: async () => {
        throw new Error('store down');
      },
      peek: async () => {
        throw new Error('store down');
      },
    };
    const endpoint = endpointWith({ store: broken }, events);
    expect((await attempt(endpoint, 'victim', SECRET)).status).toBe(200);
    expect(events.some((event) => event.type === 'throttle_store_unavailable')).toBe(true);
  });

  it('a successful request is never counted', async () => {
    const endpoint = endpointWith({ maxFailuresPerClient: 2 }, []);
    for (let index = 0; index < 10; index++) expect((await attempt(endpoint, 'victim', SECRET)).status).toBe(200);
  });

  describe.skipIf(!HAS_REDIS)('Redis backend: the budget is shared by every instance (real redis-server, over HTTPS)', () => {
    let redis: RedisServer;
    let pki: TestPki;
    const servers: RunningServer[] = [];
    const closers: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      redis = await startRedisServer();
      pki = await createTestPki();
      for (const adapter of ['fastify', 'node'] as const) {
        const connection = await redis.connect();
        closers.push(connection.close);
        const endpoint = endpointWith({ store: createRedisThrottleStore({ client: connection.client, prefix: 'thr:' }), maxFailuresPerClient: 6 }, []);
        servers.push(await startServer(adapter, endpoint, pki));
      }
    });
    afterAll(async () => {
      for (const server of servers) await server.close();
      for (const close of closers) await close();
      await redis?.stop();
    });

    it('failures on either instance count toward one limit', async () => {
      const post = (index: number, secret: string) =>
        httpsRequest(`${servers[index % 2]?.origin}/token`, {
          body: formBody({ grant_type: 'client_credentials', client_id: 'victim', client_secret: secret }),
          headers: FORM_CONTENT_TYPE,
          ca: pki.trustAnchorsPem,
        });
      for (let index = 0; index < 6; index++) expect((await post(index, `guess-${index}`)).status).toBe(401);
      const first = await post(0, SECRET);
      const second = await post(1, SECRET);
      expect([first.status, second.status]).toEqual([429, 429]);
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
    });
  });
});
