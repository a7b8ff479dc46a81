import { constants, createHmac, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { compactVerify, decodeJwt, decodeProtectedHeader, errors } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors/errors.js';
import { assertionTypeUrn, signClientAssertion } from '../../../src/testing/assertions.js';
import { generateKeyPair, type TestKeyPair, type TestKeyType } from '../../../src/testing/pki.js';

const CLIENT_ID = 'svc-a';
const ISSUER = 'https://as.example.test';
const NOW = 1_750_000_000;

const keys = new Map<TestKeyType | 'rsa-1024', TestKeyPair>();

beforeAll(async () => {
  for (const keyType of ['rsa', 'ec-p256', 'ec-p384', 'ed25519'] as const) keys.set(keyType, await generateKeyPair(keyType));
  keys.set('rsa-1024', await generateKeyPair('rsa', { rsaBits: 1024 }));
});

function keyPair(name: TestKeyType | 'rsa-1024'): TestKeyPair {
  const pair = keys.get(name);
  if (pair === undefined) throw new Error(`no ${name} key`);
  return pair;
}

function base(keyType: TestKeyType = 'ec-p256'): { clientId: string; audience: string; privateKey: KeyObject; now: number } {
  return { clientId: CLIENT_ID, audience: ISSUER, privateKey: keyPair(keyType).privateKey, now: NOW };
}

function segments(jws: string): [string, string, string] {
  const parts = jws.split('.');
  expect(parts).toHaveLength(3);
  return parts as [string, string, string];
}

describe('assertionTypeUrn (RFC 7523 §2.2)', () => {
  it('is the exact client_assertion_type value', () => {
    expect(assertionTypeUrn).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  });
});

describe('signClientAssertion defaults (RFC 7523 §3, draft-ietf-oauth-rfc7523bis)', () => {
  it('iss = sub = client_id, aud = the issuer as a string, iat = now, exp = now + 60 s, random jti', async () => {
    const jws = await signClientAssertion(base());
    expect(decodeJwt(jws)).toEqual({
      iss: CLIENT_ID,
      sub: CLIENT_ID,
      aud: ISSUER,
      iat: NOW,
      exp: NOW + 60,
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    const second = await signClientAssertion(base());
    expect(decodeJwt(second).jti).not.toBe(decodeJwt(jws).jti);
  });

  it('the header carries only alg (inferred from the key): no typ, no kid unless given', async () => {
    const jws = await signClientAssertion(base());
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256' });
    const withKid = await signClientAssertion({ ...base(), kid: 'svc-a-2025' });
    expect(decodeProtectedHeader(withKid)).toEqual({ alg: 'ES256', kid: 'svc-a-2025' });
  });

  it('uses the current time when now is not given', async () => {
    const before = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(await signClientAssertion({ clientId: CLIENT_ID, audience: ISSUER, privateKey: keyPair('ec-p256').privateKey }));
    const after = Math.floor(Date.now() / 1000);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(after);
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
  });

  it('accepts now as a Date and a custom lifetime', async () => {
    const claims = decodeJwt(
      await signClientAssertion({ ...base(), now: new Date(NOW * 1000 + 999), lifetimeSeconds: 300 }),
    );
    expect(claims.iat).toBe(NOW);
    expect(claims.exp).toBe(NOW + 300);
  });
});

describe('signatures verify with jose', () => {
  it.each([
    ['ec-p256', 'ES256'],
    ['ec-p384', 'ES384'],
    ['ed25519', 'EdDSA'],
    ['rsa', 'PS256'],
  ] as const)('a %s key signs %s by default', async (keyType, alg) => {
    const jws = await signClientAssertion(base(keyType));
    expect(decodeProtectedHeader(jws).alg).toBe(alg);
    const { protectedHeader } = await compactVerify(jws, keyPair(keyType).publicKey, { algorithms: [alg] });
    expect(protectedHeader.alg).toBe(alg);
  });

  it('signs RS256 (and PS384) when asked', async () => {
    for (const alg of ['RS256', 'PS384']) {
      const jws = await signClientAssertion({ ...base('rsa'), alg });
      expect(decodeProtectedHeader(jws).alg).toBe(alg);
      await expect(compactVerify(jws, keyPair('rsa').publicKey, { algorithms: [alg] })).resolves.toBeDefined();
    }
  });

  it('accepts the private key as PEM, as a private JWK, or as a KeyObject', async () => {
    const { privateKey, publicKey } = keyPair('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const jwk = privateKey.export({ format: 'jwk' });
    for (const key of [pem, jwk, privateKey]) {
      const jws = await signClientAssertion({ ...base(), privateKey: key });
      await expect(compactVerify(jws, publicKey)).resolves.toBeDefined();
    }
  });

  it('refuses a public key, or no key at all, as misuse', async () => {
    const isMisuse = (error: unknown): boolean => error instanceof ConfigurationError && error.code === 'ERR_M2M_INVALID_OPTION';
    await expect(signClientAssertion({ ...base(), privateKey: keyPair('ec-p256').publicKey })).rejects.toSatisfy(isMisuse);
    await expect(signClientAssertion({ clientId: CLIENT_ID, audience: ISSUER })).rejects.toSatisfy(isMisuse);
    await expect(signClientAssertion({ clientId: CLIENT_ID, audience: ISSUER, alg: 'ES256' })).rejects.toSatisfy(isMisuse);
  });
});

describe('overrides for negative tests', () => {
  it('merges header parameters: typ, jku, jwk, x5c', async () => {
    const publicJwk = keyPair('ec-p256').publicKey.export({ format: 'jwk' });
    const header = { typ: 'at+jwt', jku: 'https://attacker.test/jwks', jwk: publicJwk, x5c: ['MIIB'] };
    const jws = await signClientAssertion({ ...base(), kid: 'k1', header });
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', kid: 'k1', ...header });
    await expect(compactVerify(jws, keyPair('ec-p256').publicKey)).resolves.toBeDefined();
  });

  it('header alg none yields an unsecured JWS with an empty signature', async () => {
    const jws = await signClientAssertion({ ...base(), header: { alg: 'none' } });
    const [header, payload, signature] = segments(jws);
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'none' });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({ iss: CLIENT_ID, aud: ISSUER });
    expect(signature).toBe('');
    // No key needed to say "none".
    await expect(signClientAssertion({ clientId: CLIENT_ID, audience: ISSUER, header: { alg: 'none' } })).resolves.toMatch(/\.$/);
  });

  it('replaces any claim: aud as an array, exp in the past, a foreign iss', async () => {
    const claims = { aud: [ISSUER, `${ISSUER}/token`], exp: NOW - 10, iss: 'someone-else' };
    const jws = await signClientAssertion({ ...base(), claims });
    expect(decodeJwt(jws)).toMatchObject({ ...claims, sub: CLIENT_ID, iat: NOW });
  });

  it('omits the named claims after merging', async () => {
    const jws = await signClientAssertion({ ...base(), claims: { nbf: NOW }, omit: ['jti', 'exp', 'nbf'] });
    expect(Object.keys(decodeJwt(jws)).sort()).toEqual(['aud', 'iat', 'iss', 'sub']);
  });

  it("signature: 'corrupt' keeps header and payload but fails verification", async () => {
    const valid = segments(await signClientAssertion({ ...base(), claims: { jti: 'fixed' } }));
    const corrupt = await signClientAssertion({ ...base(), claims: { jti: 'fixed' }, signature: 'corrupt' });
    const [header, payload, signature] = segments(corrupt);
    expect([header, payload]).toEqual([valid[0], valid[1]]);
    expect(Buffer.from(signature, 'base64url')).toHaveLength(64);
    await expect(compactVerify(corrupt, keyPair('ec-p256').publicKey)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it("signature: 'none' strips the signature but keeps the header's alg", async () => {
    const jws = await signClientAssertion({ ...base(), signature: 'none' });
    expect(segments(jws)[2]).toBe('');
    expect(decodeProtectedHeader(jws).alg).toBe('ES256');
    await expect(compactVerify(jws, keyPair('ec-p256').publicKey)).rejects.toThrow();
  });

  it('HS256 keyed with the public key PEM (the algorithm-confusion attack)', async () => {
    const publicPem = keyPair('rsa').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const jws = await signClientAssertion({ clientId: CLIENT_ID, audience: ISSUER, now: NOW, secret: publicPem });
    const [header, payload, signature] = segments(jws);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'HS256' });
    const expected = createHmac('sha256', publicPem).update(`${header}.${payload}`).digest('base64url');
    expect(signature).toBe(expected);
    await expect(compactVerify(jws, new TextEncoder().encode(publicPem))).resolves.toBeDefined();
  });

  it('HS384 with a Uint8Array secret', async () => {
    const secret = new Uint8Array(48).fill(7);
    const jws = await signClientAssertion({ clientId: CLIENT_ID, audience: ISSUER, secret, alg: 'HS384' });
    await expect(compactVerify(jws, secret, { algorithms: ['HS384'] })).resolves.toBeDefined();
  });

  it('signs with an RSA 1024 key, which jose itself refuses, for "RSA ≥ 2048" tests', async () => {
    const { privateKey, publicKey } = keyPair('rsa-1024');
    const jws = await signClientAssertion({ ...base(), privateKey, alg: 'RS256' });
    const [header, payload, signature] = segments(jws);
    expect(decodeProtectedHeader(jws).alg).toBe('RS256');
    const valid = nodeVerify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'));
    expect(valid).toBe(true);
    await expect(compactVerify(jws, publicKey)).rejects.toThrow(/2048/);

    const pss = await signClientAssertion({ ...base(), privateKey });
    const [pssHeader, pssPayload, pssSignature] = segments(pss);
    expect(decodeProtectedHeader(pss).alg).toBe('PS256');
    const pssValid = nodeVerify(
      'sha256',
      Buffer.from(`${pssHeader}.${pssPayload}`),
      { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      Buffer.from(pssSignature, 'base64url'),
    );
    expect(pssValid).toBe(true);
  });

  it('signs an alg that does not fit the key (ES384 over P-256), for key/alg mismatch tests', async () => {
    const { publicKey } = keyPair('ec-p256');
    const jws = await signClientAssertion({ ...base(), header: { alg: 'ES384' } });
    const [header, payload, signature] = segments(jws);
    expect(decodeProtectedHeader(jws).alg).toBe('ES384');
    const valid = nodeVerify(
      'sha384',
      Buffer.from(`${header}.${payload}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    expect(valid).toBe(true);
    await expect(compactVerify(jws, publicKey)).rejects.toThrow();
  });

  it('signs a header with a crit parameter jose does not understand', async () => {
    const jws = await signClientAssertion({ ...base('ed25519'), header: { crit: ['exp'], exp: NOW } });
    const [header, payload, signature] = segments(jws);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'EdDSA', crit: ['exp'], exp: NOW });
    const publicKey = createPublicKey(keyPair('ed25519').privateKey);
    expect(nodeVerify(null, Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  });
});
