/**
 * Properties of the distinguished-name code RFC 8705 §2.1.2 `tls_client_auth_subject_dn` rests on:
 * - `parseRfc4514` on any string returns a DN or throws its documented plain `Error`
 *   ("invalid distinguished name …"), nothing else;
 * - `parseRfc4514(formatRfc4514(dn))` equals `dn` for every DN (string and `#hex` values, every
 *   character, multi-valued RDNs) — RFC 4514 §2 and §3 are inverse;
 * - `distinguishedNameMatch` (RFC 4517 §4.2.15) is reflexive and symmetric, insensitive to what
 *   RFC 4514/4518 make insignificant (attribute-type spelling and case, value case, runs of
 *   spaces, spaces around separators, AVA order inside an RDN, the ASN.1 string type of a value),
 *   and sensitive to what is significant (a changed character, RDN order);
 * - a real DER subject, issued by the test PKI from a random DN string, matches that string.
 */
import { describe, it } from 'vitest';
import { parseCertificate } from '../../src/certificates/certificate.js';
import {
  type AttributeTypeAndValue,
  type DistinguishedName,
  decodeAttributeValue,
  distinguishedNameMatch,
  formatRfc4514,
  freezeDistinguishedName,
  parseRfc4514,
} from '../../src/certificates/distinguished-name.js';
import { createTestPki } from '../../src/testing/pki.js';
import { assertAsyncProperty, assertProperty, expect, fc, hostileString, valueOrCodedError } from './support.js';

const DN_ERROR = /distinguished name/;

const DN_PIECES = ['CN', 'cn', 'O', 'OU', 'C', 'DC', 'UID', 'emailAddress', 'E', '2.5.4.3', 'OID.2.5.4.3', '0.9.2342.19200300.100.1.25', '01.2', 'x-y', '=', ',', '+', ';', '\\', '\\,', '\\+', '\\2C', '\\C3\\A9', '\\C3', '\\ZZ', '#', '#04', '#0401', '#04024142', '#0c0161', '#1e03', '"', '<', '>', ' ', 'a', 'Z', 'é', '😀', '\u0000', '\u00ad', '\u200b'];

/** Types as `parseRfc4514` resolves them; some have RFC 4514 short names, some are written as OIDs. */
const TYPES = ['2.5.4.3', '2.5.4.10', '2.5.4.11', '2.5.4.6', '2.5.4.7', '2.5.4.8', '2.5.4.9', '0.9.2342.19200300.100.1.25', '0.9.2342.19200300.100.1.1', '2.5.4.5', '2.5.4.97', '1.2.840.113549.1.9.1', '1.3.6.1.4.1.311.60.2.1.3', '1.2.3.4.5.6.7.8.9'];

/** A DER value of a non-string type, which RFC 4514 writes as #hex. */
const derValue = fc.oneof(
  fc.uint8Array({ maxLength: 20 }).map((bytes) => Uint8Array.from([0x04, bytes.length, ...bytes])),
  fc.integer({ min: 0, max: 0x7f }).map((value) => Uint8Array.from([0x02, 0x01, value])),
  fc.constant(Uint8Array.from([0x05, 0x00])),
);
const ava: fc.Arbitrary<AttributeTypeAndValue> = fc.record({
  type: fc.constantFrom(...TYPES),
  value: fc.oneof({ weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }) }, { weight: 1, arbitrary: derValue }),
});
const anyDn: fc.Arbitrary<DistinguishedName> = fc
  .array(fc.array(ava, { minLength: 1, maxLength: 3 }), { maxLength: 5 })
  .map((rdns) => freezeDistinguishedName(rdns.map((rdn) => rdn.map((item) => Object.freeze({ ...item })))));

// ------------------------------------------------------------------------------------------------
// Simple DNs and their RFC-allowed respellings.

const SHORT_NAMES: Readonly<Record<string, readonly string[]>> = {
  CN: ['CN', 'cn', 'commonName', 'COMMONNAME', '2.5.4.3', 'OID.2.5.4.3', 'oid.2.5.4.3'],
  O: ['O', 'o', 'organizationName', '2.5.4.10'],
  OU: ['OU', 'ou', 'organizationalUnitName', '2.5.4.11'],
  C: ['C', 'c', 'countryName', '2.5.4.6'],
  L: ['L', 'l', 'localityName', '2.5.4.7'],
  DC: ['DC', 'dc', 'domainComponent', '0.9.2342.19200300.100.1.25'],
  UID: ['UID', 'uid', 'userId', '0.9.2342.19200300.100.1.1'],
};
/** Values of letters, digits and single inner spaces: nothing to escape, so respellings are unambiguous. */
const simpleValue = fc
  .array(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.@-]{0,7}$/), { minLength: 1, maxLength: 3 })
  .map((words) => words.join(' '));
