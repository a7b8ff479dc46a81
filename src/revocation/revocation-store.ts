import { StoreUnavailableError, invalidOption } from '../errors/errors.js';

/**
 * Remembers revoked access tokens (RFC 7009) by `jti` until they would have expired anyway, so
 * introspection and resource servers can refuse them. Two operations:
 * - `revoke(jti, expiresAt)`: record it (epoch ms; after that the token is dead by itself);
 * - `isRevoked(jti)`.
 * Both throw when the store cannot answer; callers fail closed (503), never "not revoked".
 */
export interface RevocationStore {
  revoke(jti: string, expiresAt: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
}

/**
 * The store as the endpoint calls it: whatever a custom store throws or rejects with (its own
 * error class, a string) becomes a `StoreUnavailableError`, so every store failure gets the
 * documented 503 `temporarily_unavailable` — as replay-store failures do — rather than a 500.
 */
export function failingClosed(store: RevocationStore): RevocationStore {
  const unavailable = (error: unknown): never => {
    if (error instanceof StoreUnavailableError) throw error;
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : `non-error thrown: ${typeof error}`;
    throw new StoreUnavailableError('revocation_store_unavailable', `revocation store failed: ${detail}`.slice(0, 300), { cause: error });
  };
  return {
    revoke: (jti, expiresAt) => Promise.resolve().then(() => store.revoke(jti, expiresAt)).catch(unavailable),
    isRevoked: (jti) => Promise.resolve().then(() => store.isRevoked(jti)).catch(unavailable),
  };
}

export interface MemoryRevocationStoreOptions {
  /** Most revoked tokens held at once; revoking more fails closed. Default 100,000. */
  readonly maxEntries?: number;
  /** Clock in epoch milliseconds (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * An in-process revocation store. One process only: a cluster needs the Redis store
 * (`m2m-token-endpoint/redis`) so a revocation on one instance holds on all of them.
 *
 * @example
 * const revocationStore = createMemoryRevocationStore();
 */
export function createMemoryRevocationStore(options: MemoryRevocationStoreOptions = {}): RevocationStore {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw invalidOption('revocationStore.maxEntries', 'must be a positive integer');
  const now = options.now ?? Date.now;
  const revoked = new Map<string, number>();

  const sweep = (at: number): void => {
    for (const [jti, expiresAt] of revoked) if (expiresAt <= at) revoked.delete(jti);
  };

  return {
    async revoke(jti, expiresAt) {
      const at = now();
      if (expiresAt <= at) return;
      if (revoked.size >= maxEntries && !revoked.has(jti)) sweep(at);
      if (revoked.size >= maxEntries && !revoked.has(jti)) {
        throw new StoreUnavailableError('revocation_store_unavailable', `memory revocation store holds ${maxEntries} live entries`);
      }
      revoked.set(jti, Math.max(expiresAt, revoked.get(jti) ?? 0));
    },
    async isRevoked(jti) {
      const expiresAt = revoked.get(jti);
      if (expiresAt === undefined) return false;
      if (expiresAt <= now()) {
        revoked.delete(jti);
        return false;
      }
      return true;
    },
  };
}
