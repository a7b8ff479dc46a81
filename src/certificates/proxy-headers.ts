/**
 * The client certificate as forwarded by a TLS-terminating proxy.
 *
 * SPEC "Mutual TLS": the certificate comes from the TLS socket, or from a header set by a
 * TLS-terminating proxy — read **only** when the request's peer address is in the configured
 * trusted-proxy list. This module is the second half of that sentence: given the request
 * headers and the configured format, it returns the DER bytes of the leaf certificate and of
 * the certificates sent with it. It decodes; it does not judge. X.509 parsing
 * (`parseCertificate`) and chain validation happen afterwards, exactly as for a socket
 * certificate — a forwarded certificate is trusted no more than one presented directly.
 *
 * Four formats, each decoded strictly (an unexpected byte is `proxy_header_malformed`, never a
 * guess):
 *
 * | format    | header(s)                                         | encoding                                   |
 * |-----------|---------------------------------------------------|--------------------------------------------|
 * | `nginx`   | `x-ssl-client-cert` (configurable)                | URL-encoded PEM, leaf only                 |
 * | `envoy`   | `x-forwarded-client-cert`                         | XFCC; `Cert`/`Chain` are URL-encoded PEM   |
 * | `rfc9440` | `client-cert`, `client-cert-chain`                | RFC 8941 byte sequences of DER             |
 * | `aws-alb` | `x-amzn-mtls-clientcert` (or `…-leaf`)            | URL-encoded PEM, leaf first then its chain |
 *
 * Whatever the format, `chainDer` follows RFC 9440 §2.3: the certificates that came with the
 * leaf, in TLS order (RFC 8446 §4.4.2: the leaf's issuer first), **without** the leaf itself.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2 (mutual TLS client authentication)
 * @see https://www.rfc-editor.org/rfc/rfc9440#section-2 (Client-Cert and Client-Cert-Chain)
 */
import { OAuthError, invalidOption } from '../errors/errors.js';
import { isPlainObject, sha256Text } from '../util/encoding.js';
import { nearestXfccElement, parseXfcc, xfccSingleValue } from './xfcc.js';

/** The header encodings we read, one per kind of TLS-terminating proxy. */
export const PROXY_CERTIFICATE_FORMATS = ['nginx', 'envoy', 'rfc9440', 'aws-alb'] as const;
export type ProxyCertificateFormat = (typeof PROXY_CERTIFICATE_FORMATS)[number];

/** Default cap on one header value: a leaf and a handful of intermediates, URL-encoded, with room to spare. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** Default cap on the certificates sent along with the leaf; real client chains have one or two. */
export const DEFAULT_MAX_CHAIN_LENGTH = 5;

/** Accepted bounds for the limits, checked by {@link validateProxySource}. */
const MAX_HEADER_BYTES_RANGE = { min: 1024, max: 1024 * 1024 } as const;
const MAX_CHAIN_LENGTH_RANGE = { min: 0, max: 16 } as const;

interface ProxySourceLimits {
  /**
   * Longest header value accepted, in octets (Node decodes header values as Latin-1, one
   * character per octet). Longer is `proxy_header_malformed`. Default 16 KiB.
   */
  readonly maxHeaderBytes?: number;
  /** Most certificates accepted after the leaf. More is `proxy_header_malformed`. Default 5. */
  readonly maxChainLength?: number;
}

/**
 * nginx: `proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;` — the leaf certificate
 * as URL-encoded PEM (nginx ≥ 1.13.5). nginx forwards no chain.
 *
 * @see https://nginx.org/en/docs/http/ngx_http_ssl_module.html#var_ssl_client_escaped_cert
 */
export interface NginxCertificateSource extends ProxySourceLimits {
  readonly format: 'nginx';
  /** Lower-case header name. Default `x-ssl-client-cert`. */
  readonly header?: string;
}

/**
 * Envoy: `x-forwarded-client-cert`, from `forward_client_cert_details: SANITIZE_SET` (or
 * `APPEND_FORWARD`) with `set_current_client_cert_details: { cert: true, chain: true }`. The
 * last element is used (see `nearestXfccElement`); its `Cert` is the leaf and its optional
 * `Chain` is the whole chain, leaf first.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-client-cert
 */
