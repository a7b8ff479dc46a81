/**
 * createRemoteKeySource against real key servers on 127.0.0.1 (HTTPS with a test-PKI certificate,
 * plain HTTP only for the allowHttp cases): no HTTP mocks. Fetches are counted at the server.
 *
 * SPEC.md, private_key_jwt "Keys": jwks_uri over https only unless explicitly allowed for tests;
 * timeout, size cap, cache with cooldown, refetch on unknown kid at most once per cooldown.
 */
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RemoteKeyFetchEvent,
  type RemoteKeySourceOptions,
  createRemoteKeySource,
} from '../../src/assertions/remote-key-source.js';
import type { ClientKeySource, ClientPublicKey } from '../../src/assertions/key-source.js';
import { type ResolvedClient, resolveClient } from '../../src/clients/metadata.js';
import { ConfigurationError, OAuthError } from '../../src/errors/errors.js';
import { type TestPki, createTestPki, generateKeyPair, toJwk } from '../../src/testing/pki.js';
import { type KeyServer, type KeyServerHandler as Handler, startKeyServer } from '../helpers/key-server.js';


/** Serves `body()` as JSON (read at request time, so a test can rotate keys). */
function json(body: () => unknown, headers: Record<string, string> = {}, contentType = 'application/json'): Handler {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': contentType, ...headers });
    response.end(JSON.stringify(body()));
  };
}

function client(uri: string): ResolvedClient {
  return resolveClient({ client_id: `svc-${uri}`, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: uri });
}

/** The refusal of a key lookup, whether it throws at once (a cached failure) or rejects (a fetch). */
async function refusal(lookup: () => unknown): Promise<OAuthError> {
  try {
    await lookup();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    return error as OAuthError;
  }
  throw new Error('expected the key source to refuse');
}

