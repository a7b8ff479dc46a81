import type { RevocationStore } from '../revocation/revocation-store.js';
import { type RedisStoreOptions, keyPart, resolveRedisOptions, sendWithDeadline } from './client.js';

/**
 * A revocation store shared by every instance: `SET <prefix>revoked:{<jti>} 1 PXAT expiresAt` and
 * `EXISTS`. A Redis error or timeout fails closed (503), so a revoked token is never reported
 * active because Redis was unreachable.
 *
 * @example
 * const revocationStore = createRedisRevocationStore({ client: redis });
 */
export function createRedisRevocationStore(options: RedisStoreOptions): RevocationStore {
  const resolved = resolveRedisOptions(options, 'revocationStore');
  const keyOf = (jti: string): string => `${resolved.prefix}revoked:{${keyPart(jti)}}`;
  return {
    async revoke(jti, expiresAt) {
      if (expiresAt <= Date.now()) return;
      await sendWithDeadline(resolved, ['SET', keyOf(jti), '1', 'PXAT', String(Math.ceil(expiresAt))], 'revocation_store_unavailable');
    },
    async isRevoked(jti) {
      const reply = await sendWithDeadline(resolved, ['EXISTS', keyOf(jti)], 'revocation_store_unavailable');
      return reply === 1 || reply === '1';
    },
  };
}
