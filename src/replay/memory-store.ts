import { StoreUnavailableError, invalidOption } from '../errors/errors.js';
import { CONSUME_NOW, type ReplayStore, type SynchronousConsume } from './replay-store.js';

export interface MemoryReplayStoreOptions {
  /** Most live entries held at once; when full of live entries, `consume` fails closed. Default 1,000,000. */
  readonly maxEntries?: number;
  /** Clock in epoch milliseconds (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * An in-process replay store. Entries are never evicted before they expire: when the store is
 * full of live entries it refuses (`replay_store_full`, the request gets 503) rather than forget
 * one and let a replay through. Expired entries are swept a few at a time on each call and in
 * full when the store fills, so there is no timer to keep the process alive.
 *
 * It protects one process only; a cluster needs a shared store (`m2m-token-endpoint/redis`).
 *
 * @example
 * const replayStore = createMemoryReplayStore({ maxEntries: 100_000 });
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore & SynchronousConsume & { readonly size: number } {
  const maxEntries = options.maxEntries ?? 1_000_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw invalidOption('replayStore.maxEntries', 'must be a positive integer');
  }
  const now = options.now ?? Date.now;
  // One map per client, jti → expiresAt: no joined key to build, flatten and hash per request
  // (about 0.8 µs of a private_key_jwt request). Client ids here are authenticated clients, so
  // the outer map is bounded by the registry. Insertion order approximates expiry order
  // (lifetimes are capped), so sweeping from the head of a client's map finds its expired
  // entries first.
  const byClient = new Map<string, Map<string, number>>();
  let size = 0;
  let lastFullSweep = 0;

  // An entry is live through `expiresAt` inclusive ("never forget an entry before expiresAt"):
  // the verifier still accepts an assertion at exactly exp + tolerance, so forgetting its jti at
  // that millisecond would let it be spent twice. Only entries with expiresAt < now are dead.
  const sweepHead = (clientId: string, expiries: Map<string, number>, at: number, budget: number): void => {
    for (const [jti, expiresAt] of expiries) {
      if (budget-- === 0 || expiresAt >= at) return;
      expiries.delete(jti);
      size--;
    }
    if (expiries.size === 0) byClient.delete(clientId);
  };
  const sweepAll = (at: number): void => {
    for (const [clientId, expiries] of byClient) sweepHead(clientId, expiries, at, Number.POSITIVE_INFINITY);
  };

  const consumeNow = (clientId: string, jti: string, expiresAt: number): boolean => {
    const at = now();
    let expiries = byClient.get(clientId);
    const existing = expiries?.get(jti);
    if (existing !== undefined && existing >= at) return false;
    // A few expired entries of this client go on each of its calls; all of them when the store is full.
    if (expiries !== undefined) sweepHead(clientId, expiries, at, 4);
    if (size >= maxEntries && at - lastFullSweep >= 1000) {
      lastFullSweep = at;
      sweepAll(at);
    }
    expiries = byClient.get(clientId);
    if (size >= maxEntries && expiries?.has(jti) !== true) {
      throw new StoreUnavailableError('replay_store_full', `memory replay store holds ${maxEntries} live entries`);
    }
    if (expiries === undefined) {
      expiries = new Map();
      byClient.set(clientId, expiries);
    }
    // An expired entry still in the map moves to the end, to keep insertion ≈ expiry order.
    if (expiries.delete(jti)) size--;
    expiries.set(jti, expiresAt);
    size++;
    return true;
  };

  return {
    get size() {
      return size;
    },
    async consume(clientId, jti, expiresAt) {
      return consumeNow(clientId, jti, expiresAt);
    },
    [CONSUME_NOW]: consumeNow,
  };
}
