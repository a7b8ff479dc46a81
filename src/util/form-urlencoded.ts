import { decodeUtf8Strict } from './encoding.js';

export class FormDecodingError extends Error {
  override readonly name = 'FormDecodingError';
}

const PERCENT = 0x25;
const PLUS = 0x2b;

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * application/x-www-form-urlencoded decoding of one name or value (WHATWG URL §5.1, as RFC 6749
 * Appendix B requires): `+` is a space, `%XX` a byte, and the bytes must be UTF-8. Unlike
 * `decodeURIComponent` or `URLSearchParams`, a malformed escape or invalid UTF-8 is an error,
 * never a silent substitution — a parameter must not mean something other than what was sent.
 */
export function formUrlDecode(component: string): string {
  if (!component.includes('%') && !component.includes('+')) {
    return component;
  }
  return decodeAsciiEscapes(component) ?? decodeBytes(component);
}

/**
 * `formUrlDecode` for values that are never secret (`grant_type`, `scope`, `client_assertion_type`,
 * …), remembering short escaped ones: the same ones come with every
 * request (`client_assertion_type=urn%3Aietf%3Aparams…`, `scope=api%3Aread`), and decoding them
 * built a string piece by piece each time. Never use it for a secret: it would stay in memory.
 * Bounded — emptied when full — so made-up components cost decoding, never memory.
 */
export function formUrlDecodeRepeated(component: string): string {
  if (component.length > MAX_REMEMBERED_LENGTH || (!component.includes('%') && !component.includes('+'))) return formUrlDecode(component);
  let decoded = recentlyDecoded.get(component);
  if (decoded === undefined) {
    decoded = decodeAsciiEscapes(component) ?? decodeBytes(component);
    if (recentlyDecoded.size >= MAX_REMEMBERED) recentlyDecoded.clear();
    recentlyDecoded.set(component, decoded);
  }
  return decoded;
}

const recentlyDecoded = new Map<string, string>();
const MAX_REMEMBERED = 256;
const MAX_REMEMBERED_LENGTH = 256;

/**
 * The common case without bytes: an ASCII component whose escapes all decode to ASCII (`%3A`,
 * `%2F`, …) decodes character by character to the same string as the byte path. `undefined` for
 * anything else — a non-ASCII character, an escape of a byte ≥ 0x80, a malformed escape — which
 * the byte path then decodes (or refuses) exactly as before.
 */
function decodeAsciiEscapes(component: string): string | undefined {
  let out = '';
  let from = 0;
  for (let index = 0; index < component.length; index++) {
    const code = component.charCodeAt(index);
    if (code === PLUS) {
      out += `${component.slice(from, index)} `;
      from = index + 1;
    } else if (code === PERCENT) {
      const high = hexValue(component.charCodeAt(index + 1));
      const low = hexValue(component.charCodeAt(index + 2));
      if (high < 0 || high > 7 || low < 0) return undefined;
      out += component.slice(from, index) + String.fromCharCode(high * 16 + low);
      index += 2;
      from = index + 1;
    } else if (code > 0x7f) {
      return undefined;
    }
  }
  return out + component.slice(from);
}

function decodeBytes(component: string): string {
  const source = Buffer.from(component, 'utf8');
  const out = Buffer.allocUnsafe(source.length);
  let length = 0;
  for (let index = 0; index < source.length; index++) {
    const byte = source[index] as number;
    if (byte === PLUS) {
      out[length++] = 0x20;
    } else if (byte === PERCENT) {
      const high = hexValue(source[index + 1] ?? -1);
      const low = hexValue(source[index + 2] ?? -1);
      if (high < 0 || low < 0) throw new FormDecodingError('malformed percent-encoding');
      out[length++] = high * 16 + low;
      index += 2;
    } else {
      out[length++] = byte;
    }
  }
  try {
    return decodeUtf8Strict(out.subarray(0, length));
  } catch {
    throw new FormDecodingError('percent-encoded bytes are not valid UTF-8');
  }
}
