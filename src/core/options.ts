import {
  type AssertionAlgorithm,
  DEFAULT_ASSERTION_ALGORITHMS,
  FAPI2_ASSERTION_ALGORITHMS,
  isSupportedAlgorithm,
} from '../assertions/algorithms.js';
import type { ClientKeySource } from '../assertions/key-source.js';
import { createRemoteKeySource } from '../assertions/remote-key-source.js';
import type { AudiencePolicy } from '../assertions/verify-assertion.js';
import { type CertificateVerifier, createCertificateVerifier } from '../certificates/chain.js';
import { type ProxyCertificateSource, validateProxySource } from '../certificates/proxy-headers.js';
import { createAddressMatcher } from '../certificates/trusted-proxies.js';
import type { CertificateAuthenticator } from '../client-auth/authenticate.js';
import { DEFAULT_DECOY_VERIFIERS, decoyVerifiersFor } from '../client-auth/client-secret.js';
import { createMtlsAuthenticator } from '../client-auth/mtls.js';
import type { SecretVerifier } from '../clients/secrets.js';
import { type ClientMetadata, type TokenEndpointAuthMethod, TOKEN_ENDPOINT_AUTH_METHODS, isAbsoluteUriWithoutFragment, resolveClient } from '../clients/metadata.js';
import { type ClientRegistry, createStaticClientRegistry, isClientRegistry } from '../clients/registry.js';
import { ConfigurationError, invalidOption } from '../errors/errors.js';
import type { CertificateSourceConfig } from './client-certificate.js';
import {
  FAPI2_AUTH_METHODS,
  FAPI2_CLOCK_TOLERANCE_SECONDS,
  type SecurityProfile,
  checkFapi2Clients,
  checkFapi2Options,
  checkFapi2SigningKeys,
  validateProfile,
} from './profile.js';
import { createMemoryReplayStore } from '../replay/memory-store.js';
import type { ReplayStore } from '../replay/replay-store.js';
import { type RevocationStore, createMemoryRevocationStore, failingClosed } from '../revocation/revocation-store.js';
import { type SigningKeyRing, createSigningKeyRing } from '../tokens/signing-key-ring.js';
import { type SigningKeyInput, resolveSigningKeys } from '../tokens/signing-keys.js';
import { isPlainObject } from '../util/encoding.js';
import { type AuthenticationThrottle, type ThrottleOptions, createAuthenticationThrottle, validateThrottleOptions } from '../throttle/throttle.js';
import { type EventListener, emit } from './events.js';

export interface ClientAssertionOptions {
  /** Accepted `alg` values. Default: ES256, ES384, PS256, PS384, EdDSA, RS256. Never `none` or `HS*`. */
  readonly algorithms?: readonly AssertionAlgorithm[];
  /** `aud` policy (draft-ietf-oauth-rfc7523bis §4). Default `rfc7523bis`; per-client override in metadata. */
  readonly audiencePolicy?: AudiencePolicy;
  /** Seconds of clock skew tolerated on `exp`, `iat`, `nbf`. Default 15, at most 60. */
  readonly clockTolerance?: number;
  /** Longest accepted assertion lifetime in seconds (`exp − iat`, or `exp − now`). Default 300. */
  readonly maxLifetime?: number;
  /** Longest accepted assertion in characters. Default 8192. */
  readonly maxLength?: number;
}

/** RFC 8705 mutual TLS: trust anchors, proxies, and the mTLS endpoint aliases. */
export interface MtlsOptions {
  /**
   * CA certificates trusted for `tls_client_auth` (RFC 8705 §2.1): a PEM bundle, or a list of
   * PEM strings / DER bytes. Without them, `tls_client_auth` is not enabled.
   */
  readonly trustAnchors?: string | readonly (string | Uint8Array)[];
  /**
   * Peer addresses or CIDR blocks of TLS-terminating proxies allowed to forward the client
   * certificate in a header. Default: none — a forwarded-certificate header is never trusted.
   */
  readonly trustedProxies?: readonly string[];
  /** How the trusted proxies forward the certificate: nginx, envoy, rfc9440 or aws-alb. Required with `trustedProxies`. */
  readonly proxyCertificateSource?: ProxyCertificateSource;
  /** RFC 8705 §5 `mtls_endpoint_aliases` to advertise, e.g. `{ token_endpoint: 'https://mtls.auth.example.com/token' }`. */
  readonly endpointAliases?: Readonly<Record<string, string>>;
}

