/**
 * ATTACK: client confusion — authenticating as a client by a weaker route than the one it
 * registered, as a disabled or public client, as one client while naming another, with another
 * client's key, or through a registry that answers for the wrong client. RFC 6749 §2.3 / §4.4,
 * RFC 7521 §4.2, RFC 7523 §3 and STYLE.md item 5: "exactly one mechanism presented; one
 * consistent client_id; the mechanism must be the client's registered token_endpoint_auth_method;
 * then the method's own check".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { ClientRegistry } from '../../src/clients/registry.js';
import type { ReasonCode } from '../../src/errors/reasons.js';
import { type TestIdentity, generateKeyPair, toJwk } from '../../src/testing/pki.js';
import {
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ClientKey,
  type ConformanceContext,
  assertionFor,
  assertionParameters,
  basicAuthorization,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectIssued, expectRefusal } from './support.js';

const MTLS_DN = 'CN=svc,O=Acme Corp';
const REGISTRY_SECRET = 'postgres://registry:hunter2-registry-password@db.internal/clients';

describe.each(ADAPTERS)('ATTACK client confusion through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  let narrow: AdapterUnderTest;
  let certificate: TestIdentity;
  let bob: ClientKey;

  beforeAll(async () => {
    context = await createConformanceContext();
    const bobPair = await generateKeyPair('ec-p256');
    bob = { kid: 'bob-key', privateKey: bobPair.privateKey, publicJwk: { ...toJwk(bobPair.publicKey), kid: 'bob-key' } };
    certificate = await context.pki.issueClientCertificate({ subject: MTLS_DN });
    const alice = { keys: [context.keys.es256.publicJwk] };
    const clients: ClientMetadata[] = [
      { client_id: 'alice', token_endpoint_auth_method: 'private_key_jwt', jwks: alice, scope: 'read' },
      { client_id: 'bob', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [bob.publicJwk] }, scope: 'read' },
      { client_id: 'mtls-svc', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: MTLS_DN, scope: 'read' },
      { client_id: 'secret-post', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, scope: 'read' },
      { client_id: 'secret-basic', token_endpoint_auth_method: 'client_secret_basic', client_secret: CLIENT_SECRET, scope: 'read' },
      { client_id: 'public', token_endpoint_auth_method: 'none', scope: 'read' },
      { client_id: 'disabled-secret', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, scope: 'read', disabled: true },
      { client_id: 'disabled-pkjwt', token_endpoint_auth_method: 'private_key_jwt', jwks: alice, scope: 'read', disabled: true },
      { client_id: 'disabled-mtls', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: MTLS_DN, scope: 'read', disabled: true },
    ];
    const byId = new Map(clients.map((client) => [client.client_id, client]));
    // A dynamic registry (a database), which can also misbehave.
    const registry: ClientRegistry = {
      findClient: async (clientId) => {
        if (clientId === 'returns-other') return byId.get('alice');
        if (clientId === 'returns-invalid') return { client_id: 'returns-invalid', token_endpoint_auth_method: 'private_key_jwt' };
        if (clientId === 'throws') throw new Error(`connection refused: ${REGISTRY_SECRET}`);
        return byId.get(clientId);
      },
    };
    server = await mount(adapter, context, context.createEndpoint({ clients: registry, mtls: { trustAnchors: context.pki.trustAnchorsPem } }));
    narrow = await mount(adapter, context, context.createEndpoint({ clients: registry, authMethods: ['private_key_jwt'] }));
  });
  afterAll(async () => {
    await server.server.close();
    await narrow.server.close();
  });

  const send = (parameters: Record<string, string>, options: { authorization?: string; certificate?: TestIdentity; target?: AdapterUnderTest } = {}): Promise<HttpResult> =>
    httpsRequest(`${(options.target ?? server).server.origin}/token`, {
      headers: { ...FORM_CONTENT_TYPE, ...(options.authorization === undefined ? {} : { authorization: options.authorization }) },
      body: formBody({ grant_type: 'client_credentials', ...parameters }),
      ca: context.pki.trustAnchorsPem,
      clientCertificate: options.certificate ? { chainPem: options.certificate.chainPem, privateKeyPem: options.certificate.privateKeyPem } : undefined,
    });
  const assertion = (clientId: string, key: ClientKey = context.keys.es256, claims: Record<string, unknown> = {}, kid: string | null = key.kid) =>
    assertionFor(context, clientId, key, { claims, kid: kid ?? undefined });

  function refused(response: HttpResult, reason: ReasonCode, options: { status?: number; error?: string; basic?: boolean; secrets?: string[]; target?: AdapterUnderTest } = {}): void {
    const status = options.status ?? 401;
    expectRefusal(response, options.target ?? server, {
      status,
      error: options.error ?? 'invalid_client',
      reason,
      wwwAuthenticate: status === 401 ? options.basic === true : undefined,
      secrets: [CLIENT_SECRET, ...(options.secrets ?? [])],
    } as Parameters<typeof expectRefusal>[2]);
  }

  it('controls: each client authenticates by its own registered method', async () => {
    expectIssued(await send(assertionParameters(await assertion('alice'))));
    expectIssued(await send(assertionParameters(await assertion('bob', bob))));
    expectIssued(await send({ client_id: 'mtls-svc' }, { certificate }));
    expectIssued(await send({ client_id: 'secret-post', client_secret: CLIENT_SECRET }));
    expectIssued(await send({}, { authorization: basicAuthorization('secret-basic', CLIENT_SECRET) }));
  });

  describe('switching authentication method: "the mechanism must be the client\'s registered token_endpoint_auth_method"', () => {
    it('a private_key_jwt client sending client_secret_post (auth_method_not_registered)', async () => {
      refused(await send({ client_id: 'alice', client_secret: CLIENT_SECRET }), 'auth_method_not_registered');
    });
    it('a private_key_jwt client sending client_secret_basic (auth_method_not_registered, with the Basic challenge)', async () => {
      refused(await send({}, { authorization: basicAuthorization('alice', CLIENT_SECRET) }), 'auth_method_not_registered', { basic: true });
    });
    it('a private_key_jwt client sending only a TLS client certificate (client_auth_missing)', async () => {
      refused(await send({ client_id: 'alice' }, { certificate }), 'client_auth_missing');
    });
    it('a tls_client_auth client sending a client assertion, even a well-signed one (auth_method_not_registered)', async () => {
      const value = await assertion('mtls-svc');
      refused(await send(assertionParameters(value), { certificate }), 'auth_method_not_registered', { secrets: [value] });
    });
    it('a tls_client_auth client sending client_secret_post (auth_method_not_registered)', async () => {
      refused(await send({ client_id: 'mtls-svc', client_secret: CLIENT_SECRET }, { certificate }), 'auth_method_not_registered');
    });
    it('a client_secret_post client sending client_secret_basic (auth_method_not_registered)', async () => {
      refused(await send({}, { authorization: basicAuthorization('secret-post', CLIENT_SECRET) }), 'auth_method_not_registered', { basic: true });
    });
    it('a client_secret_basic client sending client_secret_post (auth_method_not_registered)', async () => {
      refused(await send({ client_id: 'secret-basic', client_secret: CLIENT_SECRET }), 'auth_method_not_registered');
    });
    it('a client_secret_post client sending a client assertion (auth_method_not_registered)', async () => {
      refused(await send(assertionParameters(await assertion('secret-post'))), 'auth_method_not_registered');
    });
    it('a client_secret_post client sending only a TLS certificate (client_auth_missing)', async () => {
      refused(await send({ client_id: 'secret-post' }, { certificate }), 'client_auth_missing');
    });
    it('a client whose registered method the server does not enable (authMethods: private_key_jwt only) (auth_method_not_registered)', async () => {
      refused(await send({ client_id: 'secret-post', client_secret: CLIENT_SECRET }, { target: narrow }), 'auth_method_not_registered', { target: narrow });
    });
  });

  describe('a disabled client (registry says disabled: true) is refused by every method, with the answer a wrong secret gets', () => {
    it('client_secret_post (client_disabled)', async () => {
      const response = await send({ client_id: 'disabled-secret', client_secret: CLIENT_SECRET });
      refused(response, 'client_disabled');
      const wrongSecret = await send({ client_id: 'secret-post', client_secret: 'wrong-secret-value' });
      expect(response.text).toBe(wrongSecret.text);
    });
    it('private_key_jwt with a valid assertion (client_disabled)', async () => {
      const value = await assertion('disabled-pkjwt');
      refused(await send(assertionParameters(value)), 'client_disabled', { secrets: [value] });
    });
    it('tls_client_auth with a valid certificate (client_disabled)', async () => {
      refused(await send({ client_id: 'disabled-mtls' }, { certificate }), 'client_disabled');
    });
  });

  describe('RFC 6749 §4.4 "The client credentials grant type MUST only be used by confidential clients": a none client', () => {
    it.each([
      ['client_id alone', () => ({ client_id: 'public' })],
      ['client_id and a made-up client_secret', () => ({ client_id: 'public', client_secret: 'anything-at-all' })],
    ])('%s (auth_method_none_refused, 400 unauthorized_client)', async (_name, parameters) => {
      refused(await send(parameters()), 'auth_method_none_refused', { status: 400, error: 'unauthorized_client' });
    });
    it('a none client with a client assertion (auth_method_none_refused)', async () => {
      refused(await send(assertionParameters(await assertion('public'))), 'auth_method_none_refused', { status: 400, error: 'unauthorized_client' });
    });
    it('a none client with Basic credentials (auth_method_none_refused)', async () => {
      refused(await send({}, { authorization: basicAuthorization('public', 'anything-at-all') }), 'auth_method_none_refused', { status: 400, error: 'unauthorized_client' });
    });
    it('a none client with a TLS certificate (auth_method_none_refused)', async () => {
      refused(await send({ client_id: 'public' }, { certificate }), 'auth_method_none_refused', { status: 400, error: 'unauthorized_client' });
    });
  });

  describe('RFC 7521 §4.2 / RFC 7523 §3: one client, named consistently', () => {
    it("alice's assertion with client_id=bob in the body (client_id_mismatch)", async () => {
      refused(await send(assertionParameters(await assertion('alice'), { client_id: 'bob' })), 'client_id_mismatch');
    });
    it("alice's assertion with client_id='alice ' (a trailing space) in the body (client_id_mismatch)", async () => {
      refused(await send(assertionParameters(await assertion('alice'), { client_id: 'alice ' })), 'client_id_mismatch');
    });
    it('iss = bob, sub = alice, signed by alice (assertion_iss_mismatch)', async () => {
      refused(await send(assertionParameters(await assertion('alice', context.keys.es256, { iss: 'bob' }))), 'assertion_iss_mismatch');
    });
    it("iss = alice, sub = bob, signed by alice's key: judged as bob, whose keys do not include alice's (assertion_key_not_found)", async () => {
      refused(await send(assertionParameters(await assertion('alice', context.keys.es256, { sub: 'bob' }))), 'assertion_key_not_found');
      expect(server.lastEvent().clientId).toBe('bob');
    });
    it('no sub, client found by iss (assertion_sub_mismatch)', async () => {
      const value = await assertionFor(context, 'alice', context.keys.es256, { omit: ['sub'] });
      refused(await send(assertionParameters(value, { client_id: 'alice' })), 'assertion_sub_mismatch');
    });
  });

  describe("cross-client key use: alice's assertion signed with bob's key", () => {
    it("naming bob's kid: not in alice's JWK Set (assertion_key_not_found)", async () => {
      refused(await send(assertionParameters(await assertion('alice', bob))), 'assertion_key_not_found');
    });
    it("naming alice's kid (assertion_signature_invalid)", async () => {
      refused(await send(assertionParameters(await assertion('alice', bob, {}, 'es256-key'))), 'assertion_signature_invalid');
    });
    it('naming no kid: every key of alice is tried, none verifies (assertion_signature_invalid)', async () => {
      refused(await send(assertionParameters(await assertion('alice', bob, {}, null))), 'assertion_signature_invalid');
    });
  });

  describe('a registry that answers wrongly fails closed: 500 server_error, nothing internal in the answer', () => {
    it.each([
      ['returns another client than the one asked for', 'returns-other'],
      ['returns invalid metadata', 'returns-invalid'],
      ['throws (its message holds a connection string)', 'throws'],
    ])('a registry that %s (internal_error)', async (_name, clientId) => {
      const value = await assertion(clientId);
      const response = await send(assertionParameters(value));
      refused(response, 'internal_error', { status: 500, error: 'server_error', secrets: [value] });
      // The registry's own message may reach the operator event (its detail), never the caller.
      expect(response.text).not.toContain('hunter2');
      expect(JSON.stringify(response.headers)).not.toContain('hunter2');
      expect(response.json.error_description).toBe('an internal error occurred');
      expect(response.headers['retry-after']).toBeUndefined();
    });
  });
});
