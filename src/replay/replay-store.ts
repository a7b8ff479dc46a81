/**
 * Single-use enforcement for client-assertion `jti` values (RFC 7523 §3 item 7).
 *
 * One atomic operation: record `(clientId, jti)` until `expiresAt` and say whether this was the
 * first time. The token endpoint calls it once, after every other check has passed, so a
 * rejected assertion never burns its `jti` and an attacker cannot fill the store with junk.
 *
 * Contract for implementations:
 * - resolve `true` only if no live entry existed for the pair (then one now exists);
 * - never forget an entry before `expiresAt`;
 * - throw (reject) when the answer is not known — the endpoint then fails closed with 503.
 */
export interface ReplayStore {
  /**
   * @param clientId the authenticated client; entries of different clients never collide.
   * @param jti the assertion's `jti`.
   * @param expiresAt epoch milliseconds after which the pair may be forgotten.
   * @returns `true` when first seen, `false` when a replay.
   */
  consume(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
}

/**
 * The in-memory store's `consume`, answered synchronously (same contract, a value instead of a
 * promise; throws instead of rejecting): the endpoint uses it to spare two awaits per request.
 * Internal — not part of the `ReplayStore` interface that other stores implement.
 */
export const CONSUME_NOW = Symbol('consumeNow');

export interface SynchronousConsume {
  readonly [CONSUME_NOW]: (clientId: string, jti: string, expiresAt: number) => boolean;
}

/** The synchronous `consume` of a store that has one. */
export function synchronousConsume(store: ReplayStore): SynchronousConsume[typeof CONSUME_NOW] | undefined {
  return (store as Partial<SynchronousConsume>)[CONSUME_NOW];
}

/**
 * The unambiguous key for a pair: the client id is length-prefixed, so no choice of client id
 * and jti can produce the key of another pair ("a:b" + "c" vs "a" + "b:c").
 */
export function replayKey(clientId: string, jti: string): string {
  return `${clientId.length}:${clientId}:${jti}`;
}
