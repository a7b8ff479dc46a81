import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { ClientMetadata } from '../clients/metadata.js';
import { generateClientSecret, hashClientSecret } from '../clients/secrets.js';
import { type TestIdentity, type TestPki, createTestPki, generateKeyPair, toCertificateJwk, toJwk } from './pki.js';

/** A demo client with everything a curl user needs to authenticate as it. */
export interface DemoClient {
  readonly metadata: ClientMetadata;
  /** Files (absolute paths) holding the client's credentials. */
  readonly files: {
    readonly privateKeyJwk?: string;
    readonly privateKeyPem?: string;
    readonly certificatePem?: string;
  };
  /** Only for the secret methods: the plaintext secret (the registry holds its hash). */
  readonly clientSecret?: string;
}

export interface FixtureSet {
  readonly directory: string;
  readonly pki: TestPki;
  readonly files: {
    readonly caCertificate: string;
    readonly serverCertificate: string;
    readonly serverKey: string;
    readonly clients: string;
  };
  readonly clients: readonly DemoClient[];
}

export interface FixtureSetOptions {
  /** Host names and IPs the server certificate is valid for. Default localhost, 127.0.0.1, ::1. */
  readonly serverHostnames?: readonly string[];
  readonly serverIps?: readonly string[];
  /** Scope every demo client is registered with. */
  readonly scope?: string;
  readonly validityDays?: number;
}

const DEMO_SCOPE = 'demo:read demo:write';

async function writeIdentity(directory: string, name: string, identity: TestIdentity): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const certificatePem = join(directory, `${name}.cert.pem`);
  const privateKeyPem = join(directory, `${name}.key.pem`);
  await writeFile(certificatePem, identity.chainPem);
  await writeFile(privateKeyPem, identity.privateKeyPem, { mode: 0o600 });
  return { certificatePem, privateKeyPem };
}

/**
 * Generates a complete demo set into `directory` (created if missing): a test PKI, a server
 * certificate, and one client per authentication method with its keys or certificate, plus the
 * `clients.json` registry that `serve --clients` reads. Secrets are registered as hashes; the
 * plaintext is returned (and printed by `serve`), never written to `clients.json`.
 */
export async function generateFixtureSet(directory: string, options: FixtureSetOptions = {}): Promise<FixtureSet> {
  await mkdir(directory, { recursive: true });
  const scope = options.scope ?? DEMO_SCOPE;
  const pki = await createTestPki({
    intermediate: true,
    serverHostnames: [...(options.serverHostnames ?? ['localhost'])],
    serverIps: [...(options.serverIps ?? ['127.0.0.1', '::1'])],
    ...(options.validityDays === undefined ? {} : { validityDays: options.validityDays }),
  });

  const caCertificate = join(directory, 'ca.pem');
  await writeFile(caCertificate, pki.trustAnchorsPem);
  const server = await writeIdentity(directory, 'server', pki.server);

  const clients: DemoClient[] = [];

  // private_key_jwt (RFC 7523): an ES256 key; the registry holds only the public JWK.
  const keyPair = await generateKeyPair('ec-p256');
  const kid = 'demo-private-key-jwt-1';
  const privateJwk: JWK = { ...(keyPair.privateKey.export({ format: 'jwk' }) as JWK), kid, alg: 'ES256' };
  const privateKeyJwk = join(directory, 'demo-private-key-jwt.key.json');
  await writeFile(privateKeyJwk, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600 });
  clients.push({
    metadata: {
      client_id: 'demo-private-key-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...toJwk(keyPair.publicKey), kid, alg: 'ES256', use: 'sig' }] },
      scope,
    },
    files: { privateKeyJwk },
  });

  // client_secret_basic / client_secret_post: the baseline users migrate away from.
  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    const clientSecret = generateClientSecret();
    clients.push({
      metadata: {
        client_id: `demo-${method.replaceAll('_', '-')}`,
        token_endpoint_auth_method: method,
        client_secret_hash: await hashClientSecret(clientSecret),
        scope,
      },
      files: {},
      clientSecret,
    });
  }

  // tls_client_auth (RFC 8705 §2.1): one identified by subject DN, one by a DNS SAN. Both get
  // certificate-bound tokens (RFC 8705 §3).
  const dnIdentity = await pki.issueClientCertificate({ subject: 'CN=demo-tls-client-auth-dn,OU=Payments,O=Demo Corp,C=DE', keyType: 'ec-p256' });
  clients.push({
    metadata: {
      client_id: 'demo-tls-client-auth-dn',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: 'CN=demo-tls-client-auth-dn,OU=Payments,O=Demo Corp,C=DE',
      tls_client_certificate_bound_access_tokens: true,
      scope,
    },
    files: await writeIdentity(directory, 'demo-tls-client-auth-dn', dnIdentity),
  });
  const sanIdentity = await pki.issueClientCertificate({ subject: 'CN=demo-tls-client-auth-san', san: { dns: ['demo-client.example.test'] }, keyType: 'rsa' });
  clients.push({
    metadata: {
      client_id: 'demo-tls-client-auth-san',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_san_dns: 'demo-client.example.test',
      tls_client_certificate_bound_access_tokens: true,
      scope,
    },
    files: await writeIdentity(directory, 'demo-tls-client-auth-san', sanIdentity),
  });

  // self_signed_tls_client_auth (RFC 8705 §2.2): the certificate itself is registered (x5c).
  const selfSigned = await pki.createSelfSignedClientCertificate({ subject: 'CN=demo-self-signed', keyType: 'ed25519' });
  clients.push({
    metadata: {
      client_id: 'demo-self-signed',
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [toCertificateJwk(selfSigned, { kid: 'demo-self-signed-1' })] },
      tls_client_certificate_bound_access_tokens: true,
      scope,
    },
    files: await writeIdentity(directory, 'demo-self-signed', selfSigned),
  });

  const clientsFile = join(directory, 'clients.json');
  await writeFile(clientsFile, `${JSON.stringify(clients.map((client) => client.metadata), null, 2)}\n`);

  return {
    directory,
    pki,
    files: { caCertificate, serverCertificate: server.certificatePem, serverKey: server.privateKeyPem, clients: clientsFile },
    clients,
  };
}
