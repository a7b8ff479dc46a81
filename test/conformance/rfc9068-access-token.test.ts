import { type JSONWebKeySet, type JWK, createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import {
  API_AUDIENCE,
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ConformanceContext,
  ISSUER,
  assertionFor,
  assertionParameters,
  basicAuthorization,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { ADAPTERS } from '../helpers/servers.js';

/** Server signing keys, generated once for every adapter (RSA generation is the slow part). */
const KEYS = {
  eddsa: generateSigningKey('EdDSA'),
  ps256: generateSigningKey('PS256'),
  es384: generateSigningKey('ES384'),
  es256: generateSigningKey('ES256'),
};
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

async function fetchJwks(server: AdapterUnderTest, endpoint: TokenEndpoint): Promise<JSONWebKeySet> {
  const response = await server.request({ method: 'GET', path: endpoint.paths.jwks });
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  return response.json as unknown as JSONWebKeySet;
}

describe.each(ADAPTERS)('RFC 9068 JWT access tokens through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    context.clock.now = Math.floor(Date.now() / 1000) * 1000;
    server = await mount(adapter, context);
  });
  afterAll(() => server.server.close());

  async function issue(target: AdapterUnderTest = server, extra: Record<string, string> = {}): Promise<string> {
    const response = await target.post(assertionParameters(await assertionFor(context, 'pkjwt'), extra));
    expect(response.status, response.text).toBe(200);
    return String(response.json.access_token);
  }

  /** Mounts an endpoint with other options for one test, and closes it afterwards. */
  async function withEndpoint<T>(overrides: Parameters<ConformanceContext['createEndpoint']>[0], run: (target: AdapterUnderTest, endpoint: TokenEndpoint) => Promise<T>): Promise<T> {
    const endpoint = context.createEndpoint(overrides);
    const target = await mount(adapter, context, endpoint);
    try {
      return await run(target, endpoint);
    } finally {
      await target.server.close();
    }
  }

  describe('§2.1 "the typ value used SHOULD be at+jwt"; the header names the signing key by kid', () => {
    it('has typ at+jwt, alg ES256 and a kid that is in the published JWKS', async () => {
      const header = decodeProtectedHeader(await issue());
      expect(header.typ).toBe('at+jwt');
      expect(header.alg).toBe('ES256');
      const jwks = await fetchJwks(server, context.endpoint);
      expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
    });
    it('is refused by a verifier that expects a plain JWT type (typ is enforced, not decorative)', async () => {
      const jwks = createLocalJWKSet(await fetchJwks(server, context.endpoint));
      await expect(jwtVerify(await issue(), jwks, { typ: 'JWT', currentDate: new Date(context.clock.now) })).rejects.toThrow(/typ/);
    });
  });

  describe('§2.2 claims: iss, exp, aud, sub, client_id, iat, jti REQUIRED; scope; cnf only when bound (RFC 8705 §3.1)', () => {
    it('carries exactly iss, sub = client_id, client_id, aud, iat, exp = iat + 300, jti, scope — and no cnf', async () => {
      const claims = decodeJwt(await issue(server, { scope: 'read' }));
      expect(Object.keys(claims).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
      expect(claims).toMatchObject({ iss: ISSUER, sub: 'pkjwt', client_id: 'pkjwt', aud: API_AUDIENCE, scope: 'read' });
      expect(claims.iat).toBe(context.clock.now / 1000);
      expect(claims.exp).toBe((claims.iat as number) + 300);
      expect(claims.jti).toMatch(/^[\w-]{16,}$/);
      expect(claims).not.toHaveProperty('cnf');
    });
    it('names the client in sub and client_id for a client_secret_basic client too', async () => {
      const response = await server.post({ grant_type: 'client_credentials' }, { authorization: basicAuthorization('secret-basic', CLIENT_SECRET) });
      const claims = decodeJwt(String(response.json.access_token));
      expect(claims.sub).toBe('secret-basic');
      expect(claims.client_id).toBe('secret-basic');
      expect(claims.sub).not.toBe('pkjwt');
      expect(claims.scope).toBe('read write');
    });
    it('uses the frozen clock for iat, not the system clock', async () => {
      const saved = context.clock.now;
      context.clock.now = Date.UTC(2030, 0, 1);
      try {
        const claims = decodeJwt(await issue());
        expect(claims.iat).toBe(Date.UTC(2030, 0, 1) / 1000);
        expect(claims.exp).toBe(Date.UTC(2030, 0, 1) / 1000 + 300);
      } finally {
        context.clock.now = saved;
      }
    });
    it('honours accessTokenTtl: 60 in exp and expires_in', async () => {
      await withEndpoint({ accessTokenTtl: 60 }, async (target) => {
        const response = await target.post(assertionParameters(await assertionFor(context, 'pkjwt')));
        expect(response.json.expires_in).toBe(60);
        const claims = decodeJwt(String(response.json.access_token));
        expect((claims.exp as number) - (claims.iat as number)).toBe(60);
      });
    });
    it('gives every token its own jti', async () => {
      const tokens = [];
      for (let index = 0; index < 10; index++) tokens.push(await issue());
      const jtis = new Set(tokens.map((token) => decodeJwt(token).jti));
      expect(jtis.size).toBe(10);
    });
    it('states the granted scope, and a narrower request narrows it', async () => {
      expect(decodeJwt(await issue()).scope).toBe('read write');
      expect(decodeJwt(await issue(server, { scope: 'write' })).scope).toBe('write');
    });
  });

  describe('§4 "validate the signature ... using the keys provided at jwks_uri"', () => {
    it('verifies with jose against the JWKS fetched over HTTPS, with typ, issuer and audience', async () => {
      const token = await issue();
      const jwks = createLocalJWKSet(await fetchJwks(server, context.endpoint));
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        typ: 'at+jwt',
        issuer: ISSUER,
        audience: API_AUDIENCE,
        currentDate: new Date(context.clock.now),
      });
      expect(payload.client_id).toBe('pkjwt');
      expect(protectedHeader.typ).toBe('at+jwt');
    });
    it('does not verify for another audience or issuer', async () => {
      const token = await issue();
      const jwks = createLocalJWKSet(await fetchJwks(server, context.endpoint));
      const options = { typ: 'at+jwt', currentDate: new Date(context.clock.now) };
      await expect(jwtVerify(token, jwks, { ...options, audience: 'https://other.example.test' })).rejects.toThrow(/aud/);
      await expect(jwtVerify(token, jwks, { ...options, issuer: 'https://other-as.example.test' })).rejects.toThrow(/iss/);
    });
    it('does not verify once a byte of the payload is changed', async () => {
      const [header, payload, signature] = (await issue()).split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url')}.${signature}`;
      const jwks = createLocalJWKSet(await fetchJwks(server, context.endpoint));
      await expect(jwtVerify(forged, jwks, { typ: 'at+jwt', currentDate: new Date(context.clock.now) })).rejects.toThrow(/signature/);
    });
    it('does not verify against the JWKS of a server with another key', async () => {
      await withEndpoint({ signingKeys: [{ privateKey: KEYS.es256, kid: 'the-other-key' }] }, async (target, endpoint) => {
        const foreign = createLocalJWKSet(await fetchJwks(target, endpoint));
        await expect(jwtVerify(await issue(), foreign, { typ: 'at+jwt', currentDate: new Date(context.clock.now) })).rejects.toThrow();
      });
    });
  });

  describe('SPEC.md "ES256 by default; EdDSA and PS256 available"', () => {
    it.each([
      ['EdDSA', KEYS.eddsa],
      ['PS256', KEYS.ps256],
      ['ES384', KEYS.es384],
    ] as const)('signs with %s and verifies with jose against the served JWKS', async (alg, privateKey) => {
      await withEndpoint({ signingKeys: [{ privateKey }] }, async (target, endpoint) => {
        const token = await issue(target);
        expect(decodeProtectedHeader(token)).toMatchObject({ alg, typ: 'at+jwt' });
        const jwks = await fetchJwks(target, endpoint);
        const { protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
          typ: 'at+jwt',
          issuer: ISSUER,
          audience: API_AUDIENCE,
          algorithms: [alg],
          currentDate: new Date(context.clock.now),
        });
        expect(protectedHeader.kid).toBe(jwks.keys[0]?.kid);
        // A verifier pinned to another algorithm refuses it.
        await expect(jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['ES256'], currentDate: new Date(context.clock.now) })).rejects.toThrow();
      });
    });
  });

  describe('SPEC.md "JWKS publishes public keys only and supports rotation (next/current/retired keys)"', () => {
    const rotation = () => [
      { privateKey: KEYS.ps256, kid: 'rsa-current', status: 'current' as const },
      { privateKey: KEYS.eddsa, kid: 'ed-next', status: 'next' as const },
      { privateKey: KEYS.es384, kid: 'ec-retired', status: 'retired' as const },
    ];

    it('publishes every key with kid, alg and use "sig", and no private member', async () => {
      await withEndpoint({ signingKeys: rotation() }, async (target, endpoint) => {
        const jwks = await fetchJwks(target, endpoint);
        expect(jwks.keys.map((key) => [key.kid, key.alg, key.use])).toEqual([
          ['rsa-current', 'PS256', 'sig'],
          ['ed-next', 'EdDSA', 'sig'],
          ['ec-retired', 'ES384', 'sig'],
        ]);
        for (const key of jwks.keys) {
          for (const member of PRIVATE_MEMBERS) expect(key, `${key.kid} must not publish ${member}`).not.toHaveProperty(member);
        }
      });
    });
    it('never lets a private key value reach the JWKS document', async () => {
      await withEndpoint({ signingKeys: rotation() }, async (target, endpoint) => {
        const response = await target.request({ method: 'GET', path: endpoint.paths.jwks });
        for (const key of [KEYS.ps256, KEYS.eddsa, KEYS.es384] as JWK[]) {
          for (const member of PRIVATE_MEMBERS) {
            const value = key[member as keyof JWK];
            if (typeof value === 'string') expect(response.text).not.toContain(value);
          }
          // The public part is there, so the check above is not vacuous.
          expect(response.text).toContain(String(key.x ?? key.n));
        }
      });
    });
    it('signs with the current key only: the next and retired keys are published but do not sign', async () => {
      await withEndpoint({ signingKeys: rotation() }, async (target, endpoint) => {
        const token = await issue(target);
        expect(decodeProtectedHeader(token).kid).toBe('rsa-current');
        const jwks = await fetchJwks(target, endpoint);
        const only = (kid: string) => createLocalJWKSet({ keys: jwks.keys.filter((key) => key.kid === kid) });
        const options = { typ: 'at+jwt', currentDate: new Date(context.clock.now) };
        await expect(jwtVerify(token, only('rsa-current'), options)).resolves.toBeDefined();
        await expect(jwtVerify(token, only('ed-next'), options)).rejects.toThrow();
        await expect(jwtVerify(token, only('ec-retired'), options)).rejects.toThrow();
      });
    });
    it('signs with whichever key is marked current, not the first listed', async () => {
      const signingKeys = [
        { privateKey: KEYS.eddsa, kid: 'first-but-next', status: 'next' as const },
        { privateKey: KEYS.es256, kid: 'second-current', status: 'current' as const },
      ];
      await withEndpoint({ signingKeys }, async (target, endpoint) => {
        const token = await issue(target);
        expect(decodeProtectedHeader(token)).toMatchObject({ kid: 'second-current', alg: 'ES256' });
        const jwks = await fetchJwks(target, endpoint);
        expect(jwks.keys.map((key) => key.kid)).toEqual(['first-but-next', 'second-current']);
        await expect(jwtVerify(token, createLocalJWKSet(jwks), { typ: 'at+jwt', currentDate: new Date(context.clock.now) })).resolves.toBeDefined();
      });
    });
  });
});
