/**
 * Peer-address matching for the trusted-proxy list.
 *
 * A certificate forwarded in a request header is believed only when the request's TCP peer is a
 * proxy we trust (SPEC "Mutual TLS": "read only when the request's peer address is in a
 * configured trusted-proxy list"). This module answers that one question, fast and without
 * surprises:
 *
 * - Every entry is parsed once, at construction, into 16 bytes plus a prefix length. An IPv4
 *   entry is stored as its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) with the
 *   prefix moved up by 96 bits, so a peer reported either as `127.0.0.1` or — as Node does for
 *   IPv4 peers on a dual-stack socket — as `::ffff:127.0.0.1` matches `127.0.0.0/8` alike.
 *   A consequence worth knowing: `::/0` covers IPv4 peers too (they live in `::ffff:0:0/96`).
 * - Per call: one hand-written parse into a reused scratch buffer (no regex, no split, no
 *   allocation) and four masked 32-bit comparisons per entry.
 * - Zone ids (RFC 4007 §11): a peer such as `fe80::1%eth0` matches an entry without a zone by
 *   its address alone; an entry with a zone (`fe80::1%eth0`, `fe80::%eth0/64`, RFC 4007 §11.7)
 *   matches only peers reporting the very same zone string.
 * - Anything that is not a well-formed address (undefined, empty, brackets, a port, garbage)
 *   simply does not match: the header is then ignored, never trusted.
 *
 * Entry syntax is strict so that a typo fails at start-up rather than silently trusting the
 * wrong network: dotted-quad IPv4 without leading zeros (`010.0.0.1` is octal to some parsers),
 * RFC 4291 §2.2 IPv6 text, a decimal prefix without leading zeros, and no bits set after the
 * prefix (`10.0.0.1/8` is refused with the corrected `10.0.0.0/8` in the message).
 *
 * @see https://www.rfc-editor.org/rfc/rfc4632#section-3.1 (CIDR prefix notation)
 * @see https://www.rfc-editor.org/rfc/rfc4291#section-2.2 (IPv6 text representation)
 */
import { invalidOption } from '../errors/errors.js';

/** Returns `true` when `address` (a socket's `remoteAddress`) lies in one of the configured ranges. */
export type AddressMatcher = (address: string | undefined) => boolean;

interface AddressRange {
  /**
   * The network (16 bytes, IPv4 ranges in their IPv4-mapped form) and its prefix mask, both
   * viewed as four 32-bit words: a match is four XOR-AND tests. Both views share the platform
   * byte order with the scratch buffer they are compared to, so endianness cancels out.
   */
  readonly network: Uint32Array;
  readonly mask: Uint32Array;
  /** RFC 4007 zone id the peer must report, when the entry names one. */
  readonly zone: string | undefined;
}

const COLON = 0x3a;
const DOT = 0x2e;

/** `fe80::ffff:ffff:ffff:ffff%` plus a generous zone id; anything longer is not an address. */
const MAX_ADDRESS_LENGTH = 128;

/**
 * Builds a matcher for a list of IPv4/IPv6 addresses and CIDR blocks.
 *
 * Validated at construction: each entry must be an address (`127.0.0.1`, `::1`) or a CIDR block
 * (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1/32`); anything else throws a `ConfigurationError`
 * naming `<field>[i]` and the fix. An empty list matches nothing (the default: trust no proxy).
 * Left to the caller: deciding what a match means — only a match makes proxy headers readable.
 *
 * @example
 * ```ts
 * const isTrustedProxy = createAddressMatcher(['10.0.0.0/8', '::1']);
 * isTrustedProxy(request.socket.remoteAddress); // true for 10.1.2.3 and ::ffff:10.1.2.3
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4291#section-2.5.5.2 (IPv4-mapped IPv6 addresses)
 * @see https://www.rfc-editor.org/rfc/rfc4007#section-11 (zone ids in text form)
 */
export function createAddressMatcher(entries: readonly string[], field = 'trustedProxies'): AddressMatcher {
  if (!Array.isArray(entries)) {
    throw invalidOption(field, `must be an array of IP addresses or CIDR blocks such as ["10.0.0.0/8", "::1"]`);
  }
  const ranges: AddressRange[] = [];
  let anyZone = false;
  for (let index = 0; index < entries.length; index++) {
    const range = parseRange(entries[index], `${field}[${index}]`);
    anyZone ||= range.zone !== undefined;
    ranges.push(range);
  }

  // Reused by every call: matching is synchronous, so no two calls can interleave.
  const scratch = new Uint8Array(16);
  const scratchWords = new Uint32Array(scratch.buffer);

  return (address: string | undefined): boolean => {
    if (ranges.length === 0 || typeof address !== 'string') return false;
    const length = address.length;
    if (length === 0 || length > MAX_ADDRESS_LENGTH) return false;
    const percent = address.indexOf('%');
    const addressEnd = percent === -1 ? length : percent;
    const family = parseAddress(address, 0, addressEnd, scratch);
    if (family === 0) return false;
    // A zone id qualifies IPv6 addresses only, and "%" must be followed by one.
    if (percent !== -1 && (family !== 6 || percent === length - 1)) return false;
    // An indexed loop: no iterator object per call.
    for (let r = 0; r < ranges.length; r++) {
      const range = ranges[r] as AddressRange;
      if (anyZone && range.zone !== undefined && !zoneEquals(address, percent, range.zone)) continue;
      if (prefixMatches(scratchWords, range)) return true;
    }
    return false;
  };
}

