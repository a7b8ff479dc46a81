import type { X509Certificate } from 'node:crypto';
import { OAuthError, invalidOption } from '../errors/errors.js';
import type { ReasonCode } from '../errors/reasons.js';
import { sameElements } from '../util/arrays.js';
import { LruCache } from '../util/lru.js';
import { type ParsedCertificate, parseCertificate, parsePemBundle } from './certificate.js';
import { distinguishedNameMatchKey, formatRfc4514 } from './distinguished-name.js';

/** A certification path that validated to a trust anchor. Frozen; the same object is returned from the cache. */
export interface VerifiedChain {
  readonly leaf: ParsedCertificate;
  /** leaf → … → trust anchor (the anchor is the last element). */
  readonly path: readonly ParsedCertificate[];
  readonly anchor: ParsedCertificate;
  /** RFC 8705 §7.4 pinning input: base64url SHA-256 of the SPKI of the certificate that issued the leaf. */
  readonly issuerSpkiSha256: string;
}

export interface CertificateVerifier {
  /**
   * Validates `leaf` to a configured trust anchor at time `atMs` (epoch ms).
   *
   * @param intermediates certificates the client sent after the leaf, in any order; unrelated
   *   ones are ignored, at most 8 are accepted.
   * @throws OAuthError `certificate_untrusted`, `certificate_expired`, `certificate_not_yet_valid`,
   *   `certificate_chain_invalid` or `certificate_usage_invalid`.
   */
  verify(leaf: ParsedCertificate, intermediates: readonly ParsedCertificate[], atMs: number): VerifiedChain;
}

export interface CertificateVerifierOptions {
  /** One PEM bundle, or a list of certificates (each a PEM string — possibly a bundle —, DER bytes or an X509Certificate). */
  readonly trustAnchors: string | readonly (string | Uint8Array | X509Certificate)[];
  /** Chain decisions kept, keyed by leaf + intermediates (default 10,000). */
  readonly cacheSize?: number;
}

/** RFC 5280 §4.2.1.12 anyExtendedKeyUsage and id-kp-clientAuth. */
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * Critical extensions this validator processes or may safely ignore under its fixed policy
 * (any policy acceptable, no explicit policy required). RFC 5280 §4.2: a certificate with any
 * other critical extension MUST be rejected — name constraints and policy constraints among
 * them, because we do not enforce them.
 */
const UNDERSTOOD_CRITICAL_EXTENSIONS: ReadonlySet<string> = new Set([
  '2.5.29.19', // basicConstraints
  '2.5.29.15', // keyUsage
  '2.5.29.37', // extKeyUsage
  '2.5.29.17', // subjectAltName (critical when the subject is empty, RFC 5280 §4.2.1.6)
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.32', // certificatePolicies
]);

/** Signatures made with MD2, MD5 or SHA-1 are forgeable or close to it; refused below the anchor. */
const WEAK_SIGNATURE_ALGORITHMS: ReadonlySet<string> = new Set([
  '1.2.840.113549.1.1.2', // md2WithRSAEncryption
  '1.2.840.113549.1.1.4', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.3.14.3.2.29', // sha1WithRSASignature (OIW)
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
  '1.2.840.10040.4.3', // dsa-with-sha1
]);
const MIN_RSA_MODULUS_BITS = 2048;

const MAX_INTERMEDIATES = 8;
/** Leaf + intermediates + anchor. */
const MAX_PATH_LENGTH = MAX_INTERMEDIATES + 2;
/** Signature checks allowed while building paths for one (uncached) chain. */
const MAX_SIGNATURE_CHECKS = 64;
/**
 * Search steps allowed for one chain. Signature results are memoised, so certificates that all
 * sign one another could otherwise make the search walk every ordering of them (8! paths).
 */
const MAX_SEARCH_STEPS = 1_000;
/** Valid paths remembered per chain, so a renewed or cross-signed CA can take over when one expires. */
const MAX_PATHS = 4;
const DEFAULT_CACHE_SIZE = 10_000;

