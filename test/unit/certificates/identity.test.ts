import { beforeAll, describe, expect, it } from 'vitest';
import { type ParsedCertificate, parseCertificate } from '../../../src/certificates/certificate.js';
import { compileTlsIdentityMatcher, tlsIdentityMismatchReason } from '../../../src/certificates/identity.js';
import { compileSanMatcher, formatIpAddress, parseIpAddress } from '../../../src/certificates/subject-alt-name.js';
import { type TestPki, createTestPki } from '../../../src/testing/pki.js';
import { basicConstraints, miniCa, miniLeaf, name, subjectAltName, utf8 } from './certs.js';

const hex = (bytes: Buffer | undefined): string | undefined => bytes?.toString('hex');

describe('RFC 8705 §2.1.2 tls_client_auth_subject_dn', () => {
  let pki: TestPki;
  let leaf: ParsedCertificate;
  let multiValued: ParsedCertificate;
  let orgId: ParsedCertificate;
  beforeAll(async () => {
    pki = await createTestPki({ commonNamePrefix: 'identity' });
    leaf = parseCertificate((await pki.issueClientCertificate({ subject: 'CN=Client One,OU=Payments,O=Acme\\, Inc.,C=DE' })).der);
    multiValued = parseCertificate((await pki.issueClientCertificate({ subject: 'CN=svc-b+UID=4711,O=Acme' })).der);
    orgId = parseCertificate((await pki.issueClientCertificate({ subject: 'CN=svc-c,organizationIdentifier=VATDE-123456789,C=DE' })).der);
  });
  const matches = (registered: string, cert: ParsedCertificate): boolean =>
    compileTlsIdentityMatcher('tls_client_auth_subject_dn', registered)(cert);

  it('matches the DER subject structurally despite spacing, attribute-name case and value case', () => {
    expect(matches('CN=Client One,OU=Payments,O=Acme\\, Inc.,C=DE', leaf)).toBe(true);
    expect(matches('cn = client one , ou=PAYMENTS,  o=ACME\\, INC. ,c=de', leaf)).toBe(true);
    expect(matches('commonName=Client   One,organizationalUnitName=Payments,organizationName=Acme\\2C Inc.,countryName=DE', leaf)).toBe(true);
  });

  it('does not match RDNs in another order, a missing RDN or another value', () => {
    expect(matches('OU=Payments,CN=Client One,O=Acme\\, Inc.,C=DE', leaf)).toBe(false);
    expect(matches('CN=Client One,O=Acme\\, Inc.,C=DE', leaf)).toBe(false);
    expect(matches('CN=Client Two,OU=Payments,O=Acme\\, Inc.,C=DE', leaf)).toBe(false);
    expect(matches('CN=Client One,OU=Payments,O=Acme Inc.,C=DE', leaf)).toBe(false);
  });

  it('matches a multi-valued RDN written in either order', () => {
    expect(matches('CN=svc-b+UID=4711,O=Acme', multiValued)).toBe(true);
    expect(matches('UID=4711+CN=svc-b,O=Acme', multiValued)).toBe(true);
    expect(matches('CN=svc-b,UID=4711,O=Acme', multiValued)).toBe(false);
  });

  it('matches organizationIdentifier written as a name or as 2.5.4.97', () => {
    expect(matches('CN=svc-c,organizationIdentifier=VATDE-123456789,C=DE', orgId)).toBe(true);
    expect(matches('CN=svc-c,2.5.4.97=VATDE-123456789,C=DE', orgId)).toBe(true);
  });

  it('matches a #hex value against the decoded certificate string', () => {
    // "Client One" as a UTF8String: tag 0c, length 0a.
    expect(matches(`CN=#0c0a${Buffer.from('Client One').toString('hex')},OU=Payments,O=Acme\\, Inc.,C=DE`, leaf)).toBe(true);
  });

  it('refuses an invalid or empty registered DN at compile time', () => {
    expect(() => compileTlsIdentityMatcher('tls_client_auth_subject_dn', 'CN=a;O=b')).toThrowError(/invalid distinguished name at offset 4/);
    expect(() => compileTlsIdentityMatcher('tls_client_auth_subject_dn', '   ')).toThrowError(/empty DN/);
    expect(() => compileTlsIdentityMatcher('tls_client_auth_subject_dn', '')).toThrowError(/non-empty/);
  });

  it('compiles once per field and value', () => {
    const first = compileTlsIdentityMatcher('tls_client_auth_subject_dn', 'CN=x');
    expect(compileTlsIdentityMatcher('tls_client_auth_subject_dn', 'CN=x')).toBe(first);
  });

  it('a certificate without a subject matches no registered DN', () => {
    const ca = miniCa();
    const empty = parseCertificate(miniLeaf(ca, { subject: name(), extensions: [basicConstraints(false), { ...subjectAltName({ dns: ['x.example'] }), critical: true }] }));
    expect(empty.subject.rdns).toEqual([]);
    expect(matches('CN=x', empty)).toBe(false);
  });
});

