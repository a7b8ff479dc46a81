import { type AuthAttempt, type ClientAuthConfig, authenticateClient } from '../client-auth/authenticate.js';
import { OAuthError } from '../errors/errors.js';
import { errorToResponse } from '../errors/to-response.js';
import { buildMetadataDocument } from '../metadata/document.js';
import { publicJwks } from '../tokens/jwks.js';
import { issueAccessToken } from '../tokens/access-token.js';
import { type EndpointResponse, jsonResponse, publicJsonResponse } from '../util/http.js';
import { presentedCertificate } from './client-certificate.js';
import { type EndpointName, type EventListener, deniedEventType, emit } from './events.js';
import { parseFormBody } from './form.js';
import { type EndpointPaths, type TokenEndpointOptions, resolveOptions } from './options.js';
import { type EndpointRequest, singleHeader } from './request.js';
import { grantScope, selectAudience, validateResourceSyntax, validateScopeSyntax } from './grant-policy.js';

function newAttempt(): AuthAttempt {
  return { clientId: undefined, method: undefined, credentialId: undefined, usedAuthorizationHeader: false };
}

/** A mounted token endpoint: plain request in, plain response out. */
export interface TokenEndpoint {
  readonly issuer: string;
  /** The paths to mount each handler at (below the host; include the issuer's own path). */
  readonly paths: EndpointPaths;
  /** Largest request body the endpoint accepts, for adapters that must cap reading. */
  readonly maxBodyBytes: number;
  /** RFC 6749 §4.4 token endpoint (client_credentials). */
  token(request: EndpointRequest): Promise<EndpointResponse>;
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
  refuse(request: EndpointRequest, reason: 'body_too_large' | 'body_malformed'): EndpointResponse;
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
    assertions: {
      issuer: config.issuer,
      tokenEndpointUrls: [config.tokenEndpointUrl],
      algorithms: config.assertionAlgorithms,
      audiencePolicy: config.audiencePolicy,
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
      introspectionEndpoint: undefined,
      authMethods: config.enabledMethods,
      assertionAlgorithms: config.assertionAlgorithms,
      scopesSupported: undefined,
      certificateBoundAccessTokens: true,
      mtlsEndpointAliases: undefined,
    }),
    3600,
  );
  // Short max-age so verifiers pick up a rotation's "next" key well before it signs.
  const jwksResponse = publicJsonResponse(publicJwks(config.signingKeys), 300);

  const denied = (
    endpoint: EndpointName,
    request: EndpointRequest,
    attempt: AuthAttempt,
    error: unknown,
    requestedScope: string | undefined,
    listener: EventListener | undefined,
  ): EndpointResponse => {
    const outcome = errorToResponse(error, attempt.usedAuthorizationHeader);
    emit(listener, {
      type: deniedEventType(outcome.reason, outcome.error),
      decision: 'deny',
      reason: outcome.reason,
      error: outcome.error,
      detail: outcome.detail,
      time: new Date(config.now()).toISOString(),
      issuer: config.issuer,
      endpoint,
      peerAddress: request.peerAddress,
      clientId: attempt.clientId,
      authMethod: attempt.method,
      credentialId: attempt.credentialId,
      requestedScope,
    });
    return outcome.response;
  };

  const token = async (request: EndpointRequest): Promise<EndpointResponse> => {
    const attempt = newAttempt();
    let requestedScope: string | undefined;
    try {
      // RFC 6749 §3.2: POST only.
      if (request.method.toUpperCase() !== 'POST') throw new OAuthError('method_not_allowed', `method ${request.method.slice(0, 10)}`);
      const parameters = parseFormBody(request, config.maxBodyBytes);
      requestedScope = parameters.get('scope');

      // §4.4.2 — checked before authentication: cheap, and a malformed request must not spend an assertion.
      const grantType = parameters.get('grant_type');
      if (grantType === undefined) throw new OAuthError('grant_type_missing');
      if (grantType !== 'client_credentials') throw new OAuthError('grant_type_unsupported', `grant_type ${grantType.slice(0, 60)}`);
      const scopeTokens = validateScopeSyntax(requestedScope);
      const resource = parameters.get('resource');
      validateResourceSyntax(resource);

      const nowMs = config.now();
      const certificate = presentedCertificate(request);
      const authenticated = await authenticateClient(
        { parameters, authorization: singleHeader(request.headers, 'authorization'), certificate, nowSeconds: nowMs / 1000 },
        clientAuth,
        attempt,
      );
      const { client } = authenticated;

      if (!client.grantTypes.has('client_credentials')) throw new OAuthError('grant_type_not_allowed');
      const grantedScope = grantScope(scopeTokens, client, config.defaultScope);
      const audience = selectAudience(resource, client, config.defaultAudience);
      // RFC 8705 §3: bind to the certificate presented on this request, whatever the auth method.
      if (client.certificateBoundTokens && !certificate) throw new OAuthError('certificate_binding_required');

      await authenticated.commit();

      const issued = issueAccessToken(
        {
          issuer: config.issuer,
          clientId: client.clientId,
          audience,
          scope: grantedScope,
          lifetimeSeconds: config.accessTokenTtl,
          nowSeconds: nowMs / 1000,
          certificateThumbprint: client.certificateBoundTokens ? certificate?.thumbprintS256 : undefined,
        },
        config.signingKeys.current,
      );
      emit(config.onEvent, {
        type: 'token_issued',
        decision: 'allow',
        reason: 'ok',
        time: new Date(nowMs).toISOString(),
        issuer: config.issuer,
        endpoint: 'token',
        peerAddress: request.peerAddress,
        clientId: client.clientId,
        authMethod: authenticated.method,
        credentialId: authenticated.credentialId,
        requestedScope,
        grantedScope,
        audience,
        tokenJti: issued.claims.jti,
        tokenLifetime: config.accessTokenTtl,
        certificateBound: issued.claims.cnf !== undefined,
        assertionAudienceShape: authenticated.assertionAudienceShape,
      });
      // RFC 6749 §5.1; no refresh token for client_credentials (§4.4.3).
      return jsonResponse(200, {
        access_token: issued.token,
        token_type: 'Bearer',
        expires_in: config.accessTokenTtl,
        scope: grantedScope,
      });
    } catch (error) {
      return denied('token', request, attempt, error, requestedScope, config.onEvent);
    }
  };

  const routes = new Map<string, (request: EndpointRequest) => Promise<EndpointResponse>>([
    [config.paths.token, token],
    [config.paths.metadata, async () => metadataResponse],
    [config.paths.jwks, async () => jwksResponse],
  ]);

  return Object.freeze({
    issuer: config.issuer,
    paths: config.paths,
    maxBodyBytes: config.maxBodyBytes,
    token,
    metadata: () => metadataResponse,
    jwks: () => jwksResponse,
    handlerFor: (path: string) => routes.get(path),
    refuse: (request: EndpointRequest, reason: 'body_too_large' | 'body_malformed') =>
      denied('token', request, newAttempt(), new OAuthError(reason), undefined, config.onEvent),
  });
}
