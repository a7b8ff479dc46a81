/**
 * ATTACK: assertion replay races (RFC 7523 §3 item 7: "the authorization server MUST ensure that
 * JWTs are not replayed by maintaining the set of used jti values"). An attacker who captures an
 * assertion — or a client retrying too eagerly — fires it many times at once, at every endpoint
 * that accepts client authentication, at every instance of a cluster. SPEC.md: "one atomic
 * consume(clientId, jti, expiresAt + tolerance) ... A store failure fails closed". Exactly one
 * request may win; the others are `invalid_client` with reason `jti_replayed`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { TokenEndpointEvent } from '../../src/core/events.js';
import { type TokenEndpoint, createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { createRedisReplayStore } from '../../src/redis/index.js';
import type { RedisCommandClient } from '../../src/redis/client.js';
import { assertionTypeUrn, signClientAssertion } from '../../src/testing/assertions.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import {
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ConformanceContext,
  ISSUER,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest } from '../helpers/http.js';
import { HAS_REDIS, type RedisServer, startRedisServer } from '../helpers/redis.js';
import { ADAPTERS, type RunningServer, startServer } from '../helpers/servers.js';
import { CORE_ADAPTERS, expectIssued, expectRefusal } from './support.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const RACERS = 50;

/** Counts statuses and denial reasons of a batch of answers. */
function tally(statuses: readonly number[], events: readonly TokenEndpointEvent[]): { ok: number; replayed: number; other: number } {
  const ok = statuses.filter((status) => status === 200).length;
  const replayed = events.filter((event) => event.reason === 'jti_replayed').length;
  return { ok, replayed, other: statuses.length - ok - replayed };
}

describe.each(ADAPTERS)('ATTACK replay race in one process through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    server = await mount(adapter, context);
  });
  afterAll(() => server.server.close());

  it(`RFC 7523 §3 item 7: ${RACERS} concurrent requests with one assertion yield exactly one token; ${RACERS - 1} × invalid_client jti_replayed`, async () => {
    const assertion = await assertionFor(context, 'pkjwt');
    const before = context.events.length;
    const responses = await Promise.all(Array.from({ length: RACERS }, () => server.post(assertionParameters(assertion))));
    const events = context.events.slice(before);
    expect(tally(responses.map((response) => response.status), events)).toEqual({ ok: 1, replayed: RACERS - 1, other: 0 });
    for (const response of responses.filter((candidate) => candidate.status !== 200)) {
      expect(response.status).toBe(401);
      expect(response.json).toEqual({ error: 'invalid_client', error_description: 'the client assertion is invalid' });
    }
    expect(events.filter((event) => event.type === 'replay_detected')).toHaveLength(RACERS - 1);
  });
});

describe('ATTACK replay race straight through the endpoint (in process)', () => {
  let context: ConformanceContext;

  beforeAll(async () => {
    context = await createConformanceContext();
  });

  const request = (assertion: string, extra: Record<string, string> = {}) => ({
    method: 'POST',
    headers: FORM,
    body: formBody(assertionParameters(assertion, extra)),
  });

  it(`${RACERS} concurrent endpoint.token() calls with one assertion: exactly one token`, async () => {
    const assertion = await assertionFor(context, 'pkjwt');
    const responses = await Promise.all(Array.from({ length: RACERS }, () => context.endpoint.token(request(assertion))));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 401)).toHaveLength(RACERS - 1);
  });

  it('cross-endpoint race: one assertion fired at token, introspection and revocation at once authenticates exactly one request', async () => {
    const assertion = await assertionFor(context, 'pkjwt');
    const before = context.events.length;
    const { endpoint } = context;
    const calls = Array.from({ length: 30 }, (_, index) =>
      index % 3 === 0
        ? endpoint.token(request(assertion))
        : index % 3 === 1
          ? endpoint.introspection(request(assertion, { token: 'x' }))
          : endpoint.revocation(request(assertion, { token: 'x' })),
    );
    const responses = await Promise.all(calls);
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    const events = context.events.slice(before);
    expect(events.filter((event) => event.reason === 'jti_replayed')).toHaveLength(29);
  });

  it('an assertion spent at introspection cannot then buy a token (one jti namespace per client, whatever the endpoint)', async () => {
    const assertion = await assertionFor(context, 'pkjwt');
    expect((await context.endpoint.introspection(request(assertion, { token: 'x' }))).status).toBe(200);
    const response = await context.endpoint.token(request(assertion));
    expect(response.status).toBe(401);
    expect(context.events.at(-1)?.reason).toBe('jti_replayed');
  });

  it('replay at the very millisecond the store may forget the jti: remembered through exp + tolerance inclusive, expired one millisecond later', async () => {
    const start = context.clock.now;
    try {
      // A frozen clock on a whole second: iat = T, exp = T + 60, tolerance 15 s.
      const t = Math.floor(start / 1000);
      context.clock.now = t * 1000;
      const assertion = await assertionFor(context, 'pkjwt');
      expect((await context.endpoint.token(request(assertion))).status).toBe(200);
      // now = exp + tolerance exactly: the assertion is still acceptable (RFC 7523 §3 item 4 with
      // skew), so the store must still remember its jti (ReplayStore: "never forget an entry before expiresAt").
      context.clock.now = (t + 75) * 1000;
      const atBoundary = await context.endpoint.token(request(assertion));
      expect(atBoundary.status, atBoundary.body).toBe(401);
      expect(context.events.at(-1)?.reason).toBe('jti_replayed');
      // One millisecond later the store may forget it, because the assertion itself has expired.
      context.clock.now = (t + 75) * 1000 + 1;
      expect((await context.endpoint.token(request(assertion))).status).toBe(401);
      expect(context.events.at(-1)?.reason).toBe('assertion_expired');
    } finally {
      context.clock.now = start;
    }
  });
});

