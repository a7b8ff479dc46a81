/**
 * A byte-level certificate builder for the cases `src/testing/pki.ts` cannot express on purpose:
 * exact string types in names (BMPString, PrintableString…), SHA-1 signatures, unknown critical
 * extensions, duplicate extensions, IPv4-mapped iPAddress SANs, hostile nesting. Everything
 * ordinary comes from `createTestPki()`.
 *
 * Certificates are assembled as DER here and signed with `node:crypto`, so what a test feeds the
 * parser is exactly what it wrote.
 */
import { type KeyObject, generateKeyPairSync, sign } from 'node:crypto';

function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  if (length < 0x100) return Buffer.from([tag, 0x81, length]);
  if (length < 0x10000) return Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.from([tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
}

/** One DER element: tag, definite minimal length, content. */
export function tlv(tag: number, ...parts: readonly Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([header(tag, body.length), body]);
}

export const seq = (...parts: readonly Uint8Array[]): Buffer => tlv(0x30, ...parts);
export const set = (...parts: readonly Uint8Array[]): Buffer => tlv(0x31, ...parts);
export const octets = (bytes: Uint8Array): Buffer => tlv(0x04, bytes);
export const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
export const printable = (text: string): Buffer => tlv(0x13, Buffer.from(text, 'latin1'));
export const ia5 = (text: string): Buffer => tlv(0x16, Buffer.from(text, 'latin1'));
export const bmp = (text: string): Buffer => tlv(0x1e, Buffer.from(text, 'utf16le').swap16());
export const integer = (value: number): Buffer => {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
};
export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));

export function oid(text: string): Buffer {
  const arcs = text.split('.').map(Number);
  const bytes: number[] = [];
  const push = (value: number): void => {
    const groups = [value & 0x7f];
    for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest & 0x7f) | 0x80);
    bytes.push(...groups);
  };
  push((arcs[0] as number) * 40 + (arcs[1] as number));
  for (const arc of arcs.slice(2)) push(arc);
  return tlv(0x06, Buffer.from(bytes));
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = date.getUTCFullYear();
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return year < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

/** An attribute for `name()`: a type OID and an already encoded value (`utf8('x')`, `bmp('x')`, …). */
export type Attribute = readonly [type: string, value: Buffer];

/** A Name from RDNs **in DER order** (most general first); each RDN is a list of attributes. */
export function name(...rdns: readonly (readonly Attribute[])[]): Buffer {
  return seq(...rdns.map((rdn) => set(...rdn.map(([type, value]) => seq(oid(type), value)))));
}

export interface ExtensionSpec {
  readonly oid: string;
  readonly critical?: boolean;
  /** The BOOLEAN element to write as `critical`, as given (tests of explicit FALSE or non-DER TRUE). */
  readonly criticalElement?: Buffer;
  /** The extnValue content (the DER inside the OCTET STRING). */
  readonly value: Uint8Array;
}

export const basicConstraints = (ca: boolean, pathLength?: number): ExtensionSpec => ({
  oid: '2.5.29.19',
  critical: true,
  value: seq(...(ca ? [boolean(true)] : []), ...(pathLength === undefined ? [] : [integer(pathLength)])),
});
/** keyCertSign|cRLSign for a CA (bits 5, 6), digitalSignature (bit 0) for a leaf. */
export const keyUsage = (ca: boolean): ExtensionSpec => ({
  oid: '2.5.29.15',
  critical: true,
  value: ca ? tlv(0x03, Buffer.from([0x01, 0x06])) : tlv(0x03, Buffer.from([0x07, 0x80])),
});
export const clientAuthEku: ExtensionSpec = { oid: '2.5.29.37', value: seq(oid('1.3.6.1.5.5.7.3.2')) };

export interface SanSpec {
  readonly dns?: readonly string[];
  readonly uri?: readonly string[];
  readonly email?: readonly string[];
  /** Raw iPAddress octets, written as given (4, 16 or — for negative tests — any length). */
  readonly ip?: readonly Uint8Array[];
}

export const subjectAltName = (san: SanSpec): ExtensionSpec => ({
  oid: '2.5.29.17',
  value: seq(
    ...(san.email ?? []).map((value) => tlv(0x81, Buffer.from(value, 'latin1'))),
    ...(san.dns ?? []).map((value) => tlv(0x82, Buffer.from(value, 'latin1'))),
    ...(san.uri ?? []).map((value) => tlv(0x86, Buffer.from(value, 'latin1'))),
    ...(san.ip ?? []).map((value) => tlv(0x87, value)),
  ),
});

