/**
 * ATTACK: resource exhaustion by size — a huge body, a huge assertion, a huge forwarded
 * certificate header, a TLS client that sends a long chain of intermediates. SPEC.md: "Body size
 * capped (default 16 KiB) → 413"; "length capped (default 8 KiB)" for assertions; proxy headers
 * capped (`maxHeaderBytes`, `maxChainLength`); a chain has at most 8 intermediates. Every cap is
 * a clean 4xx with its own reason, never a 5xx, and the server answers normally afterwards.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { TestIdentity } from '../../src/testing/pki.js';
import {
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ConformanceContext,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';
import { expectIssued, expectRefusal } from './support.js';

const SUBJECT = 'CN=deep,O=Acme Corp';
const valid = (): Record<string, string> => ({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET });

/** A chain root → CA 1 → … → CA n → leaf, every CA genuinely a CA, so only the length is wrong. */
async function deepChain(context: ConformanceContext, depth: number): Promise<TestIdentity> {
  let issuer = context.pki.root;
  for (let level = 1; level <= depth; level++) {
    issuer = await context.pki.issueCertificate({ subject: `CN=Depth ${depth} CA ${level},O=Acme Corp`, ca: true, issuer });
  }
  return context.pki.issueClientCertificate({ subject: SUBJECT, issuer });
}

