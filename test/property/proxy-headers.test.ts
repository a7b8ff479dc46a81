/**
 * Properties of the forwarded-certificate header parsers (RFC 8705 §2 behind a TLS-terminating
 * proxy): Envoy `x-forwarded-client-cert` (`parseXfcc`), RFC 9440 `Client-Cert` /
 * `Client-Cert-Chain`, and the nginx / Envoy / AWS ALB PEM forms (`extractForwardedCertificate`).
 * On any header value, any repetition and any format they return a value or throw `OAuthError`
 * `proxy_header_malformed` — never anything else; and what a proxy writes, they read back exactly.
 */
import { describe, it } from 'vitest';
import { type ProxyCertificateSource, extractForwardedCertificate } from '../../src/certificates/proxy-headers.js';
import { parseXfcc } from '../../src/certificates/xfcc.js';
import { assertProperty, expect, fc, hostileString, valueOrCodedError } from './support.js';

const MALFORMED = { reasons: ['proxy_header_malformed'] } as const;

// ------------------------------------------------------------------------------------------------
// XFCC

const XFCC_PIECES = ['By', 'Hash', 'Cert', 'Chain', 'Subject', 'URI', 'DNS', 'cert', '=', ';', ',', '"', '\\"', '\\', ' ', '\t', 'a', '0', 'spiffe://x/y', '%2C', '\u0000', '\u007f', '\u00e9', '\u0100', '😀'];

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}$/;
const xfccKey = fc.stringMatching(TCHAR);
/** Printable Latin-1 (what an HTTP field value can carry), never ending in a backslash (see below). */
const xfccValue = fc
  .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })), { maxLength: 24 })
  .map((codes) => String.fromCharCode(...codes))
  // Envoy's grammar escapes only `"`: a value ending in "\" cannot be written inside quotes
  // (`"a\"` reads as an escaped quote), so no proxy can send one.
  .filter((value) => !value.endsWith('\\'));
const xfccElements = fc.array(fc.array(fc.tuple(xfccKey, xfccValue), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 });

function quote(value: string): string {
  return `"${value.replace(/"/g, '\\"')}"`;
}
/** Unquoted where Envoy could leave it so: no separator, quote, tab, or edge whitespace. */
function maybeBare(value: string, bare: boolean): string {
  return bare && value !== '' && !/[,;="\t\\]/.test(value) && value.trim() === value ? value : quote(value);
}

describe('property: parseXfcc (Envoy x-forwarded-client-cert)', () => {
  it('returns elements or throws OAuthError proxy_header_malformed — for any string', () => {
    assertProperty(hostileString(XFCC_PIECES, 40), (value) => {
      valueOrCodedError(() => parseXfcc(value), MALFORMED, (elements) => {
        for (const element of elements) {
          expect(element.size).toBeGreaterThan(0);
          for (const [key, values] of element) {
            expect(key).toBe(key.toLowerCase());
            expect(values.length).toBeGreaterThan(0);
          }
        }
      });
    }, 1000);
  });

  it('round-trips what Envoy writes: keys case-insensitive, values exact, quoted or bare, ", " or "," between elements', () => {
    assertProperty(fc.tuple(xfccElements, fc.boolean(), fc.constantFrom(',', ', ', ' , '), fc.constantFrom(';', '; ')), ([elements, bare, elementSeparator, pairSeparator]) => {
      const header = elements.map((pairs) => pairs.map(([key, value]) => `${key}=${maybeBare(value, bare)}`).join(pairSeparator)).join(elementSeparator);
      const parsed = parseXfcc(header);
      expect(parsed).toHaveLength(elements.length);
      elements.forEach((pairs, index) => {
        const expected = new Map<string, string[]>();
        for (const [key, value] of pairs) expected.set(key.toLowerCase(), [...(expected.get(key.toLowerCase()) ?? []), value]);
        expect(parsed[index], header).toEqual(expected);
      });
    });
  });
});

// ------------------------------------------------------------------------------------------------
// extractForwardedCertificate

/** One DER SEQUENCE frame of random content: what the header decoder must find and delimit exactly. */
const derFrame = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((content) => {
  const length = content.length < 0x80 ? [content.length] : content.length < 0x100 ? [0x81, content.length] : [0x82, content.length >> 8, content.length & 0xff];
  return Buffer.from([0x30, ...length, ...content]);
});
const byteSequence = (der: Buffer, padded: boolean): string => `:${padded ? der.toString('base64') : der.toString('base64').replace(/=+$/, '')}:`;

const SOURCES: readonly ProxyCertificateSource[] = [
  { format: 'rfc9440' },
  { format: 'rfc9440', maxChainLength: 0 },
  { format: 'nginx' },
  { format: 'envoy' },
  { format: 'aws-alb' },
  { format: 'aws-alb', header: 'x-amzn-mtls-clientcert-leaf' },
];
const HEADER_NAMES = ['client-cert', 'client-cert-chain', 'x-ssl-client-cert', 'x-forwarded-client-cert', 'x-amzn-mtls-clientcert', 'x-amzn-mtls-clientcert-leaf'];
const PEM = '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n';
const HEADER_PIECES = [':', 'MAA=', 'MAMBAQA=', 'MIIB', 'A', '=', ',', ', ', ';', ' ', '%', '%0A', '%2B', '+', '/', PEM, encodeURIComponent(PEM), '-----BEGIN CERTIFICATE-----', '\n', 'Cert="', '"', 'Hash=', '\u00e9', '\u0000'];

const headerValue = fc.oneof(
  hostileString(HEADER_PIECES, 20),
  fc.array(hostileString(HEADER_PIECES, 10), { maxLength: 3 }),
  fc.integer({ min: 16_380, max: 16_390 }).map((length) => `:${'A'.repeat(length - 2)}:`),
);
const hostileHeaders = fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 3 });