/** A path that passed every check but time: the time verdict is recomputed on each call. */
interface TimedPath {
  readonly chain: VerifiedChain;
  /** The path's validity window: the latest notBefore and the earliest notAfter of its certificates. */
  readonly notBefore: number;
  readonly notAfter: number;
}

type Decision =
  | { readonly ok: true; readonly paths: readonly TimedPath[] }
  | { readonly ok: false; readonly reason: ReasonCode; readonly detail: string };

interface Failure {
  readonly reason: ReasonCode;
  readonly detail: string;
}

/**
 * Creates the RFC 8705 §2.1 / RFC 5280 §6 path validator for `tls_client_auth`.
 *
 * A path is built from the leaf through the intermediates the client sent (any order, unrelated
 * ones ignored, at most 8) to one of `trustAnchors`, each link checked by name, by signature
 * (`X509Certificate#verify`) and by OpenSSL's `checkIssued` (authority key identifier). On the
 * path:
 *
 * - every issuer, the anchor included, has basicConstraints cA=TRUE, keyCertSign when keyUsage
 *   is present, and a pathLenConstraint not exceeded by the non-self-issued intermediates below
 *   it → otherwise `certificate_chain_invalid`;
 * - no certificate below the anchor has an unsupported critical extension (RFC 5280 §4.2), an
 *   MD5/SHA-1 signature or an RSA key under 2048 bits → otherwise `certificate_chain_invalid`;
 * - the leaf is not a CA, has digitalSignature when keyUsage is present (TLS CertificateVerify
 *   is a signature), and has clientAuth or anyExtendedKeyUsage when extKeyUsage is present →
 *   otherwise `certificate_usage_invalid`. Decision: a CA certificate is never accepted as a
 *   client certificate, so a sub-CA's identity can never stand in for a client's;
 * - every certificate, anchor included, is within its validity at `atMs` → otherwise
 *   `certificate_expired` / `certificate_not_yet_valid` (the first offending certificate from
 *   the leaf up decides).
 *
 * No path gives `certificate_untrusted` — unless some link chained by name and its signature
 * did not verify (an impostor CA with the anchor's name, a tampered certificate), which gives
 * `certificate_chain_invalid`. Structural checks run before the time check, so an expired
 * certificate on an otherwise broken chain reports the broken chain.
 *
 * Decisions are cached in a bounded LRU keyed by the thumbprints of the leaf and intermediates;
 * the cache stores the path and its validity window, never a time verdict, so expiry is
 * re-checked against `atMs` on every call.
 *
 * Not done (left to the deployment): revocation (CRL/OCSP), name constraints (a critical
 * nameConstraints extension is refused, never ignored), policy processing.
 *
 * @throws ConfigurationError at construction when an anchor is not a usable CA certificate.
 * @example
 * const verifier = createCertificateVerifier({ trustAnchors: readFileSync('clients-ca.pem', 'utf8') });
 * const chain = verifier.verify(leaf, intermediates, Date.now());
 * checkIssuerPin(chain, client.issuerSpkiPins);
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-6.1
 */
