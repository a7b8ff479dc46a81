import { isAscii, isUtf8 } from 'node:buffer';
import { type KeyObject, type VerifyKeyObjectInput, constants, verify as verifyBytes } from 'node:crypto';
import { compactVerify, errors as joseErrors } from 'jose';
import type { ResolvedClient } from '../clients/metadata.js';
import { OAuthError } from '../errors/errors.js';
import { isPlainObject } from '../util/encoding.js';
import { type MaybePromise, andThen } from '../util/maybe-promise.js';
import { scratchBuffer } from '../util/scratch.js';
import { type AssertionAlgorithm, MIN_RSA_MODULUS_BITS, isSupportedAlgorithm, keyUnsuitableFor } from './algorithms.js';
import { type ClientKeySource, type ClientPublicKey, isImportedKeySet } from './key-source.js';

/** RFC 7523 §2.2 */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * How the `aud` claim of a client assertion is judged (draft-ietf-oauth-rfc7523bis §4):
 * - `rfc7523bis`: the issuer identifier as the sole value, as a string or a one-element array;
 * - `fapi2`: the issuer identifier as a string only (FAPI 2.0 Security Profile §5.3.2.1);
 * - `legacy`: every value must be the issuer or one of our token endpoint URLs (RFC 7523 §3
 *   as first written). Opt-in, because an audience that is not exactly the issuer is what the
 *   2024 audience-injection attacks relied on.
 */
export type AudiencePolicy = 'rfc7523bis' | 'fapi2' | 'legacy';

/** How the accepted assertion spelled its audience, so operators can see who to tighten. */
export type AudienceShape =
  | 'issuer_string'
  | 'issuer_array'
  | 'token_endpoint_string'
  | 'token_endpoint_array'
  | 'mixed_array';

/** The slice of configuration the assertion verifier reads. */
export interface AssertionVerifierConfig {
  readonly issuer: string;
  /** Token endpoint URLs (incl. mTLS aliases) that the `legacy` audience policy also accepts. */
  readonly tokenEndpointUrls: readonly string[];
  readonly algorithms: ReadonlySet<AssertionAlgorithm>;
  readonly audiencePolicy: AudiencePolicy;
  /** When false (a profile fixed the policy), a client's own `client_assertion_audience_policy` is ignored. */
  readonly audiencePolicyOverridable: boolean;
  readonly clockToleranceSeconds: number;
  readonly maxLifetimeSeconds: number;
  readonly maxLength: number;
  readonly keySource: ClientKeySource;
}

export interface VerifiedAssertion {
  readonly jti: string;
  /** Epoch seconds. */
  readonly exp: number;
  readonly alg: AssertionAlgorithm;
  /** The `kid` of the key that verified it, or the key's index when it had none. */
  readonly keyId: string;
  readonly audienceShape: AudienceShape;
}

/** A client assertion split and decoded once per request (`decodeAssertion`). */
export interface DecodedAssertion {
  readonly assertion: string;
  readonly firstDot: number;
  readonly secondDot: number;
  readonly header: Readonly<Record<string, unknown>>;
  /** jose refuses a protected header that is not strictly UTF-8 (only once the signature is checked). */
  readonly headerIsUtf8: boolean;
  /**
   * The payload as parsed before the signature is checked — to find the client. Its claims are
   * only read as verified claims when the payload bytes are pure ASCII (`payloadIsAscii`), where
   * this parse and the parse of the verified bytes cannot differ; otherwise the verified bytes are
   * decoded again exactly as jose decodes them.
   */
  readonly unverifiedClaims: Record<string, unknown>;
  readonly payloadIsAscii: boolean;
}

// The signature segment may be empty so an unsecured JWS (RFC 7519 §6) reaches the alg check and is
// reported as assertion_alg_not_allowed; an empty signature never verifies under an allowed alg.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const MAX_JTI_LENGTH = 512;
/** RFC 8725 §3.11: explicit types of other JWT kinds are refused, so no JWT is accepted for another purpose. */
const ACCEPTED_TYP = new Set(['jwt', 'client-authentication+jwt']);

