import { type AsnType, type FromBerResult, fromBER } from 'asn1js';
import { decodeUtf8Strict } from '../util/encoding.js';

/**
 * One attribute of an RDN. `type` is always a dotted OID (names such as `CN` are resolved when
 * parsing), so that `CN=x` and `2.5.4.3=x` are the same attribute.
 *
 * `value` is the character string when the ASN.1 value is one of the X.680 character string
 * types (DirectoryString, IA5String, …), and otherwise the DER encoding of the whole value
 * (tag, length and content), which RFC 4514 §2.4 writes as `#hexstring`.
 */
export interface AttributeTypeAndValue {
  readonly type: string;
  readonly value: string | Uint8Array;
}

/** RFC 5280 §4.1.2.4 `RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue` — unordered. */
export type RelativeDistinguishedName = readonly AttributeTypeAndValue[];

/**
 * An X.501 Name as a sequence of RDNs **in DER `RDNSequence` order**: `rdns[0]` is the most
 * general RDN (typically `C` or `DC=com`), the last one the most specific (typically `CN`).
 * RFC 4514 strings are written the other way round; `parseRfc4514` and `formatRfc4514` reverse.
 *
 * Objects returned by this module and by `parseCertificate` are frozen; treat them as immutable
 * (match keys are cached per object).
 */
export interface DistinguishedName {
  readonly rdns: readonly RelativeDistinguishedName[];
}

/** Config strings longer than this are refused: no real DN comes close. */
const MAX_DN_STRING_LENGTH = 16_384;

/**
 * Attribute type names accepted in RFC 4514 strings (case-insensitively), mapped to OIDs.
 * RFC 4514 §3 names (CN, L, ST, O, OU, C, STREET, DC, UID) plus the RFC 4519 / PKIX names that
 * certificate subjects commonly use. Anything else must be written as a dotted OID.
 */
const ATTRIBUTE_TYPES: ReadonlyMap<string, string> = new Map([
  ['cn', '2.5.4.3'],
  ['commonname', '2.5.4.3'],
  ['sn', '2.5.4.4'],
  ['surname', '2.5.4.4'],
  ['serialnumber', '2.5.4.5'],
  ['c', '2.5.4.6'],
  ['countryname', '2.5.4.6'],
  ['l', '2.5.4.7'],
  ['localityname', '2.5.4.7'],
  ['st', '2.5.4.8'],
  ['stateorprovincename', '2.5.4.8'],
  ['street', '2.5.4.9'],
  ['streetaddress', '2.5.4.9'],
  ['o', '2.5.4.10'],
  ['organizationname', '2.5.4.10'],
  ['ou', '2.5.4.11'],
  ['organizationalunitname', '2.5.4.11'],
  ['title', '2.5.4.12'],
  ['description', '2.5.4.13'],
  ['businesscategory', '2.5.4.15'],
  ['postalcode', '2.5.4.17'],
  ['name', '2.5.4.41'],
  ['givenname', '2.5.4.42'],
  ['gn', '2.5.4.42'],
  ['initials', '2.5.4.43'],
  ['generationqualifier', '2.5.4.44'],
  ['dnqualifier', '2.5.4.46'],
  ['pseudonym', '2.5.4.65'],
  ['organizationidentifier', '2.5.4.97'],
  ['dc', '0.9.2342.19200300.100.1.25'],
  ['domaincomponent', '0.9.2342.19200300.100.1.25'],
  ['uid', '0.9.2342.19200300.100.1.1'],
  ['userid', '0.9.2342.19200300.100.1.1'],
  ['emailaddress', '1.2.840.113549.1.9.1'],
  ['email', '1.2.840.113549.1.9.1'],
  ['e', '1.2.840.113549.1.9.1'],
  ['jurisdictionc', '1.3.6.1.4.1.311.60.2.1.3'],
  ['jurisdictioncountryname', '1.3.6.1.4.1.311.60.2.1.3'],
  ['jurisdictionst', '1.3.6.1.4.1.311.60.2.1.2'],
  ['jurisdictionstateorprovincename', '1.3.6.1.4.1.311.60.2.1.2'],
  ['jurisdictionl', '1.3.6.1.4.1.311.60.2.1.1'],
  ['jurisdictionlocalityname', '1.3.6.1.4.1.311.60.2.1.1'],
]);

