import { OAuthError } from '../errors/errors.js';
import type { EndpointResponse } from '../util/http.js';
import { emit } from './events.js';
import { type HandlerContext, newAttempt } from './handler-context.js';
import type { EndpointRequest } from './request.js';
import { authenticateTokenOperation } from './token-operation.js';

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
  const { config } = context;
  return async (request) => {
    const attempt = newAttempt();
    try {
      const { authenticated, nowMs, claims } = await authenticateTokenOperation(context, request, attempt);
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
