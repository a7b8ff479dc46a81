/**
 * One ready-made client per authentication method, in memory: the registry entries
 * (RFC 7591 / RFC 8705 metadata) together with the credentials a test needs to authenticate as
 * each of them. `generateFixtureSet` writes the same clients to files for the CLI.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2
 */
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { ClientMetadata } from '../clients/metadata.js';
import { generateClientSecret, hashClientSecret } from '../clients/secrets.js';
import { type TestIdentity, type TestPki, createTestPki, generateKeyPair, toCertificateJwk, toJwk } from './pki.js';

/**
 * A `private_key_jwt` client (RFC 7523 §2.2): an ES256 key whose public JWK is registered inline
 * in `jwks`. Sign its assertions with `signClientAssertion({ privateKey: client.privateJwk, … })`.
 *
 * @example
 * const { privateKeyJwt } = (await createTestClients()).byMethod;
 * await signClientAssertion({ clientId: privateKeyJwt.clientId, audience: issuer, privateKey: privateKeyJwt.privateJwk });
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export interface PrivateKeyJwtTestClient {
  readonly clientId: string;
  readonly metadata: ClientMetadata;
  /** The `kid` of the registered key; also set in `privateJwk`. */
  readonly kid: string;
  readonly alg: 'ES256';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Private JWK with `kid` and `alg`: what `signClientAssertion` and the `assertion` CLI take. */
  readonly privateJwk: JWK;
  /** The registered public JWK (`kid`, `alg`, `use: "sig"`). */
  readonly publicJwk: JWK;
  /** PKCS#8 PEM of the same key. */
  readonly privateKeyPem: string;
}

/**
 * A `client_secret_basic` or `client_secret_post` client (RFC 6749 §2.3.1). The metadata holds
 * only `client_secret_hash`; the plaintext is here for the test to present.
 *
 * @example
 * const { clientSecretBasic } = (await createTestClients()).byMethod;
 * const authorization = `Basic ${Buffer.from(`${clientSecretBasic.clientId}:${clientSecretBasic.clientSecret}`).toString('base64')}`;
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export interface SecretTestClient {
  readonly clientId: string;
  readonly metadata: ClientMetadata;
  /** 256 random bits, base64url: already form- and userinfo-safe, no encoding surprises. */
  readonly clientSecret: string;
  /** `sha256:…`, as registered in `metadata.client_secret_hash`. */
  readonly clientSecretHash: string;
}

/**
 * A mutual-TLS client (RFC 8705 §2): present `identity.privateKeyPem` and `identity.chainPem` on
 * the TLS connection. Its tokens are certificate-bound (RFC 8705 §3).
 *
 * @example
 * const { tlsClientAuthDn } = (await createTestClients({ pki })).byMethod;
 * https.request(tokenUrl, { key: tlsClientAuthDn.identity.privateKeyPem, cert: tlsClientAuthDn.identity.chainPem, ca: pki.trustAnchorsPem });
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2
 */
export interface CertificateTestClient {
  readonly clientId: string;
  readonly metadata: ClientMetadata;
  readonly identity: TestIdentity;
}

/**
 * The six demo clients by method. Client ids are fixed (`demo-private-key-jwt`, …) so that logs,
 * docs and the committed `fixtures/` name the same clients.
 *
 * @example
 * const { byMethod } = await createTestClients();
 * byMethod.tlsClientAuthSan.metadata.tls_client_auth_san_dns; // 'demo-client.example.test'
 */
export interface TestClientsByMethod {
  /** ES256 key, registered inline (`jwks`). */
  readonly privateKeyJwt: PrivateKeyJwtTestClient;
  readonly clientSecretBasic: SecretTestClient;
  readonly clientSecretPost: SecretTestClient;
  /** `tls_client_auth` matched by `tls_client_auth_subject_dn` (RFC 8705 §2.1.2); EC P-256 key. */
  readonly tlsClientAuthDn: CertificateTestClient;
  /** `tls_client_auth` matched by `tls_client_auth_san_dns`; RSA key, so it also fits PKCS#12 tools. */
  readonly tlsClientAuthSan: CertificateTestClient;
  /** `self_signed_tls_client_auth` (RFC 8705 §2.2): the certificate is registered in `jwks.x5c`; Ed25519 key. */
  readonly selfSignedTlsClientAuth: CertificateTestClient;
}

/**
 * @example
 * const clients = await createTestClients();
 * createTokenEndpoint({ issuer, clients: clients.metadata, signingKeys, mtls: { trustAnchors: clients.pki.trustAnchorsPem } });
 */
export interface TestClients {
  /** Every client's metadata, in the order of `byMethod`: pass as `clients` to `createTokenEndpoint`. */
  readonly metadata: readonly ClientMetadata[];
  readonly byMethod: TestClientsByMethod;
  /** The PKI that issued the `tls_client_auth` certificates: trust `pki.trustAnchorsPem`. */
  readonly pki: TestPki;
}

/**
 * @example
 * const clients = await createTestClients({ pki: await createTestPki({ keyType: 'rsa' }), scope: 'invoices:read' });
 */
export interface CreateTestClientsOptions {
  /** Issues the `tls_client_auth` certificates. Default: a new `createTestPki()`. */
  readonly pki?: TestPki | undefined;
  /** Scope every client is registered with (default `demo:read demo:write`). */
  readonly scope?: string | undefined;
}