function zoneEquals(address: string, percent: number, zone: string): boolean {
  return percent !== -1 && address.length - percent - 1 === zone.length && address.startsWith(zone, percent + 1);
}

function prefixMatches(address: Uint32Array, range: AddressRange): boolean {
  const network = range.network;
  const mask = range.mask;
  return (
    (((address[0] ?? 0) ^ (network[0] ?? 0)) & (mask[0] ?? 0)) === 0 &&
    (((address[1] ?? 0) ^ (network[1] ?? 0)) & (mask[1] ?? 0)) === 0 &&
    (((address[2] ?? 0) ^ (network[2] ?? 0)) & (mask[2] ?? 0)) === 0 &&
    (((address[3] ?? 0) ^ (network[3] ?? 0)) & (mask[3] ?? 0)) === 0
  );
}

function parseRange(entry: unknown, field: string): AddressRange {
  const usage = 'use an IPv4 or IPv6 address or CIDR block such as "10.0.0.0/8", "127.0.0.1", "fd00::/8" or "::1"';
  if (typeof entry !== 'string') {
    throw invalidOption(field, `must be a string: ${usage} (got ${entry === null ? 'null' : typeof entry})`);
  }
  const shown = quote(entry);
  if (entry.length === 0 || entry.length > MAX_ADDRESS_LENGTH) {
    throw invalidOption(field, `${shown} is not an IP address or CIDR block; ${usage}`);
  }
  if (entry.trim() !== entry) {
    throw invalidOption(field, `${shown} has surrounding whitespace; remove it`);
  }

  // RFC 4007 §11.7: <address>%<zone_id>/<prefix length>.
  const slash = entry.indexOf('/');
  const prefixText = slash === -1 ? undefined : entry.slice(slash + 1);
  const beforePrefix = slash === -1 ? entry : entry.slice(0, slash);
  const percent = beforePrefix.indexOf('%');
  const addressText = percent === -1 ? beforePrefix : beforePrefix.slice(0, percent);
  const zone = percent === -1 ? undefined : beforePrefix.slice(percent + 1);

  const bytes = new Uint8Array(16);
  const family = parseAddress(addressText, 0, addressText.length, bytes);
  if (family === 0) {
    throw invalidOption(field, `${shown} is not an IP address or CIDR block; ${usage}`);
  }
  if (zone !== undefined) {
    if (family === 4) {
      throw invalidOption(field, `${shown}: zone ids ("%...") apply to IPv6 addresses only; remove it`);
    }
    if (zone.length === 0 || !isZoneId(zone)) {
      throw invalidOption(
        field,
        `${shown}: the zone id after "%" must be an interface name or index such as "eth0" or "2"`,
      );
    }
  }

  const maxPrefix = family === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (prefixText !== undefined) {
    const parsed = parsePrefixLength(prefixText);
    if (parsed === undefined || parsed > maxPrefix) {
      throw invalidOption(
        field,
        `${shown}: the prefix length after "/" must be a decimal number from 0 to ${maxPrefix} ` +
          `for an IPv${family} address`,
      );
    }
    prefix = parsed;
  }
  const mappedPrefix = family === 4 ? prefix + 96 : prefix;

  const wholeBytes = mappedPrefix >>> 3;
  const remainder = mappedPrefix & 7;
  const partialMask = remainder === 0 ? 0 : (0xff << (8 - remainder)) & 0xff;
  if (hasHostBits(bytes, wholeBytes, partialMask)) {
    const network = clearHostBits(bytes, wholeBytes, partialMask);
    const corrected = `${formatAddress(network, family)}${zone === undefined ? '' : `%${zone}`}/${prefix}`;
    throw invalidOption(field, `${shown} has bits set after the /${prefix} prefix; use "${corrected}"`);
  }
  const mask = new Uint8Array(16);
  for (let i = 0; i < wholeBytes; i++) mask[i] = 0xff;
  if (wholeBytes < 16) mask[wholeBytes] = partialMask;
  return Object.freeze({ network: new Uint32Array(bytes.buffer), mask: new Uint32Array(mask.buffer), zone });
}

function hasHostBits(bytes: Uint8Array, wholeBytes: number, partialMask: number): boolean {
  for (let i = wholeBytes; i < 16; i++) {
    const byte = bytes[i] ?? 0;
    const hostBits = i === wholeBytes ? byte & ~partialMask & 0xff : byte;
    if (hostBits !== 0) return true;
  }
  return false;
}

