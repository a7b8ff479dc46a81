/**
 * Property: `decodeBasicCredentials` (RFC 7617 base64, then RFC 6749 §2.3.1 / Appendix B
 * form-urlencoding of each part) on any token68 returns `{clientId, clientSecret}` with a
 * non-empty id, or throws `OAuthError` `basic_credentials_malformed`; and RFC 6749 §2.3.1
 * encoding round-trips for every id and secret, including ":", "%", "+" and non-ASCII.
 */
import { describe, it } from 'vitest';
import { decodeBasicCredentials } from '../../src/client-auth/basic.js';
import { assertProperty, expect, fc, hostileString, valueOrCodedError } from './support.js';

const enc = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
const b64 = (text: string | Uint8Array): string => Buffer.from(text).toString('base64');

const CREDENTIAL_PIECES = ['a', 'Z', '0', ':', '%', '%3A', '%3a', '%25', '+', '%2B', '%20', '%ZZ', '%C3%A9', '%C0%AF', '%ED%A0%80', '%FF', 'é', '😀', '\u0000', ' '];

const token68 = fc.oneof(
  hostileString(['A', 'b', '0', '+', '/', '=', '-', '_', ' ', '.', ':', '\u00e9'], 40),
  fc.uint8Array({ maxLength: 60 }).map(b64),
  hostileString(CREDENTIAL_PIECES, 30).map(b64),
  fc.tuple(hostileString(CREDENTIAL_PIECES, 15), hostileString(CREDENTIAL_PIECES, 15)).map(([id, secret]) => b64(`${id}:${secret}`)),
  fc.integer({ min: 4090, max: 4100 }).map((length) => 'A'.repeat(length - (length % 4))),
);

describe('property: decodeBasicCredentials', () => {
  it('returns a non-empty client id and a secret, or throws OAuthError basic_credentials_malformed — for any token68', () => {
    assertProperty(token68, (token) => {
      valueOrCodedError(() => decodeBasicCredentials(token), { reasons: ['basic_credentials_malformed'] }, (credentials) => {
        expect(typeof credentials.clientId).toBe('string');
        expect(credentials.clientId.length).toBeGreaterThan(0);
        expect(typeof credentials.clientSecret).toBe('string');
      });
    }, 1000);
  });

  it('round-trips RFC 6749 §2.3.1 encoding: form-urlencode each part, join with ":", base64', () => {
    const id = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
    const secret = fc.string({ unit: 'binary', maxLength: 60 });
    assertProperty(fc.tuple(id, secret), ([clientId, clientSecret]) => {
      expect(decodeBasicCredentials(b64(`${enc(clientId)}:${enc(clientSecret)}`))).toEqual({ clientId, clientSecret });
    });
  });

  it('the first unescaped ":" always splits: a raw ":" can never become part of the client id', () => {
    assertProperty(fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 })), ([left, right]) => {
      const decoded = decodeBasicCredentials(b64(`${enc(left)}:${right.replace(/%/g, '%25').replace(/\+/g, '%2B')}`));
      expect(decoded.clientId).toBe(left);
      expect(decoded.clientSecret).toBe(right);
    });
  });
});