const kids = (keys: readonly ClientPublicKey[]): (string | undefined)[] => keys.map((key) => key.kid);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe('createRemoteKeySource (jwks_uri)', () => {
  let pki: TestPki;
  let server: KeyServer;
  let plain: KeyServer;
  let other: KeyServer;
  let keyA: JWK;
  let keyB: JWK;
  let keyC: JWK;
  /** The source's clock: tests move it instead of waiting. */
  let clock = 0;
  let events: RemoteKeyFetchEvent[] = [];
  let path = 0;

  /** A fresh URI path per test, so tests never share a cache entry or a hit counter. */
  function nextPath(label: string): string {
    path += 1;
    return `/${label}-${path}.json`;
  }

  function source(options: RemoteKeySourceOptions = {}): ClientKeySource {
    return createRemoteKeySource({ ca: pki.trustAnchorsPem, now: () => clock, onFetch: (event) => events.push(event), ...options });
  }

  beforeAll(async () => {
    pki = await createTestPki();
    [server, plain, other] = await Promise.all([startKeyServer(pki), startKeyServer(undefined), startKeyServer(pki)]);
    const pairs = await Promise.all([generateKeyPair('ec-p256'), generateKeyPair('ec-p256'), generateKeyPair('ed25519')]);
    const [a, b, c] = pairs.map((pair, index): JWK => ({ ...toJwk(pair.publicKey), kid: `key-${'abc'[index]}`, use: 'sig' }));
    if (!a || !b || !c) throw new Error('key generation failed');
    [keyA, keyB, keyC] = [a, b, c];
  });
  afterAll(async () => {
    await Promise.all([server.close(), plain.close(), other.close()]);
  });

  describe('fetching and caching', () => {
    it('fetches the set once, imports its keys, and serves later calls from the cache', async () => {
      clock = Date.now();
      events = [];
      const p = nextPath('basic');
      server.route(p, json(() => ({ keys: [keyA, keyB] })));
      const keys = source();
      const svc = client(server.origin + p);

      const first = await keys.keysFor(svc, { refresh: false });
      expect(kids(first)).toEqual(['key-a', 'key-b']);
      expect(first.every((key) => key.key?.type === 'public')).toBe(true);
      const second = await keys.keysFor(svc, { refresh: false });
      expect(second).toBe(first);
      expect(server.hits(p)).toBe(1);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ outcome: 'ok', trigger: 'miss', status: 200, keyCount: 2, cacheMs: 5 * MINUTE, redirects: 0 });
      expect(events[0]?.host).toBe(new URL(server.origin).host);
    });

    it('caches for max-age when it lies within [minCacheMs, maxCacheMs], then refetches the expired set', async () => {
      clock = Date.now();
      const p = nextPath('max-age');
      let current = [keyA];
      server.route(p, json(() => ({ keys: current }), { 'cache-control': 'public, max-age=120' }));
      const keys = source();
      const svc = client(server.origin + p);

      expect(kids(await keys.keysFor(svc, { refresh: false }))).toEqual(['key-a']);
      current = [keyB];
      clock += 120 * SECOND - 1;
      expect(kids(await keys.keysFor(svc, { refresh: false }))).toEqual(['key-a']);
      expect(server.hits(p)).toBe(1);
      clock += 1;
      expect(kids(await keys.keysFor(svc, { refresh: false }))).toEqual(['key-b']);
      expect(server.hits(p)).toBe(2);
      expect(events.at(-1)).toMatchObject({ trigger: 'expired', outcome: 'ok', cacheMs: 120 * SECOND });
    });

    it.each([
      ['a max-age below minCacheMs is raised to it', 'max-age=5', MINUTE],
      ['no-cache counts as 0, i.e. minCacheMs', 'no-cache', MINUTE],
      ['no-store counts as 0, i.e. minCacheMs', 'no-store, max-age=600', MINUTE],
      ['a max-age above maxCacheMs is lowered to it', 'max-age=999999999', 24 * HOUR],
      ['without max-age, defaultCacheMs', 'public', 5 * MINUTE],
      ['a quoted max-age is read', 'max-age="300"', 5 * MINUTE],
    ])('%s (Cache-Control: %s)', async (_name, cacheControl, expectedMs) => {
      clock = Date.now();
      const p = nextPath('clamp');
      server.route(p, json(() => ({ keys: [keyA] }), { 'cache-control': cacheControl }));
      const keys = source();
      const svc = client(server.origin + p);
      await keys.keysFor(svc, { refresh: false });
      expect(events.at(-1)?.cacheMs).toBe(expectedMs);
      clock += expectedMs - 1;
      await keys.keysFor(svc, { refresh: false });
      expect(server.hits(p)).toBe(1);
      clock += 1;
      await keys.keysFor(svc, { refresh: false });
      expect(server.hits(p)).toBe(2);
    });

    it('honours configured bounds (minCacheMs, maxCacheMs, defaultCacheMs)', async () => {
      clock = Date.now();
      const [low, high, none] = [nextPath('low'), nextPath('high'), nextPath('none')];
      server.route(low, json(() => ({ keys: [keyA] }), { 'cache-control': 'max-age=1' }));
      server.route(high, json(() => ({ keys: [keyA] }), { 'cache-control': 'max-age=86400' }));
      server.route(none, json(() => ({ keys: [keyA] })));
      const keys = source({ minCacheMs: 10 * SECOND, maxCacheMs: HOUR, defaultCacheMs: 20 * SECOND });
      for (const p of [low, high, none]) await keys.keysFor(client(server.origin + p), { refresh: false });
      expect(events.slice(-3).map((event) => event.cacheMs)).toEqual([10 * SECOND, HOUR, 20 * SECOND]);
    });

    it('accepts application/jwk-set+json with parameters, ignores entries without kty, keeps other members', async () => {
      clock = Date.now();
      const p = nextPath('jwk-set-json');
      server.route(p, json(() => ({ keys: [keyA, 42, 'x', null, { kid: 'no-kty' }, keyB], extra: true }), {}, 'application/jwk-set+json; charset=utf-8'));
      const keys = await source().keysFor(client(server.origin + p), { refresh: false });
      expect(kids(keys)).toEqual(['key-a', 'key-b']);
    });

    it('keeps a published private key out of use (imported as unusable, never as a verification key)', async () => {
      clock = Date.now();
      const pair = await generateKeyPair('ec-p256');
      const p = nextPath('private');
      server.route(p, json(() => ({ keys: [{ ...(pair.privateKey.export({ format: 'jwk' }) as JWK), kid: 'leaked' }] })));
      const [key] = await source().keysFor(client(server.origin + p), { refresh: false });
      expect(key?.key).toBeUndefined();
      expect(key?.importError).toMatch(/private/);
    });

    it('delegates clients with inline jwks to the inline keys, without any fetch', async () => {
      const inline = resolveClient({ client_id: 'inline', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [keyC] } });
      const before = events.length;
      expect(kids(await source().keysFor(inline, { refresh: true }))).toEqual(['key-c']);
      expect(events.length).toBe(before);
    });
  });

  describe('refresh on an unknown kid: cooldown and single flight', () => {
    it('refetches at most once per cooldownMs, counting the fetch that filled the cache', async () => {
      clock = Date.now();
      const p = nextPath('cooldown');
      let current = [keyA];
      server.route(p, json(() => ({ keys: current })));
      const keys = source({ cooldownMs: 30 * SECOND });
      const svc = client(server.origin + p);

      await keys.keysFor(svc, { refresh: false });
      current = [keyA, keyB];
      clock += 29 * SECOND;
      expect(kids(await keys.keysFor(svc, { refresh: true }))).toEqual(['key-a']);
      expect(server.hits(p)).toBe(1);

      clock += SECOND;
      expect(kids(await keys.keysFor(svc, { refresh: true }))).toEqual(['key-a', 'key-b']);
      expect(server.hits(p)).toBe(2);
      expect(events.at(-1)).toMatchObject({ trigger: 'refresh', outcome: 'ok' });

      current = [keyC];
      for (let i = 0; i < 10; i += 1) await keys.keysFor(svc, { refresh: true });
      clock += 29 * SECOND;
      await keys.keysFor(svc, { refresh: true });
      expect(server.hits(p)).toBe(2);
      clock += SECOND;
      expect(kids(await keys.keysFor(svc, { refresh: true }))).toEqual(['key-c']);
      expect(server.hits(p)).toBe(3);
    });

    it('100 concurrent refresh calls share one fetch (the server sees one request)', async () => {
      clock = Date.now();
      const p = nextPath('single-flight');
      let current = [keyA];
      const slowly: Handler = (_request, response) => {
        setTimeout(() => json(() => ({ keys: current }))(_request, response), 150).unref();
      };
      server.route(p, slowly);
      const keys = source();
      const svc = client(server.origin + p);
      await keys.keysFor(svc, { refresh: false });
      current = [keyB];
      clock += 30 * SECOND;

      const results = await Promise.all(Array.from({ length: 100 }, () => keys.keysFor(svc, { refresh: true })));
      expect(server.hits(p)).toBe(2);
      for (const result of results) expect(kids(result)).toEqual(['key-b']);
    });

    it('100 concurrent first uses share one fetch', async () => {
      clock = Date.now();
      const p = nextPath('single-flight-miss');
      server.route(p, json(() => ({ keys: [keyA] })));
      const keys = source();
      const svc = client(server.origin + p);
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => keys.keysFor(svc, { refresh: i % 2 === 0 })));
      expect(server.hits(p)).toBe(1);
      for (const result of results) expect(kids(result)).toEqual(['key-a']);
    });

    it('100 concurrent callers of a failing key server share one fetch and one refusal', async () => {
      clock = Date.now();
      const p = nextPath('single-flight-fail');
      server.route(p, (_request, response) => {
        setTimeout(() => response.writeHead(503).end(), 100).unref();
      });
      const keys = source();
      const svc = client(server.origin + p);
      const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => keys.keysFor(svc, { refresh: true })));
      expect(server.hits(p)).toBe(1);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toMatchObject({ reason: 'jwks_fetch_failed', error: 'invalid_client', status: 401 });
      }
    });

    it('a fresh set is served at once while a refresh is under way for others', async () => {
      clock = Date.now();
      const p = nextPath('no-wait');
      let delay = 0;
      server.route(p, (_request, response) => {
        setTimeout(() => json(() => ({ keys: [keyA] }))(_request, response), delay).unref();
      });
      const keys = source();
      const svc = client(server.origin + p);
      await keys.keysFor(svc, { refresh: false });
      delay = 1500;
      clock += 30 * SECOND;
      const refreshing = keys.keysFor(svc, { refresh: true });
      const started = performance.now();
      await keys.keysFor(svc, { refresh: false });
      expect(performance.now() - started).toBeLessThan(500);
      await refreshing;
    });

    it('a failed refresh leaves the fresh set in place', async () => {
      clock = Date.now();
      const p = nextPath('refresh-fails');
      let fail = false;
      server.route(p, (request, response) => (fail ? response.writeHead(500).end() : json(() => ({ keys: [keyA] }))(request, response)));
      const keys = source();
      const svc = client(server.origin + p);
      await keys.keysFor(svc, { refresh: false });
      fail = true;
      clock += 30 * SECOND;
      expect(kids(await keys.keysFor(svc, { refresh: true }))).toEqual(['key-a']);
      expect(server.hits(p)).toBe(2);
      expect(events.at(-1)).toMatchObject({ trigger: 'refresh', outcome: 'error', reason: 'jwks_fetch_failed', status: 500, servedStale: false });
    });
  });

  describe('time bound', () => {
    it('gives up on a server that answers after 5 s within ~timeoutMs (jwks_fetch_timeout)', async () => {
      clock = Date.now();
      const p = nextPath('slow');
      server.route(p, (_request, response) => {
        setTimeout(() => json(() => ({ keys: [keyA] }))(_request, response), 5000).unref();
      });
      const started = performance.now();
      const error = await refusal(() => source({ timeoutMs: 300 }).keysFor(client(server.origin + p), { refresh: false }));
      const elapsed = performance.now() - started;
      expect(error.reason).toBe('jwks_fetch_timeout');
      expect(error.error).toBe('invalid_client');
      expect(error.status).toBe(401);
      expect(error.message).toBe('the client keys could not be retrieved');
      expect(error.detail).toContain(new URL(server.origin).host);
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(1500);
    });

    it('bounds the body too: headers at once, then a trickle, still ends at timeoutMs', async () => {
      clock = Date.now();
      const p = nextPath('trickle');
      server.route(p, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"keys":[');
        const interval = setInterval(() => (response.destroyed ? clearInterval(interval) : response.write(' ')), 50);
        interval.unref();
      });
      const started = performance.now();
      const error = await refusal(() => source({ timeoutMs: 300 }).keysFor(client(server.origin + p), { refresh: false }));
      expect(error.reason).toBe('jwks_fetch_timeout');
      expect(performance.now() - started).toBeLessThan(1500);
      expect(events.at(-1)).toMatchObject({ outcome: 'error', reason: 'jwks_fetch_timeout', status: 200 });
    });

    it('bounds redirects within the same deadline', async () => {
      clock = Date.now();
      const [hop, slow] = [nextPath('hop'), nextPath('slow-target')];
      server.route(hop, (_request, response) => {
        setTimeout(() => response.writeHead(302, { location: slow }).end(), 200).unref();
      });
      server.route(slow, (_request, response) => {
        setTimeout(() => json(() => ({ keys: [keyA] }))(_request, response), 200).unref();
      });
      const started = performance.now();
      const error = await refusal(() => source({ timeoutMs: 300 }).keysFor(client(server.origin + hop), { refresh: false }));
      expect(error.reason).toBe('jwks_fetch_timeout');
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });

  describe('size cap', () => {
    const huge = JSON.stringify({ keys: [{ kty: 'oct', k: 'A'.repeat(1024 * 1024) }] });

    it('refuses a 1 MiB set announced by Content-Length before reading it (jwks_too_large)', async () => {
      clock = Date.now();
      const p = nextPath('huge');
      server.route(p, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(huge) });
        response.end(huge);
      });
      const error = await refusal(() => source().keysFor(client(server.origin + p), { refresh: false }));
      expect(error.reason).toBe('jwks_too_large');
      expect(error.detail).not.toContain('AAAA');
    });

    it('refuses a streamed (chunked) 1 MiB set as soon as it passes maxBytes', async () => {
      clock = Date.now();
      const p = nextPath('huge-chunked');
      let written = 0;
      server.route(p, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = huge.slice(0, 16 * 1024);
        const pump = (): void => {
          while (!response.destroyed && written < 1024 * 1024) {
            written += chunk.length;
            if (!response.write(chunk)) {
              response.once('drain', pump);
              return;
            }
          }
          if (!response.destroyed) response.end('"}]}');
        };
        pump();
      });
      const error = await refusal(() => source({ maxBytes: 32 * 1024 }).keysFor(client(server.origin + p), { refresh: false }));
      expect(error.reason).toBe('jwks_too_large');
      expect(error.detail).toContain('32768');
    });

    it('accepts a set just under the cap', async () => {
      clock = Date.now();
      const p = nextPath('just-under');
      const body = JSON.stringify({ keys: [keyA], padding: 'x'.repeat(2000) });
      server.route(p, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(body);
      });
      const keys = await source({ maxBytes: Buffer.byteLength(body) }).keysFor(client(server.origin + p), { refresh: false });
      expect(kids(keys)).toEqual(['key-a']);
    });
  });

  describe('redirects', () => {
    it('follows same-origin redirects, up to maxRedirects (default 2)', async () => {
      clock = Date.now();
      const [first, second, target] = [nextPath('r1'), nextPath('r2'), nextPath('target')];
      server.route(first, (_request, response) => response.writeHead(301, { location: second }).end());
      server.route(second, (_request, response) => response.writeHead(307, { location: `${server.origin}${target}` }).end());
      server.route(target, json(() => ({ keys: [keyA] })));
      expect(kids(await source().keysFor(client(server.origin + first), { refresh: false }))).toEqual(['key-a']);
      expect([server.hits(first), server.hits(second), server.hits(target)]).toEqual([1, 1, 1]);
      expect(events.at(-1)).toMatchObject({ outcome: 'ok', redirects: 2 });
    });

    it('refuses a third redirect (jwks_redirect_refused)', async () => {
      clock = Date.now();
      const paths = [nextPath('loop'), nextPath('loop'), nextPath('loop'), nextPath('loop')];
      paths.forEach((p, index) => server.route(p, (_request, response) => response.writeHead(302, { location: paths[index + 1] ?? p }).end()));
      const error = await refusal(() => source().keysFor(client(server.origin + (paths[0] as string)), { refresh: false }));
      expect(error.reason).toBe('jwks_redirect_refused');
      expect(server.hits(paths[3] as string)).toBe(0);
    });

    it('refuses a redirect to another port, never contacting it (jwks_redirect_refused)', async () => {
      clock = Date.now();
      const [p, elsewhere] = [nextPath('to-other-port'), nextPath('elsewhere')];
      other.route(elsewhere, json(() => ({ keys: [keyC] })));
      server.route(p, (_request, response) => response.writeHead(302, { location: other.origin + elsewhere }).end());
      const error = await refusal(() => source().keysFor(client(server.origin + p), { refresh: false }));
      expect(error.reason).toBe('jwks_redirect_refused');
      expect(error.detail).toContain(new URL(other.origin).host);
      expect(other.hits(elsewhere)).toBe(0);
    });

    it.each([
      ['another host', (origin: string) => origin.replace('127.0.0.1', 'localhost')],
      ['another scheme', (origin: string) => origin.replace('https:', 'http:')],
    ])('refuses a redirect to %s', async (_name, rewrite) => {
      clock = Date.now();
      const p = nextPath('cross');
      server.route(p, (_request, response) => response.writeHead(308, { location: `${rewrite(server.origin)}/x.json` }).end());
      expect((await refusal(() => source().keysFor(client(server.origin + p), { refresh: false }))).reason).toBe('jwks_redirect_refused');
    });

    it('refuses a redirect without Location', async () => {
      clock = Date.now();
      const p = nextPath('no-location');
      server.route(p, (_request, response) => response.writeHead(302).end());
      expect((await refusal(() => source().keysFor(client(server.origin + p), { refresh: false }))).reason).toBe('jwks_redirect_refused');
    });
  });

  describe('what the response must be', () => {
    const marker = 'SECRET-BODY-MARKER';
    it.each([
      ['not JSON', 'application/json', `<html>${marker}</html>`],
      ['JSON, but served as text/html', 'text/html', JSON.stringify({ keys: [{ kty: 'EC', marker }] })],
      ['no content type', undefined, JSON.stringify({ keys: [{ kty: 'EC', marker }] })],
      ['a JSON array', 'application/json', JSON.stringify([{ kty: 'EC', marker }])],
      ['an object without keys', 'application/json', JSON.stringify({ marker })],
      ['keys not an array', 'application/json', JSON.stringify({ keys: { kty: 'EC', marker } })],
      ['an empty key list', 'application/json', JSON.stringify({ keys: [], marker })],
      ['no entry with a kty', 'application/json', JSON.stringify({ keys: [{ kid: marker }, 'x', 7] })],
      ['invalid UTF-8', 'application/json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ])('refuses %s (jwks_invalid), never quoting the body', async (_name, contentType, body) => {
      clock = Date.now();
      const p = nextPath('invalid');
      server.route(p, (_request, response) => {
        response.writeHead(200, contentType === undefined ? {} : { 'content-type': contentType });
        response.end(body);
      });
      const error = await refusal(() => source().keysFor(client(server.origin + p), { refresh: false }));
      expect(error.reason).toBe('jwks_invalid');
      expect(error.error).toBe('invalid_client');
      expect(`${error.message} ${error.detail}`).not.toContain(marker);
      expect(JSON.stringify(events.at(-1))).not.toContain(marker);
    });

    it.each([500, 404, 204, 304])('refuses HTTP %i (jwks_fetch_failed)', async (status) => {
      clock = Date.now();
      const p = nextPath(`status-${status}`);
      server.route(p, (_request, response) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(status === 204 || status === 304 ? undefined : JSON.stringify({ keys: [keyA], error: marker }));
      });
      const error = await refusal(() => source().keysFor(client(server.origin + p), { refresh: false }));
      expect(error.reason).toBe('jwks_fetch_failed');
      expect(error.detail).toContain(String(status));
      expect(error.detail).not.toContain(marker);
      expect(events.at(-1)).toMatchObject({ outcome: 'error', reason: 'jwks_fetch_failed', status });
    });

    it('refuses a connection that is refused or cut (jwks_fetch_failed)', async () => {
      clock = Date.now();
      const closed = await startKeyServer(pki);
      const origin = closed.origin;
      await closed.close();
      expect((await refusal(() => source().keysFor(client(`${origin}/jwks.json`), { refresh: false }))).reason).toBe('jwks_fetch_failed');

      const p = nextPath('cut');
      server.route(p, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        response.write('{"keys":[');
        setTimeout(() => response.socket?.destroy(), 20).unref();
      });
      expect((await refusal(() => source().keysFor(client(server.origin + p), { refresh: false }))).reason).toBe('jwks_fetch_failed');
    });

    it('refuses a server whose certificate is not trusted (no ca option)', async () => {
      const p = nextPath('untrusted');
      server.route(p, json(() => ({ keys: [keyA] })));
      const keys = createRemoteKeySource();
      const error = await refusal(() => keys.keysFor(client(server.origin + p), { refresh: false }));
      expect(error.reason).toBe('jwks_fetch_failed');
      expect(error.detail).toMatch(/CERT|SIGNATURE|ISSUER/);
    });
  });

  describe('https only', () => {
    it('refuses an http jwks_uri without allowHttp, without contacting it (jwks_uri_insecure)', async () => {
      const p = nextPath('http');
      plain.route(p, json(() => ({ keys: [keyA] })));
      const error = await refusal(() => source().keysFor(client(plain.origin + p), { refresh: false }));
      expect(error.reason).toBe('jwks_uri_insecure');
      expect(error.status).toBe(401);
      expect(error.detail).toMatch(/https/);
      expect(plain.hits(p)).toBe(0);
    });

    it('fetches an http jwks_uri with allowHttp: true (tests only)', async () => {
      clock = Date.now();
      const p = nextPath('http-allowed');
      plain.route(p, json(() => ({ keys: [keyA] })));
      expect(kids(await source({ allowHttp: true }).keysFor(client(plain.origin + p), { refresh: false }))).toEqual(['key-a']);
      expect(plain.hits(p)).toBe(1);
    });
  });

  describe('failures over time: stale set, remembered failure', () => {
    it('keeps serving an expired set while the key server fails, for at most maxStaleMs', async () => {
      clock = Date.now();
      const p = nextPath('stale');
      let failing = false;
      server.route(p, (request, response) =>
        failing ? response.writeHead(503).end() : json(() => ({ keys: [keyA] }), { 'cache-control': 'max-age=60' })(request, response),
      );
      const keys = source({ maxStaleMs: HOUR, failureCacheMs: 5 * SECOND });
      const svc = client(server.origin + p);
      await keys.keysFor(svc, { refresh: false });
      const expiresAt = clock + MINUTE;

      failing = true;
      clock = expiresAt;
      expect(kids(await keys.keysFor(svc, { refresh: false }))).toEqual(['key-a']);
      expect(server.hits(p)).toBe(2);
      expect(events.at(-1)).toMatchObject({ trigger: 'expired', outcome: 'error', reason: 'jwks_fetch_failed', servedStale: true });

      // Within failureCacheMs: the stale set, no new fetch.
      clock += 5 * SECOND - 1;
      expect(kids(await keys.keysFor(svc, { refresh: true }))).toEqual(['key-a']);
      expect(server.hits(p)).toBe(2);
      // After it: one retry, still failing, still stale.
      clock += 1;
      expect(kids(await keys.keysFor(svc, { refresh: false }))).toEqual(['key-a']);
      expect(server.hits(p)).toBe(3);

      // Past expiry + maxStaleMs the set is no longer used: the failure is reported.
      clock = expiresAt + HOUR;
      const error = await refusal(() => keys.keysFor(svc, { refresh: false }));
      expect(error.reason).toBe('jwks_fetch_failed');
      expect(server.hits(p)).toBe(4);
      expect(events.at(-1)?.servedStale).toBe(false);

      // The key server recovers: the next attempt after failureCacheMs fetches a fresh set.
      failing = false;
      clock += 5 * SECOND;
      expect(kids(await keys.keysFor(svc, { refresh: false }))).toEqual(['key-a']);
      expect(server.hits(p)).toBe(5);
      expect(events.at(-1)).toMatchObject({ outcome: 'ok' });
    });

    it('with maxStaleMs 0, an expired set is not used once a refetch fails', async () => {
      clock = Date.now();
      const p = nextPath('no-stale');
      let failing = false;
      server.route(p, (request, response) => (failing ? response.writeHead(500).end() : json(() => ({ keys: [keyA] }))(request, response)));
      const keys = source({ maxStaleMs: 0 });
      const svc = client(server.origin + p);
      await keys.keysFor(svc, { refresh: false });
      failing = true;
      clock += 5 * MINUTE;
      expect((await refusal(() => keys.keysFor(svc, { refresh: false }))).reason).toBe('jwks_fetch_failed');
    });

    it('remembers a failure for failureCacheMs: the same refusal, no new fetch', async () => {
      clock = Date.now();
      const p = nextPath('remembered');
      let status = 500;
      server.route(p, (request, response) => (status === 200 ? json(() => ({ keys: [keyB] }))(request, response) : response.writeHead(status).end()));
      const keys = source({ failureCacheMs: 5 * SECOND });
      const svc = client(server.origin + p);
      expect((await refusal(() => keys.keysFor(svc, { refresh: false }))).reason).toBe('jwks_fetch_failed');
      status = 200;
      clock += 5 * SECOND - 1;
      for (let i = 0; i < 20; i += 1) expect((await refusal(() => keys.keysFor(svc, { refresh: i % 2 === 0 }))).reason).toBe('jwks_fetch_failed');
      expect(server.hits(p)).toBe(1);
      clock += 1;
      expect(kids(await keys.keysFor(svc, { refresh: false }))).toEqual(['key-b']);
      expect(server.hits(p)).toBe(2);
    });
  });

  describe('operator hook and options', () => {
    it('an onFetch hook that throws changes nothing', async () => {
      clock = Date.now();
      const p = nextPath('hook-throws');
      server.route(p, json(() => ({ keys: [keyA] })));
      const keys = source({
        onFetch: () => {
          throw new Error('hook failed');
        },
      });
      expect(kids(await keys.keysFor(client(server.origin + p), { refresh: false }))).toEqual(['key-a']);
    });

    it('evicts the least recently used URI beyond maxEntries', async () => {
      clock = Date.now();
      const [p1, p2] = [nextPath('lru'), nextPath('lru')];
      server.route(p1, json(() => ({ keys: [keyA] })));
      server.route(p2, json(() => ({ keys: [keyB] })));
      const keys = source({ maxEntries: 1 });
      await keys.keysFor(client(server.origin + p1), { refresh: false });
      await keys.keysFor(client(server.origin + p2), { refresh: false });
      await keys.keysFor(client(server.origin + p1), { refresh: false });
      expect([server.hits(p1), server.hits(p2)]).toEqual([2, 1]);
    });

    it.each([
      [{ timeoutMs: 0 }, 'options.timeoutMs'],
      [{ timeoutMs: 1.5 }, 'options.timeoutMs'],
      [{ maxBytes: 10 }, 'options.maxBytes'],
      [{ maxRedirects: 6 }, 'options.maxRedirects'],
      [{ minCacheMs: 10_000, maxCacheMs: 5_000 }, 'options.maxCacheMs'],
      [{ defaultCacheMs: 1_000 }, 'options.defaultCacheMs'],
      [{ cooldownMs: -1 }, 'options.cooldownMs'],
      [{ allowHttp: 'yes' }, 'options.allowHttp'],
      [{ ca: 'not a pem' }, 'options.ca'],
      [{ onFetch: 'log' }, 'options.onFetch'],
      [{ refreshCooldown: 5 }, 'options.refreshCooldown'],
    ])('refuses %j at construction', (options, field) => {
      let thrown: unknown;
      try {
        createRemoteKeySource(options as unknown as RemoteKeySourceOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigurationError);
      expect((thrown as ConfigurationError).field).toBe(field);
    });

    it('leaves no timer running after a timed-out fetch of a hanging server', async () => {
      const p = nextPath('hang');
      server.route(p, () => {});
      const error = await refusal(() => source({ timeoutMs: 100 }).keysFor(client(server.origin + p), { refresh: false }));
      expect(error.reason).toBe('jwks_fetch_timeout');
      await sleep(50);
      const handles = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo();
      // Only the servers' own handles remain; a leaked fetch would keep a TLS socket open.
      expect(handles.filter((name) => name === 'TLSWrap')).toHaveLength(0);
    });
  });
});
