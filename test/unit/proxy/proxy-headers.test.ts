import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_CHAIN_LENGTH,
  DEFAULT_MAX_HEADER_BYTES,
  type ForwardedHeaders,
  PROXY_CERTIFICATE_FORMATS,
  type ProxyCertificateSource,
  extractForwardedCertificate,
  validateProxySource,
} from '../../../src/certificates/proxy-headers.js';
import { ConfigurationError, OAuthError } from '../../../src/errors/errors.js';
import { sha256 } from '../../../src/util/encoding.js';
import {
  INTERMEDIATE_PEM,
  LEAF_PEM,
  LEAF_SHA256_HEX,
  ROOT_PEM,
  albEncode,
  byteSequence,
  derOf,
  urlEncode,
} from './fixtures.js';
import { prng } from '../../helpers/prng.js';

const LEAF_DER = derOf(LEAF_PEM);
const INTERMEDIATE_DER = derOf(INTERMEDIATE_PEM);
const ROOT_DER = derOf(ROOT_PEM);

const NGINX: ProxyCertificateSource = { format: 'nginx' };
const ENVOY: ProxyCertificateSource = { format: 'envoy' };
const RFC9440: ProxyCertificateSource = { format: 'rfc9440' };
const ALB: ProxyCertificateSource = { format: 'aws-alb' };

function malformedDetail(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    const oauthError = error as OAuthError;
    expect(oauthError.reason).toBe('proxy_header_malformed');
    expect(oauthError.status).toBe(400);
    return oauthError.detail ?? '';
  }
  throw new Error('expected proxy_header_malformed');
}

