/**
 * A parser for Envoy's `x-forwarded-client-cert` (XFCC) header.
 *
 * The grammar, from Envoy's "HTTP header manipulation" documentation
 * (configuration/http/http_conn_man/headers, section x-forwarded-client-cert):
 *
 * - "The XFCC header value is a comma (',') separated string. Each substring is an XFCC
 *   element, which holds information added by a single proxy."
 * - "Each XFCC element is a semicolon (';') separated string. Each substring is a key-value
 *   pair, grouped together by an equals ('=') sign. The keys are case-insensitive, the values
 *   are case-sensitive. If ',', ';' or '=' appear in a value, the value should be
 *   double-quoted. Double-quotes in the value should be replaced by backslash-double-quote (\")."
 * - Keys: `By`, `Hash`, `Cert`, `Chain`, `Subject`, `URI`, `DNS`; `By`, `URI` and `DNS` repeat
 *   once per SAN.
 *
 * What Envoy actually emits (source/common/http/conn_manager_utility.cc,
 * `mutateXfccRequestHeader`) shapes the lenient corners: `Cert`, `Chain` and `Subject` are
 * quoted, `By`/`URI`/`DNS`/`Hash` are not — so an unquoted URI may legitimately contain `=`
 * (only the first `=` of a pair separates key from value) — and `URI=` may be empty. Pairs are
 * joined with ";" and elements appended with ","; we also accept optional whitespace around
 * both separators, as produced when an HTTP stack folds repeated header lines with ", "
 * (RFC 9110 §5.3).
 *
 * Backslash handling follows the documented rule exactly: inside quotes `\"` is a literal `"`;
 * any other backslash is kept as is, so RFC 4514 escapes in `Subject` (`CN=a\,b`) survive.
 *
 * Strict elsewhere, because the header decides who the client is: an unterminated quote, a
 * pair without `=`, an empty key or element, text after a closing quote, a control character
 * or a value over the size cap is `proxy_header_malformed`, with the offset in the detail.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-client-cert
 */
import { OAuthError } from '../errors/errors.js';

/**
 * One XFCC element: lower-cased key → every value given for it, in order. Keys that Envoy
 * repeats (`by`, `uri`, `dns`) keep all their values; a key given once has one value.
 */
export type XfccElement = ReadonlyMap<string, readonly string[]>;

export interface ParseXfccOptions {
  /** Longest header value accepted, in characters (octets: Node decodes header values as Latin-1). Default 16 KiB. */
  readonly maxLength?: number;
}

/** Default cap on an XFCC value: a leaf plus a few intermediates, URL-encoded, fit with room to spare. */
export const XFCC_DEFAULT_MAX_LENGTH = 16 * 1024;

const HTAB = 0x09;
const SP = 0x20;
const DQUOTE = 0x22;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const DEL = 0x7f;

function malformed(detail: string): OAuthError {
  return new OAuthError('proxy_header_malformed', `x-forwarded-client-cert: ${detail}`);
}

/**
 * Parses an XFCC header value into its elements, first (furthest from us) to last (added by
 * the nearest proxy). An empty or all-whitespace value has no elements.
 *
 * Validated: the grammar above, and the size cap. Left to the caller: which element to believe
 * (see {@link nearestXfccElement}) and what its values mean (URL-decoding `Cert`/`Chain`,
 * checking `Hash`).
 *
 * @throws {OAuthError} `proxy_header_malformed`, with the offset of the problem in `detail`.
 * @example
 * ```ts
 * const [element] = parseXfcc('By=spiffe://proxy;Hash=ab12;Subject="CN=a,O=b";URI=spiffe://client');
 * element?.get('subject'); // ['CN=a,O=b']
 * ```
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-client-cert
 */
export function parseXfcc(value: string, options: ParseXfccOptions = {}): XfccElement[] {
  const maxLength = options.maxLength ?? XFCC_DEFAULT_MAX_LENGTH;
  if (typeof value !== 'string') throw malformed('the value is not a string');
  if (value.length > maxLength) {
    throw malformed(`the value is ${value.length} characters long, over the ${maxLength}-character limit`);
  }

  let end = value.length;
  while (end > 0 && isOws(value.charCodeAt(end - 1))) end--;
  let i = skipOws(value, 0, end);
  const elements: XfccElement[] = [];
  if (i === end) return elements;

  let element = new Map<string, string[]>();
  for (;;) {
    // key
    const keyStart = i;
    while (i < end && isTchar(value.charCodeAt(i))) i++;
    if (i === keyStart) {
      const c = value.charCodeAt(i);
      if (i === end || c === COMMA || c === SEMICOLON) {
        throw malformed(`empty element or key=value pair at offset ${i}`);
      }
      if (c === EQUALS) throw malformed(`empty key at offset ${i}`);
      throw invalidCharacter(value, i, 'a key');
    }
    const key = value.slice(keyStart, i).toLowerCase();
    if (i === end || value.charCodeAt(i) !== EQUALS) {
      const c = value.charCodeAt(i);
      if (i === end || c === COMMA || c === SEMICOLON || isOws(c)) {
        throw malformed(`key "${key}" at offset ${keyStart} has no "=" and value`);
      }
      throw invalidCharacter(value, i, 'a key');
    }
    i++;

    // value
    let text: string;
    if (i < end && value.charCodeAt(i) === DQUOTE) {
      const quoted = readQuoted(value, i, end);
      text = quoted.text;
      i = skipOws(value, quoted.next, end);
      if (i < end && value.charCodeAt(i) !== SEMICOLON && value.charCodeAt(i) !== COMMA) {
        throw malformed(`unexpected character after the closing quote at offset ${i}; expected ";" or ","`);
      }
    } else {
      // Optional whitespace around an unquoted value is not part of it; a tab inside it is a
      // control character like any other.
      i = skipOws(value, i, end);
      const valueStart = i;
      let firstTab = -1;
      while (i < end) {
        const c = value.charCodeAt(i);
        if (c === SEMICOLON || c === COMMA) break;
        if (c === DQUOTE) throw malformed(`unescaped double quote inside an unquoted value at offset ${i}`);
        if (c === HTAB) {
          if (firstTab === -1) firstTab = i;
        } else if (isControl(c)) {
          throw invalidCharacter(value, i, 'a value');
        }
        i++;
      }
      let valueEnd = i;
      while (valueEnd > valueStart && isOws(value.charCodeAt(valueEnd - 1))) valueEnd--;
      if (firstTab !== -1 && firstTab < valueEnd) throw invalidCharacter(value, firstTab, 'a value');
      text = value.slice(valueStart, valueEnd);
    }

    const values = element.get(key);
    if (values === undefined) element.set(key, [text]);
    else values.push(text);

    if (i === end) {
      elements.push(element);
      return elements;
    }
    if (value.charCodeAt(i) === COMMA) {
      elements.push(element);
      element = new Map<string, string[]>();
    }
    i = skipOws(value, i + 1, end);
  }
}

