/** The plain response every core handler returns; adapters copy it onto their framework's reply. */
export interface EndpointResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** RFC 6749 §5.1: token and error responses must not be cached. */
const NO_STORE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
} as const;

export function jsonResponse(
  status: number,
  body: unknown,
  extraHeaders?: Readonly<Record<string, string>>,
): EndpointResponse {
  return {
    status,
    headers: extraHeaders ? { ...NO_STORE_HEADERS, ...extraHeaders } : NO_STORE_HEADERS,
    body: JSON.stringify(body),
  };
}

/** Like `jsonResponse`, for a body the caller has already serialised as JSON text. */
export function jsonTextResponse(status: number, json: string): EndpointResponse {
  return { status, headers: NO_STORE_HEADERS, body: json };
}

/** A public, cacheable JSON document (metadata, JWKS). */
export function publicJsonResponse(body: unknown, maxAgeSeconds: number): EndpointResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': `public, max-age=${maxAgeSeconds}`,
    },
    body: JSON.stringify(body),
  };
}
