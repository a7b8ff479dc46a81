import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_AUDIENCE,
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ConformanceContext,
  OTHER_RESOURCE,
  assertionFor,
  assertionParameters,
  basicAuthorization,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { ADAPTERS } from '../helpers/servers.js';

function decodeJwtPayload(token: unknown): Record<string, unknown> {
  const [, payload = ''] = String(token).split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe.each(ADAPTERS)('RFC 6749 token request through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;

  beforeAll(async () => {
    context = await createConformanceContext();
    server = await mount(adapter, context);
  });
  afterAll(() => server.server.close());

  const secretPost = (extra: Record<string, string | readonly string[]> = {}) =>
    server.post({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET, ...extra });

  describe('§3.2 "The client MUST use the HTTP POST method"', () => {
    it('refuses GET with 405 invalid_request and Allow: POST', async () => {
      const response = await server.request({ method: 'GET' });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('POST');
      expect(response.json.error).toBe('invalid_request');
      expect(server.lastEvent().reason).toBe('method_not_allowed');
    });
    it('accepts POST', async () => {
      expect((await secretPost()).status).toBe(200);
    });
  });

  describe('§3.2 / Appendix B: application/x-www-form-urlencoded, UTF-8', () => {
    it('refuses a JSON body', async () => {
      const response = await server.request({
        body: JSON.stringify({ grant_type: 'client_credentials' }),
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(400);
      expect(response.json.error).toBe('invalid_request');
      expect(server.lastEvent().reason).toBe('content_type_unsupported');
    });
    it('refuses a non-UTF-8 charset', async () => {
      const response = await server.request({
        body: 'grant_type=client_credentials',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
      });
      expect(response.json.error).toBe('invalid_request');
      expect(server.lastEvent().reason).toBe('charset_unsupported');
    });
    it('refuses percent-encoded bytes that are not UTF-8', async () => {
      const response = await server.request({
        body: `grant_type=client_credentials&client_id=secret-post&client_secret=%FF%FE`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(response.status).toBe(400);
      expect(response.json.error).toBe('invalid_request');
    });
    it('accepts charset=UTF-8 and decodes "+" as a space', async () => {
      const response = await server.request({
        body: `grant_type=client_credentials&client_id=secret-basic&scope=read+write`,
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
          authorization: basicAuthorization('secret-basic', CLIENT_SECRET),
        },
      });
      expect(response.status).toBe(200);
      expect(response.json.scope).toBe('read write');
    });
  });

  describe('§3.2 "Request and response parameters MUST NOT be included more than once"', () => {
    it('refuses a repeated parameter with invalid_request', async () => {
      const response = await secretPost({ scope: ['read', 'read'] });
      expect(response.status).toBe(400);
      expect(response.json.error).toBe('invalid_request');
      expect(server.lastEvent().reason).toBe('parameter_repeated');
    });
    it('refuses a repeated resource with invalid_target (RFC 8707 §2)', async () => {
      const response = await secretPost({ resource: [API_AUDIENCE, OTHER_RESOURCE] });
      expect(response.json.error).toBe('invalid_target');
      expect(server.lastEvent().reason).toBe('resource_multiple');
    });
  });

  describe('§3.1 "Parameters sent without a value MUST be treated as if they were omitted"; unknown parameters are ignored', () => {
    it('treats scope= as no scope: the registered scope is granted', async () => {
      const response = await secretPost({ scope: '' });
      expect(response.status).toBe(200);
      expect(response.json.scope).toBe('read');
    });
    it('ignores an unknown parameter', async () => {
      expect((await secretPost({ favourite_colour: 'blue' })).status).toBe(200);
    });
  });

  describe('body size cap', () => {
    it('refuses a body over 16 KiB with 413 invalid_request', async () => {
      const response = await secretPost({ padding: 'x'.repeat(17_000) });
      expect(response.status).toBe(413);
      expect(response.json.error).toBe('invalid_request');
      expect(server.lastEvent().reason).toBe('body_too_large');
    });
    it('accepts a body just under the cap', async () => {
      expect((await secretPost({ padding: 'x'.repeat(15_000) })).status).toBe(200);
    });
  });

  describe('§4.4.2 grant_type', () => {
    it('refuses a missing grant_type with invalid_request', async () => {
      const response = await server.post({ client_id: 'secret-post', client_secret: CLIENT_SECRET });
      expect(response.json.error).toBe('invalid_request');
      expect(server.lastEvent().reason).toBe('grant_type_missing');
    });
    it('refuses another grant type with unsupported_grant_type', async () => {
      const response = await secretPost({ grant_type: 'password' });
      expect(response.status).toBe(400);
      expect(response.json.error).toBe('unsupported_grant_type');
    });
    it('refuses a client not registered for client_credentials with unauthorized_client', async () => {
      const response = await server.post({ grant_type: 'client_credentials', client_id: 'no-cc-grant', client_secret: CLIENT_SECRET });
      expect(response.json.error).toBe('unauthorized_client');
      expect(server.lastEvent().reason).toBe('grant_type_not_allowed');
    });
    it('refuses a public client (token_endpoint_auth_method none) with unauthorized_client', async () => {
      const response = await server.post({ grant_type: 'client_credentials', client_id: 'public' });
      expect(response.json.error).toBe('unauthorized_client');
      expect(server.lastEvent().reason).toBe('auth_method_none_refused');
    });
  });

  describe('§4.4.3 "A refresh token SHOULD NOT be included"; §5.1 successful response', () => {
    it('answers 200 JSON with no-store, no-cache, Bearer, expires_in, scope and no refresh_token', async () => {
      const response = await secretPost();
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.pragma).toBe('no-cache');
      expect(response.json.token_type).toBe('Bearer');
      expect(response.json.expires_in).toBe(300);
      expect(response.json.scope).toBe('read');
      expect(response.json).not.toHaveProperty('refresh_token');
      expect(Object.keys(response.json).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    });
  });

  describe('§2.3 "The client MUST NOT use more than one authentication method in each request"', () => {
    it('refuses Basic plus client_secret in the body with invalid_request', async () => {
      const response = await secretPost({}).then(() =>
        server.post(
          { grant_type: 'client_credentials', client_id: 'secret-basic', client_secret: CLIENT_SECRET },
          { authorization: basicAuthorization('secret-basic', CLIENT_SECRET) },
        ),
      );
      expect(response.status).toBe(400);
      expect(response.json.error).toBe('invalid_request');
      expect(server.lastEvent().reason).toBe('client_auth_multiple');
    });
    it('refuses client_secret plus a client assertion', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      const response = await server.post({ ...assertionParameters(assertion), client_secret: CLIENT_SECRET });
      expect(response.json.error).toBe('invalid_request');
    });
    it('refuses a request with no credentials at all with invalid_client', async () => {
      const response = await server.post({ grant_type: 'client_credentials' });
      expect(response.status).toBe(401);
      expect(response.json.error).toBe('invalid_client');
      expect(server.lastEvent().reason).toBe('client_auth_missing');
    });
  });

  describe('RFC 7521 §4.2 client_id, if present, must identify the authenticated client', () => {
    it('refuses a body client_id that differs from the Basic client', async () => {
      const response = await server.post(
        { grant_type: 'client_credentials', client_id: 'secret-post' },
        { authorization: basicAuthorization('secret-basic', CLIENT_SECRET) },
      );
      expect(response.json.error).toBe('invalid_client');
      expect(server.lastEvent().reason).toBe('client_id_mismatch');
    });
    it('accepts a body client_id that matches the assertion', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      const response = await server.post(assertionParameters(assertion, { client_id: 'pkjwt' }));
      expect(response.status).toBe(200);
    });
    it('refuses a body client_id that differs from the assertion subject', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      const response = await server.post(assertionParameters(assertion, { client_id: 'pkjwt-es256-only' }));
      expect(response.json.error).toBe('invalid_client');
      expect(server.lastEvent().reason).toBe('client_id_mismatch');
    });
  });

  describe('§2.3.1 client_secret_basic: credentials are form-urlencoded before base64 (Appendix B)', () => {
    it('decodes a secret containing ":", "%", "+" and a space', async () => {
      const response = await server.post({ grant_type: 'client_credentials' }, { authorization: basicAuthorization('secret-basic', CLIENT_SECRET) });
      expect(response.status).toBe(200);
    });
    it('refuses a wrong secret with 401 invalid_client and WWW-Authenticate: Basic (§5.2)', async () => {
      const response = await server.post({ grant_type: 'client_credentials' }, { authorization: basicAuthorization('secret-basic', 'wrong') });
      expect(response.status).toBe(401);
      expect(response.json.error).toBe('invalid_client');
      expect(response.headers['www-authenticate']).toMatch(/^Basic /);
      expect(server.lastEvent().reason).toBe('client_secret_mismatch');
    });
    it('refuses credentials that are not base64', async () => {
      const response = await server.post({ grant_type: 'client_credentials' }, { authorization: 'Basic !!!notbase64' });
      expect(response.status).toBe(401);
      expect(server.lastEvent().reason).toBe('basic_credentials_malformed');
    });
    it('refuses credentials without a colon', async () => {
      const response = await server.post({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from('secret-basic').toString('base64')}` });
      expect(server.lastEvent().reason).toBe('basic_credentials_malformed');
      expect(response.status).toBe(401);
    });
    it('refuses the right secret when the client is registered for client_secret_post', async () => {
      const response = await server.post({ grant_type: 'client_credentials' }, { authorization: basicAuthorization('secret-post', CLIENT_SECRET) });
      expect(response.json.error).toBe('invalid_client');
      expect(server.lastEvent().reason).toBe('auth_method_not_registered');
    });
  });

  describe('§2.3.1 client_secret_post', () => {
    it('accepts the right secret', async () => {
      expect((await secretPost()).status).toBe(200);
    });
    it('refuses a wrong secret with 401 invalid_client and no WWW-Authenticate (no Authorization header used)', async () => {
      const response = await server.post({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: 'nope' });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBeUndefined();
    });
    it('refuses an unknown client with the same answer as a wrong secret', async () => {
      const unknown = await server.post({ grant_type: 'client_credentials', client_id: 'ghost', client_secret: 'nope' });
      const wrong = await server.post({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: 'nope' });
      expect(unknown.text).toBe(wrong.text);
      expect(server.lastEvent().reason).toBe('client_secret_mismatch');
    });
  });

  describe('§3.3 scope: requested ⊆ registered; none requested → registered; always in the response', () => {
    it('grants a subset of the registered scope', async () => {
      const response = await server.post({ grant_type: 'client_credentials', scope: 'write' }, { authorization: basicAuthorization('secret-basic', CLIENT_SECRET) });
      expect(response.json.scope).toBe('write');
      expect(decodeJwtPayload(response.json.access_token).scope).toBe('write');
    });
    it('refuses a scope beyond the registered one with invalid_scope', async () => {
      const response = await secretPost({ scope: 'read admin' });
      expect(response.json.error).toBe('invalid_scope');
      expect(server.lastEvent().reason).toBe('scope_not_allowed');
    });
    it('refuses a scope outside the scope-token grammar with invalid_scope', async () => {
      const response = await secretPost({ scope: 'read "quoted"' });
      expect(response.json.error).toBe('invalid_scope');
      expect(server.lastEvent().reason).toBe('scope_malformed');
    });
  });

  describe('RFC 8707 §2 resource: absolute URI, no fragment, allowed for the client; becomes aud', () => {
    it('uses the default audience when no resource is given', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      const response = await server.post(assertionParameters(assertion));
      expect(decodeJwtPayload(response.json.access_token).aud).toBe(API_AUDIENCE);
    });
    it('uses an allowed resource as aud', async () => {
      const assertion = await assertionFor(context, 'pkjwt');
      const response = await server.post(assertionParameters(assertion, { resource: OTHER_RESOURCE }));
      expect(response.status).toBe(200);
      expect(decodeJwtPayload(response.json.access_token).aud).toBe(OTHER_RESOURCE);
    });
    it('refuses a resource the client may not ask for with invalid_target', async () => {
      const response = await secretPost({ resource: OTHER_RESOURCE });
      expect(response.json.error).toBe('invalid_target');
      expect(server.lastEvent().reason).toBe('resource_not_allowed');
    });
    it('refuses a resource with a fragment with invalid_target', async () => {
      const response = await secretPost({ resource: `${API_AUDIENCE}#frag` });
      expect(response.json.error).toBe('invalid_target');
      expect(server.lastEvent().reason).toBe('resource_invalid');
    });
    it('refuses a relative resource with invalid_target', async () => {
      const response = await secretPost({ resource: '/relative/path' });
      expect(response.json.error).toBe('invalid_target');
    });
  });

  describe('§5.2 errors never leak internals', () => {
    it('answers every refusal with only error and error_description', async () => {
      const response = await server.post({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: 'nope' });
      expect(Object.keys(response.json).sort()).toEqual(['error', 'error_description']);
      expect(response.text).not.toMatch(/at .*\.ts:\d+|Error:/);
    });
  });
});
