import { type KeyObject, X509Certificate } from 'node:crypto';
import { AsnArray, AsnParser, AsnProp, AsnPropTypes, AsnSerializer, AsnType, AsnTypeTypes, type OctetString } from '@peculiar/asn1-schema';
import {
  Certificate,
  ExtendedKeyUsage,
  KeyUsage as AsnKeyUsage,
  Name,
  OtherName,
  Version,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
} from '@peculiar/asn1-x509';
import { type AsnType as Asn1Node, Boolean as AsnBoolean, Constructed, type FromBerResult, fromBER } from 'asn1js';
import { OAuthError } from '../errors/errors.js';
import { sha256Text } from '../util/encoding.js';
import { LruCache } from '../util/lru.js';
import { type DistinguishedName, attributeValueOf, distinguishedNameMatch, freezeDistinguishedName } from './distinguished-name.js';
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
 * The ASN.1 is decoded by asn1js and asn1-schema with the RFC 5280 schemas of asn1-x509 (the
 * schema layer of @peculiar/x509). Validated here: DER framing of every element (definite minimal
 * lengths, no element running past its container, DER BOOLEANs, no trailing data); the structure
 * of the extensions we read (basicConstraints, keyUsage, extKeyUsage, subjectAltName), which must
 * re-encode to the same bytes; validity times in the RFC 5280 form; no duplicate extensions (RFC
 * 5280 §4.2); matching inner and outer signature algorithms (RFC 5280 §4.1.1.2); and OpenSSL
 * accepts the same bytes, which also holds the certificate structure to its strict decoding. Left
 * to the caller: validity at a given time, the chain (`createCertificateVerifier`), identity
 * (`compileTlsIdentityMatcher`).
 *
 * Hostile input is bounded: at most 64 KiB of DER, nesting depth 64 and 1,024 elements per
 * decoding, and every failure — including ones inside asn1js and OpenSSL — becomes
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
  const thumbprintS256 = sha256Text(input, 'base64url');
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
// asn1js reads the DER and asn1-schema maps it onto the RFC 5280 classes of asn1-x509, the schema
// layer of @peculiar/x509. Checked on top: DER rules that a BER reader lets through, the profile.
// ---------------------------------------------------------------------------------------------

class DerError extends Error {}

/**
 * asn1js limits for hostile input, per decoding (the certificate, then each extension we read).
 * asn1js recurses once per nesting level: `maxDepth` stops 10,000 nested SEQUENCEs at level 64,
 * in microseconds, with the stack untouched (certificates nest about 10 deep; OpenSSL refuses
 * over 30). `maxNodes` bounds the work: asn1-schema spends tens of µs per element, and a
 * certificate has about 100 outside its extensions, a SAN list one per name. Without
 * `parseEmbedded: false`, asn1js would try to decode every OCTET and BIT STRING as ASN.1.
 */
const BER_OPTIONS = { maxDepth: 64, maxNodes: 1024, parseEmbedded: false, copyInput: false } as const;

/** Exactly one element, in DER: X.690 §10.1 definite, minimal lengths and §11.1 BOOLEANs, over the whole tree. */
function decodeDer(bytes: Uint8Array, what: string): Asn1Node {
  let decoded: FromBerResult;
  try {
    decoded = fromBER(bytes, BER_OPTIONS);
  } catch (cause) {
    // asn1js throws rather than reporting some malformed content (an odd-length BMPString).
    throw new DerError(`${what}: not DER (${(cause as Error).message})`);
  }
  const { offset, result } = decoded;
  if (offset === -1) throw new DerError(`${what}: ${result.error || 'not DER'}`);
  if (offset !== bytes.length) throw new DerError(`${what}: trailing data after the element`);
  for (const pending = [result]; pending.length > 0; ) {
    const node = pending.pop() as Asn1Node;
    const { isIndefiniteForm, length, blockLength } = node.lenBlock;
    if (isIndefiniteForm) throw new DerError(`${what}: indefinite length is not DER`);
    if (blockLength > 1 && (length < 0x80 || node.valueBeforeDecodeView[node.idBlock.blockLength + 1] === 0)) {
      throw new DerError(`${what}: non-minimal DER length`);
    }
    // asn1js does not check that the last child of a constructed element ends where its parent does.
    if (node.valueBeforeDecodeView.length !== node.idBlock.blockLength + blockLength + length) {
      throw new DerError(`${what}: an element runs past its container`);
    }
    // DER TRUE is 0xFF; asn1js, like OpenSSL, reads any non-zero octet as TRUE.
    if (node instanceof AsnBoolean && !(length === 1 && [0, 0xff].includes(node.valueBlock.valueHexView[0] as number))) {
      throw new DerError(`${what}: BOOLEAN is not DER`);
    }
    pending.push(...children(node));
  }
  return result;
}