describe('ATTACK replay-key confusion: (client, jti) pairs that concatenate alike are distinct', () => {
  /** Clients whose ids and jtis collide under naive "client:jti" or "clientjti" keys. */
  async function collidingClients(context: ConformanceContext): Promise<ClientMetadata[]> {
    const jwks = { keys: [context.keys.es256.publicJwk] };
    return ['a:b', 'a', 'ab'].map((clientId) => ({ client_id: clientId, token_endpoint_auth_method: 'private_key_jwt', jwks, scope: 'read' }));
  }

  it('memory store: "a:b"+"c", "a"+"b:c" and "ab"+"c" are three first uses', async () => {
    const context = await createConformanceContext();
    const endpoint = context.createEndpoint({ clients: await collidingClients(context) });
    for (const [clientId, jti] of [['a:b', 'c'], ['a', 'b:c'], ['ab', 'c'], ['a', 'bc']] as const) {
      const assertion = await assertionFor(context, clientId, context.keys.es256, { claims: { jti } });
      const response = await endpoint.token({ method: 'POST', headers: FORM, body: formBody(assertionParameters(assertion)) });
      expect(response.status, `${clientId} ${jti}: ${response.body}`).toBe(200);
    }
  });

  describe.skipIf(!HAS_REDIS)('Redis store (real redis-server)', () => {
    let redis: RedisServer;
    let connection: Awaited<ReturnType<RedisServer['connect']>>;

    beforeAll(async () => {
      redis = await startRedisServer();
      connection = await redis.connect();
    });
    afterAll(async () => {
      await connection?.close();
      await redis?.stop();
    });

    it('"a:b"+"c", "a"+"b:c", "ab"+"c" and "a"+"bc" are four first uses, and each a replay the second time', async () => {
      const context = await createConformanceContext();
      const endpoint = context.createEndpoint({
        clients: await collidingClients(context),
        replayStore: createRedisReplayStore({ client: connection.client, prefix: 'collide:' }),
      });
      const pairs = [['a:b', 'c'], ['a', 'b:c'], ['ab', 'c'], ['a', 'bc']] as const;
      const assertions = await Promise.all(pairs.map(([clientId, jti]) => assertionFor(context, clientId, context.keys.es256, { claims: { jti } })));
      for (const assertion of assertions) {
        expect((await endpoint.token({ method: 'POST', headers: FORM, body: formBody(assertionParameters(assertion)) })).status).toBe(200);
      }
      for (const assertion of assertions) {
        expect((await endpoint.token({ method: 'POST', headers: FORM, body: formBody(assertionParameters(assertion)) })).status).toBe(401);
        expect(context.events.at(-1)?.reason).toBe('jti_replayed');
      }
    });
  });
});

