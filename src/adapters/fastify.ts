import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { TokenEndpointOptions } from '../core/options.js';
import type { EndpointRequest } from '../core/request.js';
import { type TokenEndpoint, createTokenEndpoint } from '../core/token-endpoint.js';
import { invalidOption } from '../errors/errors.js';
import type { EndpointResponse } from '../util/http.js';
import { tlsClientCertificateOf } from './tls-socket.js';

/** Either a ready endpoint, or the options to create one with. */
export type FastifyTokenEndpointOptions = { readonly endpoint: TokenEndpoint } | TokenEndpointOptions;

function toEndpointRequest(request: FastifyRequest): EndpointRequest {
  return {
    method: request.method,
    headers: request.headers,
    body: request.body as EndpointRequest['body'],
    tlsClientCertificate: tlsClientCertificateOf(request.raw.socket),
    peerAddress: request.raw.socket.remoteAddress,
  };
}

function send(reply: FastifyReply, response: EndpointResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}

async function tokenEndpointPlugin(fastify: FastifyInstance, options: FastifyTokenEndpointOptions): Promise<void> {
  const endpoint = 'endpoint' in options ? options.endpoint : createTokenEndpoint(options);
  if (typeof endpoint?.token !== 'function') throw invalidOption('endpoint', 'must be the result of createTokenEndpoint()');

  // Our routes live in their own encapsulated context: the raw-body parser below replaces any
  // form parser the host registered (e.g. @fastify/formbody) only here, because the core must
  // see the raw body to refuse repeated parameters and invalid encodings.
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: endpoint.maxBodyBytes }, (_request, body, done) => {
      done(null, body);
    });
    scope.setErrorHandler((error: { code?: string; statusCode?: number }, request, reply) => {
      const reason = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413 ? 'body_too_large' : 'body_malformed';
      return send(reply, endpoint.refuse(toEndpointRequest(request), reason, request.routeOptions.url ?? endpoint.paths.token));
    });

    // The POST endpoints. Other methods reach the core too, so they get an RFC 6749 §5.2 answer
    // (405), not a framework 404.
    for (const path of [endpoint.paths.token, endpoint.paths.introspection, endpoint.paths.revocation]) {
      const handler = endpoint.handlerFor(path);
      if (!handler) continue;
      scope.route({
        method: ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'],
        url: path,
        handler: async (request, reply) => send(reply, await handler(toEndpointRequest(request))),
      });
    }
    scope.get(endpoint.paths.metadata, async (_request, reply) => send(reply, endpoint.metadata()));
    scope.get(endpoint.paths.jwks, async (_request, reply) => send(reply, endpoint.jwks()));
  });
}

/**
 * Mounts the token endpoint, RFC 8414 metadata and JWKS routes in a fastify 5 app. The client
 * certificate is read from the TLS socket when the server was created with `https` and
 * `requestCert: true` (set `rejectUnauthorized: false` and let the library decide).
 *
 * @example
 * await app.register(tokenEndpoint, { endpoint });
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export const tokenEndpoint = fastifyPlugin(tokenEndpointPlugin, { name: 'm2m-token-endpoint', fastify: '5.x' });
export default tokenEndpoint;

export { accessTokenGuard, accessTokenOf } from './fastify-resource-server.js';
export type { AccessTokenGuardOptions } from './fastify-resource-server.js';
