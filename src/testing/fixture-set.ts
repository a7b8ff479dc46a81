import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientMetadata } from '../clients/metadata.js';
import { invalidOption } from '../errors/errors.js';
import { type TestClients, createTestClients } from './clients.js';
import { canWritePkcs12, toPkcs12 } from './pkcs12.js';
import { type SelfSignedClientCertificateOptions, type TestIdentity, type TestPki, createTestPki } from './pki.js';

/** A demo client with everything a curl user needs to authenticate as it. */
export interface DemoClient {
  readonly metadata: ClientMetadata;
  /** Files (paths under the fixture directory) holding the client's credentials. */
  readonly files: {
    /** Private JWK (JSON). */
    readonly privateKeyJwk?: string;
    /** PKCS#8 PEM. */
    readonly privateKeyPem?: string;
    /** The certificate followed by its intermediates, PEM: what `curl --cert` sends. */
    readonly certificatePem?: string;
    /** Key and chain as PKCS#12, protected by `FixtureSet.pkcs12Password` (RSA identities only). */
    readonly pkcs12?: string;
  };
  /** Only for the secret methods: the plaintext secret (the registry holds its hash). */
  readonly clientSecret?: string;
}

export interface FixtureSet {
  readonly directory: string;
  readonly pki: TestPki;
  readonly files: {
    /** The root CA certificate: the trust anchor for `--client-ca` and `curl --cacert`. */
    readonly caCertificate: string;
    readonly intermediateCertificate: string;
    /** Server certificate and intermediate, PEM. */
    readonly serverCertificate: string;
    readonly serverKey: string;
    /** Every client's metadata, for `serve --clients`. */
    readonly clients: string;
  };
  readonly clients: readonly DemoClient[];
  /** Password of every `.p12` file of the set. */
  readonly pkcs12Password: string;
  /** The in-memory clients the files were written from. */
  readonly testClients: TestClients;
}

export interface FixtureSetOptions {
  /** Host names the server certificate is valid for. Default localhost. */
  readonly serverHostnames?: readonly string[];
  /** IP addresses the server certificate is valid for. Default 127.0.0.1, ::1. */
  readonly serverIps?: readonly string[];
  /** Scope every demo client is registered with. */
  readonly scope?: string;
  /** Lifetime of every certificate, from `notBefore` (default 3650 days). */
  readonly validityDays?: number;
  /** Start of validity of every certificate (default one hour ago): fixed dates for a committed set. */
  readonly notBefore?: Date;
  /** Password of the PKCS#12 bundles (default `changeit`). */
  readonly pkcs12Password?: string;
}

const DEFAULT_VALIDITY_DAYS = 3650;
const DEFAULT_PKCS12_PASSWORD = 'changeit';
const ONE_HOUR_MS = 3_600_000;
const ONE_DAY_MS = 86_400_000;
const PKI_NAME = 'm2m-token-endpoint demo';

/**
 * Generates a complete demo set into `directory` (created if missing): a test PKI (RSA root and
 * intermediate, EC P-256 server certificate), the clients of `createTestClients` with their keys as PEM
 * and JWK, their certificate chains, PKCS#12 bundles of the RSA identities, and the
 * `clients.json` registry that `serve --clients` reads. Existing files of the same names are
 * replaced. Secrets are registered as hashes; the plaintext is returned (and printed by the
 * CLI), never written to `clients.json`.
 *
 * The CAs are RSA because node-forge can put only RSA certificates in a PKCS#12 chain (see
 * `pkcs12.ts`); the clients keep their own key types (EC, RSA, Ed25519).
 */
