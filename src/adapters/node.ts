import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EndpointRequest } from '../core/request.js';
import type { TokenEndpoint } from '../core/token-endpoint.js';
import type { EndpointResponse } from '../util/http.js';
import { tlsClientCertificateOf } from './tls-socket.js';

/** `next` as Express passes it; called for paths that are not ours. */
export type NextFunction = (error?: unknown) => void;

export type NodeRequestHandler = (request: IncomingMessage & { body?: unknown }, response: ServerResponse, next?: NextFunction) => void;

class BodyTooLargeError extends Error {}

/** Reads the body up to `limit` bytes; past that it stops reading and fails. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    // The usual form arrives in one chunk: use it as it is (concat would copy it).
    request.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, endpointResponse: EndpointResponse): void {
  response.writeHead(endpointResponse.status, endpointResponse.headers);
  response.end(endpointResponse.body);
}

/**
 * A `node:http` request handler, also usable as Express middleware: requests for the endpoint's
 * paths are answered, others go to `next` (or get a 404 without it). If a body parser already
 * consumed the stream, the parsed form in `req.body` is used; it must keep repeated parameters
 * as arrays (`express.urlencoded({ extended: false })` does) so they can be refused.
 *
 * @example
 * https.createServer({ key, cert, requestCert: true, rejectUnauthorized: false }, createNodeHandler(endpoint));
 * app.use(createNodeHandler(endpoint)); // Express
 */
export function createNodeHandler(endpoint: TokenEndpoint): NodeRequestHandler {
  return (request, response, next) => {
    // Paths are matched exactly; the query string plays no part in routing.
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const base = {
      method: request.method ?? 'GET',
      headers: request.headers,
      tlsClientCertificate: tlsClientCertificateOf(request.socket),
      peerAddress: request.socket.remoteAddress,
    };
    const handler = endpoint.handlerFor(path);
    if (!handler) {
      if (next) next();
      else send(response, { status: 404, headers: { 'content-type': 'application/json' }, body: '{"error":"not_found"}' });
      return;
    }
    const alreadyParsed = request.readableEnded && request.body !== undefined;
    const bodyPromise: Promise<EndpointRequest['body']> = alreadyParsed
      ? Promise.resolve(request.body as EndpointRequest['body'])
      : readBody(request, endpoint.maxBodyBytes);
    bodyPromise
      .then((body) => handler({ ...base, body }))
      .then((endpointResponse) => send(response, endpointResponse))
      .catch((error: unknown) => {
        const reason = error instanceof BodyTooLargeError ? 'body_too_large' : 'body_malformed';
        send(response, endpoint.refuse({ ...base }, reason, path));
      });
  };
}
