import { generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashClientSecret } from '../../src/clients/secrets.js';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import { createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { ConfigurationError } from '../../src/errors/errors.js';
import { type TestIdentity, createTestPki, toCertificateJwk } from '../../src/testing/pki.js';
import { generateSigningKey } from '../../src/tokens/generate.js';

const ISSUER = 'https://auth.example.test';
const SIGNING_KEY = generateSigningKey('ES256');
const CLIENT_PRIVATE_JWK = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as JWK;
const { d: _d, ...CLIENT_PUBLIC_JWK } = CLIENT_PRIVATE_JWK;
const JWKS = { keys: [{ ...CLIENT_PUBLIC_JWK, kid: 'k1' }] };
const SECRET = 'a-secret-of-sufficient-length';

/** Two valid clients first, so the index in each message must point at the third. */
const GOOD: ClientMetadata[] = [
  { client_id: 'good-jwt', token_endpoint_auth_method: 'private_key_jwt', jwks: JWKS, scope: 'read' },
  { client_id: 'good-secret', token_endpoint_auth_method: 'client_secret_basic', client_secret: SECRET },
];

/** Trust anchors for RFC 8705 clients, so an mTLS client is judged on its own metadata only. */
let trustAnchors = '';

function construct(clients: readonly unknown[]): void {
  createTokenEndpoint({
    issuer: ISSUER,
    clients: clients as ClientMetadata[],
    signingKeys: [{ privateKey: SIGNING_KEY }],
    defaultAudience: 'https://api.example.test',
    mtls: { trustAnchors },
  });
}

/**
 * STYLE.md item 2: bad client metadata is a TypeError with code ERR_M2M_INVALID_CLIENT_METADATA,
 * thrown at construction; the message names the client's index, its client_id and the field.
 */
function expectInvalidClient(bad: Record<string, unknown>, fieldName: string, message?: RegExp): ConfigurationError {
  let thrown: unknown;
  try {
    construct([...GOOD, bad]);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${fieldName} to be refused`).toBeInstanceOf(ConfigurationError);
  const error = thrown as ConfigurationError;
  expect(error).toBeInstanceOf(TypeError);
  expect(error.code).toBe('ERR_M2M_INVALID_CLIENT_METADATA');
  expect(error.message).toContain('clients[2]');
  expect(error.message).toContain(`"${String(bad.client_id)}"`);
  expect(error.message).toContain(fieldName);
  expect(error.field).toContain(fieldName);
  if (message) expect(error.message).toMatch(message);
  return error;
}

describe('client metadata validation (RFC 7591 / RFC 8705 names) at construction', () => {
  let pki: Awaited<ReturnType<typeof createTestPki>>;
  let selfSigned: TestIdentity;
  beforeAll(async () => {
    pki = await createTestPki({ intermediate: false });
    trustAnchors = pki.trustAnchorsPem;
    selfSigned = await pki.createSelfSignedClientCertificate({ subject: 'CN=self-signed' });
  });

  it('accepts one valid client of every method', async () => {
    const clients: ClientMetadata[] = [
      ...GOOD,
      { client_id: 'post', token_endpoint_auth_method: 'client_secret_post', client_secret_hash: await hashClientSecret(SECRET) },
      { client_id: 'mtls', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'svc.example.test' },
      { client_id: 'self', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [toCertificateJwk(selfSigned, { kid: 'c1' })] } },
      { client_id: 'rolling', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, client_secret_hash: await hashClientSecret('another-secret-of-length') },
      { client_id: 'public', token_endpoint_auth_method: 'none' },
    ];
    expect(() => construct(clients)).not.toThrow();
  });

  describe('keys (RFC 7591 §2 jwks / jwks_uri)', () => {
    it('refuses private_key_jwt without jwks or jwks_uri', () => {
      expectInvalidClient({ client_id: 'no-keys', token_endpoint_auth_method: 'private_key_jwt' }, 'jwks', /jwks or jwks_uri/);
    });
    it('refuses jwks and jwks_uri together ("MUST NOT both be present")', () => {
      expectInvalidClient(
        { client_id: 'both', token_endpoint_auth_method: 'private_key_jwt', jwks: JWKS, jwks_uri: 'https://svc.example.test/jwks' },
        'jwks',
        /jwks_uri/,
      );
    });
    it('refuses a jwks that contains a private key member d', () => {
      expectInvalidClient(
        { client_id: 'leaky', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...CLIENT_PRIVATE_JWK, kid: 'k1' }] } },
        'jwks.keys[0]',
        /"d"/,
      );
    });
    it('refuses a symmetric (oct) key in jwks', () => {
      expectInvalidClient(
        { client_id: 'oct', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
        'jwks.keys[0]',
        /"k"/,
      );
    });
    it('refuses self_signed_tls_client_auth with a jwks lacking x5c', () => {
      expectInvalidClient(
        { client_id: 'self-no-x5c', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: JWKS },
        'jwks',
        /x5c/,
      );
    });
  });

  describe('RFC 8705 §2.1.2 "exactly one" tls_client_auth_* field, only on tls_client_auth clients', () => {
    it('refuses tls_client_auth with none of the fields', () => {
      expectInvalidClient({ client_id: 'mtls-none', token_endpoint_auth_method: 'tls_client_auth' }, 'tls_client_auth_subject_dn', /exactly one/);
    });
    it('refuses tls_client_auth with two fields', () => {
      expectInvalidClient(
        {
          client_id: 'mtls-two',
          token_endpoint_auth_method: 'tls_client_auth',
          tls_client_auth_subject_dn: 'CN=svc,O=Example',
          tls_client_auth_san_dns: 'svc.example.test',
        },
        'tls_client_auth_san_dns',
        /exactly one/,
      );
    });
    it('refuses tls_client_auth_subject_dn on a private_key_jwt client', () => {
      expectInvalidClient(
        { client_id: 'jwt-with-dn', token_endpoint_auth_method: 'private_key_jwt', jwks: JWKS, tls_client_auth_subject_dn: 'CN=svc' },
        'tls_client_auth_subject_dn',
        /only tls_client_auth/,
      );
    });
  });

  describe('token_endpoint_auth_method', () => {
    it('refuses an unknown method', () => {
      expectInvalidClient({ client_id: 'odd', token_endpoint_auth_method: 'client_secret_jwt', client_secret: SECRET }, 'token_endpoint_auth_method', /client_secret_jwt/);
    });
    it('refuses token_endpoint_auth_signing_alg HS256', () => {
      expectInvalidClient(
        { client_id: 'hs', token_endpoint_auth_method: 'private_key_jwt', jwks: JWKS, token_endpoint_auth_signing_alg: 'HS256' },
        'token_endpoint_auth_signing_alg',
      );
    });
  });

  describe('secrets', () => {
    it('refuses client_secret_basic without a secret', () => {
      expectInvalidClient({ client_id: 'no-secret', token_endpoint_auth_method: 'client_secret_basic' }, 'client_secret', /client_secret_hash/);
    });
    it('refuses a secret shorter than 16 characters', () => {
      expectInvalidClient({ client_id: 'short', token_endpoint_auth_method: 'client_secret_post', client_secret: '15-characters!!' }, 'client_secret', /16/);
    });
    it('accepts a secret of exactly 16 characters', () => {
      expect(() => construct([...GOOD, { client_id: 'sixteen', token_endpoint_auth_method: 'client_secret_post', client_secret: '16-characters!!!' }])).not.toThrow();
    });
    it('refuses three active secrets', async () => {
      const hashes = [await hashClientSecret('first-secret-long-enough'), await hashClientSecret('second-secret-long-enough')];
      expectInvalidClient(
        { client_id: 'three', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, client_secret_hash: hashes },
        'client_secret_hash',
        /at most two/,
      );
    });
    it.each(['md5:abc', 'sha256:not-32-bytes', 'scrypt:1:1:1:salt:hash', 'plaintext-secret-value'])('refuses client_secret_hash %s', (hash) => {
      expectInvalidClient({ client_id: 'bad-hash', token_endpoint_auth_method: 'client_secret_post', client_secret_hash: hash }, 'client_secret_hash[0]', /sha256|scrypt/);
    });
    it('refuses a secret on a private_key_jwt client', () => {
      expectInvalidClient({ client_id: 'jwt-secret', token_endpoint_auth_method: 'private_key_jwt', jwks: JWKS, client_secret: SECRET }, 'client_secret', /must not have a secret/);
    });
  });

  describe('scope (RFC 6749 §3.3 scope-token) and allowed_resources (RFC 8707 §2)', () => {
    it('refuses a scope with a quote character', () => {
      expectInvalidClient({ client_id: 'quoted', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, scope: 'read "write"' }, 'scope', /3\.3/);
    });
    it('refuses a scope with a backslash', () => {
      expectInvalidClient({ client_id: 'backslash', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, scope: 'read\\write' }, 'scope');
    });
    it('refuses allowed_resources with a fragment', () => {
      expectInvalidClient(
        { client_id: 'fragment', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, allowed_resources: ['https://api.example.test/#v1'] },
        'allowed_resources',
        /fragment/,
      );
    });
    it('refuses a relative allowed resource', () => {
      expectInvalidClient(
        { client_id: 'relative', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, allowed_resources: ['/v1'] },
        'allowed_resources',
      );
    });
  });

  describe('registry-level rules', () => {
    it('refuses a duplicate client_id, naming the second occurrence', () => {
      expectInvalidClient({ client_id: 'good-jwt', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET }, 'client_id', /registered twice/);
    });
    it('refuses an unknown metadata member (typo), naming it', () => {
      const error = expectInvalidClient(
        { client_id: 'typo', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET, scopes: 'read' },
        'scopes',
        /spelling/,
      );
      expect(error.field).toBe('options.clients[2] (client_id "typo").scopes');
    });
    it('refuses an unknown audience policy override', () => {
      expectInvalidClient(
        { client_id: 'aud', token_endpoint_auth_method: 'private_key_jwt', jwks: JWKS, client_assertion_audience_policy: 'loose' },
        'client_assertion_audience_policy',
      );
    });
    it('refuses an empty client_id, naming the index', () => {
      let thrown: unknown;
      try {
        construct([...GOOD, { client_id: '', token_endpoint_auth_method: 'client_secret_post', client_secret: SECRET }]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigurationError);
      expect((thrown as ConfigurationError).code).toBe('ERR_M2M_INVALID_CLIENT_METADATA');
      expect((thrown as ConfigurationError).message).toContain('clients[2].client_id');
    });
  });
});
