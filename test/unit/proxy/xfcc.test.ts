import { describe, expect, it } from 'vitest';
import {
  XFCC_DEFAULT_MAX_LENGTH,
  type XfccElement,
  nearestXfccElement,
  parseXfcc,
  xfccSingleValue,
} from '../../../src/certificates/xfcc.js';
import { OAuthError } from '../../../src/errors/errors.js';

/** Elements as plain objects, for readable expectations. */
function parsed(value: string): Record<string, readonly string[]>[] {
  return parseXfcc(value).map((element) => Object.fromEntries(element));
}

function malformedDetail(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    const oauthError = error as OAuthError;
    expect(oauthError.reason).toBe('proxy_header_malformed');
    expect(oauthError.error).toBe('invalid_request');
    return oauthError.detail ?? '';
  }
  throw new Error('expected proxy_header_malformed');
}

describe('Envoy XFCC grammar: "comma separated elements, semicolon separated key=value pairs"', () => {
  it.each<[string, string, Record<string, readonly string[]>[]]>([
    [
      'the example from the Envoy documentation',
      'By=http://frontend.lyft.com;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;' +
        'Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=spiffe://lyft.com/test',
      [
        {
          by: ['http://frontend.lyft.com'],
          hash: ['468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688'],
          subject: ['/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client'],
          uri: ['spiffe://lyft.com/test'],
        },
      ],
    ],
    [
      'two elements, as appended by two proxies (APPEND_FORWARD)',
      'By=spiffe://edge;Hash=11;URI=spiffe://client,By=spiffe://sidecar;Hash=22;URI=spiffe://edge',
      [
        { by: ['spiffe://edge'], hash: ['11'], uri: ['spiffe://client'] },
        { by: ['spiffe://sidecar'], hash: ['22'], uri: ['spiffe://edge'] },
      ],
    ],
    [
      '"," ";" and "=" are literal inside quotes',
      'Subject="CN=a,O=b;OU=c=d";Hash=ff',
      [{ subject: ['CN=a,O=b;OU=c=d'], hash: ['ff'] }],
    ],
    [
      '\\" is an escaped quote inside quotes',
      'Subject="CN=\\"quoted\\", O=x";Hash=1',
      [{ subject: ['CN="quoted", O=x'], hash: ['1'] }],
    ],
    [
      'other backslashes are kept, so RFC 4514 escapes in Subject survive',
      'Subject="CN=a\\,b\\+c\\\\d"',
      [{ subject: ['CN=a\\,b\\+c\\\\d'] }],
    ],
    [
      'DNS and URI repeat once per SAN: all values kept in order',
      'Hash=ab;DNS=a.example;URI=spiffe://one;DNS=b.example;URI=spiffe://two',
      [{ hash: ['ab'], dns: ['a.example', 'b.example'], uri: ['spiffe://one', 'spiffe://two'] }],
    ],
    ['a Hash-only element', 'Hash=abc123', [{ hash: ['abc123'] }]],
    [
      'keys are case-insensitive, values case-sensitive',
      'hAsH=AbC;cErT="XyZ";by=Q',
      [{ hash: ['AbC'], cert: ['XyZ'], by: ['Q'] }],
    ],
    ['an empty URI (Envoy writes "URI=" for a certificate without one)', 'Hash=a;URI=', [{ hash: ['a'], uri: [''] }]],
    ['an empty quoted value', 'Subject="";Hash=a', [{ subject: [''], hash: ['a'] }]],
    [
      'an unquoted value may contain "=" (Envoy does not quote URI SANs)',
      'URI=https://svc.example/path?a=b&c=d;Hash=1',
      [{ uri: ['https://svc.example/path?a=b&c=d'], hash: ['1'] }],
    ],
    [
      'optional whitespace around separators, as left by folding repeated lines with ", "',
      '  Hash=a ; DNS=b.example\t,  Hash=c  ',
      [{ hash: ['a'], dns: ['b.example'] }, { hash: ['c'] }],
    ],
    ['whitespace after a closing quote', 'Subject="x" ;Hash=1', [{ subject: ['x'], hash: ['1'] }]],
    ['obs-text (Latin-1) inside a value', 'Subject="CN=Jos\u00e9"', [{ subject: ['CN=Jos\u00e9'] }]],
    [
      'a URL-encoded Cert value',
      'Hash=1;Cert="-----BEGIN%20CERTIFICATE-----%0AMIIB%2B%2F%3D%0A-----END%20CERTIFICATE-----%0A"',
      [{ hash: ['1'], cert: ['-----BEGIN%20CERTIFICATE-----%0AMIIB%2B%2F%3D%0A-----END%20CERTIFICATE-----%0A'] }],
    ],
    ['an empty value has no elements', '', []],
    ['an all-whitespace value has no elements', ' \t ', []],
  ])('%s', (_name, value, expected) => {
    expect(parsed(value)).toEqual(expected);
  });
});

describe('Envoy XFCC grammar: malformed values are proxy_header_malformed', () => {
  it.each<[string, string, RegExp]>([
    ['unterminated quote', 'Hash=1;Subject="CN=a', /unterminated quoted value starting at offset 15/],
    ['an escaped quote cannot close the value', 'Subject="CN=a\\"', /unterminated quoted value/],
    ['missing "="', 'Hash', /key "hash" at offset 0 has no "=" and value/],
    ['missing "=" in a later pair', 'Hash=1;DNS', /key "dns" at offset 7 has no "="/],
    ['missing "=" before the next element', 'Hash=1,By', /key "by" .* no "="/],
    ['whitespace instead of "="', 'Hash 1', /no "=" and value/],
    ['empty key', '=abc', /empty key at offset 0/],
    ['empty key in a later pair', 'Hash=1;=abc', /empty key at offset 7/],
    ['empty pair', 'Hash=1;;DNS=x', /empty element or key=value pair at offset 7/],
    ['empty element', 'Hash=1,,Hash=2', /empty element or key=value pair at offset 7/],
    ['trailing ","', 'Hash=1,', /empty element or key=value pair at offset 7/],
    ['trailing ";"', 'Hash=1;', /empty element or key=value pair/],
    ['leading ","', ',Hash=1', /empty element or key=value pair at offset 0/],
    ['NUL in a value', 'Hash=1\u00002', /control character U\+0000 in a value at offset 6/],
    ['LF inside quotes', 'Subject="a\nb"', /control character U\+000A in a quoted value/],
    ['CR in a value', 'Hash=1\r', /control character U\+000D/],
    ['DEL in a value', 'Hash=1\u007f', /control character U\+007F/],
    ['a tab inside an unquoted value', 'Hash=a\tb', /control character U\+0009 in a value/],
    ['a tab inside quotes', 'Subject="a\tb"', /control character U\+0009 in a quoted value/],
    ['beyond Latin-1', 'Hash=\u0100', /U\+0100/],
    ['text after the closing quote', 'Subject="a"b;Hash=1', /unexpected character after the closing quote at offset 11/],
    ['a bare quote inside an unquoted value', 'Hash=a"b', /unescaped double quote inside an unquoted value at offset 6/],
    ['a quote after whitespace is not a quoted value', 'Hash= "a"', /unescaped double quote/],
    ['a space inside a key', 'Ha sh=1', /no "=" and value/],
    ['a separator character inside a key', 'Ha(sh=1', /invalid character U\+0028 in a key at offset 2/],
    ['a quoted key', '"Hash"=1', /invalid character U\+0022 in a key at offset 0/],
    ['control character in a key', 'Ha\u0001sh=1', /control character U\+0001 in a key/],
  ])('%s', (_name, value, detail) => {
    expect(malformedDetail(() => parseXfcc(value))).toMatch(detail);
  });

  it(`a value over the size cap (default ${XFCC_DEFAULT_MAX_LENGTH} characters)`, () => {
    const value = `Hash=${'a'.repeat(XFCC_DEFAULT_MAX_LENGTH)}`;
    expect(malformedDetail(() => parseXfcc(value))).toMatch(/over the 16384-character limit/);
    expect(parseXfcc(value, { maxLength: value.length })).toHaveLength(1);
    expect(malformedDetail(() => parseXfcc('Hash=abcdef', { maxLength: 8 }))).toMatch(/over the 8-character limit/);
  });

  it('a non-string value from an untyped caller', () => {
    expect(malformedDetail(() => parseXfcc(undefined as unknown as string))).toMatch(/not a string/);
  });

});

describe('Envoy XFCC grammar: cost', () => {
  it('is linear: a cap-sized header of many tiny pairs parses quickly', () => {
    const value = Array.from({ length: 1800 }, (_, i) => `DNS=${i}`).join(';');
    expect(value.length).toBeLessThanOrEqual(XFCC_DEFAULT_MAX_LENGTH);
    const started = performance.now();
    const [element] = parseXfcc(value);
    expect(element?.get('dns')).toHaveLength(1800);
    expect(performance.now() - started).toBeLessThan(250);
  });
});

describe('Envoy forward_client_cert_details: the nearest proxy writes the last element', () => {
  it('APPEND_FORWARD: the last element is the one appended by the nearest proxy', () => {
    const elements = parseXfcc('Hash=forged;URI=spiffe://attacker,Hash=real;URI=spiffe://client');
    expect(nearestXfccElement(elements)?.get('hash')).toEqual(['real']);
  });

  it('SANITIZE_SET: a single element is its own nearest', () => {
    const elements = parseXfcc('Hash=only');
    expect(nearestXfccElement(elements)?.get('hash')).toEqual(['only']);
  });

  it('no elements, no nearest element', () => {
    expect(nearestXfccElement([])).toBeUndefined();
  });
});

describe('xfccSingleValue', () => {
  const [element] = parseXfcc('Hash=1;DNS=a;DNS=b;Cert="x";Cert="y"') as [XfccElement];

  it('returns the one value, or undefined when absent', () => {
    expect(xfccSingleValue(element, 'hash')).toBe('1');
    expect(xfccSingleValue(element, 'chain')).toBeUndefined();
  });

  it('refuses to pick one of several values', () => {
    expect(malformedDetail(() => xfccSingleValue(element, 'cert'))).toMatch(/the key "cert" appears 2 times in one element/);
  });
});