export function createCertificateVerifier(options: CertificateVerifierOptions): CertificateVerifier {
  const anchors = resolveTrustAnchors(options.trustAnchors);
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 1) {
    throw invalidOption('cacheSize', `must be a positive integer (got ${String(cacheSize)})`);
  }
  const anchorsBySubject = new Map<string, ParsedCertificate[]>();
  const anchorThumbprints = new Set<string>();
  for (const anchor of anchors) {
    anchorThumbprints.add(anchor.thumbprintS256);
    const key = distinguishedNameMatchKey(anchor.subject) as string; // checked in resolveTrustAnchors
    const list = anchorsBySubject.get(key);
    if (list) list.push(anchor);
    else anchorsBySubject.set(key, [anchor]);
  }
  const decisions = new LruCache<string, Decision>(cacheSize);
  // The last decision per leaf object, with the intermediates it was made for: a keep-alive
  // connection presents the same parsed objects on every request, and this spares the cache key
  // (sort, join) and the LRU lookup. Lives as long as the parsed leaf does (their caches bound it).
  const lastDecisionByLeaf = new WeakMap<ParsedCertificate, { readonly intermediates: readonly ParsedCertificate[]; readonly decision: Decision }>();

  function decide(leaf: ParsedCertificate, intermediates: readonly ParsedCertificate[]): Decision {
    const paths = buildPaths(leaf, intermediates, anchorsBySubject);
    if ('reason' in paths) return { ok: false, ...paths };
    if (paths.length === 0) {
      return {
        ok: false,
        reason: 'certificate_untrusted',
        detail: `no path from ${describe(leaf)} (issuer ${formatRfc4514(leaf.issuer)}) to a configured trust anchor`,
      };
    }
    const valid: TimedPath[] = [];
    let firstFailure: Failure | undefined;
    for (const path of paths) {
      const failure = checkPath(path);
      if (failure) firstFailure ??= failure;
      else valid.push(timedPath(path));
    }
    if (valid.length === 0) return { ok: false, ...(firstFailure as Failure) };
    return { ok: true, paths: valid };
  }

  function decideCached(leaf: ParsedCertificate, intermediates: readonly ParsedCertificate[]): Decision {
    // Sorted and de-duplicated so that the order the client sent does not change the cache
    // key or the search; copies of the leaf or of an anchor are dropped (anchors are found
    // as anchors).
    const unique = new Map<string, ParsedCertificate>();
    for (const certificate of intermediates) {
      const thumbprint = certificate.thumbprintS256;
      if (thumbprint !== leaf.thumbprintS256 && !anchorThumbprints.has(thumbprint)) unique.set(thumbprint, certificate);
    }
    const sorted = [...unique.keys()].sort();
    const cacheKey = `${leaf.thumbprintS256}|${sorted.join(',')}`;
    let decision = decisions.get(cacheKey);
    if (!decision) {
      decision = decide(
        leaf,
        sorted.map((thumbprint) => unique.get(thumbprint) as ParsedCertificate),
      );
      decisions.set(cacheKey, decision);
    }
    return decision;
  }

  return Object.freeze({
    verify(leaf: ParsedCertificate, intermediates: readonly ParsedCertificate[], atMs: number): VerifiedChain {
      if (!Number.isFinite(atMs)) throw new TypeError('verify: atMs must be a finite epoch time in milliseconds');
      if (intermediates.length > MAX_INTERMEDIATES) {
        throw new OAuthError('certificate_chain_invalid', `${intermediates.length} intermediate certificates sent; at most ${MAX_INTERMEDIATES} are accepted`);
      }
      const last = lastDecisionByLeaf.get(leaf);
      let decision = last !== undefined && sameElements(last.intermediates, intermediates) ? last.decision : undefined;
      if (decision === undefined) {
        decision = decideCached(leaf, intermediates);
        lastDecisionByLeaf.set(leaf, { intermediates: [...intermediates], decision });
      }
      if (!decision.ok) throw new OAuthError(decision.reason, decision.detail);
      for (const candidate of decision.paths) {
        if (atMs >= candidate.notBefore && atMs <= candidate.notAfter) return candidate.chain;
      }
      throw timeFailure((decision.paths[0] as TimedPath).chain.path, atMs);
    },
  });
}