function clearHostBits(bytes: Uint8Array, wholeBytes: number, partialMask: number): Uint8Array {
  const network = Uint8Array.from(bytes);
  for (let i = wholeBytes; i < 16; i++) network[i] = i === wholeBytes ? (network[i] ?? 0) & partialMask : 0;
  return network;
}

/** Decimal, no sign, no leading zeros (so "/08" cannot be mistaken for anything but a typo). */
function parsePrefixLength(text: string): number | undefined {
  if (text.length === 0 || text.length > 3) return undefined;
  if (text.length > 1 && text.charCodeAt(0) === 0x30) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

/** Interface names and numeric indexes: RFC 6874 §2 "unreserved" characters, which covers both. */
function isZoneId(zone: string): boolean {
  for (let i = 0; i < zone.length; i++) {
    const c = zone.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      c === 0x2d ||
      c === 0x2e ||
      c === 0x5f ||
      c === 0x7e;
    if (!ok) return false;
  }
  return true;
}

/**
 * Parses `text[start, end)` as an IPv4 or IPv6 address into `out` (16 bytes, IPv4 as
 * `::ffff:a.b.c.d`). Returns the family, or 0 when the text is not an address.
 */
function parseAddress(text: string, start: number, end: number, out: Uint8Array): 0 | 4 | 6 {
  if (end <= start) return 0;
  // IPv6 text has a ":" within its first five characters (groups are at most four digits);
  // IPv4 text has none anywhere. So a bounded look decides the family.
  const look = Math.min(end, start + 5);
  for (let i = start; i < look; i++) {
    if (text.charCodeAt(i) === COLON) return parseIpv6(text, start, end, out) ? 6 : 0;
  }
  if (!parseIpv4(text, start, end, out, 12)) return 0;
  for (let i = 0; i < 10; i++) out[i] = 0;
  out[10] = 0xff;
  out[11] = 0xff;
  return 4;
}

/** Dotted-quad only (RFC 4291 §2.2 form 3 / inet_pton): four decimal octets, no leading zeros. */
function parseIpv4(text: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let octet = 0;
  let digits = 0;
  let parts = 0;
  for (let i = start; i <= end; i++) {
    // A virtual "." at `end` closes the last octet.
    const c = i < end ? text.charCodeAt(i) : DOT;
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && octet === 0) return false;
      octet = octet * 10 + (c - 0x30);
      digits++;
      if (octet > 255) return false;
    } else if (c === DOT) {
      if (digits === 0 || parts === 4) return false;
      out[offset + parts] = octet;
      parts++;
      octet = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return parts === 4;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** RFC 4291 §2.2: eight 16-bit groups, one optional "::", an optional dotted-quad tail. */
function parseIpv6(text: string, start: number, end: number, out: Uint8Array): boolean {
  let i = start;
  let index = 0;
  let compressAt = -1;
  if (text.charCodeAt(i) === COLON) {
    if (end - i < 2 || text.charCodeAt(i + 1) !== COLON) return false;
    compressAt = 0;
    i += 2;
  }
  while (i < end) {
    if (index >= 16) return false;
    let value = 0;
    let digits = 0;
    let j = i;
    while (j < end) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      if (++digits > 4) return false;
      value = (value << 4) | h;
      j++;
    }
    if (j < end && text.charCodeAt(j) === DOT) {
      // The dotted-quad tail fills the last 32 bits and nothing may follow it.
      if (index > 12 || !parseIpv4(text, i, end, out, index)) return false;
      index += 4;
      break;
    }
    if (digits === 0) return false;
    out[index++] = value >>> 8;
    out[index++] = value & 0xff;
    if (j === end) break;
    if (text.charCodeAt(j) !== COLON) return false;
    i = j + 1;
    if (i === end) return false; // a single trailing ":"
    if (text.charCodeAt(i) === COLON) {
      if (compressAt !== -1) return false; // at most one "::"
      compressAt = index;
      i++;
    }
  }
  if (compressAt === -1) return index === 16;
  // "::" stands for one or more zero groups (RFC 4291 §2.2), so at least two bytes are missing.
  if (index > 14) return false;
  // Move the groups after "::" to the end and zero the gap (plain loops: cheaper than the
  // typed-array builtins for a handful of bytes).
  const shift = 16 - index;
  for (let i = index - 1; i >= compressAt; i--) out[i + shift] = out[i] ?? 0;
  for (let i = compressAt; i < compressAt + shift; i++) out[i] = 0;
  return true;
}

/** RFC 5952 §4 canonical text, used only to suggest the corrected entry in error messages. */
function formatAddress(bytes: Uint8Array, family: 4 | 6): string {
  if (family === 4) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1; // RFC 5952 §4.2.2: never compress a single group
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
