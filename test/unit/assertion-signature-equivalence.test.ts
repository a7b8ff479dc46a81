/**
 * The token endpoint verifies client-assertion signatures with node:crypto directly (see
 * docs/performance.md). This differential test holds it to jose's `compactVerify` — the
 * reference it replaced on the hot path — on valid assertions and on every signature-level edge
 * case: wrong lengths, DER instead of P1363, zero and high-S ECDSA values, stripped or padded
 * RSA signatures, other PSS salt lengths, non-canonical Ed25519 S, non-base64 segment lengths,
 * non-canonical base64url, a header that is not UTF-8. For each, the endpoint must accept exactly
 * when jose accepts, and otherwise refuse with `assertion_signature_invalid`.
 */
import { type KeyObject, type SignKeyObjectInput, constants, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { type JWK, compactVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TokenEndpointEvent } from '../../src/core/events.js';
import { type TokenEndpoint, createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { generateSigningKey } from '../../src/tokens/generate.js';

const ISSUER = 'https://as.equivalence.test';
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n;

type Alg = 'ES256' | 'ES384' | 'PS256' | 'RS256' | 'EdDSA';
interface AlgKey {
  readonly alg: Alg;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly hash: string | null;
  readonly options: Omit<SignKeyObjectInput, 'key'>;
}

const b64u = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');
const segment = (value: unknown): string => b64u(JSON.stringify(value));

function keys(): Record<Alg, AlgKey> {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = generateKeyPairSync('ed25519');
  return {
    ES256: { alg: 'ES256', ...p256, hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
    ES384: { alg: 'ES384', ...p384, hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
    PS256: { alg: 'PS256', ...rsa, hash: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
    RS256: { alg: 'RS256', ...rsa, hash: 'sha256', options: {} },
    EdDSA: { alg: 'EdDSA', ...ed, hash: null, options: {} },
  };
}

let algKeys: Record<Alg, AlgKey>;
let endpoint: TokenEndpoint;
let lastEvent: TokenEndpointEvent | undefined;
let clock = Date.now();

function clientId(alg: Alg): string {
  return `client-${alg.toLowerCase()}`;
}

function signingInput(alg: Alg, header: Record<string, unknown> = {}, payloadOverride?: string): string {
  const now = Math.floor(clock / 1000);
  const id = clientId(alg);
  const payload = payloadOverride ?? segment({ iss: id, sub: id, aud: ISSUER, jti: randomUUID(), iat: now, exp: now + 60 });
  return `${segment({ alg, kid: `${alg}-key`, ...header })}.${payload}`;
}

function rawSignature(key: AlgKey, input: string, options: Omit<SignKeyObjectInput, 'key'> = key.options): Buffer {
  return sign(key.hash, Buffer.from(input), { key: key.privateKey, ...options });
}

/** Accepts exactly when jose accepts; otherwise the refusal is a signature refusal. */
async function expectSameVerdictAsJose(alg: Alg, assertion: string): Promise<boolean> {
  const key = algKeys[alg];
  let joseAccepts = true;
  try {
    await compactVerify(assertion, key.publicKey, { algorithms: [alg] });
  } catch {
    joseAccepts = false;
  }
  lastEvent = undefined;
  clock += 1000;
  const response = await endpoint.token({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId(alg),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString(),
  });
  // Set by onEvent during the call (TypeScript cannot see that assignment).
  const event = lastEvent as TokenEndpointEvent | undefined;
  if (joseAccepts) {
    expect(response.status, `${alg}: jose accepts, the endpoint said ${response.body} (${event?.reason})`).toBe(200);
  } else {
    expect(response.status).toBe(401);
    expect(event?.reason, `${alg}: jose refuses, so must the endpoint`).toBe('assertion_signature_invalid');
  }
  return joseAccepts;
}

function withSignature(input: string, signature: Uint8Array | string): string {
  return `${input}.${typeof signature === 'string' ? signature : b64u(signature)}`;
}

const bigToBytes = (value: bigint, length: number): Buffer => Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');

beforeAll(() => {
  algKeys = keys();
  endpoint = createTokenEndpoint({
    issuer: ISSUER,
    defaultAudience: 'https://api.equivalence.test',
    signingKeys: [{ privateKey: generateSigningKey() }],
    clientAssertion: { algorithms: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'] },
    clients: (Object.values(algKeys) as AlgKey[]).map((key) => ({
      client_id: clientId(key.alg),
      token_endpoint_auth_method: 'private_key_jwt' as const,
      token_endpoint_auth_signing_alg: key.alg,
      jwks: { keys: [{ ...(key.publicKey.export({ format: 'jwk' }) as JWK), kid: `${key.alg}-key` }] },
    })),
    now: () => clock,
    onEvent: (event) => {
      lastEvent = event;
    },
  });
});

describe('assertion signatures: the endpoint agrees with jose compactVerify', () => {
  const ALL: readonly Alg[] = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'];

  it.each(ALL)('%s: a valid signature is accepted by both', async (alg) => {
    const input = signingInput(alg);
    expect(await expectSameVerdictAsJose(alg, withSignature(input, rawSignature(algKeys[alg], input)))).toBe(true);
  });

  it.each(ALL)('%s: a flipped bit, a byte more, a byte less, an empty signature', async (alg) => {
    for (const mutate of [
      (s: Buffer) => Buffer.from(s.map((byte, index) => (index === 5 ? byte ^ 1 : byte))),
      (s: Buffer) => Buffer.concat([s, Buffer.from([0])]),
      (s: Buffer) => Buffer.concat([Buffer.from([0]), s]),
      (s: Buffer) => s.subarray(0, s.length - 1),
      (s: Buffer) => s.subarray(1),
      () => Buffer.alloc(0),
    ]) {
      const input = signingInput(alg);
      await expectSameVerdictAsJose(alg, withSignature(input, mutate(rawSignature(algKeys[alg], input))));
    }
  });

  it('ES256: a DER signature, zero r and s, r or s of n, and the high-S twin', async () => {
    const key = algKeys.ES256;
    let input = signingInput('ES256');
    await expectSameVerdictAsJose('ES256', withSignature(input, rawSignature(key, input, { dsaEncoding: 'der' })));
    input = signingInput('ES256');
    await expectSameVerdictAsJose('ES256', withSignature(input, Buffer.alloc(64)));
    input = signingInput('ES256');
    const good = rawSignature(key, input);
    await expectSameVerdictAsJose('ES256', withSignature(input, Buffer.concat([bigToBytes(P256_ORDER, 32), good.subarray(32)])));
    input = signingInput('ES256');
    const valid = rawSignature(key, input);
    const s = BigInt(`0x${valid.subarray(32).toString('hex')}`);
    // (r, n − s) verifies as well under plain ECDSA; both must say the same.
    await expectSameVerdictAsJose('ES256', withSignature(input, Buffer.concat([valid.subarray(0, 32), bigToBytes(P256_ORDER - s, 32)])));
    input = signingInput('ES256');
    await expectSameVerdictAsJose('ES256', withSignature(input, Buffer.concat([rawSignature(key, input).subarray(0, 32), bigToBytes(P256_ORDER, 32)])));
  });

  it('ES384 under an ES256 length, and an ES256-sized signature for ES384', async () => {
    const input = signingInput('ES384');
    await expectSameVerdictAsJose('ES384', withSignature(input, rawSignature(algKeys.ES384, input).subarray(0, 64)));
  });

  it('PS256: salt lengths other than 32 are refused like jose refuses them', async () => {
    for (const saltLength of [0, 20, 31, 33, 64, constants.RSA_PSS_SALTLEN_MAX_SIGN]) {
      const input = signingInput('PS256');
      await expectSameVerdictAsJose('PS256', withSignature(input, rawSignature(algKeys.PS256, input, { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength })));
    }
  });

  it('RS256 vs PS256: a signature of the other padding does not verify', async () => {
    let input = signingInput('RS256');
    await expectSameVerdictAsJose('RS256', withSignature(input, rawSignature(algKeys.PS256, input)));
    input = signingInput('PS256');
    await expectSameVerdictAsJose('PS256', withSignature(input, rawSignature(algKeys.RS256, input)));
  });

  it('RS256 and PS256: a signature whose leading zero byte is stripped', async () => {
    for (const alg of ['RS256', 'PS256'] as const) {
      // Find a signature starting with 0x00 (about one in 256), bounded.
      for (let attempt = 0; attempt < 3000; attempt++) {
        const input = signingInput(alg);
        const signature = rawSignature(algKeys[alg], input);
        if (signature[0] !== 0) continue;
        await expectSameVerdictAsJose(alg, withSignature(input, signature.subarray(1)));
        break;
      }
    }
  });

  it('EdDSA: a non-canonical S (S + L) is refused by both', async () => {
    const input = signingInput('EdDSA');
    const signature = rawSignature(algKeys.EdDSA, input);
    const s = BigInt(`0x${Buffer.from(signature.subarray(32)).reverse().toString('hex')}`);
    const bumped = bigToBytes(s + ED25519_L, 32).reverse();
    await expectSameVerdictAsJose('EdDSA', withSignature(input, Buffer.concat([signature.subarray(0, 32), bumped])));
  });

  it.each(ALL)('%s: base64url edge cases of the signature segment', async (alg) => {
    // 4n+1 characters is not base64 at all.
    let input = signingInput(alg);
    await expectSameVerdictAsJose(alg, withSignature(input, `${b64u(rawSignature(algKeys[alg], input))}A`));
    // Non-zero unused bits in the last character: same bytes, other text.
    input = signingInput(alg);
    const encoded = b64u(rawSignature(algKeys[alg], input));
    if (encoded.length % 4 !== 0) {
      const last = encoded.at(-1) as string;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const twin = alphabet[alphabet.indexOf(last) + 1] as string;
      await expectSameVerdictAsJose(alg, withSignature(input, `${encoded.slice(0, -1)}${twin}`));
    }
  });

  it.each(ALL)('%s: a header that is not UTF-8, and a payload segment of 4n+1 characters, even when signed', async (alg) => {
    const now = Math.floor(clock / 1000);
    const id = clientId(alg);
    const header = b64u(Buffer.concat([Buffer.from(`{"alg":"${alg}","kid":"${alg}-key","x":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]));
    let input = `${header}.${segment({ iss: id, sub: id, aud: ISSUER, jti: randomUUID(), iat: now, exp: now + 60 })}`;
    await expectSameVerdictAsJose(alg, withSignature(input, rawSignature(algKeys[alg], input)));
    let payload = segment({ iss: id, sub: id, aud: ISSUER, jti: randomUUID(), iat: now, exp: now + 60 });
    while (payload.length % 4 !== 0) payload = segment({ iss: id, sub: id, aud: ISSUER, jti: `${randomUUID()}x${payload.length}`, iat: now, exp: now + 60 });
    input = signingInput(alg, {}, `${payload}A`);
    await expectSameVerdictAsJose(alg, withSignature(input, rawSignature(algKeys[alg], input)));
  });
});