interface SimpleAva {
  readonly name: keyof typeof SHORT_NAMES;
  readonly value: string;
}
const simpleRdn = fc.uniqueArray(fc.record({ name: fc.constantFrom(...(Object.keys(SHORT_NAMES) as (keyof typeof SHORT_NAMES)[])), value: simpleValue }), {
  minLength: 1,
  maxLength: 3,
  selector: (item) => item.name,
});
const simpleDn = fc.array(simpleRdn, { minLength: 1, maxLength: 4 });

const canonical = (rdns: readonly (readonly SimpleAva[])[]): string => rdns.map((rdn) => rdn.map(({ name, value }) => `${name}=${value}`).join('+')).join(',');

/** Every change RFC 4514 §3 / RFC 2253 §4 / RFC 4518 lets a writer make without changing the name. */
interface Respelling {
  readonly typeSpelling: readonly number[];
  readonly caseFlips: readonly boolean[];
  readonly spaceRuns: readonly number[];
  readonly aroundSeparators: readonly string[];
  readonly shuffle: readonly number[];
  readonly escapeEdges: boolean;
}
const respelling: fc.Arbitrary<Respelling> = fc.record({
  typeSpelling: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
  caseFlips: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
  spaceRuns: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 16, maxLength: 16 }),
  aroundSeparators: fc.array(fc.constantFrom('', ' ', '  '), { minLength: 32, maxLength: 32 }),
  shuffle: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
  escapeEdges: fc.boolean(),
});

function respell(rdns: readonly (readonly SimpleAva[])[], how: Respelling): string {
  let n = 0;
  const pick = <T>(list: readonly T[]): T => list[n++ % list.length] as T;
  const rdnTexts = rdns.map((rdn) => {
    // An RDN is a SET (RFC 5280 §4.1.2.4): any rotation of its AVAs is the same RDN.
    const offset = pick(how.shuffle);
    const rotated = rdn.map((_, index) => rdn[(index + offset) % rdn.length] as SimpleAva);
    return rotated
      .map(({ name, value }) => {
        const spellings = SHORT_NAMES[name] as readonly string[];
        const type = spellings[pick(how.typeSpelling) % spellings.length] as string;
        let text = Array.from(value, (char) => (pick(how.caseFlips) ? (char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase()) : char)).join('');
        text = text.replace(/ /g, () => ' '.repeat(pick(how.spaceRuns)));
        // An escaped leading or trailing space is part of the value, and insignificant to the match (RFC 4518 §2.6.1).
        if (how.escapeEdges) text = `\\ ${text}\\ `;
        return `${type}${pick(how.aroundSeparators)}=${pick(how.aroundSeparators)}${text}`;
      })
      .join(`${pick(how.aroundSeparators)}+${pick(how.aroundSeparators)}`);
  });
  return rdnTexts.join(`${pick(how.aroundSeparators)},${pick(how.aroundSeparators)}`);
}

// DER string types for one ASCII value: UTF8String, PrintableString, IA5String, BMPString, UniversalString, TeletexString.
function asDer(tag: number, value: string): Uint8Array {
  const content =
    tag === 0x1e ? Buffer.from(value, 'utf16le').swap16() : tag === 0x1c ? Buffer.concat(Array.from(value, (char) => Buffer.from([0, 0, 0, char.charCodeAt(0)]))) : Buffer.from(value, 'latin1');
  return Uint8Array.from([tag, content.length, ...content]);
}

describe('property: parseRfc4514', () => {
  it('returns a DN or throws the documented plain Error ("invalid distinguished name …") — for any string', () => {
    assertProperty(hostileString(DN_PIECES, 30), (text) => {
      valueOrCodedError(() => parseRfc4514(text), { plainError: DN_ERROR }, (dn) => {
        for (const rdn of dn.rdns) {
          expect(rdn.length).toBeGreaterThan(0);
          for (const item of rdn) expect(item.type).toMatch(/^[0-2](\.\d+)+$/);
        }
      });
    }, 1000);
  });

  it('RFC 4514 §2/§3 round-trip: parseRfc4514(formatRfc4514(dn)) equals dn, for any characters and #hex values', () => {
    assertProperty(anyDn, (dn) => {
      const text = formatRfc4514(dn);
      expect(parseRfc4514(text), text).toEqual(dn);
    });
  });

  it('formatting is stable: formatRfc4514(parseRfc4514(formatRfc4514(dn))) is the same string', () => {
    assertProperty(anyDn, (dn) => {
      const once = formatRfc4514(dn);
      expect(formatRfc4514(parseRfc4514(once))).toBe(once);
    });
  });

  it('a formatted DN holds no raw control character (one log line, RFC 4514 §2.4 hex escapes)', () => {
    assertProperty(anyDn, (dn) => {
      expect(formatRfc4514(dn)).not.toMatch(/[\u0000-\u001f\u007f]/);
    });
  });
});

