import { hash, timingSafeEqual } from 'node:crypto';

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function sha256(data: Uint8Array | string): Buffer {
  // One-shot (Node ≥ 20.12): the same digest as createHash().update().digest(), without a Hash
  // object per call — it runs several times per mTLS or secret request.
  return hash('sha256', data, 'buffer');
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
