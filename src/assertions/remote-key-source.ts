/**
 * Client keys published at a `jwks_uri` (RFC 7591 §2), fetched over HTTPS with a hard time bound,
 * a size cap, a per-URI cache and a refresh cooldown (SPEC.md, private_key_jwt "Keys").
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2 (jwks_uri)
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3 (private_key_jwt)
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.1 (Cache-Control: max-age)
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { type SecureContext, createSecureContext, rootCertificates } from 'node:tls';
import type { JWK } from 'jose';
import type { JsonWebKeySet, ResolvedClient } from '../clients/metadata.js';
import { OAuthError, invalidOption } from '../errors/errors.js';
import type { ReasonCode } from '../errors/reasons.js';
import { decodeUtf8Strict, isPlainObject } from '../util/encoding.js';
import { LruCache } from '../util/lru.js';
import { type ClientKeySource, type ClientPublicKey, importJwkSet, inlineKeySource } from './key-source.js';
import type { MaybePromise } from '../util/maybe-promise.js';

/** Why a fetch of a `jwks_uri` was made. */
export type RemoteKeyFetchTrigger =
  /** No JWK Set cached for the URI yet (first use, or evicted). */
  | 'miss'
  /** The cached set's lifetime (`Cache-Control: max-age`, clamped) ran out. */
  | 'expired'
  /** An assertion named a `kid` the cached set lacks (rotation), and the cooldown had passed. */
  | 'refresh';

/** The reason codes a `jwks_uri` fetch can fail with (all `invalid_client`). */
export type RemoteKeyFailureReason = Extract<
  ReasonCode,
  'jwks_uri_insecure' | 'jwks_fetch_timeout' | 'jwks_fetch_failed' | 'jwks_too_large' | 'jwks_redirect_refused' | 'jwks_invalid'
>;

/**
 * One fetch of a client's `jwks_uri`, reported to {@link RemoteKeySourceOptions.onFetch}. Carries
 * no response body and no key material.
 *
 * @example
 * onFetch: (event) => metrics.histogram('jwks_fetch_ms', event.durationMs, { host: event.host, outcome: event.outcome })
 */
export interface RemoteKeyFetchEvent {
  /** The registered `jwks_uri` (any userinfo removed). */
  readonly uri: string;
  /** `host[:port]` of the `jwks_uri`. */
  readonly host: string;
  readonly trigger: RemoteKeyFetchTrigger;
  readonly outcome: 'ok' | 'error';
  /** The failure's reason code; `undefined` on success. */
  readonly reason: RemoteKeyFailureReason | undefined;
  /** Operator-facing description of the failure (host, status, limits); `undefined` on success. */
  readonly detail: string | undefined;
  /** HTTP status of the last response received, if any arrived. */
  readonly status: number | undefined;
  /** Same-origin redirects followed. */
  readonly redirects: number;
  /** Wall time of the fetch, connect to last byte (or to the failure). */
  readonly durationMs: number;
  /** On success: how long the set is cached, after clamping `max-age` to [minCacheMs, maxCacheMs]. */
  readonly cacheMs: number | undefined;
  /** On success: the number of keys (objects with a `kty`) in the set. */
  readonly keyCount: number | undefined;
  /** On failure: whether a previously fetched, expired set keeps being used (see `maxStaleMs`). */
  readonly servedStale: boolean;
}

/**
 * Options of {@link createRemoteKeySource}. Every duration is in milliseconds; every limit has a
 * default suited to production.
 *
 * @example
 * const options: RemoteKeySourceOptions = { timeoutMs: 1_500, cooldownMs: 60_000, onFetch: (event) => log.info(event) };
 */
