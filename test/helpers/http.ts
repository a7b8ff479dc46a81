import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

export interface HttpRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Trust anchors for the server certificate. */
  readonly ca: string;
  /** A client certificate chain and key to present in the TLS handshake. */
  readonly clientCertificate?: { readonly chainPem: string; readonly privateKeyPem: string } | undefined;
}

/** The whole response: status, headers, body as text and, when it is JSON, parsed. */
export function readHttpResult(response: IncomingMessage): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // Non-JSON bodies are asserted through `text`.
      }
      resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
    });
    response.on('error', reject);
  });
}

/** One real HTTPS request over loopback (no keep-alive, so each gets its own TLS handshake). */
export function httpsRequest(url: string, options: HttpRequestOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: options.method ?? 'POST',
        headers: options.headers,
        ca: options.ca,
        agent: false,
        ...(options.clientCertificate ? { cert: options.clientCertificate.chainPem, key: options.clientCertificate.privateKeyPem } : {}),
      },
      (response) => readHttpResult(response).then(resolve, reject),
    );
    request.on('error', reject);
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}

/** application/x-www-form-urlencoded, as RFC 6749 Appendix B encodes it. */
export function formBody(parameters: Record<string, string | readonly string[] | undefined>): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) continue;
    for (const item of typeof value === 'string' ? [value] : value) {
      pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(item)}`.replace(/%20/g, '+'));
    }
  }
  return pairs.join('&');
}

export const FORM_CONTENT_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };
