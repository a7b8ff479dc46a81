import { type KeyObject, X509Certificate } from 'node:crypto';
import { OAuthError } from '../errors/errors.js';
import { base64url, sha256 } from '../util/encoding.js';
import { LruCache } from '../util/lru.js';
import {
  type AttributeTypeAndValue,
  type DistinguishedName,
  decodeAttributeValue,
  distinguishedNameMatch,
  freezeDistinguishedName,
} from './distinguished-name.js';
import type { SubjectAltNames } from './subject-alt-name.js';

/** RFC 5280 §4.2.1.3 key usage bits, named as in the RFC. */
export interface KeyUsage {
  readonly digitalSignature: boolean;
  /** Renamed contentCommitment in X.509 (2008). */
  readonly nonRepudiation: boolean;
  readonly keyEncipherment: boolean;
  readonly dataEncipherment: boolean;
  readonly keyAgreement: boolean;
  readonly keyCertSign: boolean;
  readonly cRLSign: boolean;
  readonly encipherOnly: boolean;
  readonly decipherOnly: boolean;
}

/** RFC 5280 §4.2.1.9 basic constraints. */
export interface BasicConstraints {
  readonly ca: boolean;
  /** pathLenConstraint: how many non-self-issued intermediates may follow this CA. */
  readonly pathLength?: number;
}

/**
 * A certificate decoded once from its DER, with everything RFC 8705 needs precomputed. Frozen;
 * the `der` and `ip` buffers are shared with the cache and must not be mutated.
 */
export interface ParsedCertificate {
  /** The exact DER bytes (a private copy of the input). */
  readonly der: Buffer;
  /** Node's view of the same certificate, for signature checks (`verify`, `checkIssued`). */
  readonly x509: X509Certificate;
  /**
   * The subject public key, decoded once. Parsing fails when OpenSSL cannot decode it (invalid
   * point, unsupported algorithm): such a certificate could never prove possession of its key.
   */
  readonly publicKey: KeyObject;
  /** RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the DER. */
  readonly thumbprintS256: string;
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  readonly subjectAltNames: SubjectAltNames;
  /** base64url SHA-256 of the DER SubjectPublicKeyInfo, exactly as encoded in the certificate. */
  readonly spkiSha256: string;
  /** Validity as epoch milliseconds (RFC 5280 §4.1.2.5: both bounds inclusive). */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly basicConstraints: BasicConstraints | undefined;
  readonly keyUsage: KeyUsage | undefined;
  /** RFC 5280 §4.2.1.12 KeyPurposeId OIDs, `undefined` when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** RFC 5280 §6.1: issuer and subject names match (distinguishedNameMatch). */
  readonly selfIssued: boolean;
  /** OID of `Certificate.signatureAlgorithm`. */
  readonly signatureAlgorithm: string;
  /** OIDs of the extensions marked critical; a path validator must understand each (RFC 5280 §4.2). */
  readonly criticalExtensions: readonly string[];
}

/** Input accepted wherever a certificate is expected: DER bytes, one PEM block, or a Node certificate. */
export type CertificateInput = Uint8Array | string | X509Certificate;

/** Far above any real client certificate; a cap on work an attacker can make us do. */
export const MAX_CERTIFICATE_DER_BYTES = 64 * 1024;
// Base64 of the DER (4/3) with line breaks and the BEGIN/END lines.
const MAX_PEM_CHARS = Math.ceil((MAX_CERTIFICATE_DER_BYTES * 4) / 3) + 4096;
const MAX_BUNDLE_CHARS = 8 * 1024 * 1024;
const DEFAULT_MAX_BUNDLE_CERTIFICATES = 1000;

const DEFAULT_CACHE_SIZE = 10_000;
// Keyed by the x5t#S256 thumbprint, so equal DER (from any source) is decoded once. Failures are
// not cached: garbage would evict good entries and costs no more to refuse again.
const cache = new LruCache<string, ParsedCertificate>(DEFAULT_CACHE_SIZE);

