import type { ClientAuthConfig } from '../client-auth/authenticate.js';
import { OAuthError } from '../errors/errors.js';
import { buildMetadataDocument } from '../metadata/document.js';
import type { SigningKeyInput } from '../tokens/signing-keys.js';
import { type EndpointResponse, publicJsonResponse } from '../util/http.js';
import type { EndpointName } from './events.js';
import { createHandlerContext, newAttempt } from './handler-context.js';
import { createIntrospectionHandler } from './introspection.js';
import { createRevocationHandler } from './revocation.js';
import { type EndpointPaths, type TokenEndpointOptions, resolveOptions } from './options.js';
import type { EndpointRequest } from './request.js';
import { createTokenHandler } from './token-grant.js';

/** A mounted token endpoint: plain request in, plain response out. */
export interface TokenEndpoint {
  readonly issuer: string;
  /** The paths to mount each handler at (below the host; include the issuer's own path). */
  readonly paths: EndpointPaths;
  /** Largest request body the endpoint accepts, for adapters that must cap reading. */
  readonly maxBodyBytes: number;
  /** RFC 6749 §4.4 token endpoint (client_credentials). */
  token(request: EndpointRequest): Promise<EndpointResponse>;
  /** RFC 7662 token introspection (client-authenticated). */
  introspection(request: EndpointRequest): Promise<EndpointResponse>;
  /** RFC 7009 token revocation (client-authenticated). */
  revocation(request: EndpointRequest): Promise<EndpointResponse>;
  /**
   * Replaces the server's signing keys at run time (a rotation step: add `next`, promote to
   * `current`, keep `retired` until its tokens expire). Validated like the option; on error the
   * old keys stay.
   */
  updateSigningKeys(keys: readonly SigningKeyInput[]): void;
  /** RFC 8414 authorization server metadata. */
  metadata(): EndpointResponse;
  /** The public JWK Set of the token-signing keys. */
  jwks(): EndpointResponse;
  /** The handler for a request path, or `undefined` when the path is not ours (for catch-all hosts). */
  handlerFor(path: string): ((request: EndpointRequest) => Promise<EndpointResponse>) | undefined;
  /**
   * Answers a token request whose body the host could not read (too large, aborted), with the
   * same error format and operator event as any other refusal.
   */
  refuse(request: EndpointRequest, reason: 'body_too_large' | 'body_malformed', path: string): EndpointResponse;
}

/**
 * Creates a framework-neutral OAuth 2.0 token endpoint for the `client_credentials` grant
 * (RFC 6749 §4.4) with private_key_jwt (RFC 7523), mutual TLS (RFC 8705) and client secrets,
 * issuing RFC 9068 JWT access tokens.
 *
 * Every option is validated here; a bad one throws a `ConfigurationError` (a `TypeError`) naming
 * the field and the fix. Nothing is validated lazily on the first request.
 *
 * @example
 * const endpoint = createTokenEndpoint({
 *   issuer: 'https://auth.example.com',
 *   clients: [{ client_id: 'billing', token_endpoint_auth_method: 'private_key_jwt', jwks, scope: 'invoices:read' }],
 *   signingKeys: [{ privateKey: generateSigningKey() }],
 *   defaultAudience: 'https://api.example.com',
 * });
 * const response = await endpoint.token({ method: 'POST', headers, body });
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export function createTokenEndpoint(options: TokenEndpointOptions): TokenEndpoint {
  const config = resolveOptions(options);
  const clientAuth: ClientAuthConfig = {
    registry: config.registry,
    replayStore: config.replayStore,
    certificates: config.certificates,
    enabledMethods: config.enabledMethods,
    throttle: config.throttle,
    decoySecretVerifiers: config.decoySecretVerifiers,
    assertions: {
      issuer: config.issuer,
      // RFC 8705 §5: the mTLS alias of the token endpoint is the token endpoint too.
      tokenEndpointUrls: [config.tokenEndpointUrl, ...(config.mtlsEndpointAliases?.token_endpoint ? [config.mtlsEndpointAliases.token_endpoint] : [])],
      algorithms: config.assertionAlgorithms,
      audiencePolicy: config.audiencePolicy,
      audiencePolicyOverridable: config.audiencePolicyOverridable,
      clockToleranceSeconds: config.clockToleranceSeconds,
      maxLifetimeSeconds: config.maxAssertionLifetimeSeconds,
      maxLength: config.maxAssertionLength,
      keySource: config.keySource,
    },
  };

  const metadataResponse = publicJsonResponse(
    buildMetadataDocument({
      issuer: config.issuer,
      tokenEndpoint: config.tokenEndpointUrl,
      jwksUri: config.jwksUri,
      introspectionEndpoint: config.introspectionEndpointUrl,
      revocationEndpoint: config.revocationEndpointUrl,
      authMethods: config.enabledMethods,
      assertionAlgorithms: config.assertionAlgorithms,
      scopesSupported: undefined,
      certificateBoundAccessTokens: true,
      mtlsEndpointAliases: config.mtlsEndpointAliases,
    }),
    3600,
  );

  const context = createHandlerContext(config, clientAuth);
  const token = createTokenHandler(context);
  const introspection = createIntrospectionHandler(context);
  const revocation = createRevocationHandler(context);

  const endpointNames = new Map<string, EndpointName>([
    [config.paths.token, 'token'],
    [config.paths.introspection, 'introspection'],
    [config.paths.revocation, 'revocation'],
  ]);
  const routes = new Map<string, (request: EndpointRequest) => Promise<EndpointResponse>>([
    [config.paths.token, token],
    [config.paths.introspection, introspection],
    [config.paths.revocation, revocation],
    [config.paths.metadata, async () => metadataResponse],
    [config.paths.jwks, async () => config.signingKeyRing.jwksResponse()],
  ]);

  return Object.freeze({
    issuer: config.issuer,
    paths: config.paths,
    maxBodyBytes: config.maxBodyBytes,
    token,
    introspection,
    revocation,
    updateSigningKeys: (keys: readonly SigningKeyInput[]) => config.signingKeyRing.update(keys),
    metadata: () => metadataResponse,
    jwks: () => config.signingKeyRing.jwksResponse(),
    handlerFor: (path: string) => routes.get(path),
    refuse: (request: EndpointRequest, reason: 'body_too_large' | 'body_malformed', path: string) =>
      context.refuse(endpointNames.get(path) ?? 'token', request, newAttempt(), new OAuthError(reason)),
  });
}
