/**
 * A value, or a promise of it. The in-memory parts (static registry, inline keys, memory stores)
 * answer synchronously, and the token path then runs without a promise or an await per step —
 * each costs a microtask turn and garbage on every request; shared parts (Redis, remote key sets)
 * still answer with promises.
 */
export type MaybePromise<T> = T | Promise<T>;

export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** `next(value)`, after the value settles when it is a promise; synchronous otherwise (a throw stays a throw). */
export function andThen<T, U>(value: MaybePromise<T>, next: (settled: T) => MaybePromise<U>): MaybePromise<U> {
  return isThenable(value) ? Promise.resolve(value).then(next) : next(value);
}
