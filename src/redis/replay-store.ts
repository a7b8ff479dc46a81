import { invalidOption } from '../errors/errors.js';
import type { ReplayStore } from '../replay/replay-store.js';
import { type RedisStoreOptions, keyPart, resolveRedisOptions, sendWithDeadline } from './client.js';

/**
 * A replay store shared by every instance behind a load balancer. One atomic command per
 * assertion: `SET key 1 NX PXAT expiresAt` — set only if absent, expiring with the assertion —
 * so two instances racing on the same `jti` get exactly one `OK` between them.
 *
 * Keys: `<prefix>jti:{<client>}:<jti>`, both parts base64url (unambiguous); the client part is the
 * Redis Cluster hash tag. A Redis error or a reply slower than `timeoutMs` (default 200 ms) fails
 * closed: the request gets 503 `temporarily_unavailable`, never a token.
 *
 * @example
 * import { createClient } from 'redis';
 * const redis = await createClient({ url: 'redis://10.0.0.5:6379' }).connect();
 * const endpoint = createTokenEndpoint({ ..., replayStore: createRedisReplayStore({ client: redis }) });
 */
export function createRedisReplayStore(options: RedisStoreOptions & { readonly clockSkewMarginMs?: number }): ReplayStore {
  const resolved = resolveRedisOptions(options, 'replayStore');
  // PXAT is judged on Redis's clock, expiresAt on this instance's: keep the entry a little longer
  // so skew between instances and Redis cannot make it lapse while an instance still accepts it.
  const margin = options.clockSkewMarginMs ?? 60_000;
  if (!Number.isInteger(margin) || margin < 0 || margin > 3_600_000) throw invalidOption('replayStore.clockSkewMarginMs', 'must be an integer from 0 to 3600000 ms');
  return {
    async consume(clientId, jti, expiresAt) {
      const key = `${resolved.prefix}jti:{${keyPart(clientId)}}:${keyPart(jti)}`;
      const reply = await sendWithDeadline(resolved, ['SET', key, '1', 'NX', 'PXAT', String(Math.ceil(expiresAt + margin))], 'replay_store_unavailable');
      return reply === 'OK';
    },
  };
}