function resolveTrustAnchors(input: CertificateVerifierOptions['trustAnchors']): ParsedCertificate[] {
  const entries = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw invalidOption('trustAnchors', 'must be a PEM bundle or a non-empty list of CA certificates');
  }
  const anchors = new Map<string, ParsedCertificate>();
  entries.forEach((entry: unknown, index: number) => {
    const field = typeof input === 'string' ? 'trustAnchors' : `trustAnchors[${index}]`;
    let parsed: ParsedCertificate[];
    try {
      parsed = typeof entry === 'string' ? parsePemBundle(entry) : [parseCertificate(entry as Uint8Array | X509Certificate)];
    } catch (cause) {
      const detail = cause instanceof OAuthError ? cause.detail : undefined;
      throw invalidOption(field, `is not a certificate or PEM bundle${detail ? ` (${detail})` : ''}`);
    }
    for (const anchor of parsed) {
      const where = `${field} (${formatRfc4514(anchor.subject)})`;
      if (anchor.basicConstraints?.ca !== true) {
        throw invalidOption(where, 'is not a CA certificate (basicConstraints cA is not TRUE); configure the CA that issues client certificates');
      }
      if (anchor.keyUsage && !anchor.keyUsage.keyCertSign) throw invalidOption(where, 'has keyUsage without keyCertSign: it cannot issue certificates');
      const unsupported = anchor.criticalExtensions.find((oid) => !UNDERSTOOD_CRITICAL_EXTENSIONS.has(oid));
      if (unsupported) {
        throw invalidOption(where, `has the critical extension ${unsupported}, which this library does not enforce (RFC 5280 §4.2); refusing to ignore it`);
      }
      if (distinguishedNameMatchKey(anchor.subject) === undefined) throw invalidOption(where, 'has a subject name that can match no issuer name');
      const weakKey = rsaKeyTooSmall(anchor);
      if (weakKey) throw invalidOption(where, weakKey);
      anchors.set(anchor.thumbprintS256, anchor);
    }
  });
  return [...anchors.values()];
}

/**
 * Depth-first search for paths leaf → anchor, anchors tried before intermediates at each step.
 * Links are tried on name first (cheap), then signature; signature results are memoised per
 * pair, and both signature checks and search steps are capped, so crafted certificates that all
 * share one name cannot make the search explode.
 */
function buildPaths(
  leaf: ParsedCertificate,
  intermediates: readonly ParsedCertificate[],
  anchorsBySubject: ReadonlyMap<string, readonly ParsedCertificate[]>,
): ParsedCertificate[][] | Failure {
  const intermediatesBySubject = new Map<string, ParsedCertificate[]>();
  for (const certificate of intermediates) {
    const key = distinguishedNameMatchKey(certificate.subject);
    if (key === undefined) continue;
    const list = intermediatesBySubject.get(key);
    if (list) list.push(certificate);
    else intermediatesBySubject.set(key, [certificate]);
  }
  const signatureResults = new Map<string, boolean>();
  let signatureChecks = 0;
  // The first link whose names chain but whose signature does not verify: when no path is found,
  // this is reported as a broken chain rather than as an unknown issuer.
  let badSignature: string | undefined;
  const signedBy = (child: ParsedCertificate, issuer: ParsedCertificate): boolean => {
    const key = `${child.thumbprintS256}>${issuer.thumbprintS256}`;
    let result = signatureResults.get(key);
    if (result === undefined) {
      if (++signatureChecks > MAX_SIGNATURE_CHECKS) throw new BudgetExceeded();
      result = verifySignature(child.x509, issuer);
      signatureResults.set(key, result);
      badSignature ??= result ? undefined : `the signature of ${describe(child)} does not verify with the key of its issuer ${describe(issuer)}`;
    }
    return result;
  };

  const found: ParsedCertificate[][] = [];
  const path: ParsedCertificate[] = [leaf];
  const onPath = new Set<string>([leaf.thumbprintS256]);
  let steps = 0;
  const extend = (certificate: ParsedCertificate): void => {
    if (++steps > MAX_SEARCH_STEPS) throw new BudgetExceeded();
    const issuerKey = distinguishedNameMatchKey(certificate.issuer);
    if (issuerKey === undefined) return;
    for (const anchor of anchorsBySubject.get(issuerKey) ?? []) {
      if (found.length >= MAX_PATHS) return;
      if (!onPath.has(anchor.thumbprintS256) && signedBy(certificate, anchor)) found.push([...path, anchor]);
    }
    // Room for one more intermediate and the anchor above it.
    if (path.length + 2 > MAX_PATH_LENGTH) return;
    for (const issuer of intermediatesBySubject.get(issuerKey) ?? []) {
      if (found.length >= MAX_PATHS) return;
      if (onPath.has(issuer.thumbprintS256) || !signedBy(certificate, issuer)) continue;
      path.push(issuer);
      onPath.add(issuer.thumbprintS256);
      extend(issuer);
      path.pop();
      onPath.delete(issuer.thumbprintS256);
    }
  };
  try {
    extend(leaf);
  } catch (cause) {
    if (!(cause instanceof BudgetExceeded)) throw cause;
    if (found.length === 0) {
      return { reason: 'certificate_chain_invalid', detail: 'path building gave up: too many candidate issuers' };
    }
  }
  if (found.length === 0 && badSignature !== undefined) return { reason: 'certificate_chain_invalid', detail: badSignature };
  return found;
}

