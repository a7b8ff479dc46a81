import { OAuthError, invalidOption } from '../errors/errors.js';
import { isPlainObject } from '../util/encoding.js';

/** A fixed-window failure counter. */
export interface ThrottleCount {
  readonly count: number;
  /** Epoch ms when the window (and the count) ends. */
  readonly resetAt: number;
}

/**
 * Counts authentication failures per key in fixed windows. Memory (one process) or Redis
 * (`m2m-token-endpoint/redis`, shared by a cluster).
 */
export interface ThrottleStore {
  /** Adds one failure for `key` and returns the count in the current window (a new window starts at the first failure). */
  hit(key: string, windowMs: number): Promise<ThrottleCount>;
  /** The current window's count for `key`, or `undefined` when there is none. */
  peek(key: string): Promise<ThrottleCount | undefined>;
}

export interface ThrottleOptions {
  readonly store?: ThrottleStore;
  /** Failed authentications per registered client per window before it is throttled. Default 20. */
  readonly maxFailuresPerClient?: number;
  /**
   * Failed authentications per peer address per window before it is throttled. Default 1,000:
   * behind a proxy or NAT many clients share one address, and a low limit would let one of them
   * lock the others out; the per-client limit is what bounds guessing a client's credentials.
   */
  readonly maxFailuresPerAddress?: number;
  /** Window length in seconds. Default 300. */
  readonly windowSeconds?: number;
}

/**
 * What client authentication asks of the throttle. The checks answer synchronously when they can
 * (the in-memory store): `undefined` means "not throttled, nothing to wait for", and a throttled
 * request throws at once; a promise (a shared store) settles the same way.
 */
export interface AuthenticationThrottle {
  /** @throws OAuthError `throttled` (429) when the peer address is over its limit. */
  checkAddress(address: string | undefined): Promise<void> | undefined;
  /** @throws OAuthError `throttled` (429) when the client is over its limit. */
  checkClient(clientId: string): Promise<void> | undefined;
  /** Counts one failed authentication against the address and, when it names a registered client, the client. */
  recordFailure(address: string | undefined, registeredClientId: string | undefined): Promise<void>;
}

export interface ThrottleStoreFailureListener {
  (error: unknown): void;
}

/**
 * Brute-force throttling for client authentication (RFC 6749 §2.3.1: "the authorization server
 * MUST protect any endpoint utilizing it against brute force attacks"; RFC 6819 §5.1.4.2.3).
 *
 * Decision, documented: over the limit the endpoint answers **429 Too Many Requests** with
 * `Retry-After` (the end of the window) and `temporarily_unavailable`, before any credential is
 * looked at — a clear signal well-behaved clients act on, and no crypto spent on an attacker.
 *
 * Per-client limits count failures only for registered client ids, so guessing ids cannot grow
 * the store; they do let someone who knows a client id slow that client down (the usual trade-off:
 * raise `maxFailuresPerClient`, or rely on the per-address limit, for clients that cannot afford it).
 * A throttle store that cannot answer fails **open** (the request goes on, the listener hears of
 * it): throttling is a brake on guessing, and failing closed would lock every client out when
 * Redis is down. Replay and revocation stores, which guard correctness, fail closed.
 */
