import { type StoreFailureReason, StoreUnavailableError, invalidOption } from '../errors/errors.js';

/**
 * The one thing the Redis stores need from a client: send a command, get its reply. The official
 * `redis` package (v5+) fits as is: `createClient()` has `sendCommand(args)`. Anything else fits
 * with a one-line wrapper — ioredis: `{ sendCommand: (args) => redis.call(...args) }`; a node-redis
 * cluster: `{ sendCommand: (args) => cluster.sendCommand(args[1], false, args) }`.
 *
 * The library adds no Redis dependency of its own: you bring the client, its connection and
 * its TLS/auth configuration.
 */
export interface RedisCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface RedisStoreOptions {
  readonly client: RedisCommandClient;
  /** Prepended to every key. Default `m2m:`. */
  readonly prefix?: string;
  /** Longest wait for Redis, ms, before the store fails closed. Default 200. */
  readonly timeoutMs?: number;
}

export interface ResolvedRedisOptions {
  readonly client: RedisCommandClient;
  readonly prefix: string;
  readonly timeoutMs: number;
}

export function resolveRedisOptions(options: RedisStoreOptions, field: string): ResolvedRedisOptions {
  if (typeof options?.client?.sendCommand !== 'function') {
    throw invalidOption(`${field}.client`, 'must be a Redis client with sendCommand(args), e.g. createClient() from the redis package (v5+)');
  }
  const prefix = options.prefix ?? 'm2m:';
  if (typeof prefix !== 'string' || /[{}\s]/.test(prefix)) throw invalidOption(`${field}.prefix`, 'must be a string without braces or spaces');
  const timeoutMs = options.timeoutMs ?? 200;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) throw invalidOption(`${field}.timeoutMs`, 'must be an integer from 1 to 60000 ms');
  return { client: options.client, prefix, timeoutMs };
}

/**
 * Sends one command with a deadline. Any error, and the deadline passing, is a
 * `StoreUnavailableError`: the caller fails closed and nothing that could be a replay (or a
 * revoked token) is accepted. The Redis error text stays in the operator detail only.
 */
export async function sendWithDeadline(options: ResolvedRedisOptions, args: string[], reason: StoreFailureReason): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(reason, `redis did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([options.client.sendCommand(args), deadline]);
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown';
    throw new StoreUnavailableError(reason, `redis ${args[0]} failed: ${message.slice(0, 200)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A key part that can never be confused with another: base64url has no `:`, `{` or `}`, so the
 * parts stay separable and a client id can always sit inside a Redis Cluster hash tag.
 */
export function keyPart(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}
