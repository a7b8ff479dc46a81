import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../src/certificates/certificate.js';
import {
  type DistinguishedName,
  decodeAttributeValue,
  distinguishedNameMatch,
  formatRfc4514,
  parseRfc4514,
} from '../../../src/certificates/distinguished-name.js';
import { bmp, buildCertificate, ia5, name, printable, utf8 } from './certs.js';

const CN = '2.5.4.3';
const O = '2.5.4.10';
const OU = '2.5.4.11';
const C = '2.5.4.6';
const DC = '0.9.2342.19200300.100.1.25';
const UID = '0.9.2342.19200300.100.1.1';
const EMAIL = '1.2.840.113549.1.9.1';
const ORGANIZATION_IDENTIFIER = '2.5.4.97';

const match = (a: string, b: string): boolean => distinguishedNameMatch(parseRfc4514(a), parseRfc4514(b));

/** The subject of a real certificate whose Name is exactly `subject` (DER). */
function subjectOf(subject: Buffer): DistinguishedName {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return parseCertificate(buildCertificate({ subject, issuer: subject, publicKey: keys.publicKey, signingKey: keys.privateKey })).subject;
}

describe('RFC 4514 §3 parseRfc4514', () => {
  it('§2.1: reverses the string into DER RDNSequence order (most general first)', () => {
    expect(parseRfc4514('CN=client-1,O=Example,C=DE').rdns).toEqual([
      [{ type: C, value: 'DE' }],
      [{ type: O, value: 'Example' }],
      [{ type: CN, value: 'client-1' }],
    ]);
  });

  it('resolves attribute type names case-insensitively, including aliases, to OIDs', () => {
    const dn = parseRfc4514(
      'cn=a,commonName=b,L=c,st=d,o=e,Ou=f,c=DE,STREET=g,dc=h,uid=i,SERIALNUMBER=j,emailAddress=k@x,E=l@x,organizationIdentifier=m',
    );
    expect(dn.rdns.map((rdn) => rdn[0]?.type).reverse()).toEqual([
      CN,
      CN,
      '2.5.4.7',
      '2.5.4.8',
      O,
      OU,
      C,
      '2.5.4.9',
      DC,
      UID,
      '2.5.4.5',
      EMAIL,
      EMAIL,
      ORGANIZATION_IDENTIFIER,
    ]);
  });

  it('accepts dotted OIDs, with or without the RFC 2253 "OID." prefix', () => {
    expect(parseRfc4514('2.5.4.97=VATDE-123').rdns[0]).toEqual([{ type: ORGANIZATION_IDENTIFIER, value: 'VATDE-123' }]);
    expect(parseRfc4514('OID.2.5.4.3=x').rdns[0]).toEqual([{ type: CN, value: 'x' }]);
  });

  it('§2.4: unescapes \\, \\+ \\" \\\\ \\< \\> \\; \\= \\# and escaped spaces', () => {
    const value = (dn: string): unknown => parseRfc4514(dn).rdns[0]?.[0]?.value;
    expect(value('O=Example\\, Inc.')).toBe('Example, Inc.');
    expect(value('CN=a\\+b\\"c\\\\d\\<e\\>f\\;g\\=h\\#i')).toBe('a+b"c\\d<e>f;g=h#i');
    expect(value('CN=\\#hash')).toBe('#hash');
    expect(value('CN=\\ padded\\ ')).toBe(' padded ');
    expect(value('CN=a=b')).toBe('a=b'); // "=" is allowed unescaped inside a value
  });

  it('§3: decodes \\XX hex pairs, which form UTF-8 together', () => {
    expect(parseRfc4514('CN=\\4C\\4c').rdns[0]?.[0]?.value).toBe('LL');
    expect(parseRfc4514('CN=Caf\\C3\\A9').rdns[0]?.[0]?.value).toBe('Café');
    expect(parseRfc4514('CN=Café 😀').rdns[0]?.[0]?.value).toBe('Café 😀');
  });

  it('§2.4: "#hexstring" is the BER of the value — strings are decoded, other types kept as DER', () => {
    expect(parseRfc4514('CN=#0c0568656c6c6f').rdns[0]?.[0]?.value).toBe('hello'); // UTF8String
    expect(parseRfc4514('CN=#1e0400410042').rdns[0]?.[0]?.value).toBe('AB'); // BMPString
    const binary = parseRfc4514('1.2.3.4=#04024142').rdns[0]?.[0]?.value;
    expect(binary).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(binary as Uint8Array).toString('hex')).toBe('04024142');
  });

  it('§2.2: "+" joins the attributes of a multi-valued RDN', () => {
    expect(parseRfc4514('CN=a+UID=b,O=x').rdns).toEqual([
      [{ type: O, value: 'x' }],
      [
        { type: CN, value: 'a' },
        { type: UID, value: 'b' },
      ],
    ]);
  });

  it('RFC 2253 §4: tolerates spaces around ",", "+" and "="', () => {
    expect(parseRfc4514('  CN = a b ,  O =x + UID= y  ')).toEqual(parseRfc4514('CN=a b,O=x+UID=y'));
  });

  it('returns the empty DN for an empty string (RFC 4514 §3)', () => {
    expect(parseRfc4514('').rdns).toEqual([]);
  });

  it('returns frozen objects', () => {
    const dn = parseRfc4514('CN=a,O=b');
    expect(Object.isFrozen(dn)).toBe(true);
    expect(Object.isFrozen(dn.rdns)).toBe(true);
    expect(Object.isFrozen(dn.rdns[0])).toBe(true);
    expect(Object.isFrozen(dn.rdns[0]?.[0])).toBe(true);
  });

  it.each([
    ['FOO=x', /unknown attribute type "FOO"/],
    ['CN=a;O=b', /";" in the value of CN must be escaped as "\\;" — RFC 4514 separates RDNs with "," only/],
    ['CN=a+O=b;OU=c', /must be escaped as "\\;"/],
    ['CN=a"b', /must be escaped/],
    ['CN=a<b', /must be escaped/],
    ['CN=a\\xb', /invalid escape "\\x"/],
    ['CN=a\\', /dangling/],
    ['CN=#0c0', /even, non-zero number of hex digits/],
    ['CN=#', /even, non-zero number of hex digits/],
    ['CN=#0c05616263', /not a valid DER value/],
    ['CN=#0c0161 x', /unexpected "x" after the #hexstring/],
    ['CN=a,,O=b', /expected an attribute type/],
    ['CN=a,', /expected an attribute type/],
    ['CN', /expected "="/],
    ['CN a', /expected "="/],
    ['=a', /expected an attribute type/],
    ['CN=\\C3', /not valid UTF-8/],
    ['1.02.3=x', /unknown attribute type/],
    ['OID.CN=x', /unknown attribute type/],
  ])('refuses %j with a precise message', (dn, message) => {
    expect(() => parseRfc4514(dn)).toThrowError(message);
    expect(() => parseRfc4514(dn)).toThrowError(/^invalid distinguished name at offset \d+: /);
  });

  it('refuses absurdly long input', () => {
    expect(() => parseRfc4514(`CN=${'a'.repeat(20_000)}`)).toThrowError(/too long/);
  });
});

