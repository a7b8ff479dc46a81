import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { TokenEndpointEvent } from '../../src/core/events.js';
import type { TokenEndpointOptions } from '../../src/core/options.js';
import { type TokenEndpoint, createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { assertionTypeUrn, signClientAssertion, type SignClientAssertionOptions } from '../../src/testing/assertions.js';
import { type TestKeyPair, type TestPki, createTestPki, generateKeyPair, toJwk } from '../../src/testing/pki.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest } from './http.js';
import { type AdapterName, type RunningServer, startServer } from './servers.js';

export const ISSUER = 'https://as.example.test';
export const API_AUDIENCE = 'https://api.example.test';
export const OTHER_RESOURCE = 'https://reports.example.test/v1';
export const CLIENT_SECRET = 'correct horse:battery%staple+plus';

/** A client key with the kid it is registered under. */
export interface ClientKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
}

export interface ClientKeys {
  readonly es256: ClientKey;
  readonly es384: ClientKey;
  readonly rsa: ClientKey;
  readonly ed25519: ClientKey;
  readonly rsa1024: ClientKey;
}

function registered(kid: string, pair: TestKeyPair): ClientKey {
  return { kid, privateKey: pair.privateKey, publicJwk: { ...toJwk(pair.publicKey), kid } };
}

export async function createClientKeys(): Promise<ClientKeys> {
  const [es256, es384, rsa, ed25519, rsa1024] = await Promise.all([
    generateKeyPair('ec-p256'),
    generateKeyPair('ec-p384'),
    generateKeyPair('rsa'),
    generateKeyPair('ed25519'),
    generateKeyPair('rsa', { rsaBits: 1024 }),
  ]);
  return {
    es256: registered('es256-key', es256),
    es384: registered('es384-key', es384),
    rsa: registered('rsa-key', rsa),
    ed25519: registered('ed25519-key', ed25519),
    rsa1024: registered('rsa1024-key', rsa1024),
  };
}

/** One client per situation the conformance suites need. */
export function conformanceClients(keys: ClientKeys): ClientMetadata[] {
  const jwks = { keys: [keys.es256.publicJwk, keys.es384.publicJwk, keys.rsa.publicJwk, keys.ed25519.publicJwk, keys.rsa1024.publicJwk] };
  return [
    { client_id: 'pkjwt', token_endpoint_auth_method: 'private_key_jwt', jwks, scope: 'read write', allowed_resources: [OTHER_RESOURCE] },
    { client_id: 'pkjwt-es256-only', token_endpoint_auth_method: 'private_key_jwt', jwks, token_endpoint_auth_signing_alg: 'ES256', scope: 'read' },
    { client_id: 'pkjwt-fapi2-aud', token_endpoint_auth_method: 'private_key_jwt', jwks, client_assertion_audience_policy: 'fapi2', scope: 'read' },
    { client_id: 'pkjwt-legacy-aud', token_endpoint_auth_method: 'private_key_jwt', jwks, client_assertion_audience_policy: 'legacy', scope: 'read' },
    { client_id: 'secret-basic', token_endpoint_auth_method: 'client_secret_basic', client_secret: CLIENT_SECRET, scope: 'read write' },
    { client_id: 'secret-post', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, scope: 'read' },
    { client_id: 'public', token_endpoint_auth_method: 'none' },
    { client_id: 'no-cc-grant', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, grant_types: ['authorization_code'] },
  ];
}

/** A clock the tests can move: epoch milliseconds. */
export interface TestClock {
  now: number;
}

export interface ConformanceContext {
  readonly pki: TestPki;
  readonly keys: ClientKeys;
  readonly endpoint: TokenEndpoint;
  readonly events: TokenEndpointEvent[];
  readonly clock: TestClock;
  readonly tokenEndpointUrl: string;
  /** Create another endpoint sharing PKI and keys, with some options changed. */
  createEndpoint(overrides?: Partial<TokenEndpointOptions>): TokenEndpoint;
}

let shared: Promise<{ pki: TestPki; keys: ClientKeys }> | undefined;

/** PKI and keys are generated once per test file (RSA key generation is the slow part). */
function sharedMaterial(): Promise<{ pki: TestPki; keys: ClientKeys }> {
  shared ??= Promise.all([createTestPki(), createClientKeys()]).then(([pki, keys]) => ({ pki, keys }));
  return shared;
}

const signingKey = generateSigningKey('ES256');

export async function createConformanceContext(overrides: Partial<TokenEndpointOptions> = {}): Promise<ConformanceContext> {
  const { pki, keys } = await sharedMaterial();
  const events: TokenEndpointEvent[] = [];
  const clock: TestClock = { now: Date.now() };
  const createEndpoint = (more: Partial<TokenEndpointOptions> = {}): TokenEndpoint =>
    createTokenEndpoint({
      issuer: ISSUER,
      clients: conformanceClients(keys),
      signingKeys: [{ privateKey: signingKey }],
      defaultAudience: API_AUDIENCE,
      onEvent: (event) => events.push(event),
      now: () => clock.now,
      // These suites fail authentication on purpose, many times per client; brute-force
      // throttling has its own suite (test/conformance/throttling.test.ts).
      throttle: false,
      ...overrides,
      ...more,
    });
  return { pki, keys, endpoint: createEndpoint(), events, clock, tokenEndpointUrl: `${ISSUER}/token`, createEndpoint };
}

/** A running server for one adapter plus helpers that speak to it. */
export interface AdapterUnderTest {
  readonly server: RunningServer;
  post(parameters: Record<string, string | readonly string[] | undefined>, headers?: Record<string, string>): Promise<HttpResult>;
  request(options: { method?: string; path?: string; body?: string | Buffer; headers?: Record<string, string> }): Promise<HttpResult>;
  /** The last operator event, for asserting the precise reason code. */
  lastEvent(): TokenEndpointEvent;
}

export async function mount(adapter: AdapterName, context: ConformanceContext, endpoint = context.endpoint): Promise<AdapterUnderTest> {
  const server = await startServer(adapter, endpoint, context.pki);
  const request: AdapterUnderTest['request'] = (options) =>
    httpsRequest(`${server.origin}${options.path ?? endpoint.paths.token}`, {
      method: options.method ?? 'POST',
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
      ca: context.pki.trustAnchorsPem,
    });
  return {
    server,
    request,
    post: (parameters, headers = {}) => request({ body: formBody(parameters), headers: { ...FORM_CONTENT_TYPE, ...headers } }),
    lastEvent: () => {
      const event = context.events.at(-1);
      if (!event) throw new Error('no event was emitted');
      return event;
    },
  };
}

/** A correct assertion for `clientId` by default, with any override for negative tests. */
export function assertionFor(
  context: ConformanceContext,
  clientId: string,
  key: ClientKey = context.keys.es256,
  overrides: Partial<SignClientAssertionOptions> = {},
): Promise<string> {
  return signClientAssertion({
    clientId,
    audience: ISSUER,
    privateKey: key.privateKey,
    kid: key.kid,
    now: Math.floor(context.clock.now / 1000),
    ...overrides,
  });
}

export function assertionParameters(assertion: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'client_credentials', client_assertion_type: assertionTypeUrn, client_assertion: assertion, ...extra };
}

export function basicAuthorization(clientId: string, secret: string): string {
  // RFC 6749 §2.3.1: form-urlencode each part, then base64 the pair.
  const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}
