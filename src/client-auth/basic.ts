import { isAscii } from 'node:buffer';
import { OAuthError } from '../errors/errors.js';
import { decodeUtf8Strict } from '../util/encoding.js';
import { FormDecodingError, formUrlDecode } from '../util/form-urlencoded.js';

export interface BasicCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_CREDENTIALS_LENGTH = 4096;

/**
 * Decodes `Authorization: Basic …` client credentials. RFC 6749 §2.3.1: the client id and secret
 * are form-urlencoded (Appendix B) *before* being joined with ":" and base64-encoded (RFC 7617),
 * so a ":" inside either is sent as %3A and must be decoded after the split.
 */
export function decodeBasicCredentials(token68: string): BasicCredentials {
  if (token68.length > MAX_CREDENTIALS_LENGTH || !BASE64.test(token68) || token68.length % 4 !== 0) {
    throw new OAuthError('basic_credentials_malformed', 'the Basic credentials are not valid base64');
  }
  let decoded: string;
  try {
    const bytes = Buffer.from(token68, 'base64');
    // ASCII (the usual credentials) is its own UTF-8: no strict decoder needed.
    decoded = isAscii(bytes) ? bytes.toString('latin1') : decodeUtf8Strict(bytes);
  } catch {
    throw new OAuthError('basic_credentials_malformed', 'the Basic credentials are not UTF-8');
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('basic_credentials_malformed', 'the Basic credentials have no ":" separator');
  try {
    const clientId = formUrlDecode(decoded.slice(0, colon));
    const clientSecret = formUrlDecode(decoded.slice(colon + 1));
    if (clientId.length === 0) throw new OAuthError('basic_credentials_malformed', 'the Basic client id is empty');
    return { clientId, clientSecret };
  } catch (error) {
    if (error instanceof FormDecodingError) {
      throw new OAuthError('basic_credentials_malformed', `the Basic credentials are not form-urlencoded: ${error.message}`);
    }
    throw error;
  }
}
