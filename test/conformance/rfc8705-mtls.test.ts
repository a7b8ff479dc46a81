/**
 * RFC 8705 mutual TLS, on the wire: every case is a real HTTPS request whose client certificate
 * (when there is one) is presented in the TLS handshake itself, through the fastify, node:http and
 * Express mounts.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair as generateJoseKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { TokenEndpoint } from '../../src/core/token-endpoint.js';
import { createTokenEndpoint } from '../../src/core/token-endpoint.js';
import { ConfigurationError } from '../../src/errors/errors.js';
import { type TestIdentity, type TestPki, createTestPki, toCertificateJwk } from '../../src/testing/pki.js';
import { generateSigningKey } from '../../src/tokens/generate.js';
import {
  API_AUDIENCE,
  type AdapterUnderTest,
  CLIENT_SECRET,
  type ConformanceContext,
  ISSUER,
  assertionFor,
  assertionParameters,
  createConformanceContext,
  mount,
} from '../helpers/context.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest } from '../helpers/http.js';
import { ADAPTERS } from '../helpers/servers.js';

const SUBJECT = 'CN=svc,O=Acme Corp';
const SAN = {
  dns: ['Svc.Internal.Example'],
  uri: ['spiffe://acme.example/ns/prod/sa/svc'],
  ip: ['10.0.0.7', '2001:db8::7'],
  email: ['svc@acme.example'],
};
const ALIASES = { token_endpoint: 'https://mtls.as.example.test/token', introspection_endpoint: 'https://mtls.as.example.test/introspect' };

interface Material {
  readonly context: ConformanceContext;
  readonly pki: TestPki;
  readonly leaves: {
    readonly rsa: TestIdentity;
    readonly ec: TestIdentity;
    readonly ed25519: TestIdentity;
    readonly san: TestIdentity;
    readonly untrusted: TestIdentity;
    readonly expired: TestIdentity;
    readonly notYetValid: TestIdentity;
    readonly underNonCa: TestIdentity;
    readonly serverAuthOnly: TestIdentity;
    readonly selfSigned: TestIdentity;
    readonly selfSignedTwin: TestIdentity;
  };
  readonly clients: ClientMetadata[];
  readonly endpoint: TokenEndpoint;
}

/** base64url(SHA-256(DER)) computed by the openssl CLI, independently of the code under test. */
function opensslX5tS256(pem: string): string {
  const der = execFileSync('openssl', ['x509', '-outform', 'DER'], { input: pem });
  return execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64url');
}

/** base64url(SHA-256(DER)) from node:crypto's own DER of the PEM. */
function derX5tS256(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
}