export interface RemoteKeySourceOptions {
  /**
   * Bound on the whole fetch — DNS, connect, TLS, redirects, headers and body. A slow key server
   * never holds a token request longer than this. Default 2,000; from 50 to 30,000.
   */
  readonly timeoutMs?: number;
  /** Largest accepted JWK Set in bytes, enforced while streaming. Default 65,536; from 1,024 to 1,048,576. */
  readonly maxBytes?: number;
  /** Same-origin redirects followed (a redirect to another scheme, host or port is refused). Default 2; at most 5. */
  readonly maxRedirects?: number;
  /**
   * Fetch `http:` URIs. For tests only: a client's keys fetched without TLS can be replaced by
   * anyone on the path. Default `false`: an `http:` `jwks_uri` is refused (`jwks_uri_insecure`).
   */
  readonly allowHttp?: boolean;
  /**
   * Extra trusted CA certificates, PEM (one or more), for key servers behind a private CA or in
   * tests. Added to Node's default root store, not substituted for it.
   */
  readonly ca?: string;
  /** Shortest time a fetched set is cached, whatever its `Cache-Control` says. Default 60,000 (60 s). */
  readonly minCacheMs?: number;
  /** Longest time a fetched set is cached, whatever its `Cache-Control` says. Default 86,400,000 (24 h). */
  readonly maxCacheMs?: number;
  /** Cache time of a response without `Cache-Control: max-age`. Default 300,000 (5 min); within [minCacheMs, maxCacheMs]. */
  readonly defaultCacheMs?: number;
  /**
   * How long after its expiry a set keeps being used while the key server fails (so an outage of
   * the client's key server does not lock the client out at once). Default 3,600,000 (1 h); 0
   * disables stale use.
   */
  readonly maxStaleMs?: number;
  /**
   * Least time between two fetches of one URI triggered by an unknown `kid` (key rotation). An
   * assertion with an unknown `kid` therefore costs at most one fetch per cooldown, however many
   * arrive. Default 30,000 (30 s).
   */
  readonly cooldownMs?: number;
  /**
   * How long a failed fetch is remembered: in that window requests get the stale set if one is
   * usable, else the same failure, without a new fetch — so a failing key server is not hit at
   * request rate. Default 5,000 (5 s); 0 retries on every request (still one fetch at a time).
   */
  readonly failureCacheMs?: number;
  /** Most `jwks_uri`s cached at once (least recently used evicted first). Default 10,000. */
  readonly maxEntries?: number;
  /** Called after every fetch, success or failure. Must not throw; its errors are swallowed. */
  readonly onFetch?: (event: RemoteKeyFetchEvent) => void;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. Time bounds use real timers. */
  readonly now?: () => number;
}

interface Settings {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  readonly allowHttp: boolean;
  /** Node's roots plus `ca`, built once (building a context per request costs ~100 ms). */
  readonly secureContext: SecureContext | undefined;
  readonly minCacheMs: number;
  readonly maxCacheMs: number;
  readonly defaultCacheMs: number;
  readonly maxStaleMs: number;
  readonly cooldownMs: number;
  readonly failureCacheMs: number;
  readonly maxEntries: number;
  readonly onFetch: ((event: RemoteKeyFetchEvent) => void) | undefined;
  readonly now: () => number;
}

interface CachedSet {
  readonly keys: readonly ClientPublicKey[];
  readonly expiresAt: number;
}

interface UriState {
  readonly url: URL;
  set: CachedSet | undefined;
  /** When the last fetch started (cooldown of unknown-kid refreshes). */
  lastAttemptAt: number;
  /** The last fetch's failure, cleared by a success. */
  failure: { readonly reason: RemoteKeyFailureReason; readonly detail: string; readonly at: number } | undefined;
  /** The fetch under way: every caller that needs one joins it (single flight). */
  inflight: Promise<void> | undefined;
}

const KNOWN_OPTIONS = new Set([
  'timeoutMs',
  'maxBytes',
  'maxRedirects',
  'allowHttp',
  'ca',
  'minCacheMs',
  'maxCacheMs',
  'defaultCacheMs',
  'maxStaleMs',
  'cooldownMs',
  'failureCacheMs',
  'maxEntries',
  'onFetch',
  'now',
]);

const DAY_MS = 86_400_000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const JWKS_MEDIA_TYPES = new Set(['application/json', 'application/jwk-set+json']);