export interface TokenEndpointOptions {
  /**
   * `fapi2`: apply the FAPI 2.0 Security Profile (§5.3.2.1, §5.4): private_key_jwt and mTLS only;
   * PS256, ES256, EdDSA only; `aud` the issuer as a string; iat/nbf up to 10 s in the future;
   * every token certificate-bound; RSA ≥ 2048 and EC ≥ 224 bits. Registered clients and options
   * that break it fail at construction, naming the client and the rule.
   */
  readonly profile?: SecurityProfile;
  /** The issuer identifier (RFC 8414 §2): an https URL without query or fragment. */
  readonly issuer: string;
  /** A client registry, or a list of client metadata to build a static one from. */
  readonly clients: ClientRegistry | readonly ClientMetadata[];
  /** The server's token-signing keys; see `generateSigningKey()`. */
  readonly signingKeys: readonly SigningKeyInput[];
  /** Access-token lifetime in seconds. Default 300 (RFC 9068 tokens should be short-lived). */
  readonly accessTokenTtl?: number;
  /** `aud` of tokens requested without `resource` (RFC 8707). Without it, `resource` is required. */
  readonly defaultAudience?: string;
  /** Scope granted when none is requested (RFC 6749 §3.3): the client's registered scope (default) or none. */
  readonly defaultScope?: 'registered' | 'none';
  /** Paths below the issuer's path. Defaults: `/token`, `/jwks`, `/introspect`, `/revoke`. */
  readonly paths?: { readonly token?: string; readonly jwks?: string; readonly introspection?: string; readonly revocation?: string };
  /** Client authentication methods accepted. Default: all but `none`. */
  readonly authMethods?: readonly TokenEndpointAuthMethod[];
  readonly clientAssertion?: ClientAssertionOptions;
  /**
   * Where clients' public keys come from. Default: `createRemoteKeySource()` — inline `jwks` as
   * registered, `jwks_uri` fetched over https with a bounded cache, a timeout and a size cap.
   */
  readonly clientKeys?: ClientKeySource;
  /** Mutual TLS (RFC 8705). */
  readonly mtls?: MtlsOptions;
  /** Where assertion `jti`s are remembered. Default: an in-memory store (one process only). */
  readonly replayStore?: ReplayStore;
  /** Where revoked tokens are remembered (RFC 7009). Default: an in-memory store (one process only). */
  readonly revocationStore?: RevocationStore;
  /**
   * Brute-force throttling of failed client authentications (RFC 6749 §2.3.1), per client and
   * per peer address: 429 with Retry-After over the limit. Default on, in memory; `false` turns
   * it off; a Redis store (`createRedisThrottleStore`) shares it across a cluster.
   */
  readonly throttle?: ThrottleOptions | false;
  /** Largest accepted request body in bytes. Default 16 KiB. */
  readonly maxBodyBytes?: number;
  /** Receives one event per decision. Must not throw; its errors are swallowed. */
  readonly onEvent?: EventListener;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

export interface EndpointPaths {
  readonly token: string;
  readonly jwks: string;
  readonly introspection: string;
  readonly revocation: string;
  readonly metadata: string;
}

/** Options after validation: complete, frozen, and sliced by the parts that read them. */
export interface ResolvedOptions {
  readonly issuer: string;
  readonly paths: EndpointPaths;
  readonly tokenEndpointUrl: string;
  readonly jwksUri: string;
  readonly introspectionEndpointUrl: string;
  readonly revocationEndpointUrl: string;
  readonly accessTokenTtl: number;
  readonly defaultAudience: string | undefined;
  readonly defaultScope: 'registered' | 'none';
  readonly registry: ClientRegistry;
  readonly enabledMethods: ReadonlySet<TokenEndpointAuthMethod>;
  readonly assertionAlgorithms: ReadonlySet<AssertionAlgorithm>;
  readonly audiencePolicy: AudiencePolicy;
  /** False under a profile that fixes the audience policy: per-client overrides are ignored. */
  readonly audiencePolicyOverridable: boolean;
  /** Every token must be certificate-bound, whatever the client's registration says (fapi2). */
  readonly requireCertificateBinding: boolean;
  readonly profile: SecurityProfile | undefined;
  readonly clockToleranceSeconds: number;
  readonly maxAssertionLifetimeSeconds: number;
  readonly maxAssertionLength: number;
  readonly keySource: ClientKeySource;
  readonly certificates: CertificateAuthenticator;
  readonly certificateSource: CertificateSourceConfig;
  readonly mtlsEndpointAliases: Readonly<Record<string, string>> | undefined;
  readonly replayStore: ReplayStore;
  readonly revocationStore: RevocationStore;
  readonly signingKeyRing: SigningKeyRing;
  readonly maxBodyBytes: number;
  readonly onEvent: EventListener | undefined;
  readonly now: () => number;
  readonly throttle: AuthenticationThrottle | undefined;
  readonly decoySecretVerifiers: readonly SecretVerifier[];
}

const KNOWN_OPTIONS = new Set([
  'profile',
  'issuer',
  'clients',
  'signingKeys',
  'accessTokenTtl',
  'defaultAudience',
  'defaultScope',
  'paths',
  'authMethods',
  'clientAssertion',
  'clientKeys',
  'mtls',
  'replayStore',
  'revocationStore',
  'maxBodyBytes',
  'throttle',
  'onEvent',
  'now',
]);

const NO_PROXY = (): boolean => false;

interface ResolvedMtls {
  readonly verifier: CertificateVerifier | undefined;
  readonly certificateSource: CertificateSourceConfig;
  readonly endpointAliases: Readonly<Record<string, string>> | undefined;
}

function resolveMtls(value: unknown): ResolvedMtls {
  if (value === undefined) return { verifier: undefined, certificateSource: { isTrustedProxy: NO_PROXY, proxySource: undefined }, endpointAliases: undefined };
  if (!isPlainObject(value)) throw invalidOption('options.mtls', 'must be an object { trustAnchors?, trustedProxies?, proxyCertificateSource?, endpointAliases? }');
  checkKnownKeys(value, new Set(['trustAnchors', 'trustedProxies', 'proxyCertificateSource', 'endpointAliases']), 'options.mtls');

  let verifier: CertificateVerifier | undefined;
  if (value.trustAnchors !== undefined) {
    try {
      verifier = createCertificateVerifier({ trustAnchors: value.trustAnchors as string | readonly (string | Uint8Array)[] });
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      throw invalidOption('options.mtls.trustAnchors', `must be PEM or DER CA certificates (${(error as Error).message})`);
    }
  }

  const trustedProxies = value.trustedProxies ?? [];
  const isTrustedProxy = createAddressMatcher(trustedProxies as readonly string[], 'options.mtls.trustedProxies');
  let proxySource: ProxyCertificateSource | undefined;
  if (value.proxyCertificateSource !== undefined) {
    proxySource = validateProxySource(value.proxyCertificateSource, 'options.mtls.proxyCertificateSource');
  }
  if ((trustedProxies as readonly string[]).length > 0 && !proxySource) {
    throw invalidOption('options.mtls.proxyCertificateSource', 'is required with trustedProxies: say how the proxy forwards the certificate, e.g. { format: "nginx" }');
  }

  let endpointAliases: Record<string, string> | undefined;
  if (value.endpointAliases !== undefined) {
    if (!isPlainObject(value.endpointAliases)) throw invalidOption('options.mtls.endpointAliases', 'must be an object of endpoint names to https URLs');
    endpointAliases = {};
    for (const [name, url] of Object.entries(value.endpointAliases)) {
      if (typeof url !== 'string' || !/^https:\/\/[^#?]+$/.test(url)) {
        throw invalidOption(`options.mtls.endpointAliases.${name}`, 'must be an https URL without query or fragment (RFC 8705 §5)');
      }
      endpointAliases[name] = url;
    }
  }
  return {
    verifier,
    certificateSource: { isTrustedProxy: proxySource ? isTrustedProxy : NO_PROXY, proxySource },
    endpointAliases: endpointAliases ? Object.freeze(endpointAliases) : undefined,
  };
}

function integerOption(value: unknown, field: string, defaultValue: number, min: number, max: number, unit: string): number {
  if (value === undefined) return defaultValue;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(field, `must be an integer number of ${unit} from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

function checkKnownKeys(value: Record<string, unknown>, known: ReadonlySet<string>, field: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw invalidOption(`${field}.${key}`, `is not a known option; expected one of ${[...known].join(', ')}`);
  }
}

/** RFC 8414 §2: https, no query, no fragment. Trailing slashes are kept out so URLs compose cleanly. */
function validateIssuer(value: unknown): URL {
  const fix = 'use an https URL without query, fragment or trailing slash, e.g. "https://auth.example.com"';
  if (typeof value !== 'string') throw invalidOption('options.issuer', `is required; ${fix}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidOption('options.issuer', `is not a URL; ${fix}`);
  }
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    throw invalidOption('options.issuer', `must be https without query or fragment (RFC 8414 §2); ${fix}`);
  }
  if (value.endsWith('/')) throw invalidOption('options.issuer', `must not end with "/"; ${fix}`);
  if (url.username !== '' || url.password !== '') throw invalidOption('options.issuer', `must not contain credentials; ${fix}`);
  return url;
}

function validatePath(value: unknown, field: string, defaultValue: string): string {
  if (value === undefined) return defaultValue;
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(value) || value.endsWith('/')) {
    throw invalidOption(field, 'must be a path starting with "/" and not ending with "/", e.g. "/oauth2/token"');
  }
  return value;
}

