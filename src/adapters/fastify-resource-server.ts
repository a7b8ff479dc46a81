import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { AccessTokenError, type AccessTokenVerifier, type VerifiedAccessToken } from '../resource-server/verifier.js';

export interface AccessTokenGuardOptions {
  /** Scopes every request to the guarded routes must have been granted (RFC 6750 §3.1 insufficient_scope). */
  readonly requiredScopes?: readonly string[];
}

const verifiedTokens = new WeakMap<FastifyRequest, VerifiedAccessToken>();

/** The token a guarded request was authorized with. */
export function accessTokenOf(request: FastifyRequest): VerifiedAccessToken | undefined {
  return verifiedTokens.get(request);
}

function peerCertificate(request: FastifyRequest): Buffer | undefined {
  const socket = request.raw.socket as TLSSocket;
  if (!socket.encrypted) return undefined;
  const certificate = socket.getPeerCertificate();
  return certificate && certificate.raw ? certificate.raw : undefined;
}

/**
 * A fastify `preHandler` that admits only requests with a valid access token from our
 * authorization server and, for certificate-bound tokens, the client certificate it is bound
 * to (RFC 8705 §3) — read from this server's TLS socket. Refusals answer with the RFC 6750 §3
 * status and `WWW-Authenticate: Bearer error="…"`.
 *
 * @example
 * app.get('/invoices', { preHandler: accessTokenGuard(verifier, { requiredScopes: ['invoices:read'] }) }, handler);
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function accessTokenGuard(verifier: AccessTokenVerifier, options: AccessTokenGuardOptions = {}): preHandlerAsyncHookHandler {
  return async function guard(request: FastifyRequest, reply: FastifyReply) {
    try {
      const verified = await verifier.verify({
        authorization: request.headers.authorization,
        certificate: peerCertificate(request),
        ...(options.requiredScopes ? { requiredScopes: options.requiredScopes } : {}),
      });
      verifiedTokens.set(request, verified);
    } catch (error) {
      const refusal = error instanceof AccessTokenError ? error : new AccessTokenError('token_malformed', 'the access token is invalid');
      await reply
        .code(refusal.status)
        .header('www-authenticate', refusal.wwwAuthenticate)
        .header('cache-control', 'no-store')
        .send(refusal.error ? { error: refusal.error, error_description: refusal.message } : { error: 'unauthorized' });
    }
  };
}
