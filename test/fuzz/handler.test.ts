/**
 * Bounded handler fuzzing. Thousands of random and mutated requests, from a seeded PRNG (so any
 * failure replays exactly: the seed and the request index are in the message), go straight into
 * `endpoint.token / introspection / revocation`, then a few hundred over real HTTPS through the
 * fastify and node adapters. The requests start from valid ones of every authentication method —
 * client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth (socket and trusted
 * proxy), self_signed_tls_client_auth — and are damaged: bit flips in assertions, truncated
 * bodies, random headers and methods, bodies as bytes / strings / objects, garbage DER as the
 * peer certificate, proxy headers from trusted and untrusted peers.
 *
 * Asserted for every answer: the process does not crash; no 5xx except 503 from the endpoint whose
 * stores fail on purpose; the body is the documented shape; nothing internal (stack frames,
 * `Error:`, Node internals) and no secret, assertion or private-key material in the body, the
 * headers or the operator event; only the documented response headers. Afterwards a valid
 * request of every method still succeeds. The whole run is capped at about 30 s.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { TokenEndpointEvent } from '../../src/core/events.js';
import type { EndpointRequest } from '../../src/core/request.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import { StoreUnavailableError } from '../../src/errors/errors.js';
import type { ReplayStore } from '../../src/replay/replay-store.js';
import type { RevocationStore } from '../../src/revocation/revocation-store.js';
import { assertionTypeUrn, signClientAssertion } from '../../src/testing/assertions.js';
import { type TestIdentity, toCertificateJwk } from '../../src/testing/pki.js';
import type { EndpointResponse } from '../../src/util/http.js';
import { CLIENT_SECRET, type ConformanceContext, ISSUER, basicAuthorization, createConformanceContext } from '../helpers/context.js';
import { formBody, httpsRequest } from '../helpers/http.js';
import { type RunningServer, startServer } from '../helpers/servers.js';
import { prng } from '../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0xf022);
const IN_PROCESS_REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5000);
const HTTPS_REQUESTS = Number(process.env.FUZZ_HTTPS_REQUESTS ?? 300);
const BUDGET_MS = 30_000;
const FORM = 'application/x-www-form-urlencoded';
const MTLS_DN = 'CN=fuzz-svc,O=Acme Corp';
const TRUSTED_PROXY = '10.9.8.7';


interface Material {
  readonly context: ConformanceContext;
  readonly mtlsLeaf: TestIdentity;
  readonly selfSigned: TestIdentity;
  readonly clients: ClientMetadata[];
  /** Everything that must never appear in an answer or an event. */
  readonly secrets: string[];
}

