import { authenticateClient } from '../client-auth/authenticate.js';
import { OAuthError } from '../errors/errors.js';
import type { EndpointResponse } from '../util/http.js';
import { emit } from './events.js';
import { parseFormBody } from './form.js';
import { type HandlerContext, newAttempt } from './handler-context.js';
import { type EndpointRequest, requirePost, singleHeader } from './request.js';

/**
 * How long past `exp` a revocation is kept. Resource servers accept a token for a little while
 * after `exp` (RFC 7519 §4.1.4 "some small leeway"; `createAccessTokenVerifier` defaults to 5 s):
 * forgetting the revocation at `exp` would make a revoked token valid again in that window. 60 s
 * covers any leeway up to the largest clock tolerance this library accepts anywhere.
 */
const REVOCATION_LEEWAY_SECONDS = 60;

const REVOKED: EndpointResponse = {
  status: 200,
  headers: { 'cache-control': 'no-store', pragma: 'no-cache', 'content-length': '0' },
  body: '',
};

/**
 * RFC 7009 token revocation. The client authenticates (§2.1) and may revoke only tokens issued
 * to it; an unknown, invalid or already-expired token is answered 200 like a revoked one
 * (§2.2: "invalid tokens do not cause an error response"), so the endpoint cannot be used to
 * probe tokens. A revocation is recorded until the token's own expiry.
 */
export function createRevocationHandler(context: HandlerContext): (request: EndpointRequest) => Promise<EndpointResponse> {
  const { config, clientAuth } = context;
  return async (request) => {
    const attempt = newAttempt();
    try {
      requirePost(request);
      const parameters = parseFormBody(request, config.maxBodyBytes);
      const token = parameters.get('token');
      if (token === undefined) throw new OAuthError('token_missing');

      const nowMs = config.now();
      const authenticated = await authenticateClient(
        {
          parameters,
          authorization: singleHeader(request.headers, 'authorization'),
          certificate: context.certificateOf(request, attempt),
          nowSeconds: nowMs / 1000,
          peerAddress: request.peerAddress,
        },
        clientAuth,
        attempt,
      );
      await authenticated.commit();

      const claims = config.signingKeyRing.verifyOwnToken(token, nowMs / 1000);
      if (claims && claims.client_id !== authenticated.client.clientId) {
        // §2.1: "verifies whether the token was issued to the client making the revocation request".
        throw new OAuthError('revocation_not_owner', `token of client ${claims.client_id}`);
      }
      if (claims) await config.revocationStore.revoke(claims.jti, (claims.exp + REVOCATION_LEEWAY_SECONDS) * 1000);
      emit(config.onEvent, {
        type: 'token_revoked',
        decision: 'allow',
        reason: 'ok',
        time: new Date(nowMs).toISOString(),
        issuer: config.issuer,
        endpoint: 'revocation',
        peerAddress: request.peerAddress,
        clientId: authenticated.client.clientId,
        authMethod: authenticated.method,
        credentialId: authenticated.credentialId,
        tokenJti: claims?.jti,
        recognized: claims !== undefined,
      });
      return REVOKED;
    } catch (error) {
      return context.fail('revocation', request, attempt, error);
    }
  };
}