function spkiSha256(identity: TestIdentity): string {
  return createHash('sha256').update(identity.publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
}

function tlsClient(clientId: string, field: string, value: string, extra: Partial<ClientMetadata> = {}): ClientMetadata {
  return { client_id: clientId, token_endpoint_auth_method: 'tls_client_auth', [field]: value, scope: 'read', ...extra } as ClientMetadata;
}

let material: Material;

beforeAll(async () => {
  const context = await createConformanceContext();
  const { pki } = context;
  expect(pki.intermediate).toBeDefined();
  const day = 86_400_000;
  const now = Date.now();
  const rogue = await createTestPki({ commonNamePrefix: 'rogue', intermediate: false });
  // A CA-shaped certificate without cA=TRUE, issued by the root so the CA flag is the only fault on the path.
  const notACa = await pki.issueCertificate({ subject: 'CN=Not A CA,O=Acme Corp', ca: false, keyUsage: ['keyCertSign', 'digitalSignature'], issuer: pki.root });
  const [rsa, ec, ed25519, san, untrusted, expired, notYetValid, underNonCa, serverAuthOnly, selfSigned, selfSignedTwin] = await Promise.all([
    pki.issueClientCertificate({ subject: 'CN=svc-rsa,O=Acme Corp', keyType: 'rsa' }),
    pki.issueClientCertificate({ subject: SUBJECT, keyType: 'ec-p256' }),
    pki.issueClientCertificate({ subject: 'CN=svc-ed25519,O=Acme Corp', keyType: 'ed25519' }),
    pki.issueClientCertificate({ subject: 'CN=svc-san,O=Acme Corp', san: SAN }),
    rogue.issueClientCertificate({ subject: SUBJECT }),
    pki.issueClientCertificate({ subject: SUBJECT, notBefore: new Date(now - 2 * day), notAfter: new Date(now - day) }),
    pki.issueClientCertificate({ subject: SUBJECT, notBefore: new Date(now + day), notAfter: new Date(now + 2 * day) }),
    pki.issueClientCertificate({ subject: SUBJECT, issuer: notACa }),
    pki.issueClientCertificate({ subject: SUBJECT, extendedKeyUsage: ['serverAuth'] }),
    pki.createSelfSignedClientCertificate({ subject: 'CN=self-svc,O=Acme Corp' }),
    pki.createSelfSignedClientCertificate({ subject: 'CN=self-svc,O=Acme Corp' }),
  ]);
  // The non-CA intermediate travels in the chain, so the path leaf → "CA" → root can be built.
  expect(underNonCa.chainPem).toContain(notACa.certificatePem.trim());

  const intermediate = pki.intermediate as TestIdentity;
  const clients: ClientMetadata[] = [
    // §2.1.2 subject DN, one per key type, and the spelling variants.
    tlsClient('dn-rsa', 'tls_client_auth_subject_dn', 'CN=svc-rsa,O=Acme Corp'),
    tlsClient('dn-ec', 'tls_client_auth_subject_dn', SUBJECT),
    tlsClient('dn-ed25519', 'tls_client_auth_subject_dn', 'CN=svc-ed25519,O=Acme Corp'),
    tlsClient('dn-spacing', 'tls_client_auth_subject_dn', 'CN = svc ,  O=Acme  Corp'),
    tlsClient('dn-attr-case', 'tls_client_auth_subject_dn', 'cn=svc,o=Acme Corp'),
    tlsClient('dn-value-case', 'tls_client_auth_subject_dn', 'CN=svc,O=ACME CORP'),
    tlsClient('dn-reordered', 'tls_client_auth_subject_dn', 'O=Acme Corp,CN=svc'),
    tlsClient('dn-other-cn', 'tls_client_auth_subject_dn', 'CN=svc-other,O=Acme Corp'),
    // §2.1.2 SANs.
    tlsClient('san-dns', 'tls_client_auth_san_dns', 'svc.internal.example'),
    tlsClient('san-dns-other', 'tls_client_auth_san_dns', 'other.internal.example'),
    tlsClient('san-uri', 'tls_client_auth_san_uri', 'spiffe://acme.example/ns/prod/sa/svc'),
    tlsClient('san-uri-case', 'tls_client_auth_san_uri', 'spiffe://acme.example/ns/prod/sa/SVC'),
    tlsClient('san-ip-v4', 'tls_client_auth_san_ip', '10.0.0.7'),
    tlsClient('san-ip-v4-other', 'tls_client_auth_san_ip', '10.0.0.8'),
    tlsClient('san-ip-v6-compressed', 'tls_client_auth_san_ip', '2001:db8::7'),
    tlsClient('san-ip-v6-full', 'tls_client_auth_san_ip', '2001:0db8:0000:0000:0000:0000:0000:0007'),
    tlsClient('san-ip-v6-other', 'tls_client_auth_san_ip', '2001:db8::8'),
    tlsClient('san-email', 'tls_client_auth_san_email', 'svc@acme.example'),
    tlsClient('san-email-other', 'tls_client_auth_san_email', 'other@acme.example'),
    // §7.4 issuer pinning (extension).
    tlsClient('pin-ok', 'tls_client_auth_subject_dn', SUBJECT, { tls_client_auth_issuer_spki_sha256: spkiSha256(intermediate) }),
    tlsClient('pin-bad', 'tls_client_auth_subject_dn', SUBJECT, { tls_client_auth_issuer_spki_sha256: [spkiSha256(pki.root)] }),
    // §2.2 self-signed.
    { client_id: 'self-signed', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [toCertificateJwk(selfSigned, { kid: 'self-1' })] }, scope: 'read' },
    // §3 certificate-bound tokens, whatever the authentication method.
    tlsClient('bound-mtls', 'tls_client_auth_subject_dn', SUBJECT, { tls_client_certificate_bound_access_tokens: true }),
    { client_id: 'bound-pkjwt', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [context.keys.es256.publicJwk] }, tls_client_certificate_bound_access_tokens: true, scope: 'read' },
    { client_id: 'bound-secret-post', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, tls_client_certificate_bound_access_tokens: true, scope: 'read' },
    { client_id: 'secret-post', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET, scope: 'read' },
  ];
  const endpoint = context.createEndpoint({ clients, mtls: { trustAnchors: pki.trustAnchorsPem } });
  material = {
    context,
    pki,
    leaves: { rsa, ec, ed25519, san, untrusted, expired, notYetValid, underNonCa, serverAuthOnly, selfSigned, selfSignedTwin },
    clients,
    endpoint,
  };
});

