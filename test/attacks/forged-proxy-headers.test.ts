/**
 * ATTACK: forged forwarded-certificate headers. A victim's certificate is public (it is sent in
 * every handshake, logged, published in x5c); an attacker who can reach the server directly puts
 * it in `X-SSL-Client-Cert`, `X-Forwarded-Client-Cert`, `Client-Cert` or `X-Amzn-Mtls-Clientcert`
 * and claims to be the victim — adding `X-Forwarded-For` / `Forwarded` to look like the proxy.
 * SPEC.md: the header is read "only when the request's peer address is in a configured
 * trusted-proxy list" — the TCP peer, never a header — and only in the one configured format.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { ProxyCertificateSource } from '../../src/certificates/proxy-headers.js';
import type { TestIdentity } from '../../src/testing/pki.js';
import { type AdapterUnderTest, type ConformanceContext, createConformanceContext, mount } from '../helpers/context.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectIssued, expectRefusal } from './support.js';

type Format = ProxyCertificateSource['format'];
const FORMATS: readonly Format[] = ['nginx', 'envoy', 'rfc9440', 'aws-alb'];
const VICTIM_DN = 'CN=victim,O=Acme Corp';

/** What a proxy of `format` would send for `identity` (the leaf is root-issued, so no chain is needed). */
function forwarded(format: Format, identity: TestIdentity): Record<string, string> {
  const der = Buffer.from(new X509Certificate(identity.certificatePem).raw);
  switch (format) {
    case 'nginx':
      return { 'x-ssl-client-cert': encodeURIComponent(identity.certificatePem) };
    case 'envoy':
      return { 'x-forwarded-client-cert': `Hash=${createHash('sha256').update(der).digest('hex')};Cert="${encodeURIComponent(identity.certificatePem)}"` };
    case 'rfc9440':
      return { 'client-cert': `:${der.toString('base64')}:` };
    case 'aws-alb':
      return { 'x-amzn-mtls-clientcert': encodeURIComponent(identity.certificatePem).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/') };
  }
}

/** Headers that claim the request came through the trusted proxy at 10.0.0.1. */
const SPOOFED_ORIGIN = {
  'x-forwarded-for': '10.0.0.1',
  'x-real-ip': '10.0.0.1',
  forwarded: 'for=10.0.0.1;proto=https',
  'true-client-ip': '10.0.0.1',
  'x-client-ip': '10.0.0.1',
};

describe.each(ADAPTERS)('ATTACK forged proxy certificate headers through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let victim: TestIdentity;
  let attacker: TestIdentity;
  const clients: ClientMetadata[] = [
    { client_id: 'victim', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: VICTIM_DN, tls_client_certificate_bound_access_tokens: true, scope: 'read' },
  ];
  const servers: AdapterUnderTest[] = [];

  beforeAll(async () => {
    context = await createConformanceContext();
    [victim, attacker] = await Promise.all([
      context.pki.issueClientCertificate({ subject: VICTIM_DN, issuer: context.pki.root }),
      context.pki.issueClientCertificate({ subject: 'CN=attacker,O=Acme Corp', issuer: context.pki.root }),
    ]);
  });
  afterAll(async () => {
    for (const server of servers) await server.server.close();
  });

  async function serve(trustedProxies: string[], format: Format): Promise<AdapterUnderTest> {
    const endpoint = context.createEndpoint({
      clients,
      mtls: { trustAnchors: context.pki.trustAnchorsPem, trustedProxies, proxyCertificateSource: { format } },
    });
    const server = await mount(adapter, context, endpoint);
    servers.push(server);
    return server;
  }

  const send = (server: AdapterUnderTest, headers: Record<string, string>, socketCertificate?: TestIdentity): Promise<HttpResult> =>
    httpsRequest(`${server.server.origin}/token`, {
      headers: { ...FORM_CONTENT_TYPE, ...headers },
      body: formBody({ grant_type: 'client_credentials', client_id: 'victim' }),
      ca: context.pki.trustAnchorsPem,
      clientCertificate: socketCertificate ? { chainPem: socketCertificate.chainPem, privateKeyPem: socketCertificate.privateKeyPem } : undefined,
    });

  describe.each(FORMATS)('%s header from a peer that is not a trusted proxy (only 10.0.0.0/8 is)', (format) => {
    let server: AdapterUnderTest;
    beforeAll(async () => {
      server = await serve(['10.0.0.0/8'], format);
    });

    it('is ignored: the request has no certificate (certificate_missing), and the operator sees untrustedProxyHeader', async () => {
      const event = expectRefusal(await send(server, forwarded(format, victim)), server, { status: 401, error: 'invalid_client', reason: 'certificate_missing', wwwAuthenticate: false });
      expect(event.untrustedProxyHeader).toBe(true);
      expect(event.certificateSource).toBeUndefined();
    });
    it('is ignored even with X-Forwarded-For, X-Real-IP, Forwarded, True-Client-IP naming the trusted proxy (certificate_missing)', async () => {
      const event = expectRefusal(await send(server, { ...SPOOFED_ORIGIN, ...forwarded(format, victim) }), server, { status: 401, error: 'invalid_client', reason: 'certificate_missing' });
      expect(event.untrustedProxyHeader).toBe(true);
    });
    it("cannot override the attacker's own TLS certificate: the socket certificate is judged (cert_subject_mismatch)", async () => {
      const event = expectRefusal(await send(server, forwarded(format, victim), attacker), server, { status: 401, error: 'invalid_client', reason: 'cert_subject_mismatch' });
      expect(event.certificateSource).toBe('tls');
      expect(event.credentialId).toBe(attacker.x5tS256);
    });
    it('the victim over its own TLS connection still gets a token bound to its own certificate (control)', async () => {
      const response = await send(server, forwarded(format, attacker), victim);
      expectIssued(response);
      expect(server.lastEvent().credentialId).toBe(victim.x5tS256);
    });
  });

  describe.each(FORMATS)('trusted proxy configured for %s: the other formats\' headers, passed through unstripped, are never read', (format) => {
    let server: AdapterUnderTest;
    beforeAll(async () => {
      server = await serve(['127.0.0.1/32', '::1'], format);
    });

    it('a header of every other format naming the victim is ignored (certificate_missing)', async () => {
      const others = FORMATS.filter((other) => other !== format).reduce<Record<string, string>>((headers, other) => ({ ...headers, ...forwarded(other, victim) }), {});
      expectRefusal(await send(server, others), server, { status: 401, error: 'invalid_client', reason: 'certificate_missing' });
    });
    it('the configured format from the trusted proxy is believed (control)', async () => {
      expectIssued(await send(server, forwarded(format, victim)));
      expect(server.lastEvent().certificateSource).toBe('proxy');
    });
  });
});