/**
 * Validates every option once, at construction, and returns the frozen configuration. Each
 * problem throws a `ConfigurationError` naming the field and the fix.
 */
export function resolveOptions(options: TokenEndpointOptions): ResolvedOptions {
  if (!isPlainObject(options)) throw invalidOption('options', 'must be an object with at least issuer, clients and signingKeys');
  checkKnownKeys(options, KNOWN_OPTIONS, 'options');
  const issuerUrl = validateIssuer(options.issuer);
  const issuer = options.issuer;
  const issuerPath = issuerUrl.pathname === '/' ? '' : issuerUrl.pathname;

  const pathOptions: unknown = options.paths ?? {};
  if (!isPlainObject(pathOptions)) throw invalidOption('options.paths', 'must be an object');
  checkKnownKeys(pathOptions, new Set(['token', 'jwks', 'introspection', 'revocation']), 'options.paths');
  const tokenPath = validatePath(pathOptions.token, 'options.paths.token', '/token');
  const jwksPath = validatePath(pathOptions.jwks, 'options.paths.jwks', '/jwks');
  const introspectionPath = validatePath(pathOptions.introspection, 'options.paths.introspection', '/introspect');
  const revocationPath = validatePath(pathOptions.revocation, 'options.paths.revocation', '/revoke');
  const paths: EndpointPaths = {
    token: issuerPath + tokenPath,
    jwks: issuerPath + jwksPath,
    introspection: issuerPath + introspectionPath,
    revocation: issuerPath + revocationPath,
    // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
    metadata: `/.well-known/oauth-authorization-server${issuerPath}`,
  };
  if (new Set(Object.values(paths)).size !== 5) throw invalidOption('options.paths', 'the endpoint paths must differ from each other');

  const clients = options.clients;
  let registry: ClientRegistry;
  if (Array.isArray(clients)) registry = createStaticClientRegistry(clients, 'options.clients');
  else if (isClientRegistry(clients)) registry = clients;
  else throw invalidOption('options.clients', 'must be an array of client metadata or an object with findClient(clientId)');

  const profile = validateProfile(options.profile);
  const fapi2 = profile === 'fapi2';
  const assertionOptions: Record<string, unknown> = isPlainObject(options.clientAssertion) ? options.clientAssertion : {};
  if (fapi2) {
    checkFapi2Options({
      authMethods: options.authMethods,
      algorithms: assertionOptions.algorithms as readonly string[] | undefined,
      audiencePolicy: assertionOptions.audiencePolicy as string | undefined,
      clockTolerance: assertionOptions.clockTolerance as number | undefined,
    });
    if (Array.isArray(clients)) checkFapi2Clients(clients);
  }

  const mtls = resolveMtls(options.mtls);
  // tls_client_auth needs trust anchors; without them it is neither accepted nor advertised.
  const authMethods =
    options.authMethods ??
    TOKEN_ENDPOINT_AUTH_METHODS.filter(
      (method) => method !== 'none' && (method !== 'tls_client_auth' || mtls.verifier !== undefined) && (!fapi2 || FAPI2_AUTH_METHODS.includes(method)),
    );
  if (!Array.isArray(authMethods) || authMethods.length === 0) throw invalidOption('options.authMethods', 'must be a non-empty array');
  for (const method of authMethods) {
    if (!TOKEN_ENDPOINT_AUTH_METHODS.includes(method) || method === 'none') {
      throw invalidOption('options.authMethods', `${JSON.stringify(method)} is not supported; use ${TOKEN_ENDPOINT_AUTH_METHODS.filter((m) => m !== 'none').join(', ')}`);
    }
  }
  if (authMethods.includes('tls_client_auth') && !mtls.verifier) {
    throw invalidOption('options.mtls.trustAnchors', 'is required for tls_client_auth: give the PEM of the CAs that issue client certificates');
  }
  if (Array.isArray(clients) && !mtls.verifier) {
    const index = clients.findIndex((client) => client.token_endpoint_auth_method === 'tls_client_auth');
    if (index >= 0) {
      throw invalidOption('options.mtls.trustAnchors', `is required: options.clients[${index}] (client_id "${clients[index]?.client_id}") uses tls_client_auth; give the PEM of the CAs that issue client certificates`);
    }
  }

  const assertion: unknown = options.clientAssertion ?? {};
  if (!isPlainObject(assertion)) throw invalidOption('options.clientAssertion', 'must be an object');
  checkKnownKeys(assertion, new Set(['algorithms', 'audiencePolicy', 'clockTolerance', 'maxLifetime', 'maxLength']), 'options.clientAssertion');
  const algorithms = assertion.algorithms ?? (fapi2 ? FAPI2_ASSERTION_ALGORITHMS : DEFAULT_ASSERTION_ALGORITHMS);
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw invalidOption('options.clientAssertion.algorithms', 'must be a non-empty array');
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || !isSupportedAlgorithm(alg)) {
      throw invalidOption('options.clientAssertion.algorithms', `${JSON.stringify(alg)} is not allowed; asymmetric algorithms only (never none or HS*), e.g. ES256, PS256, EdDSA`);
    }
  }
  const audiencePolicy = assertion.audiencePolicy ?? (fapi2 ? 'fapi2' : 'rfc7523bis');
  if (!['rfc7523bis', 'fapi2', 'legacy'].includes(audiencePolicy as string)) {
    throw invalidOption('options.clientAssertion.audiencePolicy', 'must be "rfc7523bis" (default), "fapi2" or "legacy"');
  }

  const accessTokenTtl = integerOption(options.accessTokenTtl, 'options.accessTokenTtl', 300, 1, 86_400, 'seconds');
  const defaultAudience = options.defaultAudience;
  if (defaultAudience !== undefined && (typeof defaultAudience !== 'string' || !isAbsoluteUriWithoutFragment(defaultAudience))) {
    throw invalidOption('options.defaultAudience', 'must be an absolute URI without a fragment, e.g. "https://api.example.com"');
  }
  const defaultScope = options.defaultScope ?? 'registered';
  if (defaultScope !== 'registered' && defaultScope !== 'none') throw invalidOption('options.defaultScope', 'must be "registered" or "none"');

  // The default store must judge expiry on the endpoint's clock: expiresAt is computed from it.
  // Inline jwks as registered; jwks_uri fetched over https with a cache (createRemoteKeySource).
  const keySource = options.clientKeys ?? createRemoteKeySource();
  if (typeof keySource?.keysFor !== 'function') throw invalidOption('options.clientKeys', 'must implement keysFor(client, { refresh }), e.g. createRemoteKeySource()');

  const now = options.now ?? Date.now;
  const throttleOptions = validateThrottleOptions(options.throttle);
  const signingKeys = resolveSigningKeys(options.signingKeys, 'options.signingKeys');
  if (fapi2) checkFapi2SigningKeys(signingKeys);

  const replayStore = options.replayStore ?? createMemoryReplayStore(options.now === undefined ? {} : { now: options.now });
  if (typeof replayStore?.consume !== 'function') throw invalidOption('options.replayStore', 'must implement consume(clientId, jti, expiresAt)');
  const revocationStore = options.revocationStore ?? createMemoryRevocationStore(options.now === undefined ? {} : { now: options.now });
  if (typeof revocationStore?.revoke !== 'function' || typeof revocationStore.isRevoked !== 'function') {
    throw invalidOption('options.revocationStore', 'must implement revoke(jti, expiresAt) and isRevoked(jti)');
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw invalidOption('options.onEvent', 'must be a function');
  if (options.now !== undefined && typeof options.now !== 'function') throw invalidOption('options.now', 'must be a function returning epoch milliseconds');

  return Object.freeze({
    issuer,
    paths: Object.freeze(paths),
    tokenEndpointUrl: issuerUrl.origin + paths.token,
    jwksUri: issuerUrl.origin + paths.jwks,
    introspectionEndpointUrl: issuerUrl.origin + paths.introspection,
    revocationEndpointUrl: issuerUrl.origin + paths.revocation,
    accessTokenTtl,
    defaultAudience,
    defaultScope,
    registry,
    enabledMethods: new Set(authMethods),
    assertionAlgorithms: new Set(algorithms as AssertionAlgorithm[]),
    audiencePolicy: audiencePolicy as AudiencePolicy,
    audiencePolicyOverridable: !fapi2,
    requireCertificateBinding: fapi2,
    profile,
    clockToleranceSeconds: integerOption(assertion.clockTolerance, 'options.clientAssertion.clockTolerance', fapi2 ? FAPI2_CLOCK_TOLERANCE_SECONDS : 15, 0, 60, 'seconds'),
    maxAssertionLifetimeSeconds: integerOption(assertion.maxLifetime, 'options.clientAssertion.maxLifetime', 300, 1, 3600, 'seconds'),
    maxAssertionLength: integerOption(assertion.maxLength, 'options.clientAssertion.maxLength', 8192, 256, 65_536, 'characters'),
    keySource,
    certificates: createMtlsAuthenticator({ verifier: mtls.verifier, keySource }),
    certificateSource: mtls.certificateSource,
    mtlsEndpointAliases: mtls.endpointAliases,
    replayStore,
    revocationStore: failingClosed(revocationStore),
    signingKeyRing: createSigningKeyRing(signingKeys, issuer),
    maxBodyBytes: integerOption(options.maxBodyBytes, 'options.maxBodyBytes', 16_384, 1024, 1_048_576, 'bytes'),
    onEvent: options.onEvent,
    now,
    // A dynamic registry's clients are unknown here: its unknown-client decoy is the cheap default.
    decoySecretVerifiers: Array.isArray(clients) ? decoyVerifiersFor(clients.map((client) => resolveClient(client))) : DEFAULT_DECOY_VERIFIERS,
    throttle: throttleOptions
      ? createAuthenticationThrottle(throttleOptions, now, (error) =>
          emit(options.onEvent, {
            type: 'throttle_store_unavailable',
            decision: 'allow',
            reason: 'throttle_store_unavailable',
            endpoint: undefined,
            time: new Date(now()).toISOString(),
            issuer,
            peerAddress: undefined,
            clientId: undefined,
            authMethod: undefined,
            credentialId: undefined,
            detail: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'non-error thrown',
          }),
        )
      : undefined,
  });
}