/** RFC 4514 §3: the only names a generator should emit; every other type is written as an OID. */
const RFC4514_SHORT_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.6', 'C'],
  ['2.5.4.9', 'STREET'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
]);

// RFC 4512 §1.4: descr = keystring (ALPHA *(ALPHA / DIGIT / HYPHEN)); numericoid without leading zeros.
const DESCR = /^[A-Za-z][A-Za-z0-9-]*$/;
const NUMERIC_OID = /^[0-2](?:\.(?:0|[1-9][0-9]*))+$/;
// RFC 2253 §4 lets readers accept the RFC 1779 "OID." prefix; we do, case-insensitively.
const OID_PREFIX = /^oid\./i;
const HEX_DIGIT = /^[0-9A-Fa-f]$/;

// RFC 4514 §3 `special` characters that may follow a backslash as themselves.
const ESCAPABLE = new Set(['"', '+', ',', ';', '<', '>', '\\', ' ', '#', '=']);
// Characters that RFC 4514 §3 forbids unescaped inside a string value (',' and '+' end the value).
const MUST_BE_ESCAPED = new Set(['"', ';', '<', '>', '\u0000']);

/**
 * Parses an RFC 4514 string representation of a distinguished name.
 *
 * Accepts: every RFC 4514 escape (`\,` `\+` `\"` `\\` `\<` `\>` `\;` `\=` `\#` `\ ` and `\XX`
 * hex pairs, which together form UTF-8), `#hexstring` values (the BER/DER of the attribute
 * value), multi-valued RDNs joined with `+`, attribute type names case-insensitively (`CN`,
 * `cn`, `commonName`, `emailAddress`/`E`, `organizationIdentifier`, … see the table above) or
 * as dotted OIDs (`2.5.4.97`, also with the RFC 2253 §4 `OID.` prefix), and — as RFC 2253 §4
 * allows readers to — spaces around `,`, `+` and `=`.
 *
 * Refuses (with a message naming the offset): unknown attribute names, unescaped `"` `;` `<`
 * `>` or NUL in a value, a bad escape, odd or empty hex strings, invalid UTF-8, empty RDNs.
 *
 * The result is in DER order (reversed relative to the string, RFC 4514 §2.1).
 *
 * @throws Error with a precise message; callers turn it into a configuration error.
 * @example
 * parseRfc4514('CN=client-1, O=Example\\, Inc., C=DE').rdns[0]; // [{ type: '2.5.4.6', value: 'DE' }]
 * @see https://www.rfc-editor.org/rfc/rfc4514#section-3
 */
export function parseRfc4514(dn: string): DistinguishedName {
  if (typeof dn !== 'string') throw new Error('distinguished name must be a string');
  if (dn.length > MAX_DN_STRING_LENGTH) {
    throw new Error(`distinguished name is too long (${dn.length} characters, at most ${MAX_DN_STRING_LENGTH})`);
  }
  const rdnsInStringOrder = new Rfc4514Parser(dn).parse();
  // RFC 4514 §2.1: "starting with the last element of the sequence and moving backwards toward the first".
  return freezeDistinguishedName(rdnsInStringOrder.reverse());
}

class Rfc4514Parser {
  readonly #input: string;
  #pos = 0;

  constructor(input: string) {
    this.#input = input;
  }