function children(node: Asn1Node): Asn1Node[] {
  return node instanceof Constructed ? node.valueBlock.value : [];
}

function child(node: Asn1Node, index: number): Asn1Node {
  const found = children(node)[index];
  if (!found) throw new DerError('unexpected certificate structure');
  return found;
}

function fromAsn<T>(node: Asn1Node, schema: new () => T, what: string): T {
  try {
    return AsnParser.fromASN(node, schema);
  } catch (cause) {
    throw new DerError(`${what}: ${(cause as Error).message}`);
  }
}

/**
 * asn1-schema is lenient: it ignores elements after those its schema names, does not check the
 * type of SEQUENCE OF items or the tag of a SEQUENCE OF, and accepts BER forms. Whatever OpenSSL
 * does not decode for us must therefore encode back to exactly the input bytes.
 */
function reencodes(value: object, node: Asn1Node): boolean {
  try {
    return Buffer.from(AsnSerializer.serialize(value)).equals(node.valueBeforeDecodeView);
  } catch {
    return false;
  }
}

/** An extension value (OpenSSL does not decode those when it parses a certificate). */
function decodeExtension<T extends object>(extnValue: OctetString, schema: new () => T, what: string): T {
  const node = decodeDer(new Uint8Array(extnValue.buffer), what);
  const value = fromAsn(node, schema, what);
  if (!reencodes(value, node)) throw new DerError(`${what}: not DER or not the RFC 5280 structure`);
  return value;
}

/** RFC 5280 §4.2.1.9, `cA` OPTIONAL rather than DEFAULT FALSE: an explicit FALSE is not DER, but CAs write it and OpenSSL accepts it. */
class BasicConstraintsSyntax {
  cA?: boolean;
  pathLenConstraint?: number | string;
}
AsnProp({ type: AsnPropTypes.Boolean, optional: true })(BasicConstraintsSyntax.prototype, 'cA');
AsnProp({ type: AsnPropTypes.Integer, optional: true })(BasicConstraintsSyntax.prototype, 'pathLenConstraint');

/**
 * RFC 5280 §4.2.1.6 GeneralName as asn1-x509 declares it, except: iPAddress stays octets (asn1-x509
 * turns it into text, lossily for IPv4-mapped IPv6), and x400Address and ediPartyName, obsolete
 * and never matched, stay opaque (asn1-x509 declares x400Address primitive: real ones would fail).
 */
class GeneralName {
  rfc822Name?: string;
  dNSName?: string;
  uniformResourceIdentifier?: string;
  iPAddress?: ArrayBuffer;
}
class GeneralNames extends AsnArray<GeneralName> {}
for (const [key, options] of [
  ['otherName', { type: OtherName, context: 0, implicit: true }],
  ['rfc822Name', { type: AsnPropTypes.IA5String, context: 1, implicit: true }],
  ['dNSName', { type: AsnPropTypes.IA5String, context: 2, implicit: true }],
  ['x400Address', { type: AsnPropTypes.Any, context: 3, implicit: true, repeated: 'sequence' }],
  ['directoryName', { type: Name, context: 4 }],
  ['ediPartyName', { type: AsnPropTypes.Any, context: 5, implicit: true, repeated: 'sequence' }],
  ['uniformResourceIdentifier', { type: AsnPropTypes.IA5String, context: 6, implicit: true }],
  ['iPAddress', { type: AsnPropTypes.OctetString, context: 7, implicit: true }],
  ['registeredID', { type: AsnPropTypes.ObjectIdentifier, context: 8, implicit: true }],
] as const) {
  AsnProp(options)(GeneralName.prototype, key);
}
AsnType({ type: AsnTypeTypes.Choice })(GeneralName);
AsnType({ type: AsnTypeTypes.Sequence, itemType: GeneralName })(GeneralNames);

