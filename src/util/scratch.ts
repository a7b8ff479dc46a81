/**
 * One shared, growable byte buffer for hot-path encodings that are consumed synchronously (the
 * bytes of a token's claims and signing input, an assertion's signing input and signature): a
 * fresh `Buffer` each time showed in every profile (allocation plus refills of Buffer's pool).
 *
 * The contents are only valid until the next call, from anywhere: take what you need (a string, a
 * signature) before any other code runs. Never hold a view of it across an `await`.
 */
let shared = Buffer.allocUnsafe(16_384);

/** The shared buffer, at least `bytes` long. */
export function scratchBuffer(bytes: number): Buffer {
  if (shared.length < bytes) shared = Buffer.allocUnsafe(Math.max(bytes, shared.length * 2));
  return shared;
}
