import { type KeyObject, type SignKeyObjectInput, constants, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import type { JWK } from 'jose';
import { invalidOption } from '../errors/errors.js';
import { isPlainObject } from '../util/encoding.js';
import { jwkThumbprint } from '../util/jwk-thumbprint.js';

/** Algorithms our access tokens can be signed with (SPEC.md: ES256 default; EdDSA, PS256 available). */
export type AccessTokenAlgorithm = 'ES256' | 'ES384' | 'PS256' | 'RS256' | 'EdDSA';
const ACCESS_TOKEN_ALGORITHMS: readonly AccessTokenAlgorithm[] = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'];

/**
 * A server signing key's place in a rotation:
 * - `next`: published in the JWKS so verifiers learn it before it signs anything;
 * - `current`: signs new tokens (exactly one);
 * - `retired`: no longer signs, still published until the tokens it signed have expired.
 */
export type SigningKeyStatus = 'next' | 'current' | 'retired';

export interface SigningKeyInput {
  /** A private JWK, a PEM (PKCS#8 or SEC1/PKCS#1) string, or a private `KeyObject`. */
  readonly privateKey: JWK | KeyObject | string;
  /** Default: the RFC 7638 thumbprint of the public key. */
  readonly kid?: string;
  /** Default: the JWK's own `alg`, else from the key (P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA, RSA → PS256). */
  readonly alg?: AccessTokenAlgorithm;
  /** Default: `current` for the first key, `next` for the others. */
  readonly status?: SigningKeyStatus;
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: AccessTokenAlgorithm;
  readonly status: SigningKeyStatus;
  readonly publicJwk: Readonly<JWK>;
  /** Signs the JWS signing input and returns the raw JWS signature (RFC 7518 §3). */
  readonly sign: (signingInput: Buffer) => Buffer;
}

export interface SigningKeySet {
  readonly current: SigningKey;
  readonly all: readonly SigningKey[];
}

function defaultAlgorithm(key: KeyObject): AccessTokenAlgorithm | undefined {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'prime256v1' ? 'ES256' : curve === 'secp384r1' ? 'ES384' : undefined;
  }
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'rsa') return 'PS256';
  return undefined;
}

function signerFor(alg: AccessTokenAlgorithm, key: KeyObject): (input: Buffer) => Buffer {
  switch (alg) {
    case 'ES256':
    case 'ES384': {
      // RFC 7518 §3.4: JWS carries R || S, not DER.
      const options: SignKeyObjectInput = { key, dsaEncoding: 'ieee-p1363' };
      const hash = alg === 'ES256' ? 'sha256' : 'sha384';
      return (input) => sign(hash, input, options);
    }
    case 'PS256': {
      const options: SignKeyObjectInput = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      return (input) => sign('sha256', input, options);
    }
    case 'RS256':
      return (input) => sign('sha256', input, key);
    case 'EdDSA':
      return (input) => sign(null, input, key);
  }
}

function keyFitsAlgorithm(alg: AccessTokenAlgorithm, key: KeyObject): boolean {
  const expected = defaultAlgorithm(key);
  if (alg === 'PS256' || alg === 'RS256') return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  return expected === alg;
}

function toPrivateKey(input: SigningKeyInput['privateKey'], field: string): KeyObject {
  try {
    if (typeof input === 'string') return createPrivateKey(input);
    if (isPlainObject(input)) {
      if (typeof input.d !== 'string') throw new Error('not a private JWK (no "d")');
      return createPrivateKey({ key: input as JWK & { kty: string }, format: 'jwk' });
    }
    const keyObject = input as KeyObject;
    if (keyObject.type !== 'private') throw new Error(`a ${keyObject.type} KeyObject`);
    return keyObject;
  } catch (error) {
    throw invalidOption(field, `must be a private JWK, a private-key PEM or a private KeyObject (${(error as Error).message})`);
  }
}

/**
 * Validates and imports the server's signing keys once. Keys are imported to `KeyObject`s and
 * each gets a ready signing function, so signing a token does no key work at all.
 */
export function resolveSigningKeys(inputs: readonly SigningKeyInput[], field = 'options.signingKeys'): SigningKeySet {
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw invalidOption(field, 'must list at least one signing key, e.g. [{ privateKey: <private JWK or PEM> }]; generateSigningKey() makes one');
  }
  const keys: SigningKey[] = [];
  for (const [index, input] of inputs.entries()) {
    const at = `${field}[${index}]`;
    if (typeof input !== 'object' || input === null) throw invalidOption(at, 'must be an object { privateKey, kid?, alg?, status? }');
    const privateKey = toPrivateKey(input.privateKey, `${at}.privateKey`);
    // A private JWK that names its own alg keeps it (RFC 7517 §4.4); otherwise the key type decides.
    const jwkAlg = isPlainObject(input.privateKey) && typeof input.privateKey.alg === 'string' ? (input.privateKey.alg as AccessTokenAlgorithm) : undefined;
    const alg = input.alg ?? jwkAlg ?? defaultAlgorithm(privateKey);
    if (alg === undefined || !ACCESS_TOKEN_ALGORITHMS.includes(alg)) {
      throw invalidOption(`${at}.alg`, `must be one of ${ACCESS_TOKEN_ALGORITHMS.join(', ')} and fit the key`);
    }
    if (!keyFitsAlgorithm(alg, privateKey)) {
      throw invalidOption(`${at}.alg`, `${alg} does not fit a ${privateKey.asymmetricKeyType} key${privateKey.asymmetricKeyType === 'rsa' ? ' (RSA keys must be at least 2048 bits)' : ''}`);
    }
    const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
    const kid = input.kid ?? jwkThumbprint(publicJwk);
    if (typeof kid !== 'string' || kid.length === 0) throw invalidOption(`${at}.kid`, 'must be a non-empty string');
    const status = input.status ?? (index === 0 ? 'current' : 'next');
    if (!['next', 'current', 'retired'].includes(status)) throw invalidOption(`${at}.status`, 'must be next, current or retired');
    keys.push(Object.freeze({
      kid,
      alg,
      status,
      publicJwk: Object.freeze({ ...publicJwk, kid, alg, use: 'sig' }),
      sign: signerFor(alg, privateKey),
    }));
  }
  const current = keys.filter((key) => key.status === 'current');
  if (current.length !== 1) {
    throw invalidOption(field, `exactly one key must have status "current" (found ${current.length})`);
  }
  const kids = new Set(keys.map((key) => key.kid));
  if (kids.size !== keys.length) throw invalidOption(field, 'kid values must be unique');
  return Object.freeze({ current: current[0] as SigningKey, all: Object.freeze(keys) });
}