/**
 * Splits and decodes a client assertion once: its length, its compact-JWS shape, its header and
 * (unverified) payload as JSON objects.
 *
 * @throws OAuthError `assertion_too_long` or `assertion_malformed`.
 */
export function decodeAssertion(assertion: string, maxLength: number): DecodedAssertion {
  if (assertion.length > maxLength) {
    throw new OAuthError('assertion_too_long', `assertion of ${assertion.length} characters exceeds the ${maxLength}-character cap`);
  }
  if (!COMPACT_JWS.test(assertion)) {
    throw new OAuthError('assertion_malformed', 'the assertion is not a compact JWS (three base64url segments)');
  }
  const firstDot = assertion.indexOf('.');
  const secondDot = assertion.indexOf('.', firstDot + 1);
  const { header, headerIsUtf8 } = decodeHeader(assertion.slice(0, firstDot));
  const payloadSegment = assertion.slice(firstDot + 1, secondDot);
  const bytes = scratchBuffer(payloadSegment.length);
  const length = bytes.write(payloadSegment, 0, 'base64url');
  const payloadIsAscii = isAscii(bytes.subarray(0, length));
  const unverifiedClaims = parseJsonText(bytes.toString(payloadIsAscii ? 'latin1' : 'utf8', 0, length), 'payload');
  return { assertion, firstDot, secondDot, header, headerIsUtf8, unverifiedClaims, payloadIsAscii };
}

/**
 * Headers decoded, by header segment. A client sends the same header with every assertion, so
 * this spares a base64url decode and a JSON parse per request. Bounded: emptied when full, so
 * headers an attacker makes up cost recomputation, never memory. Only well-formed headers are
 * kept; their objects are frozen because every request with that segment shares them.
 */
const decodedHeaders = new Map<string, { readonly header: Readonly<Record<string, unknown>>; readonly headerIsUtf8: boolean }>();
const MAX_DECODED_HEADERS = 1_000;

function decodeHeader(segment: string): { readonly header: Readonly<Record<string, unknown>>; readonly headerIsUtf8: boolean } {
  const known = decodedHeaders.get(segment);
  if (known !== undefined) return known;
  const bytes = Buffer.from(segment, 'base64url');
  const decoded = Object.freeze({ header: Object.freeze(parseJsonText(bytes.toString('utf8'), 'header')), headerIsUtf8: isUtf8(bytes) });
  if (decodedHeaders.size >= MAX_DECODED_HEADERS) decodedHeaders.clear();
  decodedHeaders.set(segment, decoded);
  return decoded;
}

/**
 * The client an assertion claims to be (`sub`, else `iss`), before its signature is checked —
 * only to find which client's keys to verify it with.
 */
export function claimedClientId(decoded: DecodedAssertion): string {
  const payload = decoded.unverifiedClaims;
  if (typeof payload.sub === 'string' && payload.sub.length > 0) return payload.sub;
  if (typeof payload.iss === 'string' && payload.iss.length > 0) return payload.iss;
  throw new OAuthError('assertion_sub_mismatch', 'the assertion has neither sub nor iss, and no client_id was sent');
}

/** `decodeAssertion` then `claimedClientId`. */
export function peekAssertionClientId(assertion: string, maxLength: number): string {
  return claimedClientId(decodeAssertion(assertion, maxLength));
}

/**
 * Verifies a client assertion for `client` (RFC 7523 §3, draft-ietf-oauth-rfc7523bis §4, OIDC
 * Core §9) — everything but single use: the caller consumes `jti` in the replay store once every
 * other check of the request has passed.
 *
 * Validated here: compact JWS form and length; `alg` in the allow-list and, when registered, the
 * client's `token_endpoint_auth_signing_alg`; `typ`; no `crit`; the key (by `kid` from the
 * client's own JWK Set only — `jku`, `x5u`, `jwk` and `x5c` headers are never used) fits the alg;
 * the signature; `iss` = `sub` = client_id; `aud` per the audience policy; `exp`, `iat`, `nbf`
 * and the lifetime cap; `jti` present.
 *
 * @throws OAuthError (`invalid_client`, RFC 7523 §3.2) with a precise reason code.
 */