function configurationError(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('ERR_M2M_INVALID_OPTION');
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

function pemOf(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function xfcc(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join(';');
}

describe('SPEC Mutual TLS — the forwarded certificate is returned as DER, leaf first, chain without the leaf', () => {
  it('exposes the four formats', () => {
    expect(PROXY_CERTIFICATE_FORMATS).toEqual(['nginx', 'envoy', 'rfc9440', 'aws-alb']);
  });

  it('the fixture is the known-answer vector (SHA-256 from openssl)', () => {
    expect(sha256(LEAF_DER).toString('hex')).toBe(LEAF_SHA256_HEX);
  });

  it.each<[string, ProxyCertificateSource, ForwardedHeaders]>([
    ['nginx', NGINX, { 'x-ssl-client-cert': urlEncode(LEAF_PEM) }],
    ['envoy', ENVOY, { 'x-forwarded-client-cert': xfcc({ Cert: `"${urlEncode(LEAF_PEM)}"` }) }],
    ['rfc9440', RFC9440, { 'client-cert': byteSequence(LEAF_DER) }],
    ['aws-alb', ALB, { 'x-amzn-mtls-clientcert': albEncode(LEAF_PEM) }],
  ])('%s: leafDer is the certificate’s DER', (_name, source, headers) => {
    const forwarded = extractForwardedCertificate(headers, source);
    expect(forwarded?.leafDer.equals(LEAF_DER)).toBe(true);
    expect(forwarded?.chainDer).toEqual([]);
    expect(sha256(forwarded?.leafDer ?? Buffer.alloc(0)).toString('hex')).toBe(LEAF_SHA256_HEX);
  });

  it.each<[string, ProxyCertificateSource, string]>([
    ['nginx', NGINX, 'x-ssl-client-cert'],
    ['envoy', ENVOY, 'x-forwarded-client-cert'],
    ['rfc9440', RFC9440, 'client-cert'],
    ['aws-alb', ALB, 'x-amzn-mtls-clientcert'],
  ])('%s: an absent or empty header means no certificate', (_name, source, header) => {
    expect(extractForwardedCertificate({}, source)).toBeUndefined();
    expect(extractForwardedCertificate({ [header]: undefined }, source)).toBeUndefined();
    expect(extractForwardedCertificate({ [header]: '' }, source)).toBeUndefined();
    expect(extractForwardedCertificate({ [header]: '  ' }, source)).toBeUndefined();
    expect(extractForwardedCertificate({ [header]: [] }, source)).toBeUndefined();
  });

  it.each<[string, ProxyCertificateSource, string, string]>([
    ['nginx', NGINX, 'x-ssl-client-cert', urlEncode(LEAF_PEM)],
    ['envoy', ENVOY, 'x-forwarded-client-cert', `Cert="${urlEncode(LEAF_PEM)}"`],
    ['rfc9440', RFC9440, 'client-cert', byteSequence(LEAF_DER)],
    ['aws-alb', ALB, 'x-amzn-mtls-clientcert', albEncode(LEAF_PEM)],
  ])('%s: a header repeated on the wire (array value) is malformed; one line in an array is fine', (_n, source, header, value) => {
    expect(malformedDetail(() => extractForwardedCertificate({ [header]: [value, value] }, source))).toMatch(
      new RegExp(`${header}: the header appears 2 times`),
    );
    expect(extractForwardedCertificate({ [header]: [value] }, source)?.leafDer.equals(LEAF_DER)).toBe(true);
  });

  it.each<[string, ProxyCertificateSource, string]>([
    ['nginx', NGINX, 'x-ssl-client-cert'],
    ['envoy', ENVOY, 'x-forwarded-client-cert'],
    ['rfc9440', RFC9440, 'client-cert'],
    ['aws-alb', ALB, 'x-amzn-mtls-clientcert'],
  ])('%s: a header over maxHeaderBytes (default 16 KiB) is malformed', (_name, source, header) => {
    const huge = 'A'.repeat(DEFAULT_MAX_HEADER_BYTES + 1);
    expect(malformedDetail(() => extractForwardedCertificate({ [header]: huge }, source))).toMatch(
      /over the 16384-octet limit \(maxHeaderBytes\)/,
    );
  });

  it('maxHeaderBytes is configurable', () => {
    const value = urlEncode(LEAF_PEM);
    const tight: ProxyCertificateSource = { format: 'nginx', maxHeaderBytes: value.length - 1 };
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-ssl-client-cert': value }, tight))).toMatch(
      /maxHeaderBytes/,
    );
    const exact: ProxyCertificateSource = { format: 'nginx', maxHeaderBytes: value.length };
    expect(extractForwardedCertificate({ 'x-ssl-client-cert': value }, exact)?.leafDer.equals(LEAF_DER)).toBe(true);
  });

  it('a value that is not a string (from an untyped adapter) is malformed, not a TypeError', () => {
    const headers = { 'client-cert': 42 } as unknown as ForwardedHeaders;
    expect(malformedDetail(() => extractForwardedCertificate(headers, RFC9440))).toMatch(/not a string/);
  });

  it('reads own header properties only', () => {
    const headers = Object.create({ 'x-ssl-client-cert': urlEncode(LEAF_PEM) }) as ForwardedHeaders;
    expect(extractForwardedCertificate(headers, NGINX)).toBeUndefined();
  });

  it('the result is frozen', () => {
    const forwarded = extractForwardedCertificate({ 'client-cert': byteSequence(LEAF_DER) }, RFC9440);
    expect(Object.isFrozen(forwarded)).toBe(true);
  });
});

describe('nginx $ssl_client_escaped_cert (URL-encoded PEM, leaf only)', () => {
  it('reads a configured header name', () => {
    const forwarded = extractForwardedCertificate(
      { 'x-client-certificate': urlEncode(LEAF_PEM) },
      { format: 'nginx', header: 'x-client-certificate' },
    );
    expect(forwarded?.leafDer.equals(LEAF_DER)).toBe(true);
  });

  it('accepts CRLF line breaks and a missing final line break', () => {
    const crlf = LEAF_PEM.replace(/\n/g, '\r\n');
    expect(extractForwardedCertificate({ 'x-ssl-client-cert': urlEncode(crlf) }, NGINX)?.leafDer.equals(LEAF_DER)).toBe(
      true,
    );
    const bare = LEAF_PEM.trimEnd();
    expect(extractForwardedCertificate({ 'x-ssl-client-cert': urlEncode(bare) }, NGINX)?.leafDer.equals(LEAF_DER)).toBe(
      true,
    );
  });

  it('decodes "+" as a plus sign (base64), never as a space', () => {
    // The intermediate's base64 contains "+": left raw, it must decode to itself.
    expect(INTERMEDIATE_PEM).toContain('+');
    const raw = urlEncode(INTERMEDIATE_PEM).replace(/%2B/g, '+');
    expect(extractForwardedCertificate({ 'x-ssl-client-cert': raw }, NGINX)?.leafDer.equals(INTERMEDIATE_DER)).toBe(true);
  });

  it('more than one certificate is malformed: nginx forwards the leaf alone', () => {
    const value = urlEncode(LEAF_PEM + INTERMEDIATE_PEM);
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-ssl-client-cert': value }, NGINX))).toMatch(
      /more than 1 certificate; nginx's \$ssl_client_escaped_cert is the leaf certificate alone/,
    );
  });

  it('a header joined by Node from two lines is malformed', () => {
    const value = `${urlEncode(LEAF_PEM)}, ${urlEncode(LEAF_PEM)}`;
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-ssl-client-cert': value }, NGINX))).toMatch(
      /outside a PEM block/,
    );
  });
});

