/**
 * RFC 8705 §2 with a TLS-terminating proxy in front: the client certificate arrives in a header
 * (nginx, Envoy XFCC, RFC 9440, AWS ALB), believed only from a configured trusted proxy and
 * chain-validated like a socket certificate. Real HTTPS through every adapter; the requests come
 * from 127.0.0.1, which is the "proxy".
 */
import { X509Certificate, createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { MtlsOptions } from '../../src/core/options.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import { type TestIdentity, type TestPki, createTestPki } from '../../src/testing/pki.js';
import { type AdapterUnderTest, type ConformanceContext, createConformanceContext, mount } from '../helpers/context.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';

type Format = 'nginx' | 'envoy' | 'rfc9440' | 'aws-alb';
const FORMATS: readonly Format[] = ['nginx', 'envoy', 'rfc9440', 'aws-alb'];
const SUBJECT = 'CN=svc,O=Acme Corp';
const TRUSTED_PROXIES = ['127.0.0.1/32', '::1'];

interface Material {
  readonly context: ConformanceContext;
  readonly pki: TestPki;
  /** Issued by the intermediate: forwarded with its chain (Envoy, RFC 9440, ALB). */
  readonly leaf: TestIdentity;
  /** Issued by the root itself: nginx forwards the leaf alone. */
  readonly rootIssuedLeaf: TestIdentity;
  /** Same subject, another CA. */
  readonly untrusted: TestIdentity;
  readonly clients: ClientMetadata[];
}

let material: Material;

beforeAll(async () => {
  const context = await createConformanceContext();
  const { pki } = context;
  const rogue = await createTestPki({ commonNamePrefix: 'rogue' });
  const [leaf, rootIssuedLeaf, untrusted] = await Promise.all([
    pki.issueClientCertificate({ subject: SUBJECT }),
    pki.issueClientCertificate({ subject: SUBJECT, issuer: pki.root }),
    rogue.issueClientCertificate({ subject: SUBJECT }),
  ]);
  const clients: ClientMetadata[] = [
    { client_id: 'proxied', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: SUBJECT, tls_client_certificate_bound_access_tokens: true, scope: 'read' },
  ];
  material = { context, pki, leaf, rootIssuedLeaf, untrusted, clients };
});

// ------------------------------------------------------------------------------------------------
// How each proxy writes the certificate (independently of src/certificates/proxy-headers.ts).

function pemCertificates(chainPem: string): string[] {
  return chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}
function derOf(pem: string): Buffer {
  return Buffer.from(new X509Certificate(pem).raw);
}
/** Envoy's XFCC element for one client certificate: Hash is hex SHA-256 of the DER; Cert and Chain URL-encoded PEM. */
function xfccElement(identity: TestIdentity): string {
  const hash = createHash('sha256').update(derOf(identity.certificatePem)).digest('hex');
  return `By=spiffe://proxy.example/envoy;Hash=${hash};Cert="${encodeURIComponent(identity.certificatePem)}";Chain="${encodeURIComponent(identity.chainPem)}";Subject="${SUBJECT}"`;
}
/** AWS ALB: URL-encoded PEM chain "with +=/ as safe characters". */
function albEncode(text: string): string {
  return encodeURIComponent(text).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/');
}
function byteSequence(pem: string): string {
  return `:${derOf(pem).toString('base64')}:`;
}

/** The headers a proxy of `format` sets for a client that presented `identity`. */
function forwardedHeaders(format: Format, identity: TestIdentity): Record<string, string> {
  switch (format) {
    case 'nginx':
      return { 'x-ssl-client-cert': encodeURIComponent(identity.certificatePem) };
    case 'envoy':
      return { 'x-forwarded-client-cert': xfccElement(identity) };
    case 'rfc9440': {
      const [, ...chain] = pemCertificates(identity.chainPem);
      return {
        'client-cert': byteSequence(identity.certificatePem),
        ...(chain.length > 0 ? { 'client-cert-chain': chain.map(byteSequence).join(', ') } : {}),
      };
    }
    case 'aws-alb':
      return { 'x-amzn-mtls-clientcert': albEncode(identity.chainPem) };
  }
}

const HEADER_NAME: Record<Format, string> = {
  nginx: 'x-ssl-client-cert',
  envoy: 'x-forwarded-client-cert',
  rfc9440: 'client-cert',
  'aws-alb': 'x-amzn-mtls-clientcert',
};

/** nginx forwards no chain, so its leaf must be issued by a trust anchor. */
const leafFor = (format: Format): TestIdentity => (format === 'nginx' ? material.rootIssuedLeaf : material.leaf);

function relabel(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '-----$1 TRUSTED CERTIFICATE-----');
}

