import { hash, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256 digest bytes. One-shot `hash` (Node ≥ 20.12), no Hash object; asked for as a latin1
 * string and turned into bytes from Buffer's pool, because a digest returned as a native buffer
 * costs a backing-store allocation that showed in the profiles (~2.3 µs against ~1.2 µs).
 */
export function sha256(data: Uint8Array | string): Buffer {
  return Buffer.from(hash('sha256', data, 'binary'), 'latin1');
}

/** SHA-256 digest as text (`x5t#S256`, JWK thumbprints: base64url), with no digest buffer at all. */
export function sha256Text(data: Uint8Array | string, encoding: 'base64url' | 'hex'): string {
  return hash('sha256', data, encoding);
}

/**
 * Compares two secrets in time independent of where they differ and of their lengths: both
 * sides are hashed first, so `timingSafeEqual` always sees equal-length inputs.
 */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8, throwing on invalid sequences instead of substituting U+FFFD. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  return strictUtf8.decode(bytes);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
