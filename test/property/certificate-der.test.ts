/**
 * Properties of the X.509 decoder every client certificate — from the TLS socket or a proxy
 * header — goes through (`parseCertificate`, RFC 5280 §4.1), and of the trusted-proxy address
 * matcher that decides whether a header is read at all:
 * - any bytes, any string, and any one-place mutation of a genuine certificate give a parsed
 *   certificate or `OAuthError` `certificate_malformed` — never an asn1js, asn1-schema or OpenSSL
 *   exception;
 * - a mutated certificate that still parses has the thumbprint of its own bytes;
 * - the address matcher answers a boolean for any string, and never matches a non-address.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, it } from 'vitest';
import { parseCertificate } from '../../src/certificates/certificate.js';
import { createAddressMatcher } from '../../src/certificates/trusted-proxies.js';
import { createTestPki } from '../../src/testing/pki.js';
import { assertProperty, expect, fc, hostileString, valueOrCodedError } from './support.js';

const MALFORMED = { reasons: ['certificate_malformed'] } as const;

describe('property: parseCertificate', () => {
  const genuine: Buffer[] = [];
  const pems: string[] = [];

  beforeAll(async () => {
    const pki = await createTestPki();
    const identities = await Promise.all([
      pki.issueClientCertificate({ subject: 'CN=svc,O=Acme Corp', san: { dns: ['svc.example'], uri: ['spiffe://acme/svc'], ip: ['10.0.0.7', '2001:db8::7'], email: ['svc@acme.example'] } }),
      pki.issueClientCertificate({ subject: 'CN=rsa,O=Acme Corp', keyType: 'rsa' }),
      pki.createSelfSignedClientCertificate({ subject: 'CN=self', keyType: 'ed25519' }),
    ]);
    for (const identity of [...identities, pki.root, pki.server]) {
      genuine.push(identity.der);
      pems.push(identity.certificatePem);
    }
  });

  const mutation = fc.record({
    which: fc.nat(),
    kind: fc.constantFrom('flip', 'set', 'delete', 'insert', 'truncate', 'extend'),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
    bit: fc.integer({ min: 0, max: 7 }),
  });
  function mutate(der: Buffer, { kind, at, byte, bit }: { kind: string; at: number; byte: number; bit: number }): Buffer {
    const index = at % der.length;
    const copy = Buffer.from(der);
    switch (kind) {
      case 'flip':
        copy[index] = (copy[index] ?? 0) ^ (1 << bit);
        return copy;
      case 'set':
        copy[index] = byte;
        return copy;
      case 'delete':
        return Buffer.concat([der.subarray(0, index), der.subarray(index + 1)]);
      case 'insert':
        return Buffer.concat([der.subarray(0, index), Buffer.from([byte]), der.subarray(index)]);
      case 'truncate':
        return der.subarray(0, index);
      default:
        return Buffer.concat([der, Buffer.from([byte])]);
    }
  }

  it('a genuine certificate mutated in one place parses (with its own thumbprint) or is certificate_malformed', () => {
    assertProperty(mutation, (change) => {
      const der = mutate(genuine[change.which % genuine.length] as Buffer, change);
      valueOrCodedError(() => parseCertificate(der), MALFORMED, (parsed) => {
        expect(parsed.thumbprintS256).toBe(createHash('sha256').update(der).digest('base64url'));
        expect(parsed.der.equals(der)).toBe(true);
      });
    }, 600);
  });

  it('random bytes, and random bytes behind a SEQUENCE header, are certificate_malformed', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 120 }).map((content) => Uint8Array.from([0x30, 0x81, Math.max(content.length, 0x80), ...content])),
      fc.uint8Array({ maxLength: 120 }).map((content) => Uint8Array.from([0x30, content.length, ...content])),
    );
    assertProperty(bytes, (der) => {
      valueOrCodedError(() => parseCertificate(der), MALFORMED);
    }, 1000);
  });

  it('any string (PEM-ish or not) parses to one certificate or is certificate_malformed', () => {
    const text = fc.oneof(
      hostileString(['-----BEGIN CERTIFICATE-----', '-----END CERTIFICATE-----', '\n', 'MII', 'A', '=', ' ', '-----BEGIN X509 CERTIFICATE-----', 'é'], 12),
      fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('A', '=', ' ', '\n', '-', '*')).map(([which, at, char]) => {
        const pem = pems[which % pems.length] as string;
        const index = at % pem.length;
        return pem.slice(0, index) + char + pem.slice(index + 1);
      }),
    );
    assertProperty(text, (value) => {
      valueOrCodedError(() => parseCertificate(value), MALFORMED);
    }, 500);
  });
});

describe('property: trusted-proxy address matching', () => {
  const matcher = createAddressMatcher(['127.0.0.0/8', '10.0.0.0/8', '::1', 'fd00::/8', 'fe80::1%eth0']);

  it('answers a boolean for any string (or undefined) and never throws', () => {
    const address = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4().map((ip) => `::ffff:${ip}`),
      hostileString(['1', '0', '127', '.', ':', '::', 'ffff', '%', 'eth0', '/', '[', ']', ' ', 'a', 'g'], 20),
      fc.constant(undefined),
    );
    assertProperty(address, (value) => {
      expect(typeof matcher(value)).toBe('boolean');
    }, 1000);
  });

  it('matches exactly the configured ranges: any 127.x / 10.x address, in dotted or IPv4-mapped form; nothing of 11.x', () => {
    assertProperty(fc.tuple(fc.constantFrom(127, 10, 11), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })), ([a, b, c, d]) => {
      const ip = `${a}.${b}.${c}.${d}`;
      expect(matcher(ip)).toBe(a !== 11);
      expect(matcher(`::ffff:${ip}`)).toBe(a !== 11);
      // Text around an address is not an address: never trusted.
      expect(matcher(` ${ip}`)).toBe(false);
      expect(matcher(`${ip}:443`)).toBe(false);
      expect(matcher(`${ip}, 10.0.0.1`)).toBe(false);
    });
  });
});