describe('Strict PEM (RFC 7468 §2): CERTIFICATE blocks and nothing else', () => {
  const leafBody = LEAF_PEM.split('\n').slice(1, -2);

  it.each<[string, string, RegExp]>([
    ['wrong label: PRIVATE KEY', pemOf(LEAF_DER, 'PRIVATE KEY'), /PEM label "PRIVATE KEY" on line 1; only CERTIFICATE/],
    ['wrong label: TRUSTED CERTIFICATE', pemOf(LEAF_DER, 'TRUSTED CERTIFICATE'), /PEM label "TRUSTED CERTIFICATE"/],
    ['wrong label: X509 CERTIFICATE', pemOf(LEAF_DER, 'X509 CERTIFICATE'), /PEM label "X509 CERTIFICATE"/],
    ['explanatory text before the block', `Subject: CN=client\n${LEAF_PEM}`, /does not start with "-----BEGIN CERTIFICATE-----"/],
    ['a blank line before the block', `\n${LEAF_PEM}`, /does not start with/],
    ['text between blocks', `${LEAF_PEM}junk\n${INTERMEDIATE_PEM}`, /unexpected text outside a PEM block on line 14/],
    ['garbage base64', `-----BEGIN CERTIFICATE-----\n!!!notbase64!!!\n-----END CERTIFICATE-----\n`, /U\+0021 at column 1 of line 2 is not base64/],
    ['base64url alphabet', `-----BEGIN CERTIFICATE-----\nab-_\n-----END CERTIFICATE-----\n`, /U\+002D at column 3 of line 2 is not base64/],
    ['whitespace inside a line', LEAF_PEM.replace('MIIB3jCC', 'MIIB 3jCC'), /U\+0020 at column 5 of line 2/],
    ['a tab-indented line', LEAF_PEM.replace('\nMIIB', '\n\tMIIB'), /U\+0009 at column 1 of line 2/],
    ['an empty line inside the block', LEAF_PEM.replace('\nMIIB', '\n\nMIIB'), /empty line inside a PEM block on line 2/],
    ['no END line', LEAF_PEM.replace('-----END CERTIFICATE-----\n', ''), /PEM block without "-----END CERTIFICATE-----"/],
    ['END label mismatch', LEAF_PEM.replace('END CERTIFICATE', 'END PRIVATE KEY'), /is not "-----END CERTIFICATE-----"/],
    ['padding in the middle', `-----BEGIN CERTIFICATE-----\nMA==\nMAAA\n-----END CERTIFICATE-----\n`, /base64 continues after "=" padding on line 3/],
    ['missing padding', `-----BEGIN CERTIFICATE-----\n${leafBody.join('\n').replace(/=+$/, '')}\n-----END CERTIFICATE-----\n`, /not a whole number of 4-character groups/],
    ['non-zero padding bits', `-----BEGIN CERTIFICATE-----\nMAB=\n-----END CERTIFICATE-----\n`, /not canonical \(non-zero padding bits\)/],
    ['an empty body', `-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n`, /empty base64 body/],
    ['base64 of something that is not DER', `-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n`, /not a DER certificate \(does not start with a SEQUENCE\)/],
    ['a truncated certificate', pemOf(LEAF_DER.subarray(0, LEAF_DER.length - 1)), /not a DER certificate \(length does not match the data\)/],
    ['trailing bytes after the certificate', pemOf(Buffer.concat([LEAF_DER, Buffer.from([0])])), /length does not match the data/],
    ['an indefinite-length SEQUENCE', pemOf(Buffer.from([0x30, 0x80, 0x00, 0x00])), /indefinite length/],
    ['a non-minimal length', pemOf(Buffer.from([0x30, 0x81, 0x01, 0x00])), /non-minimal length/],
    ['no certificate at all', '', /./],
  ])('%s → malformed', (_name, pem, detail) => {
    const headers = { 'x-ssl-client-cert': pem === '' ? '%0A' : urlEncode(pem) };
    expect(malformedDetail(() => extractForwardedCertificate(headers, NGINX))).toMatch(detail);
  });

  it('invalid percent-encoding → malformed', () => {
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-ssl-client-cert': '%ZZ' }, NGINX))).toMatch(
      /x-ssl-client-cert: invalid percent-encoding/,
    );
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-ssl-client-cert': '%C3%28' }, NGINX))).toMatch(
      /invalid percent-encoding/,
    );
  });

  it('an unencoded PEM with spaces for line breaks (another proxy’s format) is malformed', () => {
    const flattened = LEAF_PEM.replace(/\n/g, ' ').trim();
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-ssl-client-cert': flattened }, NGINX))).toMatch(
      /does not start with/,
    );
  });
});

