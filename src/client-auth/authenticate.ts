import {
  JWT_BEARER_ASSERTION_TYPE,
  type AssertionVerifierConfig,
  type AudienceShape,
  claimedClientId,
  decodeAssertion,
  verifyDecodedAssertion,
} from '../assertions/verify-assertion.js';
import { type ClientMetadata, type ResolvedClient, type TokenEndpointAuthMethod, resolveClient } from '../clients/metadata.js';
import type { ClientRegistry } from '../clients/registry.js';
import type { ParsedCertificate } from '../certificates/certificate.js';
import { ConfigurationError, OAuthError, StoreUnavailableError } from '../errors/errors.js';
import { type ReplayStore, synchronousConsume } from '../replay/replay-store.js';
import type { SecretVerifier } from '../clients/secrets.js';
import type { AuthenticationThrottle } from '../throttle/throttle.js';
import { type MaybePromise, andThen } from '../util/maybe-promise.js';
import { decodeBasicCredentials } from './basic.js';
import { verifyClientSecret } from './client-secret.js';

/** What the dispatcher needs from the request; parameters are already strictly parsed. */
export interface ClientAuthInput {
  readonly parameters: ReadonlyMap<string, string>;
  readonly authorization: string | undefined;
  /** The certificate the client presented (socket or trusted proxy), if any. */
  readonly certificate: PresentedCertificate | undefined;
  readonly nowSeconds: number;
  /** The TCP peer, for per-address brute-force throttling. */
  readonly peerAddress?: string | undefined;
}

/** The client certificate of this request, from the TLS socket or a trusted proxy. */
export interface PresentedCertificate {
  /** base64url SHA-256 of the DER certificate: RFC 8705 `x5t#S256`. */
  readonly thumbprintS256: string;
  readonly source: 'tls' | 'proxy';
  /** The parsed leaf (parsed on first use, cached by thumbprint). @throws OAuthError certificate_malformed */
  readonly leaf: () => ParsedCertificate;
  /** The intermediates sent with it, parsed. @throws OAuthError certificate_malformed */
  readonly intermediates: () => readonly ParsedCertificate[];
}

/** RFC 8705 §2: verifies a presented certificate for a `tls_client_auth` or `self_signed_tls_client_auth` client. */
export interface CertificateAuthenticator {
  /** `undefined` when decided synchronously (the usual case); throws or rejects when refused. */
  authenticate(client: ResolvedClient, certificate: PresentedCertificate, nowSeconds: number): Promise<void> | undefined;
}

/**
 * Filled in as authentication proceeds, so that a failure can still be reported with who tried
 * and how. Never holds a secret or an assertion.
 */
export interface AuthAttempt {
  clientId: string | undefined;
  method: TokenEndpointAuthMethod | undefined;
  credentialId: string | undefined;
  usedAuthorizationHeader: boolean;
  /** Where the request's client certificate came from, if it had one. */
  certificateSource: 'tls' | 'proxy' | undefined;
  /** A forwarded-certificate header came from a peer that is not a trusted proxy and was ignored. */
  untrustedProxyHeader: boolean;
  /** The client id named a registered client (failures then count against it too). */
  clientRegistered: boolean;
}

export interface AuthenticatedClient {
  readonly client: ResolvedClient;
  readonly method: TokenEndpointAuthMethod;
  /** Key `kid` or certificate thumbprint; `undefined` for secrets. */
  readonly credentialId: string | undefined;
  readonly assertionAudienceShape: AudienceShape | undefined;
  /**
   * Spends what is single-use (the assertion's `jti`). Call once, after every other check of the
   * request has passed, so a request refused for its scope does not burn the assertion.
   * `undefined` when there was nothing to spend (every method but private_key_jwt).
   */
  readonly commit: () => Promise<void> | undefined;
}

/** The slice of configuration client authentication reads. */
export interface ClientAuthConfig {
  readonly registry: ClientRegistry;
  readonly assertions: AssertionVerifierConfig;
  readonly replayStore: ReplayStore;
  readonly certificates: CertificateAuthenticator;
  /** Methods this server accepts at all (a registered client using another is refused). */
  readonly enabledMethods: ReadonlySet<TokenEndpointAuthMethod>;
  /** Brute-force throttling (RFC 6749 §2.3.1); `undefined` when disabled. */
  readonly throttle: AuthenticationThrottle | undefined;
  /** What an unknown client's secret is compared against: as costly as the slowest registered client. */
  readonly decoySecretVerifiers: readonly SecretVerifier[];
}

const NOTHING_TO_COMMIT = (): undefined => undefined;

/**
 * Client authentication, RFC 6749 §2.3, in the order that leaks least:
 * 1. exactly one mechanism is used (Basic header, client_secret in the body, or a client
 *    assertion; a certificate alone means mTLS) — else `invalid_request`;
 * 2. one consistent client_id (RFC 7521 §4.2);
 * 3. the client exists, is enabled, and the mechanism is its registered
 *    `token_endpoint_auth_method`;
 * 4. the method's own check.
 */