describe('RFC 8705 §2.1.2 tls_client_auth_san_*', () => {
  let cert: ParsedCertificate;
  let wildcard: ParsedCertificate;
  let mapped: ParsedCertificate;
  beforeAll(async () => {
    const pki = await createTestPki({ commonNamePrefix: 'san', intermediate: false });
    cert = parseCertificate(
      (
        await pki.issueClientCertificate({
          subject: 'CN=svc-san',
          san: {
            dns: ['Svc-A.Example.com'],
            uri: ['spiffe://acme.example/ns/prod/sa/svc-a'],
            ip: ['192.0.2.10', '2001:db8::a'],
            email: ['svc-a@example.com'],
          },
        })
      ).der,
    );
    wildcard = parseCertificate((await pki.issueClientCertificate({ subject: 'CN=wild', san: { dns: ['*.example.com'] } })).der);
    // Built byte by byte: one 16-byte IPv4-mapped entry, one 4-byte entry.
    const ca = miniCa();
    mapped = parseCertificate(
      miniLeaf(ca, {
        subject: name([['2.5.4.3', utf8('mapped')]]),
        extensions: [subjectAltName({ ip: [parseIpAddress('::ffff:198.51.100.1') as Buffer, parseIpAddress('203.0.113.5') as Buffer] })],
      }),
    );
  });
  const matches = (field: Parameters<typeof compileTlsIdentityMatcher>[0], registered: string, on = cert): boolean =>
    compileTlsIdentityMatcher(field, registered)(on);

  it('dNSName: case-insensitive exact match', () => {
    expect(matches('tls_client_auth_san_dns', 'svc-a.example.com')).toBe(true);
    expect(matches('tls_client_auth_san_dns', 'SVC-A.EXAMPLE.COM')).toBe(true);
    expect(matches('tls_client_auth_san_dns', 'svc-b.example.com')).toBe(false);
    expect(matches('tls_client_auth_san_dns', 'example.com')).toBe(false);
    expect(matches('tls_client_auth_san_dns', 'svc-a.example.com.')).toBe(false);
  });

  it('dNSName: no wildcard expansion — "*.x" in the certificate matches only a registered "*.x"', () => {
    expect(matches('tls_client_auth_san_dns', 'svc-a.example.com', wildcard)).toBe(false);
    expect(matches('tls_client_auth_san_dns', '*.example.com', wildcard)).toBe(true);
    expect(matches('tls_client_auth_san_dns', '*.example.com')).toBe(false);
  });

  it('dNSName: a registered U-label is compared as its A-label', () => {
    const idn = compileSanMatcher('dns', 'bücher.example');
    expect(idn({ dns: ['xn--bcher-kva.example'], uri: [], ip: [], email: [] })).toBe(true);
  });

  it('uniformResourceIdentifier: exact string match', () => {
    expect(matches('tls_client_auth_san_uri', 'spiffe://acme.example/ns/prod/sa/svc-a')).toBe(true);
    expect(matches('tls_client_auth_san_uri', 'SPIFFE://acme.example/ns/prod/sa/svc-a')).toBe(false);
    expect(matches('tls_client_auth_san_uri', 'spiffe://acme.example/ns/prod/sa/svc-a/')).toBe(false);
  });

  it('rfc822Name: exact string match', () => {
    expect(matches('tls_client_auth_san_email', 'svc-a@example.com')).toBe(true);
    expect(matches('tls_client_auth_san_email', 'SVC-A@example.com')).toBe(false);
    expect(matches('tls_client_auth_san_email', 'svc-b@example.com')).toBe(false);
  });

  it('iPAddress: IPv4 compared as 4 octets', () => {
    expect(matches('tls_client_auth_san_ip', '192.0.2.10')).toBe(true);
    expect(matches('tls_client_auth_san_ip', '192.0.2.11')).toBe(false);
  });

  it('iPAddress: IPv6 compressed and full forms are the same address', () => {
    for (const form of ['2001:db8::a', '2001:0db8:0000:0000:0000:0000:0000:000a', '2001:DB8:0:0:0:0:0:A', '2001:db8:0::0:a']) {
      expect(matches('tls_client_auth_san_ip', form)).toBe(true);
    }
    expect(matches('tls_client_auth_san_ip', '2001:db8::b')).toBe(false);
  });

  it('iPAddress: IPv4 and IPv4-mapped IPv6 are different values (RFC 5280 §4.2.1.6 octet length)', () => {
    expect(hex(parseIpAddress('::ffff:198.51.100.1'))).toBe('00000000000000000000ffffc6336401');
    expect(matches('tls_client_auth_san_ip', '::ffff:198.51.100.1', mapped)).toBe(true);
    expect(matches('tls_client_auth_san_ip', '::ffff:c633:6401', mapped)).toBe(true); // same 16 octets
    expect(matches('tls_client_auth_san_ip', '198.51.100.1', mapped)).toBe(false); // 4 octets ≠ 16 octets
    expect(matches('tls_client_auth_san_ip', '203.0.113.5', mapped)).toBe(true);
    expect(matches('tls_client_auth_san_ip', '::ffff:203.0.113.5', mapped)).toBe(false);
  });

  it.each(['01.2.3.4', '1.2.3', '256.1.1.1', 'fe80::1%eth0', '[::1]', 'example.com', '1::2::3', ' 192.0.2.10', '::ffff:1.2.3'])(
    'refuses the registered IP %j at compile time',
    (registered) => {
      expect(() => compileTlsIdentityMatcher('tls_client_auth_san_ip', registered)).toThrowError(/tls_client_auth_san_ip: .* is not an IP address/);
    },
  );

  it('refuses registered SAN values with whitespace or control characters', () => {
    expect(() => compileTlsIdentityMatcher('tls_client_auth_san_dns', 'a .example')).toThrowError(/whitespace/);
    expect(() => compileTlsIdentityMatcher('tls_client_auth_san_uri', 'spiffe://x\n')).toThrowError(/whitespace/);
  });

  it('reports which reason a mismatch gets', () => {
    expect(tlsIdentityMismatchReason('tls_client_auth_subject_dn')).toBe('cert_subject_mismatch');
    for (const field of ['tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email'] as const) {
      expect(tlsIdentityMismatchReason(field)).toBe('cert_san_mismatch');
    }
  });

  it('refuses an unknown field', () => {
    expect(() => compileTlsIdentityMatcher('tls_client_auth_san_x' as 'tls_client_auth_san_dns', 'a')).toThrowError(TypeError);
  });
});

describe('RFC 4291 §2.2 / RFC 5952 IP address text', () => {
  it.each([
    ['0.0.0.0', '00000000'],
    ['255.255.255.255', 'ffffffff'],
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1::8', '00010000000000000000000000000008'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
  ])('parses %s', (text, expected) => {
    expect(hex(parseIpAddress(text))).toBe(expected);
  });

  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::', '::'],
    ['192.0.2.1', '192.0.2.1'],
  ])('formats %s canonically as %s', (text, canonical) => {
    expect(formatIpAddress(parseIpAddress(text) as Buffer)).toBe(canonical);
  });
});