export async function verifyClientAssertion(
  assertion: string | DecodedAssertion,
  client: ResolvedClient,
  config: AssertionVerifierConfig,
  nowSeconds: number,
): Promise<VerifiedAssertion> {
  return verifyDecodedAssertion(typeof assertion === 'string' ? decodeAssertion(assertion, config.maxLength) : assertion, client, config, nowSeconds);
}

/**
 * `verifyClientAssertion` for the token path: synchronous when the client's keys are at hand and
 * node:crypto verifies the signature (the usual case), a promise when keys must be fetched or
 * jose verifies. Throws (or rejects with) the same OAuthErrors.
 */
export function verifyDecodedAssertion(
  decoded: DecodedAssertion,
  client: ResolvedClient,
  config: AssertionVerifierConfig,
  nowSeconds: number,
): MaybePromise<VerifiedAssertion> {
  const { header } = decoded;
  const alg = checkHeader(header, client, config);

  const kid = header.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 1024)) {
    throw new OAuthError('assertion_malformed', 'the kid header must be a non-empty string of at most 1024 characters');
  }
  return andThen(selectKeys(client, config, alg, kid), (candidates) => {
    const verified = verifySignatureDirectly(decoded, alg, candidates);
    if (verified !== undefined) return checkClaims(verified, alg, client, config, nowSeconds);
    return verifySignatureWithJose(decoded.assertion, alg, candidates).then((outcome) => checkClaims(outcome, alg, client, config, nowSeconds));
  });
}

/** RFC 7523 §3 and draft-ietf-oauth-rfc7523bis §4: the claims of an assertion whose signature verified. */
function checkClaims(
  { payload, keyId }: SignatureOutcome,
  alg: AssertionAlgorithm,
  client: ResolvedClient,
  config: AssertionVerifierConfig,
  nowSeconds: number,
): VerifiedAssertion {
  checkIssuerAndSubject(payload, client.clientId);
  const policy = config.audiencePolicyOverridable ? (client.audiencePolicy ?? config.audiencePolicy) : config.audiencePolicy;
  const audienceShape = checkAudience(payload.aud, config, policy);
  const exp = checkTimes(payload, config, nowSeconds);
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length === 0) throw new OAuthError('jti_missing', 'the assertion has no jti (RFC 7523 §3 item 7)');
  if (jti.length > MAX_JTI_LENGTH) throw new OAuthError('assertion_malformed', `jti longer than ${MAX_JTI_LENGTH} characters`);

  return { jti, exp, alg, keyId, audienceShape };
}

function parseJsonText(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OAuthError('assertion_malformed', `the assertion ${what} is not base64url-encoded JSON`);
  }
  if (!isPlainObject(parsed)) throw new OAuthError('assertion_malformed', `the assertion ${what} is not a JSON object`);
  return parsed;
}

function checkHeader(header: Readonly<Record<string, unknown>>, client: ResolvedClient, config: AssertionVerifierConfig): AssertionAlgorithm {
  const alg = header.alg;
  if (typeof alg !== 'string' || !isSupportedAlgorithm(alg) || !config.algorithms.has(alg)) {
    throw new OAuthError('assertion_alg_not_allowed', `alg ${JSON.stringify(alg)} is not in the allow-list`);
  }
  if (client.signingAlg !== undefined && alg !== client.signingAlg) {
    throw new OAuthError('assertion_alg_not_registered', `alg ${alg} differs from the registered token_endpoint_auth_signing_alg ${client.signingAlg}`);
  }
  const typ = header.typ;
  if (typ !== undefined) {
    // RFC 7515 §4.1.9: media types compare case-insensitively and may omit "application/".
    const normalized = typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : '';
    if (!ACCEPTED_TYP.has(normalized)) {
      throw new OAuthError('assertion_typ_not_allowed', `typ ${JSON.stringify(typ)} is not a client-authentication JWT (RFC 8725 §3.11)`);
    }
  }
  if (header.crit !== undefined) {
    throw new OAuthError('assertion_crit_unsupported', 'no critical header extensions are supported (RFC 7515 §4.1.11)');
  }
  if (header.b64 !== undefined) {
    throw new OAuthError('assertion_malformed', 'the b64 header (RFC 7797) is not allowed in client assertions');
  }
  return alg;
}