describe.each(ADAPTERS)('RFC 8705 mutual TLS through the %s adapter', (adapter) => {
  let server: AdapterUnderTest;

  beforeAll(async () => {
    server = await mount(adapter, material.context, material.endpoint);
  });
  afterAll(() => server.server.close());

  /** One HTTPS request; `certificate` is presented in the TLS handshake. */
  function send(
    parameters: Record<string, string | undefined>,
    certificate?: TestIdentity,
    path: string = material.endpoint.paths.token,
    target: AdapterUnderTest = server,
  ): Promise<HttpResult> {
    return httpsRequest(`${target.server.origin}${path}`, {
      method: 'POST',
      headers: { ...FORM_CONTENT_TYPE },
      body: formBody(parameters),
      ca: material.pki.trustAnchorsPem,
      clientCertificate: certificate ? { chainPem: certificate.chainPem, privateKeyPem: certificate.privateKeyPem } : undefined,
    });
  }
  const mtlsToken = (clientId: string, certificate?: TestIdentity): Promise<HttpResult> =>
    send({ grant_type: 'client_credentials', client_id: clientId }, certificate);

  function expectIssued(response: HttpResult, clientId: string): Record<string, unknown> {
    expect(response.status, response.text).toBe(200);
    const event = server.lastEvent();
    expect(event.type).toBe('token_issued');
    expect(event.clientId).toBe(clientId);
    return decodeJwt(String(response.json.access_token));
  }
  function expectRefused(response: HttpResult, reason: string, status = 401, error = 'invalid_client'): void {
    expect(response.status, response.text).toBe(status);
    expect(response.json.error).toBe(error);
    expect(server.lastEvent().reason).toBe(reason);
  }

  describe('§2.1.2 tls_client_auth_subject_dn "the expected subject distinguished name of the certificate" (RFC 4517 distinguishedNameMatch)', () => {
    it.each([
      ['RSA', 'dn-rsa', 'rsa'],
      ['EC P-256', 'dn-ec', 'ec'],
      ['Ed25519', 'dn-ed25519', 'ed25519'],
    ] as const)('authenticates a client whose %s certificate has the registered subject', async (_keyType, clientId, leaf) => {
      const claims = expectIssued(await mtlsToken(clientId, material.leaves[leaf]), clientId);
      expect(claims.client_id).toBe(clientId);
      expect(server.lastEvent().authMethod).toBe('tls_client_auth');
      expect(server.lastEvent().credentialId).toBe(material.leaves[leaf].x5tS256);
      expect(server.lastEvent().certificateSource).toBe('tls');
    });
    it.each([
      ['different spacing ("CN = svc ,  O=Acme  Corp")', 'dn-spacing'],
      ['attribute names in another case ("cn=svc,o=Acme Corp")', 'dn-attr-case'],
      ['values in another case ("O=ACME CORP")', 'dn-value-case'],
    ])('still matches a DN registered with %s', async (_variant, clientId) => {
      expectIssued(await mtlsToken(clientId, material.leaves.ec), clientId);
    });
    it('does not match the same RDNs in another order (cert_subject_mismatch)', async () => {
      expectRefused(await mtlsToken('dn-reordered', material.leaves.ec), 'cert_subject_mismatch');
    });
    it('does not match a different CN (cert_subject_mismatch)', async () => {
      expectRefused(await mtlsToken('dn-other-cn', material.leaves.ec), 'cert_subject_mismatch');
    });
    it('does not match another key type\'s certificate with another subject', async () => {
      expectRefused(await mtlsToken('dn-ec', material.leaves.rsa), 'cert_subject_mismatch');
    });
  });

  describe('§2.1.2 tls_client_auth_san_*: "a value ... that is expected to be present in the subjectAltName"', () => {
    it.each([
      ['dNSName, compared case-insensitively', 'san-dns'],
      ['URI (a SPIFFE ID), compared exactly', 'san-uri'],
      ['iPAddress IPv4', 'san-ip-v4'],
      ['iPAddress IPv6 registered compressed (2001:db8::7)', 'san-ip-v6-compressed'],
      ['iPAddress IPv6 registered in full (2001:0db8:0000:…:0007)', 'san-ip-v6-full'],
      ['rfc822Name', 'san-email'],
    ])('matches the %s', async (_kind, clientId) => {
      expectIssued(await mtlsToken(clientId, material.leaves.san), clientId);
    });
    it.each([
      ['dNSName', 'san-dns-other'],
      ['URI differing only in case (exact match)', 'san-uri-case'],
      ['iPAddress IPv4', 'san-ip-v4-other'],
      ['iPAddress IPv6', 'san-ip-v6-other'],
      ['rfc822Name', 'san-email-other'],
    ])('refuses a different %s (cert_san_mismatch)', async (_kind, clientId) => {
      expectRefused(await mtlsToken(clientId, material.leaves.san), 'cert_san_mismatch');
    });
    it('refuses a SAN client whose certificate has no SAN at all', async () => {
      expectRefused(await mtlsToken('san-dns', material.leaves.ec), 'cert_san_mismatch');
    });
  });

  describe('§2.1 "the certificate chain [is] validated" to a configured trust anchor: each failure has its own reason, all invalid_client 401', () => {
    it.each([
      ['a certificate from an untrusted CA', 'untrusted', 'certificate_untrusted'],
      ['an expired certificate', 'expired', 'certificate_expired'],
      ['a certificate that is not yet valid', 'notYetValid', 'certificate_not_yet_valid'],
      ['a certificate issued by an intermediate without the CA flag', 'underNonCa', 'certificate_chain_invalid'],
      ['a certificate without the clientAuth extended key usage', 'serverAuthOnly', 'certificate_usage_invalid'],
    ] as const)('refuses %s', async (_case, leaf, reason) => {
      const response = await mtlsToken('dn-ec', material.leaves[leaf]);
      expectRefused(response, reason);
      expect(Object.keys(response.json).sort()).toEqual(['error', 'error_description']);
    });
    it('names the CA-flag fault in the operator detail', async () => {
      await mtlsToken('dn-ec', material.leaves.underNonCa);
      const event = server.lastEvent();
      expect(event.decision === 'deny' && event.detail).toMatch(/not a CA/);
    });
    it('refuses a request that presents no certificate (certificate_missing)', async () => {
      expectRefused(await mtlsToken('dn-ec'), 'certificate_missing');
    });
    it('accepts a certificate whose issuing CA matches the registered SPKI pin (§7.4)', async () => {
      expectIssued(await mtlsToken('pin-ok', material.leaves.ec), 'pin-ok');
    });
    it('refuses a valid chain whose issuing CA is not the pinned one (certificate_issuer_pin_mismatch)', async () => {
      expectRefused(await mtlsToken('pin-bad', material.leaves.ec), 'certificate_issuer_pin_mismatch');
    });
  });

  describe('§2.2 self_signed_tls_client_auth: the certificate must be one registered in the client\'s JWK Set (x5c)', () => {
    it('accepts the registered self-signed certificate, without chain validation', async () => {
      expectIssued(await mtlsToken('self-signed', material.leaves.selfSigned), 'self-signed');
      expect(server.lastEvent().authMethod).toBe('self_signed_tls_client_auth');
    });
    it('refuses another self-signed certificate with the same subject (self_signed_certificate_mismatch)', async () => {
      expect(material.leaves.selfSignedTwin.certificate.subject).toBe(material.leaves.selfSigned.certificate.subject);
      expectRefused(await mtlsToken('self-signed', material.leaves.selfSignedTwin), 'self_signed_certificate_mismatch');
    });
    it('refuses a CA-issued certificate (self_signed_certificate_mismatch)', async () => {
      expectRefused(await mtlsToken('self-signed', material.leaves.ec), 'self_signed_certificate_mismatch');
    });
    it('refuses a request without a certificate (certificate_missing)', async () => {
      expectRefused(await mtlsToken('self-signed'), 'certificate_missing');
    });
  });

  describe('§3 certificate-bound access tokens: cnf {"x5t#S256": base64url(SHA-256(DER))}', () => {
    it('binds a tls_client_auth client\'s token to its certificate (openssl-computed thumbprint)', async () => {
      const leaf = material.leaves.ec;
      const expected = opensslX5tS256(leaf.certificatePem);
      expect(derX5tS256(leaf.certificatePem)).toBe(expected);
      const claims = expectIssued(await mtlsToken('bound-mtls', leaf), 'bound-mtls');
      expect(claims.cnf).toEqual({ 'x5t#S256': expected });
      const event = server.lastEvent();
      expect(event.type === 'token_issued' && event.certificateBound).toBe(true);
    });
    it('binds a private_key_jwt client\'s token to the certificate it connected with', async () => {
      const leaf = material.leaves.ed25519;
      const assertion = await assertionFor(material.context, 'bound-pkjwt');
      const claims = expectIssued(await send(assertionParameters(assertion), leaf), 'bound-pkjwt');
      expect(server.lastEvent().authMethod).toBe('private_key_jwt');
      expect(claims.cnf).toEqual({ 'x5t#S256': opensslX5tS256(leaf.certificatePem) });
      expect(claims.cnf).toEqual({ 'x5t#S256': derX5tS256(leaf.certificatePem) });
    });
    it('binds a client_secret_post client\'s token to the certificate it connected with', async () => {
      const leaf = material.leaves.rsa;
      const response = await send({ grant_type: 'client_credentials', client_id: 'bound-secret-post', client_secret: CLIENT_SECRET }, leaf);
      const claims = expectIssued(response, 'bound-secret-post');
      expect(claims.cnf).toEqual({ 'x5t#S256': opensslX5tS256(leaf.certificatePem) });
    });
    it('refuses a bound client that presents no certificate with 400 invalid_request (certificate_binding_required)', async () => {
      const response = await send({ grant_type: 'client_credentials', client_id: 'bound-secret-post', client_secret: CLIENT_SECRET });
      expectRefused(response, 'certificate_binding_required', 400, 'invalid_request');
    });
    it('gives unbound clients no cnf even when they present a certificate', async () => {
      const secret = await send({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET }, material.leaves.ec);
      expect(expectIssued(secret, 'secret-post')).not.toHaveProperty('cnf');
      expect(expectIssued(await mtlsToken('dn-ec', material.leaves.ec), 'dn-ec')).not.toHaveProperty('cnf');
      const event = server.lastEvent();
      expect(event.type === 'token_issued' && event.certificateBound).toBe(false);
    });
  });

  describe('RFC 7662 introspection: "the protected resource ... MUST authenticate"; "active" and the token\'s claims', () => {
    const introspect = (parameters: Record<string, string | undefined>, certificate?: TestIdentity): Promise<HttpResult> =>
      send(parameters, certificate, material.endpoint.paths.introspection);
    const asSecretPost = (token: string | undefined): Promise<HttpResult> =>
      introspect({ token, client_id: 'secret-post', client_secret: CLIENT_SECRET });
    async function boundToken(): Promise<string> {
      const response = await mtlsToken('bound-mtls', material.leaves.ec);
      expect(response.status, response.text).toBe(200);
      return String(response.json.access_token);
    }

    it('refuses an unauthenticated caller with 401 invalid_client', async () => {
      expectRefused(await introspect({ token: await boundToken() }), 'client_auth_missing');
    });
    it('answers an active bound token with client_id, scope, exp, iat, iss, aud, sub, token_type and cnf', async () => {
      const token = await boundToken();
      const response = await asSecretPost(token);
      expect(response.status, response.text).toBe(200);
      const claims = decodeJwt(token);
      expect(response.json).toMatchObject({
        active: true,
        client_id: 'bound-mtls',
        scope: 'read',
        exp: claims.exp,
        iat: claims.iat,
        iss: ISSUER,
        aud: API_AUDIENCE,
        sub: 'bound-mtls',
        token_type: 'Bearer',
        cnf: { 'x5t#S256': opensslX5tS256(material.leaves.ec.certificatePem) },
      });
      const event = server.lastEvent();
      expect(event.type === 'token_introspected' && event.active).toBe(true);
    });
    it('accepts a mutual-TLS-authenticated caller', async () => {
      const response = await introspect({ token: await boundToken(), client_id: 'dn-ec' }, material.leaves.ec);
      expect(response.json.active).toBe(true);
    });
    it('answers {"active": false} for garbage', async () => {
      const response = await asSecretPost('not-a-token');
      expect(response.status).toBe(200);
      expect(response.json).toEqual({ active: false });
    });
    it('answers {"active": false} for an expired token', async () => {
      const token = await boundToken();
      const exp = Number(decodeJwt(token).exp);
      const { clock } = material.context;
      const saved = clock.now;
      try {
        clock.now = (exp + 1) * 1000;
        expect((await asSecretPost(token)).json).toEqual({ active: false });
      } finally {
        clock.now = saved;
      }
      expect((await asSecretPost(token)).json.active).toBe(true);
    });
    it('answers {"active": false} for a token with our claims and kid signed by another server\'s key', async () => {
      const token = await boundToken();
      const header = decodeProtectedHeader(token);
      const { privateKey } = await generateJoseKeyPair('ES256');
      const forged = await new SignJWT(decodeJwt(token))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: String(header.kid) })
        .sign(privateKey);
      expect((await asSecretPost(forged)).json).toEqual({ active: false });
      expect((await asSecretPost(token)).json.active).toBe(true);
    });
    it('answers {"active": false} for a token issued by another server with the same issuer', async () => {
      const other = createTokenEndpoint({
        issuer: ISSUER,
        clients: [{ client_id: 'secret-post', token_endpoint_auth_method: 'client_secret_post', client_secret: CLIENT_SECRET }],
        signingKeys: [{ privateKey: generateSigningKey('ES256') }],
        defaultAudience: API_AUDIENCE,
      });
      const otherServer = await mount(adapter, material.context, other);
      try {
        const issued = await send({ grant_type: 'client_credentials', client_id: 'secret-post', client_secret: CLIENT_SECRET }, undefined, other.paths.token, otherServer);
        expect(issued.status, issued.text).toBe(200);
        expect((await asSecretPost(String(issued.json.access_token))).json).toEqual({ active: false });
      } finally {
        await otherServer.server.close();
      }
    });
    it('refuses a request without the token parameter with 400 invalid_request (token_missing)', async () => {
      expectRefused(await asSecretPost(undefined), 'token_missing', 400, 'invalid_request');
    });
  });

  describe('§3.3 / §5 metadata: tls_client_certificate_bound_access_tokens, auth methods, mtls_endpoint_aliases', () => {
    async function metadataOf(endpoint: TokenEndpoint): Promise<Record<string, unknown>> {
      const target = endpoint === material.endpoint ? server : await mount(adapter, material.context, endpoint);
      try {
        const response = await target.request({ method: 'GET', path: endpoint.paths.metadata });
        expect(response.status).toBe(200);
        return response.json;
      } finally {
        if (target !== server) await target.server.close();
      }
    }
    it('advertises certificate-bound tokens and tls_client_auth when trust anchors are configured; no aliases unless configured', async () => {
      const metadata = await metadataOf(material.endpoint);
      expect(metadata.tls_client_certificate_bound_access_tokens).toBe(true);
      expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']));
      expect(metadata).not.toHaveProperty('mtls_endpoint_aliases');
    });
    it('does not advertise tls_client_auth without trust anchors', async () => {
      const metadata = await metadataOf(material.context.createEndpoint());
      expect(metadata.token_endpoint_auth_methods_supported).not.toContain('tls_client_auth');
      expect(metadata.token_endpoint_auth_methods_supported).toContain('self_signed_tls_client_auth');
      expect(metadata.tls_client_certificate_bound_access_tokens).toBe(true);
    });
    it('advertises mtls_endpoint_aliases when configured', async () => {
      const endpoint = material.context.createEndpoint({
        clients: material.clients,
        mtls: { trustAnchors: material.pki.trustAnchorsPem, endpointAliases: ALIASES },
      });
      expect((await metadataOf(endpoint)).mtls_endpoint_aliases).toEqual(ALIASES);
    });
  });
});

