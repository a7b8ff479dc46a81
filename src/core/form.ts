import { isAscii } from 'node:buffer';
import { OAuthError } from '../errors/errors.js';
import { decodeUtf8Strict, isPlainObject } from '../util/encoding.js';
import { FormDecodingError, formUrlDecode, formUrlDecodeRepeated } from '../util/form-urlencoded.js';
import { type EndpointRequest, singleHeader } from './request.js';

/**
 * Parameters whose values are public and the same from request to request: their decoding may be
 * remembered. Never a credential (`client_secret`, `client_assertion`, `token`): those are always
 * decoded afresh and never kept.
 */
const REPEATED_PUBLIC_VALUES: ReadonlySet<string> = new Set(['grant_type', 'scope', 'client_assertion_type', 'client_id', 'resource', 'token_type_hint']);

/** RFC 8707 §2 allows `resource` to repeat; we refuse that with a precise error of its own. */
const REPEATABLE_WITH_OWN_ERROR = 'resource';

/**
 * Strictly parses an RFC 6749 request body:
 * - `application/x-www-form-urlencoded` only, UTF-8 only (Appendix B);
 * - a body larger than `maxBodyBytes` is refused (413);
 * - a parameter sent twice is `invalid_request` (§3.2), `resource` twice is `invalid_target`;
 * - a parameter without a value counts as omitted (§3.1); unknown parameters are kept, and
 *   ignored by the grant.
 */
export function parseFormBody(request: EndpointRequest, maxBodyBytes: number): Map<string, string> {
  checkContentType(singleHeader(request.headers, 'content-type'));
  const { body } = request;
  if (body === undefined) return new Map();
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (size > maxBodyBytes) throw new OAuthError('body_too_large', `${size} bytes > ${maxBodyBytes}`);
    return parseUrlEncoded(typeof body === 'string' ? body : bytesToText(body));
  }
  return fromParsedForm(body);
}

function checkContentType(contentType: string | undefined): void {
  // The usual header, exactly: nothing to split, trim or lower-case.
  if (contentType === 'application/x-www-form-urlencoded') return;
  if (contentType === undefined) throw new OAuthError('content_type_unsupported', 'no Content-Type');
  const [mediaType = '', ...parameters] = contentType.split(';');
  if (mediaType.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('content_type_unsupported', `Content-Type ${mediaType.trim().slice(0, 80)}`);
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') throw new OAuthError('charset_unsupported', `charset ${charset.slice(0, 40)}`);
  }
}

/** Raw (unescaped) non-ASCII bytes in a body must themselves be valid UTF-8. */
function bytesToText(body: Uint8Array): string {
  // The usual body is pure ASCII (the form is percent-encoded): no UTF-8 decoding needed.
  if (isAscii(body)) return (Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)).toString('latin1');
  try {
    return decodeUtf8Strict(body);
  } catch {
    throw new OAuthError('body_malformed', 'the body is not valid UTF-8');
  }
}

function parseUrlEncoded(body: string): Map<string, string> {
  const parameters = new Map<string, string>();
  const length = body.length;
  // One pass with indexOf instead of split: no array of pairs. `equals` is the next "=" at or
  // after `start`, found again only once passed, so the whole body is scanned once (linear even
  // for a body of "&&&…" with one "=" at the end).
  let equals = -1; // -1: not looked for yet; `length`: there is none left
  try {
    for (let start = 0; start < length; ) {
      let end = body.indexOf('&', start);
      if (end < 0) end = length;
      if (end > start) {
        if (equals < start) {
          equals = body.indexOf('=', start);
          if (equals < 0) equals = length;
        }
        const hasValue = equals < end;
        const name = formUrlDecode(body.slice(start, hasValue ? equals : end));
        const rawValue = hasValue ? body.slice(equals + 1, end) : '';
        const value = REPEATED_PUBLIC_VALUES.has(name) ? formUrlDecodeRepeated(rawValue) : formUrlDecode(rawValue);
        addParameter(parameters, name, value);
      }
      start = end + 1;
    }
  } catch (error) {
    if (error instanceof FormDecodingError) throw new OAuthError('body_malformed', error.message);
    throw error;
  }
  return parameters;
}

function addParameter(parameters: Map<string, string>, name: string, value: string): void {
  if (name === '') return;
  if (value === '') {
    // §3.1: a parameter sent without a value is treated as omitted.
    return;
  }
  if (parameters.has(name)) {
    if (name === REPEATABLE_WITH_OWN_ERROR) throw new OAuthError('resource_multiple');
    throw new OAuthError('parameter_repeated', `parameter ${name.slice(0, 40)} repeated`);
  }
  parameters.set(name, value);
}

function fromParsedForm(form: unknown): Map<string, string> {
  if (!isPlainObject(form)) throw new OAuthError('body_malformed', 'the parsed body is not a form object');
  const parameters = new Map<string, string>();
  for (const [name, raw] of Object.entries(form)) {
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    if (values.some((value) => typeof value !== 'string')) throw new OAuthError('body_malformed', `parameter ${name.slice(0, 40)} is not a string`);
    const present = (values as string[]).filter((value) => value !== '');
    if (present.length > 1) {
      if (name === REPEATABLE_WITH_OWN_ERROR) throw new OAuthError('resource_multiple');
      throw new OAuthError('parameter_repeated', `parameter ${name.slice(0, 40)} repeated`);
    }
    if (present[0] !== undefined) parameters.set(name, present[0]);
  }
  return parameters;
}
