import https from 'node:https';

/** What oauth4webapi and openid-client pass to their `customFetch` (a subset of `RequestInit`). */
export interface FetchLikeOptions {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: ArrayBuffer | ReadableStream | string | Uint8Array | URLSearchParams | null | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly redirect?: 'manual';
  readonly duplex?: 'half';
}

export type FetchLike = (url: string, options: FetchLikeOptions) => Promise<Response>;

export interface NodeHttpsFetchOptions {
  /** Trust anchors for the server certificate (PEM). */
  readonly ca: string;
  /** Client certificate chain and its key (PEM), presented in the TLS handshake for mTLS. */
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function bodyBytes(body: FetchLikeOptions['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('nodeHttpsFetch: streaming request bodies are not supported');
}

/**
 * A `fetch` over `node:https`, so the client libraries' requests can trust a private CA and
 * present a client certificate without touching process-wide TLS settings. `agent: false` gives
 * each request its own TLS connection (and so its own certificate).
 */
export function nodeHttpsFetch(options: NodeHttpsFetchOptions): FetchLike {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const payload = bodyBytes(init.body);
      const headers: Record<string, string> = { ...init.headers };
      if (payload !== undefined) headers['content-length'] = String(payload.length);
      const request = https.request(
        url,
        {
          method: init.method,
          headers,
          ca: options.ca,
          agent: false,
          ...(options.cert === undefined ? {} : { cert: options.cert }),
          ...(options.key === undefined ? {} : { key: options.key }),
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const responseHeaders = new Headers();
            for (let index = 0; index + 1 < response.rawHeaders.length; index += 2) {
              responseHeaders.append(response.rawHeaders[index] as string, response.rawHeaders[index + 1] as string);
            }
            const status = response.statusCode ?? 0;
            resolve(
              new Response(NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: response.statusMessage ?? '',
                headers: responseHeaders,
              }),
            );
          });
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
}
