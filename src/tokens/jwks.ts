import type { JWK } from 'jose';
import type { SigningKeySet } from './signing-keys.js';

/** The public JWK Set: every key of the rotation (next, current, retired), public members only. */
export function publicJwks(keys: SigningKeySet): { readonly keys: readonly JWK[] } {
  return { keys: keys.all.map((key) => key.publicJwk) };
}