export function createAuthenticationThrottle(options: ThrottleOptions, now: () => number, onStoreFailure: ThrottleStoreFailureListener): AuthenticationThrottle {
  const store = options.store ?? createMemoryThrottleStore({ now });
  const maxPerClient = options.maxFailuresPerClient ?? 20;
  const maxPerAddress = options.maxFailuresPerAddress ?? 1000;
  const windowMs = (options.windowSeconds ?? 300) * 1000;

  const judge = (key: string, limit: number, current: ThrottleCount | undefined): void => {
    if (current && current.count >= limit) {
      const retryAfter = Math.max(1, Math.ceil((current.resetAt - now()) / 1000));
      throw new OAuthError('throttled', `${key.startsWith('a:') ? 'peer address' : 'client'} over ${limit} failed authentications`, retryAfter);
    }
  };
  // Our own memory store answers synchronously: no promise, no await on every request.
  const peekNow = (store as Partial<SynchronousPeek>)[PEEK_NOW];
  const check = (key: string, limit: number): Promise<void> | undefined => {
    if (peekNow !== undefined) {
      judge(key, limit, peekNow(key));
      return undefined;
    }
    return (async () => {
      let current: ThrottleCount | undefined;
      try {
        current = await store.peek(key);
      } catch (error) {
        onStoreFailure(error);
        return;
      }
      judge(key, limit, current);
    })();
  };
  const record = async (key: string): Promise<void> => {
    try {
      await store.hit(key, windowMs);
    } catch (error) {
      onStoreFailure(error);
    }
  };

  return {
    checkAddress: (address) => (address === undefined ? undefined : check(`a:${address}`, maxPerAddress)),
    checkClient: (clientId) => check(`c:${clientId}`, maxPerClient),
    recordFailure: async (address, registeredClientId) => {
      await Promise.all([
        ...(address === undefined ? [] : [record(`a:${address}`)]),
        ...(registeredClientId === undefined ? [] : [record(`c:${registeredClientId}`)]),
      ]);
    },
  };
}

export function validateThrottleOptions(value: unknown): ThrottleOptions | undefined {
  if (value === false) return undefined;
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw invalidOption('options.throttle', 'must be false or { store?, maxFailuresPerClient?, maxFailuresPerAddress?, windowSeconds? }');
  for (const [name, max] of [['maxFailuresPerClient', 1_000_000], ['maxFailuresPerAddress', 1_000_000], ['windowSeconds', 86_400]] as const) {
    const number = value[name];
    if (number !== undefined && (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > max)) {
      throw invalidOption(`options.throttle.${name}`, `must be an integer from 1 to ${max}`);
    }
  }
  const store = value.store as ThrottleStore | undefined;
  if (store !== undefined && (typeof store.hit !== 'function' || typeof store.peek !== 'function')) {
    throw invalidOption('options.throttle.store', 'must implement hit(key, windowMs) and peek(key)');
  }
  return value as ThrottleOptions;
}

export interface MemoryThrottleStoreOptions {
  /** Most keys tracked; beyond it the oldest windows are dropped (throttling is best effort). Default 100,000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

const PEEK_NOW = Symbol('peekNow');
/** The synchronous `peek` of the memory store, for the throttle only (not part of ThrottleStore). */
interface SynchronousPeek {
  readonly [PEEK_NOW]: (key: string) => ThrottleCount | undefined;
}

/** An in-process throttle store: a bounded map of fixed windows, swept as it is used (no timer). */
export function createMemoryThrottleStore(options: MemoryThrottleStoreOptions = {}): ThrottleStore & SynchronousPeek {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { count: number; resetAt: number }>();
  const live = (key: string, at: number): { count: number; resetAt: number } | undefined => {
    const window = windows.get(key);
    if (window && window.resetAt <= at) {
      windows.delete(key);
      return undefined;
    }
    return window;
  };
  const peekNow = (key: string): ThrottleCount | undefined => {
    // Nothing counted at all, the usual state: no key to build a lookup for.
    if (windows.size === 0) return undefined;
    const window = live(key, now());
    return window ? { count: window.count, resetAt: window.resetAt } : undefined;
  };
  return {
    async hit(key, windowMs) {
      const at = now();
      const window = live(key, at);
      if (window) {
        window.count += 1;
        return { count: window.count, resetAt: window.resetAt };
      }
      if (windows.size >= maxEntries) {
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
      const fresh = { count: 1, resetAt: at + windowMs };
      windows.set(key, fresh);
      return { count: 1, resetAt: fresh.resetAt };
    },
    async peek(key) {
      return peekNow(key);
    },
    [PEEK_NOW]: peekNow,
  } satisfies ThrottleStore & SynchronousPeek;
}
