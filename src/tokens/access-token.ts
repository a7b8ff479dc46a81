import { isJsonSafe, isJsonSafeRepeated } from '../util/json-text.js';
import { randomId } from '../util/random-id.js';
import { scratchBuffer } from '../util/scratch.js';
import type { SigningKey } from './signing-keys.js';

/** RFC 9068 §2.2 claims of our access tokens. */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly client_id: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  readonly scope: string;
  /** RFC 8705 §3.1: present when the token is bound to a client certificate. */
  readonly cnf?: { readonly 'x5t#S256': string };
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly claims: AccessTokenClaims;
}

export interface AccessTokenRequest {
  readonly issuer: string;
  readonly clientId: string;
  readonly audience: string;
  readonly scope: string;
  readonly lifetimeSeconds: number;
  readonly nowSeconds: number;
  readonly certificateThumbprint: string | undefined;
}

/** A key's encoded protected header followed by ".", as text and as bytes. */
interface HeaderPrefix {
  readonly text: string;
  readonly bytes: Buffer;
}

const headerPrefixes = new WeakMap<SigningKey, HeaderPrefix>();

/** RFC 9068 §2.1: `typ: at+jwt` and the key's `kid`. The header never changes per key, so it is encoded once. */
function headerPrefix(key: SigningKey): HeaderPrefix {
  let prefix = headerPrefixes.get(key);
  if (prefix === undefined) {
    const text = `${Buffer.from(JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid })).toString('base64url')}.`;
    prefix = { text, bytes: Buffer.from(text, 'latin1') };
    headerPrefixes.set(key, prefix);
  }
  return prefix;
}

/**
 * The claims as JSON text: byte for byte what `JSON.stringify(claims)` gives (same members, same
 * order), written directly when every string is printable ASCII without '"' and '\\' (nothing to
 * escape) and both times are integers — the generic serialiser was the largest cost of a token
 * after the signature. Anything else is left to `JSON.stringify`.
 */
export function serializeClaims(claims: AccessTokenClaims): string {
  const { iss, sub, client_id: clientId, aud, iat, exp, jti, scope, cnf } = claims;
  const thumbprint = cnf?.['x5t#S256'] ?? '';
  if (
    !Number.isSafeInteger(iat) || !Number.isSafeInteger(exp) ||
    !isJsonSafeRepeated(iss) || !isJsonSafeRepeated(sub) || (clientId !== sub && !isJsonSafeRepeated(clientId)) || !isJsonSafeRepeated(aud) ||
    !isJsonSafeRepeated(scope) || !isJsonSafe(jti) || !isJsonSafe(thumbprint)
  ) {
    return JSON.stringify(claims);
  }
  const binding = cnf === undefined ? '' : `,"cnf":{"x5t#S256":"${thumbprint}"}`;
  return `{"iss":"${iss}","sub":"${sub}","client_id":"${clientId}","aud":"${aud}","iat":${iat},"exp":${exp},"jti":"${jti}","scope":"${scope}"${binding}}`;
}

/** Issues an RFC 9068 JWT access token signed with `key`. */
export function issueAccessToken(request: AccessTokenRequest, key: SigningKey): IssuedAccessToken {
  const iat = Math.floor(request.nowSeconds);
  const claims: AccessTokenClaims = {
    iss: request.issuer,
    sub: request.clientId,
    client_id: request.clientId,
    aud: request.audience,
    iat,
    exp: iat + request.lifetimeSeconds,
    jti: randomId(),
    scope: request.scope,
  };
  if (request.certificateThumbprint !== undefined) (claims as { cnf?: AccessTokenClaims['cnf'] }).cnf = { 'x5t#S256': request.certificateThumbprint };
  const json = serializeClaims(claims);
  const prefix = headerPrefix(key);
  let buffer = scratchBuffer(json.length * 3);
  const payload = buffer.toString('base64url', 0, buffer.write(json, 0, 'utf8'));
  // The signing input, header "." payload, as bytes: the prefix copied, the payload (base64url:
  // ASCII, so latin1 gives its UTF-8 bytes) written after it — no joined string to flatten.
  buffer = scratchBuffer(prefix.bytes.length + payload.length);
  prefix.bytes.copy(buffer, 0);
  const inputLength = prefix.bytes.length + buffer.write(payload, prefix.bytes.length, 'latin1');
  const signature = key.sign(buffer.subarray(0, inputLength)).toString('base64url');
  return { token: `${prefix.text}${payload}.${signature}`, claims };
}