function selectKeys(
  client: ResolvedClient,
  config: AssertionVerifierConfig,
  alg: AssertionAlgorithm,
  kid: string | undefined,
): MaybePromise<readonly ClientPublicKey[]> {
  return andThen(config.keySource.keysFor(client, { refresh: false }), (keys) => {
    // An unknown kid: the client may have rotated its keys, so a remote source may refetch.
    if (kid !== undefined && !keys.some((key) => key.kid === kid)) {
      return andThen(config.keySource.keysFor(client, { refresh: true }), (refreshed) => keptVerdict(refreshed, alg, kid));
    }
    return keptVerdict(keys, alg, kid);
  });
}

/** `usableKeys`, kept per set for a set this library imported: such a set never changes. */
function keptVerdict(keys: readonly ClientPublicKey[], alg: AssertionAlgorithm, kid: string | undefined): readonly ClientPublicKey[] {
  if (!isImportedKeySet(keys)) return usableKeys(keys, alg, kid);
  let verdicts = keyVerdicts.get(keys);
  if (verdicts === undefined) {
    verdicts = { count: 0, byAlg: new Map() };
    keyVerdicts.set(keys, verdicts);
  }
  let byKid = verdicts.byAlg.get(alg);
  if (byKid === undefined) {
    byKid = new Map();
    verdicts.byAlg.set(alg, byKid);
  }
  let verdict = byKid.get(kid);
  if (verdict === undefined) {
    try {
      verdict = usableKeys(keys, alg, kid);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      verdict = error;
    }
    // Bounded: an attacker can name any kid, so only the first few verdicts per set are kept.
    if (verdicts.count < MAX_VERDICTS_PER_SET) {
      verdicts.count++;
      byKid.set(kid, verdict);
    }
  }
  if (verdict instanceof OAuthError) throw new OAuthError(verdict.reason, verdict.detail);
  return verdict;
}

/** Per imported key set: the verdict of `usableKeys` by alg, then by kid (`undefined`: no kid). */
const keyVerdicts = new WeakMap<
  readonly ClientPublicKey[],
  { count: number; readonly byAlg: Map<AssertionAlgorithm, Map<string | undefined, readonly ClientPublicKey[] | OAuthError>> }
>();
const MAX_VERDICTS_PER_SET = 64;

function usableKeys(keys: readonly ClientPublicKey[], alg: AssertionAlgorithm, kid: string | undefined): readonly ClientPublicKey[] {
  const named = kid === undefined ? keys : keys.filter((key) => key.kid === kid);
  if (named.length === 0) {
    throw new OAuthError('assertion_key_not_found', kid === undefined ? 'the client has no keys' : `no key with kid ${JSON.stringify(kid)} in the client's JWK Set`);
  }
  const reasons: string[] = [];
  const usable = named.filter((key) => {
    const problem = keyProblem(key, alg);
    if (problem !== undefined) reasons.push(problem);
    return problem === undefined;
  });
  if (usable.length === 0) {
    throw new OAuthError(kid === undefined && reasons.length === 0 ? 'assertion_key_not_found' : 'assertion_key_unsuitable', reasons.join('; ').slice(0, 500));
  }
  return Object.freeze(usable);
}

function keyProblem(key: ClientPublicKey, alg: AssertionAlgorithm): string | undefined {
  if (!key.key) return key.importError;
  if (key.use !== undefined && key.use !== 'sig') return `key use is ${key.use}, not sig`;
  if (key.keyOps !== undefined && !key.keyOps.includes('verify')) return 'key_ops does not include verify';
  if (key.alg !== undefined && key.alg !== alg) return `key is registered for ${key.alg}, the assertion uses ${alg}`;
  return keyUnsuitableFor(alg, key.key);
}

interface SignatureOutcome {
  readonly payload: Record<string, unknown>;
  readonly keyId: string;
}

/**
 * The candidate keys that node:crypto verifies directly (see `DirectVerifier`), tried in turn
 * synchronously. `undefined` when none verified and some candidate is left to jose.
 *
 * @throws OAuthError `assertion_signature_invalid` when every candidate is a direct one and none verified.
 */