export interface EnvoyCertificateSource extends ProxySourceLimits {
  readonly format: 'envoy';
  readonly header?: 'x-forwarded-client-cert';
}

/**
 * RFC 9440: `Client-Cert` (a byte sequence of the leaf's DER, §2.2) and optional
 * `Client-Cert-Chain` (a list of byte sequences, §2.3).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9440#section-2
 */
export interface Rfc9440CertificateSource extends ProxySourceLimits {
  readonly format: 'rfc9440';
}

/**
 * AWS Application Load Balancer mutual TLS. Passthrough mode sends `X-Amzn-Mtls-Clientcert`:
 * "URL-encoded PEM format of the entire client certificate chain", leaf first. Verify mode
 * sends `X-Amzn-Mtls-Clientcert-Leaf`: the leaf alone, same encoding ("+=/ as safe
 * characters", so `+` is a literal plus, never a space).
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/mutual-authentication.html
 */
export interface AwsAlbCertificateSource extends ProxySourceLimits {
  readonly format: 'aws-alb';
  /** Default `x-amzn-mtls-clientcert` (passthrough); `x-amzn-mtls-clientcert-leaf` for verify mode. */
  readonly header?: 'x-amzn-mtls-clientcert' | 'x-amzn-mtls-clientcert-leaf';
}

/** Where and how a trusted proxy forwards the client certificate. Check it with {@link validateProxySource}. */
export type ProxyCertificateSource =
  | NginxCertificateSource
  | EnvoyCertificateSource
  | Rfc9440CertificateSource
  | AwsAlbCertificateSource;

/** Request headers with lower-cased names, as Node's `IncomingMessage#headers` (or `headersDistinct`). */
export type ForwardedHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The forwarded certificate, as DER. Nothing in it is validated yet. */
export interface ForwardedCertificate {
  /** The end-entity certificate the client presented in its TLS handshake. */
  readonly leafDer: Buffer;
  /** The certificates sent with it, issuer of the leaf first, the leaf excluded; often empty. */
  readonly chainDer: Buffer[];
}

const DEFAULT_HEADERS = {
  nginx: 'x-ssl-client-cert',
  envoy: 'x-forwarded-client-cert',
  'aws-alb': 'x-amzn-mtls-clientcert',
} as const;
const ALB_LEAF_HEADER = 'x-amzn-mtls-clientcert-leaf';
const CLIENT_CERT = 'client-cert';
const CLIENT_CERT_CHAIN = 'client-cert-chain';

/**
 * Reads the client certificate a trusted proxy forwarded in `headers`.
 *
 * Validated here: the header occurs once (RFC 9440 §2.2 calls `Client-Cert` a singleton; the
 * other formats carry one certificate per request too), its size, its encoding (URL-encoding,
 * strict RFC 7468 PEM with the `CERTIFICATE` label only, RFC 8941 byte sequences, the XFCC
 * grammar), that each certificate is one well-framed DER SEQUENCE, the chain length, and for
 * Envoy that `Chain` starts with `Cert` and that `Hash`, when present, is the SHA-256 of it.
 *
 * Left to the caller:
 * - calling this **only** when the peer address is a trusted proxy (`createAddressMatcher`);
 *   from anyone else these headers are attacker-controlled and must be ignored;
 * - making sure the proxy overwrites or strips client-sent copies of the header (RFC 9440 §4;
 *   Envoy `SANITIZE_SET`; nginx `proxy_set_header` does so);
 * - parsing the DER (`parseCertificate`) and validating the chain — nothing is verified here.
 *
 * An absent header — or an empty one, which is how some proxies say "no certificate" — is
 * `undefined`: the request presented no certificate.
 *
 * @throws {OAuthError} `proxy_header_malformed` for any malformed, repeated or oversized header.
 * @example
 * ```ts
 * const source = validateProxySource({ format: 'envoy' }, 'options.mtls.proxyHeader');
 * if (isTrustedProxy(request.socket.remoteAddress)) {
 *   const forwarded = extractForwardedCertificate(request.headers, source);
 *   // forwarded?.leafDer → parseCertificate(...) → chain validation
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9440#section-4 (security considerations)
 */
