import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { TokenEndpointOptions } from '../../src/core/options.js';
import { createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { ConfigurationError } from '../../src/errors/errors.js';
import { generateSigningKey } from '../../src/tokens/generate.js';

const CLIENTS: ClientMetadata[] = [
  { client_id: 'svc', token_endpoint_auth_method: 'client_secret_post', client_secret: 'a-secret-of-sufficient-length', scope: 'read' },
];
const ES256_KEY = generateSigningKey('ES256');
const ED25519_KEY = generateSigningKey('EdDSA');
const RSA_1024_KEY = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' }) as JWK;

function validOptions(): TokenEndpointOptions {
  return { issuer: 'https://auth.example.test', clients: CLIENTS, signingKeys: [{ privateKey: ES256_KEY }], defaultAudience: 'https://api.example.test' };
}

/** Options with some members replaced (or removed, with `undefined`), for one bad value at a time. */
function withOptions(changes: Record<string, unknown>): TokenEndpointOptions {
  const options: Record<string, unknown> = { ...validOptions(), ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete options[key];
  return options as unknown as TokenEndpointOptions;
}

/** STYLE.md item 2: misuse is a TypeError with a stable code, thrown at construction, naming the field. */
function expectInvalidOption(options: TokenEndpointOptions, field: string, message?: RegExp): ConfigurationError {
  let thrown: unknown;
  try {
    createTokenEndpoint(options);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${field} to be refused`).toBeInstanceOf(ConfigurationError);
  const error = thrown as ConfigurationError;
  expect(error).toBeInstanceOf(TypeError);
  expect(error.code).toBe('ERR_M2M_INVALID_OPTION');
  expect(error.field).toBe(field);
  expect(error.message.startsWith(`${field}: `)).toBe(true);
  if (message) expect(error.message).toMatch(message);
  return error;
}

describe('createTokenEndpoint option validation (ConfigurationError ERR_M2M_INVALID_OPTION at construction)', () => {
  it('accepts a minimal valid configuration', () => {
    const endpoint = createTokenEndpoint(validOptions());
    expect(endpoint.issuer).toBe('https://auth.example.test');
    expect(endpoint.paths.token).toBe('/token');
  });

  describe('RFC 8414 §2 issuer: "a URL that uses the https scheme and has no query or fragment components"', () => {
    it.each([
      ['https://auth.example.test'],
      ['https://auth.example.test/tenant-a'],
      ['https://auth.example.test:8443/a/b'],
    ])('accepts %s', (issuer) => {
      expect(createTokenEndpoint(withOptions({ issuer })).issuer).toBe(issuer);
    });
    it.each([
      ['http', 'http://auth.example.test', /https/],
      ['a query', 'https://auth.example.test?tenant=a', /query/],
      ['an empty query', 'https://auth.example.test/?', /query/],
      ['a fragment', 'https://auth.example.test#frag', /fragment/],
      ['a trailing slash', 'https://auth.example.test/', /must not end with "\/"/],
      ['a trailing slash after a path', 'https://auth.example.test/tenant-a/', /must not end with "\/"/],
      ['credentials', 'https://user:pw@auth.example.test', /credentials/],
      ['not a URL', 'auth.example.test', /not a URL/],
    ])('refuses an issuer with %s', (_name, issuer, message) => {
      expectInvalidOption(withOptions({ issuer }), 'options.issuer', message);
    });
    it('refuses a missing issuer', () => {
      expectInvalidOption(withOptions({ issuer: undefined }), 'options.issuer', /required/);
    });
  });

  describe('unknown option keys are refused, so a typo cannot silently fall back to a default', () => {
    it('refuses accessTokenTTL (for accessTokenTtl)', () => {
      const error = expectInvalidOption(withOptions({ accessTokenTTL: 60 }), 'options.accessTokenTTL', /not a known option/);
      expect(error.message).toContain('accessTokenTtl');
    });
    it('refuses clientAssertion.clockTolerence', () => {
      expectInvalidOption(withOptions({ clientAssertion: { clockTolerence: 5 } }), 'options.clientAssertion.clockTolerence');
    });
    it('refuses paths.tokn', () => {
      expectInvalidOption(withOptions({ paths: { tokn: '/t' } }), 'options.paths.tokn');
    });
  });

  describe('clients', () => {
    it('accepts an array or a registry object', () => {
      expect(() => createTokenEndpoint(withOptions({ clients: [] }))).not.toThrow();
      expect(() => createTokenEndpoint(withOptions({ clients: { findClient: () => undefined } }))).not.toThrow();
    });
    it.each([
      ['a string', 'svc'],
      ['a plain object without findClient', { svc: CLIENTS[0] }],
      ['null', null],
    ])('refuses %s', (_name, clients) => {
      expectInvalidOption(withOptions({ clients }), 'options.clients', /array/);
    });
  });

  describe('signingKeys: private keys, RSA ≥ 2048, alg fits the key, exactly one current', () => {
    it('accepts ES256, EdDSA and a next key beside the current one', () => {
      expect(() =>
        createTokenEndpoint(withOptions({ signingKeys: [{ privateKey: ES256_KEY }, { privateKey: ED25519_KEY, status: 'next' }] })),
      ).not.toThrow();
    });
    it('refuses an empty list', () => {
      expectInvalidOption(withOptions({ signingKeys: [] }), 'options.signingKeys', /at least one/);
    });
    it('refuses a public JWK', () => {
      const { d: _d, ...publicJwk } = ES256_KEY;
      expectInvalidOption(withOptions({ signingKeys: [{ privateKey: publicJwk }] }), 'options.signingKeys[0].privateKey', /private/);
    });
    it('refuses a public KeyObject and a public PEM', () => {
      const publicKey = createPublicKey({ key: ES256_KEY as JWK & { kty: string }, format: 'jwk' });
      expectInvalidOption(withOptions({ signingKeys: [{ privateKey: publicKey }] }), 'options.signingKeys[0].privateKey');
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expectInvalidOption(withOptions({ signingKeys: [{ privateKey: pem }] }), 'options.signingKeys[0].privateKey');
    });
    it('refuses an RSA-1024 key', () => {
      expectInvalidOption(withOptions({ signingKeys: [{ privateKey: RSA_1024_KEY }] }), 'options.signingKeys[0].alg', /2048/);
    });
    it('refuses an alg that does not fit the key (EdDSA on P-256, ES384 on P-256)', () => {
      expectInvalidOption(withOptions({ signingKeys: [{ privateKey: ES256_KEY, alg: 'EdDSA' }] }), 'options.signingKeys[0].alg', /EdDSA/);
      expectInvalidOption(withOptions({ signingKeys: [{ privateKey: ES256_KEY, alg: 'ES384' }] }), 'options.signingKeys[0].alg');
    });
    it('refuses an alg outside the supported set (HS256)', () => {
      expectInvalidOption(withOptions({ signingKeys: [{ privateKey: ES256_KEY, alg: 'HS256' }] }), 'options.signingKeys[0].alg');
    });
    it('refuses two current keys', () => {
      const signingKeys = [
        { privateKey: ES256_KEY, status: 'current' },
        { privateKey: ED25519_KEY, status: 'current' },
      ];
      expectInvalidOption(withOptions({ signingKeys }), 'options.signingKeys', /exactly one key must have status "current" \(found 2\)/);
    });
    it('refuses no current key', () => {
      expectInvalidOption(withOptions({ signingKeys: [{ privateKey: ES256_KEY, status: 'next' }] }), 'options.signingKeys', /found 0/);
    });
    it('refuses duplicate kids', () => {
      const signingKeys = [{ privateKey: ES256_KEY, kid: 'k' }, { privateKey: ED25519_KEY, kid: 'k' }];
      expectInvalidOption(withOptions({ signingKeys }), 'options.signingKeys', /unique/);
    });
  });

  describe('accessTokenTtl: integer seconds from 1 to 86400', () => {
    it.each([1, 60, 86_400])('accepts %s', (accessTokenTtl) => {
      expect(() => createTokenEndpoint(withOptions({ accessTokenTtl }))).not.toThrow();
    });
    it.each([0, 1.5, 1_000_000, -5, '300', Number.NaN])('refuses %s', (accessTokenTtl) => {
      expectInvalidOption(withOptions({ accessTokenTtl }), 'options.accessTokenTtl', /integer/);
    });
  });

  describe('clientAssertion', () => {
    it('accepts clockTolerance 60, a narrower algorithm list and each audience policy', () => {
      for (const audiencePolicy of ['rfc7523bis', 'fapi2', 'legacy']) {
        expect(() => createTokenEndpoint(withOptions({ clientAssertion: { clockTolerance: 60, algorithms: ['ES256', 'EdDSA'], audiencePolicy } }))).not.toThrow();
      }
    });
    it('refuses clockTolerance 61 (SPEC.md: at most 60 s)', () => {
      expectInvalidOption(withOptions({ clientAssertion: { clockTolerance: 61 } }), 'options.clientAssertion.clockTolerance', /60/);
    });
    it.each([[['none']], [['HS256']], [['ES256', 'HS512']], [[]]])('refuses algorithms %j', (algorithms) => {
      expectInvalidOption(withOptions({ clientAssertion: { algorithms } }), 'options.clientAssertion.algorithms');
    });
    it('refuses audiencePolicy "x"', () => {
      expectInvalidOption(withOptions({ clientAssertion: { audiencePolicy: 'x' } }), 'options.clientAssertion.audiencePolicy', /rfc7523bis/);
    });
    it('refuses maxLifetime 0 and maxLength 10', () => {
      expectInvalidOption(withOptions({ clientAssertion: { maxLifetime: 0 } }), 'options.clientAssertion.maxLifetime');
      expectInvalidOption(withOptions({ clientAssertion: { maxLength: 10 } }), 'options.clientAssertion.maxLength');
    });
  });

  describe('paths and body cap', () => {
    it('accepts paths.token "/oauth2/token" and maxBodyBytes 1024', () => {
      const endpoint = createTokenEndpoint(withOptions({ paths: { token: '/oauth2/token' }, maxBodyBytes: 1024 }));
      expect(endpoint.paths.token).toBe('/oauth2/token');
      expect(endpoint.maxBodyBytes).toBe(1024);
    });
    it('refuses paths.token "token" (no leading slash) and "/token/" (trailing slash)', () => {
      expectInvalidOption(withOptions({ paths: { token: 'token' } }), 'options.paths.token', /starting with "\/"/);
      expectInvalidOption(withOptions({ paths: { token: '/token/' } }), 'options.paths.token');
    });
    it('refuses two endpoints on one path', () => {
      expectInvalidOption(withOptions({ paths: { token: '/x', jwks: '/x' } }), 'options.paths', /differ/);
    });
    it('refuses maxBodyBytes 10', () => {
      expectInvalidOption(withOptions({ maxBodyBytes: 10 }), 'options.maxBodyBytes', /bytes/);
    });
  });

  describe('other members', () => {
    it.each([
      ['authMethods with none', { authMethods: ['none'] }, 'options.authMethods'],
      ['empty authMethods', { authMethods: [] }, 'options.authMethods'],
      ['defaultAudience with a fragment', { defaultAudience: 'https://api.example.test#x' }, 'options.defaultAudience'],
      ['defaultScope "all"', { defaultScope: 'all' }, 'options.defaultScope'],
      ['a replayStore without consume', { replayStore: {} }, 'options.replayStore'],
      ['onEvent that is not a function', { onEvent: 'log' }, 'options.onEvent'],
      ['now that is not a function', { now: 12 }, 'options.now'],
    ])('refuses %s', (_name, changes, field) => {
      expectInvalidOption(withOptions(changes), field);
    });
    it('refuses options that are not an object', () => {
      expectInvalidOption(null as unknown as TokenEndpointOptions, 'options');
    });
  });
});
