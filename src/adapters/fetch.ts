import type { EndpointRequest, TlsClientCertificate } from '../core/request.js';
import type { TokenEndpoint } from '../core/token-endpoint.js';
import { invalidOption } from '../errors/errors.js';
import type { EndpointResponse } from '../util/http.js';

// Web-standard globals only (Request, Response, Headers, ReadableStream, URL): this file must run
// unchanged on Node, Deno, Bun and Workers-style runtimes, and names no framework.

/**
 * What the host knows about the connection and the Fetch `Request` does not carry. Leave a field
 * out when the host cannot supply it: without `tlsClientCertificate` the mutual-TLS methods see no
 * certificate, and without `peerAddress` no peer is a trusted proxy, so forwarded-certificate
 * headers are never believed (RFC 8705 §2 binds to the certificate of *this* connection).
 *
 * @example
 * const context: FetchContext = { tlsClientCertificate: { certificate: socket.getPeerCertificate().raw }, peerAddress: socket.remoteAddress };
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2
 */
export interface FetchContext {
  /** The certificate the client presented in this server's own TLS handshake (DER or parsed). */
  readonly tlsClientCertificate?: TlsClientCertificate | undefined;
  /** The TCP peer address, e.g. `socket.remoteAddress`, Deno's `info.remoteAddr.hostname`, Bun's `server.requestIP(req)?.address`. */
  readonly peerAddress?: string | undefined;
}

/**
 * Answers the endpoint's own paths; `undefined` for any other path, so the host can route on.
 *
 * @example
 * const response: Response | undefined = await handle(request, { peerAddress });
 * @see https://fetch.spec.whatwg.org/#request-class
 */
export type FetchHandler = (request: Request, context?: FetchContext) => Promise<Response | undefined>;

/**
 * Answers every request: the endpoint's own paths, and a 404 for any other path.
 *
 * @example
 * export default { fetch: (request: Request) => handle(request) }; // Workers-style module
 * @see https://fetch.spec.whatwg.org/#response-class
 */
export type StandaloneFetchHandler = (request: Request, context?: FetchContext) => Promise<Response>;

class BodyTooLargeError extends Error {}

/** Statuses whose Response must have a null body (Fetch throws on any other body, even ""). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The same answer the node adapter gives a foreign path when it has no `next`. */
const NOT_FOUND: EndpointResponse = { status: 404, headers: { 'content-type': 'application/json' }, body: '{"error":"not_found"}' };

/**
 * Reads the body up to `limit` bytes. A declared Content-Length over the limit is refused
 * before a byte is read; a stream without one (chunked, HTTP/2) is counted as it arrives and
 * cancelled as soon as it passes the limit, so an oversized body is never buffered.
 */