export function authenticateClient(
  input: ClientAuthInput,
  config: ClientAuthConfig,
  attempt: AuthAttempt,
): MaybePromise<AuthenticatedClient> {
  const { parameters, authorization } = input;
  const bodyClientId = parameters.get('client_id');
  attempt.usedAuthorizationHeader = authorization !== undefined;
  attempt.clientId = bodyClientId;
  // Over its failure budget, a peer is refused before any credential costs us work.
  return andThen(config.throttle?.checkAddress(input.peerAddress), () => authenticateByMechanism(input, config, attempt, bodyClientId));
}

/**
 * The steps after the address check. Synchronous while every part answers synchronously (the
 * in-memory defaults); a promise as soon as one does not.
 */
function authenticateByMechanism(
  input: ClientAuthInput,
  config: ClientAuthConfig,
  attempt: AuthAttempt,
  bodyClientId: string | undefined,
): MaybePromise<AuthenticatedClient> {
  const { parameters, authorization } = input;
  const usesBasic = authorization !== undefined;
  const usesPost = parameters.has('client_secret');
  const usesAssertion = parameters.has('client_assertion') || parameters.has('client_assertion_type');
  if (Number(usesBasic) + Number(usesPost) + Number(usesAssertion) > 1) {
    throw new OAuthError('client_auth_multiple', 'more than one of: Authorization header, client_secret, client_assertion');
  }

  if (usesBasic) {
    attempt.method = 'client_secret_basic';
    const [scheme = '', token68 = '', ...rest] = splitAuthorization(authorization);
    if (scheme.toLowerCase() !== 'basic') throw new OAuthError('authorization_scheme_unsupported', `scheme ${scheme.slice(0, 20)}`);
    if (rest.length > 0 || token68 === '') throw new OAuthError('basic_credentials_malformed', 'expected "Basic <credentials>"');
    const credentials = decodeBasicCredentials(token68);
    attempt.clientId = credentials.clientId;
    requireSameClientId(bodyClientId, credentials.clientId);
    return andThen(findClient(config, credentials.clientId, 'client_secret_basic', attempt), (client) =>
      andThen(verifyClientSecret(client, credentials.clientSecret), (): AuthenticatedClient => secretAuthenticated(client, 'client_secret_basic')),
    );
  }

  if (usesPost) {
    attempt.method = 'client_secret_post';
    if (bodyClientId === undefined) throw new OAuthError('client_auth_missing', 'client_secret_post requires client_id in the body');
    return andThen(findClient(config, bodyClientId, 'client_secret_post', attempt), (client) =>
      andThen(verifyClientSecret(client, parameters.get('client_secret') ?? ''), (): AuthenticatedClient => secretAuthenticated(client, 'client_secret_post')),
    );
  }

  if (usesAssertion) {
    attempt.method = 'private_key_jwt';
    if (parameters.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE) {
      throw new OAuthError('assertion_type_unsupported', 'client_assertion_type is missing or not jwt-bearer');
    }
    const assertion = parameters.get('client_assertion');
    if (assertion === undefined) throw new OAuthError('assertion_missing');
    const decoded = decodeAssertion(assertion, config.assertions.maxLength);
    const claimed = claimedClientId(decoded);
    attempt.clientId = bodyClientId ?? claimed;
    requireSameClientId(bodyClientId, claimed);
    return andThen(findClient(config, claimed, 'private_key_jwt', attempt), (client) =>
      andThen(verifyDecodedAssertion(decoded, client, config.assertions, input.nowSeconds), (verified): AuthenticatedClient => {
        attempt.credentialId = verified.keyId;
        const tolerance = config.assertions.clockToleranceSeconds;
        return {
          client,
          method: 'private_key_jwt',
          credentialId: verified.keyId,
          assertionAudienceShape: verified.audienceShape,
          // RFC 7523 §3 item 7: single use, remembered until the assertion could no longer be accepted.
          commit: () => spendJti(config.replayStore, client.clientId, verified.jti, (verified.exp + tolerance) * 1000),
        };
      }),
    );
  }

  // No credentials in the header or body: RFC 8705 mutual TLS, or a public client.
  if (bodyClientId === undefined) throw new OAuthError('client_auth_missing', 'no client credentials and no client_id');
  return andThen(findClient(config, bodyClientId, undefined, attempt), (client) => {
    attempt.method = client.authMethod;
    if (client.authMethod !== 'tls_client_auth' && client.authMethod !== 'self_signed_tls_client_auth') {
      throw new OAuthError('client_auth_missing', `client is registered for ${client.authMethod} but sent no credentials`);
    }
    const certificate = input.certificate;
    if (!certificate) throw new OAuthError('certificate_missing', `${client.authMethod} requires a client certificate`);
    attempt.credentialId = certificate.thumbprintS256;
    return andThen(config.certificates.authenticate(client, certificate, input.nowSeconds), (): AuthenticatedClient => ({
      client,
      method: client.authMethod,
      credentialId: certificate.thumbprintS256,
      assertionAudienceShape: undefined,
      commit: NOTHING_TO_COMMIT,
    }));
  });
}