export function extractForwardedCertificate(
  headers: ForwardedHeaders,
  source: ProxyCertificateSource,
): ForwardedCertificate | undefined {
  const limits: Limits = {
    maxHeaderBytes: source.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    maxChainLength: source.maxChainLength ?? DEFAULT_MAX_CHAIN_LENGTH,
  };
  switch (source.format) {
    case 'nginx':
      return fromNginx(headers, (source.header ?? DEFAULT_HEADERS.nginx).toLowerCase(), limits);
    case 'envoy':
      return fromEnvoy(headers, (source.header ?? DEFAULT_HEADERS.envoy).toLowerCase(), limits);
    case 'rfc9440':
      return fromRfc9440(headers, limits);
    case 'aws-alb':
      return fromAwsAlb(headers, (source.header ?? DEFAULT_HEADERS['aws-alb']).toLowerCase(), limits);
    default:
      throw invalidOption('format', `must be one of ${formatList()}; check the source with validateProxySource`);
  }
}

/**
 * Checks a proxy-source configuration once, at construction, and returns it normalised
 * (lower-case header name) and frozen. Unknown members are refused so that a typo such as
 * `headr` fails at start-up instead of silently reading the default header.
 *
 * @throws {ConfigurationError} `ERR_M2M_INVALID_OPTION`, naming `<field>.<member>` and the fix.
 * @example
 * ```ts
 * const source = validateProxySource({ format: 'nginx', header: 'X-Client-Cert' }, 'options.mtls.proxyHeader');
 * // → { format: 'nginx', header: 'x-client-cert' }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9440#section-2
 */
export function validateProxySource(value: unknown, field: string): ProxyCertificateSource {
  if (!isPlainObject(value)) {
    throw invalidOption(field, `must be an object such as { format: "envoy" }; format is one of ${formatList()}`);
  }
  const format = value['format'];
  if (typeof format !== 'string' || !(PROXY_CERTIFICATE_FORMATS as readonly string[]).includes(format)) {
    throw invalidOption(`${field}.format`, `must be one of ${formatList()} (got ${describe(format)})`);
  }
  const allowed =
    format === 'rfc9440'
      ? ['format', 'maxHeaderBytes', 'maxChainLength']
      : ['format', 'header', 'maxHeaderBytes', 'maxChainLength'];
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const hint = key === 'header' ? '; RFC 9440 fixes the names Client-Cert and Client-Cert-Chain' : '';
      throw invalidOption(
        `${field}.${key}`,
        `is not an option of the "${format}" format (allowed: ${allowed.join(', ')})${hint}`,
      );
    }
  }

  const limits: { maxHeaderBytes?: number; maxChainLength?: number } = {};
  const maxHeaderBytes = value['maxHeaderBytes'];
  if (maxHeaderBytes !== undefined) {
    limits.maxHeaderBytes = integerIn(maxHeaderBytes, MAX_HEADER_BYTES_RANGE, `${field}.maxHeaderBytes`);
  }
  const maxChainLength = value['maxChainLength'];
  if (maxChainLength !== undefined) {
    limits.maxChainLength = integerIn(maxChainLength, MAX_CHAIN_LENGTH_RANGE, `${field}.maxChainLength`);
  }

  const header = value['header'];
  switch (format) {
    case 'rfc9440':
      return Object.freeze({ format, ...limits });
    case 'nginx': {
      if (header === undefined) return Object.freeze({ format, ...limits });
      if (typeof header !== 'string' || header.length === 0 || header.length > 256 || !isToken(header)) {
        throw invalidOption(
          `${field}.header`,
          `must be an HTTP header name (RFC 9110 §5.1 token) such as "x-ssl-client-cert" (got ${describe(header)})`,
        );
      }
      return Object.freeze({ format, header: header.toLowerCase(), ...limits });
    }
    case 'envoy': {
      if (header === undefined) return Object.freeze({ format, ...limits });
      if (typeof header !== 'string' || header.toLowerCase() !== DEFAULT_HEADERS.envoy) {
        throw invalidOption(
          `${field}.header`,
          'Envoy forwards the certificate in "x-forwarded-client-cert" only; remove the option or set it ' +
            `to that name (got ${describe(header)})`,
        );
      }
      return Object.freeze({ format, header: DEFAULT_HEADERS.envoy, ...limits });
    }
    default: {
      // aws-alb
      if (header === undefined) return Object.freeze({ format: 'aws-alb', ...limits });
      const lower = typeof header === 'string' ? header.toLowerCase() : undefined;
      if (lower !== DEFAULT_HEADERS['aws-alb'] && lower !== ALB_LEAF_HEADER) {
        throw invalidOption(
          `${field}.header`,
          'must be "x-amzn-mtls-clientcert" (passthrough mode, the default) or ' +
            `"x-amzn-mtls-clientcert-leaf" (verify mode) (got ${describe(header)})`,
        );
      }
      return Object.freeze({ format: 'aws-alb', header: lower, ...limits });
    }
  }
}