  parse(): AttributeTypeAndValue[][] {
    const rdns: AttributeTypeAndValue[][] = [];
    this.#skipSpaces();
    if (this.#pos === this.#input.length) return rdns; // RFC 4514 §3: the empty DN.
    for (;;) {
      const rdn: AttributeTypeAndValue[] = [];
      for (;;) {
        rdn.push(this.#parseAttributeTypeAndValue());
        if (this.#input[this.#pos] !== '+') break;
        this.#pos++;
      }
      rdns.push(rdn);
      if (this.#pos === this.#input.length) return rdns;
      const separator = this.#input[this.#pos];
      if (separator !== ',') throw this.#error(`expected "," or "+" but found ${JSON.stringify(separator)}`);
      this.#pos++;
    }
  }

  #parseAttributeTypeAndValue(): AttributeTypeAndValue {
    this.#skipSpaces();
    const typeStart = this.#pos;
    while (this.#pos < this.#input.length && !' =,+'.includes(this.#input[this.#pos] as string)) this.#pos++;
    const typeText = this.#input.slice(typeStart, this.#pos);
    if (typeText.length === 0) throw this.#error('expected an attribute type (e.g. "CN") — empty RDN or stray separator', typeStart);
    const type = resolveAttributeType(typeText);
    if (type === undefined) {
      throw this.#error(
        `unknown attribute type ${JSON.stringify(typeText)}: use a known name (CN, O, OU, C, L, ST, STREET, DC, UID, SERIALNUMBER, emailAddress, organizationIdentifier, …) or a dotted OID such as 2.5.4.97`,
        typeStart,
      );
    }
    this.#skipSpaces();
    if (this.#input[this.#pos] !== '=') throw this.#error(`expected "=" after attribute type ${JSON.stringify(typeText)}`);
    this.#pos++;
    // RFC 2253 §4 leniency: unescaped spaces after "=" are not part of the value.
    this.#skipSpaces();
    const value = this.#input[this.#pos] === '#' ? this.#parseHexString(typeText) : this.#parseString(typeText);
    return Object.freeze({ type, value });
  }

  /** RFC 4514 §2.4/§3: `#` followed by the hex of the BER encoding of the value. */
  #parseHexString(typeText: string): string | Uint8Array {
    const start = this.#pos;
    this.#pos++;
    const hexStart = this.#pos;
    while (this.#pos < this.#input.length && HEX_DIGIT.test(this.#input[this.#pos] as string)) this.#pos++;
    const hex = this.#input.slice(hexStart, this.#pos);
    if (hex.length === 0 || hex.length % 2 !== 0) {
      throw this.#error(`the #hexstring value of ${typeText} must have an even, non-zero number of hex digits`, start);
    }
    this.#skipSpaces();
    if (this.#pos < this.#input.length && this.#input[this.#pos] !== ',' && this.#input[this.#pos] !== '+') {
      throw this.#error(`unexpected ${JSON.stringify(this.#input[this.#pos])} after the #hexstring value of ${typeText}`);
    }
    try {
      return decodeAttributeValue(Buffer.from(hex, 'hex'));
    } catch (cause) {
      throw this.#error(`the #hexstring value of ${typeText} is not a valid DER value: ${(cause as Error).message}`, start);
    }
  }

  #parseString(typeText: string): string {
    const bytes: number[] = [];
    // Length of `bytes` up to the last character that is significant: unescaped trailing spaces
    // are not part of the value (RFC 4514 §3 `trailchar`; RFC 2253 §4 spaces before separators).
    let significant = 0;
    while (this.#pos < this.#input.length) {
      const char = this.#input[this.#pos] as string;
      if (char === ',' || char === '+') break;
      if (char === '\\') {
        const next = this.#input[this.#pos + 1];
        if (next === undefined) throw this.#error(`dangling "\\" at the end of the value of ${typeText}`);
        if (ESCAPABLE.has(next)) {
          bytes.push(next.charCodeAt(0));
          this.#pos += 2;
        } else {
          const second = this.#input[this.#pos + 2];
          if (!HEX_DIGIT.test(next) || second === undefined || !HEX_DIGIT.test(second)) {
            throw this.#error(
              `invalid escape "\\${next}" in the value of ${typeText}: escape one of , + " \\ < > ; = # or space, or write two hex digits`,
            );
          }
          bytes.push(Number.parseInt(next + second, 16));
          this.#pos += 3;
        }
        significant = bytes.length;
        continue;
      }
      if (char === ';') {
        throw this.#error(`";" in the value of ${typeText} must be escaped as "\\;" — RFC 4514 separates RDNs with "," only, not ";"`);
      }
      if (MUST_BE_ESCAPED.has(char)) {
        throw this.#error(`${JSON.stringify(char)} must be escaped in the value of ${typeText} (RFC 4514 §2.4)`);
      }
      const codePoint = this.#input.codePointAt(this.#pos) as number;
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) throw this.#error('lone UTF-16 surrogate in the distinguished name');
      const encoded = Buffer.from(String.fromCodePoint(codePoint), 'utf8');
      for (const byte of encoded) bytes.push(byte);
      this.#pos += codePoint > 0xffff ? 2 : 1;
      if (char !== ' ') significant = bytes.length;
    }
    try {
      return decodeUtf8Strict(Uint8Array.from(bytes.slice(0, significant)));
    } catch {
      throw this.#error(`the value of ${typeText} is not valid UTF-8 after resolving \\XX escapes`);
    }
  }

  #skipSpaces(): void {
    while (this.#input[this.#pos] === ' ') this.#pos++;
  }

  #error(problem: string, at = this.#pos): Error {
    return new Error(`invalid distinguished name at offset ${at}: ${problem}`);
  }
}

