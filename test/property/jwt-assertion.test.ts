/**
 * Properties of client-assertion decoding and verification (RFC 7515 compact JWS, RFC 7523 §3):
 * `peekAssertionClientId` and `verifyClientAssertion` on random segments, random JSON headers and
 * claims, and mutations of genuine assertions either return a value or throw `OAuthError` with
 * the RFC 7523 §3.2 error `invalid_client` — never a `TypeError` from a missing member, a
 * `SyntaxError` from JSON, or an error from jose or WebCrypto. Keys of every kind the verifier
 * might meet are registered, including Ed448 (which jose 6 cannot verify: it must be refused
 * cleanly, not with a WebCrypto `DOMException`).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { beforeAll, describe, it } from 'vitest';
import { inlineKeySource } from '../../src/assertions/key-source.js';
import { type AssertionVerifierConfig, peekAssertionClientId, verifyClientAssertion } from '../../src/assertions/verify-assertion.js';
import { type ResolvedClient, resolveClient } from '../../src/clients/metadata.js';
import { OAuthError } from '../../src/errors/errors.js';
import { signClientAssertion } from '../../src/testing/assertions.js';
import { toJwk } from '../../src/testing/pki.js';
import { assertAsyncProperty, assertProperty, expect, fc, hostileString, valueOrCodedError, valueOrCodedErrorAsync } from './support.js';

const ISSUER = 'https://as.example.test';
const NOW = 1_800_000_000;
const MAX_LENGTH = 8192;

const keys = {
  es: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ed: generateKeyPairSync('ed25519'),
  ed448: generateKeyPairSync('ed448'),
};
const jwks = { keys: Object.entries(keys).map(([kid, pair]) => ({ ...toJwk(pair.publicKey), kid })) };

let client: ResolvedClient;
const config: AssertionVerifierConfig = {
  issuer: ISSUER,
  tokenEndpointUrls: [`${ISSUER}/token`],
  algorithms: new Set(['ES256', 'PS256', 'RS256', 'EdDSA']),
  audiencePolicy: 'rfc7523bis',
  audiencePolicyOverridable: true,
  clockToleranceSeconds: 15,
  maxLifetimeSeconds: 300,
  maxLength: MAX_LENGTH,
  keySource: inlineKeySource,
};

const b64url = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');
const json = (value: unknown): string => b64url(JSON.stringify(value));

const ALGS = ['ES256', 'PS256', 'RS256', 'EdDSA', 'none', 'HS256', 'ES384', 'RS384', 'es256', '', 'ES256 '];
const KIDS = ['es', 'rsa', 'ed', 'ed448', 'missing', '', '../es'];
const junk = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), fc.object({ maxDepth: 1, maxKeys: 3 }));
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(fc.oneof(arbitrary, junk), { nil: undefined, freq: 3 });

const header = fc.record(
  { alg: maybe(fc.constantFrom(...ALGS)), kid: maybe(fc.constantFrom(...KIDS)), typ: maybe(fc.constantFrom('JWT', 'at+jwt', 'client-authentication+jwt')), crit: maybe(fc.constant(['exp'])), b64: maybe(fc.boolean()), jku: maybe(fc.constant('https://127.0.0.1:1/')) },
  { requiredKeys: [] },
);
const claims = fc.record(
  {
    iss: maybe(fc.constantFrom('client', 'other')),
    sub: maybe(fc.constantFrom('client', 'other', '')),
    aud: maybe(fc.constantFrom(ISSUER, `${ISSUER}/token`, [ISSUER], [ISSUER, 'x'], [])),
    exp: maybe(fc.integer({ min: NOW - 100, max: NOW + 400 })),
    iat: maybe(fc.integer({ min: NOW - 400, max: NOW + 100 })),
    nbf: maybe(fc.integer({ min: NOW - 100, max: NOW + 100 })),
    jti: maybe(fc.string({ minLength: 1, maxLength: 600 })),
  },
  { requiredKeys: [] },
);
const segment = fc.oneof(
  { weight: 3, arbitrary: header.map(json) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), maxLength: 40 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => json(value)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map(b64url) },
);
const payloadSegment = fc.oneof({ weight: 3, arbitrary: claims.map(json) }, { weight: 1, arbitrary: segment });
const signatureSegment = fc.oneof(fc.constant(''), fc.uint8Array({ maxLength: 140 }).map(b64url), fc.integer({ min: 0, max: 600 }).map((length) => 'A'.repeat(length)));

/** Random compact JWS-ish strings: three (sometimes two or four) segments. */
const randomAssertion = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(segment, payloadSegment, signatureSegment).map((parts) => parts.join('.')) },
  { weight: 1, arbitrary: fc.array(segment, { maxLength: 5 }).map((parts) => parts.join('.')) },
  { weight: 1, arbitrary: hostileString(['.', 'eyJ', 'A', '-', '_', '=', '+', '/', ' ', '\u00e9', '%2E'], 30) },
);

