import { randomUUID } from 'node:crypto';
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

const encodedHeaders = new WeakMap<SigningKey, string>();

/** RFC 9068 §2.1: `typ: at+jwt` and the key's `kid`. The header never changes per key, so it is encoded once. */
function encodedHeader(key: SigningKey): string {
  let header = encodedHeaders.get(key);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid })).toString('base64url');
    encodedHeaders.set(key, header);
  }
  return header;
}

/** JSON string content that needs no escaping: printable ASCII without '"' and '\\'. */
const JSON_SAFE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

/** `JSON.stringify(value)` for a string, without its cost when there is nothing to escape. */
function jsonString(value: string): string {
  return JSON_SAFE.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * The claims as JSON text: byte for byte what `JSON.stringify(claims)` gives (same members, same
 * order; strings escaped by `JSON.stringify` whenever they hold anything but printable ASCII
 * without '"' and '\\'; integers as integers), written directly because the generic serialiser
 * was the largest cost of a token after the signature. Non-integer times take `JSON.stringify`.
 */
export function serializeClaims(claims: AccessTokenClaims): string {
  if (!Number.isSafeInteger(claims.iat) || !Number.isSafeInteger(claims.exp)) return JSON.stringify(claims);
  const subject = jsonString(claims.sub);
  const clientId = claims.client_id === claims.sub ? subject : jsonString(claims.client_id);
  const cnf = claims.cnf === undefined ? '' : `,"cnf":{"x5t#S256":${jsonString(claims.cnf['x5t#S256'])}}`;
  return `{"iss":${jsonString(claims.iss)},"sub":${subject},"client_id":${clientId},"aud":${jsonString(claims.aud)},"iat":${claims.iat},"exp":${claims.exp},"jti":${jsonString(claims.jti)},"scope":${jsonString(claims.scope)}${cnf}}`;
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
    jti: randomUUID(),
    scope: request.scope,
  };
  if (request.certificateThumbprint !== undefined) (claims as { cnf?: AccessTokenClaims['cnf'] }).cnf = { 'x5t#S256': request.certificateThumbprint };
  const json = serializeClaims(claims);
  let buffer = scratchBuffer(json.length * 3);
  const payload = buffer.toString('base64url', 0, buffer.write(json, 0, 'utf8'));
  const signingInput = `${encodedHeader(key)}.${payload}`;
  // The signing input is base64url and a dot: ASCII, so latin1 gives the same bytes as UTF-8, faster.
  buffer = scratchBuffer(signingInput.length);
  const signature = key.sign(buffer.subarray(0, buffer.write(signingInput, 0, 'latin1'))).toString('base64url');
  return { token: `${signingInput}.${signature}`, claims };
}