/**
 * Decodes a certificate: DER bytes, a string holding exactly one PEM `CERTIFICATE` block, or a
 * Node `X509Certificate`. Results are cached by SHA-256 of the DER in a bounded LRU (10,000).
 *
 * Validated here: strict DER structure of the certificate, TBSCertificate, names, validity and
 * the extensions we read (basicConstraints, keyUsage, extKeyUsage, subjectAltName); no
 * duplicate extensions (RFC 5280 §4.2); matching inner and outer signature algorithms (RFC 5280
 * §4.1.1.2); and OpenSSL accepts the same bytes. Left to the caller: validity at a given time,
 * the chain (`createCertificateVerifier`), identity (`compileTlsIdentityMatcher`).
 *
 * Hostile input is bounded: at most 64 KiB of DER, a fixed decoding depth (no generic ASN.1
 * recursion), and every failure — including ones inside OpenSSL — becomes
 * `OAuthError('certificate_malformed')`.
 *
 * @throws OAuthError `certificate_malformed`
 * @example
 * const cert = parseCertificate(pem);
 * cert.thumbprintS256; // RFC 8705 §3.1 x5t#S256
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1
 */
export function parseCertificate(input: CertificateInput): ParsedCertificate {
  if (input instanceof X509Certificate) return parseDer(input.raw, input);
  if (typeof input === 'string') {
    if (input.length > MAX_PEM_CHARS) throw malformed(`PEM input of ${input.length} characters exceeds the limit`);
    const blocks = pemCertificateBlocks(input, 2);
    if (blocks.length !== 1) {
      throw malformed(blocks.length === 0 ? 'no PEM CERTIFICATE block found' : 'more than one PEM CERTIFICATE block; use parsePemBundle');
    }
    return parseDer(blocks[0] as Buffer, undefined);
  }
  if (input instanceof Uint8Array) return parseDer(input, undefined);
  throw malformed('expected DER bytes, a PEM string or an X509Certificate');
}

/**
 * Decodes every `-----BEGIN CERTIFICATE-----` block of a PEM text (RFC 7468 §5), in order.
 * Text between blocks (comments in CA bundles, `openssl x509 -text` output) is ignored.
 *
 * @throws OAuthError `certificate_malformed` when any block is bad, none is present, or the
 *   text or the number of blocks exceeds its limit (default 1,000 certificates).
 * @example
 * const anchors = parsePemBundle(readFileSync('ca-bundle.pem', 'utf8'));
 * @see https://www.rfc-editor.org/rfc/rfc7468#section-5
 */
export function parsePemBundle(pem: string, options: { readonly maxCertificates?: number } = {}): ParsedCertificate[] {
  if (typeof pem !== 'string') throw malformed('a PEM bundle must be a string');
  const maxCertificates = options.maxCertificates ?? DEFAULT_MAX_BUNDLE_CERTIFICATES;
  if (!Number.isSafeInteger(maxCertificates) || maxCertificates < 1) {
    throw new TypeError(`parsePemBundle: maxCertificates must be a positive integer (got ${String(maxCertificates)})`);
  }
  if (pem.length > MAX_BUNDLE_CHARS) throw malformed(`PEM bundle of ${pem.length} characters exceeds the limit`);
  const blocks = pemCertificateBlocks(pem, maxCertificates + 1);
  if (blocks.length === 0) throw malformed('no PEM CERTIFICATE block found');
  if (blocks.length > maxCertificates) throw malformed(`more than ${maxCertificates} certificates in the PEM bundle`);
  return blocks.map((der) => parseDer(der, undefined));
}

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';
const PEM_WHITESPACE = /[ \t\r\n]+/g;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Finds CERTIFICATE blocks with `indexOf` (linear time whatever the input) and decodes their
 * base64 strictly: `Buffer.from(…, 'base64')` alone would skip invalid characters.
 */
