/**
 * Property: the RFC 6749 request-body parser (`parseFormBody`, via a request object) on any body
 * a caller or a host framework can hand it — text, bytes, a pre-parsed form or junk — returns a
 * map of non-empty names to non-empty values or throws `OAuthError` with one of the documented
 * reasons; and application/x-www-form-urlencoded (RFC 6749 Appendix B, WHATWG URL §5) round-trips.
 */
import { describe, it } from 'vitest';
import { parseFormBody } from '../../src/core/form.js';
import type { EndpointRequest } from '../../src/core/request.js';
import type { ReasonCode } from '../../src/errors/reasons.js';
import { assertProperty, expect, fc, hostileString, valueOrCodedError } from './support.js';

const MAX_BODY = 16_384;
const FORM_REASONS: readonly ReasonCode[] = ['content_type_unsupported', 'charset_unsupported', 'body_too_large', 'body_malformed', 'parameter_repeated', 'resource_multiple'];
const FORM_PIECES = ['a', 'b', 'client_id', 'resource', 'scope', '=', '&', '+', '%', '%2', '%20', '%3D', '%26', '%2B', '%25', '%C3', '%A9', '%C3%A9', '%E2%82%AC', '%F0%9F%98%80', '%ED%A0%80', '%C0%AF', '%FF', '%zz', '%0', 'é', '😀', '\u0000', '\r\n', ' '];

const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/x-www-form-urlencoded',
    'APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8',
    'application/x-www-form-urlencoded;charset="utf8"',
    'application/x-www-form-urlencoded; charset=latin1',
    'application/json',
    'text/plain',
    '',
    ';;;=',
    'application/x-www-form-urlencoded; charset',
  ),
  hostileString(['application/x-www-form-urlencoded', ';', 'charset', '=', '"', 'utf-8', ' ', ','], 8),
);
const headerValue = fc.oneof(contentTypes, fc.array(contentTypes, { maxLength: 3 }));

/** Anything a host might have put in `request.body`. */
const bodies: fc.Arbitrary<unknown> = fc.oneof(
  hostileString(FORM_PIECES, 60),
  fc.uint8Array({ maxLength: 200 }),
  hostileString(FORM_PIECES, 60).map((text) => new TextEncoder().encode(text)),
  fc.dictionary(hostileString(FORM_PIECES, 6), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined), fc.anything()), { maxKeys: 5 }),
  fc.anything(),
  fc.constant(undefined),
  fc.integer({ min: MAX_BODY - 2, max: MAX_BODY + 2 }).map((size) => 'a'.repeat(size)),
);

function request(body: unknown, contentType: string | string[] | undefined): EndpointRequest {
  return { method: 'POST', headers: contentType === undefined ? {} : { 'content-type': contentType }, body: body as EndpointRequest['body'] };
}

/** RFC 6749 Appendix B / WHATWG: encodeURIComponent, then %20 as "+". Hex case varies: decoders must not care. */
function encode(value: string, upperHex: boolean): string {
  const encoded = encodeURIComponent(value).replace(/%20/g, '+');
  return upperHex ? encoded : encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
}

const parameterName = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 });
const parameterValue = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });
const parameters = fc.uniqueArray(fc.tuple(parameterName, parameterValue), { maxLength: 8, selector: ([name]) => name });

describe('property: parseFormBody', () => {
  it('returns non-empty values (and names, from raw bodies), or throws OAuthError with a form reason — for any body, content type and header shape', () => {
    assertProperty(fc.tuple(bodies, fc.option(headerValue, { nil: undefined })), ([body, contentType]) => {
      valueOrCodedError(() => parseFormBody(request(body, contentType as string | string[] | undefined), MAX_BODY), { reasons: FORM_REASONS }, (parsed) => {
        expect(parsed).toBeInstanceOf(Map);
        for (const [name, value] of parsed) {
          expect(typeof name).toBe('string');
          expect(typeof value).toBe('string');
          // A raw body drops "=value" pairs; a host's pre-parsed form may keep an empty name (never read).
          if (typeof body === 'string' || body instanceof Uint8Array) expect(name.length).toBeGreaterThan(0);
          expect(value.length).toBeGreaterThan(0);
        }
      });
    }, 1000);
  });

  it('round-trips: any set of distinct parameters, form-urlencoded (either hex case), decodes to exactly those parameters — as text and as bytes', () => {
    assertProperty(fc.tuple(parameters, fc.boolean(), fc.boolean()), ([pairs, upperHex, asBytes]) => {
      const text = pairs.map(([name, value]) => `${encode(name, upperHex)}=${encode(value, upperHex)}`).join('&');
      const body = asBytes ? new TextEncoder().encode(text) : text;
      const parsed = parseFormBody(request(body, 'application/x-www-form-urlencoded'), MAX_BODY);
      expect(parsed).toEqual(new Map(pairs));
    });
  });

  it('round-trips a pre-parsed form (express.urlencoded shape) to the same parameters', () => {
    assertProperty(parameters, (pairs) => {
      const parsed = parseFormBody(request(Object.fromEntries(pairs), 'application/x-www-form-urlencoded'), MAX_BODY);
      expect(parsed).toEqual(new Map(pairs));
    });
  });

  it('RFC 6749 §3.2: any parameter sent twice with values is refused (parameter_repeated, or resource_multiple for resource)', () => {
    assertProperty(fc.tuple(parameters.filter((pairs) => pairs.length > 0), fc.nat(), parameterValue), ([pairs, index, second]) => {
      const [name] = pairs[index % pairs.length] as [string, string];
      const text = [...pairs, [name, second] as const].map(([key, value]) => `${encode(key, true)}=${encode(value, true)}`).join('&');
      try {
        parseFormBody(request(text, 'application/x-www-form-urlencoded'), MAX_BODY);
        expect.unreachable('a repeated parameter was accepted');
      } catch (error) {
        expect((error as { reason?: string }).reason).toBe(name === 'resource' ? 'resource_multiple' : 'parameter_repeated');
      }
    });
  });

  it('never decodes an invalid escape or invalid UTF-8 into something else: "%" not followed by two hex digits is body_malformed', () => {
    assertProperty(fc.tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 10 }), fc.constantFrom('%', '%4', '%G1', '%zz', '%C3', '%C3%28', '%ED%A0%80', '%C0%AF', '%F5%80%80%80')), ([prefix, bad]) => {
      const text = `a=${encodeURIComponent(prefix)}${bad}`;
      expect(() => parseFormBody(request(text, 'application/x-www-form-urlencoded'), MAX_BODY)).toThrow(expect.objectContaining({ reason: 'body_malformed' }));
    });
  });
});
