/**
 * RFC 8705 §2 behind a real nginx (SPEC.md "Mutual TLS": the certificate comes from the TLS
 * socket, or from a header set by a TLS-terminating proxy, read only from a trusted peer).
 *
 * nginx runs examples/nginx/nginx.conf: it terminates mutual TLS with the test PKI's server
 * certificate (`ssl_verify_client optional_no_ca`) and forwards `$ssl_client_escaped_cert` as
 * X-SSL-Client-Cert to examples/nginx/server.ts on loopback over plain HTTP.
 *
 * Two deployments:
 * - as documented: the library trusts 127.0.0.1 and ::1, nginx connects from 127.0.0.1;
 * - nginx pinned to its own source address (`proxy_bind 127.0.0.2`, trustedProxies
 *   ['127.0.0.2/32']), so that a request straight to the library from 127.0.0.1 comes from an
 *   untrusted peer. In the documented deployment 127.0.0.1 IS the trusted proxy, so a direct
 *   request from it could not show the rule.
 */
import http from 'node:http';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTokenEndpointBehindNginx } from '../../examples/nginx/server.js';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import type { RequestDeniedEvent, TokenEndpointEvent } from '../../src/core/events.js';
import { type TestIdentity, type TestPki, createTestPki, toCertificateJwk } from '../../src/testing/pki.js';
import { FORM_CONTENT_TYPE, type HttpResult, formBody, httpsRequest, readHttpResult } from '../helpers/http.js';
import { HAS_NGINX, type RunningNginx, canBindLoopback, startNginx } from '../helpers/nginx.js';
import { freePort } from '../helpers/ports.js';

const SUBJECT = 'CN=svc-nginx,OU=Payments,O=Acme Corp,C=DE';
const OTHER_SUBJECT = 'CN=svc-other,O=Acme Corp,C=DE';
const AUDIENCE = 'https://resource.example';
/** 127.0.0.2 is a local address on Linux (all of 127/8 is), not on macOS. */
const CAN_USE_127_0_0_2 = HAS_NGINX && (await canBindLoopback('127.0.0.2'));

interface Material {
  readonly pki: TestPki;
  /** Issued by the intermediate: nginx forwards the leaf alone, so the intermediate is a trust anchor. */
  readonly client: TestIdentity;
  readonly other: TestIdentity;
  /** Same subject as `client`, another CA: nginx (optional_no_ca) lets it through, the library refuses it. */
  readonly rogue: TestIdentity;
  /** Registered by its certificate (self_signed_tls_client_auth, RFC 8705 §2.2). */
  readonly selfSigned: TestIdentity;
  /** Trusted CA, right subject, expired yesterday: nginx refuses it itself. */
  readonly expired: TestIdentity;
  readonly clients: ClientMetadata[];
  readonly trustAnchors: string[];
}

let material: Material;

beforeAll(async () => {
  if (!HAS_NGINX) return;
  const [pki, roguePki] = await Promise.all([createTestPki(), createTestPki({ commonNamePrefix: 'rogue' })]);
  const day = 86_400_000;
  const [client, other, rogue, selfSigned, expired] = await Promise.all([
    pki.issueClientCertificate({ subject: SUBJECT }),
    pki.issueClientCertificate({ subject: OTHER_SUBJECT }),
    roguePki.issueClientCertificate({ subject: SUBJECT }),
    pki.createSelfSignedClientCertificate({ subject: 'CN=svc-self-signed' }),
    pki.issueClientCertificate({ subject: SUBJECT, notBefore: new Date(Date.now() - 2 * day), notAfter: new Date(Date.now() - day) }),
  ]);
  const bound = { tls_client_certificate_bound_access_tokens: true, scope: 'read' } as const;
  material = {
    pki,
    client,
    other,
    rogue,
    selfSigned,
    expired,
    clients: [
      { client_id: 'svc-nginx', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: SUBJECT, ...bound },
      { client_id: 'svc-other', token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: OTHER_SUBJECT, ...bound },
      { client_id: 'svc-self-signed', token_endpoint_auth_method: 'self_signed_tls_client_auth', jwks: { keys: [toCertificateJwk(selfSigned, { kid: 'svc-self-signed-1' })] }, ...bound },
    ],
    trustAnchors: [pki.root.certificatePem, (pki.intermediate as TestIdentity).certificatePem],
  };
});

interface Deployment {
  readonly nginx: RunningNginx;
  readonly library: { readonly url: string; readonly port: number; close(): Promise<void> };
  readonly events: TokenEndpointEvent[];
}