describe('Envoy x-forwarded-client-cert: Cert and Chain of the last element', () => {
  const cert = `"${urlEncode(LEAF_PEM)}"`;
  const chain = `"${urlEncode(LEAF_PEM + INTERMEDIATE_PEM)}"`;

  it('SANITIZE_SET: one element with By, Hash, Cert, Subject, URI and DNS', () => {
    const header = xfcc({
      By: 'spiffe://example.org/proxy',
      Hash: LEAF_SHA256_HEX,
      Cert: cert,
      Subject: '"CN=client.example"',
      URI: 'spiffe://example.org/client',
      DNS: 'client.example',
    });
    const forwarded = extractForwardedCertificate({ 'x-forwarded-client-cert': header }, ENVOY);
    expect(forwarded?.leafDer.equals(LEAF_DER)).toBe(true);
    expect(forwarded?.chainDer).toEqual([]);
  });

  it('Cert plus Chain ("the entire client certificate chain, including the leaf"): chainDer drops the leaf', () => {
    const header = xfcc({ Hash: LEAF_SHA256_HEX.toUpperCase(), Cert: cert, Chain: chain });
    const forwarded = extractForwardedCertificate({ 'x-forwarded-client-cert': header }, ENVOY);
    expect(forwarded?.leafDer.equals(LEAF_DER)).toBe(true);
    expect(forwarded?.chainDer).toHaveLength(1);
    expect(forwarded?.chainDer[0]?.equals(INTERMEDIATE_DER)).toBe(true);
  });

  it('Chain alone: the leaf is its first certificate', () => {
    const header = xfcc({ Chain: `"${urlEncode(LEAF_PEM + INTERMEDIATE_PEM + ROOT_PEM)}"` });
    const forwarded = extractForwardedCertificate({ 'x-forwarded-client-cert': header }, ENVOY);
    expect(forwarded?.leafDer.equals(LEAF_DER)).toBe(true);
    expect(forwarded?.chainDer.map((der) => der.toString('hex'))).toEqual([
      INTERMEDIATE_DER.toString('hex'),
      ROOT_DER.toString('hex'),
    ]);
  });

  it('APPEND_FORWARD: the last element wins over an element the client injected', () => {
    const forged = xfcc({ Hash: sha256(ROOT_DER).toString('hex'), Cert: `"${urlEncode(ROOT_PEM)}"` });
    const real = xfcc({ By: 'spiffe://edge', Hash: LEAF_SHA256_HEX, Cert: cert });
    const forwarded = extractForwardedCertificate({ 'x-forwarded-client-cert': `${forged},${real}` }, ENVOY);
    expect(forwarded?.leafDer.equals(LEAF_DER)).toBe(true);
  });

  it('the last element without Cert or Chain (Hash only) is malformed, whatever earlier elements say', () => {
    const header = `${xfcc({ Cert: cert })},Hash=${LEAF_SHA256_HEX}`;
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-forwarded-client-cert': header }, ENVOY))).toMatch(
      /the last element \(added by the nearest proxy\) has no Cert or Chain; set set_current_client_cert_details \{ cert: true \}/,
    );
  });

  it('Chain not starting with Cert is malformed', () => {
    const header = xfcc({ Cert: cert, Chain: `"${urlEncode(INTERMEDIATE_PEM + ROOT_PEM)}"` });
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-forwarded-client-cert': header }, ENVOY))).toMatch(
      /Chain does not start with the certificate in Cert/,
    );
  });

  it('Hash that is not the SHA-256 of the certificate is malformed', () => {
    const header = xfcc({ Hash: sha256(ROOT_DER).toString('hex'), Cert: cert });
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-forwarded-client-cert': header }, ENVOY))).toMatch(
      /Hash is not the SHA-256 of the forwarded certificate/,
    );
  });

  it('Cert given twice in one element is malformed', () => {
    const header = `Cert=${cert};Cert="${urlEncode(ROOT_PEM)}"`;
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-forwarded-client-cert': header }, ENVOY))).toMatch(
      /the key "cert" appears 2 times/,
    );
  });

  it('Cert holding two certificates is malformed', () => {
    const header = xfcc({ Cert: chain });
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-forwarded-client-cert': header }, ENVOY))).toMatch(
      /Cert: more than 1 certificate/,
    );
  });

  it('a Chain longer than maxChainLength is malformed', () => {
    const header = xfcc({ Chain: `"${urlEncode(LEAF_PEM + INTERMEDIATE_PEM + ROOT_PEM)}"` });
    const source: ProxyCertificateSource = { format: 'envoy', maxChainLength: 1 };
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-forwarded-client-cert': header }, source))).toMatch(
      /Chain: more than 2 certificates; at most 1 may follow the leaf \(maxChainLength\)/,
    );
  });

  it('an XFCC grammar error is malformed', () => {
    expect(
      malformedDetail(() => extractForwardedCertificate({ 'x-forwarded-client-cert': `Cert="${urlEncode(LEAF_PEM)}` }, ENVOY)),
    ).toMatch(/unterminated quoted value/);
  });

  it('an empty Cert is malformed', () => {
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-forwarded-client-cert': 'Cert=""' }, ENVOY))).toMatch(
      /Cert: does not start with|no certificate/,
    );
  });
});

