export { createRedisReplayStore } from './replay-store.js';
export { createRedisRevocationStore } from './revocation-store.js';
export type { RedisCommandClient, RedisStoreOptions } from './client.js';
export { createRedisThrottleStore } from './throttle-store.js';
