/**
 * Minting `private_key_jwt` client assertions for tests, demos and the `assertion` CLI: correct by
 * default, and every part overridable so a negative test can break exactly one rule.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-rfc7523bis/
 */
import {
  createHmac,
  createPrivateKey,
  constants as cryptoConstants,
  randomUUID,
  sign as nodeSign,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { CompactSign, type JWK } from 'jose';
import { invalidOption } from '../errors/errors.js';

/**
 * The `client_assertion_type` value for JWT client assertions (RFC 7523 §2.2).
 *
 * @example
 * new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: assertionTypeUrn, client_assertion: jwt });
 */
export const assertionTypeUrn = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * A private key: a `KeyObject`, a PEM string (PKCS#8, PKCS#1 or SEC1) or a private JWK.
 *
 * @example
 * const key: ClientAssertionKey = identity.privateJwk;
 */
export type ClientAssertionKey = KeyObject | string | JWK;

/**
 * What the signature segment of the assertion holds: `valid`; `corrupt` — a real signature with
 * one bit flipped; `none` — an empty segment while the header keeps its `alg`.
 *
 * @example
 * await signClientAssertion({ ...base, signature: 'corrupt' });
 */
export type AssertionSignatureMode = 'valid' | 'corrupt' | 'none';

/**
 * @example
 * const options: SignClientAssertionOptions = { clientId: 'svc-a', audience: 'https://as.example', privateKey: identity.privateKey, kid: 'k1' };
 */
export interface SignClientAssertionOptions {
  /** Becomes `iss` and `sub` (RFC 7523 §3 items 1–2). */
  readonly clientId: string;
  /** The authorization server's issuer identifier, the sole `aud` value (draft-ietf-oauth-rfc7523bis). */
  readonly audience: string;
  /** Required unless the assertion is HMAC-signed (`secret`) or unsigned (`alg: 'none'`). */
  readonly privateKey?: ClientAssertionKey | undefined;
  /**
   * HMAC key for `HS256`/`HS384`/`HS512`, e.g. the client's public key PEM for the
   * "HS256 keyed with the public key" confusion attack. Implies `HS256` unless an alg is given.
   */
  readonly secret?: string | Uint8Array | undefined;
  /** JWS `alg`; default from the key: P-256 ES256, P-384 ES384, P-521 ES512, Ed25519 EdDSA, RSA PS256. */
  readonly alg?: string | undefined;
  readonly kid?: string | undefined;
  /** `exp − iat` in seconds; default 60. */
  readonly lifetimeSeconds?: number | undefined;
  /** The instant used for `iat` and `exp`: epoch seconds or a `Date`. Default: the current time. */
  readonly now?: number | Date | undefined;
  /**
   * Merged over the default header (`alg`, `kid`). A string `header.alg` is also the signing
   * algorithm; `alg: 'none'` yields an unsecured JWS with an empty signature.
   */
  readonly header?: Readonly<Record<string, unknown>> | undefined;
  /** Merged over the default claims; any claim may be replaced (e.g. `aud` as an array, `exp` in the past). */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
  /** Claim names removed after merging, e.g. `['jti', 'exp']`. */
  readonly omit?: readonly string[] | undefined;
  /** Default `valid`. */
  readonly signature?: AssertionSignatureMode | undefined;
}

const DEFAULT_LIFETIME_SECONDS = 60;

/**
 * Produces a compact JWS client assertion (RFC 7523 §3): `iss` = `sub` = `clientId`, `aud` =
 * `audience` as a string, `iat` = now, `exp` = now + 60 s, a random `jti`; header `alg` from the
 * key (or as given), `kid` if given, no `typ`.
 *
 * It signs with jose whenever jose accepts the combination. Combinations jose refuses on purpose
 * — `alg: none`, RSA keys under 2048 bits, an `alg` that does not fit the key (ES384 on P-256), a
 * `crit` it does not understand — are signed with `node:crypto`, because those are exactly the
 * assertions a verifier's negative tests need.
 *
 * @example
 * const assertion = await signClientAssertion({ clientId: 'svc-a', audience: 'https://as.example', privateKey: identity.privateKey, kid: 'svc-a-1' });
 * // Negative tests:
 * await signClientAssertion({ clientId: 'svc-a', audience: issuer, privateKey, claims: { aud: [issuer, tokenEndpoint] } });
 * await signClientAssertion({ clientId: 'svc-a', audience: issuer, privateKey, omit: ['jti'], header: { typ: 'at+jwt' } });
 * await signClientAssertion({ clientId: 'svc-a', audience: issuer, secret: identity.publicKey.export({ type: 'spki', format: 'pem' }) });
 */
export async function signClientAssertion(options: SignClientAssertionOptions): Promise<string> {
  const signatureMode = options.signature ?? 'valid';
  const privateKey = options.privateKey === undefined ? undefined : toPrivateKeyObject(options.privateKey);
  const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;

  const headerAlg = options.header?.['alg'];
  const alg =
    (typeof headerAlg === 'string' ? headerAlg : undefined) ??
    options.alg ??
    (secret !== undefined ? 'HS256' : privateKey !== undefined ? inferAlg(privateKey) : undefined);
  if (alg === undefined) {
    throw invalidOption('privateKey', 'a private key, a secret or an explicit alg is required');
  }

  const header: Record<string, unknown> = {
    alg,
    ...(options.kid === undefined ? {} : { kid: options.kid }),
    ...options.header,
  };
  const payload = buildClaims(options);
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;

  if (alg === 'none') {
    if (signatureMode === 'corrupt') throw invalidOption('signature', 'an unsecured JWS (alg none) has no signature to corrupt');
    return `${signingInput}.`;
  }
  if (signatureMode === 'none') return `${signingInput}.`;

  const key = alg.startsWith('HS') ? secret : privateKey;
  if (key === undefined) {
    throw invalidOption(alg.startsWith('HS') ? 'secret' : 'privateKey', `required to sign with ${alg}`);
  }
  const jws = await signWithJose(signingInput, header, payload, key).catch(() =>
    signWithNodeCrypto(signingInput, alg, key),
  );
  return signatureMode === 'corrupt' ? corruptSignature(jws) : jws;
}

function buildClaims(options: SignClientAssertionOptions): Record<string, unknown> {
  const now = options.now instanceof Date ? Math.floor(options.now.getTime() / 1000) : (options.now ?? Math.floor(Date.now() / 1000));
  const lifetime = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
  const claims: Record<string, unknown> = {
    iss: options.clientId,
    sub: options.clientId,
    aud: options.audience,
    iat: now,
    exp: now + lifetime,
    jti: randomUUID(),
    ...options.claims,
  };
  for (const name of options.omit ?? []) delete claims[name];
  return claims;
}

/**
 * jose signs the exact bytes we give it, so the token is identical in shape to the node:crypto
 * path; the `signingInput` check guards against jose ever re-encoding the header differently.
 */
async function signWithJose(
  signingInput: string,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject | Uint8Array,
): Promise<string> {
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as { alg: string })
    .sign(key);
  if (!jws.startsWith(`${signingInput}.`)) throw new Error('jose encoded the header differently');
  return jws;
}

function signWithNodeCrypto(signingInput: string, alg: string, key: KeyObject | Uint8Array): string {
  const data = Buffer.from(signingInput, 'ascii');
  const hash = hashOf(alg);
  let signature: Buffer;
  if (key instanceof Uint8Array) {
    if (!alg.startsWith('HS') || hash === undefined) throw invalidOption('alg', `${alg} cannot be used with a secret`);
    signature = createHmac(hash, key).update(data).digest();
  } else if (alg === 'EdDSA' || alg === 'Ed25519' || alg === 'Ed448') {
    signature = nodeSign(null, data, key);
  } else if (alg.startsWith('ES') && hash !== undefined) {
    // JWS wants r‖s (RFC 7518 §3.4), not the DER that node:crypto produces by default.
    signature = nodeSign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  } else if (alg.startsWith('PS') && hash !== undefined) {
    signature = nodeSign(hash, data, {
      key,
      padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
      saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST,
    });
  } else if (alg.startsWith('RS') && hash !== undefined) {
    signature = nodeSign(hash, data, { key, padding: cryptoConstants.RSA_PKCS1_PADDING });
  } else {
    throw invalidOption('alg', `cannot sign with ${alg}; use signature: 'none' to send it unsigned`);
  }
  return `${signingInput}.${signature.toString('base64url')}`;
}

function hashOf(alg: string): string | undefined {
  const bits = /^(?:HS|RS|PS|ES)(256|384|512)$/.exec(alg)?.[1];
  return bits === undefined ? undefined : `sha${bits}`;
}

function inferAlg(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return 'PS256';
    case 'ed25519':
    case 'ed448':
      return 'EdDSA';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ES256';
      if (curve === 'secp384r1') return 'ES384';
      if (curve === 'secp521r1') return 'ES512';
      throw invalidOption('privateKey', `no JWS alg for EC curve ${String(curve)}; pass alg explicitly`);
    }
    default:
      throw invalidOption('privateKey', `no JWS alg for ${String(key.asymmetricKeyType)} keys; pass alg explicitly`);
  }
}

function toPrivateKeyObject(key: ClientAssertionKey): KeyObject {
  let keyObject: KeyObject;
  try {
    keyObject =
      typeof key === 'string'
        ? createPrivateKey(key)
        : isKeyObject(key)
          ? key
          : createPrivateKey({ key: key as JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw invalidOption('privateKey', `not a usable private key (${(cause as Error).message})`);
  }
  if (keyObject.type !== 'private') throw invalidOption('privateKey', `must be a private key (got a ${keyObject.type} key)`);
  return keyObject;
}

function isKeyObject(key: KeyObject | JWK): key is KeyObject {
  return typeof (key as KeyObject).export === 'function' && typeof (key as KeyObject).type === 'string';
}

function encodeSegment(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Flips one bit of the decoded signature, so the token stays well-formed but cannot verify. */
function corruptSignature(jws: string): string {
  const lastDot = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(lastDot + 1), 'base64url');
  signature[0] = (signature[0] ?? 0) ^ 0x01;
  return `${jws.slice(0, lastDot + 1)}${signature.toString('base64url')}`;
}