export async function generateFixtureSet(directory: string, options: FixtureSetOptions = {}): Promise<FixtureSet> {
  const validityDays = options.validityDays ?? DEFAULT_VALIDITY_DAYS;
  if (!(Number.isFinite(validityDays) && validityDays > 0)) {
    throw invalidOption('validityDays', `must be a positive number of days (got ${String(validityDays)})`);
  }
  const notBefore = options.notBefore ?? new Date(Date.now() - ONE_HOUR_MS);
  if (!(notBefore instanceof Date) || Number.isNaN(notBefore.getTime())) throw invalidOption('notBefore', 'must be a valid Date');
  const pkcs12Password = options.pkcs12Password ?? DEFAULT_PKCS12_PASSWORD;

  const pki = await createDatedRsaPki({
    notBefore,
    notAfter: new Date(notBefore.getTime() + validityDays * ONE_DAY_MS),
    serverHostnames: options.serverHostnames ?? ['localhost'],
    serverIps: options.serverIps ?? ['127.0.0.1', '::1'],
  });
  const testClients = await createTestClients({ pki, ...(options.scope === undefined ? {} : { scope: options.scope }) });

  await mkdir(directory, { recursive: true });
  const path = (name: string): string => join(directory, name);
  const write = async (name: string, content: string | Buffer, secret = false): Promise<string> => {
    await writeFile(path(name), content, secret ? { mode: 0o600 } : {});
    return path(name);
  };
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

  const caCertificate = await write('ca.pem', pki.trustAnchorsPem);
  const intermediateCertificate = await write('intermediate-ca.pem', pki.issuingCa.certificatePem);
  const serverCertificate = await write('server.cert.pem', pki.server.chainPem);
  const serverKey = await write('server.key.pem', pki.server.privateKeyPem, true);

  const { privateKeyJwt, clientSecretBasic, clientSecretPost, tlsClientAuthDn, tlsClientAuthSan, selfSignedTlsClientAuth } =
    testClients.byMethod;
  const writeIdentity = async (name: string, identity: TestIdentity): Promise<DemoClient['files']> => ({
    certificatePem: await write(`${name}.cert.pem`, identity.chainPem),
    privateKeyPem: await write(`${name}.key.pem`, identity.privateKeyPem, true),
    privateKeyJwk: await write(`${name}.key.json`, json(identity.privateJwk), true),
    ...(canWritePkcs12(identity)
      ? { pkcs12: await write(`${name}.p12`, toPkcs12(identity, { password: pkcs12Password, friendlyName: name }), true) }
      : {}),
  });

  const clients: DemoClient[] = [
    {
      metadata: privateKeyJwt.metadata,
      files: {
        privateKeyJwk: await write(`${privateKeyJwt.clientId}.key.json`, json(privateKeyJwt.privateJwk), true),
        privateKeyPem: await write(`${privateKeyJwt.clientId}.key.pem`, privateKeyJwt.privateKeyPem, true),
      },
    },
    ...[clientSecretBasic, clientSecretPost].map((client) => ({ metadata: client.metadata, files: {}, clientSecret: client.clientSecret })),
  ];
  for (const client of [tlsClientAuthDn, tlsClientAuthSan, selfSignedTlsClientAuth]) {
    clients.push({ metadata: client.metadata, files: await writeIdentity(client.clientId, client.identity) });
  }
  const clientsFile = await write('clients.json', json(testClients.metadata));

  return Object.freeze({
    directory,
    pki,
    files: { caCertificate, intermediateCertificate, serverCertificate, serverKey, clients: clientsFile },
    clients,
    pkcs12Password,
    testClients,
  });
}

interface DatedPkiOptions {
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serverHostnames: readonly string[];
  readonly serverIps: readonly string[];
}

/**
 * RSA root → RSA intermediate (pathLength 0) → EC server, like `createTestPki`, but with
 * the same explicit `notBefore`/`notAfter` on every certificate it issues, which `createTestPki`
 * cannot do (it dates from "now"): a committed fixture set must not change its dates.
 */
async function createDatedRsaPki(options: DatedPkiOptions): Promise<TestPki> {
  // Only its low-level factory is used: every certificate below names its issuer and dates.
  const factory = await createTestPki({ intermediate: false });
  const dated = <T extends SelfSignedClientCertificateOptions>(certificate: T): T => ({
    ...certificate,
    notBefore: certificate.notBefore ?? options.notBefore,
    notAfter: certificate.notAfter ?? options.notAfter,
    keyType: certificate.keyType ?? 'rsa',
  });
  const organization = `O=${PKI_NAME} PKI`;
  const root = await factory.issueCertificate(dated({ subject: `CN=${PKI_NAME} Root CA,${organization}`, ca: true, issuer: 'self' }));
  // The intermediate signs leaves only: a leaf posing as a CA must fail path validation.
  const intermediate = await factory.issueCertificate(
    dated({ subject: `CN=${PKI_NAME} Intermediate CA,${organization}`, ca: true, pathLength: 0, issuer: root }),
  );
  const server = await factory.issueCertificate(
    dated({
      subject: `CN=${PKI_NAME} Server,${organization}`,
      san: { dns: options.serverHostnames, ip: options.serverIps },
      extendedKeyUsage: ['serverAuth'],
      issuer: intermediate,
      // Never in a PKCS#12 chain, so it need not be RSA; EC keeps generation fast.
      keyType: 'ec-p256',
    }),
  );
  const pki: TestPki = {
    root,
    intermediate,
    issuingCa: intermediate,
    server,
    trustAnchorsPem: root.certificatePem,
    issueCertificate: (certificate) => factory.issueCertificate(dated({ ...certificate, issuer: certificate.issuer ?? intermediate })),
    issueClientCertificate: (certificate) =>
      factory.issueCertificate(
        dated({ ...certificate, issuer: certificate.issuer ?? intermediate, extendedKeyUsage: certificate.extendedKeyUsage ?? ['clientAuth'] }),
      ),
    createSelfSignedClientCertificate: (certificate) => factory.createSelfSignedClientCertificate(dated(certificate)),
  };
  return Object.freeze(pki);
}
