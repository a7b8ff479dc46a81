import type { ThrottleCount, ThrottleStore } from '../throttle/throttle.js';
import { type RedisStoreOptions, keyPart, resolveRedisOptions, sendWithDeadline } from './client.js';

// INCR and start the window's expiry on the first failure, atomically; return count and time left.
const HIT = "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return {c, redis.call('PTTL', KEYS[1])}";
const PEEK = "return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}";

function toCount(reply: unknown): ThrottleCount | undefined {
  if (!Array.isArray(reply)) return undefined;
  const count = Number(reply[0]);
  const ttl = Number(reply[1]);
  if (!Number.isFinite(count) || count <= 0 || ttl <= 0) return undefined;
  return { count, resetAt: Date.now() + ttl };
}

/**
 * A throttle store shared by a cluster: one Lua script per failure (INCR + PEXPIRE on the first),
 * so every instance counts into the same window. Keys: `<prefix>throttle:{<key>}`.
 *
 * @example
 * createTokenEndpoint({ ..., throttle: { store: createRedisThrottleStore({ client: redis }) } });
 */
export function createRedisThrottleStore(options: RedisStoreOptions): ThrottleStore {
  const resolved = resolveRedisOptions(options, 'throttle.store');
  const keyOf = (key: string): string => `${resolved.prefix}throttle:{${keyPart(key)}}`;
  return {
    async hit(key, windowMs) {
      const reply = await sendWithDeadline(resolved, ['EVAL', HIT, '1', keyOf(key), String(windowMs)], 'replay_store_unavailable');
      return toCount(reply) ?? { count: 1, resetAt: Date.now() + windowMs };
    },
    async peek(key) {
      return toCount(await sendWithDeadline(resolved, ['EVAL', PEEK, '1', keyOf(key)], 'replay_store_unavailable'));
    },
  };
}