/** The library (examples/nginx/server.ts) on 127.0.0.1 and nginx in front of it. */
async function deploy(options: { trustedProxies?: readonly string[]; proxyBind?: string }): Promise<Deployment> {
  const events: TokenEndpointEvent[] = [];
  const nginxPort = await freePort();
  const library = await startTokenEndpointBehindNginx({
    issuer: `https://localhost:${nginxPort}`,
    clients: material.clients,
    trustAnchors: material.trustAnchors,
    trustedProxies: options.trustedProxies,
    defaultAudience: AUDIENCE,
    port: 0,
    onEvent: (event) => events.push(event),
  });
  try {
    const nginx = await startNginx({
      serverCertificatePem: material.pki.server.chainPem,
      serverKeyPem: material.pki.server.privateKeyPem,
      caPem: material.pki.trustAnchorsPem,
      upstreamPort: library.port,
      port: nginxPort,
      proxyBind: options.proxyBind,
    });
    return { nginx, library, events };
  } catch (error) {
    await library.close();
    throw error;
  }
}

async function undeploy(deployment: Deployment | undefined): Promise<void> {
  await deployment?.nginx.stop();
  await deployment?.library.close();
}

/** POST a form through nginx, presenting `identity` in the TLS handshake (or no certificate). */
function throughNginx(
  deployment: Deployment,
  path: string,
  parameters: Record<string, string>,
  identity?: TestIdentity,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  deployment.events.length = 0;
  return httpsRequest(`${deployment.nginx.origin}${path}`, {
    body: formBody(parameters),
    headers: { ...FORM_CONTENT_TYPE, ...headers },
    ca: material.pki.trustAnchorsPem,
    clientCertificate: identity,
  });
}