/**
 * The element to believe: the **last** one. Envoy appends an element per hop
 * (`forward_client_cert_details: APPEND_FORWARD` — "append the client certificate information
 * to the request's XFCC header", joined with ",") or replaces the header with a single element
 * (`SANITIZE_SET`), so the last element is always the one written by the nearest proxy, the one
 * whose peer address was found trusted. Earlier elements were written further away — possibly
 * by the client itself — and prove nothing.
 *
 * The deployment has to hold up its end (Envoy docs, `forward_client_cert_details`): the
 * trusted proxy must terminate the client's TLS and use `SANITIZE_SET` (preferred) or
 * `APPEND_FORWARD`, never `FORWARD_ONLY`/`ALWAYS_FORWARD_ONLY` — those pass on whatever the
 * client sent — and its `set_current_client_cert_details` must include `cert: true`.
 *
 * @example
 * ```ts
 * const nearest = nearestXfccElement(parseXfcc(header));
 * ```
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto#enum-extensions-filters-network-http-connection-manager-v3-httpconnectionmanager-forwardclientcertdetails
 */
export function nearestXfccElement(elements: readonly XfccElement[]): XfccElement | undefined {
  return elements.at(-1);
}

/**
 * The single value of `key` (lower-case) in `element`, or `undefined` when absent. A key given
 * more than once where one value is expected (`Cert`, `Chain`, `Hash`) is ambiguous, so it is
 * malformed rather than "first wins".
 *
 * @example
 * ```ts
 * const cert = xfccSingleValue(element, 'cert');
 * ```
 */
export function xfccSingleValue(element: XfccElement, key: string): string | undefined {
  const values = element.get(key);
  if (values === undefined) return undefined;
  if (values.length !== 1) throw malformed(`the key "${key}" appears ${values.length} times in one element`);
  return values[0];
}

function readQuoted(value: string, open: number, end: number): { text: string; next: number } {
  let text = '';
  let segmentStart = open + 1;
  let i = segmentStart;
  while (i < end) {
    const c = value.charCodeAt(i);
    if (c === DQUOTE) {
      text += value.slice(segmentStart, i);
      return { text, next: i + 1 };
    }
    if (c === BACKSLASH && i + 1 < end && value.charCodeAt(i + 1) === DQUOTE) {
      text += `${value.slice(segmentStart, i)}"`;
      i += 2;
      segmentStart = i;
      continue;
    }
    if (isControl(c)) throw invalidCharacter(value, i, 'a quoted value');
    i++;
  }
  throw malformed(`unterminated quoted value starting at offset ${open}`);
}

function invalidCharacter(value: string, at: number, where: string): OAuthError {
  const c = value.charCodeAt(at);
  const kind = isControl(c) ? 'control character' : 'invalid character';
  return malformed(`${kind} U+${c.toString(16).toUpperCase().padStart(4, '0')} in ${where} at offset ${at}`);
}

/** Control characters, and anything beyond Latin-1, which no HTTP field value can carry (RFC 9110 §5.5). */
function isControl(c: number): boolean {
  return c < SP || c === DEL || c > 0xff;
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

function skipOws(value: string, i: number, end: number): number {
  while (i < end && isOws(value.charCodeAt(i))) i++;
  return i;
}

/** RFC 9110 §5.6.2 tchar: what an HTTP token — and so a key — may contain. */
function isTchar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  switch (c) {
    case 0x21: // !
    case 0x23: // #
    case 0x24: // $
    case 0x25: // %
    case 0x26: // &
    case 0x27: // '
    case 0x2a: // *
    case 0x2b: // +
    case 0x2d: // -
    case 0x2e: // .
    case 0x5e: // ^
    case 0x5f: // _
    case 0x60: // `
    case 0x7c: // |
    case 0x7e: // ~
      return true;
    default:
      return false;
  }
}
