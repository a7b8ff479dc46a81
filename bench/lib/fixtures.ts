/**
 * Bench fixtures: one PKI, one server signing key and one client per scenario, generated once
 * per run and handed to child processes as JSON (PEMs and JWKs only, no live objects).
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { ClientMetadata } from '../../src/clients/metadata.js';
import { createTestPki, toCertificateJwk } from '../../src/testing/pki.js';

export const ISSUER = 'https://as.bench.test';
export const AUDIENCE = 'https://api.bench.test';
export const SCOPE = 'api:read';

/** The in-process scenarios, in table order. */
export const SCENARIOS = ['pkjwt-es256', 'pkjwt-ps256', 'pkjwt-rs256', 'pkjwt-eddsa', 'mtls-dn', 'mtls-san', 'self-signed', 'secret-basic'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export type PkjwtAlg = 'ES256' | 'PS256' | 'RS256' | 'EdDSA';
export const PKJWT_ALG: Readonly<Partial<Record<Scenario, PkjwtAlg>>> = {
  'pkjwt-es256': 'ES256',
  'pkjwt-ps256': 'PS256',
  'pkjwt-rs256': 'RS256',
  'pkjwt-eddsa': 'EdDSA',
};

export interface CertificateFixture {
  readonly leafPem: string;
  readonly chainPem: string;
  readonly keyPem: string;
  /** DER of the leaf and of the intermediates the client sends, base64. */
  readonly leafDer: string;
  readonly intermediatesDer: readonly string[];
  readonly x5tS256: string;
}

export interface Fixtures {
  readonly issuer: string;
  readonly audience: string;
  readonly scope: string;
  readonly signingJwk: JWK;
  readonly trustAnchorsPem: string;
  readonly server: { readonly certPem: string; readonly keyPem: string };
  /** Private JWKs of the private_key_jwt clients, by alg. */
  readonly pkjwtKeys: Readonly<Record<PkjwtAlg, JWK>>;
  readonly certificates: { readonly dn: CertificateFixture; readonly san: CertificateFixture; readonly selfSigned: CertificateFixture };
  readonly secret: string;
  /** The registered clients, one per scenario, client ids = scenario names. */
  readonly clients: readonly ClientMetadata[];
}

const DN_SUBJECT = 'CN=bench-mtls-dn,OU=Bench,O=Acme Corp,C=DE';

function derOf(pem: string): Buffer[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((m) => Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64'));
}

function certificateFixture(identity: { certificatePem: string; chainPem: string; privateKeyPem: string; x5tS256: string }): CertificateFixture {
  const [leaf, ...intermediates] = derOf(identity.chainPem);
  return {
    leafPem: identity.certificatePem,
    chainPem: identity.chainPem,
    keyPem: identity.privateKeyPem,
    leafDer: (leaf as Buffer).toString('base64'),
    intermediatesDer: intermediates.map((der) => der.toString('base64')),
    x5tS256: identity.x5tS256,
  };
}

function keyPair(alg: PkjwtAlg): JWK {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: `bench-${alg.toLowerCase()}`, alg };
}

export function publicJwk(privateJwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = privateJwk;
  return { ...rest, use: 'sig' };
}

/** The client metadata of every scenario (client_id = scenario name). */
export function scenarioClients(f: Omit<Fixtures, 'clients'>, selfSignedJwk: JWK): ClientMetadata[] {
  const pkjwt = (Object.entries(PKJWT_ALG) as [Scenario, PkjwtAlg][]).map(([scenario, alg]): ClientMetadata => ({
    client_id: scenario,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: alg,
    jwks: { keys: [publicJwk(f.pkjwtKeys[alg])] },
    scope: SCOPE,
  }));
  return [
    ...pkjwt,
    {
      client_id: 'mtls-dn',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_subject_dn: DN_SUBJECT,
      tls_client_certificate_bound_access_tokens: true,
      scope: SCOPE,
    },
    {
      client_id: 'mtls-san',
      token_endpoint_auth_method: 'tls_client_auth',
      tls_client_auth_san_dns: 'svc.bench.test',
      tls_client_certificate_bound_access_tokens: true,
      scope: SCOPE,
    },
    {
      client_id: 'self-signed',
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [selfSignedJwk] },
      tls_client_certificate_bound_access_tokens: true,
      scope: SCOPE,
    },
    {
      client_id: 'secret-basic',
      token_endpoint_auth_method: 'client_secret_basic',
      client_secret_hash: `sha256:${createHash('sha256').update(f.secret).digest('base64url')}`,
      scope: SCOPE,
    },
  ];
}

export async function generateFixtures(): Promise<Fixtures> {
  const pki = await createTestPki({ intermediate: true, commonNamePrefix: 'bench' });
  const dn = await pki.issueClientCertificate({ subject: DN_SUBJECT, keyType: 'ec-p256' });
  const san = await pki.issueClientCertificate({ subject: 'CN=bench-mtls-san', san: { dns: ['svc.bench.test'] }, keyType: 'ec-p256' });
  const selfSigned = await pki.createSelfSignedClientCertificate({ subject: 'CN=bench-self-signed', keyType: 'ec-p256' });
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const base = {
    issuer: ISSUER,
    audience: AUDIENCE,
    scope: SCOPE,
    signingJwk: { ...(signing.export({ format: 'jwk' }) as JWK), kid: 'bench-signing-1', alg: 'ES256' },
    trustAnchorsPem: pki.trustAnchorsPem,
    server: { certPem: pki.server.chainPem, keyPem: pki.server.privateKeyPem },
    pkjwtKeys: { ES256: keyPair('ES256'), PS256: keyPair('PS256'), RS256: keyPair('RS256'), EdDSA: keyPair('EdDSA') },
    certificates: { dn: certificateFixture(dn), san: certificateFixture(san), selfSigned: certificateFixture(selfSigned) },
    secret: randomBytes(32).toString('base64url'),
  };
  return { ...base, clients: scenarioClients(base, toCertificateJwk(selfSigned, { kid: 'bench-self-signed-1' })) };
}

/** Writes the fixtures to a fresh temp directory; returns the file children read. */
export function writeFixtures(fixtures: Fixtures): string {
  const directory = mkdtempSync(join(tmpdir(), 'm2m-bench-'));
  const file = join(directory, 'fixtures.json');
  writeFileSync(file, JSON.stringify(fixtures));
  return file;
}

export function readFixtures(file: string): Fixtures {
  return JSON.parse(readFileSync(file, 'utf8')) as Fixtures;
}
