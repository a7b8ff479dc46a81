import { type KeyObject, createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import type { JsonWebKeySet, ResolvedClient } from '../clients/metadata.js';
import { OAuthError } from '../errors/errors.js';
import type { MaybePromise } from '../util/maybe-promise.js';

/** A client's public key, imported once. */
export interface ClientPublicKey {
  readonly kid: string | undefined;
  readonly alg: string | undefined;
  readonly use: string | undefined;
  readonly keyOps: readonly string[] | undefined;
  /** `undefined` when the JWK could not be imported; `importError` then says why. */
  readonly key: KeyObject | undefined;
  readonly importError: string | undefined;
  readonly jwk: JWK;
}

/**
 * Where a client's verification keys come from. `refresh` is set when an assertion names a
 * `kid` the current set lacks, so a remote source may refetch (bounded by its own cooldown).
 */
export interface ClientKeySource {
  /** May answer synchronously (an array) or with a promise. */
  keysFor(client: ResolvedClient, options: { readonly refresh: boolean }): MaybePromise<readonly ClientPublicKey[]>;
}

const importedSets = new WeakMap<JsonWebKeySet, readonly ClientPublicKey[]>();
/** Every key list `importJwkSet` made: frozen, and made of objects nothing else holds to change. */
const importedLists = new WeakSet<readonly ClientPublicKey[]>();

/** True for a key list made by `importJwkSet`, which never changes: decisions about it may be kept. */
export function isImportedKeySet(keys: readonly ClientPublicKey[]): boolean {
  return importedLists.has(keys);
}

/**
 * Imports every key of a JWK Set into a `KeyObject`, once per set object. A key that does not
 * import is kept with its error so the failure can be reported precisely; it never matches.
 */
export function importJwkSet(jwks: JsonWebKeySet): readonly ClientPublicKey[] {
  const cached = importedSets.get(jwks);
  if (cached) return cached;
  const keys = Object.freeze(jwks.keys.map((jwk) => Object.freeze(importPublicJwk(jwk))));
  importedSets.set(jwks, keys);
  importedLists.add(keys);
  return keys;
}

function importPublicJwk(jwk: JWK): ClientPublicKey {
  const base = {
    kid: typeof jwk.kid === 'string' ? jwk.kid : undefined,
    alg: typeof jwk.alg === 'string' ? jwk.alg : undefined,
    use: typeof jwk.use === 'string' ? jwk.use : undefined,
    keyOps: Array.isArray(jwk.key_ops) ? Object.freeze([...jwk.key_ops]) : undefined,
    jwk,
  };
  if (jwk.kty === 'oct' || 'd' in jwk) {
    return { ...base, key: undefined, importError: 'symmetric or private keys are never used to verify client assertions' };
  }
  try {
    // Only the public members: never let x5c/x5u or unknown members steer the import.
    const { kty, crv, x, y, n, e } = jwk;
    const publicMembers = Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined));
    return { ...base, key: createPublicKey({ key: publicMembers, format: 'jwk' }), importError: undefined };
  } catch (error) {
    return { ...base, key: undefined, importError: `JWK import failed: ${(error as Error).message}` };
  }
}

/** Keys registered inline (`jwks`). Clients with only a `jwks_uri` need a remote source. */
export const inlineKeySource: ClientKeySource = {
  keysFor(client) {
    if (!client.jwks) {
      throw new OAuthError('client_keys_unavailable', `client ${client.clientId} has no inline jwks and no remote key source is configured`);
    }
    return importJwkSet(client.jwks);
  },
};