const DEMO_SCOPE = 'demo:read demo:write';
const DN_CLIENT_SUBJECT = 'CN=demo-tls-client-auth-dn,OU=Payments,O=Demo Corp,C=DE';
const SAN_CLIENT_DNS = 'demo-client.example.test';

/**
 * Creates one ready client per authentication method, in memory (nothing is written to disk):
 * `private_key_jwt` with an ES256 key, `client_secret_basic` and `client_secret_post` (hashed in
 * the metadata, plaintext beside it), `tls_client_auth` by subject DN and by DNS SAN with
 * certificates from the given or a new {@link TestPki}, and `self_signed_tls_client_auth`.
 *
 * The metadata is what a registry holds — public keys, secret hashes, certificate identities —
 * and passes the library's client validation as is. Every call makes fresh keys and secrets.
 * For tests and demos only: nothing here is meant to authenticate anything real.
 *
 * @example
 * import { createTestClients, signClientAssertion } from 'm2m-token-endpoint/testing';
 * const clients = await createTestClients();
 * const endpoint = createTokenEndpoint({ issuer, clients: clients.metadata, signingKeys, mtls: { trustAnchors: clients.pki.trustAnchorsPem } });
 * const { privateKeyJwt } = clients.byMethod;
 * const assertion = await signClientAssertion({ clientId: privateKeyJwt.clientId, audience: issuer, privateKey: privateKeyJwt.privateJwk });
 * @see https://www.rfc-editor.org/rfc/rfc8705#section-2
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export async function createTestClients(options: CreateTestClientsOptions = {}): Promise<TestClients> {
  const pki = options.pki ?? (await createTestPki());
  const scope = options.scope ?? DEMO_SCOPE;

  // Independent keys, generated concurrently (RSA generation dominates the cost).
  const [keyPair, dnIdentity, sanIdentity, selfSigned] = await Promise.all([
    generateKeyPair('ec-p256'),
    // tls_client_auth (RFC 8705 §2.1): one identified by subject DN, one by a DNS SAN.
    pki.issueClientCertificate({ subject: DN_CLIENT_SUBJECT, keyType: 'ec-p256' }),
    pki.issueClientCertificate({ subject: 'CN=demo-tls-client-auth-san', san: { dns: [SAN_CLIENT_DNS] }, keyType: 'rsa' }),
    // self_signed_tls_client_auth (RFC 8705 §2.2): the certificate itself is registered (x5c).
    pki.createSelfSignedClientCertificate({ subject: 'CN=demo-self-signed', keyType: 'ed25519' }),
  ]);

  // private_key_jwt (RFC 7523): the registry holds only the public JWK.
  const kid = 'demo-private-key-jwt-1';
  const publicJwk: JWK = { ...toJwk(keyPair.publicKey), kid, alg: 'ES256', use: 'sig' };
  const privateKeyJwt = Object.freeze<PrivateKeyJwtTestClient>({
    clientId: 'demo-private-key-jwt',
    metadata: {
      client_id: 'demo-private-key-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
      scope,
    },
    kid,
    alg: 'ES256',
    privateKey: keyPair.privateKey,
    publicKey: keyPair.publicKey,
    privateJwk: { ...(keyPair.privateKey.export({ format: 'jwk' }) as JWK), kid, alg: 'ES256' },
    publicJwk,
    privateKeyPem: keyPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });

  // client_secret_basic / client_secret_post: the baseline users migrate away from.
  const secretClient = async (method: 'client_secret_basic' | 'client_secret_post'): Promise<SecretTestClient> => {
    const clientId = `demo-${method.replaceAll('_', '-')}`;
    const clientSecret = generateClientSecret();
    const clientSecretHash = await hashClientSecret(clientSecret);
    return Object.freeze<SecretTestClient>({
      clientId,
      metadata: { client_id: clientId, token_endpoint_auth_method: method, client_secret_hash: clientSecretHash, scope },
      clientSecret,
      clientSecretHash,
    });
  };

  // The mTLS clients get certificate-bound tokens (RFC 8705 §3).
  const byMethod = Object.freeze<TestClientsByMethod>({
    privateKeyJwt,
    clientSecretBasic: await secretClient('client_secret_basic'),
    clientSecretPost: await secretClient('client_secret_post'),
    tlsClientAuthDn: certificateClient(dnIdentity, {
      client_id: 'demo-tls-client-auth-dn',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: DN_CLIENT_SUBJECT,
      tls_client_certificate_bound_access_tokens: true,
      scope,
    }),
    tlsClientAuthSan: certificateClient(sanIdentity, {
      client_id: 'demo-tls-client-auth-san',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_san_dns: SAN_CLIENT_DNS,
      tls_client_certificate_bound_access_tokens: true,
      scope,
    }),
    selfSignedTlsClientAuth: certificateClient(selfSigned, {
      client_id: 'demo-self-signed',
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [toCertificateJwk(selfSigned, { kid: 'demo-self-signed-1' })] },
      tls_client_certificate_bound_access_tokens: true,
      scope,
    }),
  });

  return Object.freeze<TestClients>({
    metadata: Object.freeze(Object.values(byMethod).map((client: { readonly metadata: ClientMetadata }) => client.metadata)),
    byMethod,
    pki,
  });
}

function certificateClient(identity: TestIdentity, metadata: ClientMetadata): CertificateTestClient {
  return Object.freeze<CertificateTestClient>({ clientId: metadata.client_id, metadata, identity });
}
