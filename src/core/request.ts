import type { X509Certificate } from 'node:crypto';
import { OAuthError } from '../errors/errors.js';

/** Header values as Node gives them: lower-case names; repeated headers as arrays. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A form the host already parsed: repeated parameters must come as arrays so they can be refused. */
export type ParsedForm = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The certificate a client presented on the TLS connection to this server. */
export interface TlsClientCertificate {
  /** DER bytes or a parsed certificate. */
  readonly certificate: Uint8Array | X509Certificate;
  /** Intermediates the client sent after its certificate (leaf first order), if the host has them. */
  readonly intermediates?: readonly (Uint8Array | X509Certificate)[];
}

/**
 * The plain request every core handler takes — no framework type in sight. Adapters build it;
 * tests and exotic hosts can build it by hand.
 */
export interface EndpointRequest {
  readonly method: string;
  readonly headers: RequestHeaders;
  /** The raw body (string or bytes), or a form the host already parsed. */
  readonly body?: string | Uint8Array | ParsedForm | undefined;
  /** The client certificate from this server's own TLS socket. */
  readonly tlsClientCertificate?: TlsClientCertificate | undefined;
  /** The TCP peer address (for trusted-proxy decisions and events). */
  readonly peerAddress?: string | undefined;
}

/** RFC 6749 §3.2 / RFC 7662 §2.1: POST only. HTTP methods are case-sensitive (RFC 9110 §9.1). */
export function requirePost(request: EndpointRequest): void {
  if (request.method !== 'POST') throw new OAuthError('method_not_allowed', `method ${String(request.method).slice(0, 10)}`);
}

export function singleHeader(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return value.length === 1 ? value[0] : value.join(', ');
}