describe('RFC 4514 §2 formatRfc4514', () => {
  it('writes the most specific RDN first with RFC 4514 §3 short names', () => {
    expect(formatRfc4514(parseRfc4514('cn = a ,o=b,  c=DE'))).toBe('CN=a,O=b,C=DE');
  });

  it('writes types outside the RFC 4514 §3 table as dotted OIDs', () => {
    expect(formatRfc4514(parseRfc4514('organizationIdentifier=x,emailAddress=y@z'))).toBe('2.5.4.97=x,1.2.840.113549.1.9.1=y@z');
  });

  it('§2.4: escapes specials, a leading "#" or space and a trailing space; non-strings as #hex', () => {
    const dn = parseRfc4514('CN=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h,O=\\#x,OU=\\ y\\ ,1.2.3=#04024142');
    expect(formatRfc4514(dn)).toBe('CN=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h,O=\\#x,OU=\\ y\\ ,1.2.3=#04024142');
    expect(parseRfc4514(formatRfc4514(dn))).toEqual(dn);
  });

  it('writes control characters as hex pairs so log lines stay single-line', () => {
    expect(formatRfc4514(parseRfc4514('CN=a\\0Ab'))).toBe('CN=a\\0ab');
  });

  it('round-trips multi-valued RDNs', () => {
    expect(formatRfc4514(parseRfc4514('CN=a+UID=b,O=x'))).toBe('CN=a+UID=b,O=x');
  });
});