export interface BuildOptions {
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly publicKey: KeyObject;
  readonly signingKey: KeyObject;
  /** Default sha256 (sha384 for P-384 keys is not needed here). */
  readonly hash?: 'sha256' | 'sha1';
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** A Validity element written as given, instead of notBefore/notAfter (tests of time encodings). */
  readonly validity?: Buffer;
  readonly extensions?: readonly ExtensionSpec[];
  /** Emit a v1 certificate (no version field) — extensions then make it malformed. */
  readonly version1?: boolean;
  /** Elements appended to the TBSCertificate after the extensions (tests of surplus elements). */
  readonly extraTbsElements?: readonly Buffer[];
  readonly serial?: number;
}

const SIGNATURE_ALGORITHMS = {
  ec: { sha256: '1.2.840.10045.4.3.2', sha1: '1.2.840.10045.4.1' },
  rsa: { sha256: '1.2.840.113549.1.1.11', sha1: '1.2.840.113549.1.1.5' },
} as const;

/** Builds and signs a certificate; returns its DER. */
export function buildCertificate(options: BuildOptions): Buffer {
  const hash = options.hash ?? 'sha256';
  const keyType = options.signingKey.asymmetricKeyType;
  let algorithm: Buffer;
  if (keyType === 'ed25519') algorithm = seq(oid('1.3.101.112'));
  else if (keyType === 'ec') algorithm = seq(oid(SIGNATURE_ALGORITHMS.ec[hash]));
  else if (keyType === 'rsa') algorithm = seq(oid(SIGNATURE_ALGORITHMS.rsa[hash]), tlv(0x05));
  else throw new Error(`unsupported signing key ${String(keyType)}`);
  const now = Date.now();
  const tbs = seq(
    ...(options.version1 ? [] : [tlv(0xa0, integer(2))]),
    integer(options.serial ?? 1 + Math.floor(Math.random() * 1e9)),
    algorithm,
    options.issuer,
    options.validity ?? seq(time(options.notBefore ?? new Date(now - 3_600_000)), time(options.notAfter ?? new Date(now + 86_400_000 * 365))),
    options.subject,
    options.publicKey.export({ type: 'spki', format: 'der' }),
    ...(options.extensions && options.extensions.length > 0
      ? [
          tlv(
            0xa3,
            seq(
              ...options.extensions.map((extension) =>
                seq(
                  oid(extension.oid),
                  ...(extension.criticalElement ? [extension.criticalElement] : extension.critical ? [boolean(true)] : []),
                  octets(extension.value),
                ),
              ),
            ),
          ),
        ]
      : []),
    ...(options.extraTbsElements ?? []),
  );
  const signature = sign(keyType === 'ed25519' ? null : hash, tbs, options.signingKey);
  return seq(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
}

export interface MiniCa {
  readonly der: Buffer;
  readonly name: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A self-signed P-256 CA built with `buildCertificate`. */
export function miniCa(commonName = 'Mini Root CA'): MiniCa {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caName = name([['2.5.4.6', printable('DE')]], [['2.5.4.3', utf8(commonName)]]);
  const der = buildCertificate({
    subject: caName,
    issuer: caName,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    extensions: [basicConstraints(true), keyUsage(true)],
  });
  return { der, name: caName, ...keys };
}

export interface MiniLeafOptions extends Partial<Omit<BuildOptions, 'issuer' | 'signingKey' | 'publicKey'>> {
  readonly publicKey?: KeyObject;
}

/** A P-256 leaf signed by `ca`; defaults: subject CN=mini leaf, digitalSignature, clientAuth. */
export function miniLeaf(ca: MiniCa, options: MiniLeafOptions = {}): Buffer {
  return buildCertificate({
    subject: name([['2.5.4.3', utf8('mini leaf')]]),
    extensions: [basicConstraints(false), keyUsage(false), clientAuthEku],
    ...options,
    publicKey: options.publicKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
    issuer: ca.name,
    signingKey: ca.privateKey,
  });
}

/** `depth` SEQUENCEs nested in one another around an empty SEQUENCE. */
export function nestedSequences(depth: number): Buffer {
  // Headers computed inside out, concatenated once: linear, unlike wrapping `depth` times.
  const headers: Buffer[] = [];
  let length = 2;
  for (let level = 0; level < depth; level++) {
    const outer = header(0x30, length);
    headers.push(outer);
    length += outer.length;
  }
  return Buffer.concat([...headers.reverse(), Buffer.from([0x30, 0x00])]);
}

/** Deterministic pseudo-random bytes (xorshift32), so fuzz failures reproduce. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[index] = state & 0xff;
  }
  return bytes;
}
