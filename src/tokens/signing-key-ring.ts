import { type EndpointResponse, publicJsonResponse } from '../util/http.js';
import type { AccessTokenClaims } from './access-token.js';
import { publicJwks } from './jwks.js';
import { type SigningKeyInput, type SigningKeySet, resolveSigningKeys } from './signing-keys.js';
import { createOwnTokenVerifier } from './verify-own-token.js';

/**
 * The server's signing keys as they are now, swappable at run time for a rotation without
 * downtime. What derives from a key set — the JWKS response, the verifier of our own tokens — is
 * built once per set, not per request.
 *
 * A rotation (RFC 7517 key rollover, done in steps so no verifier ever sees an unknown kid):
 * 1. add the new key as `next` — it is published in the JWKS, signs nothing;
 * 2. after verifiers' JWKS caches have refreshed (the JWKS max-age), make it `current` and the
 *    old one `retired` — the old key stays published;
 * 3. after the longest access-token lifetime, drop the retired key.
 */
export interface SigningKeyRing {
  readonly keys: () => SigningKeySet;
  readonly jwksResponse: () => EndpointResponse;
  readonly verifyOwnToken: (token: string, nowSeconds: number) => AccessTokenClaims | undefined;
  /** Validates and installs a new key list; on a bad list it throws and the old keys stay. */
  readonly update: (inputs: readonly SigningKeyInput[]) => void;
}

/** JWKS max-age: short, so a `next` key reaches verifiers well before it signs. */
export const JWKS_MAX_AGE_SECONDS = 300;

export function createSigningKeyRing(initial: SigningKeySet, issuer: string): SigningKeyRing {
  let keys = initial;
  let jwks = publicJsonResponse(publicJwks(keys), JWKS_MAX_AGE_SECONDS);
  let verify = createOwnTokenVerifier(keys, issuer);
  return {
    keys: () => keys,
    jwksResponse: () => jwks,
    verifyOwnToken: (token, nowSeconds) => verify(token, nowSeconds),
    update: (inputs) => {
      const next = resolveSigningKeys(inputs, 'signingKeys');
      const nextJwks = publicJsonResponse(publicJwks(next), JWKS_MAX_AGE_SECONDS);
      const nextVerify = createOwnTokenVerifier(next, issuer);
      keys = next;
      jwks = nextJwks;
      verify = nextVerify;
    },
  };
}
