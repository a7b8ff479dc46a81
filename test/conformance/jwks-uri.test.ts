/**
 * private_key_jwt clients that register a `jwks_uri` (RFC 7591 §2), end to end: real token
 * requests over HTTPS through each adapter, keys fetched by `createRemoteKeySource` from a real
 * HTTPS key server on 127.0.0.1. Fetches are counted at the key server.
 *
 * SPEC.md, private_key_jwt "Keys": inline `jwks`, or `jwks_uri` (https only unless explicitly
 * allowed for tests; timeout, size cap, cache with cooldown, refetch on unknown `kid` at most once
 * per cooldown). RFC 7523 §3.2: every failure is `invalid_client`; the reason goes to the event.
 */
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRemoteKeySource } from '../../src/assertions/remote-key-source.js';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { RequestDeniedEvent } from '../../src/core/events.js';
import { signClientAssertion } from '../../src/testing/assertions.js';
import { generateKeyPair, toJwk } from '../../src/testing/pki.js';
import {
  type AdapterUnderTest,
  type ConformanceContext,
  ISSUER,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import type { HttpResult } from '../helpers/http.js';
import { type KeyServer, startKeyServer } from '../helpers/key-server.js';
import { ADAPTERS } from '../helpers/servers.js';

const TIMEOUT_MS = 500;
const COOLDOWN_MS = 30_000;
const BODY_MARKER = 'KEY-SERVER-BODY-MARKER';


interface RotatingKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

async function rotatingKey(kid: string): Promise<RotatingKey> {
  const pair = await generateKeyPair('ec-p256');
  return { kid, privateKey: pair.privateKey, publicJwk: { ...toJwk(pair.publicKey), kid, use: 'sig' } };
}


describe.each(ADAPTERS)('jwks_uri clients through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  let keyServer: KeyServer;
  let elsewhere: KeyServer;
  let plain: KeyServer;
  let k1: RotatingKey;
  let k2: RotatingKey;
  let k3: RotatingKey;
  /** What the key server publishes at /remote.json. */
  let published: RotatingKey[] = [];
  /** The key source's clock (epoch ms): tests move it past the cooldown instead of sleeping. */
  let keyClock = Date.now();

  const assertion = (clientId: string, key: RotatingKey, kid = key.kid): Promise<string> =>
    signClientAssertion({ clientId, audience: ISSUER, privateKey: key.privateKey, kid, now: Math.floor(context.clock.now / 1000) });
  const send = async (clientId: string, key: RotatingKey, kid?: string): Promise<HttpResult> =>
    server.post(assertionParameters(await assertion(clientId, key, kid)));

  function expectDenied(response: HttpResult, clientId: string, reason: string): RequestDeniedEvent {
    expect(response.status, response.text).toBe(401);
    expect(response.json.error).toBe('invalid_client');
    expect(response.text).not.toContain(reason);
    expect(response.text).not.toContain(BODY_MARKER);
    const event = server.lastEvent() as RequestDeniedEvent;
    expect(event).toMatchObject({ decision: 'deny', type: 'client_authentication_failed', reason, clientId, authMethod: 'private_key_jwt' });
    expect(JSON.stringify(event)).not.toContain(BODY_MARKER);
    return event;
  }

  beforeAll(async () => {
    context = await createConformanceContext();
    [keyServer, elsewhere, plain, k1, k2, k3] = await Promise.all([
      startKeyServer(context.pki),
      startKeyServer(context.pki),
      startKeyServer(undefined),
      rotatingKey('k1'),
      rotatingKey('k2'),
      rotatingKey('k3'),
    ]);
    published = [k1];
    keyServer.route('/remote.json', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      response.end(JSON.stringify({ keys: published.map((key) => key.publicJwk) }));
    });
    keyServer.route('/slow.json', (_request, response) => {
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [k1.publicJwk] }));
      }, 5000).unref();
    });
    const huge = JSON.stringify({ keys: [k1.publicJwk], padding: BODY_MARKER.repeat(Math.ceil((1024 * 1024) / BODY_MARKER.length)) });
    keyServer.route('/huge.json', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(huge);
    });
    elsewhere.route('/jwks.json', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [k1.publicJwk] }));
    });
    keyServer.route('/redirect.json', (_request, response) => response.writeHead(302, { location: `${elsewhere.origin}/jwks.json` }).end());
    keyServer.route('/not-json.json', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`<html><body>${BODY_MARKER}</body></html>`);
    });
    keyServer.route('/broken.json', (_request, response) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(BODY_MARKER);
    });
    plain.route('/jwks.json', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [k1.publicJwk] }));
    });

    const pkjwt = (clientId: string, uri: string): ClientMetadata => ({
      client_id: clientId,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: uri,
      scope: 'read',
    });
    const endpoint = context.createEndpoint({
      clients: [
        pkjwt('remote', `${keyServer.origin}/remote.json`),
        pkjwt('slow', `${keyServer.origin}/slow.json`),
        pkjwt('huge', `${keyServer.origin}/huge.json`),
        pkjwt('redirecting', `${keyServer.origin}/redirect.json`),
        pkjwt('not-json', `${keyServer.origin}/not-json.json`),
        pkjwt('broken', `${keyServer.origin}/broken.json`),
        pkjwt('insecure', `${plain.origin}/jwks.json`),
      ],
      clientKeys: createRemoteKeySource({ ca: context.pki.trustAnchorsPem, timeoutMs: TIMEOUT_MS, cooldownMs: COOLDOWN_MS, now: () => keyClock }),
    });
    server = await mount(adapter, context, endpoint);
  });
  afterAll(async () => {
    await Promise.all([server.server.close(), keyServer.close(), elsewhere.close(), plain.close()]);
  });
  beforeEach(() => {
    context.clock.now = Date.now();
  });

  it('authenticates a private_key_jwt client whose keys are at its jwks_uri', async () => {
    const response = await send('remote', k1);
    expect(response.status, response.text).toBe(200);
    expect(response.json.token_type).toBe('Bearer');
    expect(server.lastEvent()).toMatchObject({ type: 'token_issued', clientId: 'remote', credentialId: 'k1' });
    expect(keyServer.hits('/remote.json')).toBe(1);

    // Cached: further requests cost no fetch.
    expect((await send('remote', k1)).status).toBe(200);
    expect(keyServer.hits('/remote.json')).toBe(1);
  });

  it('follows a key rotation: a new kid is fetched on first use, at most once per cooldown', async () => {
    keyClock += COOLDOWN_MS;
    const before = keyServer.hits('/remote.json');

    // Rotation: k2 published, k1 removed. The first assertion with k2 triggers one refetch.
    published = [k2];
    const rotated = await send('remote', k2);
    expect(rotated.status, rotated.text).toBe(200);
    expect(server.lastEvent()).toMatchObject({ type: 'token_issued', credentialId: 'k2' });
    expect(keyServer.hits('/remote.json')).toBe(before + 1);

    // The removed key no longer verifies, and asking for it within the cooldown fetches nothing.
    expectDenied(await send('remote', k1), 'remote', 'assertion_key_not_found');
    expect(keyServer.hits('/remote.json')).toBe(before + 1);

    // A second rotation within the cooldown is picked up once the cooldown has passed.
    published = [k3];
    expectDenied(await send('remote', k3), 'remote', 'assertion_key_not_found');
    expect(keyServer.hits('/remote.json')).toBe(before + 1);
    keyClock += COOLDOWN_MS - 1;
    expectDenied(await send('remote', k3), 'remote', 'assertion_key_not_found');
    expect(keyServer.hits('/remote.json')).toBe(before + 1);
    keyClock += 1;
    const later = await send('remote', k3);
    expect(later.status, later.text).toBe(200);
    expect(keyServer.hits('/remote.json')).toBe(before + 2);
  });

  it('a burst of 100 concurrent requests with an unknown kid costs at most one fetch; all are assertion_key_not_found', async () => {
    // Its own source with the default 30 s cooldown, so a slow machine cannot stretch the burst
    // past the cooldown; the cache starts cold, so every request needs the one fetch.
    const burstEndpoint = context.createEndpoint({
      clients: [{ client_id: 'burst', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: `${keyServer.origin}/burst.json`, scope: 'read' }],
      clientKeys: createRemoteKeySource({ ca: context.pki.trustAnchorsPem, timeoutMs: TIMEOUT_MS }),
    });
    keyServer.route('/burst.json', (_request, response) => {
      // Slow enough that the requests overlap the fetch.
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [k3.publicJwk] }));
      }, 100).unref();
    });
    const burstServer = await mount(adapter, context, burstEndpoint);
    try {
      const send100 = async (): Promise<void> => {
        const assertions = await Promise.all(Array.from({ length: 100 }, () => assertion('burst', k3, 'unknown-kid')));
        const firstEvent = context.events.length;
        const responses = await Promise.all(assertions.map((jwt) => burstServer.post(assertionParameters(jwt))));
        for (const response of responses) {
          expect(response.status).toBe(401);
          expect(response.json.error).toBe('invalid_client');
        }
        const events = context.events.slice(firstEvent);
        expect(events).toHaveLength(100);
        for (const event of events) expect(event).toMatchObject({ decision: 'deny', clientId: 'burst', reason: 'assertion_key_not_found' });
      };
      await send100();
      expect(keyServer.hits('/burst.json')).toBe(1);
      // Within the cooldown, another burst fetches nothing.
      await send100();
      expect(keyServer.hits('/burst.json')).toBe(1);
    } finally {
      await burstServer.server.close();
    }
  });

  it.each([
    ['answers after 5 s', 'jwks_fetch_timeout', 'slow'],
    ['sends 1 MiB', 'jwks_too_large', 'huge'],
    ['redirects to another port', 'jwks_redirect_refused', 'redirecting'],
    ['sends a body that is not JSON', 'jwks_invalid', 'not-json'],
    ['answers 500', 'jwks_fetch_failed', 'broken'],
    ['is http (allowHttp not set)', 'jwks_uri_insecure', 'insecure'],
  ])('a key server that %s: invalid_client, reason %s, within timeout + 1 s', async (_name, reason, clientId) => {
    const started = performance.now();
    const response = await send(clientId, k1);
    const elapsed = performance.now() - started;

    const event = expectDenied(response, clientId, reason);
    expect(response.json.error_description).toBe('the client keys could not be retrieved');
    expect(event.detail).toBeDefined();
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1000);
  });

  it('never contacts a host that a key server redirects to, nor an http jwks_uri', () => {
    expect(elsewhere.hits('/jwks.json')).toBe(0);
    expect(plain.hits('/jwks.json')).toBe(0);
  });
});