const EXPECTED_HEADERS = new Set(['content-type', 'cache-control', 'pragma', 'www-authenticate', 'allow', 'retry-after', 'content-length']);
const INTERNALS = /Error:|\bat \S+ \(|\.[cm]?[jt]s:\d+|node:internal|TypeError|RangeError|SyntaxError|DOMException/;
const RFC_ERRORS = new Set(['invalid_request', 'invalid_client', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'invalid_target', 'server_error', 'temporarily_unavailable']);

/** A replay store and a revocation store that fail in every way a real one can, some of the time. */
function failingStores(random: () => number): { replayStore: ReplayStore; revocationStore: RevocationStore } {
  const seen = new Set<string>();
  const misbehave = (): Promise<never> | undefined => {
    const roll = random();
    if (roll < 0.15) return Promise.reject(new StoreUnavailableError('replay_store_unavailable', 'deliberate outage'));
    if (roll < 0.25) return Promise.reject(new Error('ECONNRESET deliberate, password=hunter2-store-secret'));
    if (roll < 0.3) return Promise.reject('a string, not an Error');
    if (roll < 0.33) throw new TypeError('thrown synchronously, deliberately');
    return undefined;
  };
  return {
    replayStore: {
      consume: async (clientId, jti) => {
        const failure = misbehave();
        if (failure) return failure;
        if (random() < 0.05) return 'yes' as unknown as boolean; // not a boolean: must fail closed
        const key = `${clientId.length}:${clientId}:${jti}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      },
    },
    revocationStore: {
      revoke: async () => misbehave() ?? undefined,
      isRevoked: async () => misbehave() ?? random() < 0.5,
    },
  };
}

describe('fuzz: endpoint handlers under random and mutated requests', () => {
  let material: Material;
  let healthy: TokenEndpoint;
  let failing: TokenEndpoint;
  const events: { endpoint: 'healthy' | 'failing'; event: TokenEndpointEvent }[] = [];
  const servers: RunningServer[] = [];
  const started = Date.now();
  const statuses = new Map<string, number>();

  beforeAll(async () => {
    const context = await createConformanceContext();
    const [mtlsLeaf, selfSigned] = await Promise.all([
      context.pki.issueClientCertificate({ subject: MTLS_DN }),
      context.pki.createSelfSignedClientCertificate({ subject: 'CN=fuzz-self' }),
    ]);
    const jwks = { keys: [context.keys.es256.publicJwk, context.keys.rsa.publicJwk, context.keys.ed25519.publicJwk] };
    const clients: ClientMetadata[] = [
      { client_id: 'pkjwt', token_endpoint_auth_method: 'private_key_jwt', jwks, scope: 'read write' },
      { client_id: 'pkjwt-bound', token_endpoint_auth_method: 'private_key_jwt', jwks, scope: 'read', tls_client_certificate_bound_access_tokens: true },
      { client_id: 'secret-basic', token_endpoint_auth_method: 'client_secret_basic', client_secret: CLIENT_SECRET, scope: 'read write' },
      { client_id: 'secret-post', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, scope: 'read' },
      { client_id: 'mtls', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: MTLS_DN, scope: 'read', tls_client_certificate_bound_access_tokens: true },
      { client_id: 'self-signed', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [toCertificateJwk(selfSigned, { kid: 'self' })] }, scope: 'read' },
      { client_id: 'public', token_endpoint_auth_method: 'none' },
      { client_id: 'disabled', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, disabled: true },
    ];
    const privateKeyMaterial = [context.keys.es256, context.keys.rsa, context.keys.ed25519, { privateKey: mtlsLeaf.privateKey }, { privateKey: selfSigned.privateKey }].flatMap(({ privateKey }) => {
      const jwk = privateKey.export({ format: 'jwk' });
      return [String(jwk.d), String(privateKey.export({ type: 'pkcs8', format: 'pem' })).split('\n')[1] ?? ''];
    });
    material = { context, mtlsLeaf, selfSigned, clients, secrets: [CLIENT_SECRET, 'hunter2', ...privateKeyMaterial] };

    const common = {
      clients,
      mtls: { trustAnchors: context.pki.trustAnchorsPem, trustedProxies: [`${TRUSTED_PROXY}/32`], proxyCertificateSource: { format: 'envoy' as const } },
    };
    healthy = context.createEndpoint({ ...common, onEvent: (event) => events.push({ endpoint: 'healthy', event }) });
    failing = context.createEndpoint({
      ...common,
      ...failingStores(prng(SEED ^ 0xbad)),
      // Throttling on, with the default limits: 429 is one more legitimate answer.
      throttle: {},
      onEvent: (event) => events.push({ endpoint: 'failing', event }),
    });
    servers.push(await startServer('fastify', healthy, context.pki), await startServer('node', healthy, context.pki));
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  /** Checks one in-process answer; `secrets` are this request's own (its assertion). */
  function judge(where: string, response: EndpointResponse, failingStoresAllowed: boolean, secrets: readonly string[]): void {
    statuses.set(String(response.status), (statuses.get(String(response.status)) ?? 0) + 1);
    const allowed = response.status < 500 || (failingStoresAllowed && response.status === 503);
    expect(allowed, `${where}: status ${response.status} ${response.body}`).toBe(true);
    for (const name of Object.keys(response.headers)) expect(EXPECTED_HEADERS.has(name), `${where}: header ${name}`).toBe(true);
    const text = `${response.body}\n${JSON.stringify(response.headers)}`;
    expect(text, where).not.toMatch(INTERNALS);
    for (const secret of [...material.secrets, ...secrets]) if (secret.length >= 8) expect(text.includes(secret), `${where}: leaked a secret`).toBe(false);
    if (response.status === 200 && response.body === '') return; // RFC 7009 revocation
    const body = JSON.parse(response.body) as Record<string, unknown>;
    if (response.status === 200) {
      expect(typeof body.access_token === 'string' || typeof body.active === 'boolean', `${where}: ${response.body}`).toBe(true);
    } else {
      expect(Object.keys(body).sort(), where).toEqual(['error', 'error_description']);
      expect(RFC_ERRORS.has(String(body.error)), `${where}: ${String(body.error)}`).toBe(true);
    }
  }

  it(`${IN_PROCESS_REQUESTS} random and mutated requests in process (seed ${SEED}), then every method still works`, async () => {
    const { context, mtlsLeaf, selfSigned } = material;
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const chance = (p: number): boolean => random() < p;
    const int = (max: number): number => Math.floor(random() * max);
    const now = Math.floor(context.clock.now / 1000);

    // Genuine assertions, some with one claim or header set wrong, signed ahead (signing is the slow part).
    const keys = [context.keys.es256, context.keys.rsa, context.keys.ed25519, context.keys.rsa1024];
    const variants: Parameters<typeof signClientAssertion>[0]['claims'][] = [{}, {}, {}, { aud: `${ISSUER}/token` }, { aud: [ISSUER, 'x'] }, { exp: now - 100 }, { iat: now + 100 }, { jti: '' }, { sub: 'other' }, { exp: now + 1000 }];
    const assertions: string[] = [];
    for (let index = 0; index < 400; index++) {
      const key = pick(keys);
      const clientId = pick(['pkjwt', 'pkjwt', 'pkjwt-bound', 'secret-post', 'mtls', 'public', 'ghost']);
      assertions.push(
        await signClientAssertion({
          clientId,
          audience: ISSUER,
          privateKey: key.privateKey,
          kid: chance(0.9) ? key.kid : pick(['../x', 'ghost', '']),
          alg: key === context.keys.rsa || key === context.keys.rsa1024 ? pick(['PS256', 'RS256']) : undefined,
          now,
          claims: pick(variants),
          ...(chance(0.05) ? { header: { typ: pick(['at+jwt', 'JWT', 'dpop+jwt']) } } : {}),
        }),
      );
    }
    const issued: string[] = [];

    const HOSTILE = ['%', '%%', '%zz', '%FF', '%C3', '&', '=', '+', '\u0000', '\uFFFF', '\uD800', '€', ' ', '"', '\\', '.', '\r\n', ';', ','];
    const randomChar = (): string => (chance(0.5) ? pick(HOSTILE) : String.fromCharCode(int(0x300)));
    const randomString = (max: number): string => Array.from({ length: int(max) }, randomChar).join('');
    /** For parameters that are form-encoded (encodeURIComponent refuses lone surrogates; raw bodies still get them). */
    const randomParameter = (max: number): string => randomString(max).replace(/[\ud800-\udfff]/g, '\ufffd');
    const mutateText = (text: string): string => {
      if (text.length === 0) return randomChar();
      const at = int(text.length);
      switch (int(7)) {
        case 0:
          return text.slice(0, at) + randomChar() + text.slice(at + 1);
        case 1:
          return text.slice(0, at) + text.slice(at + 1 + int(40));
        case 2:
          return text + text.slice(at, at + int(60));
        case 3:
          return text.slice(0, at);
        case 4:
          return `${text}&${pick(['grant_type=client_credentials', 'client_id=secret-post', 'scope=read', 'resource=https://api.example.test', 'client_id=pkjwt', 'token=x', '=', '&', 'client_assertion_type=x'])}`;
        case 5:
          return text.split('&').reverse().join('&');
        default:
          return text.slice(0, at) + randomChar().repeat(1 + int(5)) + text.slice(at);
      }
    };
    /** One flipped bit in one base64url character of the assertion. */
    const flipBit = (assertion: string): string => {
      const at = int(assertion.length);
      return assertion.slice(0, at) + String.fromCharCode(assertion.charCodeAt(at) ^ (1 << int(7))) + assertion.slice(at + 1);
    };
    const mutateDer = (der: Buffer): Buffer => {
      const copy = Buffer.from(der);
      const roll = random();
      if (roll < 0.5) {
        const at = int(copy.length);
        copy[at] = (copy[at] ?? 0) ^ (1 << int(8));
      }
      else if (roll < 0.7) return copy.subarray(0, int(copy.length));
      else if (roll < 0.85) return Buffer.concat([copy, Buffer.from([int(256)])]);
      else copy[int(copy.length)] = int(256);
      return copy;
    };
    const xfcc = (identity: TestIdentity, damage: boolean): string => {
      const der = Buffer.from(new X509Certificate(identity.certificatePem).raw);
      const value = `By=spiffe://proxy;Hash=${createHash('sha256').update(der).digest('hex')};Cert="${encodeURIComponent(identity.certificatePem)}";Chain="${encodeURIComponent(identity.chainPem)}";Subject="${MTLS_DN}"`;
      return damage ? mutateText(value) : value;
    };

    /** A request built from a valid one of `method`, then damaged a random number of times (maybe zero). */
    const build = (): { request: EndpointRequest; secrets: string[]; target: 'token' | 'introspection' | 'revocation' } => {
      const target = pick(['token', 'token', 'token', 'introspection', 'revocation'] as const);
      const headers: Record<string, string | string[] | undefined> = { 'content-type': FORM };
      const parameters: Record<string, string> = target === 'token' ? { grant_type: 'client_credentials' } : { token: issued.length > 0 && chance(0.7) ? pick(issued) : randomParameter(30) };
      const secrets: string[] = [];
      let tlsClientCertificate: EndpointRequest['tlsClientCertificate'];
      let peerAddress: string | undefined = pick(['127.0.0.1', '::ffff:127.0.0.1', TRUSTED_PROXY, undefined, '203.0.113.9']);

      switch (pick(['basic', 'post', 'jwt', 'jwt', 'mtls', 'proxy', 'self', 'none', 'random'] as const)) {
        case 'basic':
          headers.authorization = basicAuthorization(pick(['secret-basic', 'secret-post', 'ghost', 'colon:x']), chance(0.7) ? CLIENT_SECRET : randomParameter(10));
          break;
        case 'post':
          Object.assign(parameters, { client_id: pick(['secret-post', 'disabled', 'secret-basic', 'public', 'ghost']), client_secret: chance(0.7) ? CLIENT_SECRET : randomParameter(10) });
          break;
        case 'jwt': {
          let assertion = pick(assertions);
          secrets.push(assertion);
          if (chance(0.3)) assertion = flipBit(assertion);
          Object.assign(parameters, { client_assertion_type: assertionTypeUrn, client_assertion: assertion });
          if (chance(0.3)) tlsClientCertificate = { certificate: mtlsLeaf.der };
          break;
        }
        case 'mtls':
          parameters.client_id = pick(['mtls', 'mtls', 'pkjwt', 'self-signed']);
          tlsClientCertificate = {
            certificate: chance(0.6) ? (chance(0.5) ? mtlsLeaf.der : mtlsLeaf.certificate) : chance(0.5) ? mutateDer(mtlsLeaf.der) : Buffer.from(randomParameter(40), 'latin1'),
            intermediates: chance(0.7) ? [context.pki.issuingCa.der] : chance(0.5) ? [mutateDer(context.pki.issuingCa.der), Buffer.alloc(int(5))] : [],
          };
          break;
        case 'proxy':
          parameters.client_id = 'mtls';
          headers['x-forwarded-client-cert'] = chance(0.2) ? [xfcc(mtlsLeaf, false), xfcc(selfSigned, false)] : xfcc(chance(0.5) ? mtlsLeaf : selfSigned, chance(0.5));
          if (chance(0.2)) headers['client-cert'] = `:${mtlsLeaf.der.toString('base64')}:`;
          peerAddress = chance(0.6) ? TRUSTED_PROXY : '127.0.0.1';
          break;
        case 'self':
          parameters.client_id = 'self-signed';
          tlsClientCertificate = { certificate: chance(0.7) ? selfSigned.der : mutateDer(selfSigned.der) };
          break;
        case 'none':
          parameters.client_id = 'public';
          break;
        case 'random':
          for (let count = int(5); count > 0; count--) parameters[randomParameter(8)] = randomParameter(20);
          break;
      }
      if (chance(0.1)) parameters.scope = pick(['read', 'write', 'admin', 'read write', randomParameter(10)]);
      if (chance(0.05)) parameters.resource = pick(['https://api.example.test', 'https://reports.example.test/v1', randomParameter(20)]);

      let text = formBody(parameters);
      for (let count = chance(0.5) ? int(4) : 0; count > 0; count--) text = mutateText(text);
      let body: EndpointRequest['body'] = text;
      const shape = random();
      if (shape < 0.1) body = Buffer.concat([Buffer.from(text), chance(0.5) ? Buffer.from([0xff, 0xc3]) : Buffer.alloc(0)]);
      else if (shape < 0.18) body = Object.fromEntries(text.split('&').map((pair) => pair.split('='))) as Record<string, string>;
      else if (shape < 0.2) body = pick<unknown>([null, 42, [text], { a: { b: [1] } }, new Uint16Array([0xd800]), Buffer.alloc(20_000, 0x61), text.repeat(50)]) as EndpointRequest['body'];
      else if (shape < 0.23) body = undefined;
      if (chance(0.08)) headers['content-type'] = pick([`${FORM}; charset=latin1`, 'text/plain', `${FORM};charset="UTF-8"`, [FORM, 'x'], mutateText(FORM), '', undefined]);
      if (chance(0.05)) headers.authorization = pick(['', 'Basic', 'Bearer x', `Basic ${randomParameter(12)}`, [basicAuthorization('a', 'b'), 'x']]);
      if (chance(0.05)) headers[pick(['x-ssl-client-cert', 'client-cert', 'x-amzn-mtls-clientcert', `x-${randomParameter(5)}`])] = randomParameter(40);
      const method = chance(0.04) ? pick(['GET', 'post', 'PUT', '', 'POST ', 'DELETE']) : 'POST';
      return { request: { method, headers, body, tlsClientCertificate, peerAddress }, secrets, target };
    };

    let sent = 0;
    for (; sent < IN_PROCESS_REQUESTS && Date.now() - started < BUDGET_MS * 0.6; sent++) {
      const { request, secrets, target } = build();
      const useFailing = sent % 5 === 4;
      const endpoint = useFailing ? failing : healthy;
      const before = events.length;
      const response = await endpoint[target](request);
      judge(`request #${sent} (seed ${SEED}, ${target}${useFailing ? ', failing stores' : ''})`, response, useFailing, secrets);
      if (response.status === 200 && target === 'token') issued.push(String((JSON.parse(response.body) as { access_token: string }).access_token));
      // Events quote caller text in detail, requestedScope and clientId (bounded, and scrubbed of
      // folded credentials — see test/attacks/secrets-in-events.test.ts); a mutation can glue a
      // secret into such text under a mangled name. Every other member must never hold one.
      const recorded = JSON.stringify(events.slice(before).map(({ event }) => ({ ...event, detail: undefined, requestedScope: undefined, clientId: undefined })));
      for (const secret of [CLIENT_SECRET, ...secrets]) expect(recorded.includes(secret), `request #${sent}: secret in an event: ${recorded}`).toBe(false);
    }
    expect(sent, 'the time budget cut the run short').toBeGreaterThanOrEqual(Math.min(IN_PROCESS_REQUESTS, 2000));

    // The healthy endpoint never hit an internal error; the failing one only failed closed.
    expect(events.filter(({ endpoint, event }) => endpoint === 'healthy' && event.reason === 'internal_error').map(({ event }) => event)).toEqual([]);
    expect(events.filter(({ endpoint, event }) => endpoint === 'failing' && event.reason === 'internal_error').map(({ event }) => event)).toEqual([]);
    // Every layer was reached: refusals of each kind, issuance, introspection, store failures.
    for (const status of ['200', '400', '401', '405', '413', '503']) expect(statuses.get(status) ?? 0, `status ${status} never seen: ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);

    // Still healthy: one valid request of every method.
    const fresh = await signClientAssertion({ clientId: 'pkjwt', audience: ISSUER, privateKey: context.keys.es256.privateKey, kid: context.keys.es256.kid, now });
    const valid: EndpointRequest[] = [
      { method: 'POST', headers: { 'content-type': FORM }, body: formBody({ grant_type: 'client_credentials', client_assertion_type: assertionTypeUrn, client_assertion: fresh }) },
      { method: 'POST', headers: { 'content-type': FORM }, body: formBody({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET }) },
      { method: 'POST', headers: { 'content-type': FORM, authorization: basicAuthorization('secret-basic', CLIENT_SECRET) }, body: 'grant_type=client_credentials' },
      { method: 'POST', headers: { 'content-type': FORM }, body: 'grant_type=client_credentials&client_id=mtls', tlsClientCertificate: { certificate: mtlsLeaf.der, intermediates: [context.pki.issuingCa.der] } },
      { method: 'POST', headers: { 'content-type': FORM, 'x-forwarded-client-cert': xfcc(mtlsLeaf, false) }, body: 'grant_type=client_credentials&client_id=mtls', peerAddress: TRUSTED_PROXY },
      { method: 'POST', headers: { 'content-type': FORM }, body: 'grant_type=client_credentials&client_id=self-signed', tlsClientCertificate: { certificate: selfSigned.der } },
    ];
    for (const [index, request] of valid.entries()) {
      const response = await healthy.token(request);
      expect(response.status, `valid request ${index}: ${response.body}`).toBe(200);
    }
  });

  it(`${HTTPS_REQUESTS} random requests over real HTTPS through the fastify and node adapters: never a 5xx, nothing internal`, async () => {
    const { context, mtlsLeaf } = material;
    const random = prng(SEED ^ 0x7715);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const chance = (p: number): boolean => random() < p;
    const int = (max: number): number => Math.floor(random() * max);
    // Header values a client library will send: printable Latin-1, no CR/LF.
    const headerText = (max: number): string => Array.from({ length: int(max) }, () => String.fromCharCode(pick([0x20 + int(0x5f), 0xa0 + int(0x60)]))).join('');
    const bodyText = (max: number): string => Array.from({ length: int(max) }, () => pick(['%', '&', '=', '+', 'a', 'é', '\u0000', '%C3', 'grant_type', 'client_id', 'client_credentials', 'secret-post', CLIENT_SECRET.slice(0, 6)])).join('');

    const one = async (index: number): Promise<void> => {
      const server = servers[index % servers.length] as RunningServer;
      const path = pick([healthy.paths.token, healthy.paths.token, healthy.paths.introspection, healthy.paths.revocation]);
      const headers: Record<string, string> = {};
      if (chance(0.8)) headers['content-type'] = pick([FORM, `${FORM}; charset=utf-8`, 'text/plain', 'application/json', headerText(30)]);
      if (chance(0.3)) headers.authorization = pick([basicAuthorization('secret-basic', chance(0.5) ? CLIENT_SECRET : 'wrong'), `Basic ${headerText(20)}`, `Bearer ${headerText(20)}`]);
      if (chance(0.2)) headers[pick(['x-forwarded-client-cert', 'client-cert', 'x-ssl-client-cert', 'x-forwarded-for', 'x-random'])] = headerText(60);
      const body = pick([
        () => formBody({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET, ...(chance(0.5) ? { token: 'x' } : {}) }),
        () => formBody({ grant_type: 'client_credentials', client_id: 'mtls' }),
        () => bodyText(80),
        () => Buffer.from(Array.from({ length: int(300) }, () => int(256))),
        () => JSON.stringify({ grant_type: 'client_credentials' }),
        () => '',
      ])();
      const method = chance(0.9) ? 'POST' : pick(['GET', 'PUT', 'DELETE', 'PATCH']);
      const response = await httpsRequest(`${server.origin}${path}`, {
        method,
        headers,
        ...(method === 'GET' ? {} : { body }),
        ca: context.pki.trustAnchorsPem,
        clientCertificate: chance(0.3) ? { chainPem: mtlsLeaf.chainPem, privateKeyPem: mtlsLeaf.privateKeyPem } : undefined,
      });
      const where = `HTTPS request #${index} (seed ${SEED}) ${method} ${path}`;
      expect(response.status, `${where}: ${response.text}`).toBeLessThan(500);
      expect(response.text, where).not.toMatch(INTERNALS);
      for (const secret of material.secrets) if (secret.length >= 8) expect(response.text.includes(secret), `${where}: leaked a secret`).toBe(false);
    };

    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < HTTPS_REQUESTS && Date.now() - started < BUDGET_MS) await one(next++);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(next, 'the time budget cut the run short').toBeGreaterThanOrEqual(Math.min(HTTPS_REQUESTS, 100));

    const valid = await httpsRequest(`${(servers[0] as RunningServer).origin}${healthy.paths.token}`, {
      headers: { 'content-type': FORM },
      body: formBody({ grant_type: 'client_credentials', client_id: 'mtls' }),
      ca: context.pki.trustAnchorsPem,
      clientCertificate: { chainPem: mtlsLeaf.chainPem, privateKeyPem: mtlsLeaf.privateKeyPem },
    });
    expect(valid.status, valid.text).toBe(200);
  });
});