/**
 * A {@link ClientKeySource} for clients that register a `jwks_uri` (and, for clients with inline
 * `jwks`, the inline keys). Pass it to `createTokenEndpoint({ clientKeys })`.
 *
 * - Fetches over `https:` only (`http:` with `allowHttp`, for tests), within `timeoutMs` for the
 *   whole exchange, at most `maxBytes`, following at most `maxRedirects` same-origin redirects.
 * - The response must be `200`, `application/json` or `application/jwk-set+json`, and a JWK Set
 *   `{"keys": [...]}` with at least one object that has a `kty`; other members are ignored.
 * - Caches per URI for `Cache-Control: max-age` clamped to [`minCacheMs`, `maxCacheMs`]
 *   (`defaultCacheMs` without one; `no-cache`/`no-store` count as 0, i.e. `minCacheMs`). An
 *   expired set is refetched on its next use.
 * - An unknown `kid` (`refresh: true`) refetches at most once per `cooldownMs`; concurrent
 *   callers share the one fetch under way, so a burst costs one request to the key server.
 * - When a refetch fails, the previous set keeps being used until `maxStaleMs` after its expiry,
 *   and the fetch is retried at most once per `failureCacheMs`. A failed unknown-`kid` refresh
 *   leaves the current set in place (the assertion then fails with `assertion_key_not_found`).
 * - Every failure to obtain a usable set is an `OAuthError` (`invalid_client`) with its own
 *   reason: `jwks_uri_insecure`, `jwks_fetch_timeout`, `jwks_fetch_failed` (network error,
 *   non-200), `jwks_too_large`, `jwks_redirect_refused`, `jwks_invalid`. Details name the host,
 *   never a response body or a key.
 *
 * No timer keeps the process alive.
 *
 * @throws ConfigurationError for an invalid option, naming it.
 * @example
 * import { createRemoteKeySource, createTokenEndpoint, generateSigningKey } from 'm2m-token-endpoint';
 *
 * const endpoint = createTokenEndpoint({
 *   issuer: 'https://auth.example.com',
 *   clients: [{ client_id: 'svc-a', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://svc-a.example.com/jwks.json' }],
 *   signingKeys: [{ privateKey: generateSigningKey('ES256') }],
 *   clientKeys: createRemoteKeySource({
 *     timeoutMs: 1_500,
 *     onFetch: (event) => logger.info({ jwks: event }, 'client jwks_uri fetched'),
 *   }),
 * });
 */
export function createRemoteKeySource(options: RemoteKeySourceOptions = {}): ClientKeySource {
  const settings = resolveSettings(options);
  const states = new LruCache<string, UriState>(settings.maxEntries);

  /** The keys `state` can serve now, or the failure that leaves it without any. */
  function usableKeys(state: UriState, now: number): readonly ClientPublicKey[] {
    const set = state.set;
    // Asked only right after a fetch or within a failure window: without a failure, the set is
    // the one just fetched (even with a zero cache time); after one, it serves until stale.
    if (set && (state.failure === undefined || now < set.expiresAt + settings.maxStaleMs)) return set.keys;
    if (state.failure) throw new OAuthError(state.failure.reason, state.failure.detail);
    throw new OAuthError('jwks_fetch_failed', `no usable JWK Set from ${state.url.host}`);
  }

  async function fetchInto(state: UriState, trigger: RemoteKeyFetchTrigger): Promise<void> {
    state.lastAttemptAt = settings.now();
    const started = performance.now();
    const outcome = await fetchJwkSet(state.url, settings);
    const durationMs = Math.round(performance.now() - started);
    const now = settings.now();
    let event: RemoteKeyFetchEvent;
    if (outcome.ok) {
      state.set = { keys: importJwkSet(outcome.jwks), expiresAt: now + outcome.cacheMs };
      state.failure = undefined;
      event = {
        ...eventBase(state, trigger, outcome, durationMs),
        outcome: 'ok',
        reason: undefined,
        detail: undefined,
        cacheMs: outcome.cacheMs,
        keyCount: outcome.jwks.keys.length,
        servedStale: false,
      };
    } else {
      state.failure = { reason: outcome.reason, detail: outcome.detail, at: now };
      const set = state.set;
      event = {
        ...eventBase(state, trigger, outcome, durationMs),
        outcome: 'error',
        reason: outcome.reason,
        detail: outcome.detail,
        cacheMs: undefined,
        keyCount: undefined,
        servedStale: set !== undefined && now >= set.expiresAt && now < set.expiresAt + settings.maxStaleMs,
      };
    }
    if (settings.onFetch) {
      try {
        settings.onFetch(event);
      } catch {
        // An operator hook must not change the outcome of a token request.
      }
    }
  }

  return {
    // Synchronous while the cached set serves (every request but a fetch): no promise per request.
    keysFor(client: ResolvedClient, keyOptions: { readonly refresh: boolean }): MaybePromise<readonly ClientPublicKey[]> {
      if (client.jwks || client.jwksUri === undefined) return inlineKeySource.keysFor(client, keyOptions);
      const uri = client.jwksUri;
      let state = states.get(uri);
      if (!state) {
        state = { url: parseJwksUri(uri, settings), set: undefined, lastAttemptAt: -Infinity, failure: undefined, inflight: undefined };
        states.set(uri, state);
      }
      const now = settings.now();
      const fresh = state.set !== undefined && now < state.set.expiresAt;
      if (fresh && !keyOptions.refresh) return (state.set as CachedSet).keys;

      // From here the caller wants newer keys than a fresh set offers: join a fetch under way.
      const joined = state;
      if (joined.inflight) return joined.inflight.then(() => usableKeys(joined, settings.now()));
      if (fresh && now - state.lastAttemptAt < settings.cooldownMs) return (state.set as CachedSet).keys;
      if (!fresh && state.failure !== undefined && now - state.failure.at < settings.failureCacheMs) {
        return usableKeys(state, now);
      }

      const trigger: RemoteKeyFetchTrigger = state.set === undefined ? 'miss' : fresh ? 'refresh' : 'expired';
      const current = state;
      const flight = fetchInto(current, trigger).finally(() => {
        current.inflight = undefined;
      });
      current.inflight = flight;
      return flight.then(() => usableKeys(current, settings.now()));
    },
  };
}

