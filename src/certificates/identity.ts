import { LruCache } from '../util/lru.js';
import type { ParsedCertificate } from './certificate.js';
import { distinguishedNameMatchKey, parseRfc4514 } from './distinguished-name.js';
import { type SanKind, compileSanMatcher } from './subject-alt-name.js';

/**
 * RFC 8705 §2.1.2 client metadata members naming the expected certificate identity. Same
 * strings as `TlsClientAuthField` in `clients/metadata.ts` (certificates/ sits below clients/
 * in the import order, so it cannot import it).
 */
export type TlsIdentityField =
  | 'tls_client_auth_subject_dn'
  | 'tls_client_auth_san_dns'
  | 'tls_client_auth_san_uri'
  | 'tls_client_auth_san_ip'
  | 'tls_client_auth_san_email';

/** True when the leaf certificate carries the identity the client registered. */
export type TlsIdentityMatcher = (leaf: ParsedCertificate) => boolean;

const SAN_KINDS: ReadonlyMap<TlsIdentityField, SanKind> = new Map([
  ['tls_client_auth_san_dns', 'dns'],
  ['tls_client_auth_san_uri', 'uri'],
  ['tls_client_auth_san_ip', 'ip'],
  ['tls_client_auth_san_email', 'email'],
]);

// Compiled matchers by field and value: a registry that rebuilds client objects, or a caller that
// compiles lazily per request, still parses each registered DN or IP once.
const compiled = new LruCache<string, TlsIdentityMatcher>(1_000);

/**
 * Compiles the RFC 8705 §2.1.2 identity check for one client: the registered value is parsed
 * and validated once, and the returned function only compares.
 *
 * - `tls_client_auth_subject_dn`: the registered RFC 4514 string and the leaf's DER subject are
 *   compared structurally with RFC 4517 distinguishedNameMatch (`distinguishedNameMatch`): same
 *   RDNs in the same order, case- and space-insensitive values. The empty DN is refused (it
 *   would match certificates that have no subject).
 * - `tls_client_auth_san_*`: see `compileSanMatcher` — DNS case-insensitive without wildcard
 *   expansion, URI and email exact, IP as octets.
 *
 * Only the leaf is compared; the chain (RFC 8705 §2.1) is `createCertificateVerifier`'s job.
 *
 * @throws Error when the registered value is invalid (the caller reports it as client-metadata
 *   configuration error); TypeError for an unknown field.
 * @example
 * const matches = compileTlsIdentityMatcher('tls_client_auth_subject_dn', 'CN=client-1,O=Example,C=DE');
 * if (!matches(leaf)) throw new OAuthError(tlsIdentityMismatchReason('tls_client_auth_subject_dn'));
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2.1.2
 */
export function compileTlsIdentityMatcher(field: TlsIdentityField, registeredValue: string): TlsIdentityMatcher {
  const cacheKey = `${field}\u0000${registeredValue}`;
  const cached = compiled.get(cacheKey);
  if (cached) return cached;
  const matcher = compile(field, registeredValue);
  compiled.set(cacheKey, matcher);
  return matcher;
}

function compile(field: TlsIdentityField, registeredValue: string): TlsIdentityMatcher {
  if (typeof registeredValue !== 'string' || registeredValue.length === 0) {
    throw new Error(`${field} must be a non-empty string`);
  }
  if (field === 'tls_client_auth_subject_dn') {
    const registered = parseRfc4514(registeredValue);
    if (registered.rdns.length === 0) {
      throw new Error(`${field} is the empty DN, which would match certificates without a subject; register a non-empty DN`);
    }
    const key = distinguishedNameMatchKey(registered);
    if (key === undefined) {
      throw new Error(`${field} contains a character RFC 4518 §2.4 prohibits (private use, non-character or U+FFFD); it can match nothing`);
    }
    return (leaf) => distinguishedNameMatchKey(leaf.subject) === key;
  }
  const kind = SAN_KINDS.get(field);
  if (kind === undefined) throw new TypeError(`unknown tls_client_auth identity field ${JSON.stringify(field)}`);
  let matchesSans: ReturnType<typeof compileSanMatcher>;
  try {
    matchesSans = compileSanMatcher(kind, registeredValue);
  } catch (cause) {
    throw new Error(`${field}: ${(cause as Error).message}`);
  }
  return (leaf) => matchesSans(leaf.subjectAltNames);
}

/**
 * The reason code for a failed identity match of `field`: `cert_subject_mismatch` for the
 * subject DN, `cert_san_mismatch` for every SAN kind.
 *
 * @example
 * tlsIdentityMismatchReason('tls_client_auth_san_ip'); // 'cert_san_mismatch'
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2.1.2
 */
export function tlsIdentityMismatchReason(field: TlsIdentityField): 'cert_subject_mismatch' | 'cert_san_mismatch' {
  return field === 'tls_client_auth_subject_dn' ? 'cert_subject_mismatch' : 'cert_san_mismatch';
}