describe.each(ADAPTERS)('ATTACK oversize input through the %s adapter', (adapter) => {
  let context: ConformanceContext;
  let server: AdapterUnderTest;
  let mtls: AdapterUnderTest;
  let proxied: AdapterUnderTest;
  let tenDeep: TestIdentity;
  let eightDeep: TestIdentity;

  beforeAll(async () => {
    context = await createConformanceContext();
    [tenDeep, eightDeep] = await Promise.all([deepChain(context, 10), deepChain(context, 8)]);
    const clients: ClientMetadata[] = [
      { client_id: 'deep', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: SUBJECT, scope: 'read' },
      { client_id: 'secret-post', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, scope: 'read' },
    ];
    server = await mount(adapter, context);
    mtls = await mount(adapter, context, context.createEndpoint({ clients, mtls: { trustAnchors: context.pki.trustAnchorsPem } }));
    proxied = await mount(
      adapter,
      context,
      context.createEndpoint({
        clients,
        mtls: {
          trustAnchors: context.pki.trustAnchorsPem,
          trustedProxies: ['127.0.0.1/32', '::1'],
          proxyCertificateSource: { format: 'rfc9440', maxHeaderBytes: 4096, maxChainLength: 5 },
        },
      }),
    );
  });
  afterAll(async () => {
    await server.server.close();
    await mtls.server.close();
    await proxied.server.close();
  });

  const padded = (size: number): string => {
    const base = formBody(valid());
    return `${base}&pad=${'a'.repeat(size - base.length - 5)}`;
  };

  describe('body: "Body size capped (default 16 KiB) → 413"', () => {
    it('accepts a body of exactly 16,384 bytes (control)', async () => {
      const body = padded(16_384);
      expect(Buffer.byteLength(body)).toBe(16_384);
      expectIssued(await server.request({ body, headers: FORM_CONTENT_TYPE }));
    });
    it('refuses 16,385 bytes sent chunked (no Content-Length) with 413 (body_too_large)', async () => {
      const response = await server.request({ body: padded(16_385), headers: FORM_CONTENT_TYPE });
      expectRefusal(response, server, { status: 413, error: 'invalid_request', reason: 'body_too_large', secrets: [CLIENT_SECRET] });
    });
    it('refuses 16,385 bytes with a Content-Length with 413 (body_too_large)', async () => {
      const body = padded(16_385);
      const response = await server.request({ body, headers: { ...FORM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)) } });
      expectRefusal(response, server, { status: 413, error: 'invalid_request', reason: 'body_too_large' });
    });
    it('refuses a 256 KiB body with 413 and then answers a valid request', async () => {
      const response = await server.request({ body: padded(256 * 1024), headers: FORM_CONTENT_TYPE });
      expectRefusal(response, server, { status: 413, error: 'invalid_request', reason: 'body_too_large' });
      expectIssued(await server.post(valid()));
    });
    it('parses 1,800 unknown parameters inside the cap without trouble (ignored, RFC 6749 §3.1)', async () => {
      const body = `${formBody(valid())}&${Array.from({ length: 1800 }, (_, index) => `p${index}=1`).join('&')}`;
      expect(Buffer.byteLength(body)).toBeLessThan(16_384);
      expectIssued(await server.request({ body, headers: FORM_CONTENT_TYPE }));
    });
  });

  describe('assertion: "length capped (default 8 KiB)"', () => {
    it('refuses an 8,193-character assertion (assertion_too_long), before any parsing', async () => {
      const base = await assertionFor(context, 'pkjwt', context.keys.es256, { claims: { pad: 'x'.repeat(6000) } });
      const assertion = base.length > 8192 ? base : `${base}${'A'.repeat(8193 - base.length)}`;
      const response = await server.post(assertionParameters(assertion.length === 8193 ? assertion : assertion.slice(0, 8193)));
      expectRefusal(response, server, { status: 401, error: 'invalid_client', reason: 'assertion_too_long' });
    });
    it('refuses a 15 KiB assertion of dots and base64url (assertion_too_long)', async () => {
      const response = await server.post(assertionParameters('A.'.repeat(7500).concat('A')));
      expectRefusal(response, server, { status: 401, error: 'invalid_client', reason: 'assertion_too_long' });
    });
  });

  describe('forwarded certificate header from a trusted proxy: maxHeaderBytes 4,096, maxChainLength 5', () => {
    const byteSequence = (identity: TestIdentity | string): string =>
      `:${Buffer.from(new X509Certificate(typeof identity === 'string' ? identity : identity.certificatePem).raw).toString('base64')}:`;
    const send = (headers: Record<string, string>): Promise<HttpResult> =>
      httpsRequest(`${proxied.server.origin}/token`, {
        headers: { ...FORM_CONTENT_TYPE, ...headers },
        body: formBody({ grant_type: 'client_credentials', client_id: 'deep' }),
        ca: context.pki.trustAnchorsPem,
      });

    it('refuses a Client-Cert header of 4,097 octets (proxy_header_malformed)', async () => {
      const response = await send({ 'client-cert': `:${'A'.repeat(4095)}:` });
      expectRefusal(response, proxied, { status: 400, error: 'invalid_request', reason: 'proxy_header_malformed' });
    });
    it('refuses a Client-Cert-Chain of 6 certificates (proxy_header_malformed)', async () => {
      const pems = (eightDeep.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).slice(1, 7);
      expect(pems).toHaveLength(6);
      const response = await send({ 'client-cert': byteSequence(eightDeep), 'client-cert-chain': pems.map(byteSequence).join(', ') });
      // Six certificates of ~500 bytes exceed 4,096 octets too: either limit refuses it, with the same reason.
      expectRefusal(response, proxied, { status: 400, error: 'invalid_request', reason: 'proxy_header_malformed' });
    });
    it('refuses 20 KiB of forwarded header before the endpoint sees it (431 from the HTTP server) and then answers normally', async () => {
      const response = await send({ 'client-cert': `:${'A'.repeat(20 * 1024)}:` });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.text).not.toMatch(/Error:|\bat \S+ \(/);
      expectIssued(await httpsRequest(`${proxied.server.origin}/token`, { headers: FORM_CONTENT_TYPE, body: formBody(valid()), ca: context.pki.trustAnchorsPem }));
    });
  });

  describe('TLS client certificate chain: "at most 8 intermediates"', () => {
    const viaTls = (identity: TestIdentity): Promise<HttpResult> =>
      httpsRequest(`${mtls.server.origin}/token`, {
        headers: FORM_CONTENT_TYPE,
        body: formBody({ grant_type: 'client_credentials', client_id: 'deep' }),
        ca: context.pki.trustAnchorsPem,
        clientCertificate: { chainPem: identity.chainPem, privateKeyPem: identity.privateKeyPem },
      });

    it('refuses a client that sends 10 intermediates in its TLS handshake (certificate_chain_invalid), then answers normally', async () => {
      expect(tenDeep.chainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(11);
      const response = await viaTls(tenDeep);
      const event = expectRefusal(response, mtls, { status: 401, error: 'invalid_client', reason: 'certificate_chain_invalid', wwwAuthenticate: false });
      expect(event.type === 'client_authentication_failed' && event.detail).toMatch(/10 intermediate/);
      expectIssued(await viaTls(eightDeep));
    });
  });
});