function eventBase(
  state: UriState,
  trigger: RemoteKeyFetchTrigger,
  outcome: FetchOutcome,
  durationMs: number,
): Pick<RemoteKeyFetchEvent, 'uri' | 'host' | 'trigger' | 'status' | 'redirects' | 'durationMs'> {
  return { uri: redacted(state.url), host: state.url.host, trigger, status: outcome.status, redirects: outcome.redirects, durationMs };
}

/** The URI without any userinfo, for reporting. */
function redacted(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

function parseJwksUri(uri: string, settings: Settings): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new OAuthError('jwks_uri_insecure', 'the registered jwks_uri is not an absolute URL');
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && settings.allowHttp)) return url;
  throw new OAuthError(
    'jwks_uri_insecure',
    url.protocol === 'http:'
      ? `jwks_uri on ${url.host} is http: keys are fetched over https only (allowHttp is for tests)`
      : `jwks_uri scheme ${url.protocol} is not https`,
  );
}

type FetchOutcome =
  | { readonly ok: true; readonly jwks: JsonWebKeySet; readonly cacheMs: number; readonly status: number; readonly redirects: number }
  | {
      readonly ok: false;
      readonly reason: RemoteKeyFailureReason;
      readonly detail: string;
      readonly status: number | undefined;
      readonly redirects: number;
    };

/**
 * GETs the JWK Set at `start`. Never rejects: every failure is an outcome with its reason. One
 * timer bounds the whole exchange, redirects included; it is unref'd.
 */