function decodeCertificate(der: Buffer, thumbprintS256: string, given: X509Certificate | undefined): ParsedCertificate {
  const root = decodeDer(der, 'Certificate');
  const certificate = fromAsn(root, Certificate, 'Certificate');
  const tbs = certificate.tbsCertificate;
  // TBSCertificate elements whose exact bytes matter, where the schema just found them: after the
  // optional version [0], serialNumber (0), signature (1), issuer, validity, subject, SPKI (5).
  const tbsNode = child(root, 0);
  const at = child(tbsNode, 0).idBlock.tagClass === 3 ? 1 : 0;
  const field = (index: number): Asn1Node => child(tbsNode, at + index);

  if (!Number.isSafeInteger(tbs.version) || tbs.version < Version.v1 || tbs.version > Version.v3) {
    throw new DerError(`unknown certificate version ${Number(tbs.version) + 1}`);
  }
  if ((tbs.issuerUniqueID || tbs.subjectUniqueID) && tbs.version === Version.v1) throw new DerError('unique identifiers in a v1 certificate');
  if (tbs.extensions && tbs.version !== Version.v3) throw new DerError('extensions in a certificate that is not v3');
  // RFC 5280 §4.1.1.2: signatureAlgorithm MUST equal TBSCertificate.signature.
  if (Buffer.compare(field(1).valueBeforeDecodeView, child(root, 1).valueBeforeDecodeView) !== 0) {
    throw new DerError('inner and outer signature algorithms differ');
  }
  // RFC 5280 §4.1.2.5: YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ. asn1js rolls 31 February over and reads
  // fractions and local times; the canonical encoding of what it read must be the input.
  const [notBefore, notAfter] = [tbs.validity.notBefore.getTime(), tbs.validity.notAfter.getTime()];
  if (!reencodes(tbs.validity, field(3)) || notBefore.getUTCMilliseconds() !== 0 || notAfter.getUTCMilliseconds() !== 0) {
    throw new DerError('validity time out of range or not in the RFC 5280 form');
  }
  const issuerName = decodeName(tbs.issuer, field(2));
  const subjectName = decodeName(tbs.subject, field(4));

  let basicConstraints: BasicConstraints | undefined;
  let keyUsage: KeyUsage | undefined;
  let extendedKeyUsage: readonly string[] | undefined;
  let subjectAltNames: SubjectAltNames = EMPTY_SANS;
  const criticalExtensions: string[] = [];
  const seen = new Set<string>();
  for (const { extnID: oid, critical, extnValue } of tbs.extensions ?? []) {
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
    // extension" — two SAN extensions would let two parsers see two identities.
    if (seen.has(oid)) throw new DerError(`duplicate extension ${oid}`);
    seen.add(oid);
    if (critical) criticalExtensions.push(oid);
    if (oid === id_ce_basicConstraints) {
      basicConstraints = toBasicConstraints(decodeExtension(extnValue, BasicConstraintsSyntax, 'basicConstraints'));
    } else if (oid === id_ce_keyUsage) {
      keyUsage = toKeyUsage(decodeExtension(extnValue, AsnKeyUsage, 'keyUsage'));
    } else if (oid === id_ce_extKeyUsage) {
      // RFC 5280 §4.2.1.12: ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
      const purposes = decodeExtension(extnValue, ExtendedKeyUsage, 'extKeyUsage');
      if (purposes.length === 0) throw new DerError('extKeyUsage: empty');
      extendedKeyUsage = Object.freeze(Array.from(purposes));
    } else if (oid === id_ce_subjectAltName) {
      subjectAltNames = toSubjectAltNames(decodeExtension(extnValue, GeneralNames, 'subjectAltName'));
    }
  }

  // OpenSSL must accept the same bytes: it is what checks signatures later, a certificate the two
  // parsers read differently must not get through, and its strict decoding of the structure
  // (no surplus elements, types as declared) covers what asn1-schema lets pass.
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
    // The SubjectPublicKeyInfo exactly as encoded in the certificate (asn1js keeps each element's bytes).
    spkiSha256: sha256Text(field(5).valueBeforeDecodeView, 'base64url'),
    notBefore: notBefore.getTime(),
    notAfter: notAfter.getTime(),
    basicConstraints,
    keyUsage,
    extendedKeyUsage,
    selfIssued: distinguishedNameMatch(subjectName, issuerName),
    signatureAlgorithm: certificate.signatureAlgorithm.algorithm,
    criticalExtensions: Object.freeze(criticalExtensions),
  });
}