describe('property: distinguishedNameMatch (RFC 4517 §4.2.15)', () => {
  it('is reflexive for every parsed DN free of RFC 4518 §2.4 prohibited characters, and symmetric for any two', () => {
    assertProperty(fc.tuple(anyDn, anyDn), ([a, b]) => {
      const prohibited = a.rdns.some((rdn) => rdn.some((item) => typeof item.value === 'string' && /[\p{Co}\p{Cs}\p{Noncharacter_Code_Point}\ufffd]/u.test(item.value.normalize('NFKC'))));
      if (!prohibited) expect(distinguishedNameMatch(a, a)).toBe(true);
      expect(distinguishedNameMatch(a, b)).toBe(distinguishedNameMatch(b, a));
      expect(distinguishedNameMatch(a, parseRfc4514(formatRfc4514(a)))).toBe(!prohibited);
    });
  });

  it('ignores what RFC 4514/4518 make insignificant: type spelling and case, value case, space runs, spaces around separators, AVA order, escaped edge spaces', () => {
    assertProperty(fc.tuple(simpleDn, respelling), ([rdns, how]) => {
      const original = parseRfc4514(canonical(rdns));
      const variant = respell(rdns, how);
      expect(distinguishedNameMatch(original, parseRfc4514(variant)), variant).toBe(true);
    });
  });

  it('sees what is significant: one changed character of a value, or reversed RDN order, no longer matches', () => {
    assertProperty(fc.tuple(simpleDn, fc.nat(), fc.nat()), ([rdns, rdnIndex, charIndex]) => {
      const original = parseRfc4514(canonical(rdns));
      const target = rdns[rdnIndex % rdns.length] as SimpleAva[];
      const changed = rdns.map((rdn) =>
        rdn === target
          ? rdn.map((item, index) => {
              if (index !== 0) return item;
              const at = charIndex % item.value.length;
              const char = item.value[at] as string;
              const replacement = /[0-8]/.test(char) ? String(Number(char) + 1) : char === '9' ? '0' : /[a-y]/i.test(char) ? String.fromCharCode(char.charCodeAt(0) + 1) : 'q';
              return { ...item, value: `${item.value.slice(0, at)}${replacement}${item.value.slice(at + 1)}` };
            })
          : rdn,
      );
      expect(distinguishedNameMatch(original, parseRfc4514(canonical(changed)))).toBe(false);
      const reversed = [...rdns].reverse();
      if (canonical(reversed).toLowerCase() !== canonical(rdns).toLowerCase()) {
        expect(distinguishedNameMatch(original, parseRfc4514(canonical(reversed)))).toBe(false);
      }
    });
  });

  it('compares values, not their ASN.1 string type: UTF8String, PrintableString, IA5String, BMPString, UniversalString and TeletexString of one text match', () => {
    assertProperty(fc.tuple(fc.stringMatching(/^[A-Za-z0-9 ]{1,20}$/), fc.constantFrom(0x0c, 0x13, 0x16, 0x1e, 0x1c, 0x14), fc.constantFrom(0x0c, 0x13, 0x16, 0x1e, 0x1c, 0x14)), ([text, tagA, tagB]) => {
      const dn = (tag: number): DistinguishedName =>
        freezeDistinguishedName([[Object.freeze({ type: '2.5.4.3', value: decodeAttributeValue(asDer(tag, text)) })]]);
      expect(distinguishedNameMatch(dn(tagA), dn(tagB))).toBe(true);
      const upper = freezeDistinguishedName([[Object.freeze({ type: '2.5.4.3', value: text.toUpperCase() })]]);
      expect(distinguishedNameMatch(dn(tagA), parseRfc4514(formatRfc4514(upper)))).toBe(true);
    });
  });
});

describe('property: decodeAttributeValue (a DER attribute value from a certificate)', () => {
  it('returns a string or the DER bytes, or throws the documented plain Error — for any bytes', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.tuple(fc.constantFrom(0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e, 0x04, 0x30, 0x31, 0x80), fc.uint8Array({ maxLength: 30 })).map(([tag, content]) => Uint8Array.from([tag, content.length, ...content])),
    );
    assertProperty(bytes, (der) => {
      // Documented "@throws Error"; a strict UTF-8 decoder's TypeError is that too. Every caller wraps it.
      valueOrCodedError(() => decodeAttributeValue(der), { plainError: /./, plainErrorClasses: [TypeError] }, (value) => {
        expect(typeof value === 'string' || value instanceof Uint8Array).toBe(true);
      });
    }, 1000);
  });
});

describe('property: a real certificate subject (DER, issued by the test PKI) matches the RFC 4514 string it was issued for', () => {
  it('parseCertificate(cert).subject matches parseRfc4514(string), and survives formatRfc4514', async () => {
    const pki = await createTestPki({ intermediate: false });
    await assertAsyncProperty(simpleDn, async (rdns) => {
      const subject = canonical(rdns);
      const identity = await pki.issueClientCertificate({ subject });
      const parsed = parseCertificate(identity.der).subject;
      expect(distinguishedNameMatch(parsed, parseRfc4514(subject)), subject).toBe(true);
      expect(distinguishedNameMatch(parsed, parseRfc4514(formatRfc4514(parsed))), formatRfc4514(parsed)).toBe(true);
    }, 25);
  });
});