function fetchJwkSet(start: URL, settings: Settings): Promise<FetchOutcome> {
  return new Promise((resolve) => {
    const host = start.host;
    let settled = false;
    let status: number | undefined;
    let redirects = 0;
    let current: http.ClientRequest | undefined;

    const finish = (outcome: FetchOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      current?.destroy();
      resolve(outcome);
    };
    const fail = (reason: RemoteKeyFailureReason, detail: string): void => finish({ ok: false, reason, detail, status, redirects });

    const timer = setTimeout(() => {
      fail('jwks_fetch_timeout', `no complete JWK Set from ${host} within ${settings.timeoutMs} ms`);
    }, settings.timeoutMs);
    timer.unref();

    const get = (url: URL): void => {
      const requestOptions: https.RequestOptions = {
        method: 'GET',
        headers: { accept: 'application/jwk-set+json, application/json', 'user-agent': 'm2m-token-endpoint' },
        // One connection per fetch: no pooled socket outlives the fetch or keeps the process alive.
        agent: false,
        ...(url.protocol === 'https:' && settings.secureContext ? { secureContext: settings.secureContext } : {}),
      };
      const request = (url.protocol === 'https:' ? https : http).request(url, requestOptions);
      current = request;
      request.on('error', (error: NodeJS.ErrnoException) => {
        // A request abandoned for a redirect may still report its socket closing.
        if (request !== current) return;
        fail('jwks_fetch_failed', `fetching the JWK Set from ${host} failed: ${describeNetworkError(error)}`);
      });
      request.on('response', (response) => {
        if (settled) {
          response.destroy();
          return;
        }
        status = response.statusCode;
        if (status !== undefined && REDIRECT_STATUSES.has(status)) {
          response.resume();
          request.destroy();
          const location = response.headers.location;
          let next: URL | undefined;
          try {
            next = location === undefined ? undefined : new URL(location, url);
          } catch {
            next = undefined;
          }
          if (!next) return fail('jwks_redirect_refused', `${host} answered HTTP ${status} without a usable Location`);
          if (next.origin !== start.origin) {
            return fail('jwks_redirect_refused', `${host} redirected to another origin (${next.protocol}//${next.host}); only same-origin redirects are followed`);
          }
          if (redirects >= settings.maxRedirects) {
            return fail('jwks_redirect_refused', `${host} redirected more than ${settings.maxRedirects} time(s)`);
          }
          redirects += 1;
          return get(next);
        }
        if (status !== 200) return fail('jwks_fetch_failed', `${host} answered HTTP ${status ?? 'without a status'} for the JWK Set`);

        const mediaType = (response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        if (!JWKS_MEDIA_TYPES.has(mediaType)) {
          return fail('jwks_invalid', `${host} served the JWK Set as ${JSON.stringify(mediaType.slice(0, 100))}, not application/json or application/jwk-set+json`);
        }
        const encoding = response.headers['content-encoding'];
        if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
          return fail('jwks_invalid', `${host} sent a Content-Encoding that was not asked for`);
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > settings.maxBytes) {
          return fail('jwks_too_large', `${host} announced a ${declared}-byte JWK Set; the cap is ${settings.maxBytes} bytes`);
        }

        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (settled) return;
          size += chunk.length;
          if (size > settings.maxBytes) {
            fail('jwks_too_large', `the JWK Set from ${host} exceeds the ${settings.maxBytes}-byte cap`);
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error: NodeJS.ErrnoException) => {
          fail('jwks_fetch_failed', `reading the JWK Set from ${host} failed: ${describeNetworkError(error)}`);
        });
        response.on('close', () => {
          if (!response.complete) fail('jwks_fetch_failed', `${host} closed the connection before the JWK Set was complete`);
        });
        response.on('end', () => {
          if (settled) return;
          const jwks = parseJwkSet(Buffer.concat(chunks, size));
          if (typeof jwks === 'string') return fail('jwks_invalid', `the document from ${host} ${jwks}`);
          finish({ ok: true, jwks, cacheMs: cacheLifetime(response.headers['cache-control'], settings), status: 200, redirects });
        });
      });
      request.end();
    };
    get(start);
  });
}

/** The JWK Set, or what is wrong with the document (never quoting it). */
function parseJwkSet(body: Buffer): JsonWebKeySet | string {
  let document: unknown;
  try {
    document = JSON.parse(decodeUtf8Strict(body));
  } catch {
    return 'is not UTF-8 JSON';
  }
  if (!isPlainObject(document) || !Array.isArray(document.keys)) return 'is not a JWK Set ({"keys": [...]})';
  // Entries that are not JWK objects are dropped; they could never match a kid.
  const keys = (document.keys as unknown[]).filter(
    (key): key is JWK => isPlainObject(key) && typeof key.kty === 'string' && key.kty.length > 0,
  );
  if (keys.length === 0) return 'is a JWK Set without any key that has a kty';
  return Object.freeze({ keys: Object.freeze(keys) });
}