describe('property: extractForwardedCertificate', () => {
  it('returns a leaf and a chain of DER frames, or throws OAuthError proxy_header_malformed — for any headers, in every format', () => {
    assertProperty(fc.tuple(hostileHeaders, fc.constantFrom(...SOURCES)), ([headers, source]) => {
      valueOrCodedError(() => extractForwardedCertificate(headers, source), MALFORMED, (forwarded) => {
        if (forwarded === undefined) return;
        expect(Buffer.isBuffer(forwarded.leafDer)).toBe(true);
        expect(forwarded.leafDer[0]).toBe(0x30);
        for (const der of forwarded.chainDer) expect(der[0]).toBe(0x30);
      });
    }, 1000);
  });

  it('RFC 9440 §2.2/§2.3 round-trip: a leaf and up to 5 chain certificates, padded or not, read back byte for byte', () => {
    const chain = fc.array(derFrame, { maxLength: 5 });
    assertProperty(fc.tuple(derFrame, chain, fc.boolean(), fc.constantFrom(',', ', ', ' ,  '), fc.boolean()), ([leaf, certificates, padded, separator, asRepeatedLines]) => {
      const members = certificates.map((der) => byteSequence(der, padded));
      const headers: Record<string, string | string[]> = { 'client-cert': byteSequence(leaf, padded) };
      // §2.3: Client-Cert-Chain "MAY have a list of values or occur multiple times".
      if (members.length > 0) headers['client-cert-chain'] = asRepeatedLines ? members : members.join(separator);
      const forwarded = extractForwardedCertificate(headers, { format: 'rfc9440' });
      expect(forwarded?.leafDer.equals(leaf)).toBe(true);
      expect(forwarded?.chainDer.map((der) => der.toString('hex'))).toEqual(certificates.map((der) => der.toString('hex')));
    });
  });

  it('PEM formats round-trip: nginx (leaf), Envoy (Cert + Chain) and AWS ALB (chain) read back the DER they were given', () => {
    const pem = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
    // PEM bodies must be non-empty: a frame of at least 2 content bytes.
    const frame = derFrame.filter((der) => der.length >= 3);
    assertProperty(fc.tuple(frame, fc.array(frame, { maxLength: 3 })), ([leaf, chain]) => {
      const nginx = extractForwardedCertificate({ 'x-ssl-client-cert': encodeURIComponent(pem(leaf)) }, { format: 'nginx' });
      expect(nginx?.leafDer.equals(leaf)).toBe(true);
      const all = [leaf, ...chain].map(pem).join('');
      const alb = extractForwardedCertificate({ 'x-amzn-mtls-clientcert': encodeURIComponent(all).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/') }, { format: 'aws-alb' });
      expect(alb?.leafDer.equals(leaf)).toBe(true);
      expect(alb?.chainDer.map((der) => der.toString('hex'))).toEqual(chain.map((der) => der.toString('hex')));
      const envoy = extractForwardedCertificate({ 'x-forwarded-client-cert': `By=spiffe://p;Cert="${encodeURIComponent(pem(leaf))}";Chain="${encodeURIComponent(all)}"` }, { format: 'envoy' });
      expect(envoy?.leafDer.equals(leaf)).toBe(true);
      expect(envoy?.chainDer.map((der) => der.toString('hex'))).toEqual(chain.map((der) => der.toString('hex')));
    });
  });

  it('never reads a certificate out of a header whose DER frame is off by one (length longer or shorter than the data)', () => {
    assertProperty(fc.tuple(derFrame, fc.constantFrom(-1, 1)), ([der, delta]) => {
      const bytes = delta < 0 ? der.subarray(0, der.length - 1) : Buffer.concat([der, Buffer.from([0])]);
      expect(() => extractForwardedCertificate({ 'client-cert': byteSequence(bytes, true) }, { format: 'rfc9440' })).toThrow(expect.objectContaining({ reason: 'proxy_header_malformed' }));
    });
  });
});
