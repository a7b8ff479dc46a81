import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

/**
 * The RFC 5280 §4.2.1.6 subjectAltName entries RFC 8705 §2.1.2 can name, decoded from DER.
 * Other GeneralName kinds (otherName, directoryName, registeredID, …) are not kept.
 */
export interface SubjectAltNames {
  /** dNSName entries, as encoded (IA5String; A-labels for IDNs). */
  readonly dns: readonly string[];
  /** uniformResourceIdentifier entries, as encoded. */
  readonly uri: readonly string[];
  /** iPAddress entries as raw octets: 4 bytes for IPv4, 16 for IPv6 (RFC 5280 §4.2.1.6). */
  readonly ip: readonly Buffer[];
  /** rfc822Name entries, as encoded. */
  readonly email: readonly string[];
}

export type SanKind = keyof SubjectAltNames;

/**
 * Parses the text form of an IP address into its octets: dotted decimal for IPv4 (no leading
 * zeros, which some parsers read as octal), colon-hex for IPv6 with `::` compression and an
 * embedded dotted-quad tail (`::ffff:192.0.2.1`). Zone identifiers (`fe80::1%eth0`) and
 * brackets are refused: they are not part of an iPAddress SAN.
 *
 * IPv4-mapped IPv6 text stays 16 bytes — it is not folded to 4 — because RFC 5280 §4.2.1.6
 * makes the length of the octet string part of the value.
 *
 * @returns 4 or 16 bytes, or `undefined` when the text is not an address.
 * @example
 * parseIpAddress('2001:db8::1'); // <Buffer 20 01 0d b8 00 00 … 00 01>
 * @see https://www.rfc-editor.org/rfc/rfc4291#section-2.2
 */
export function parseIpAddress(text: string): Buffer | undefined {
  if (isIPv4(text)) return parseIpv4(text);
  if (isIPv6(text) && !text.includes('%')) return parseIpv6(text);
  return undefined;
}

const IPV6_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseIpv4(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = Buffer.alloc(4);
  for (let index = 0; index < 4; index++) {
    const value = Number(parts[index]);
    if (!Number.isInteger(value) || value < 0 || value > 255) return undefined;
    bytes[index] = value;
  }
  return bytes;
}

function parseIpv6(text: string): Buffer | undefined {
  const gap = text.indexOf('::');
  if (gap !== -1 && text.indexOf('::', gap + 1) !== -1) return undefined;
  const head = gap === -1 ? text : text.slice(0, gap);
  const tail = gap === -1 ? '' : text.slice(gap + 2);
  const headWords = parseIpv6Words(head, gap === -1);
  const tailWords = parseIpv6Words(tail, true);
  if (headWords === undefined || tailWords === undefined) return undefined;
  const total = headWords.length + tailWords.length;
  // Without "::" there must be exactly 8 groups; with it, "::" stands for at least one group.
  if (gap === -1 ? total !== 8 : total > 7) return undefined;
  const bytes = Buffer.alloc(16);
  headWords.forEach((word, index) => bytes.writeUInt16BE(word, index * 2));
  tailWords.forEach((word, index) => bytes.writeUInt16BE(word, (8 - tailWords.length + index) * 2));
  return bytes;
}

function parseIpv6Words(part: string, mayEndWithIpv4: boolean): number[] | undefined {
  if (part === '') return [];
  const groups = part.split(':');
  const words: number[] = [];
  for (let index = 0; index < groups.length; index++) {
    const group = groups[index] as string;
    if (index === groups.length - 1 && mayEndWithIpv4 && group.includes('.')) {
      const v4 = parseIpv4(group);
      if (v4 === undefined) return undefined;
      words.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
    } else if (IPV6_GROUP.test(group)) {
      words.push(Number.parseInt(group, 16));
    } else {
      return undefined;
    }
  }
  return words;
}

/**
 * Formats iPAddress octets for logs: dotted decimal for 4 bytes, RFC 5952 canonical text for
 * 16 bytes (lower case, longest zero run compressed, `::ffff:a.b.c.d` for IPv4-mapped), hex
 * for any other length.
 *
 * @example
 * formatIpAddress(parseIpAddress('2001:0db8:0:0:0:0:0:1')!); // '2001:db8::1'
 * @see https://www.rfc-editor.org/rfc/rfc5952#section-4
 */
export function formatIpAddress(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length === 4) return Array.from(buffer).join('.');
  if (buffer.length !== 16) return `#${buffer.toString('hex')}`;
  if (buffer.subarray(0, 10).every((byte) => byte === 0) && buffer[10] === 0xff && buffer[11] === 0xff) {
    return `::ffff:${Array.from(buffer.subarray(12)).join('.')}`; // RFC 5952 §5
  }
  const words = Array.from({ length: 8 }, (_, index) => buffer.readUInt16BE(index * 2));
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (words[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && words[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * Compiles the comparison of one registered RFC 8705 §2.1.2 SAN value against a certificate's
 * SANs. The registered value is validated and normalised once here.
 *
 * - `dns`: case-insensitive exact match (RFC 4343). No wildcard expansion: a certificate entry
 *   `*.example.com` matches only a registered `*.example.com`, never `a.example.com` — the
 *   client registered a name, not a pattern. A registered U-label is converted to its A-label.
 * - `uri`, `email`: exact string match.
 * - `ip`: registered text parsed to octets (`parseIpAddress`) and compared byte for byte, so
 *   compressed and full IPv6 forms are equal, and IPv4 never equals IPv4-mapped IPv6.
 *
 * @throws Error when the registered value cannot match anything (empty, whitespace, bad IP).
 * @example
 * const matches = compileSanMatcher('ip', '2001:db8::1');
 * matches(cert.subjectAltNames);
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2.1.2
 */
export function compileSanMatcher(kind: SanKind, registered: string): (names: SubjectAltNames) => boolean {
  if (typeof registered !== 'string' || registered.length === 0) throw new Error('the registered value must be a non-empty string');
  if (kind !== 'ip' && WHITESPACE_OR_CONTROL.test(registered)) {
    throw new Error(`the registered ${kind} SAN must not contain whitespace or control characters`);
  }
  switch (kind) {
    case 'dns': {
      // IA5String dNSName entries are ASCII: an IDN must be compared in its A-label form.
      const expected = NON_ASCII.test(registered) ? domainToASCII(registered) : registered.toLowerCase();
      if (expected === '') throw new Error(`${JSON.stringify(registered)} is not a valid DNS name`);
      return (names) => names.dns.some((name) => name.length === expected.length && name.toLowerCase() === expected);
    }
    case 'uri':
      return (names) => names.uri.includes(registered);
    case 'email':
      return (names) => names.email.includes(registered);
    case 'ip': {
      const expected = parseIpAddress(registered);
      if (expected === undefined) {
        throw new Error(
          `${JSON.stringify(registered)} is not an IP address: use dotted decimal (192.0.2.1) or RFC 5952 colon-hex (2001:db8::1), without brackets, zone or leading zeros`,
        );
      }
      return (names) => names.ip.some((address) => address.equals(expected));
    }
    default:
      throw new TypeError(`unknown SAN kind ${JSON.stringify(kind)}`);
  }
}