/** Malformed values per format: what a broken or misconfigured proxy could send. */
function malformedHeaders(format: Format): [string, Record<string, string>][] {
  const name = HEADER_NAME[format];
  const pem = material.leaf.certificatePem;
  const cases: [string, Record<string, string>][] = [['garbage', { [name]: 'garbage' }]];
  switch (format) {
    case 'nginx':
      cases.push(['a PEM block labelled TRUSTED CERTIFICATE', { [name]: encodeURIComponent(relabel(pem)) }]);
      cases.push(['an unterminated PEM block', { [name]: encodeURIComponent(pem.replace(/-----END CERTIFICATE-----\n?$/, '')) }]);
      break;
    case 'envoy':
      cases.push(['a Cert labelled TRUSTED CERTIFICATE', { [name]: `Cert="${encodeURIComponent(relabel(pem))}"` }]);
      cases.push(['an unterminated quote', { [name]: `By=spiffe://proxy;Cert="${encodeURIComponent(pem)}` }]);
      cases.push(['a Hash that is not the SHA-256 of Cert', { [name]: xfccElement(material.leaf).replace(/Hash=[0-9a-f]{64}/, `Hash=${'0'.repeat(64)}`) }]);
      break;
    case 'rfc9440':
      cases.push(['base64 of PEM text instead of DER', { [name]: `:${Buffer.from(pem).toString('base64')}:` }]);
      cases.push(['an unterminated byte sequence', { [name]: byteSequence(pem).slice(0, -1) }]);
      break;
    case 'aws-alb':
      cases.push(['a PEM block labelled TRUSTED CERTIFICATE', { [name]: albEncode(relabel(pem)) }]);
      cases.push(['text outside the PEM blocks', { [name]: albEncode(`subject=${SUBJECT}\n${pem}`) }]);
      break;
  }
  return cases;
}

// ------------------------------------------------------------------------------------------------