/** RFC 5280 §4.1.2.4: types as asn1-x509 decoded them; values from their asn1js elements, for `attributeValueOf`. */
function decodeName(name: Name, node: Asn1Node): DistinguishedName {
  const rdns = Array.from(name, (rdn, index) => {
    if (rdn.length === 0) throw new DerError('empty RelativeDistinguishedName');
    return Array.from(rdn, ({ type }, position) => {
      try {
        return Object.freeze({ type, value: attributeValueOf(child(child(child(node, index), position), 1)) });
      } catch (cause) {
        throw new DerError(`attribute ${type}: ${(cause as Error).message}`);
      }
    });
  });
  return freezeDistinguishedName(rdns);
}

function toBasicConstraints({ cA: ca = false, pathLenConstraint }: BasicConstraintsSyntax): BasicConstraints {
  if (pathLenConstraint === undefined) return Object.freeze({ ca });
  // asn1-schema returns an INTEGER of 4 octets or more as a decimal string.
  const pathLength = Number(pathLenConstraint);
  if (!Number.isSafeInteger(pathLength) || pathLength < 0) throw new DerError('basicConstraints: pathLenConstraint is not a non-negative INTEGER');
  return Object.freeze({ ca, pathLength });
}

const KEY_USAGE_BITS = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
] as const satisfies readonly (keyof KeyUsage)[];

/** RFC 5280 §4.2.1.3: bit 0 (digitalSignature) is the most significant bit of the first octet. */
function toKeyUsage({ value, unusedBits }: AsnKeyUsage): KeyUsage {
  const bits = new Uint8Array(value);
  if (bits.length === 0 && unusedBits !== 0) throw new DerError('keyUsage: bad BIT STRING');
  const flags = KEY_USAGE_BITS.map((name, bit) => [name, ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0]);
  return Object.freeze(Object.fromEntries(flags) as Record<keyof KeyUsage, boolean>);
}

const EMPTY_SANS = freezeSans({ dns: [], uri: [], ip: [], email: [] });
const IA5 = /^[\u0000-\u007f]*$/;

/** RFC 5280 §4.2.1.6: the names RFC 8705 matches; otherName, directoryName, registeredID… are skipped. */
function toSubjectAltNames(names: GeneralNames): SubjectAltNames {
  const sans = { dns: [] as string[], uri: [] as string[], ip: [] as Buffer[], email: [] as string[] };
  for (const { rfc822Name, dNSName, uniformResourceIdentifier, iPAddress } of names) {
    // "For IP version 4 … exactly four octets. For IP version 6 … exactly sixteen octets."
    if (iPAddress) {
      if (iPAddress.byteLength !== 4 && iPAddress.byteLength !== 16) throw new DerError('subjectAltName: iPAddress is not 4 or 16 octets');
      sans.ip.push(Buffer.from(iPAddress));
    }
    for (const [text, list] of [[rfc822Name, sans.email], [dNSName, sans.dns], [uniformResourceIdentifier, sans.uri]] as const) {
      if (text === undefined) continue;
      // asn1js decodes IA5String octets as Latin-1, so a non-ASCII octet shows here.
      if (!IA5.test(text)) throw new DerError('subjectAltName: IA5String with a non-ASCII byte');
      list.push(text);
    }
  }
  return freezeSans(sans);
}

function freezeSans({ dns, uri, ip, email }: { dns: string[]; uri: string[]; ip: Buffer[]; email: string[] }): SubjectAltNames {
  return Object.freeze({ dns: Object.freeze(dns), uri: Object.freeze(uri), ip: Object.freeze(ip), email: Object.freeze(email) });
}