interface Limits {
  readonly maxHeaderBytes: number;
  readonly maxChainLength: number;
}

// ---------------------------------------------------------------------------------------------
// The four formats

function fromNginx(headers: ForwardedHeaders, name: string, limits: Limits): ForwardedCertificate | undefined {
  const value = readHeader(headers, name, limits.maxHeaderBytes, false);
  if (value === undefined) return undefined;
  const [leafDer] = decodePemCertificates(
    percentDecode(value, name),
    name,
    1,
    "nginx's $ssl_client_escaped_cert is the leaf certificate alone",
  );
  return certificate(leafDer, []);
}

function fromAwsAlb(headers: ForwardedHeaders, name: string, limits: Limits): ForwardedCertificate | undefined {
  const value = readHeader(headers, name, limits.maxHeaderBytes, false);
  if (value === undefined) return undefined;
  const leafOnly = name === ALB_LEAF_HEADER;
  const certificates = decodePemCertificates(
    percentDecode(value, name),
    name,
    leafOnly ? 1 : 1 + limits.maxChainLength,
    leafOnly ? 'the verify-mode header is the leaf certificate alone' : chainLimitHint(limits),
  );
  const [leafDer, ...chainDer] = certificates;
  return certificate(leafDer, chainDer);
}

function fromEnvoy(headers: ForwardedHeaders, name: string, limits: Limits): ForwardedCertificate | undefined {
  const value = readHeader(headers, name, limits.maxHeaderBytes, false);
  if (value === undefined) return undefined;
  const element = nearestXfccElement(parseXfcc(value, { maxLength: limits.maxHeaderBytes }));
  if (element === undefined) return undefined;

  const cert = xfccSingleValue(element, 'cert');
  const chain = xfccSingleValue(element, 'chain');
  if (cert === undefined && chain === undefined) {
    throw malformed(
      `${name}: the last element (added by the nearest proxy) has no Cert or Chain; ` +
        'set set_current_client_cert_details { cert: true } in Envoy',
    );
  }

  let leafDer: Buffer | undefined;
  let chainDer: Buffer[] = [];
  if (cert !== undefined) {
    [leafDer] = decodePemCertificates(percentDecode(cert, `${name} Cert`), `${name} Cert`, 1, 'Cert is the leaf alone');
  }
  if (chain !== undefined) {
    // Envoy docs: Chain is "the entire client certificate chain (including the leaf certificate)".
    const certificates = decodePemCertificates(
      percentDecode(chain, `${name} Chain`),
      `${name} Chain`,
      1 + limits.maxChainLength,
      chainLimitHint(limits),
    );
    const [first, ...rest] = certificates;
    if (leafDer !== undefined && first !== undefined && !first.equals(leafDer)) {
      throw malformed(`${name}: Chain does not start with the certificate in Cert`);
    }
    leafDer ??= first;
    chainDer = rest;
  }

  // Envoy's Hash is the hex SHA-256 of the peer certificate's DER: if present, it must agree,
  // or the element was assembled from two different handshakes.
  const hash = xfccSingleValue(element, 'hash');
  if (hash !== undefined && leafDer !== undefined && hash.toLowerCase() !== sha256Text(leafDer, 'hex')) {
    throw malformed(`${name}: Hash is not the SHA-256 of the forwarded certificate`);
  }
  return certificate(leafDer, chainDer);
}