describe.each(ADAPTERS)('RFC 8705 §2 forwarded client certificates through the %s adapter', (adapter) => {
  function endpointWith(mtls: Omit<MtlsOptions, 'trustAnchors'>): TokenEndpoint {
    return material.context.createEndpoint({ clients: material.clients, mtls: { trustAnchors: material.pki.trustAnchorsPem, ...mtls } });
  }

  function requestToken(
    target: AdapterUnderTest,
    endpoint: TokenEndpoint,
    headers: Record<string, string>,
    socketCertificate?: TestIdentity,
  ): Promise<HttpResult> {
    return httpsRequest(`${target.server.origin}${endpoint.paths.token}`, {
      method: 'POST',
      headers: { ...FORM_CONTENT_TYPE, ...headers },
      body: formBody({ grant_type: 'client_credentials', client_id: 'proxied' }),
      ca: material.pki.trustAnchorsPem,
      clientCertificate: socketCertificate ? { chainPem: socketCertificate.chainPem, privateKeyPem: socketCertificate.privateKeyPem } : undefined,
    });
  }

  function expectBoundTo(response: HttpResult, identity: TestIdentity): void {
    expect(response.status, response.text).toBe(200);
    const thumbprint = createHash('sha256').update(derOf(identity.certificatePem)).digest('base64url');
    expect(decodeJwt(String(response.json.access_token)).cnf).toEqual({ 'x5t#S256': thumbprint });
  }

  function expectRefused(target: AdapterUnderTest, response: HttpResult, reason: string, status = 401, error = 'invalid_client'): void {
    expect(response.status, response.text).toBe(status);
    expect(response.json.error).toBe(error);
    expect(target.lastEvent().reason).toBe(reason);
  }

  describe.each(FORMATS)('"a header set by a TLS-terminating proxy", %s format, from a trusted proxy', (format) => {
    let endpoint: TokenEndpoint;
    let server: AdapterUnderTest;

    beforeAll(async () => {
      endpoint = endpointWith({ trustedProxies: TRUSTED_PROXIES, proxyCertificateSource: { format } });
      server = await mount(adapter, material.context, endpoint);
    });
    afterAll(() => server.server.close());

    it('authenticates a tls_client_auth client with the forwarded certificate and binds the token to it', async () => {
      const leaf = leafFor(format);
      const response = await requestToken(server, endpoint, forwardedHeaders(format, leaf));
      expectBoundTo(response, leaf);
      const event = server.lastEvent();
      expect(event.type).toBe('token_issued');
      expect(event.certificateSource).toBe('proxy');
      expect(event.credentialId).toBe(leaf.x5tS256);
      expect(event.untrustedProxyHeader).toBe(false);
    });
    it('chain-validates the forwarded certificate like a socket one: an untrusted CA is refused (certificate_untrusted)', async () => {
      const response = await requestToken(server, endpoint, forwardedHeaders(format, material.untrusted));
      expectRefused(server, response, 'certificate_untrusted');
    });
    it('does not use the socket certificate (the proxy\'s own connection) when the header is absent (certificate_missing)', async () => {
      const response = await requestToken(server, endpoint, {}, material.leaf);
      expectRefused(server, response, 'certificate_missing');
    });
    it('ignores the socket certificate when the header is present: the token is bound to the forwarded one', async () => {
      const leaf = leafFor(format);
      const socket = format === 'nginx' ? material.leaf : material.rootIssuedLeaf;
      expectBoundTo(await requestToken(server, endpoint, forwardedHeaders(format, leaf), socket), leaf);
    });
  });

  describe('Envoy x-forwarded-client-cert: "each XFCC element ... added by a single proxy" — the last one is the nearest', () => {
    let endpoint: TokenEndpoint;
    let server: AdapterUnderTest;

    beforeAll(async () => {
      endpoint = endpointWith({ trustedProxies: TRUSTED_PROXIES, proxyCertificateSource: { format: 'envoy' } });
      server = await mount(adapter, material.context, endpoint);
    });
    afterAll(() => server.server.close());

    it('uses the last of two comma-separated elements', async () => {
      const header = `${xfccElement(material.untrusted)},${xfccElement(material.leaf)}`;
      expectBoundTo(await requestToken(server, endpoint, { 'x-forwarded-client-cert': header }), material.leaf);
    });
    it('judges the last element even when an earlier one is trustworthy', async () => {
      const header = `${xfccElement(material.leaf)}, ${xfccElement(material.untrusted)}`;
      expectRefused(server, await requestToken(server, endpoint, { 'x-forwarded-client-cert': header }), 'certificate_untrusted');
    });
  });

  describe('"read only when the request\'s peer address is in a configured trusted-proxy list": an untrusted peer', () => {
    let endpoint: TokenEndpoint;
    let server: AdapterUnderTest;

    beforeAll(async () => {
      endpoint = endpointWith({ trustedProxies: ['10.0.0.0/8'], proxyCertificateSource: { format: 'nginx' } });
      server = await mount(adapter, material.context, endpoint);
    });
    afterAll(() => server.server.close());

    it.each(FORMATS)('ignores a %s header from 127.0.0.1 (certificate_missing) and reports untrustedProxyHeader', async (format) => {
      const response = await requestToken(server, endpoint, forwardedHeaders(format, leafFor(format)));
      expectRefused(server, response, 'certificate_missing');
      expect(server.lastEvent().untrustedProxyHeader).toBe(true);
      expect(server.lastEvent().peerAddress).toMatch(/127\.0\.0\.1$/);
    });
    it('uses the socket certificate instead of the header when both are presented', async () => {
      const response = await requestToken(server, endpoint, forwardedHeaders('nginx', material.rootIssuedLeaf), material.leaf);
      expectBoundTo(response, material.leaf);
      const event = server.lastEvent();
      expect(event.certificateSource).toBe('tls');
      expect(event.untrustedProxyHeader).toBe(true);
    });
  });

  describe('a malformed forwarded header is a clean 400 invalid_request (proxy_header_malformed), never a 5xx or a crash', () => {
    const servers = new Map<Format, { endpoint: TokenEndpoint; server: AdapterUnderTest }>();
    let limited: { endpoint: TokenEndpoint; server: AdapterUnderTest };

    beforeAll(async () => {
      for (const format of FORMATS) {
        const endpoint = endpointWith({ trustedProxies: TRUSTED_PROXIES, proxyCertificateSource: { format } });
        servers.set(format, { endpoint, server: await mount(adapter, material.context, endpoint) });
      }
      const endpoint = endpointWith({ trustedProxies: TRUSTED_PROXIES, proxyCertificateSource: { format: 'nginx', maxHeaderBytes: 8192 } });
      limited = { endpoint, server: await mount(adapter, material.context, endpoint) };
    });
    afterAll(async () => {
      await Promise.all([...servers.values(), limited].map(({ server }) => server.server.close()));
    });

    describe.each(FORMATS)('%s', (format) => {
      it('refuses each malformed value with 400 proxy_header_malformed, then answers a valid request', async () => {
        const { endpoint, server } = servers.get(format) as { endpoint: TokenEndpoint; server: AdapterUnderTest };
        for (const [what, headers] of malformedHeaders(format)) {
          const response = await requestToken(server, endpoint, headers);
          expect(response.status, `${what}: ${response.text}`).toBe(400);
          expect(response.json.error, what).toBe('invalid_request');
          expect(server.lastEvent().reason, what).toBe('proxy_header_malformed');
          expect(Object.keys(response.json).sort(), what).toEqual(['error', 'error_description']);
        }
        expectBoundTo(await requestToken(server, endpoint, forwardedHeaders(format, leafFor(format))), leafFor(format));
      });
      it('answers a 20 KiB header with a 4xx from the HTTP server or the endpoint, then answers a valid request', async () => {
        const { endpoint, server } = servers.get(format) as { endpoint: TokenEndpoint; server: AdapterUnderTest };
        const response = await requestToken(server, endpoint, { [HEADER_NAME[format]]: 'A'.repeat(20 * 1024) });
        expect([400, 431]).toContain(response.status);
        expectBoundTo(await requestToken(server, endpoint, forwardedHeaders(format, leafFor(format))), leafFor(format));
      });
    });

    it('refuses a header over the configured maxHeaderBytes with proxy_header_malformed', async () => {
      const { endpoint, server } = limited;
      const oversized = encodeURIComponent(material.rootIssuedLeaf.certificatePem) + 'A'.repeat(9 * 1024);
      const response = await requestToken(server, endpoint, { 'x-ssl-client-cert': oversized });
      expectRefused(server, response, 'proxy_header_malformed', 400, 'invalid_request');
      const event = server.lastEvent();
      expect(event.decision === 'deny' && event.detail).toMatch(/maxHeaderBytes/);
      expectBoundTo(await requestToken(server, endpoint, forwardedHeaders('nginx', material.rootIssuedLeaf)), material.rootIssuedLeaf);
    });
  });
});
