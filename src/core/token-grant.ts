import { authenticateClient } from '../client-auth/authenticate.js';
import { OAuthError } from '../errors/errors.js';
import { issueAccessToken } from '../tokens/access-token.js';
import { type EndpointResponse, jsonResponse, jsonTextResponse } from '../util/http.js';
import { isJsonSafeRepeated } from '../util/json-text.js';
import { isThenable } from '../util/maybe-promise.js';
import { emit } from './events.js';
import { parseFormBody } from './form.js';
import { grantScope, selectAudience, validateResourceSyntax, validateScopeSyntax } from './grant-policy.js';
import { type HandlerContext, newAttempt } from './handler-context.js';
import { type EndpointRequest, requirePost, singleHeader } from './request.js';

/**
 * The RFC 6749 §5.1 response, written as JSON text directly: exactly what `JSON.stringify` gives
 * for these four members (our access token is a compact JWS — base64url and dots, as
 * `issueAccessToken` builds it —, `expires_in` an integer, and RFC 6749 §3.3 scope tokens exclude
 * '"', '\\' and controls), without its cost, which showed in every profile. Anything else falls
 * back to `JSON.stringify`.
 */
function tokenResponse(accessToken: string, expiresIn: number, scope: string): EndpointResponse {
  if (!Number.isSafeInteger(expiresIn) || !isJsonSafeRepeated(scope)) {
    return jsonResponse(200, { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope });
  }
  return jsonTextResponse(200, `{"access_token":"${accessToken}","token_type":"Bearer","expires_in":${expiresIn},"scope":"${scope}"}`);
}

/** RFC 6749 §4.4: the client_credentials grant at the token endpoint. */
export function createTokenHandler(context: HandlerContext): (request: EndpointRequest) => Promise<EndpointResponse> {
  const { config, clientAuth } = context;
  return async (request) => {
    const attempt = newAttempt();
    let requestedScope: string | undefined;
    try {
      // RFC 6749 §3.2: POST only.
      requirePost(request);
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
      const certificate = context.certificateOf(request, attempt);
      const authenticating = authenticateClient(
        { parameters, authorization: singleHeader(request.headers, 'authorization'), certificate, nowSeconds: nowMs / 1000, peerAddress: request.peerAddress },
        clientAuth,
        attempt,
      );
      // Synchronous with the in-memory defaults: no await, no extra turn of the event loop.
      const authenticated = isThenable(authenticating) ? await authenticating : authenticating;
      const { client } = authenticated;

      if (!client.grantTypes.has('client_credentials')) throw new OAuthError('grant_type_not_allowed');
      const grantedScope = grantScope(scopeTokens, client, config.defaultScope);
      const audience = selectAudience(resource, client, config.defaultAudience);
      // RFC 8705 §3: bind to the certificate presented on this request, whatever the auth method.
      // The fapi2 profile requires every token to be sender-constrained (FAPI 2.0 §5.3.2.1).
      const bindToCertificate = client.certificateBoundTokens || config.requireCertificateBinding;
      if (bindToCertificate && !certificate) throw new OAuthError('certificate_binding_required');

      const spending = authenticated.commit();
      if (spending !== undefined) await spending;

      const issued = issueAccessToken(
        {
          issuer: config.issuer,
          clientId: client.clientId,
          audience,
          scope: grantedScope,
          lifetimeSeconds: config.accessTokenTtl,
          nowSeconds: nowMs / 1000,
          certificateThumbprint: bindToCertificate ? certificate?.thumbprintS256 : undefined,
        },
        config.signingKeyRing.keys().current,
      );
      // Built only when someone listens: the event object (and its ISO time) cost a few µs per request.
      if (config.onEvent !== undefined) emit(config.onEvent, {
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
        certificateSource: attempt.certificateSource,
        untrustedProxyHeader: attempt.untrustedProxyHeader,
        requestedScope,
        grantedScope,
        audience,
        tokenJti: issued.claims.jti,
        tokenLifetime: config.accessTokenTtl,
        certificateBound: issued.claims.cnf !== undefined,
        assertionAudienceShape: authenticated.assertionAudienceShape,
      });
      // RFC 6749 §5.1; no refresh token for client_credentials (§4.4.3).
      return tokenResponse(issued.token, config.accessTokenTtl, grantedScope);
    } catch (error) {
      return context.fail('token', request, attempt, error, requestedScope);
    }
  };
}