function fromRfc9440(headers: ForwardedHeaders, limits: Limits): ForwardedCertificate | undefined {
  const certValue = readHeader(headers, CLIENT_CERT, limits.maxHeaderBytes, false);
  // RFC 9440 §2.3: Client-Cert-Chain "MAY have a list of values or occur multiple times".
  const chainValue = readHeader(headers, CLIENT_CERT_CHAIN, limits.maxHeaderBytes, true);
  if (certValue === undefined) {
    if (chainValue !== undefined) {
      throw malformed(
        `${CLIENT_CERT_CHAIN} without ${CLIENT_CERT}; ` +
          'RFC 9440 §2.3: it "MUST NOT appear unless Client-Cert is also present"',
      );
    }
    return undefined;
  }

  // RFC 9440 §2.2: Client-Cert is a single Byte Sequence (RFC 8941 §3.3.5), no parameters.
  const leaf = parseByteSequence(certValue, 0, CLIENT_CERT);
  if (leaf.next !== certValue.length) {
    const what =
      certValue.charCodeAt(leaf.next) === 0x3b
        ? 'parameters are not allowed'
        : 'it must hold exactly one byte sequence';
    throw malformed(`${CLIENT_CERT}: unexpected text at offset ${leaf.next}; ${what} (RFC 9440 §2.2)`);
  }

  // RFC 9440 §2.3: Client-Cert-Chain is a List (RFC 8941 §3.1) of Byte Sequences, parsed per
  // RFC 8941 §4.2.1: members separated by OWS "," OWS; a trailing comma fails.
  const chainDer: Buffer[] = [];
  if (chainValue !== undefined) {
    let i = 0;
    const end = chainValue.length;
    for (;;) {
      if (chainDer.length === limits.maxChainLength) {
        throw malformed(
          `${CLIENT_CERT_CHAIN}: more than ${limits.maxChainLength} certificates; ${chainLimitHint(limits)}`,
        );
      }
      const member = parseByteSequence(chainValue, i, CLIENT_CERT_CHAIN);
      chainDer.push(member.der);
      i = skipOws(chainValue, member.next);
      if (i === end) break;
      const c = chainValue.charCodeAt(i);
      if (c !== 0x2c) {
        const what = c === 0x3b ? 'parameters are not allowed' : 'expected ","';
        throw malformed(`${CLIENT_CERT_CHAIN}: unexpected text at offset ${i}; ${what} (RFC 8941 §4.2.1)`);
      }
      i = skipOws(chainValue, i + 1);
      if (i === end) throw malformed(`${CLIENT_CERT_CHAIN}: trailing "," (RFC 8941 §4.2.1)`);
    }
  }
  return certificate(leaf.der, chainDer);
}

// ---------------------------------------------------------------------------------------------
// Shared decoding

function malformed(detail: string): OAuthError {
  return new OAuthError('proxy_header_malformed', detail);
}

function certificate(leafDer: Buffer | undefined, chainDer: Buffer[]): ForwardedCertificate {
  // Every caller has decoded at least one certificate; this keeps the type honest.
  if (leafDer === undefined) throw malformed('no certificate found');
  return Object.freeze({ leafDer, chainDer });
}

function chainLimitHint(limits: Limits): string {
  return `at most ${limits.maxChainLength} may follow the leaf (maxChainLength)`;
}

/**
 * One header value, or `undefined` when absent or empty. A header repeated on the wire reaches
 * us as an array (Node's `headersDistinct`, some frameworks): ambiguous, so malformed — except
 * for list fields (`joinList`), whose lines RFC 9110 §5.3 lets us join with ",".
 */