function pemCertificateBlocks(text: string, limit: number): Buffer[] {
  const blocks: Buffer[] = [];
  let from = 0;
  while (blocks.length < limit) {
    const begin = text.indexOf(PEM_BEGIN, from);
    if (begin === -1) break;
    const bodyStart = begin + PEM_BEGIN.length;
    const end = text.indexOf(PEM_END, bodyStart);
    if (end === -1) throw malformed('PEM CERTIFICATE block without an END line');
    const body = text.slice(bodyStart, end).replace(PEM_WHITESPACE, '');
    if (body.length === 0 || !BASE64.test(body)) throw malformed('PEM CERTIFICATE block is not valid base64');
    blocks.push(Buffer.from(body, 'base64'));
    from = end + PEM_END.length;
  }
  return blocks;
}

function parseDer(input: Uint8Array, x509: X509Certificate | undefined): ParsedCertificate {
  if (input.byteLength === 0) throw malformed('empty certificate');
  if (input.byteLength > MAX_CERTIFICATE_DER_BYTES) {
    throw malformed(`certificate of ${input.byteLength} bytes exceeds the ${MAX_CERTIFICATE_DER_BYTES}-byte limit`);
  }
  const thumbprintS256 = base64url(sha256(input));
  const cached = cache.get(thumbprintS256);
  if (cached) return cached;
  // A private copy: the caller's buffer may be reused or mutated after we return.
  const der = Buffer.from(input);
  let parsed: ParsedCertificate;
  try {
    parsed = decodeCertificate(der, thumbprintS256, x509);
  } catch (cause) {
    if (cause instanceof OAuthError) throw cause;
    // RangeError (stack), TypeError, OpenSSL errors…: never let hostile input crash the caller.
    throw malformed(cause instanceof DerError ? cause.message : 'the certificate could not be decoded');
  }
  cache.set(thumbprintS256, parsed);
  return parsed;
}

function malformed(detail: string): OAuthError {
  return new OAuthError('certificate_malformed', detail);
}

// ---------------------------------------------------------------------------------------------
// A strict, minimal DER reader (X.690 §10). It reads only the fixed structure of RFC 5280
// certificates, one known level at a time, so nesting depth is bounded by the schema rather than
// by the input; exact byte ranges are kept, so the SPKI hash covers the bytes as encoded.
// ---------------------------------------------------------------------------------------------

class DerError extends Error {}

interface Element {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;

function readElement(der: Buffer, offset: number, limit: number): Element {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined || offset + 2 > limit) throw new DerError('truncated DER element');
  // X.690 §8.1.2.4: high tag numbers never occur in certificates.
  if ((tag & 0x1f) === 0x1f) throw new DerError('unsupported high-number DER tag');
  let contentStart = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    // X.690 §10.1: definite form only; 3 length octets already exceed our 64 KiB cap.
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > 3) throw new DerError('DER length too large');
    if (contentStart + count > limit) throw new DerError('truncated DER length');
    length = 0;
    for (let index = 0; index < count; index++) length = length * 256 + (der[contentStart + index] as number);
    // X.690 §10.1: the minimum number of length octets.
    if (length < 0x80 || der[contentStart] === 0) throw new DerError('non-minimal DER length');
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError('DER element runs past its container');
  return { tag, start: offset, contentStart, end };
}

function expectElement(der: Buffer, offset: number, limit: number, tag: number, what: string): Element {
  const element = readElement(der, offset, limit);
  if (element.tag !== tag) throw new DerError(`${what}: unexpected DER tag 0x${element.tag.toString(16)}`);
  return element;
}

