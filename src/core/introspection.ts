import type { AccessTokenClaims } from '../tokens/access-token.js';
import { type EndpointResponse, jsonResponse } from '../util/http.js';
import { emit } from './events.js';
import { type HandlerContext, newAttempt } from './handler-context.js';
import type { EndpointRequest } from './request.js';
import { authenticateTokenOperation } from './token-operation.js';

const INACTIVE = { active: false } as const;

/** RFC 7662 §2.2: the members of an active token's answer. */
function activeResponse(claims: AccessTokenClaims): Record<string, unknown> {
  return {
    active: true,
    client_id: claims.client_id,
    scope: claims.scope,
    exp: claims.exp,
    iat: claims.iat,
    iss: claims.iss,
    aud: claims.aud,
    sub: claims.sub,
    jti: claims.jti,
    token_type: 'Bearer',
    ...(claims.cnf ? { cnf: claims.cnf } : {}),
  };
}

/**
 * RFC 7662 token introspection. The caller authenticates like at the token endpoint (§2.1);
 * any token that is not ours, not valid, expired, or whose client is gone or disabled is
 * `{"active": false}` (§2.2) — the answer never says which.
 */
export function createIntrospectionHandler(context: HandlerContext): (request: EndpointRequest) => Promise<EndpointResponse> {
  const { config } = context;
  // Revoked (RFC 7009) or its client disabled or gone: no longer active. A store that cannot
  // answer throws, and introspection fails closed (503) rather than say "active".
  const isStillActive = async (claims: AccessTokenClaims): Promise<boolean> => {
    if (await config.revocationStore.isRevoked(claims.jti)) return false;
    const owner = await config.registry.findClient(claims.client_id);
    return owner !== undefined && owner !== null && owner.disabled !== true;
  };

  return async (request) => {
    const attempt = newAttempt();
    try {
      const { authenticated, nowMs, claims } = await authenticateTokenOperation(context, request, attempt);
      const active = claims !== undefined && (await isStillActive(claims));
      emit(config.onEvent, {
        type: 'token_introspected',
        decision: 'allow',
        reason: 'ok',
        time: new Date(nowMs).toISOString(),
        issuer: config.issuer,
        endpoint: 'introspection',
        peerAddress: request.peerAddress,
        clientId: authenticated.client.clientId,
        authMethod: authenticated.method,
        credentialId: authenticated.credentialId,
        active,
        tokenJti: active ? claims?.jti : undefined,
        tokenClientId: active ? claims?.client_id : undefined,
      });
      return jsonResponse(200, active && claims ? activeResponse(claims) : INACTIVE);
    } catch (error) {
      return context.fail('introspection', request, attempt, error);
    }
  };
}
