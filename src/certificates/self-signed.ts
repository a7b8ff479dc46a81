import { sha256Text } from '../util/encoding.js';
import type { ParsedCertificate } from './certificate.js';

/** The part of a JWK this check reads; jose's `JWK` fits. */
export interface JwkWithCertificateChain {
  readonly x5c?: readonly string[] | undefined;
}

export interface JwkSetWithCertificates {
  readonly keys: readonly JwkWithCertificateChain[];
}

// RFC 7517 §4.7: x5c entries are base64 (not base64url) DER, no line breaks.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Same cap as parseCertificate's DER limit, in base64 characters.
const MAX_X5C_CHARS = Math.ceil((64 * 1024 * 4) / 3) + 4;

// x5t#S256 of every key's x5c[0], per JWK Set object. A registry that returns the same (frozen)
// set on each request hashes its certificates once; a fetched jwks_uri document is a new object
// and is hashed once per fetch.
const thumbprintsBySet = new WeakMap<JwkSetWithCertificates, ReadonlySet<string>>();

/**
 * RFC 8705 §2.2 `self_signed_tls_client_auth`: true when the presented certificate is one the
 * client registered, i.e. its SHA-256 thumbprint equals that of the `x5c[0]` of any key in the
 * client's JWK Set. Entries that are not valid base64 are ignored.
 *
 * Deliberately not checked here (the caller decides): the certificate's validity period — RFC
 * 8705 §2.2 does not make expiry part of the match — and any chain. The JWK Set is treated as
 * immutable (results are cached per object).
 *
 * @example
 * if (!certificateMatchesJwks(cert, client.jwks)) throw new OAuthError('self_signed_certificate_mismatch');
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2.2
 */
export function certificateMatchesJwks(cert: ParsedCertificate, jwks: JwkSetWithCertificates): boolean {
  let thumbprints = thumbprintsBySet.get(jwks);
  if (!thumbprints) {
    thumbprints = registeredThumbprints(jwks);
    thumbprintsBySet.set(jwks, thumbprints);
  }
  return thumbprints.has(cert.thumbprintS256);
}

function registeredThumbprints(jwks: JwkSetWithCertificates): ReadonlySet<string> {
  const thumbprints = new Set<string>();
  // Runtime checks: a jwks_uri document is untrusted JSON whatever its static type says.
  if (!Array.isArray(jwks?.keys)) return thumbprints;
  for (const key of jwks.keys as readonly unknown[]) {
    const x5c = (key as JwkWithCertificateChain | null)?.x5c;
    const first: unknown = Array.isArray(x5c) ? x5c[0] : undefined;
    if (typeof first !== 'string' || first.length === 0 || first.length > MAX_X5C_CHARS || !BASE64.test(first)) continue;
    thumbprints.add(sha256Text(Buffer.from(first, 'base64'), 'base64url'));
  }
  return thumbprints;
}