describe.skipIf(!HAS_REDIS)('ATTACK replay race across a two-instance cluster sharing a real redis-server', () => {
  let redis: RedisServer;
  let context: ConformanceContext;
  const events: TokenEndpointEvent[] = [];
  const instances: { endpoint: TokenEndpoint; server: RunningServer }[] = [];
  const closers: (() => Promise<void>)[] = [];
  let slowClient: RedisCommandClient;
  let slowEndpoint: TokenEndpoint;

  const post = (index: number, path: string, parameters: Record<string, string>): Promise<HttpResult> => {
    const instance = instances[index % instances.length];
    if (!instance) throw new Error('no instance');
    return httpsRequest(`${instance.server.origin}${path}`, { body: formBody(parameters), headers: FORM_CONTENT_TYPE, ca: context.pki.trustAnchorsPem });
  };
  const assertion = (): Promise<string> => signClientAssertion({ clientId: 'pkjwt', audience: ISSUER, privateKey: context.keys.es256.privateKey, kid: context.keys.es256.kid });
  const tokenRequest = (value: string, extra: Record<string, string> = {}) => ({ grant_type: 'client_credentials', client_assertion_type: assertionTypeUrn, client_assertion: value, ...extra });

  beforeAll(async () => {
    redis = await startRedisServer();
    context = await createConformanceContext();
    const signingKey = generateSigningKey();
    const clients: ClientMetadata[] = [
      { client_id: 'pkjwt', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [context.keys.es256.publicJwk] }, scope: 'read' },
      { client_id: 'secret', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, scope: 'read' },
    ];
    for (const adapter of CORE_ADAPTERS) {
      // Separate connections, as separate processes would have.
      const connection = await redis.connect();
      closers.push(connection.close);
      const endpoint = createTokenEndpoint({
        issuer: ISSUER,
        clients,
        signingKeys: [{ privateKey: signingKey }],
        defaultAudience: 'https://api.example.test',
        replayStore: createRedisReplayStore({ client: connection.client, prefix: 'race:' }),
        onEvent: (event) => events.push(event),
        throttle: false,
      });
      instances.push({ endpoint, server: await startServer(adapter, endpoint, context.pki) });
    }
    // A Redis that answers, but only after the store's 200 ms deadline.
    const slowConnection = await redis.connect();
    closers.push(slowConnection.close);
    slowClient = {
      sendCommand: async (args) => {
        const reply = await slowConnection.client.sendCommand(args);
        await new Promise((resolve) => setTimeout(resolve, 400));
        return reply;
      },
    };
    slowEndpoint = createTokenEndpoint({
      issuer: ISSUER,
      clients,
      signingKeys: [{ privateKey: signingKey }],
      defaultAudience: 'https://api.example.test',
      replayStore: createRedisReplayStore({ client: slowClient, prefix: 'race:' }),
      onEvent: (event) => events.push(event),
      throttle: false,
    });
  });
  afterAll(async () => {
    for (const instance of instances) await instance.server.close();
    for (const close of closers) await close();
    await redis?.stop();
  });

  it(`RFC 7523 §3 item 7: ${RACERS} concurrent requests with one assertion, alternating between the fastify and node instances, yield exactly one token`, async () => {
    const value = await assertion();
    const before = events.length;
    const responses = await Promise.all(Array.from({ length: RACERS }, (_, index) => post(index, '/token', tokenRequest(value))));
    expect(tally(responses.map((response) => response.status), events.slice(before))).toEqual({ ok: 1, replayed: RACERS - 1, other: 0 });
  });

  it('cross-instance, cross-endpoint race: token on one instance, introspection and revocation on the other, one winner', async () => {
    const value = await assertion();
    const before = events.length;
    const paths = ['/token', '/introspect', '/revoke'];
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, index) => post(index, paths[index % 3] as string, tokenRequest(value, index % 3 === 0 ? {} : { token: 'x' }))),
    );
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    expect(events.slice(before).filter((event) => event.reason === 'jti_replayed')).toHaveLength(29);
  });

  it('a spent assertion is refused by the other instance later (jti_replayed)', async () => {
    const value = await assertion();
    expectIssued(await post(0, '/token', tokenRequest(value)));
    const replay = await post(1, '/token', tokenRequest(value));
    expectRefusal(replay, { lastEvent: () => events.at(-1) as TokenEndpointEvent }, { status: 401, error: 'invalid_client', reason: 'jti_replayed', secrets: [value] });
  });

  it('a Redis slower than the deadline fails closed (503), and its late write still spends the jti: no second chance for a replay', async () => {
    const value = await assertion();
    const slow = await slowEndpoint.token({ method: 'POST', headers: FORM, body: formBody(tokenRequest(value)) });
    expect(slow.status).toBe(503);
    expect(JSON.parse(slow.body)).toMatchObject({ error: 'temporarily_unavailable' });
    expect(events.at(-1)).toMatchObject({ type: 'store_unavailable', reason: 'replay_store_unavailable' });
    await new Promise((resolve) => setTimeout(resolve, 450));
    const retry = await post(0, '/token', tokenRequest(value));
    expect(retry.status).toBe(401);
    expect(events.at(-1)?.reason).toBe('jti_replayed');
  });
});