describe('RFC 4517 §4.2.15 distinguishedNameMatch', () => {
  it('matches despite different spacing, attribute-name case and value case', () => {
    expect(match('CN=Client One,O=ACME Corp,C=DE', 'cn = client one ,  o=acme corp,c=de')).toBe(true);
    expect(match('CN=Client One,O=ACME Corp', 'commonName=CLIENT   ONE,organizationName=  Acme Corp ')).toBe(true);
  });

  it('"same number of RDNs in the same order": a reordered DN does not match', () => {
    expect(match('CN=a,O=b,C=DE', 'O=b,CN=a,C=DE')).toBe(false);
    expect(match('CN=a,O=b', 'CN=a,O=b,C=DE')).toBe(false);
    expect(match('CN=a,O=b', 'CN=a+O=b')).toBe(false);
  });

  it('multi-valued RDNs are sets: either order matches', () => {
    expect(match('CN=a+UID=b,O=x', 'UID=B+cn=A,o=X')).toBe(true);
    expect(match('CN=a+UID=b,O=x', 'CN=a,O=x')).toBe(false);
  });

  it('compares values, not spellings: escapes and #hex strings', () => {
    expect(match('O=Example\\, Inc.', 'O=example\\2C inc.')).toBe(true);
    expect(match('CN=#0c03616263', 'CN=ABC')).toBe(true);
    expect(match('1.2.3=#04024142', '1.2.3=#04024142')).toBe(true);
    expect(match('1.2.3=#04024142', '1.2.3=AB')).toBe(false); // a DER value never equals a string
  });

  it('"2.5.4.97=" and "organizationIdentifier=" name the same attribute', () => {
    expect(match('organizationIdentifier=VATDE-123456789,CN=x', '2.5.4.97=vatde-123456789,cn=X')).toBe(true);
    expect(match('OID.2.5.4.97=VATDE-1', 'organizationidentifier=VATDE-1')).toBe(true);
  });

  it('RFC 4518: NFKC, case folding and every kind of space', () => {
    expect(match('CN=ﬁle', 'CN=FILE')).toBe(true); // U+FB01 ligature
    expect(match('CN=ＡＢＣ', 'CN=abc')).toBe(true); // full-width
    expect(match('CN=a\u00a0b', 'CN=a b')).toBe(true); // NO-BREAK SPACE
    expect(match('CN=a\u200bb', 'CN=ab')).toBe(true); // ZERO WIDTH SPACE maps to nothing
    expect(match('CN=Straße', 'CN=STRASSE')).toBe(true);
    expect(match('CN=Café', 'CN=Cafe\u0301')).toBe(true); // precomposed vs combining accent
    expect(match('CN=a b', 'CN=ab')).toBe(false);
  });

  it('RFC 4518 §2.4: a value with a prohibited character matches nothing, not even itself', () => {
    expect(match('CN=a\uE000', 'CN=a\uE000')).toBe(false);
  });

  it('country, domain component and emailAddress are compared case-insensitively too', () => {
    expect(match('C=de,DC=Example,DC=COM,E=Ops@Example.com', 'C=DE,DC=example,DC=com,emailAddress=ops@example.com')).toBe(true);
  });

  it('matches a DER subject whatever string type encodes it (UTF8String, PrintableString, BMPString, IA5String)', () => {
    const subject = subjectOf(
      name(
        [[C, printable('DE')]],
        [[O, bmp('Example, Inc.')]],
        [
          [CN, utf8('Client  One')],
          [UID, utf8('u-1')],
        ],
        [[EMAIL, ia5('ops@example.com')]],
      ),
    );
    expect(distinguishedNameMatch(subject, parseRfc4514('E=OPS@example.com,UID=u-1+CN=client one,O=example\\, inc.,C=de'))).toBe(true);
    expect(distinguishedNameMatch(subject, parseRfc4514('E=ops@example.com,CN=client one+UID=u-1,C=DE,O=Example\\, Inc.'))).toBe(false);
  });
});

describe('X.680 character strings: decodeAttributeValue', () => {
  it('decodes each string type and keeps other types as DER', () => {
    expect(decodeAttributeValue(utf8('é'))).toBe('é');
    expect(decodeAttributeValue(printable('AT&T'))).toBe('AT&T');
    expect(decodeAttributeValue(Buffer.from('1e0400e90041', 'hex'))).toBe('éA');
    expect(decodeAttributeValue(Buffer.from('1c080001f60000000041', 'hex'))).toBe('😀A');
    expect(decodeAttributeValue(Buffer.from('1403e9e8e0', 'hex'))).toBe('éèà'); // TeletexString as Latin-1
    expect(decodeAttributeValue(Buffer.from('02020100', 'hex'))).toEqual(Uint8Array.from([2, 2, 1, 0]));
  });

  it.each([
    ['0c02c328', /UTF-8|decode/i],
    ['1601ff', /non-ASCII/],
    // asn1js throws on an odd-length BMPString before our decoder sees it.
    ['1e03004100', /odd length|not a valid DER value/],
    ['1e02d800', /lone surrogate/],
    ['1c0400110000', /invalid code point/],
    ['120161', /non-numeric/],
    ['0c0561', /length/],
    ['0c8101', /non-minimal/],
  ])('refuses %s', (hex, message) => {
    expect(() => decodeAttributeValue(Buffer.from(hex, 'hex'))).toThrowError(message);
  });
});