class BudgetExceeded extends Error {}

function verifySignature(child: X509Certificate, issuer: ParsedCertificate): boolean {
  try {
    return child.verify(issuer.publicKey);
  } catch {
    // An unsupported or broken key is a missing link, not a crash.
    return false;
  }
}

/** Everything except time, for one candidate path. */
function checkPath(path: readonly ParsedCertificate[]): Failure | undefined {
  const leaf = path[0] as ParsedCertificate;
  const last = path.length - 1;
  // Non-self-issued intermediates seen so far, for pathLenConstraint (RFC 5280 §6.1.4 (l)/(m)).
  let intermediatesBelow = 0;
  for (let index = 0; index <= last; index++) {
    const certificate = path[index] as ParsedCertificate;
    const role = index === 0 ? 'the client certificate' : index === last ? 'the trust anchor' : 'intermediate CA certificate';
    if (index < last) {
      // The anchor was vetted at construction and its self-signature is not relied upon.
      const unsupported = certificate.criticalExtensions.find((oid) => !UNDERSTOOD_CRITICAL_EXTENSIONS.has(oid));
      if (unsupported) return chainInvalid(`${role} ${describe(certificate)} has the unsupported critical extension ${unsupported} (RFC 5280 §4.2)`);
      if (WEAK_SIGNATURE_ALGORITHMS.has(certificate.signatureAlgorithm)) {
        return chainInvalid(`${role} ${describe(certificate)} is signed with the weak algorithm ${certificate.signatureAlgorithm}`);
      }
      const weakKey = rsaKeyTooSmall(certificate);
      if (weakKey) return chainInvalid(`${role} ${describe(certificate)} ${weakKey}`);
    }
    if (index === 0) continue;
    // RFC 5280 §6.1.4 (k): the issuer must be a CA.
    if (certificate.basicConstraints?.ca !== true) {
      return chainInvalid(`${role} ${describe(certificate)} issued a certificate but is not a CA (basicConstraints cA is not TRUE)`);
    }
    // RFC 5280 §6.1.4 (n): keyCertSign when keyUsage is present.
    if (certificate.keyUsage && !certificate.keyUsage.keyCertSign) {
      return chainInvalid(`${role} ${describe(certificate)} has keyUsage without keyCertSign`);
    }
    // RFC 5280 §4.2.1.9: pathLenConstraint counts the non-self-issued intermediates below it.
    const pathLength = certificate.basicConstraints.pathLength;
    if (pathLength !== undefined && intermediatesBelow > pathLength) {
      return chainInvalid(
        `${role} ${describe(certificate)} allows ${pathLength} intermediate CA certificate(s) below it (pathLenConstraint) but the path has ${intermediatesBelow}`,
      );
    }
    // OpenSSL's X509_check_issued: name chaining and authority/subject key identifiers.
    if (!(path[index - 1] as ParsedCertificate).x509.checkIssued(certificate.x509)) {
      return chainInvalid(`${describe(path[index - 1] as ParsedCertificate)} does not chain to ${describe(certificate)} (authority key identifier mismatch)`);
    }
    if (index < last && !certificate.selfIssued) intermediatesBelow++;
  }

  // RFC 8705 §2.1: the leaf authenticates a client in a TLS handshake.
  if (leaf.basicConstraints?.ca === true) {
    return usageInvalid(`the client certificate ${describe(leaf)} is a CA certificate; issue a dedicated end-entity certificate`);
  }
  if (leaf.keyUsage && !leaf.keyUsage.digitalSignature) {
    return usageInvalid(`the client certificate ${describe(leaf)} has keyUsage without digitalSignature (RFC 5280 §4.2.1.3)`);
  }
  const eku = leaf.extendedKeyUsage;
  if (eku && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EXTENDED_KEY_USAGE)) {
    return usageInvalid(`the client certificate ${describe(leaf)} has extKeyUsage without clientAuth (RFC 5280 §4.2.1.12)`);
  }
  return undefined;
}

