import { randomUUID } from 'node:crypto';
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
    ...(request.certificateThumbprint === undefined ? {} : { cnf: { 'x5t#S256': request.certificateThumbprint } }),
  };
  const signingInput = `${encodedHeader(key)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  // The signing input is base64url and a dot: ASCII, so latin1 gives the same bytes as UTF-8, faster.
  const signature = key.sign(Buffer.from(signingInput, 'latin1')).toString('base64url');
  return { token: `${signingInput}.${signature}`, claims };
}