describe('RFC 9440 §2.2 Client-Cert: "a Byte Sequence" of the DER end-entity certificate', () => {
  it('unpadded base64 is accepted (RFC 8941 §4.2.7: parsers "SHOULD NOT fail when = padding is not present")', () => {
    const unpadded = byteSequence(LEAF_DER).replace(/=+:$/, ':');
    expect(unpadded).not.toContain('=');
    expect(extractForwardedCertificate({ 'client-cert': unpadded }, RFC9440)?.leafDer.equals(LEAF_DER)).toBe(true);
  });

  it.each<[string, string, RegExp]>([
    ['plain base64 without colons', LEAF_DER.toString('base64'), /expected a byte sequence ":<base64 DER>:" \(RFC 8941 §3\.3\.5\) at offset 0/],
    ['no closing colon', `:${LEAF_DER.toString('base64')}`, /has no closing ":"/],
    ['a string item instead', `"${LEAF_DER.toString('base64')}"`, /expected a byte sequence/],
    ['base64url alphabet', `:${LEAF_DER.toString('base64url')}:`, /is not base64/],
    ['whitespace inside', `:${LEAF_DER.toString('base64').replace(/^(.{10})/, '$1 ')}:`, /U\+0020 is not base64 at offset 11/],
    ['base64 after padding', ':MA==MA==:', /base64 continues after "=" padding/],
    ['impossible length', ':MAAAA:', /not valid base64/],
    ['three padding characters', ':MA===:', /not valid base64/],
    ['parameters', `${byteSequence(LEAF_DER)};by=proxy`, /parameters are not allowed \(RFC 9440 §2\.2\)/],
    ['two byte sequences (two lines folded by Node)', `${byteSequence(LEAF_DER)}, ${byteSequence(LEAF_DER)}`, /it must hold exactly one byte sequence/],
    ['an empty byte sequence', '::', /not a DER certificate/],
    ['bytes that are not DER', ':aGVsbG8=:', /not a DER certificate \(does not start with a SEQUENCE\)/],
    ['PEM instead of a byte sequence', urlEncode(LEAF_PEM), /expected a byte sequence/],
  ])('%s → malformed', (_name, value, detail) => {
    expect(malformedDetail(() => extractForwardedCertificate({ 'client-cert': value }, RFC9440))).toMatch(detail);
  });

  it('the header repeated is malformed: "a singleton header field … MUST NOT … occur multiple times"', () => {
    const value = byteSequence(LEAF_DER);
    expect(malformedDetail(() => extractForwardedCertificate({ 'client-cert': [value, value] }, RFC9440))).toMatch(
      /client-cert: the header appears 2 times/,
    );
  });
});