describe('RFC 8705 configuration is checked at start-up', () => {
  const base = { issuer: ISSUER, signingKeys: [{ privateKey: generateSigningKey('ES256') }], defaultAudience: API_AUDIENCE } as const;

  it.each([
    ['no mtls option', {}],
    ['mtls without trustAnchors', { mtls: {} }],
  ])('refuses a static registry with a tls_client_auth client and %s, naming options.mtls.trustAnchors and the client', (_case, extra) => {
    const create = () =>
      createTokenEndpoint({ ...base, ...extra, clients: [{ client_id: 'svc-mtls', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: SUBJECT }] });
    expect(create).toThrow(ConfigurationError);
    expect(create).toThrow(/options\.mtls\.trustAnchors/);
    expect(create).toThrow(/svc-mtls/);
  });
  it('refuses a malformed registered DN ("CN=a,=b"), naming the client\'s tls_client_auth_subject_dn', () => {
    const create = () =>
      createTokenEndpoint({
        ...base,
        mtls: { trustAnchors: material.pki.trustAnchorsPem },
        clients: [{ client_id: 'bad-dn', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=a,=b' }],
      });
    expect(create).toThrow(ConfigurationError);
    expect(create).toThrow(/bad-dn.*tls_client_auth_subject_dn/);
  });
});