/** A genuine assertion signed by one of the registered keys, then damaged in one random way. */
async function genuine(kid: keyof typeof keys): Promise<string> {
  const alg = kid === 'es' ? 'ES256' : kid === 'rsa' ? 'PS256' : 'EdDSA';
  if (kid === 'ed448') {
    const input = `${json({ alg, kid })}.${json({ iss: 'client', sub: 'client', aud: ISSUER, iat: NOW, exp: NOW + 60, jti: 'j' })}`;
    return `${input}.${b64url(sign(null, Buffer.from(input), keys.ed448.privateKey))}`;
  }
  return signClientAssertion({ clientId: 'client', audience: ISSUER, privateKey: keys[kid].privateKey, kid, alg, now: NOW });
}
type Mutation = { kind: 'flip' | 'delete' | 'insert' | 'swap' | 'truncate'; at: number; char: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'delete', 'insert', 'swap', 'truncate'),
  at: fc.nat(),
  char: fc.constantFrom('A', '_', '-', '.', '=', 'é', '0'),
});
function mutate(assertion: string, { kind, at, char }: Mutation): string {
  const index = at % assertion.length;
  switch (kind) {
    case 'flip':
      return `${assertion.slice(0, index)}${String.fromCharCode(assertion.charCodeAt(index) ^ 1)}${assertion.slice(index + 1)}`;
    case 'delete':
      return assertion.slice(0, index) + assertion.slice(index + 1);
    case 'insert':
      return assertion.slice(0, index) + char + assertion.slice(index);
    case 'swap': {
      const [a = '', b = '', c = ''] = assertion.split('.');
      return [b, a, c].join('.');
    }
    case 'truncate':
      return assertion.slice(0, index);
  }
}

function expectInvalidClient(error: unknown): void {
  if (error instanceof OAuthError) expect(error.error).toBe('invalid_client');
}

describe('property: client assertion decoding and verification', () => {
  const genuineAssertions: Record<string, string> = {};

  beforeAll(async () => {
    client = resolveClient({ client_id: 'client', token_endpoint_auth_method: 'private_key_jwt', jwks }, 'property client');
    for (const kid of Object.keys(keys) as (keyof typeof keys)[]) genuineAssertions[kid] = await genuine(kid);
  });

  it('the genuine assertions verify (control); an Ed448 key is refused as unsuitable, never a jose/WebCrypto exception', async () => {
    for (const [kid, assertion] of Object.entries(genuineAssertions)) {
      if (kid === 'ed448') await expect(verifyClientAssertion(assertion, client, config, NOW)).rejects.toMatchObject({ reason: 'assertion_key_unsuitable' });
      else await expect(verifyClientAssertion(assertion, client, config, NOW)).resolves.toMatchObject({ keyId: kid });
    }
  });

  it('peekAssertionClientId returns a non-empty client id or throws OAuthError invalid_client — for any string', () => {
    assertProperty(randomAssertion, (assertion) => {
      valueOrCodedError(() => peekAssertionClientId(assertion, MAX_LENGTH), {}, (clientId) => expect(clientId.length).toBeGreaterThan(0));
      try {
        peekAssertionClientId(assertion, MAX_LENGTH);
      } catch (error) {
        expectInvalidClient(error);
      }
    }, 1000);
  });

  it('verifyClientAssertion resolves or rejects with OAuthError invalid_client — for random segments, headers and claims', async () => {
    await assertAsyncProperty(randomAssertion, async (assertion) => {
      await valueOrCodedErrorAsync(() => verifyClientAssertion(assertion, client, config, NOW), {});
      await verifyClientAssertion(assertion, client, config, NOW).catch(expectInvalidClient);
    }, 800);
  });

  it('verifyClientAssertion on a genuine assertion damaged in one place: only OAuthError invalid_client, and a damaged signature never verifies', async () => {
    await assertAsyncProperty(fc.tuple(fc.constantFrom('es', 'rsa', 'ed', 'ed448'), mutation), async ([kid, change]) => {
      const original = genuineAssertions[kid] as string;
      const damaged = mutate(original, change);
      await valueOrCodedErrorAsync(() => verifyClientAssertion(damaged, client, config, NOW), {}, () => {
        // Only a change that decodes to the same bytes (a base64url spelling with other pad bits) may still verify.
        const [h, p, s] = damaged.split('.');
        const [h0, p0, s0] = original.split('.');
        expect(Buffer.from(h ?? '', 'base64url').equals(Buffer.from(h0 ?? '', 'base64url'))).toBe(true);
        expect(Buffer.from(p ?? '', 'base64url').equals(Buffer.from(p0 ?? '', 'base64url'))).toBe(true);
        expect(Buffer.from(s ?? '', 'base64url').equals(Buffer.from(s0 ?? '', 'base64url'))).toBe(true);
      });
    }, 800);
  });
});