describe('RFC 9440 §2.3 Client-Cert-Chain: "a List … Each item … a Byte Sequence", leaf excluded', () => {
  const leaf = byteSequence(LEAF_DER);

  it('returns the chain in order', () => {
    const headers = { 'client-cert': leaf, 'client-cert-chain': `${byteSequence(INTERMEDIATE_DER)}, ${byteSequence(ROOT_DER)}` };
    const forwarded = extractForwardedCertificate(headers, RFC9440);
    expect(forwarded?.leafDer.equals(LEAF_DER)).toBe(true);
    expect(forwarded?.chainDer.map((der) => der.toString('hex'))).toEqual([
      INTERMEDIATE_DER.toString('hex'),
      ROOT_DER.toString('hex'),
    ]);
  });

  it('accepts list whitespace variants (RFC 8941 §4.2.1: OWS around ",")', () => {
    const value = `${byteSequence(INTERMEDIATE_DER)},${byteSequence(ROOT_DER)}\t`;
    expect(extractForwardedCertificate({ 'client-cert': leaf, 'client-cert-chain': value }, RFC9440)?.chainDer).toHaveLength(2);
  });

  it('"It MAY … occur multiple times in a request": repeated lines are joined in order', () => {
    const headers = { 'client-cert': leaf, 'client-cert-chain': [byteSequence(INTERMEDIATE_DER), byteSequence(ROOT_DER)] };
    const forwarded = extractForwardedCertificate(headers, RFC9440);
    expect(forwarded?.chainDer[0]?.equals(INTERMEDIATE_DER)).toBe(true);
    expect(forwarded?.chainDer[1]?.equals(ROOT_DER)).toBe(true);
  });

  it('"MUST NOT appear unless Client-Cert is also present" → malformed', () => {
    expect(
      malformedDetail(() => extractForwardedCertificate({ 'client-cert-chain': byteSequence(INTERMEDIATE_DER) }, RFC9440)),
    ).toMatch(/client-cert-chain without client-cert/);
  });

  it.each<[string, string, RegExp]>([
    ['a trailing comma', `${byteSequence(INTERMEDIATE_DER)},`, /trailing "," \(RFC 8941 §4\.2\.1\)/],
    ['an empty member', `${byteSequence(INTERMEDIATE_DER)},,${byteSequence(ROOT_DER)}`, /expected a byte sequence/],
    ['an inner list', `(${byteSequence(INTERMEDIATE_DER)})`, /expected a byte sequence/],
    ['member parameters', `${byteSequence(INTERMEDIATE_DER)};a=1`, /parameters are not allowed/],
    ['a missing comma', `${byteSequence(INTERMEDIATE_DER)} ${byteSequence(ROOT_DER)}`, /expected ","/],
    ['a member that is not DER', `${byteSequence(INTERMEDIATE_DER)}, :AAAA:`, /client-cert-chain at offset \d+: not a DER certificate/],
  ])('%s → malformed', (_name, value, detail) => {
    expect(malformedDetail(() => extractForwardedCertificate({ 'client-cert': leaf, 'client-cert-chain': value }, RFC9440))).toMatch(
      detail,
    );
  });

  it(`more than maxChainLength (default ${DEFAULT_MAX_CHAIN_LENGTH}) certificates → malformed`, () => {
    const six = Array.from({ length: 6 }, () => byteSequence(INTERMEDIATE_DER)).join(', ');
    expect(malformedDetail(() => extractForwardedCertificate({ 'client-cert': leaf, 'client-cert-chain': six }, RFC9440))).toMatch(
      /more than 5 certificates; at most 5 may follow the leaf/,
    );
    const five = Array.from({ length: 5 }, () => byteSequence(INTERMEDIATE_DER)).join(', ');
    expect(extractForwardedCertificate({ 'client-cert': leaf, 'client-cert-chain': five }, RFC9440)?.chainDer).toHaveLength(5);
    const none: ProxyCertificateSource = { format: 'rfc9440', maxChainLength: 0 };
    expect(
      malformedDetail(() =>
        extractForwardedCertificate({ 'client-cert': leaf, 'client-cert-chain': byteSequence(ROOT_DER) }, none),
      ),
    ).toMatch(/more than 0 certificates/);
  });

  it('an oversized chain header → malformed', () => {
    const value = Array.from({ length: 40 }, () => byteSequence(INTERMEDIATE_DER)).join(', ');
    expect(value.length).toBeGreaterThan(DEFAULT_MAX_HEADER_BYTES);
    expect(malformedDetail(() => extractForwardedCertificate({ 'client-cert': leaf, 'client-cert-chain': value }, RFC9440))).toMatch(
      /client-cert-chain: the header is \d+ octets long, over the 16384-octet limit/,
    );
  });
});

describe('AWS ALB mutual TLS: X-Amzn-Mtls-Clientcert (passthrough) and -Leaf (verify)', () => {
  it('passthrough: "the entire client certificate chain", leaf first, "+=/ as safe characters"', () => {
    const value = albEncode(LEAF_PEM + INTERMEDIATE_PEM + ROOT_PEM);
    expect(value).toMatch(/[+/=]/);
    const forwarded = extractForwardedCertificate({ 'x-amzn-mtls-clientcert': value }, ALB);
    expect(forwarded?.leafDer.equals(LEAF_DER)).toBe(true);
    expect(forwarded?.chainDer.map((der) => der.toString('hex'))).toEqual([
      INTERMEDIATE_DER.toString('hex'),
      ROOT_DER.toString('hex'),
    ]);
  });

  it('fully percent-encoded input decodes the same', () => {
    const forwarded = extractForwardedCertificate({ 'x-amzn-mtls-clientcert': urlEncode(LEAF_PEM + INTERMEDIATE_PEM) }, ALB);
    expect(forwarded?.chainDer[0]?.equals(INTERMEDIATE_DER)).toBe(true);
  });

  it('passthrough chain longer than maxChainLength → malformed', () => {
    const value = albEncode(LEAF_PEM + INTERMEDIATE_PEM + ROOT_PEM);
    const source: ProxyCertificateSource = { format: 'aws-alb', maxChainLength: 1 };
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-amzn-mtls-clientcert': value }, source))).toMatch(
      /x-amzn-mtls-clientcert: more than 2 certificates/,
    );
  });

  it('verify mode: X-Amzn-Mtls-Clientcert-Leaf carries the leaf alone', () => {
    const source: ProxyCertificateSource = { format: 'aws-alb', header: 'x-amzn-mtls-clientcert-leaf' };
    const forwarded = extractForwardedCertificate({ 'x-amzn-mtls-clientcert-leaf': albEncode(LEAF_PEM) }, source);
    expect(forwarded?.leafDer.equals(LEAF_DER)).toBe(true);
    expect(forwarded?.chainDer).toEqual([]);
    expect(
      malformedDetail(() =>
        extractForwardedCertificate({ 'x-amzn-mtls-clientcert-leaf': albEncode(LEAF_PEM + INTERMEDIATE_PEM) }, source),
      ),
    ).toMatch(/more than 1 certificate; the verify-mode header is the leaf certificate alone/);
    // The passthrough header is not read when verify mode is configured, and vice versa.
    expect(extractForwardedCertificate({ 'x-amzn-mtls-clientcert': albEncode(LEAF_PEM) }, source)).toBeUndefined();
    expect(extractForwardedCertificate({ 'x-amzn-mtls-clientcert-leaf': albEncode(LEAF_PEM) }, ALB)).toBeUndefined();
  });

  it('garbage → malformed', () => {
    expect(malformedDetail(() => extractForwardedCertificate({ 'x-amzn-mtls-clientcert': 'not-a-certificate' }, ALB))).toMatch(
      /does not start with/,
    );
  });
});