function verifySignatureDirectly(decoded: DecodedAssertion, alg: AssertionAlgorithm, candidates: readonly ClientPublicKey[]): SignatureOutcome | undefined {
  let joseCandidates = false;
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index] as ClientPublicKey;
    const direct = directVerifier(candidate.key as KeyObject, alg);
    if (direct === undefined) {
      joseCandidates = true;
      continue;
    }
    if (!verifyCompactDirect(decoded, direct)) continue;
    return { payload: verifiedClaims(decoded), keyId: candidate.kid ?? `#${index}` };
  }
  if (joseCandidates) return undefined;
  throw new OAuthError('assertion_signature_invalid', `signature did not verify with ${candidates.length} candidate key(s)`);
}

/** The claims of an assertion whose signature verified directly: as jose would decode them. */
function verifiedClaims(decoded: DecodedAssertion): Record<string, unknown> {
  // ASCII decodes the same under every decoder: the earlier parse is of exactly these bytes.
  if (decoded.payloadIsAscii) return decoded.unverifiedClaims;
  return parsePayloadBytes(Buffer.from(decoded.assertion.slice(decoded.firstDot + 1, decoded.secondDot), 'base64url'));
}

function parsePayloadBytes(payload: Uint8Array): Record<string, unknown> {
  let claims: unknown;
  try {
    claims = JSON.parse(utf8.decode(payload));
  } catch {
    throw new OAuthError('assertion_malformed', 'the assertion payload is not JSON');
  }
  if (!isPlainObject(claims)) throw new OAuthError('assertion_malformed', 'the assertion payload is not a JSON object');
  return claims;
}

/** The candidates outside the direct verifier's shapes, through jose, tried in turn. */
async function verifySignatureWithJose(assertion: string, alg: AssertionAlgorithm, candidates: readonly ClientPublicKey[]): Promise<SignatureOutcome> {
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index] as ClientPublicKey;
    const key = candidate.key as KeyObject;
    if (directVerifier(key, alg) !== undefined) continue;
    try {
      const { payload } = await compactVerify(assertion, key, { algorithms: [alg] });
      return { payload: parsePayloadBytes(payload), keyId: candidate.kid ?? `#${index}` };
    } catch (error) {
      if (error instanceof OAuthError) throw error;
      if (!(error instanceof joseErrors.JWSSignatureVerificationFailed) && !(error instanceof joseErrors.JOSEError)) throw error;
    }
  }
  throw new OAuthError('assertion_signature_invalid', `signature did not verify with ${candidates.length} candidate key(s)`);
}

/** Decodes the verified payload as before (non-fatal, BOM stripped); one decoder for every request. */
const utf8 = new TextDecoder();

/**
 * The node:crypto arguments under which `crypto.verify` runs the very job WebCrypto runs when jose
 * verifies: Node's `subtle.verify` (ECDSA, RSASSA-PKCS1-v1_5, RSA-PSS, Ed25519) and the one-shot
 * `crypto.verify` both build the same native `SignJob` from the key handle, the hash name, the
 * padding, the PSS salt length and the signature encoding — only asynchronously (thread pool)
 * instead of synchronously. These are the values jose passes (RFC 7518 §3.3–3.5, RFC 8037):
 * ECDSA in IEEE P1363 (R || S, each exactly the curve's size), RSA-PSS with a salt as long as the
 * hash, RSASSA-PKCS1-v1_5 with no padding given (OpenSSL's default, PKCS#1 v1.5), Ed25519 without
 * a hash. (Left to its default, node:crypto would accept any PSS salt length: it is set here.)
 */
interface DirectVerifier {
  readonly hash: string | null;
  readonly key: VerifyKeyObjectInput;
  /** The only signature length the algorithm can produce; any other fails, as in WebCrypto. */
  readonly signatureBytes: number | undefined;
}