function timedPath(path: readonly ParsedCertificate[]): TimedPath {
  let notBefore = -Infinity;
  let notAfter = Infinity;
  for (const certificate of path) {
    notBefore = Math.max(notBefore, certificate.notBefore);
    notAfter = Math.min(notAfter, certificate.notAfter);
  }
  const chain: VerifiedChain = Object.freeze({
    leaf: path[0] as ParsedCertificate,
    path: Object.freeze([...path]),
    anchor: path[path.length - 1] as ParsedCertificate,
    issuerSpkiSha256: (path[1] as ParsedCertificate).spkiSha256,
  });
  return Object.freeze({ chain, notBefore, notAfter });
}

/** RFC 5280 §4.1.2.5: valid from notBefore through notAfter, both inclusive. */
function timeFailure(path: readonly ParsedCertificate[], atMs: number): OAuthError {
  for (let index = 0; index < path.length; index++) {
    const certificate = path[index] as ParsedCertificate;
    const role = index === 0 ? 'the client certificate' : index === path.length - 1 ? 'the trust anchor' : 'intermediate CA certificate';
    if (atMs < certificate.notBefore) {
      return new OAuthError('certificate_not_yet_valid', `${role} ${describe(certificate)} is not valid before ${new Date(certificate.notBefore).toISOString()}`);
    }
    if (atMs > certificate.notAfter) {
      return new OAuthError('certificate_expired', `${role} ${describe(certificate)} expired at ${new Date(certificate.notAfter).toISOString()}`);
    }
  }
  // Unreachable: the path's window excludes atMs, so one certificate's validity does.
  return new OAuthError('certificate_expired', 'the certificate path is not valid at this time');
}

function rsaKeyTooSmall(certificate: ParsedCertificate): string | undefined {
  const details = certificate.publicKey.asymmetricKeyDetails;
  const bits = details?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_MODULUS_BITS) return `has a ${bits}-bit RSA key; at least ${MIN_RSA_MODULUS_BITS} bits are required`;
  return undefined;
}

function describe(certificate: ParsedCertificate): string {
  return `"${formatRfc4514(certificate.subject)}" (x5t#S256 ${certificate.thumbprintS256})`;
}

function chainInvalid(detail: string): Failure {
  return { reason: 'certificate_chain_invalid', detail };
}

function usageInvalid(detail: string): Failure {
  return { reason: 'certificate_usage_invalid', detail };
}

/**
 * RFC 8705 §7.4 (our `tls_client_auth_issuer_spki_sha256` extension): when pins are registered,
 * the key of the CA that issued the leaf must be one of them — so that a client's identity
 * cannot be asserted by another CA that is also a trust anchor. No pins: no check.
 *
 * @throws OAuthError `certificate_issuer_pin_mismatch`
 * @example
 * checkIssuerPin(chain, ['n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg']);
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-7.4
 */
export function checkIssuerPin(chain: VerifiedChain, pins: readonly string[]): void {
  if (pins.length === 0 || pins.includes(chain.issuerSpkiSha256)) return;
  throw new OAuthError(
    'certificate_issuer_pin_mismatch',
    `the client certificate was issued by ${describe(chain.path[1] as ParsedCertificate)} whose SPKI SHA-256 ${chain.issuerSpkiSha256} is not among the client's pins`,
  );
}