function readHeader(headers: ForwardedHeaders, name: string, maxBytes: number, joinList: boolean): string | undefined {
  const raw: unknown = Object.hasOwn(headers, name) ? headers[name] : undefined;
  let value: string;
  if (raw === undefined) {
    return undefined;
  } else if (typeof raw === 'string') {
    value = raw;
  } else if (Array.isArray(raw) && raw.every((item): item is string => typeof item === 'string')) {
    if (raw.length === 0) return undefined;
    if (raw.length > 1 && !joinList) {
      throw malformed(`${name}: the header appears ${raw.length} times; a proxy must send it exactly once`);
    }
    value = raw.join(', ');
  } else {
    throw malformed(`${name}: the header value is not a string`);
  }
  if (value.length > maxBytes) {
    throw malformed(
      `${name}: the header is ${value.length} octets long, over the ${maxBytes}-octet limit (maxHeaderBytes)`,
    );
  }
  // Node strips surrounding whitespace already; other adapters may not (RFC 9110 §5.5 OWS).
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  if (start === end) return undefined;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * URL-decoding for nginx (`ngx_escape_uri`), Envoy and ALB: plain RFC 3986 percent-decoding.
 * `+` stays `+` — it is base64, and ALB explicitly leaves it unescaped — never a space.
 */
function percentDecode(value: string, where: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw malformed(`${where}: invalid percent-encoding`);
  }
}

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';
const LINE_BREAK = /\r?\n/;

/**
 * Strict RFC 7468 §2 PEM: one or more `CERTIFICATE` blocks, each a BEGIN line, base64 lines and
 * the matching END line; line breaks (LF or CRLF) between and after blocks; nothing else — no
 * explanatory text, no other label (`PRIVATE KEY`, `TRUSTED CERTIFICATE`, `X509 CERTIFICATE`),
 * no whitespace inside lines, padding only at the very end of a body.
 */
function decodePemCertificates(text: string, where: string, limit: number, limitHint: string): Buffer[] {
  const lines = text.split(LINE_BREAK);
  const certificates: Buffer[] = [];
  let body: string[] | undefined;
  let padded = false;
  for (const [index, line] of lines.entries()) {
    const lineNumber = index + 1;
    // The empty string after a final line break is not a line.
    if (line.length === 0 && index === lines.length - 1 && index > 0) continue;
    if (body === undefined) {
      if (line === PEM_BEGIN) {
        if (certificates.length === limit) {
          throw malformed(`${where}: more than ${limit} certificate${limit === 1 ? '' : 's'}; ${limitHint}`);
        }
        body = [];
        padded = false;
      } else if (line.length === 0 && certificates.length > 0) {
        // a line break after an END line
      } else {
        const label = pemLabel(line, '-----BEGIN ');
        if (label !== undefined) {
          throw malformed(`${where}: PEM label ${label} on line ${lineNumber}; only CERTIFICATE is accepted`);
        }
        throw malformed(
          certificates.length === 0 && index === 0
            ? `${where}: does not start with "${PEM_BEGIN}"`
            : `${where}: unexpected text outside a PEM block on line ${lineNumber}`,
        );
      }
      continue;
    }
    if (line === PEM_END) {
      certificates.push(decodeBase64Certificate(body.join(''), `${where} certificate ${certificates.length + 1}`));
      body = undefined;
      continue;
    }
    if (pemLabel(line, '-----END ') !== undefined || pemLabel(line, '-----BEGIN ') !== undefined) {
      throw malformed(`${where}: line ${lineNumber} is not "${PEM_END}"`);
    }
    if (padded) throw malformed(`${where}: base64 continues after "=" padding on line ${lineNumber}`);
    if (line.length === 0) throw malformed(`${where}: empty line inside a PEM block on line ${lineNumber}`);
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (isBase64(c)) continue;
      if (c === 0x3d && line.length - i <= 2 && isAllPadding(line, i)) {
        padded = true;
        break;
      }
      throw malformed(`${where}: ${charName(c)} at column ${i + 1} of line ${lineNumber} is not base64`);
    }
    body.push(line);
  }
  if (body !== undefined) throw malformed(`${where}: PEM block without "${PEM_END}"`);
  if (certificates.length === 0) throw malformed(`${where}: no certificate`);
  return certificates;
}

/** `-----BEGIN X-----` with a plain-text label (RFC 7468 §3 shape) → `"X"`, quoted for the detail. */
function pemLabel(line: string, prefix: string): string | undefined {
  if (!line.startsWith(prefix) || !line.endsWith('-----') || line.length < prefix.length + 6) return undefined;
  const label = line.slice(prefix.length, -5);
  return /^[A-Z0-9][A-Z0-9 -]{0,39}$/.test(label) ? `"${label}"` : undefined;
}

