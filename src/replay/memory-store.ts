import { StoreUnavailableError, invalidOption } from '../errors/errors.js';
import { CONSUME_NOW, type ReplayStore, type SynchronousConsume, replayKey } from './replay-store.js';

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
  // Insertion order approximates expiry order (lifetimes are capped), so sweeping from the head
  // finds the expired entries first.
  const expiries = new Map<string, number>();
  let lastFullSweep = 0;

  // An entry is live through `expiresAt` inclusive ("never forget an entry before expiresAt"):
  // the verifier still accepts an assertion at exactly exp + tolerance, so forgetting its jti at
  // that millisecond would let it be spent twice. Only entries with expiresAt < now are dead.
  const sweepHead = (at: number, budget: number): void => {
    for (const [key, expiresAt] of expiries) {
      if (budget-- === 0 || expiresAt >= at) return;
      expiries.delete(key);
    }
  };
  const sweepAll = (at: number): void => {
    for (const [key, expiresAt] of expiries) {
      if (expiresAt < at) expiries.delete(key);
    }
  };

  const consumeNow = (clientId: string, jti: string, expiresAt: number): boolean => {
    const at = now();
    const key = replayKey(clientId, jti);
    // V8 keeps a concatenated string as a tree of its pieces (holding on to the jti as parsed):
    // about 220 bytes an entry at 1,000,000 entries. Reading a character flattens it into one
    // string, and the pieces are freed: about 120 bytes (bench/, "memory" rows).
    key.charCodeAt(0);
    const existing = expiries.get(key);
    if (existing !== undefined && existing >= at) return false;
    sweepHead(at, 4);
    if (expiries.size >= maxEntries && at - lastFullSweep >= 1000) {
      lastFullSweep = at;
      sweepAll(at);
    }
    if (expiries.size >= maxEntries && !expiries.has(key)) {
      throw new StoreUnavailableError('replay_store_full', `memory replay store holds ${maxEntries} live entries`);
    }
    // An expired entry still in the map moves to the end, to keep insertion ≈ expiry order.
    if (existing !== undefined) expiries.delete(key);
    expiries.set(key, expiresAt);
    return true;
  };

  return {
    get size() {
      return expiries.size;
    },
    async consume(clientId, jti, expiresAt) {
      return consumeNow(clientId, jti, expiresAt);
    },
    [CONSUME_NOW]: consumeNow,
  };
}
