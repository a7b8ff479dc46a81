/**
 * A bounded least-recently-used map for caches that attacker-chosen keys can reach (certificate
 * thumbprints, chain keys). Bounded so that a stream of distinct inputs costs recomputation, never
 * unbounded memory. Relies on `Map` iterating in insertion order: a hit is re-inserted at the
 * end, so the first key is always the least recently used.
 *
 * `undefined` is not a storable value: `get` returning `undefined` means "absent".
 *
 * @example
 * const cache = new LruCache<string, number>(2);
 * cache.set('a', 1).set('b', 2);
 * cache.get('a'); // 1 — 'a' is now the most recently used
 * cache.set('c', 3); // evicts 'b'
 */
export class LruCache<K, V extends NonNullable<unknown>> {
  readonly #map = new Map<K, V>();
  readonly #maxEntries: number;

  /** @throws TypeError when `maxEntries` is not a positive safe integer. */
  constructor(maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(`LruCache: maxEntries must be a positive integer (got ${String(maxEntries)})`);
    }
    this.#maxEntries = maxEntries;
  }

  get maxEntries(): number {
    return this.#maxEntries;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Returns the value and marks it most recently used. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** Membership without touching recency. */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): this {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#maxEntries) {
      // The first key in iteration order is the least recently used one.
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
    return this;
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
