import type { JWK } from 'jose';
import { sha256Text } from './encoding.js';

const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/** RFC 7638 §3: SHA-256 over the required public members in lexicographic order, base64url. */
export function jwkThumbprint(jwk: JWK): string {
  const members = REQUIRED_MEMBERS[jwk.kty ?? ''];
  if (!members) throw new TypeError(`cannot compute a thumbprint for kty ${String(jwk.kty)}`);
  const canonical: Record<string, unknown> = {};
  for (const member of members) canonical[member] = jwk[member as keyof JWK];
  return sha256Text(JSON.stringify(canonical), 'base64url');
}
