import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import {
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
import type { HttpResult } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';

const WELL_KNOWN = '/.well-known/oauth-authorization-server';
const TENANT_ISSUER = `${ISSUER}/tenant-a`;

async function getMetadata(server: AdapterUnderTest, path = WELL_KNOWN): Promise<HttpResult> {
  return server.request({ method: 'GET', path });
}

describe.each(ADAPTERS)('RFC 8414 authorization server metadata through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  let metadata: Record<string, unknown>;

  beforeAll(async () => {
    context = await createConformanceContext();
    server = await mount(adapter, context);
    metadata = (await getMetadata(server)).json;
  });
  afterAll(() => server.server.close());

  /** Mounts an endpoint with other options for one test, and closes it afterwards. */
  async function withEndpoint(
    overrides: Parameters<ConformanceContext['createEndpoint']>[0],
    run: (target: AdapterUnderTest, endpoint: TokenEndpoint) => Promise<void>,
  ): Promise<void> {
    const endpoint = context.createEndpoint(overrides);
    const target = await mount(adapter, context, endpoint);
    try {
      await run(target, endpoint);
    } finally {
      await target.server.close();
    }
  }

  describe('§3 "available at a path formed by inserting ... /.well-known/oauth-authorization-server"; §3.2 "200 OK ... application/json"', () => {
    it('serves the document with GET at the well-known path as JSON', async () => {
      const response = await getMetadata(server);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json.issuer).toBe(ISSUER);
      expect(context.endpoint.paths.metadata).toBe(WELL_KNOWN);
    });
    it('does not serve it at the OpenID-style path below the issuer or a misspelt one', async () => {
      expect((await getMetadata(server, '/.well-known/openid-configuration')).status).toBe(404);
      expect((await getMetadata(server, '/.well-known/oauth-authorization-server/x')).status).toBe(404);
    });
  });

  describe('§2 / §3.3 "The issuer value returned MUST be identical to the authorization server\'s issuer identifier"', () => {
    it('states the configured issuer byte for byte', () => {
      expect(metadata.issuer).toBe(ISSUER);
      expect(typeof metadata.issuer === 'string' && metadata.issuer.endsWith('/')).toBe(false);
    });
  });

  describe('§2 "response_types_supported REQUIRED": an empty array, there is no authorization endpoint', () => {
    it('is present and empty', () => {
      expect(metadata).toHaveProperty('response_types_supported');
      expect(metadata.response_types_supported).toEqual([]);
      expect(metadata).not.toHaveProperty('authorization_endpoint');
    });
  });

  describe('§2 token_endpoint, jwks_uri, grant_types_supported', () => {
    it('names the token endpoint and the JWKS under the issuer, and they answer there', async () => {
      expect(metadata.token_endpoint).toBe(`${ISSUER}/token`);
      expect(metadata.jwks_uri).toBe(`${ISSUER}/jwks`);
      const jwks = await server.request({ method: 'GET', path: new URL(String(metadata.jwks_uri)).pathname });
      expect(jwks.status).toBe(200);
      expect(Array.isArray(jwks.json.keys)).toBe(true);
      const token = await server.post(
        { grant_type: 'client_credentials' },
        { authorization: basicAuthorization('secret-basic', CLIENT_SECRET) },
      );
      expect(token.status).toBe(200);
    });
    it('advertises client_credentials only', () => {
      expect(metadata.grant_types_supported).toEqual(['client_credentials']);
    });
  });

  describe('§2 token_endpoint_auth_methods_supported / token_endpoint_auth_signing_alg_values_supported: "The value none MUST NOT be used"', () => {
    it('lists private_key_jwt and the secret methods, and never none', () => {
      const methods = metadata.token_endpoint_auth_methods_supported as string[];
      expect(methods).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_basic', 'client_secret_post']));
      expect(methods).not.toContain('none');
    });
    it('lists the default assertion algorithms, never none or HS*', () => {
      const algs = metadata.token_endpoint_auth_signing_alg_values_supported as string[];
      expect([...algs].sort()).toEqual(['ES256', 'ES384', 'EdDSA', 'PS256', 'PS384', 'RS256']);
      expect(algs).not.toContain('none');
      expect(algs.filter((alg) => alg.startsWith('HS'))).toEqual([]);
    });
  });

  describe('SPEC.md "Only methods and algorithms the server really accepts are advertised"', () => {
    it('authMethods: [private_key_jwt] advertises only private_key_jwt, accepts it and refuses secrets', async () => {
      await withEndpoint({ authMethods: ['private_key_jwt'] }, async (target, endpoint) => {
        const document = (await getMetadata(target, endpoint.paths.metadata)).json;
        expect(document.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
        expect(document).toHaveProperty('token_endpoint_auth_signing_alg_values_supported');
        expect((await target.post(assertionParameters(await assertionFor(context, 'pkjwt')))).status).toBe(200);
        const basic = await target.post({ grant_type: 'client_credentials' }, { authorization: basicAuthorization('secret-basic', CLIENT_SECRET) });
        expect(basic.status).toBe(401);
        expect(basic.json.error).toBe('invalid_client');
        expect(target.lastEvent().reason).toBe('auth_method_not_registered');
        const post = await target.post({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET });
        expect(post.json.error).toBe('invalid_client');
        expect(target.lastEvent().reason).toBe('auth_method_not_registered');
      });
    });
    it('authMethods: [client_secret_post] advertises no signing algorithms and refuses assertions', async () => {
      await withEndpoint({ authMethods: ['client_secret_post'] }, async (target, endpoint) => {
        const document = (await getMetadata(target, endpoint.paths.metadata)).json;
        expect(document.token_endpoint_auth_methods_supported).toEqual(['client_secret_post']);
        expect(document).not.toHaveProperty('token_endpoint_auth_signing_alg_values_supported');
        const post = await target.post({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET });
        expect(post.status).toBe(200);
        const assertion = await target.post(assertionParameters(await assertionFor(context, 'pkjwt')));
        expect(assertion.status).toBe(401);
        expect(assertion.json.error).toBe('invalid_client');
        expect(target.lastEvent().reason).toBe('auth_method_not_registered');
      });
    });
    it('clientAssertion.algorithms: [ES256] advertises ES256 only, accepts it and refuses PS256', async () => {
      await withEndpoint({ clientAssertion: { algorithms: ['ES256'] } }, async (target, endpoint) => {
        const document = (await getMetadata(target, endpoint.paths.metadata)).json;
        expect(document.token_endpoint_auth_signing_alg_values_supported).toEqual(['ES256']);
        expect((await target.post(assertionParameters(await assertionFor(context, 'pkjwt')))).status).toBe(200);
        const ps256 = await target.post(assertionParameters(await assertionFor(context, 'pkjwt', context.keys.rsa, { alg: 'PS256' })));
        expect(ps256.json.error).toBe('invalid_client');
        expect(target.lastEvent().reason).toBe('assertion_alg_not_allowed');
      });
    });
  });

  describe('§3.1 "inserting ... between the host component and the path component": issuer https://as.example.test/tenant-a', () => {
    let tenant: AdapterUnderTest;
    let tenantEndpoint: TokenEndpoint;
    beforeAll(async () => {
      tenantEndpoint = context.createEndpoint({ issuer: TENANT_ISSUER });
      tenant = await mount(adapter, context, tenantEndpoint);
    });
    afterAll(() => tenant.server.close());

    it('serves metadata at /.well-known/oauth-authorization-server/tenant-a with the tenant issuer', async () => {
      expect(tenantEndpoint.paths.metadata).toBe(`${WELL_KNOWN}/tenant-a`);
      const response = await getMetadata(tenant, `${WELL_KNOWN}/tenant-a`);
      expect(response.status).toBe(200);
      expect(response.json.issuer).toBe(TENANT_ISSUER);
      expect(response.json.token_endpoint).toBe(`${TENANT_ISSUER}/token`);
      expect(response.json.jwks_uri).toBe(`${TENANT_ISSUER}/jwks`);
    });
    it('does not serve metadata at the un-suffixed path nor below the issuer path', async () => {
      expect((await getMetadata(tenant, WELL_KNOWN)).status).toBe(404);
      expect((await getMetadata(tenant, `/tenant-a${WELL_KNOWN}`)).status).toBe(404);
    });
    it('answers the token endpoint at /tenant-a/token, for assertions whose aud is the tenant issuer', async () => {
      expect(tenantEndpoint.paths.token).toBe('/tenant-a/token');
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { audience: TENANT_ISSUER });
      const response = await tenant.post(assertionParameters(assertion));
      expect(response.status, response.text).toBe(200);
      const claims = JSON.parse(Buffer.from(String(response.json.access_token).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
      expect(claims.iss).toBe(TENANT_ISSUER);
    });
    it('refuses an assertion addressed to the host-only issuer with aud_not_issuer', async () => {
      const response = await tenant.post(assertionParameters(await assertionFor(context, 'pkjwt')));
      expect(response.json.error).toBe('invalid_client');
      expect(tenant.lastEvent().reason).toBe('aud_not_issuer');
    });
    it('has no token endpoint at the un-prefixed /token', async () => {
      const assertion = await assertionFor(context, 'pkjwt', context.keys.es256, { audience: TENANT_ISSUER });
      const response = await tenant.request({
        path: '/token',
        body: new URLSearchParams(assertionParameters(assertion)).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(response.status).toBe(404);
    });
  });
});