/** POST a form straight to the library's plain-HTTP port, from 127.0.0.1 (bypassing nginx). */
function direct(deployment: Deployment, path: string, parameters: Record<string, string>, headers: Record<string, string>): Promise<HttpResult> {
  deployment.events.length = 0;
  const body = formBody(parameters);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${deployment.library.url}${path}`,
      { method: 'POST', localAddress: '127.0.0.1', agent: false, headers: { ...FORM_CONTENT_TYPE, ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (response) => readHttpResult(response).then(resolve, reject),
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** nginx's own encoding of the certificate, as a forger would write it. */
const forgedHeader = (identity: TestIdentity): Record<string, string> => ({ 'X-SSL-Client-Cert': encodeURIComponent(identity.certificatePem) });

function onlyEvent(deployment: Deployment): TokenEndpointEvent {
  expect(deployment.events).toHaveLength(1);
  return deployment.events[0] as TokenEndpointEvent;
}

async function explain(deployment: Deployment, response: HttpResult): Promise<string> {
  return `${response.status} ${response.text}\n${await deployment.nginx.logs()}`;
}

const tokenRequest = (clientId: string): Record<string, string> => ({ grant_type: 'client_credentials', client_id: clientId });

describe.skipIf(!HAS_NGINX)('RFC 8705 §2 behind nginx, as documented (trustedProxies 127.0.0.1/32, ::1/128)', () => {
  let deployment: Deployment;
  beforeAll(async () => {
    deployment = await deploy({});
  });
  afterAll(() => undeploy(deployment));

  it('a tls_client_auth client (subject DN) gets a token through nginx; the certificate came from the proxy header', async () => {
    const response = await throughNginx(deployment, '/token', tokenRequest('svc-nginx'), material.client);
    expect(response.status, await explain(deployment, response)).toBe(200);
    expect(response.json.token_type).toBe('Bearer');
    const event = onlyEvent(deployment);
    expect(event).toMatchObject({ type: 'token_issued', clientId: 'svc-nginx', authMethod: 'tls_client_auth', certificateSource: 'proxy', peerAddress: '127.0.0.1', certificateBound: true });
    expect(event.credentialId).toBe(material.client.x5tS256);
  });

  it('RFC 8705 §3.1: the token is bound to the certificate the client presented to nginx (cnf.x5t#S256)', async () => {
    const response = await throughNginx(deployment, '/token', tokenRequest('svc-nginx'), material.client);
    expect(response.status, await explain(deployment, response)).toBe(200);
    const claims = decodeJwt(String(response.json.access_token));
    expect(claims.cnf).toEqual({ 'x5t#S256': material.client.x5tS256 });
    expect(claims.client_id).toBe('svc-nginx');
    expect(claims.aud).toBe(AUDIENCE);
  });

  it('RFC 7662 / RFC 8705 §3.2: introspection through nginx returns the cnf', async () => {
    const issued = await throughNginx(deployment, '/token', tokenRequest('svc-nginx'), material.client);
    expect(issued.status, await explain(deployment, issued)).toBe(200);
    const token = String(issued.json.access_token);
    const response = await throughNginx(deployment, '/introspect', { token, client_id: 'svc-nginx' }, material.client);
    expect(response.status, await explain(deployment, response)).toBe(200);
    expect(response.json).toMatchObject({ active: true, client_id: 'svc-nginx', token_type: 'Bearer', cnf: { 'x5t#S256': material.client.x5tS256 } });
  });

  it('a client-sent X-SSL-Client-Cert (another client\'s certificate, no TLS certificate) is overwritten by nginx: certificate_missing', async () => {
    const response = await throughNginx(deployment, '/token', tokenRequest('svc-other'), undefined, forgedHeader(material.other));
    expect(response.status, await explain(deployment, response)).toBe(401);
    expect(response.json.error).toBe('invalid_client');
    // The request came from nginx, a trusted proxy, whose header said "no certificate".
    expect(onlyEvent(deployment)).toMatchObject({ reason: 'certificate_missing', clientId: 'svc-other', peerAddress: '127.0.0.1', untrustedProxyHeader: false });
  });

  it('with its own TLS certificate and a forged header for another client, the client is who its TLS certificate says', async () => {
    const forged = await throughNginx(deployment, '/token', tokenRequest('svc-other'), material.client, forgedHeader(material.other));
    expect(forged.status, await explain(deployment, forged)).toBe(401);
    // svc-nginx's certificate, not svc-other's from the header, was matched against svc-other's DN.
    expect(onlyEvent(deployment)).toMatchObject({ reason: 'cert_subject_mismatch', clientId: 'svc-other', credentialId: material.client.x5tS256 });

    const own = await throughNginx(deployment, '/token', tokenRequest('svc-nginx'), material.client, forgedHeader(material.other));
    expect(own.status, await explain(deployment, own)).toBe(200);
    expect(decodeJwt(String(own.json.access_token)).cnf).toEqual({ 'x5t#S256': material.client.x5tS256 });
  });

  it('a certificate from an untrusted CA passes nginx (optional_no_ca) and is refused by the library: certificate_untrusted', async () => {
    const response = await throughNginx(deployment, '/token', tokenRequest('svc-nginx'), material.rogue);
    expect(response.status, await explain(deployment, response)).toBe(401);
    expect(response.json.error).toBe('invalid_client');
    const event = onlyEvent(deployment) as RequestDeniedEvent;
    expect(event).toMatchObject({ type: 'client_authentication_failed', reason: 'certificate_untrusted', certificateSource: 'proxy' });
    expect(event.credentialId).toBe(material.rogue.x5tS256);
  });

  it('RFC 8705 §2.2: a self-signed certificate passes nginx (optional_no_ca) and self_signed_tls_client_auth gets a bound token', async () => {
    const response = await throughNginx(deployment, '/token', tokenRequest('svc-self-signed'), material.selfSigned);
    expect(response.status, await explain(deployment, response)).toBe(200);
    expect(decodeJwt(String(response.json.access_token)).cnf).toEqual({ 'x5t#S256': material.selfSigned.x5tS256 });
    expect(onlyEvent(deployment)).toMatchObject({ type: 'token_issued', authMethod: 'self_signed_tls_client_auth', certificateSource: 'proxy' });
  });

  it('an expired certificate is refused by nginx itself (optional_no_ca forgives only an unknown issuer): 401 invalid_client JSON, the library never sees it', async () => {
    const response = await throughNginx(deployment, '/token', tokenRequest('svc-nginx'), material.expired);
    expect(response.status, await explain(deployment, response)).toBe(401);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json.error).toBe('invalid_client');
    expect(deployment.events).toEqual([]);
  });
});

describe.skipIf(!CAN_USE_127_0_0_2)('RFC 8705 §2 behind nginx pinned to its own source address (proxy_bind 127.0.0.2, trustedProxies 127.0.0.2/32)', () => {
  let deployment: Deployment;
  beforeAll(async () => {
    deployment = await deploy({ trustedProxies: ['127.0.0.2/32'], proxyBind: '127.0.0.2' });
  });
  afterAll(() => undeploy(deployment));

  it('through nginx (peer 127.0.0.2) the forwarded certificate is used', async () => {
    const response = await throughNginx(deployment, '/token', tokenRequest('svc-nginx'), material.client);
    expect(response.status, await explain(deployment, response)).toBe(200);
    expect(decodeJwt(String(response.json.access_token)).cnf).toEqual({ 'x5t#S256': material.client.x5tS256 });
    expect(onlyEvent(deployment)).toMatchObject({ type: 'token_issued', peerAddress: '127.0.0.2', certificateSource: 'proxy' });
  });

  it('straight to the library from 127.0.0.1 (not a trusted proxy) a forged X-SSL-Client-Cert is ignored: certificate_missing, untrustedProxyHeader', async () => {
    const response = await direct(deployment, '/token', tokenRequest('svc-nginx'), forgedHeader(material.client));
    expect(response.status, response.text).toBe(401);
    expect(response.json.error).toBe('invalid_client');
    expect(onlyEvent(deployment)).toMatchObject({
      type: 'client_authentication_failed',
      reason: 'certificate_missing',
      clientId: 'svc-nginx',
      peerAddress: '127.0.0.1',
      untrustedProxyHeader: true,
    });
  });
});