const ECDSA: Readonly<Record<string, { readonly hash: string; readonly curve: string; readonly bytes: number }>> = {
  ES256: { hash: 'sha256', curve: 'prime256v1', bytes: 64 },
  ES384: { hash: 'sha384', curve: 'secp384r1', bytes: 96 },
  ES512: { hash: 'sha512', curve: 'secp521r1', bytes: 132 },
};
const RSA_HASH: Readonly<Record<string, { readonly hash: string; readonly saltLength: number }>> = {
  RS256: { hash: 'sha256', saltLength: 32 },
  RS384: { hash: 'sha384', saltLength: 48 },
  RS512: { hash: 'sha512', saltLength: 64 },
  PS256: { hash: 'sha256', saltLength: 32 },
  PS384: { hash: 'sha384', saltLength: 48 },
  PS512: { hash: 'sha512', saltLength: 64 },
};

// Per key object and alg, built once: the key set is imported once per client, so this is too.
const directVerifiers = new WeakMap<KeyObject, Map<AssertionAlgorithm, DirectVerifier | null>>();

/**
 * The direct verifier for a key that already passed `keyUnsuitableFor`, or `undefined` where
 * jose keeps the job (anything but a public key of exactly the type the alg names, e.g. an
 * `rsa-pss` key), so those keep jose's behaviour exactly.
 */
function directVerifier(key: KeyObject, alg: AssertionAlgorithm): DirectVerifier | undefined {
  let byAlg = directVerifiers.get(key);
  if (byAlg === undefined) {
    byAlg = new Map();
    directVerifiers.set(key, byAlg);
  }
  let verifier = byAlg.get(alg);
  if (verifier === undefined) {
    verifier = buildDirectVerifier(key, alg) ?? null;
    byAlg.set(alg, verifier);
  }
  return verifier ?? undefined;
}

function buildDirectVerifier(key: KeyObject, alg: AssertionAlgorithm): DirectVerifier | undefined {
  if (key.type !== 'public') return undefined;
  const type = key.asymmetricKeyType;
  const ecdsa = ECDSA[alg];
  if (ecdsa !== undefined) {
    if (type !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== ecdsa.curve) return undefined;
    return { hash: ecdsa.hash, key: { key, dsaEncoding: 'ieee-p1363' }, signatureBytes: ecdsa.bytes };
  }
  const rsa = RSA_HASH[alg];
  if (rsa !== undefined) {
    if (type !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_MODULUS_BITS) return undefined;
    return alg.startsWith('PS')
      ? { hash: rsa.hash, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: rsa.saltLength }, signatureBytes: undefined }
      : { hash: rsa.hash, key: { key }, signatureBytes: undefined };
  }
  if (alg === 'EdDSA' && type === 'ed25519') return { hash: null, key: { key }, signatureBytes: 64 };
  return undefined;
}

/**
 * jose's `compactVerify` for an assertion that `decodeCompact` and `checkHeader` already
 * accepted (three base64url segments; `alg` allow-listed and fitting the key; no `crit`, no `b64`;
 * the header a JSON object), done synchronously. What jose would still refuse is refused here too:
 * a segment of 4n+1 characters (not base64), a protected header that is not strictly UTF-8, a
 * signature of the wrong length, a signature that does not verify. `false` means "did not
 * verify", which the caller treats exactly like jose's `JWSSignatureVerificationFailed`.
 */
function verifyCompactDirect(decoded: DecodedAssertion, verifier: DirectVerifier): boolean {
  const { assertion, firstDot, secondDot } = decoded;
  if (firstDot % 4 === 1 || (secondDot - firstDot - 1) % 4 === 1 || (assertion.length - secondDot - 1) % 4 === 1) return false;
  if (!decoded.headerIsUtf8) return false;
  // The signing input is ASCII (checked by decodeAssertion): its latin1 bytes are its bytes.
  const bytes = scratchBuffer(assertion.length);
  const inputLength = bytes.write(assertion.slice(0, secondDot), 0, 'latin1');
  const signatureLength = bytes.write(assertion.slice(secondDot + 1), inputLength, 'base64url');
  if (verifier.signatureBytes !== undefined && signatureLength !== verifier.signatureBytes) return false;
  try {
    return verifyBytes(verifier.hash, bytes.subarray(0, inputLength), verifier.key, bytes.subarray(inputLength, inputLength + signatureLength));
  } catch {
    // WebCrypto rejecting is JWSSignatureVerificationFailed in jose: "did not verify".
    return false;
  }
}