function resolveAttributeType(text: string): string | undefined {
  const bare = text.replace(OID_PREFIX, '');
  if (NUMERIC_OID.test(bare)) return bare;
  if (bare !== text || !DESCR.test(text)) return undefined;
  return ATTRIBUTE_TYPES.get(text.toLowerCase());
}

/**
 * Writes a DN as an RFC 4514 string (most specific RDN first), for logs and operator events.
 * Types in the RFC 4514 §3 table use their short name, others the dotted OID. Values that are
 * not character strings are written `#hex` (their DER). Deviation, for readability: a string
 * value of a dotted-OID type is written as an escaped string rather than as `#hex` (RFC 4514
 * §2.4); `parseRfc4514` reads it back to an equal DN.
 *
 * @example
 * formatRfc4514(parseRfc4514('cn = a\\,b ,o=X')); // 'CN=a\\,b,O=X'
 * @see https://www.rfc-editor.org/rfc/rfc4514#section-2
 */
export function formatRfc4514(dn: DistinguishedName): string {
  const parts: string[] = [];
  for (let index = dn.rdns.length - 1; index >= 0; index--) {
    const rdn = dn.rdns[index] as RelativeDistinguishedName;
    parts.push(rdn.map((ava) => `${RFC4514_SHORT_NAMES.get(ava.type) ?? ava.type}=${formatValue(ava.value)}`).join('+'));
  }
  return parts.join(',');
}

// RFC 4514 §2.4: characters escaped wherever they occur.
const ESCAPE_ANYWHERE = new Set(['"', '+', ',', ';', '<', '>', '\\']);
const CONTROL_CHARACTER = /^[\u0000-\u001f\u007f]$/;

