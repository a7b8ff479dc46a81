import { type AuthAttempt, type AuthenticatedClient, authenticateClient } from '../client-auth/authenticate.js';
import { OAuthError } from '../errors/errors.js';
import type { AccessTokenClaims } from '../tokens/access-token.js';
import { parseFormBody } from './form.js';
import type { HandlerContext } from './handler-context.js';
import { type EndpointRequest, requirePost, singleHeader } from './request.js';

export interface AuthenticatedTokenOperation {
  readonly authenticated: AuthenticatedClient;
  readonly nowMs: number;
  /** The presented token's claims when it is one of ours and valid now; otherwise `undefined`. */
  readonly claims: AccessTokenClaims | undefined;
}

/**
 * The common start of RFC 7662 introspection (§2.1) and RFC 7009 revocation (§2.1): POST, a
 * `token` parameter — checked before authentication, so a malformed request spends nothing —
 * then the caller authenticates like at the token endpoint, and the token is verified as ours.
 */
export async function authenticateTokenOperation(
  context: HandlerContext,
  request: EndpointRequest,
  attempt: AuthAttempt,
): Promise<AuthenticatedTokenOperation> {
  const { config } = context;
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
    context.clientAuth,
    attempt,
  );
  const spending = authenticated.commit();
  if (spending !== undefined) await spending;
  return { authenticated, nowMs, claims: config.signingKeyRing.verifyOwnToken(token, nowMs / 1000) };
}