describe('A certificate generated with openssl, through every format', () => {
  let dir: string | undefined;
  let pem = '';
  let der = Buffer.alloc(0);
  let available = true;

  beforeAll(() => {
    try {
      dir = mkdtempSync(join(tmpdir(), 'proxy-headers-'));
      const key = join(dir, 'k');
      const crt = join(dir, 'c');
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=t', '-days', '1', '-keyout', key, '-out', crt],
        { stdio: 'ignore' },
      );
      pem = readFileSync(crt, 'utf8');
      der = execFileSync('openssl', ['x509', '-in', crt, '-outform', 'DER']);
    } catch {
      available = false;
    }
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('leafDer equals openssl’s DER for nginx, envoy, rfc9440 and aws-alb', (context) => {
    if (!available) context.skip();
    const cases: [ProxyCertificateSource, ForwardedHeaders][] = [
      [NGINX, { 'x-ssl-client-cert': urlEncode(pem) }],
      [ENVOY, { 'x-forwarded-client-cert': `By=spiffe://p;Hash=${sha256(der).toString('hex')};Cert="${urlEncode(pem)}";Subject="CN=t"` }],
      [RFC9440, { 'client-cert': byteSequence(der) }],
      [ALB, { 'x-amzn-mtls-clientcert': albEncode(pem) }],
    ];
    for (const [source, headers] of cases) {
      expect(extractForwardedCertificate(headers, source)?.leafDer.equals(der), source.format).toBe(true);
    }
  });
});

describe('Malformed input is proxy_header_malformed and never another exception type', () => {
  // Random edits from a seeded PRNG (test/helpers/prng.ts), so a failure reproduces.
  const specials = [':', ',', ';', '=', '"', '\\', '%', '%0A', '%ZZ', '-', ' ', '\t', '\n', '\u0000', '\u00ff', '\u0100', '(', '+', '/'];

  function mutate(value: string, random: () => number): string {
    let out = value;
    const edits = 1 + Math.floor(random() * 4);
    for (let n = 0; n < edits; n++) {
      const at = Math.floor(random() * (out.length + 1));
      const choice = random();
      if (choice < 0.3) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 8));
      else if (choice < 0.6) out = out.slice(0, at) + (specials[Math.floor(random() * specials.length)] ?? '') + out.slice(at);
      else if (choice < 0.8) out = out.slice(0, at);
      else out = out.slice(0, at) + String.fromCharCode(Math.floor(random() * 256)) + out.slice(at + 1);
    }
    return out;
  }

  const seeds: [ProxyCertificateSource, string, string][] = [
    [NGINX, 'x-ssl-client-cert', urlEncode(LEAF_PEM)],
    [ENVOY, 'x-forwarded-client-cert', `By=spiffe://p;Hash=${LEAF_SHA256_HEX};Cert="${urlEncode(LEAF_PEM)}";Chain="${urlEncode(LEAF_PEM + INTERMEDIATE_PEM)}";DNS=a`],
    [RFC9440, 'client-cert', byteSequence(LEAF_DER)],
    [RFC9440, 'client-cert-chain', `${byteSequence(INTERMEDIATE_DER)}, ${byteSequence(ROOT_DER)}`],
    [ALB, 'x-amzn-mtls-clientcert', albEncode(LEAF_PEM + INTERMEDIATE_PEM)],
  ];

  it.each(seeds)('%o %s: 400 random mutations', (source, header, value) => {
    const random = prng(header.length * 7919 + value.length);
    for (let i = 0; i < 400; i++) {
      const mutated = mutate(value, random);
      const headers: Record<string, string> = { [header]: mutated };
      if (header === 'client-cert-chain') headers['client-cert'] = byteSequence(LEAF_DER);
      try {
        const result = extractForwardedCertificate(headers, source);
        if (result !== undefined) {
          expect(Buffer.isBuffer(result.leafDer)).toBe(true);
          expect(result.leafDer[0]).toBe(0x30);
        }
      } catch (error) {
        if (!(error instanceof OAuthError) || error.reason !== 'proxy_header_malformed') {
          throw new Error(`unexpected ${String(error)} for ${JSON.stringify(mutated)}`);
        }
      }
    }
  });
});

