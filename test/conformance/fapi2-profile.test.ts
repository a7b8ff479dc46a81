import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { TokenEndpointEvent } from '../../src/core/events.js';
import { type TokenEndpoint, createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { assertionTypeUrn, signClientAssertion } from '../../src/testing/assertions.js';
import { type TestIdentity, type TestKeyPair, type TestPki, createTestPki, generateKeyPair, toJwk } from '../../src/testing/pki.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import { FORM_CONTENT_TYPE, formBody } from '../helpers/http.js';

const ISSUER = 'https://as.fapi.test';
const REPOSITORY = new URL('../..', import.meta.url).pathname;

describe('FAPI 2.0 Security Profile (profile: "fapi2")', () => {
  let pki: TestPki;
  let es256: TestKeyPair;
  let rsa: TestKeyPair;
  let rsa1024: TestKeyPair;
  let certificate: TestIdentity;
  let endpoint: TokenEndpoint;
  const events: TokenEndpointEvent[] = [];
  const clock = Date.now();

  const jwks = () => ({ keys: [{ ...toJwk(es256.publicKey), kid: 'ec' }, { ...toJwk(rsa.publicKey), kid: 'rsa' }] });
  const base = (clients: ClientMetadata[], more: Record<string, unknown> = {}) => ({
    profile: 'fapi2' as const,
    issuer: ISSUER,
    defaultAudience: 'https://api.fapi.test',
    signingKeys: [{ privateKey: generateSigningKey('ES256') }],
    mtls: { trustAnchors: pki.trustAnchorsPem },
    clients,
    ...more,
  });

  beforeAll(async () => {
    pki = await createTestPki();
    [es256, rsa, rsa1024] = await Promise.all([generateKeyPair('ec-p256'), generateKeyPair('rsa'), generateKeyPair('rsa', { rsaBits: 1024 })]);
    certificate = await pki.issueClientCertificate({ subject: 'CN=fapi-client,O=Bank' });
    endpoint = createTokenEndpoint({
      ...base([
        { client_id: 'pkjwt', token_endpoint_auth_method: 'private_key_jwt', jwks: jwks(), scope: 'accounts' },
        { client_id: 'mtls', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=fapi-client,O=Bank', scope: 'accounts' },
      ]),
      onEvent: (event) => events.push(event),
      now: () => clock,
    });
  });

  const tokenRequest = async (overrides: Parameters<typeof signClientAssertion>[0] extends infer O ? Partial<O> : never, withCertificate = true) => {
    const assertion = await signClientAssertion({
      clientId: 'pkjwt',
      audience: ISSUER,
      privateKey: es256.privateKey,
      kid: 'ec',
      now: Math.floor(clock / 1000),
      ...overrides,
    });
    return endpoint.token({
      method: 'POST',
      headers: FORM_CONTENT_TYPE,
      body: formBody({ grant_type: 'client_credentials', client_assertion_type: assertionTypeUrn, client_assertion: assertion }),
      ...(withCertificate ? { tlsClientCertificate: { certificate: certificate.der } } : {}),
    });
  };

  describe('start-up: a registry or option that breaks the profile fails at construction, naming the client and the rule', () => {
    const cases: [string, () => ClientMetadata[] | Record<string, unknown>, RegExp][] = [
      ['a client_secret_basic client', () => [{ client_id: 'legacy-secret', token_endpoint_auth_method: 'client_secret_basic', client_secret: 'x'.repeat(32) }], /clients\[0\] \(client_id "legacy-secret"\)\.token_endpoint_auth_method: client_secret_basic is not allowed by the fapi2 profile/],
      ['an RS256-only client', () => [{ client_id: 'rs256-only', token_endpoint_auth_method: 'private_key_jwt', jwks: jwks(), token_endpoint_auth_signing_alg: 'RS256' }], /client_id "rs256-only"\)\.token_endpoint_auth_signing_alg: RS256 is not allowed by the fapi2 profile/],
      ['a client with an RSA-1024 key', () => [{ client_id: 'weak-key', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...toJwk(rsa1024.publicKey), kid: 'weak' }] } }], /client_id "weak-key"\)\.jwks\.keys\[0\]: is an RSA key of 1024 bits/],
      ['a client asking for the legacy audience policy', () => [{ client_id: 'legacy-aud', token_endpoint_auth_method: 'private_key_jwt', jwks: jwks(), client_assertion_audience_policy: 'legacy' }], /client_id "legacy-aud"\)\.client_assertion_audience_policy/],
      ['a client refusing bound tokens', () => [{ client_id: 'unbound', token_endpoint_auth_method: 'private_key_jwt', jwks: jwks(), tls_client_certificate_bound_access_tokens: false }], /client_id "unbound"\)\.tls_client_certificate_bound_access_tokens: the fapi2 profile requires sender-constrained/],
    ];
    it.each(cases)('%s', (_name, clients, message) => {
      expect(() => createTokenEndpoint(base(clients() as ClientMetadata[]))).toThrow(message);
    });

    it('options that contradict the profile are refused, not silently overridden', () => {
      expect(() => createTokenEndpoint(base([], { authMethods: ['client_secret_post'] }))).toThrow(/options\.authMethods: client_secret_post is not allowed by the fapi2 profile/);
      expect(() => createTokenEndpoint(base([], { clientAssertion: { algorithms: ['RS256'] } }))).toThrow(/options\.clientAssertion\.algorithms: RS256 is not allowed/);
      expect(() => createTokenEndpoint(base([], { clientAssertion: { audiencePolicy: 'rfc7523bis' } }))).toThrow(/audiencePolicy: the fapi2 profile requires/);
      expect(() => createTokenEndpoint(base([], { signingKeys: [{ privateKey: generateSigningKey('RS256') }] }))).toThrow(/signingKeys\[0\]\.alg: RS256 is not allowed by the fapi2 profile/);
    });

    it('serve --profile fapi2 with a client_secret_basic client in --clients exits 1, naming the client and the rule', async () => {
      const directory = await mkdtemp(join(tmpdir(), 'm2m-fapi2-'));
      const clientsFile = join(directory, 'clients.json');
      await writeFile(clientsFile, JSON.stringify([{ client_id: 'legacy-secret', token_endpoint_auth_method: 'client_secret_basic', client_secret: 'x'.repeat(32) }]));
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--profile', 'fapi2', '--clients', clientsFile], {
        cwd: REPOSITORY,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/error: options\.clients\[0\] \(client_id "legacy-secret"\)\.token_endpoint_auth_method: client_secret_basic is not allowed by the fapi2 profile/);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  });

  describe('at request time', () => {
    it('§5.4.1: PS256, ES256 and EdDSA only — RS256 is refused even with a strong key', async () => {
      expect((await tokenRequest({})).status).toBe(200);
      expect((await tokenRequest({ privateKey: rsa.privateKey, kid: 'rsa', alg: 'PS256' })).status).toBe(200);
      expect((await tokenRequest({ privateKey: rsa.privateKey, kid: 'rsa', alg: 'RS256' })).status).toBe(401);
      expect(events.at(-1)).toMatchObject({ reason: 'assertion_alg_not_allowed' });
    });

    it('§5.3.2.1: aud is the issuer as a string; an array holding only the issuer is refused', async () => {
      expect((await tokenRequest({ claims: { aud: [ISSUER] } })).status).toBe(401);
      expect(events.at(-1)).toMatchObject({ reason: 'aud_array_not_allowed' });
    });

    it('§5.3.2.1: iat and nbf up to 10 s in the future are accepted, beyond that refused', async () => {
      const now = Math.floor(clock / 1000);
      expect((await tokenRequest({ claims: { iat: now + 9, nbf: now + 9, exp: now + 60 } })).status).toBe(200);
      expect((await tokenRequest({ claims: { iat: now + 12, exp: now + 60 } })).status).toBe(401);
      expect(events.at(-1)).toMatchObject({ reason: 'iat_in_future' });
    });

    it('§5.3.2.1: access tokens are sender-constrained — without a client certificate no token is issued', async () => {
      const refused = await tokenRequest({}, false);
      expect(refused.status).toBe(400);
      expect(events.at(-1)).toMatchObject({ reason: 'certificate_binding_required' });
      const issued = await tokenRequest({});
      const payload = JSON.parse(Buffer.from(String(JSON.parse(issued.body).access_token).split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
      expect(payload.cnf).toEqual({ 'x5t#S256': certificate.x5tS256 });
    });

    it('metadata advertises only what the profile allows', () => {
      const metadata = JSON.parse(endpoint.metadata().body) as Record<string, string[]>;
      expect(metadata.token_endpoint_auth_methods_supported?.sort()).toEqual(['private_key_jwt', 'self_signed_tls_client_auth', 'tls_client_auth']);
      expect(metadata.token_endpoint_auth_signing_alg_values_supported?.sort()).toEqual(['ES256', 'EdDSA', 'PS256']);
    });
  });
});
