import { createPublicKey } from 'node:crypto';
import { type AssertionAlgorithm, FAPI2_ASSERTION_ALGORITHMS } from '../assertions/algorithms.js';
import type { ClientMetadata, TokenEndpointAuthMethod } from '../clients/metadata.js';
import { invalidClientMetadata, invalidOption } from '../errors/errors.js';
import type { SigningKeySet } from '../tokens/signing-keys.js';

/** Security profiles: one option that sets and enforces a whole set of rules. */
export type SecurityProfile = 'fapi2';

/** FAPI 2.0 Security Profile §5.3.2.1: client authentication by private_key_jwt or mTLS only. */
export const FAPI2_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'];
/** FAPI 2.0 §5.3.2.1: "shall accept ... iat/nbf up to 10 seconds in the future". */
export const FAPI2_CLOCK_TOLERANCE_SECONDS = 10;
const FAPI2_TOKEN_ALGORITHMS = new Set(['PS256', 'ES256', 'EdDSA']);
/** FAPI 2.0 §5.4.1: RSA keys ≥ 2048 bits, EC keys ≥ 224 bits. */
const MIN_RSA_BITS = 2048;
const MIN_EC_BITS = 224;
const EC_CURVE_BITS: Readonly<Record<string, number>> = { 'P-256': 256, 'P-384': 384, 'P-521': 521, secp256k1: 256 };

export function validateProfile(value: unknown): SecurityProfile | undefined {
  if (value === undefined) return undefined;
  if (value !== 'fapi2') throw invalidOption('options.profile', 'must be "fapi2" (FAPI 2.0 Security Profile) or left out');
  return value;
}

/**
 * Where an explicit option contradicts the profile, say so at construction rather than silently
 * weakening or overriding it.
 */
export function checkFapi2Options(options: {
  readonly authMethods: readonly TokenEndpointAuthMethod[] | undefined;
  readonly algorithms: readonly string[] | undefined;
  readonly audiencePolicy: string | undefined;
  readonly clockTolerance: number | undefined;
}): void {
  const badMethod = options.authMethods?.find((method) => !FAPI2_AUTH_METHODS.includes(method));
  if (badMethod) throw invalidOption('options.authMethods', `${badMethod} is not allowed by the fapi2 profile (FAPI 2.0 §5.3.2.1): use private_key_jwt, tls_client_auth or self_signed_tls_client_auth`);
  const badAlg = options.algorithms?.find((alg) => !(FAPI2_ASSERTION_ALGORITHMS as readonly string[]).includes(alg));
  if (badAlg) throw invalidOption('options.clientAssertion.algorithms', `${badAlg} is not allowed by the fapi2 profile (FAPI 2.0 §5.4.1): PS256, ES256 or EdDSA only`);
  if (options.audiencePolicy !== undefined && options.audiencePolicy !== 'fapi2') {
    throw invalidOption('options.clientAssertion.audiencePolicy', 'the fapi2 profile requires the "fapi2" audience policy (the issuer as a string, FAPI 2.0 §5.3.2.1)');
  }
  if (options.clockTolerance !== undefined && options.clockTolerance < FAPI2_CLOCK_TOLERANCE_SECONDS) {
    throw invalidOption('options.clientAssertion.clockTolerance', `the fapi2 profile accepts iat/nbf up to ${FAPI2_CLOCK_TOLERANCE_SECONDS} s in the future (FAPI 2.0 §5.3.2.1); use at least ${FAPI2_CLOCK_TOLERANCE_SECONDS}`);
  }
}

export function checkFapi2SigningKeys(keys: SigningKeySet): void {
  keys.all.forEach((key, index) => {
    if (!FAPI2_TOKEN_ALGORITHMS.has(key.alg)) {
      throw invalidOption(`options.signingKeys[${index}].alg`, `${key.alg} is not allowed by the fapi2 profile (FAPI 2.0 §5.4.1): PS256, ES256 or EdDSA`);
    }
  });
}

function keyTooSmall(jwk: Readonly<Record<string, unknown>>): string | undefined {
  if (jwk.kty === 'RSA') {
    try {
      const bits = createPublicKey({ key: { kty: 'RSA', n: String(jwk.n), e: String(jwk.e) }, format: 'jwk' }).asymmetricKeyDetails?.modulusLength ?? 0;
      return bits < MIN_RSA_BITS ? `an RSA key of ${bits} bits (at least ${MIN_RSA_BITS})` : undefined;
    } catch {
      return 'an RSA key that does not import';
    }
  }
  if (jwk.kty === 'EC') {
    const bits = EC_CURVE_BITS[String(jwk.crv)] ?? 0;
    return bits < MIN_EC_BITS ? `an EC key on ${String(jwk.crv)} (at least ${MIN_EC_BITS} bits)` : undefined;
  }
  return undefined;
}

/**
 * Checks every registered client against the fapi2 profile at start-up, naming the client and
 * the rule it breaks (FAPI 2.0 Security Profile §5.3.2.1, §5.4.1).
 */
export function checkFapi2Clients(clients: readonly ClientMetadata[]): void {
  clients.forEach((client, index) => {
    const at = `options.clients[${index}] (client_id "${client.client_id}")`;
    if (!FAPI2_AUTH_METHODS.includes(client.token_endpoint_auth_method)) {
      throw invalidClientMetadata(`${at}.token_endpoint_auth_method`, `${client.token_endpoint_auth_method} is not allowed by the fapi2 profile (FAPI 2.0 §5.3.2.1): use private_key_jwt or mTLS`);
    }
    const alg = client.token_endpoint_auth_signing_alg;
    if (alg !== undefined && !(FAPI2_ASSERTION_ALGORITHMS as readonly AssertionAlgorithm[]).includes(alg as AssertionAlgorithm)) {
      throw invalidClientMetadata(`${at}.token_endpoint_auth_signing_alg`, `${alg} is not allowed by the fapi2 profile (FAPI 2.0 §5.4.1): PS256, ES256 or EdDSA`);
    }
    if (client.client_assertion_audience_policy !== undefined && client.client_assertion_audience_policy !== 'fapi2') {
      throw invalidClientMetadata(`${at}.client_assertion_audience_policy`, 'the fapi2 profile requires the "fapi2" audience policy');
    }
    if (client.tls_client_certificate_bound_access_tokens === false) {
      throw invalidClientMetadata(`${at}.tls_client_certificate_bound_access_tokens`, 'the fapi2 profile requires sender-constrained (certificate-bound) access tokens (FAPI 2.0 §5.3.2.1)');
    }
    client.jwks?.keys.forEach((jwk, keyIndex) => {
      const problem = keyTooSmall(jwk as Readonly<Record<string, unknown>>);
      if (problem) throw invalidClientMetadata(`${at}.jwks.keys[${keyIndex}]`, `is ${problem}; the fapi2 profile requires RSA ≥ 2048 and EC ≥ 224 bits (FAPI 2.0 §5.4.1)`);
    });
  });
}