function secretAuthenticated(client: ResolvedClient, method: 'client_secret_basic' | 'client_secret_post'): AuthenticatedClient {
  return { client, method, credentialId: undefined, assertionAudienceShape: undefined, commit: NOTHING_TO_COMMIT };
}

/**
 * Records the jti as used. ReplayStore contract: any failure means "answer unknown" → fail closed
 * (503); only an explicit `true` means first use, anything else a store returns is a replay.
 * Synchronous (`undefined`) with the in-memory store.
 */
function spendJti(store: ReplayStore, clientId: string, jti: string, expiresAt: number): Promise<void> | undefined {
  const consumeNow = synchronousConsume(store);
  if (consumeNow !== undefined) {
    let firstUse: boolean;
    try {
      firstUse = consumeNow(clientId, jti, expiresAt);
    } catch (error) {
      throw storeFailure(error);
    }
    return requireFirstUse(firstUse);
  }
  let pending: Promise<boolean>;
  try {
    pending = store.consume(clientId, jti, expiresAt);
  } catch (error) {
    throw storeFailure(error);
  }
  // Promise.resolve: a store that (against its contract) answers a plain value is still judged.
  return Promise.resolve(pending).then(requireFirstUse, (error: unknown) => {
    throw storeFailure(error);
  });
}

function requireFirstUse(firstUse: unknown): undefined {
  if (firstUse !== true) throw new OAuthError('jti_replayed', 'this assertion jti was already used');
  return undefined;
}

function storeFailure(error: unknown): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : `non-error thrown: ${typeof error}`;
  return new StoreUnavailableError('replay_store_unavailable', `replay store failed: ${detail}`.slice(0, 300), { cause: error });
}

/** RFC 9110 §11.6.2 credentials: the scheme, then its parameters, separated by spaces. */
function splitAuthorization(authorization: string): string[] {
  const trimmed = authorization.trim();
  const space = trimmed.indexOf(' ');
  // The usual "Basic <token68>": one space, nothing to split by pattern.
  if (space > 0 && trimmed.charCodeAt(space + 1) !== 0x20 && trimmed.indexOf(' ', space + 1) < 0) return [trimmed.slice(0, space), trimmed.slice(space + 1)];
  return trimmed.split(/ +/);
}


function unknownClient(): never {
  throw new OAuthError('client_unknown', 'no such client');
}

function requireSameClientId(bodyClientId: string | undefined, authenticatedClientId: string): void {
  if (bodyClientId !== undefined && bodyClientId !== authenticatedClientId) {
    throw new OAuthError('client_id_mismatch', 'client_id in the body differs from the authenticated client');
  }
}

/**
 * Looks the client up and checks it may use `method` (undefined: decided by its registration).
 * An unknown client still pays for a secret comparison, so timing does not reveal which
 * client ids exist.
 */
function findClient(
  config: ClientAuthConfig,
  clientId: string,
  method: TokenEndpointAuthMethod | undefined,
  attempt: AuthAttempt,
): MaybePromise<ResolvedClient> {
  // Synchronous with the in-memory throttle and a static registry: no promise per request.
  return andThen(config.throttle?.checkClient(clientId), () =>
    andThen(config.registry.findClient(clientId), (metadata) => checkRegisteredClient(config, clientId, method, attempt, metadata)),
  );
}

function checkRegisteredClient(
  config: ClientAuthConfig,
  clientId: string,
  method: TokenEndpointAuthMethod | undefined,
  attempt: AuthAttempt,
  metadata: ClientMetadata | undefined | null,
): MaybePromise<ResolvedClient> {
  if (metadata === undefined || metadata === null) {
    // An unknown client still pays for a secret comparison (the decoy, which never matches), so
    // timing does not reveal which client ids exist; the event says client_unknown either way.
    if (method === 'client_secret_basic' || method === 'client_secret_post') {
      return Promise.resolve()
        .then(() => verifyClientSecret(undefined, '', config.decoySecretVerifiers))
        .then(unknownClient, unknownClient);
    }
    return unknownClient();
  }
  let client: ResolvedClient;
  try {
    client = resolveClient(metadata, 'registry result');
  } catch (error) {
    // A dynamic registry returned bad metadata: the operator's problem, not the caller's.
    if (error instanceof ConfigurationError) throw new OAuthError('internal_error', `client registry returned invalid metadata: ${error.message}`);
    throw error;
  }
  if (client.clientId !== clientId) throw new OAuthError('internal_error', 'client registry returned a different client than asked for');
  attempt.clientRegistered = true;
  if (client.disabled) throw new OAuthError('client_disabled', 'the client is disabled');
  // RFC 6749 §4.4: client_credentials is for confidential clients only.
  if (client.authMethod === 'none') throw new OAuthError('auth_method_none_refused');
  if (method !== undefined && client.authMethod !== method) {
    throw new OAuthError('auth_method_not_registered', `used ${method}, registered ${client.authMethod}`);
  }
  if (!config.enabledMethods.has(client.authMethod)) {
    throw new OAuthError('auth_method_not_registered', `${client.authMethod} is not enabled on this server`);
  }
  return client;
}