function childrenOf(der: Buffer, parent: Element): Element[] {
  const children: Element[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readElement(der, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

function content(der: Buffer, element: Element): Buffer {
  return der.subarray(element.contentStart, element.end);
}

function decodeOid(der: Buffer, element: Element): string {
  if (element.tag !== TAG_OID) throw new DerError('expected an OBJECT IDENTIFIER');
  const bytes = content(der, element);
  if (bytes.length === 0 || bytes.length > 64) throw new DerError('bad OBJECT IDENTIFIER length');
  const arcs: number[] = [];
  let value = 0;
  let width = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index] as number;
    // X.690 §8.19.2: minimal base-128; 7 groups (49 bits) keep the arithmetic exact.
    if (width === 0 && byte === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER');
    if (++width > 7) throw new DerError('OBJECT IDENTIFIER arc too large');
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) {
        // X.690 §8.19.4: the first subidentifier packs the first two arcs.
        const firstArc = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(firstArc, value - firstArc * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
      width = 0;
    }
  }
  if (width !== 0) throw new DerError('truncated OBJECT IDENTIFIER');
  return arcs.join('.');
}

function decodeBoolean(der: Buffer, element: Element): boolean {
  const bytes = content(der, element);
  // X.690 §11.1: TRUE is 0xFF in DER.
  if (element.tag !== TAG_BOOLEAN || bytes.length !== 1 || (bytes[0] !== 0 && bytes[0] !== 0xff)) {
    throw new DerError('bad BOOLEAN');
  }
  return bytes[0] === 0xff;
}

/** A small non-negative INTEGER (versions, pathLenConstraint). */
function decodeSmallUnsigned(der: Buffer, element: Element, what: string): number {
  const bytes = content(der, element);
  if (element.tag !== TAG_INTEGER || bytes.length === 0) throw new DerError(`${what}: bad INTEGER`);
  if ((bytes[0] as number) & 0x80) throw new DerError(`${what}: negative INTEGER`);
  if (bytes.length > 1 && bytes[0] === 0 && ((bytes[1] as number) & 0x80) === 0) throw new DerError(`${what}: non-minimal INTEGER`);
  if (bytes.length > 5 || (bytes.length === 5 && bytes[0] !== 0)) throw new DerError(`${what}: INTEGER too large`);
  return bytes.readUIntBE(0, bytes.length);
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** RFC 5280 §4.1.2.5.1/2: `YYMMDDHHMMSSZ` (YY ≥ 50 → 19YY) or `YYYYMMDDHHMMSSZ`, seconds and Z required. */
function decodeTime(der: Buffer, element: Element): number {
  const text = content(der, element).toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (element.tag === TAG_UTC_TIME && (match = UTC_TIME.exec(text))) {
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (element.tag === TAG_GENERALIZED_TIME && (match = GENERALIZED_TIME.exec(text))) {
    year = Number(match[1]);
  } else {
    throw new DerError('validity time is not a DER UTCTime or GeneralizedTime');
  }
  const [month, day, hour, minute, second] = match.slice(2, 7).map(Number) as [number, number, number, number, number];
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(time);
  // Date.UTC rolls 31 February over; a round trip catches it.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new DerError('validity time out of range');
  }
  return time;
}

const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';

// issuerUniqueID [1] IMPLICIT, subjectUniqueID [2] IMPLICIT (RFC 5280 §4.1.2.8).
const UNIQUE_IDENTIFIER_TAGS = [0x81, 0x82] as const;

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const satisfies readonly (keyof KeyUsage)[];

function decodeCertificate(der: Buffer, thumbprintS256: string, given: X509Certificate | undefined): ParsedCertificate {
  // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
  const certificate = expectElement(der, 0, der.length, TAG_SEQUENCE, 'Certificate');
  if (certificate.end !== der.length) throw new DerError('trailing data after the certificate');
  const [tbs, outerAlgorithm, signatureValue, ...extra] = childrenOf(der, certificate);
  if (!tbs || tbs.tag !== TAG_SEQUENCE || !outerAlgorithm || outerAlgorithm.tag !== TAG_SEQUENCE || signatureValue?.tag !== TAG_BIT_STRING || extra.length > 0) {
    throw new DerError('Certificate is not SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }');
  }
  const algorithmChildren = childrenOf(der, outerAlgorithm);
  if (!algorithmChildren[0]) throw new DerError('empty signatureAlgorithm');
  const signatureAlgorithm = decodeOid(der, algorithmChildren[0]);

  const fields = childrenOf(der, tbs);
  let index = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    // version [0] EXPLICIT INTEGER { v1(0), v2(1), v3(2) }
    const inner = childrenOf(der, fields[0]);
    if (inner.length !== 1) throw new DerError('bad version');
    version = decodeSmallUnsigned(der, inner[0] as Element, 'version') + 1;
    if (version > 3) throw new DerError(`unknown certificate version ${version}`);
    index++;
  }
  const serial = fields[index++];
  const innerAlgorithm = fields[index++];
  const issuer = fields[index++];
  const validity = fields[index++];
  const subject = fields[index++];
  const spki = fields[index++];
  if (
    serial?.tag !== TAG_INTEGER ||
    innerAlgorithm?.tag !== TAG_SEQUENCE ||
    issuer?.tag !== TAG_SEQUENCE ||
    validity?.tag !== TAG_SEQUENCE ||
    subject?.tag !== TAG_SEQUENCE ||
    spki?.tag !== TAG_SEQUENCE
  ) {
    throw new DerError('TBSCertificate fields are missing or out of order');
  }
  // RFC 5280 §4.1.1.2: signatureAlgorithm MUST equal TBSCertificate.signature.
  if (!der.subarray(innerAlgorithm.start, innerAlgorithm.end).equals(der.subarray(outerAlgorithm.start, outerAlgorithm.end))) {
    throw new DerError('inner and outer signature algorithms differ');
  }
  // issuerUniqueID [1] and subjectUniqueID [2] (v2/v3), then extensions [3] (v3 only).
  let uniqueIdentifiers = false;
  for (const tag of UNIQUE_IDENTIFIER_TAGS) {
    if (fields[index]?.tag === tag) {
      index++;
      uniqueIdentifiers = true;
    }
  }
  let extensionsElement: Element | undefined;
  if (fields[index]?.tag === 0xa3) extensionsElement = fields[index++];
  if (index !== fields.length) throw new DerError('unexpected data at the end of TBSCertificate');
  if (uniqueIdentifiers && version < 2) throw new DerError('unique identifiers in a v1 certificate');
  if (extensionsElement && version !== 3) throw new DerError('extensions in a certificate that is not v3');

  const [notBeforeElement, notAfterElement, ...moreTimes] = childrenOf(der, validity);
  if (!notBeforeElement || !notAfterElement || moreTimes.length > 0) throw new DerError('Validity is not SEQUENCE { notBefore, notAfter }');
  const notBefore = decodeTime(der, notBeforeElement);
  const notAfter = decodeTime(der, notAfterElement);

  const issuerName = decodeName(der, issuer);
  const subjectName = decodeName(der, subject);

  let basicConstraints: BasicConstraints | undefined;
  let keyUsage: KeyUsage | undefined;
  let extendedKeyUsage: readonly string[] | undefined;
  let subjectAltNames: SubjectAltNames = EMPTY_SANS;
  const criticalExtensions: string[] = [];
  if (extensionsElement) {
    const sequences = childrenOf(der, extensionsElement);
    if (sequences.length !== 1 || sequences[0]?.tag !== TAG_SEQUENCE) throw new DerError('extensions [3] must hold one SEQUENCE');
    const seen = new Set<string>();
    for (const extension of childrenOf(der, sequences[0])) {
      if (extension.tag !== TAG_SEQUENCE) throw new DerError('Extension is not a SEQUENCE');
      const parts = childrenOf(der, extension);
      const oid = decodeOid(der, parts[0] ?? throwDer('empty Extension'));
      let valueElement = parts[1];
      let critical = false;
      if (valueElement?.tag === TAG_BOOLEAN) {
        critical = decodeBoolean(der, valueElement);
        valueElement = parts[2];
      }
      if (valueElement?.tag !== TAG_OCTET_STRING || parts.length !== (parts[1]?.tag === TAG_BOOLEAN ? 3 : 2)) {
        throw new DerError(`extension ${oid} is not SEQUENCE { extnID, critical, extnValue }`);
      }
      // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
      // extension" — two SAN extensions would let two parsers see two identities.
      if (seen.has(oid)) throw new DerError(`duplicate extension ${oid}`);
      seen.add(oid);
      if (critical) criticalExtensions.push(oid);
      const value = content(der, valueElement);
      switch (oid) {
        case OID_BASIC_CONSTRAINTS:
          basicConstraints = decodeBasicConstraints(value);
          break;
        case OID_KEY_USAGE:
          keyUsage = decodeKeyUsage(value);
          break;
        case OID_EXT_KEY_USAGE:
          extendedKeyUsage = decodeExtendedKeyUsage(value);
          break;
        case OID_SUBJECT_ALT_NAME:
          subjectAltNames = decodeSubjectAltNames(value);
          break;
        default:
          break;
      }
    }
  }

  // OpenSSL must accept the same bytes: it is what checks signatures later, and a certificate
  // the two parsers read differently must not get through.
  let x509 = given;
  if (!x509) {
    try {
      x509 = new X509Certificate(der);
    } catch {
      throw new DerError('OpenSSL refused the certificate');
    }
  }
  // OpenSSL decodes the key lazily: X509Certificate accepts a certificate whose key it cannot read.
  let publicKey: KeyObject;
  try {
    publicKey = x509.publicKey;
  } catch {
    throw new DerError('the subject public key is invalid or of an unsupported type');
  }

  return Object.freeze({
    der,
    x509,
    publicKey,
    thumbprintS256,
    subject: subjectName,
    issuer: issuerName,
    subjectAltNames,
    spkiSha256: base64url(sha256(der.subarray(spki.start, spki.end))),
    notBefore,
    notAfter,
    basicConstraints,
    keyUsage,
    extendedKeyUsage,
    selfIssued: distinguishedNameMatch(subjectName, issuerName),
    signatureAlgorithm,
    criticalExtensions: Object.freeze(criticalExtensions),
  });
}

function throwDer(message: string): never {
  throw new DerError(message);
}

/** RFC 5280 §4.1.2.4: Name ::= SEQUENCE OF SET SIZE (1..MAX) OF SEQUENCE { type, value }. */
function decodeName(der: Buffer, name: Element): DistinguishedName {
  const rdns: AttributeTypeAndValue[][] = [];
  for (const set of childrenOf(der, name)) {
    if (set.tag !== TAG_SET) throw new DerError('RelativeDistinguishedName is not a SET');
    const rdn: AttributeTypeAndValue[] = [];
    for (const pair of childrenOf(der, set)) {
      if (pair.tag !== TAG_SEQUENCE) throw new DerError('AttributeTypeAndValue is not a SEQUENCE');
      const [typeElement, valueElement, ...rest] = childrenOf(der, pair);
      if (!typeElement || !valueElement || rest.length > 0) throw new DerError('AttributeTypeAndValue is not { type, value }');
      const type = decodeOid(der, typeElement);
      let value: string | Uint8Array;
      try {
        value = decodeAttributeValue(der.subarray(valueElement.start, valueElement.end));
      } catch (cause) {
        throw new DerError(`attribute ${type}: ${(cause as Error).message}`);
      }
      rdn.push(Object.freeze({ type, value }));
    }
    if (rdn.length === 0) throw new DerError('empty RelativeDistinguishedName');
    rdns.push(rdn);
  }
  return freezeDistinguishedName(rdns);
}

/** Parses an extnValue that must be exactly one element of the given tag. */
function single(value: Buffer, tag: number, what: string): { der: Buffer; element: Element } {
  const element = expectElement(value, 0, value.length, tag, what);
  if (element.end !== value.length) throw new DerError(`${what}: trailing data`);
  return { der: value, element };
}

/** RFC 5280 §4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
function decodeBasicConstraints(value: Buffer): BasicConstraints {
  const { der, element } = single(value, TAG_SEQUENCE, 'basicConstraints');
  const parts = childrenOf(der, element);
  let index = 0;
  let ca = false;
  if (parts[index]?.tag === TAG_BOOLEAN) ca = decodeBoolean(der, parts[index++] as Element);
  let pathLength: number | undefined;
  if (parts[index]?.tag === TAG_INTEGER) pathLength = decodeSmallUnsigned(der, parts[index++] as Element, 'pathLenConstraint');
  if (index !== parts.length) throw new DerError('basicConstraints: unexpected content');
  return Object.freeze(pathLength === undefined ? { ca } : { ca, pathLength });
}

/** RFC 5280 §4.2.1.3: KeyUsage ::= BIT STRING; bit 0 (digitalSignature) is the most significant bit of the first octet. */
function decodeKeyUsage(value: Buffer): KeyUsage {
  const { der, element } = single(value, TAG_BIT_STRING, 'keyUsage');
  const bits = content(der, element);
  const unused = bits[0];
  if (unused === undefined || unused > 7 || (bits.length === 1 && unused !== 0)) throw new DerError('keyUsage: bad BIT STRING');
  const flags = {} as Record<keyof KeyUsage, boolean>;
  KEY_USAGE_BITS.forEach((name, bit) => {
    const byte = bits[1 + (bit >> 3)] ?? 0;
    flags[name] = (byte & (0x80 >> (bit & 7))) !== 0;
  });
  return Object.freeze(flags);
}

/** RFC 5280 §4.2.1.12: ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
function decodeExtendedKeyUsage(value: Buffer): readonly string[] {
  const { der, element } = single(value, TAG_SEQUENCE, 'extKeyUsage');
  const purposes = childrenOf(der, element).map((child) => decodeOid(der, child));
  if (purposes.length === 0) throw new DerError('extKeyUsage: empty');
  return Object.freeze(purposes);
}

const EMPTY_SANS: SubjectAltNames = Object.freeze({
  dns: Object.freeze([]),
  uri: Object.freeze([]),
  ip: Object.freeze([]),
  email: Object.freeze([]),
});
const IA5 = /^[\u0000-\u007f]*$/;

/**
 * RFC 5280 §4.2.1.6: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName, with IMPLICIT tags
 * rfc822Name [1], dNSName [2], uniformResourceIdentifier [6], iPAddress [7]. Other kinds are
 * skipped (their content is never descended into).
 */
function decodeSubjectAltNames(value: Buffer): SubjectAltNames {
  const { der, element } = single(value, TAG_SEQUENCE, 'subjectAltName');
  const dns: string[] = [];
  const uri: string[] = [];
  const ip: Buffer[] = [];
  const email: string[] = [];
  for (const name of childrenOf(der, element)) {
    const bytes = content(der, name);
    switch (name.tag) {
      case 0x81:
      case 0x82:
      case 0x86: {
        const text = bytes.toString('latin1');
        if (!IA5.test(text)) throw new DerError('subjectAltName: IA5String with a non-ASCII byte');
        (name.tag === 0x81 ? email : name.tag === 0x82 ? dns : uri).push(text);
        break;
      }
      case 0x87:
        // "For IP version 4 … exactly four octets. For IP version 6 … exactly sixteen octets."
        if (bytes.length !== 4 && bytes.length !== 16) throw new DerError('subjectAltName: iPAddress is not 4 or 16 octets');
        ip.push(Buffer.from(bytes));
        break;
      default:
        // otherName [0], x400Address [3], directoryName [4], ediPartyName [5], registeredID [8].
        if ((name.tag & 0xc0) !== 0x80 || (name.tag & 0x1f) > 8) throw new DerError('subjectAltName: not a GeneralName');
        break;
    }
  }
  return Object.freeze({
    dns: Object.freeze(dns),
    uri: Object.freeze(uri),
    ip: Object.freeze(ip),
    email: Object.freeze(email),
  });
}