function formatValue(value: string | Uint8Array): string {
  if (typeof value !== 'string') return `#${Buffer.from(value).toString('hex')}`;
  const chars = Array.from(value);
  const last = chars.length - 1;
  return chars
    .map((char, index) => {
      if (ESCAPE_ANYWHERE.has(char)) return `\\${char}`;
      // RFC 4514 §2.4: a leading space or "#", and a trailing space, are escaped.
      if ((index === 0 && (char === ' ' || char === '#')) || (index === last && char === ' ')) return `\\${char}`;
      // Control characters become hex pairs so that a DN in a log line stays on one line.
      if (CONTROL_CHARACTER.test(char)) return `\\${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
      return char;
    })
    .join('');
}

/**
 * RFC 4517 §4.2.15 distinguishedNameMatch: true when both names have the same number of RDNs,
 * in the same order, and each pair of RDNs holds the same set of attribute type/value pairs
 * (order inside a multi-valued RDN does not matter).
 *
 * Character-string values are compared with caseIgnoreMatch (RFC 4517 §4.2.11) after RFC 4518
 * string preparation: mapping (controls and format characters removed, every kind of space to
 * U+0020), case folding, Unicode NFKC, and insignificant-space handling (leading and trailing
 * spaces removed, internal runs collapsed). We apply caseIgnoreMatch to every string-valued
 * attribute — `C`, `DC` (caseIgnoreIA5Match), `emailAddress` and `SERIALNUMBER` included —
 * which is what their schemas say or, for IA5 types, equivalent. A value that contains a
 * character RFC 4518 §2.4 prohibits (private use, surrogates, non-characters, U+FFFD) matches
 * nothing, not even itself. Non-string values (`#hex`) are compared byte for byte and never
 * equal a string value.
 *
 * @example
 * distinguishedNameMatch(parseRfc4514('CN=Client  One,O=ACME'), parseRfc4514('cn=client one, o=acme')); // true
 * @see https://www.rfc-editor.org/rfc/rfc4517#section-4.2.15
 * @see https://www.rfc-editor.org/rfc/rfc4518#section-2
 */
export function distinguishedNameMatch(a: DistinguishedName, b: DistinguishedName): boolean {
  const keyA = distinguishedNameMatchKey(a);
  return keyA !== undefined && keyA === distinguishedNameMatchKey(b);
}

const matchKeys = new WeakMap<DistinguishedName, string | null>();

/**
 * A canonical string such that two DNs satisfy `distinguishedNameMatch` exactly when their keys
 * are equal; `undefined` for a DN that matches nothing (it holds a prohibited character).
 * Cached per DN object. Used to index trust anchors by subject and to compare a certificate
 * subject with a compiled registration in one string comparison.
 *
 * @example
 * distinguishedNameMatchKey(parseRfc4514('CN=A  B')) === distinguishedNameMatchKey(parseRfc4514('cn=a b')); // true
 * @see https://www.rfc-editor.org/rfc/rfc4517#section-4.2.15
 */
export function distinguishedNameMatchKey(dn: DistinguishedName): string | undefined {
  let key = matchKeys.get(dn);
  if (key === undefined) {
    key = computeMatchKey(dn);
    matchKeys.set(dn, key);
  }
  return key ?? undefined;
}

function computeMatchKey(dn: DistinguishedName): string | null {
  const rdns: string[][] = [];
  for (const rdn of dn.rdns) {
    const avas: string[] = [];
    for (const ava of rdn) {
      const value = typeof ava.value === 'string' ? prepareCaseIgnore(ava.value) : `#${Buffer.from(ava.value).toString('hex')}`;
      if (value === undefined) return null;
      // "s:" / "#" keep string values and DER values apart even when the text looks like hex.
      avas.push(`${ava.type}=${typeof ava.value === 'string' ? `s:${value}` : value}`);
    }
    // An RDN is a SET: order-independent comparison by sorting the canonical pairs.
    rdns.push(avas.sort());
  }
  return JSON.stringify(rdns);
}

// RFC 4518 §2.2 "mapped to nothing": SOFT HYPHEN, COMBINING GRAPHEME JOINER, MONGOLIAN TODO SOFT
// HYPHEN, variation selectors, OBJECT REPLACEMENT CHARACTER, ZERO WIDTH SPACE, other controls
// (Cc except the ones mapped to SPACE) and format characters (Cf).
const MAP_TO_NOTHING =
  /[\u00ad\u034f\u1806\u180b-\u180d\ufe00-\ufe0f\ufffc\u200b\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\p{Cf}]/gu;
// RFC 4518 §2.2: TAB, LF, VT, FF, CR, NEL and every separator (Zs, Zl, Zp) map to SPACE.
const MAP_TO_SPACE = /[\t\n\u000b\f\r\u0085\p{Z}]/gu;
// RFC 4518 §2.4 prohibited: private use, surrogates (lone ones survive in JS strings),
// non-characters and REPLACEMENT CHARACTER. Unassigned code points are not checked, so that a
// match never changes with the Unicode version of the Node.js runtime.
const PROHIBITED = /[\p{Co}\p{Cs}\p{Noncharacter_Code_Point}\ufffd]/u;
const SPACE_RUNS = / +/g;

/** RFC 4518 preparation for caseIgnoreMatch; `undefined` when a prohibited character is present. */
function prepareCaseIgnore(value: string): string | undefined {
  const mapped = value.replace(MAP_TO_NOTHING, '').replace(MAP_TO_SPACE, ' ');
  // Case folding (RFC 4518 §2.2, RFC 3454 B.2) approximated by upper-then-lower, which folds
  // e.g. "ß" to "ss" and final sigma to sigma; then NFKC (§2.3).
  const folded = mapped.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
  if (PROHIBITED.test(folded)) return undefined;
  // RFC 4518 §2.6.1 insignificant space handling; for equality, collapsing to one space is
  // equivalent to the RFC's "two spaces" form.
  return folded.replace(SPACE_RUNS, ' ').trim();
}

/** ASN.1 universal tag numbers of the character string types an attribute value may use (X.680 §41). */
const UTF8_STRING = 12;
const NUMERIC_STRING = 18;
const PRINTABLE_STRING = 19;
const TELETEX_STRING = 20;
const IA5_STRING = 22;
const VISIBLE_STRING = 26;
const UNIVERSAL_STRING = 28;
const BMP_STRING = 30;

const NON_ASCII = /[^\u0000-\u007f]/;
const NON_NUMERIC = /[^0-9 ]/;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Decodes one DER-encoded attribute value (a complete TLV): character string types become a
 * string, anything else is returned as a copy of the DER. asn1js reads the element; the
 * characters are decoded by `attributeValueOf`.
 *
 * @throws Error when the bytes are not exactly one DER element or a string is badly encoded.
 * @example
 * decodeAttributeValue(Buffer.from('1e0400410042', 'hex')); // 'AB' (BMPString)
 * decodeAttributeValue(Buffer.from('04024142', 'hex')); // Uint8Array [4, 2, 0x41, 0x42] (OCTET STRING)
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.4
 */
export function decodeAttributeValue(der: Uint8Array): string | Uint8Array {
  let decoded: FromBerResult;
  try {
    decoded = fromBER(der, { maxDepth: 64, parseEmbedded: false });
  } catch (cause) {
    // asn1js throws rather than reporting some malformed strings (an odd-length BMPString).
    throw new Error(`not a valid DER value (${(cause as Error).message})`);
  }
  const { offset, result } = decoded;
  const { isIndefiniteForm, length, blockLength } = result.lenBlock;
  // X.690 §10.1, which asn1js (a BER reader) does not enforce: definite form, fewest length octets.
  if (isIndefiniteForm || (blockLength > 1 && (length < 0x80 || der[result.idBlock.blockLength + 1] === 0))) {
    throw new Error('non-minimal or indefinite length');
  }
  if (offset === -1) throw new Error(result.error || 'not a DER value');
  // The second test: asn1js lets the last child of a constructed value run past its end.
  if (offset !== der.length || result.valueBeforeDecodeView.length !== result.idBlock.blockLength + blockLength + length) {
    throw new Error('length does not match the data');
  }
  return attributeValueOf(result);
}

/**
 * The value of an attribute already decoded by asn1js (see `decodeAttributeValue`). The
 * characters are decoded here, strictly, from the content octets — not by asn1js, which turns
 * invalid UTF-8 into Latin-1 and truncates UniversalString code points.
 *
 * TeletexString is read as Latin-1, as OpenSSL and browsers do; PrintableString is accepted with
 * any ASCII content because certificates in the wild break its alphabet ("AT&T").
 *
 * @throws Error when a string is badly encoded.
 * @example
 * attributeValueOf(fromBER(Buffer.from('0c0161', 'hex')).result); // 'a'
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.4
 */
export function attributeValueOf(node: AsnType): string | Uint8Array {
  const { idBlock, lenBlock, valueBeforeDecodeView: der } = node;
  if (idBlock.tagClass !== 1 || idBlock.isConstructed) return Uint8Array.from(der);
  const content = Buffer.from(der.buffer, der.byteOffset + idBlock.blockLength + lenBlock.blockLength, lenBlock.length);
  switch (idBlock.tagNumber) {
    case UTF8_STRING:
      return decodeUtf8Strict(content);
    case NUMERIC_STRING: {
      const text = content.toString('latin1');
      if (NON_NUMERIC.test(text)) throw new Error('NumericString holds a non-numeric character');
      return text;
    }
    case PRINTABLE_STRING:
    case IA5_STRING:
    case VISIBLE_STRING: {
      const text = content.toString('latin1');
      if (NON_ASCII.test(text)) throw new Error('an ASCII string type holds a non-ASCII byte');
      return text;
    }
    case TELETEX_STRING:
      return content.toString('latin1');
    case BMP_STRING: {
      if (content.length % 2 !== 0) throw new Error('BMPString has an odd length');
      const text = Buffer.from(content).swap16().toString('utf16le');
      if (LONE_SURROGATE.test(text)) throw new Error('BMPString holds a lone surrogate');
      return text;
    }
    case UNIVERSAL_STRING: {
      if (content.length % 4 !== 0) throw new Error('UniversalString length is not a multiple of 4');
      let text = '';
      for (let offset = 0; offset < content.length; offset += 4) {
        const codePoint = content.readUInt32BE(offset);
        if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
          throw new Error('UniversalString holds an invalid code point');
        }
        text += String.fromCodePoint(codePoint);
      }
      return text;
    }
    default:
      return Uint8Array.from(der);
  }
}

/**
 * Builds a frozen DN from RDNs in DER order (the AVAs are frozen by their creators). Frozen
 * matters: match keys are cached per object.
 *
 * @example
 * freezeDistinguishedName([[Object.freeze({ type: '2.5.4.3', value: 'a' })]]);
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.4
 */
export function freezeDistinguishedName(rdns: AttributeTypeAndValue[][]): DistinguishedName {
  return Object.freeze({ rdns: Object.freeze(rdns.map((rdn) => Object.freeze(rdn))) });
}