async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const stream = request.body;
  // Absent, or a list such as "10, 10" (NaN): the counted read below still enforces the cap.
  const contentLength = request.headers.get('content-length');
  const declared = contentLength === null ? Number.NaN : Number(contentLength);
  if (Number.isFinite(declared) && declared > limit) {
    stream?.cancel().catch(() => {});
    throw new BodyTooLargeError();
  }
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    // The Fetch standard promises Uint8Array chunks; anything else is a broken host.
    if (!(value instanceof Uint8Array)) {
      reader.cancel().catch(() => {});
      throw new TypeError('the request body stream yielded a chunk that is not a Uint8Array');
    }
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new BodyTooLargeError();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * The request headers as the lower-case record the core reads. Fetch `Headers` already
 * lower-cases names, but it also joins a field repeated on the wire into one value with ", "
 * (the Fetch standard's "combine"), and offers no way back to the separate lines. So the core
 * sees one string where Node's `headersDistinct` would show an array. Where the header is a list
 * (X-Forwarded-Client-Cert, Client-Cert-Chain) joining is what RFC 9110 §5.3 allows anyway; for a
 * singleton such as Authorization or Content-Type, the joined value does not parse and is
 * refused (where Node's `request.headers` silently keeps the first line): it fails closed.
 */
function headersRecord(headers: Headers): Record<string, string> {
  // A null prototype: a header named "__proto__" or "constructor" stays plain data.
  const record = Object.create(null) as Record<string, string>;
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

function toResponse(response: EndpointResponse): Response {
  return new Response(NULL_BODY_STATUSES.has(response.status) ? null : response.body, {
    status: response.status,
    headers: response.headers,
  });
}

/**
 * A Fetch API handler (`Request` in, `Response` out) for hosts built on web-standard requests:
 * Hono, Next.js route handlers and middleware, Deno, Bun, Workers-style runtimes. Requests for
 * the endpoint's paths (token, introspection, revocation, RFC 8414 metadata, JWKS) are answered;
 * any other path resolves to `undefined`, so a middleware can hand it on (`?? next()`). Use
 * {@link createStandaloneFetchHandler} where the host needs a `Response` for every request.
 *
 * Paths are matched exactly against the URL's pathname; the query string plays no part. The body
 * is read from `request.body` with the endpoint's exact `maxBodyBytes` cap (413 past it) and
 * parsed strictly by the core, so mount this before anything that consumes the body: a body the
 * host already read (`request.bodyUsed`) is refused as malformed.
 *
 * What is left to the host: the Fetch `Request` carries neither the TLS client certificate nor
 * the peer address, so pass them in `context` (see {@link FetchContext}). Two more Fetch
 * limitations: repeated header lines arrive joined with ", " (singletons then fail to parse and
 * are refused), and the `Request` constructor upper-cases the standard methods, so a client's
 * `post` arrives as `POST` (on Node's HTTP parser lower-case methods never get that far).
 *
 * @example
 * // Hono on @hono/node-server over https (requestCert: true, rejectUnauthorized: false)
 * const handle = createFetchHandler(endpoint);
 * app.use('*', async (c, next) => {
 *   const socket = c.env.incoming.socket;
 *   const response = await handle(c.req.raw, { tlsClientCertificate: certificateOf(socket), peerAddress: socket.remoteAddress });
 *   return response ?? next();
 * });
 * @see https://fetch.spec.whatwg.org/#request-class
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export function createFetchHandler(endpoint: TokenEndpoint): FetchHandler {
  if (typeof endpoint?.handlerFor !== 'function' || typeof endpoint.refuse !== 'function') {
    throw invalidOption('endpoint', 'must be the result of createTokenEndpoint()');
  }
  return async (request, context) => {
    const path = new URL(request.url).pathname;
    const handler = endpoint.handlerFor(path);
    if (!handler) return undefined;
    const base: EndpointRequest = {
      method: request.method,
      headers: headersRecord(request.headers),
      tlsClientCertificate: context?.tlsClientCertificate,
      peerAddress: context?.peerAddress,
    };
    let body: Uint8Array;
    try {
      body = await readBody(request, endpoint.maxBodyBytes);
    } catch (error) {
      // Too large, aborted by the client, already consumed: the same refusal (and operator
      // event) as the other adapters give.
      return toResponse(endpoint.refuse(base, error instanceof BodyTooLargeError ? 'body_too_large' : 'body_malformed', path));
    }
    return toResponse(await handler({ ...base, body }));
  };
}

/**
 * Like {@link createFetchHandler}, but every request gets a `Response`: a path that is not the
 * endpoint's gets a 404 with `{"error":"not_found"}` (the node adapter's answer). For hosts whose
 * handler must return a `Response`: `Deno.serve`, `Bun.serve`, a Workers `fetch` export, a
 * Next.js route handler.
 *
 * @example
 * const handle = createStandaloneFetchHandler(endpoint);
 * Deno.serve({ cert, key }, (request, info) => handle(request, { peerAddress: info.remoteAddr.hostname }));
 * // Next.js app/token/route.ts
 * export const POST = (request: Request) => handle(request);
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export function createStandaloneFetchHandler(endpoint: TokenEndpoint): StandaloneFetchHandler {
  const handle = createFetchHandler(endpoint);
  return async (request, context) => (await handle(request, context)) ?? toResponse(NOT_FOUND);
}