function checkIssuerAndSubject(payload: Record<string, unknown>, clientId: string): void {
  // RFC 7523 §3 items 1–2 and OIDC Core §9: iss and sub are both the client_id.
  if (payload.iss !== clientId) throw new OAuthError('assertion_iss_mismatch', 'iss is not the client_id');
  if (payload.sub !== clientId) throw new OAuthError('assertion_sub_mismatch', 'sub is not the client_id');
}

function checkAudience(aud: unknown, config: AssertionVerifierConfig, policy: AudiencePolicy): AudienceShape {
  if (aud === undefined || aud === null || (Array.isArray(aud) && aud.length === 0) || aud === '') {
    throw new OAuthError('aud_missing', 'the assertion has no aud (RFC 7523 §3 item 3)');
  }
  if (Array.isArray(aud) && !aud.every((value) => typeof value === 'string')) {
    throw new OAuthError('assertion_malformed', 'aud must be a string or an array of strings');
  }
  if (typeof aud !== 'string' && !Array.isArray(aud)) throw new OAuthError('assertion_malformed', 'aud must be a string or an array of strings');

  if (policy === 'legacy') {
    const values: readonly string[] = typeof aud === 'string' ? [aud] : (aud as string[]);
    const unknown = values.find((value) => value !== config.issuer && !config.tokenEndpointUrls.includes(value));
    if (unknown !== undefined) throw new OAuthError('aud_not_issuer', 'an aud value is neither the issuer nor the token endpoint');
    const allIssuer = values.every((value) => value === config.issuer);
    const allEndpoint = values.every((value) => value !== config.issuer);
    if (typeof aud === 'string') return allIssuer ? 'issuer_string' : 'token_endpoint_string';
    return allIssuer ? 'issuer_array' : allEndpoint ? 'token_endpoint_array' : 'mixed_array';
  }
  if (typeof aud === 'string') {
    if (aud !== config.issuer) throw new OAuthError('aud_not_issuer', 'aud is not the issuer identifier');
    return 'issuer_string';
  }
  if (policy === 'fapi2') throw new OAuthError('aud_array_not_allowed', 'the fapi2 audience policy requires aud to be a string');
  if (aud.length !== 1) throw new OAuthError('aud_multiple_values', `aud has ${aud.length} values; only the issuer identifier is allowed`);
  if (aud[0] !== config.issuer) throw new OAuthError('aud_not_issuer', 'aud is not the issuer identifier');
  return 'issuer_array';
}

/** RFC 7519 NumericDate: a JSON number of seconds. */
function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function checkTimes(payload: Record<string, unknown>, config: AssertionVerifierConfig, now: number): number {
  const tolerance = config.clockToleranceSeconds;
  const { exp, iat, nbf } = payload;
  if (exp === undefined) throw new OAuthError('exp_missing', 'the assertion has no exp (RFC 7523 §3 item 4)');
  if (!isNumericDate(exp)) throw new OAuthError('exp_invalid', 'exp is not a NumericDate');
  if (now > exp + tolerance) throw new OAuthError('assertion_expired', `expired ${Math.round(now - exp)} s ago`);
  if (iat !== undefined) {
    if (!isNumericDate(iat)) throw new OAuthError('iat_invalid', 'iat is not a NumericDate');
    if (iat > now + tolerance) throw new OAuthError('iat_in_future', `iat is ${Math.round(iat - now)} s in the future`);
  }
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) throw new OAuthError('nbf_invalid', 'nbf is not a NumericDate');
    if (nbf > now + tolerance) throw new OAuthError('nbf_in_future', `nbf is ${Math.round(nbf - now)} s in the future`);
  }
  // The lifetime cap bounds how long a jti must be remembered, and so the replay window.
  const lifetime = exp - (iat ?? now);
  if (lifetime > config.maxLifetimeSeconds) {
    throw new OAuthError('lifetime_too_long', `lifetime of ${Math.round(lifetime)} s exceeds the ${config.maxLifetimeSeconds} s cap`);
  }
  return exp;
}