function isAllPadding(line: string, from: number): boolean {
  for (let i = from; i < line.length; i++) if (line.charCodeAt(i) !== 0x3d) return false;
  return true;
}

/** The PEM body: padded, canonical base64 (RFC 4648 §3.5: pad bits must be zero). */
function decodeBase64Certificate(base64: string, where: string): Buffer {
  if (base64.length === 0) throw malformed(`${where}: empty base64 body`);
  if (base64.length % 4 !== 0) throw malformed(`${where}: base64 body is not a whole number of 4-character groups`);
  const der = Buffer.from(base64, 'base64');
  if (der.toString('base64') !== base64) {
    throw malformed(`${where}: base64 body is not canonical (non-zero padding bits)`);
  }
  checkDerFraming(der, where);
  return der;
}

/**
 * RFC 8941 §3.3.5 / §4.2.7 byte sequence at `value[start]`: ":" base64 ":". The alphabet is
 * enforced; missing "=" padding and non-zero pad bits are tolerated because §4.2.7 says
 * parsers "SHOULD NOT fail" on them.
 */
function parseByteSequence(value: string, start: number, where: string): { der: Buffer; next: number } {
  if (value.charCodeAt(start) !== 0x3a) {
    throw malformed(`${where}: expected a byte sequence ":<base64 DER>:" (RFC 8941 §3.3.5) at offset ${start}`);
  }
  const contentStart = start + 1;
  let i = contentStart;
  let padding = 0;
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x3a) break;
    if (c === 0x3d) {
      padding++;
      continue;
    }
    if (padding > 0 || !isBase64(c)) {
      const problem = padding > 0 && isBase64(c) ? 'base64 continues after "=" padding' : `${charName(c)} is not base64`;
      throw malformed(`${where}: ${problem} at offset ${i} (RFC 8941 §4.2.7)`);
    }
  }
  if (i === value.length) throw malformed(`${where}: byte sequence starting at offset ${start} has no closing ":"`);
  const content = value.slice(contentStart, i);
  const unpadded = content.length - padding;
  if (padding > 2 || (padding > 0 && content.length % 4 !== 0) || unpadded % 4 === 1) {
    throw malformed(`${where}: byte sequence at offset ${start} is not valid base64 (RFC 8941 §4.2.7)`);
  }
  const der = Buffer.from(content, 'base64');
  checkDerFraming(der, `${where} at offset ${start}`);
  return { der, next: i + 1 };
}

/**
 * The outer frame only: one DER SEQUENCE (tag 0x30, definite minimal length) spanning every
 * byte. Enough to refuse base64 of something that is not a certificate and to know where each
 * certificate ends; what is inside is `parseCertificate`'s business.
 */
function checkDerFraming(der: Buffer, where: string): void {
  const fail = (why: string): OAuthError => malformed(`${where}: not a DER certificate (${why})`);
  if (der.length < 2 || der[0] !== 0x30) throw fail('does not start with a SEQUENCE');
  const first = der[1] ?? 0;
  let length: number;
  let headerLength: number;
  if (first < 0x80) {
    length = first;
    headerLength = 2;
  } else {
    const octets = first & 0x7f;
    if (octets === 0) throw fail('indefinite length');
    if (octets > 4) throw fail('length too large');
    if (der.length < 2 + octets || der[2] === 0) throw fail('non-minimal length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (der[2 + i] ?? 0);
    if (length < 0x80) throw fail('non-minimal length');
    headerLength = 2 + octets;
  }
  if (headerLength + length !== der.length) throw fail('length does not match the data');
}

function isBase64(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function skipOws(value: string, i: number): number {
  while (i < value.length && isOws(value.charCodeAt(i))) i++;
  return i;
}

/** RFC 9110 §5.6.2 token, for configured header names. */
function isToken(value: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value);
}

function charName(c: number): string {
  return Number.isNaN(c) ? 'end of input' : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

function formatList(): string {
  return PROXY_CERTIFICATE_FORMATS.map((format) => `"${format}"`).join(', ');
}

function integerIn(value: unknown, range: { readonly min: number; readonly max: number }, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalidOption(field, `must be an integer from ${range.min} to ${range.max} (got ${describe(value)})`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