/** RFC 9111 §5.2.2.1 `max-age`, clamped; `no-store`/`no-cache` mean the shortest allowed time. */
function cacheLifetime(header: string | undefined, settings: Settings): number {
  if (header === undefined) return settings.defaultCacheMs;
  let seconds: number | undefined;
  for (const directive of header.split(',')) {
    const [rawName = '', rawValue] = directive.split('=', 2);
    const name = rawName.trim().toLowerCase();
    if (name === 'no-store' || name === 'no-cache') seconds = 0;
    else if (name === 'max-age' && rawValue !== undefined) {
      const value = rawValue.trim().replace(/^"(.*)"$/, '$1');
      if (/^\d{1,12}$/.test(value)) seconds = Math.min(seconds ?? Infinity, Number(value));
    }
  }
  if (seconds === undefined) return settings.defaultCacheMs;
  return Math.min(settings.maxCacheMs, Math.max(settings.minCacheMs, seconds * 1000));
}

function describeNetworkError(error: NodeJS.ErrnoException): string {
  return (error.code ?? error.message ?? 'unknown error').slice(0, 200);
}

function resolveSettings(options: RemoteKeySourceOptions): Settings {
  if (!isPlainObject(options as unknown)) throw invalidOption('options', 'must be an object of remote key source options');
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw invalidOption(`options.${key}`, `is not a known option; expected one of ${[...KNOWN_OPTIONS].join(', ')}`);
  }
  const minCacheMs = integer(options.minCacheMs, 'minCacheMs', 60_000, 0, DAY_MS);
  const maxCacheMs = integer(options.maxCacheMs, 'maxCacheMs', DAY_MS, 1, 7 * DAY_MS);
  if (maxCacheMs < minCacheMs) throw invalidOption('options.maxCacheMs', `must be at least minCacheMs (${minCacheMs})`);
  const defaultCacheMs = integer(options.defaultCacheMs, 'defaultCacheMs', Math.min(maxCacheMs, Math.max(minCacheMs, 300_000)), 0, 7 * DAY_MS);
  if (defaultCacheMs < minCacheMs || defaultCacheMs > maxCacheMs) {
    throw invalidOption('options.defaultCacheMs', `must be within [minCacheMs, maxCacheMs] = [${minCacheMs}, ${maxCacheMs}]`);
  }
  if (options.allowHttp !== undefined && typeof options.allowHttp !== 'boolean') throw invalidOption('options.allowHttp', 'must be true or false');
  let secureContext: SecureContext | undefined;
  if (options.ca !== undefined) {
    if (typeof options.ca !== 'string' || !options.ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw invalidOption('options.ca', 'must be PEM text with one or more CA certificates');
    }
    try {
      secureContext = createSecureContext({ ca: [...rootCertificates, options.ca] });
    } catch (error) {
      throw invalidOption('options.ca', `is not valid PEM CA certificates (${(error as Error).message})`);
    }
  }
  if (options.onFetch !== undefined && typeof options.onFetch !== 'function') throw invalidOption('options.onFetch', 'must be a function');
  if (options.now !== undefined && typeof options.now !== 'function') throw invalidOption('options.now', 'must be a function returning epoch milliseconds');
  return Object.freeze({
    timeoutMs: integer(options.timeoutMs, 'timeoutMs', 2_000, 50, 30_000),
    maxBytes: integer(options.maxBytes, 'maxBytes', 65_536, 1_024, 1_048_576),
    maxRedirects: integer(options.maxRedirects, 'maxRedirects', 2, 0, 5),
    allowHttp: options.allowHttp ?? false,
    secureContext,
    minCacheMs,
    maxCacheMs,
    defaultCacheMs,
    maxStaleMs: integer(options.maxStaleMs, 'maxStaleMs', 3_600_000, 0, 7 * DAY_MS),
    cooldownMs: integer(options.cooldownMs, 'cooldownMs', 30_000, 0, DAY_MS),
    failureCacheMs: integer(options.failureCacheMs, 'failureCacheMs', 5_000, 0, DAY_MS),
    maxEntries: integer(options.maxEntries, 'maxEntries', 10_000, 1, 1_000_000),
    onFetch: options.onFetch,
    now: options.now ?? Date.now,
  });
}

function integer(value: unknown, name: string, defaultValue: number, min: number, max: number): number {
  if (value === undefined) return defaultValue;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(`options.${name}`, `must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}
