import { X509Certificate } from 'node:crypto';
import { type ParsedCertificate, parseCertificate } from '../certificates/certificate.js';
import { type ProxyCertificateSource, extractForwardedCertificate } from '../certificates/proxy-headers.js';
import type { PresentedCertificate } from '../client-auth/authenticate.js';
import { sha256Text } from '../util/encoding.js';
import type { EndpointRequest } from './request.js';

/** The slice of configuration that decides where a request's client certificate comes from. */
export interface CertificateSourceConfig {
  /** True for peer addresses allowed to forward a client certificate in a header. */
  readonly isTrustedProxy: (address: string | undefined) => boolean;
  /** The header format trusted proxies use; `undefined` when no proxy is trusted. */
  readonly proxySource: ProxyCertificateSource | undefined;
}

export interface ResolvedCertificate {
  readonly certificate: PresentedCertificate | undefined;
  /** A forwarded-certificate header arrived from a peer that is not a trusted proxy, and was ignored. */
  readonly untrustedProxyHeader: boolean;
}

const DEFAULT_PROXY_HEADERS = ['x-ssl-client-cert', 'x-forwarded-client-cert', 'client-cert', 'client-cert-chain', 'x-amzn-mtls-clientcert', 'x-amzn-mtls-clientcert-leaf'];

function lazily<T>(compute: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value as T;
  };
}

function presented(leaf: Uint8Array | X509Certificate, intermediates: readonly (Uint8Array | X509Certificate)[], source: 'tls' | 'proxy'): PresentedCertificate {
  const der = leaf instanceof X509Certificate ? leaf.raw : leaf;
  return {
    // Binding needs only the thumbprint; the certificate is parsed when a method needs it.
    thumbprintS256: sha256Text(der, 'base64url'),
    source,
    leaf: lazily(() => parseCertificate(leaf)),
    intermediates: lazily((): readonly ParsedCertificate[] => intermediates.map((certificate) => parseCertificate(certificate))),
  };
}

/** What is derived from one certificate object that the TLS adapter hands over on every request of a connection. */
interface SocketCertificateMemo {
  /** A private copy of the DER the memo was made from (`undefined` for an X509Certificate, which cannot change). */
  readonly der: Buffer | undefined;
  readonly thumbprintS256: string;
  parsed: ParsedCertificate | undefined;
  /** The last answer built for this leaf, reused while the same intermediates (array and bytes) come with it. */
  lastPresented: { readonly intermediates: readonly unknown[]; readonly intermediateMemos: readonly SocketCertificateMemo[]; readonly presented: PresentedCertificate } | undefined;
}

const socketCertificates = new WeakMap<Uint8Array | X509Certificate, SocketCertificateMemo>();

/**
 * The memo of a socket certificate object: adapters read the peer certificate once per TLS
 * connection and pass the same objects with every keep-alive request, so its thumbprint and parse
 * are computed once per connection instead of per request. A byte array is only trusted to be the
 * same certificate while its bytes equal the copy taken (a caller may reuse a buffer); failures
 * are not memoised.
 */
function socketCertificateMemo(input: Uint8Array | X509Certificate): SocketCertificateMemo {
  const known = socketCertificates.get(input);
  if (known !== undefined && (known.der === undefined || known.der.equals(input as Uint8Array))) return known;
  const x509 = input instanceof X509Certificate;
  const der = x509 ? input.raw : input;
  const memo: SocketCertificateMemo = { der: x509 ? undefined : Buffer.from(der), thumbprintS256: sha256Text(der, 'base64url'), parsed: undefined, lastPresented: undefined };
  socketCertificates.set(input, memo);
  return memo;
}

function parseSocketCertificate(input: Uint8Array | X509Certificate, memo = socketCertificateMemo(input)): ParsedCertificate {
  memo.parsed ??= parseCertificate(memo.der ?? input);
  return memo.parsed;
}

const memoisable = (value: unknown): value is Uint8Array | X509Certificate => value instanceof Uint8Array || value instanceof X509Certificate;

/**
 * `presented` for the TLS socket's certificate: the same answers, memoised per certificate object.
 * A keep-alive connection gets the very same object back on every request (nothing allocated),
 * as long as its leaf and intermediates are the same objects with the same bytes.
 */
function presentedFromSocket(leaf: Uint8Array | X509Certificate, intermediates: readonly (Uint8Array | X509Certificate)[]): PresentedCertificate {
  // Anything else an untyped caller passes takes the unmemoised path, and fails (or not) as before.
  if (!memoisable(leaf) || !Array.isArray(intermediates) || !intermediates.every(memoisable)) return presented(leaf, intermediates, 'tls');
  const memo = socketCertificateMemo(leaf);
  const last = memo.lastPresented;
  if (
    last !== undefined && last.intermediates === intermediates && last.intermediateMemos.length === intermediates.length &&
    intermediates.every((certificate, index) => socketCertificateMemo(certificate) === last.intermediateMemos[index])
  ) {
    return last.presented;
  }
  const intermediateMemos = intermediates.map(socketCertificateMemo);
  const answer: PresentedCertificate = {
    thumbprintS256: memo.thumbprintS256,
    source: 'tls',
    leaf: () => parseSocketCertificate(leaf, memo),
    intermediates: lazily((): readonly ParsedCertificate[] => intermediates.map((certificate, index) => parseSocketCertificate(certificate, intermediateMemos[index]))),
  };
  memo.lastPresented = { intermediates, intermediateMemos, presented: answer };
  return answer;
}

const NO_INTERMEDIATES: readonly (Uint8Array | X509Certificate)[] = Object.freeze([]);

/**
 * RFC 8705 §2 and SPEC.md: the certificate comes from this server's TLS socket, or — only when
 * the TCP peer is a configured trusted proxy — from the proxy's header. A request through a
 * trusted proxy never uses the socket certificate (that is the proxy's own). A header from any
 * other peer is ignored, and reported (looked for only when `reportUntrustedHeaders`).
 *
 * @throws OAuthError proxy_header_malformed for a trusted proxy's unreadable header.
 */
export function resolveClientCertificate(request: EndpointRequest, config: CertificateSourceConfig, reportUntrustedHeaders = true): ResolvedCertificate {
  if (config.proxySource && config.isTrustedProxy(request.peerAddress)) {
    const forwarded = extractForwardedCertificate(request.headers, config.proxySource);
    return { certificate: forwarded ? presented(forwarded.leafDer, forwarded.chainDer, 'proxy') : undefined, untrustedProxyHeader: false };
  }
  // Only events report it: with nobody listening, the header lookups are skipped.
  const untrustedProxyHeader = reportUntrustedHeaders && (DEFAULT_PROXY_HEADERS.some((name) => request.headers[name] !== undefined) ||
    (config.proxySource?.format === 'nginx' && config.proxySource.header !== undefined && request.headers[config.proxySource.header] !== undefined));
  const tls = request.tlsClientCertificate;
  return {
    certificate: tls ? presentedFromSocket(tls.certificate, tls.intermediates ?? NO_INTERMEDIATES) : undefined,
    untrustedProxyHeader,
  };
}
