import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { invalidClientMetadata } from '../errors/errors.js';
import { constantTimeEqual, sha256, sha256Text } from '../util/encoding.js';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Checks a presented client secret in constant time. */
export interface SecretVerifier {
  readonly kind: 'plaintext' | 'sha256' | 'scrypt';
  verify(presented: string): Promise<boolean>;
  /** The same check, synchronously, for the kinds that are cheap (plaintext, sha256); absent for scrypt. */
  readonly verifyNow?: (presented: string) => boolean;
}

export function plaintextSecretVerifier(secret: string): SecretVerifier {
  const verifyNow = (presented: string): boolean => constantTimeEqual(presented, secret);
  return { kind: 'plaintext', verify: async (presented) => verifyNow(presented), verifyNow };
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Parses a stored secret hash:
 * - `sha256:<base64url digest>` — for generated secrets of 128 bits or more, where a slow hash
 *   buys nothing and would cost every request;
 * - `scrypt:<N>:<r>:<p>:<salt>:<digest>` — for anything a person may have chosen.
 */
export function parseSecretVerifier(stored: string, field: string): SecretVerifier {
  const parts = stored.split(':');
  if (parts[0] === 'sha256' && parts.length === 2 && BASE64URL.test(parts[1] ?? '')) {
    const digest = Buffer.from(parts[1] as string, 'base64url');
    if (digest.length !== 32) throw invalidClientMetadata(field, 'a sha256 secret hash must be 32 bytes, base64url-encoded');
    const verifyNow = (presented: string): boolean => timingSafeEqual(sha256(presented), digest);
    return { kind: 'sha256', verify: async (presented) => verifyNow(presented), verifyNow };
  }
  if (parts[0] === 'scrypt' && parts.length === 6) {
    const [, n, r, p, salt, digest] = parts as [string, string, string, string, string, string];
    const cost = Number(n);
    const blockSize = Number(r);
    const parallelism = Number(p);
    const validNumbers =
      Number.isInteger(cost) && cost >= 1024 && cost <= 2 ** 20 && (cost & (cost - 1)) === 0 &&
      Number.isInteger(blockSize) && blockSize >= 1 && blockSize <= 32 &&
      Number.isInteger(parallelism) && parallelism >= 1 && parallelism <= 16;
    if (validNumbers && BASE64URL.test(salt) && BASE64URL.test(digest)) {
      const saltBytes = Buffer.from(salt, 'base64url');
      const expected = Buffer.from(digest, 'base64url');
      const options = { N: cost, r: blockSize, p: parallelism, maxmem: 256 * cost * blockSize + 1024 * 1024 };
      return {
        kind: 'scrypt',
        verify: async (presented) => {
          const actual = await scrypt(presented, saltBytes, expected.length, options);
          return timingSafeEqual(actual, expected);
        },
      };
    }
  }
  throw invalidClientMetadata(
    field,
    'must be "sha256:<base64url>" or "scrypt:<N>:<r>:<p>:<salt>:<hash>"; create one with hashClientSecret()',
  );
}

export interface HashClientSecretOptions {
  /** `sha256` (default) for generated secrets; `scrypt` for low-entropy ones. */
  readonly algorithm?: 'sha256' | 'scrypt';
}

/**
 * Hashes a client secret for `client_secret_hash`, so the registry never stores it in plaintext.
 *
 * @example
 * const client_secret_hash = await hashClientSecret(secret); // "sha256:…"
 */
export async function hashClientSecret(secret: string, options: HashClientSecretOptions = {}): Promise<string> {
  if (options.algorithm === 'scrypt') {
    const salt = randomBytes(16);
    const params = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
    const digest = await scrypt(secret, salt, 32, params);
    return `scrypt:${params.N}:${params.r}:${params.p}:${salt.toString('base64url')}:${digest.toString('base64url')}`;
  }
  return `sha256:${sha256Text(secret, 'base64url')}`;
}

/** Generates a 256-bit random client secret, base64url-encoded. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}