describe('validateProxySource: configuration is checked once, at construction', () => {
  it.each<[unknown, ProxyCertificateSource]>([
    [{ format: 'nginx' }, { format: 'nginx' }],
    [{ format: 'nginx', header: 'X-Client-Cert' }, { format: 'nginx', header: 'x-client-cert' }],
    [{ format: 'envoy', header: 'X-Forwarded-Client-Cert' }, { format: 'envoy', header: 'x-forwarded-client-cert' }],
    [{ format: 'rfc9440', maxHeaderBytes: 32768, maxChainLength: 3 }, { format: 'rfc9440', maxHeaderBytes: 32768, maxChainLength: 3 }],
    [{ format: 'aws-alb' }, { format: 'aws-alb' }],
    [{ format: 'aws-alb', header: 'X-Amzn-Mtls-Clientcert-Leaf' }, { format: 'aws-alb', header: 'x-amzn-mtls-clientcert-leaf' }],
    [{ format: 'envoy', maxChainLength: 0 }, { format: 'envoy', maxChainLength: 0 }],
  ])('%j → %j, frozen', (input, expected) => {
    const source = validateProxySource(input, 'options.mtls.proxyHeader');
    expect(source).toEqual(expected);
    expect(Object.isFrozen(source)).toBe(true);
  });

  it('a normalised header name is the one read', () => {
    const source = validateProxySource({ format: 'nginx', header: 'X-Client-Cert' }, 'source');
    expect(extractForwardedCertificate({ 'x-client-cert': urlEncode(LEAF_PEM) }, source)?.leafDer.equals(LEAF_DER)).toBe(true);
  });

  it.each<[unknown, string, RegExp]>([
    [undefined, 'src', /must be an object such as \{ format: "envoy" \}/],
    ['envoy', 'src', /must be an object/],
    [{}, 'src.format', /must be one of "nginx", "envoy", "rfc9440", "aws-alb" \(got undefined\)/],
    [{ format: 'haproxy' }, 'src.format', /\(got "haproxy"\)/],
    [{ format: 'nginx', headr: 'x' }, 'src.headr', /is not an option of the "nginx" format \(allowed: format, header, maxHeaderBytes, maxChainLength\)/],
    [{ format: 'rfc9440', header: 'client-cert' }, 'src.header', /RFC 9440 fixes the names Client-Cert and Client-Cert-Chain/],
    [{ format: 'nginx', header: 'x ssl' }, 'src.header', /must be an HTTP header name \(RFC 9110 §5\.1 token\)/],
    [{ format: 'nginx', header: '' }, 'src.header', /must be an HTTP header name/],
    [{ format: 'nginx', header: 42 }, 'src.header', /got 42/],
    [{ format: 'envoy', header: 'x-ssl-client-cert' }, 'src.header', /"x-forwarded-client-cert" only/],
    [{ format: 'aws-alb', header: 'x-amzn-mtls-clientcert-subject' }, 'src.header', /passthrough mode.*verify mode/],
    [{ format: 'nginx', maxHeaderBytes: 0 }, 'src.maxHeaderBytes', /integer from 1024 to 1048576 \(got 0\)/],
    [{ format: 'nginx', maxHeaderBytes: 2048.5 }, 'src.maxHeaderBytes', /integer/],
    [{ format: 'nginx', maxHeaderBytes: '16k' }, 'src.maxHeaderBytes', /got "16k"/],
    [{ format: 'envoy', maxChainLength: 17 }, 'src.maxChainLength', /integer from 0 to 16 \(got 17\)/],
    [{ format: 'envoy', maxChainLength: -1 }, 'src.maxChainLength', /got -1/],
  ])('%j → %s', (input, field, message) => {
    const error = configurationError(() => validateProxySource(input, 'src'));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
